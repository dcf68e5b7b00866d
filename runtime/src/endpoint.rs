//! The contract between generated endpoint types and the runtime.
//!
//! Generated code describes a call as data (`impl Endpoint`); the runtime performs it. Nothing in
//! here knows about individual WeChat APIs.

use std::borrow::Cow;
use std::fmt::Display;

use serde::Serialize;

use crate::error::EncodeError;
use crate::upload::{FileLimit, Upload};

/// HTTP method of an endpoint. WeChat's server APIs use `GET` and `POST`; WeChat Pay also uses
/// `PUT`, `PATCH` and `DELETE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`: inputs in the query string.
    Get,
    /// `POST`: inputs in a JSON or multipart body (and sometimes the query string).
    Post,
    /// `PUT` (WeChat Pay).
    Put,
    /// `PATCH` (WeChat Pay).
    Patch,
    /// `DELETE` (WeChat Pay).
    Delete,
}

impl Method {
    /// The method as sent on the wire, e.g. `"GET"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// The resend policy of an ad-hoc call with this method: only `GET` may be resent after a
    /// transport failure.
    pub const fn default_retry(self) -> Retry {
        match self {
            Method::Get => Retry::Safe,
            _ => Retry::Never,
        }
    }

    /// The same method as a `reqwest` method.
    pub(crate) fn to_reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
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
    /// The WeChat Pay merchant id (`mchid`, `sp_mchid`), filled in by a `PayClient` (feature
    /// `pay`) only.
    MchId,
}

/// How a call proves who it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Auth {
    /// `?access_token=…` from the client's token provider; refreshed and resent once on
    /// a token-invalid errcode.
    AccessToken,
    /// The client's token under another query name, e.g. `component_access_token` for the
    /// Open Platform's component APIs; refreshed and resent once like [`Auth::AccessToken`].
    TokenParam(&'static str),
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
    /// The client's own credentials the runtime writes into the JSON body, under these names
    /// (e.g. `component_appid`); they are not fields of the request type.
    const BODY_CREDENTIALS: &'static [(&'static str, Credential)] = &[];
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

impl Body {
    /// `value` serialized as a JSON body.
    pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> Result<Body, EncodeError> {
        serde_json::to_vec(value)
            .map(Body::Json)
            .map_err(EncodeError::json)
    }
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
    path_params: Vec<(&'static str, String)>,
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

    /// Sets the value of the `{name}` placeholder of the endpoint's path (WeChat Pay paths such
    /// as `/v3/pay/transactions/id/{transaction_id}`). See [`render_path`](Self::render_path).
    pub fn path_param(&mut self, name: &'static str, value: impl Display) {
        let value = value.to_string();
        match self.path_params.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.path_params.push((name, value)),
        }
    }

    /// The path parameters, in the order they were first set.
    pub fn path_params(&self) -> &[(&'static str, String)] {
        &self.path_params
    }

    /// `template` (an `Endpoint::PATH`) with each `{name}` replaced by its path parameter,
    /// percent-encoded (everything but `A–Z a–z 0–9 - . _ ~`, so a value can never add a path
    /// segment or a query). A template without placeholders is returned as is. Fails on a
    /// placeholder without a value, a parameter without a placeholder, or a malformed brace.
    pub fn render_path<'t>(&self, template: &'t str) -> Result<Cow<'t, str>, EncodeError> {
        if !template.contains(['{', '}']) {
            return match self.path_params.first() {
                None => Ok(Cow::Borrowed(template)),
                Some((name, _)) => Err(path_error(name, "the path has no such placeholder")),
            };
        }
        let mut out = String::with_capacity(template.len() + 32);
        let mut used = vec![false; self.path_params.len()];
        let mut rest = template;
        while let Some(open) = rest.find(['{', '}']) {
            let (before, after) = rest.split_at(open);
            out.push_str(before);
            if after.starts_with('}') {
                return Err(path_error(template, "unmatched `}` in the path"));
            }
            let close = after
                .find('}')
                .ok_or_else(|| path_error(template, "unclosed `{` in the path"))?;
            let name = &after[1..close];
            let index = self
                .path_params
                .iter()
                .position(|(n, _)| *n == name)
                .ok_or_else(|| path_error(name, "no value was set"))?;
            used[index] = true;
            let value = &self.path_params[index].1;
            if value.is_empty() {
                return Err(path_error(name, "the value is empty"));
            }
            percent_encode_into(value, &mut out);
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        if let Some(unused) = used.iter().position(|u| !u) {
            return Err(path_error(
                self.path_params[unused].0,
                "the path has no such placeholder",
            ));
        }
        Ok(Cow::Owned(out))
    }

    /// Serializes `body` as the JSON body. Non-ASCII text is sent as raw UTF-8, never as `\uXXXX`
    /// escapes (WeChat rejects those with 40033).
    pub fn json<T: Serialize + ?Sized>(&mut self, body: &T) -> Result<(), EncodeError> {
        self.body = Body::json(body)?;
        Ok(())
    }

    /// Adds `fields` (name, string value) to the front of the JSON object body, or makes them
    /// the body when there is none yet. Anything else is an [`EncodeError`].
    pub fn add_json_fields(
        &mut self,
        endpoint: &'static str,
        fields: &[(&str, &str)],
    ) -> Result<(), EncodeError> {
        let mut out = Vec::from(*b"{");
        for (i, (name, value)) in fields.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            serde_json::to_writer(&mut out, name).map_err(EncodeError::json)?;
            out.push(b':');
            serde_json::to_writer(&mut out, value).map_err(EncodeError::json)?;
        }
        let rest: &[u8] = match &self.body {
            Body::Empty => b"}",
            Body::Json(bytes) => {
                let inner = bytes.trim_ascii();
                match inner.strip_prefix(b"{") {
                    Some(rest) => rest,
                    None => return Err(EncodeError::not_an_object(endpoint)),
                }
            }
            Body::Multipart(_) => return Err(EncodeError::not_an_object(endpoint)),
        };
        if !fields.is_empty() && !rest.trim_ascii_start().starts_with(b"}") {
            out.push(b',');
        }
        out.extend_from_slice(rest);
        self.body = Body::Json(out);
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

fn path_error(name: &str, problem: &'static str) -> EncodeError {
    EncodeError::PathParam {
        name: name.to_owned(),
        problem,
    }
}

/// Appends `value` percent-encoded as one path segment (RFC 3986 unreserved characters kept).
fn percent_encode_into(value: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
}

/// The response of calls that only acknowledge (`{"errcode":0,"errmsg":"ok"}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[non_exhaustive]
pub struct Ack {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_without_placeholders_is_unchanged() {
        let parts = RequestParts::new();
        let path = parts.render_path("/cgi-bin/user/info").expect("plain");
        assert!(matches!(path, Cow::Borrowed("/cgi-bin/user/info")));
    }

    #[test]
    fn placeholders_are_filled_and_encoded() {
        let mut parts = RequestParts::new();
        parts.path_param("out_trade_no", "a/b?c d");
        parts.path_param("sub", "x");
        let path = parts
            .render_path("/v3/pay/{sub}/out-trade-no/{out_trade_no}/close")
            .expect("rendered");
        assert_eq!(path, "/v3/pay/x/out-trade-no/a%2Fb%3Fc%20d/close");
    }

    #[test]
    fn missing_unused_and_malformed_placeholders_fail() {
        let mut parts = RequestParts::new();
        let err = parts.render_path("/v3/x/{id}").expect_err("missing");
        assert!(err.to_string().contains("`id`"), "{err}");
        parts.path_param("id", "1");
        assert!(parts.render_path("/v3/x").is_err(), "unused parameter");
        assert!(parts.render_path("/v3/x/{id").is_err());
        assert!(parts.render_path("/v3/x/id}").is_err());
        parts.path_param("other", "2");
        assert!(parts.render_path("/v3/x/{id}").is_err(), "unused `other`");
        let mut empty = RequestParts::new();
        empty.path_param("id", "");
        assert!(empty.render_path("/v3/x/{id}").is_err());
    }
}
