//! `weixin-cli`: the library behind the `weixin` command.
//!
//! - [`sandbox`]: an offline WeChat on loopback, driven by the spec
//!   ([`sandbox::Sandbox::start`]).
//! - [`simulate`]: WeChat-shaped pushes to a webhook, plain or encrypted, with retries.
//! - [`call`] and [`catalog`]: any spec endpoint from the shell, and its docs; [`pay_call`]:
//!   WeChat Pay endpoints, signed with the merchant's key.
//! - [`demo`]: the README's first command; [`echo`]: the echo bot it talks to.
//! - [`spec`]: the spec embedded at build time; [`local`]: files and environment variables.

#![warn(missing_docs)]

pub mod call;
pub mod catalog;
pub mod demo;
pub mod echo;
pub mod local;
pub mod pay_call;
pub mod sandbox;
pub mod simulate;
pub mod spec;
