//! The integration tests: one binary (fast to link on two cores), one module per concern.

mod client;
mod examples;
mod features;
mod oplatform;
// The signing mock WeChat Pay of the runtime's tests, shared.
#[path = "../../../runtime/tests/pay_support/mod.rs"]
mod pay_support;
mod push_examples;
mod redis_push;
mod redis_stores;
mod support;
