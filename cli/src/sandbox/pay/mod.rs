//! WeChat Pay APIv3 in the sandbox (issue 8).
//!
//! - Every answer on the `mch` host is signed with the sandbox's WeChat Pay key ([`key`]):
//!   `Wechatpay-Timestamp`, `-Nonce`, `-Signature`, `-Serial` (the public key id) and
//!   `Request-ID`, so `weixin::pay::Client` verifies it with [`key::PUBLIC_KEY_PEM`].
//! - Every request must carry a well-formed `Authorization: WECHATPAY2-SHA256-RSA2048 …`
//!   header ([`auth`]); its signature is checked for real only for registered merchants.
//! - Signed, encrypted notifications are built and posted by [`notify`].

pub mod auth;
pub mod key;
pub mod notify;

use serde_json::json;

use super::wire::Answer;

/// A WeChat Pay error answer: `status` and `{"code": code, "message": message}`.
pub fn error(status: u16, code: &str, message: impl std::fmt::Display) -> Answer {
    let mut answer = Answer::json(&json!({"code": code, "message": message.to_string()}));
    answer.status = status;
    answer.errcode = None;
    answer.code = Some(code.to_owned());
    answer
}

/// `400 PARAM_ERROR`: the request does not match the spec.
pub fn param_error(message: impl std::fmt::Display) -> Answer {
    error(400, "PARAM_ERROR", message)
}

/// `401 SIGN_ERROR`: the `Authorization` header is missing, malformed or does not verify.
pub fn sign_error(message: impl std::fmt::Display) -> Answer {
    error(401, "SIGN_ERROR", message)
}
