//! The hand-written runtime under the generated `weixin` crate. Placeholder: being written.
pub mod endpoint;
