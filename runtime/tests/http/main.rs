//! HTTP behaviour of the runtime against a loopback WeChat (wiremock).

mod common;
mod component;
mod errors;
mod files;
mod jssdk;
mod redaction;
mod retry;
mod tokens;
mod tracing_spans;
mod wecom;
