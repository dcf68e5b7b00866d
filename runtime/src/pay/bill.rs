//! Bill download: `GET {download_url}` (signed request, unsigned response), streamed to a
//! writer while its digest is computed; the digest is compared with the `hash_value` of the
//! `/v3/bill/*` answer at the end.

use futures_util::StreamExt as _;
use sha1::Digest as _;
use tokio::io::{AsyncWrite, AsyncWriteExt as _};

use super::client::PayClient;
use super::exchange::PayCall;
use crate::endpoint::{Body, Method, Retry};
use crate::error::{EncodeError, Error, SignatureCheck, SignatureError, TransportError};

/// The endpoint id of bill downloads.
const ENDPOINT: &str = "download_bill";

/// The digest algorithm of a bill (`hash_type` of the `/v3/bill/*` answer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashType {
    /// `SHA1` (what WeChat Pay uses today).
    Sha1,
    /// `SHA256`.
    Sha256,
}

impl HashType {
    /// Parses `SHA1` / `SHA256` (any case).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "SHA1" => Some(HashType::Sha1),
            "SHA256" => Some(HashType::Sha256),
            _ => None,
        }
    }
}

enum Hasher {
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl Hasher {
    fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha1(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
        }
    }

    fn hex(self) -> String {
        match self {
            Hasher::Sha1(h) => hex::encode(h.finalize()),
            Hasher::Sha256(h) => hex::encode(h.finalize()),
        }
    }
}

impl PayClient {
    /// Downloads a bill to `out` and checks its digest; returns the number of bytes written.
    ///
    /// Only the path and query of `download_url` are used: the request goes to this client's
    /// base URL, so the signed request never leaves for another host. The path must start with
    /// `/v3/`. On a digest mismatch the bytes were already written: discard them (the error is
    /// [`Error::Signature`] with [`SignatureCheck::Digest`]).
    pub async fn download_bill<W: AsyncWrite + Unpin + ?Sized>(
        &self,
        download_url: &str,
        hash_type: HashType,
        hash_value: &str,
        out: &mut W,
    ) -> Result<u64, Error> {
        let url = url::Url::parse(download_url).map_err(|_| EncodeError::Path {
            path: download_url.to_owned(),
        })?;
        if !url.path().starts_with("/v3/") {
            return Err(EncodeError::Path {
                path: url.path().to_owned(),
            }
            .into());
        }
        let call = PayCall {
            endpoint: ENDPOINT,
            method: Method::Get,
            path: url.path().into(),
            query: Vec::new(),
            raw_query: url.query(),
            retry: Retry::Safe,
        };
        let inner = &self.inner;
        inner.keys.ensure_fresh(inner).await?;
        let resp = inner.open(&call, &Body::Empty, inner.timeout * 10).await?;
        if !resp.status().is_success() {
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let body = resp
                .bytes()
                .await
                .map_err(|e| TransportError::from_reqwest(ENDPOINT, true, e))?;
            let received = super::exchange::Received {
                status,
                headers,
                body,
            };
            let verified = inner.verify_received(ENDPOINT, &received).await?;
            return Err(inner.api_error(ENDPOINT, &received, verified));
        }
        let mut hasher = match hash_type {
            HashType::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
            HashType::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
        };
        let mut written = 0u64;
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| TransportError::from_reqwest(ENDPOINT, false, e))?;
            hasher.update(&chunk);
            out.write_all(&chunk)
                .await
                .map_err(|e| TransportError::write(ENDPOINT, e))?;
            written += chunk.len() as u64;
        }
        out.flush()
            .await
            .map_err(|e| TransportError::write(ENDPOINT, e))?;
        if !hasher.hex().eq_ignore_ascii_case(hash_value.trim()) {
            return Err(SignatureError::new(ENDPOINT, SignatureCheck::Digest).into());
        }
        Ok(written)
    }
}
