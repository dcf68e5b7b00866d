//! The integration tests: one binary (fast to link on two cores), one module per concern.

mod client;
mod examples;
mod features;
mod oplatform;
mod push_examples;
mod redis_push;
mod redis_stores;
mod support;
