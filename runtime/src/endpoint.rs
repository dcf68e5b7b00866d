//! The contract between generated endpoint types and the runtime.
//!
//! Generated code describes a call as data (`impl Endpoint`); the runtime performs it. Nothing in
//! here knows about individual WeChat APIs.

use std::fmt::Display;

use serde::Serialize;

use crate::error::EncodeError;
use crate::upload::{FileLimit, Upload};

/// HTTP method of an endpoint. WeChat's server APIs only use these two (Pay adds more later).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`: inputs in the query string.
    Get,
    /// `POST`: inputs in a JSON or multipart body (and sometimes the query string).
    Post,
}

/// The WeChat host an endpoint lives on. Each can be redirected (tests, a local sandbox) with
/// [`ClientBuilder::base_url`](crate::ClientBuilder::base_url).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Host {
    /// `https://api.weixin.qq.com`
    Api,
    /// `https://file.api.weixin.qq.com`
    File,
    /// `https://mp.weixin.qq.com`
    Mp,
    /// `https://qyapi.weixin.qq.com` (WeCom)
    Qyapi,
    /// `https://api.mch.weixin.qq.com` (WeChat Pay)
    Mch,
}

impl Host {
    /// Every host, in a fixed order.
    pub const ALL: [Host; 5] = [Host::Api, Host::File, Host::Mp, Host::Qyapi, Host::Mch];

    /// The production base URL, without a trailing slash.
    pub const fn default_base_url(self) -> &'static str {
        match self {
            Host::Api => "https://api.weixin.qq.com",
            Host::File => "https://file.api.weixin.qq.com",
            Host::Mp => "https://mp.weixin.qq.com",
            Host::Qyapi => "https://qyapi.weixin.qq.com",
            Host::Mch => "https://api.mch.weixin.qq.com",
        }
    }
}

/// One of the account's own credentials, placed in the query string by [`Auth::Credentials`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Credential {
    /// The AppID (or CorpID).
    AppId,
    /// The AppSecret (or an application's secret in WeCom). Never logged.
    AppSecret,
}

/// How a call proves who it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Auth {
    /// `?access_token=…` from the client's token provider; refreshed and resent once on
    /// a token-invalid errcode.
    AccessToken,
    /// Nothing is added (the credentials, if any, are ordinary fields of the request).
    None,
    /// The account's own credentials in the query string, under the given parameter names,
    /// e.g. `&[("appid", Credential::AppId), ("secret", Credential::AppSecret)]`.
    Credentials(&'static [(&'static str, Credential)]),
}

/// Whether a call may be sent again after a transport failure (timeout, connection reset),
/// when it is unknown whether WeChat acted on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Retry {
    /// Reading, or idempotent: resending is harmless.
    Safe,
    /// Not idempotent (sends a message, creates something): never resent after a transport
    /// failure. A token-invalid errcode is still resent once, since WeChat rejected the call
    /// before doing anything.
    Never,
}

/// What a successful response looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResponseKind {
    /// A JSON object with `errcode`/`errmsg` and the endpoint's fields.
    Json,
    /// Only `{"errcode":0,"errmsg":"ok"}`.
    Ack,
    /// Raw bytes (an image, a media file), or a JSON error object.
    Binary,
}

/// A WeChat API call described as data. Generated request types implement this; users do not
/// need to, and call [`Client::send`](crate::Client::send) with a value instead.
pub trait Endpoint {
    /// What a successful call returns.
    type Response: crate::Decode;
    /// Stable identifier used in logs and errors, e.g. `"get_user_info"`.
    const ID: &'static str;
    /// HTTP method.
    const METHOD: Method;
    /// Host the path lives on.
    const HOST: Host = Host::Api;
    /// Path, starting with `/`.
    const PATH: &'static str;
    /// How the call authenticates.
    const AUTH: Auth = Auth::AccessToken;
    /// Whether the call may be resent after a transport failure.
    const RETRY: Retry = Retry::Safe;
    /// Shape of a successful response.
    const RESPONSE: ResponseKind = ResponseKind::Json;

    /// Writes the query parameters and the body. Not generic, so each endpoint costs little code.
    fn encode(&self, req: &mut RequestParts) -> Result<(), EncodeError>;
}

/// The body of a request, as an endpoint encoded it.
#[derive(Clone, Debug, Default)]
pub enum Body {
    /// No body.
    #[default]
    Empty,
    /// A JSON document (already serialized: the exact bytes sent).
    Json(Vec<u8>),
    /// A `multipart/form-data` body.
    Multipart(Vec<Part>),
}

/// One part of a multipart body.
#[derive(Clone, Debug)]
pub enum Part {
    /// A file under the given form field name.
    File {
        /// Form field name, e.g. `media`.
        name: &'static str,
        /// The file.
        upload: Upload,
    },
    /// A text field, e.g. the JSON `description` of a video material.
    Text {
        /// Form field name.
        name: &'static str,
        /// Field value.
        value: String,
    },
}

/// Query parameters and body of one request, filled in by [`Endpoint::encode`].
#[derive(Clone, Debug, Default)]
pub struct RequestParts {
    query: Vec<(&'static str, String)>,
    body: Body,
}

impl RequestParts {
    /// An empty request.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a query parameter.
    pub fn query(&mut self, name: &'static str, value: impl Display) {
        self.query.push((name, value.to_string()));
    }

    /// Serializes `body` as the JSON body. Non-ASCII text is sent as raw UTF-8, never as `\uXXXX`
    /// escapes (WeChat rejects those with 40033).
    pub fn json<T: Serialize + ?Sized>(&mut self, body: &T) -> Result<(), EncodeError> {
        let bytes = serde_json::to_vec(body).map_err(EncodeError::json)?;
        self.body = Body::Json(bytes);
        Ok(())
    }

    /// Adds a file part to a multipart body, after checking it against `limit` (if any).
    pub fn file(
        &mut self,
        name: &'static str,
        upload: &Upload,
        limit: Option<&FileLimit>,
    ) -> Result<(), EncodeError> {
        if let Some(limit) = limit {
            limit.check(name, upload)?;
        }
        self.parts().push(Part::File {
            name,
            upload: upload.clone(),
        });
        Ok(())
    }

    /// Adds a text part to a multipart body.
    pub fn text(&mut self, name: &'static str, value: impl Into<String>) {
        self.parts().push(Part::Text {
            name,
            value: value.into(),
        });
    }

    /// The query parameters, in the order they were added.
    pub fn query_pairs(&self) -> &[(&'static str, String)] {
        &self.query
    }

    /// The body.
    pub fn body(&self) -> &Body {
        &self.body
    }

    fn parts(&mut self) -> &mut Vec<Part> {
        if !matches!(self.body, Body::Multipart(_)) {
            self.body = Body::Multipart(Vec::new());
        }
        match &mut self.body {
            Body::Multipart(parts) => parts,
            _ => unreachable!("set to multipart just above"),
        }
    }
}

/// The response of calls that only acknowledge (`{"errcode":0,"errmsg":"ok"}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[non_exhaustive]
pub struct Ack {}
