//! # Your own WeChat endpoints, generated with `weixin-codegen`
//!
//! This crate shows how to cover endpoints the `weixin` crate does not have yet: describe them in
//! a spec tree of your own (`spec/`, same format as the SDK's), generate Rust from it in
//! `build.rs` with [`Options::for_user_crate`], and call them through the `weixin` clients.
//!
//! ```no_run
//! # async fn demo() -> Result<(), weixin::Error> {
//! use weixin_user_spec_example::offiaccount::guide::{self, GetGuideConfig};
//!
//! let mp = weixin::offiaccount::Client::new("wx_app_id", "app_secret");
//! // Through the group API, over the product client…
//! let config = guide::Api::new(&mp).get_config().await?;
//! // …or by building the request, for its optional parameters.
//! let config = mp.send(&GetGuideConfig::new().guide_account("guide_wechat_id")).await?;
//! # let _ = config; Ok(()) }
//! ```
//!
//! [`Options::for_user_crate`]: https://docs.rs/weixin-codegen/latest/weixin_codegen/struct.Options.html#method.for_user_crate

include!(concat!(env!("OUT_DIR"), "/weixin.rs"));
