//! One signed HTTP exchange with WeChat Pay: building the URL and headers, resending safe calls,
//! reading the response, verifying it and mapping error bodies. Nothing here is generic.

use std::borrow::Cow;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, USER_AGENT};

use super::client::Inner;
use super::upload::SignedUpload;
use crate::endpoint::{Body, Method, Retry};
use crate::error::{
    ConfigError, EncodeError, Error, PayApiError, SignatureCheck, SignatureError, TransportError,
};

/// How many times a safe call is resent after a transport failure or a 5xx status.
const MAX_RESENDS: u32 = 2;
/// The first backoff; doubled for each further resend.
const BACKOFF: Duration = Duration::from_millis(100);

/// Response header: the signature's timestamp.
pub(crate) const H_TIMESTAMP: &str = "wechatpay-timestamp";
/// Response header: the signature's nonce.
pub(crate) const H_NONCE: &str = "wechatpay-nonce";
/// Response header: the signature (base64).
pub(crate) const H_SIGNATURE: &str = "wechatpay-signature";
/// Request and response header: the serial of the key used.
pub(crate) const H_SERIAL: &str = "wechatpay-serial";
/// Response header: WeChat Pay's request id.
pub(crate) const H_REQUEST_ID: &str = "request-id";

/// The `User-Agent` of Pay requests.
pub(crate) const USER_AGENT_VALUE: &str = concat!(
    "weixin-rs/",
    env!("CARGO_PKG_VERSION"),
    " (WeChatPay-APIv3; Rust)"
);

/// The fixed description of one call.
#[derive(Clone, Debug)]
pub(crate) struct PayCall<'a> {
    pub(crate) endpoint: &'static str,
    pub(crate) method: Method,
    /// The path, placeholders already filled in.
    pub(crate) path: Cow<'a, str>,
    /// Query pairs to encode (endpoint calls).
    pub(crate) query: Vec<(&'a str, &'a str)>,
    /// A raw query string sent as is (`call_json`, bill downloads).
    pub(crate) raw_query: Option<&'a str>,
    pub(crate) retry: Retry,
}

/// A response as received: status, headers, complete body.
#[derive(Debug)]
pub(crate) struct Received {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// The signature headers of a response, its timestamp inside the window.
pub(crate) struct SignedHeaders<'a> {
    pub(crate) timestamp: &'a str,
    pub(crate) nonce: &'a str,
    pub(crate) signature: &'a str,
    pub(crate) serial: &'a str,
}

impl Received {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

impl<'a> SignedHeaders<'a> {
    /// The four `Wechatpay-*` signature headers of a response or notification, each required,
    /// after the timestamp window check; the signature itself is left to the caller's keys.
    pub(crate) fn read(headers: &'a HeaderMap) -> Result<Self, SignatureCheck> {
        let get =
            |name: &'static str| header(headers, name).ok_or(SignatureCheck::MissingHeader(name));
        let (timestamp, nonce) = (get(H_TIMESTAMP)?, get(H_NONCE)?);
        let (signature, serial) = (get(H_SIGNATURE)?, get(H_SERIAL)?);
        super::verify::check_timestamp(timestamp, super::unix_now())?;
        Ok(SignedHeaders {
            timestamp,
            nonce,
            signature,
            serial,
        })
    }
}

/// A header as text.
pub(crate) fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl Inner {
    /// The full URL and the canonical URL (path and query, as sent) of a call.
    pub(crate) fn url(&self, call: &PayCall<'_>) -> Result<(url::Url, String), Error> {
        let path = call.path.as_ref();
        if !path.starts_with('/') || path.contains(['?', '#']) {
            return Err(EncodeError::Path {
                path: path.to_owned(),
            }
            .into());
        }
        let mut url = url::Url::parse(&format!("{}{path}", self.base_url)).map_err(|_| {
            EncodeError::Path {
                path: path.to_owned(),
            }
        })?;
        if let Some(raw) = call.raw_query.filter(|q| !q.is_empty()) {
            url.set_query(Some(raw));
        } else if !call.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(call.query.iter().copied());
        }
        let canonical = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        Ok((url, canonical))
    }

    /// Builds one signed attempt (a fresh timestamp and nonce each time).
    pub(crate) fn request(
        &self,
        call: &PayCall<'_>,
        url: &url::Url,
        canonical: &str,
        body: &Body,
        timeout: Duration,
    ) -> Result<reqwest::RequestBuilder, Error> {
        let upload = match body {
            Body::Multipart(parts) => Some(SignedUpload::of(call.endpoint, parts)?),
            _ => None,
        };
        let bytes: &[u8] = match (body, &upload) {
            (_, Some(upload)) => upload.meta.as_bytes(),
            (Body::Json(bytes), None) => bytes,
            _ => b"",
        };
        let authorization = self
            .signer
            .authorization(call.method.as_str(), canonical, bytes)
            .map_err(|e| ConfigError::setting("could not sign the request", Some(Box::new(e))))?;
        let mut builder = self
            .http
            .request(call.method.to_reqwest(), url.clone())
            .timeout(timeout)
            .header(AUTHORIZATION, authorization)
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, USER_AGENT_VALUE);
        if let Some(serial) = self.keys.encryption_serial() {
            builder = builder.header(H_SERIAL, serial);
        }
        if let Some(upload) = &upload {
            builder = builder.multipart(upload.form()?);
        } else if let Body::Json(bytes) = body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(bytes.clone());
        }
        Ok(builder)
    }

    /// Sends `call`, resending a [`Retry::Safe`] one after transport failures and 5xx statuses
    /// (at most twice); returns the response unread. A [`Retry::Never`] call is sent once.
    pub(crate) async fn open(
        &self,
        call: &PayCall<'_>,
        body: &Body,
        timeout: Duration,
    ) -> Result<reqwest::Response, Error> {
        let safe = call.retry == Retry::Safe;
        let (url, canonical) = self.url(call)?;
        let mut resends = 0;
        loop {
            let builder = self.request(call, &url, &canonical, body, timeout)?;
            let outcome = builder.send().await;
            let resendable = match &outcome {
                Ok(resp) => resp.status().is_server_error(),
                Err(_) => true,
            };
            if !safe || !resendable || resends >= MAX_RESENDS {
                return outcome
                    .map_err(|e| TransportError::from_reqwest(call.endpoint, safe, e).into());
            }
            let backoff =
                BACKOFF * 2u32.pow(resends) + Duration::from_millis(rand::random::<u64>() % 50);
            tracing::debug!(
                endpoint = call.endpoint,
                ?backoff,
                "resending a safe WeChat Pay call"
            );
            tokio::time::sleep(backoff).await;
            resends += 1;
        }
    }

    /// Sends `call` and reads the whole response. Nothing is verified yet.
    pub(crate) async fn exchange(
        &self,
        call: &PayCall<'_>,
        body: &Body,
    ) -> Result<Received, Error> {
        let resp = self.open(call, body, self.timeout).await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| {
            TransportError::from_reqwest(call.endpoint, call.retry == Retry::Safe, e)
        })?;
        Ok(Received {
            status,
            headers,
            body,
        })
    }

    /// Verifies a received response (unless verification is off): the timestamp window, then
    /// the signature with the key its serial names (refreshing certificates once when the
    /// serial is unknown). An error status without a signature passes unverified.
    /// Returns whether a signature was verified.
    pub(crate) async fn verify_received(
        &self,
        endpoint: &'static str,
        received: &Received,
    ) -> Result<bool, Error> {
        if !self.verify {
            return Ok(false);
        }
        let success = (200..300).contains(&received.status);
        if !success && received.header(H_SIGNATURE).is_none() {
            return Ok(false);
        }
        let fail = |check| Error::Signature(SignatureError::new(endpoint, check));
        let h = SignedHeaders::read(&received.headers).map_err(fail)?;
        self.keys
            .verify(
                self,
                h.timestamp,
                h.nonce,
                &received.body,
                h.signature,
                h.serial,
            )
            .await
            .map_err(fail)?;
        Ok(true)
    }

    /// The API error a non-2xx response carries.
    pub(crate) fn api_error(
        &self,
        endpoint: &'static str,
        received: &Received,
        verified: bool,
    ) -> Error {
        #[derive(serde::Deserialize, Default)]
        struct ErrorBody {
            #[serde(default)]
            code: String,
            #[serde(default)]
            message: String,
            #[serde(default)]
            detail: Option<serde_json::Value>,
        }
        let parsed: ErrorBody = serde_json::from_slice(&received.body).unwrap_or_default();
        let message = if parsed.code.is_empty() && parsed.message.is_empty() {
            crate::envelope::excerpt(&received.body)
        } else {
            parsed.message
        };
        PayApiError::new(
            endpoint,
            received.status,
            parsed.code,
            message,
            parsed.detail,
            received.header(H_REQUEST_ID).map(str::to_owned),
            verified,
        )
        .into()
    }
}
