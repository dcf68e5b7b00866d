//! The push service: URL verification, safe mode, dedup, deadline, context, stores and the
//! axum adapter, against published vectors and a hand-written message type.

#[path = "push_service/common.rs"]
mod common;

#[cfg(feature = "axum")]
#[path = "push_service/axum.rs"]
mod axum_router;
#[path = "push_service/context.rs"]
mod context;
#[path = "push_service/flow.rs"]
mod flow;
#[path = "push_service/logging.rs"]
mod logging;
#[path = "push_service/stores.rs"]
mod stores;
#[path = "push_service/verify.rs"]
mod verify;
