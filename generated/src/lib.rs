//! # weixin — the WeChat server-side SDK for Rust
//!
//! Every endpoint, request and response type in this crate is generated at build time from the
//! TOML spec in the repository's `spec/` folder; the runtime underneath (client, access tokens,
//! errors, uploads) is [`weixin_runtime`], re-exported as [`runtime`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), weixin::Error> {
//! use weixin::offiaccount::{self, custom::{CustomMessage, SendCustomMessage}};
//!
//! let mp = offiaccount::Client::new("wx_app_id", "app_secret");
//! let info = mp.user().info("OPENID").await?;
//! mp.send(&SendCustomMessage::new(info.open_id, CustomMessage::text("hi"))).await?;
//! # Ok(()) }
//! ```
//!
//! - Each product is a module with its own `Client` (e.g. [`offiaccount::Client`]); each spec
//!   group is a submodule and a cargo feature (`offiaccount-user`), with an API accessor on the
//!   client (`mp.user()`) whose methods take the required arguments.
//! - Optional parameters: build the request value and pass it to `send`
//!   (`mp.send(&GetUserInfo::new(open_id).lang(Lang::En))`).
//! - Not in the spec yet? [`runtime::Client::call_json`] goes through the same token, refresh
//!   and error path.
//! - Errors: one [`Error`]; WeChat's codes are [`ErrCode`] constants in [`errcode`].
//! - Pushes (feature `push`): `weixin::push` decodes what WeChat POSTs to your server into a
//!   typed `push::Message` (unknown types are kept as `Message::Unknown`) and writes passive
//!   replies (`push::Reply::text("hi")`), generated from `spec/push/`.
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

pub use weixin_runtime as runtime;
pub use weixin_runtime::{Ack, Binary, ErrCode, Error, Host, Method, Upload};

include!(concat!(env!("OUT_DIR"), "/weixin.rs"));
