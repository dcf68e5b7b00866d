//! Turning a checked response body into an endpoint's `Response` type.

use std::time::Duration;

use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::endpoint::Ack;
use crate::envelope;
use crate::error::{DecodeError, Error};

/// A response body that passed the errcode check, as handed to [`Decode::decode`].
#[derive(Clone)]
pub struct RawResponse {
    endpoint: &'static str,
    body: Bytes,
    content_type: Option<String>,
    file_name: Option<String>,
}

impl RawResponse {
    /// A body received for `endpoint`.
    pub fn new(endpoint: &'static str, body: impl Into<Bytes>) -> Self {
        Self {
            endpoint,
            body: body.into(),
            content_type: None,
            file_name: None,
        }
    }

    /// Sets the `Content-Type` header value.
    pub fn with_content_type(mut self, content_type: Option<String>) -> Self {
        self.content_type = content_type;
        self
    }

    /// Sets the file name taken from `Content-Disposition`.
    pub fn with_file_name(mut self, file_name: Option<String>) -> Self {
        self.file_name = file_name;
        self
    }

    /// The endpoint id.
    pub fn endpoint(&self) -> &'static str {
        self.endpoint
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }
}

impl std::fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawResponse")
            .field("endpoint", &self.endpoint)
            .field("len", &self.body.len())
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

/// How a response becomes an endpoint's `Response` value. Implemented for every
/// [`JsonResponse`] and for [`Binary`].
pub trait Decode: Sized {
    /// Decodes a body whose errcode (if any) was zero.
    fn decode(response: RawResponse) -> Result<Self, Error>;
}

/// Marks a response type decoded from the JSON body. Generated response structs implement it.
pub trait JsonResponse: DeserializeOwned {}

impl JsonResponse for Ack {}

impl<T: JsonResponse> Decode for T {
    fn decode(response: RawResponse) -> Result<Self, Error> {
        decode_json(response.endpoint, &response.body)
    }
}

/// A token or ticket WeChat issued, checked: `expires_in` must be a positive number of seconds
/// and the value (the response field `field`) must not be empty.
pub(crate) fn issued(
    endpoint: &'static str,
    field: &'static str,
    value: String,
    expires_in: i64,
) -> Result<(String, Duration), DecodeError> {
    let seconds = u64::try_from(expires_in)
        .ok()
        .filter(|s| *s > 0)
        .ok_or_else(|| {
            DecodeError::new(
                endpoint,
                "expires_in",
                "must be a positive number of seconds",
                "",
            )
        })?;
    if value.is_empty() {
        return Err(DecodeError::new(endpoint, field, "is empty", ""));
    }
    Ok((value, Duration::from_secs(seconds)))
}

/// Deserializes `body`, reporting the JSON path of the first problem.
pub(crate) fn decode_json<T: DeserializeOwned>(
    endpoint: &'static str,
    body: &[u8],
) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        DecodeError::new(endpoint, path, inner.to_string(), envelope::excerpt(body))
    })?;
    de.end()
        .map_err(|e| DecodeError::new(endpoint, "", e.to_string(), envelope::excerpt(body)))?;
    Ok(value)
}

/// The answer of a binary endpoint (an image, a media file, a QR code).
#[derive(Clone)]
pub struct Binary {
    endpoint: &'static str,
    bytes: Bytes,
    content_type: Option<String>,
    file_name: Option<String>,
}

impl Binary {
    /// The content.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The content, by value.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The file name from `Content-Disposition`.
    pub fn file_name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }

    /// The content's length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the content is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Decodes the content as JSON: some binary endpoints answer JSON on success (e.g. getting a
    /// video material returns `{"video_url": …}`).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        decode_json(self.endpoint, &self.bytes)
    }
}

impl std::fmt::Debug for Binary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Binary")
            .field("len", &self.bytes.len())
            .field("content_type", &self.content_type)
            .field("file_name", &self.file_name)
            .finish()
    }
}

impl Decode for Binary {
    fn decode(response: RawResponse) -> Result<Self, Error> {
        Ok(Binary {
            endpoint: response.endpoint,
            bytes: response.body,
            content_type: response.content_type,
            file_name: response.file_name,
        })
    }
}

/// What [`Client::download_to`](crate::Client::download_to) wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadInfo {
    pub(crate) len: u64,
    pub(crate) content_type: Option<String>,
    pub(crate) file_name: Option<String>,
}

impl DownloadInfo {
    /// Bytes written.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The file name from `Content-Disposition`.
    pub fn file_name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Outer {
        #[allow(dead_code)]
        list: Vec<Inner>,
    }
    #[derive(Debug, serde::Deserialize)]
    struct Inner {
        #[allow(dead_code)]
        n: u32,
    }
    impl JsonResponse for Outer {}

    #[test]
    fn decode_error_has_path() {
        let raw = RawResponse::new("ep", &br#"{"list":[{"n":1},{"n":"x"}]}"#[..]);
        let err = Outer::decode(raw).expect_err("bad type");
        let Error::Decode(d) = err else {
            panic!("wrong variant")
        };
        assert_eq!(d.path(), "list[1].n");
        assert_eq!(d.endpoint(), "ep");
        assert!(d.to_string().contains("list[1].n"));
    }

    #[test]
    fn ack_decodes_envelope() {
        let raw = RawResponse::new("ep", &br#"{"errcode":0,"errmsg":"ok"}"#[..]);
        assert_eq!(Ack::decode(raw).ok(), Some(Ack {}));
    }

    #[test]
    fn binary_json() {
        let raw = RawResponse::new("ep", &br#"{"video_url":"http://v"}"#[..]);
        let b = Binary::decode(raw).expect("binary");
        let v: serde_json::Value = b.json().expect("json");
        assert_eq!(v["video_url"], "http://v");
        assert_eq!(b.len(), 24);
    }
}
