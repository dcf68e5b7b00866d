//! One HTTP exchange: building the request, resending safe calls after transport failures,
//! and reading the response. Nothing here is generic over endpoints.
//!
//! Resend policy: a [`Retry::Safe`] call that fails to connect, times out or gets a 5xx status
//! is sent again at most [`MAX_RESENDS`] times, after 100 ms and then 200 ms (plus up to 50 ms of
//! jitter). A [`Retry::Never`] call is sent exactly once.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};

use crate::decode::RawResponse;
use crate::endpoint::{Body, Host, Method, Part, Retry};
use crate::envelope;
use crate::error::{ConfigError, EncodeError, Error, StatusError, TransportError};
use crate::upload::Upload;

/// How many times a safe call is resent after a transport failure or a 5xx status.
pub(crate) const MAX_RESENDS: u32 = 2;
/// The first backoff; doubled for each further resend.
const BACKOFF: Duration = Duration::from_millis(100);

/// The base URL of each host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BaseUrls(BTreeMap<Host, String>);

impl Default for BaseUrls {
    fn default() -> Self {
        Self(
            Host::ALL
                .iter()
                .map(|h| (*h, h.default_base_url().to_owned()))
                .collect(),
        )
    }
}

impl BaseUrls {
    /// Validates and sets one host's base URL (http or https, no query or fragment).
    pub(crate) fn set(&mut self, host: Host, url: &str) -> Result<(), ConfigError> {
        let parsed = url::Url::parse(url).map_err(|e| ConfigError::base_url(host, url, e))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ConfigError::base_url(
                host,
                url,
                "the scheme must be http or https",
            ));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(ConfigError::base_url(host, url, "a host is required"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(ConfigError::base_url(
                host,
                url,
                "no query or fragment is allowed",
            ));
        }
        self.0
            .insert(host, parsed.as_str().trim_end_matches('/').to_owned());
        Ok(())
    }

    pub(crate) fn get(&self, host: Host) -> &str {
        self.0
            .get(&host)
            .map_or_else(|| host.default_base_url(), String::as_str)
    }
}

/// A request ready to send. `query` already holds the token or credentials, if any.
pub(crate) struct Request<'a> {
    pub(crate) endpoint: &'static str,
    pub(crate) method: Method,
    pub(crate) host: Host,
    pub(crate) path: &'a str,
    pub(crate) query: Vec<(&'a str, &'a str)>,
    pub(crate) body: &'a Body,
    pub(crate) retry: Retry,
}

/// The HTTP side of a client.
#[derive(Clone, Debug)]
pub(crate) struct Http {
    pub(crate) client: reqwest::Client,
    pub(crate) base_urls: BaseUrls,
    pub(crate) timeout: Duration,
}

impl Http {
    /// Sends `req`, resending a safe call after transport failures and 5xx statuses; returns a
    /// 2xx response whose body is not yet read.
    pub(crate) async fn send(&self, req: &Request<'_>) -> Result<reqwest::Response, Error> {
        let safe = req.retry == Retry::Safe;
        let url = self.url(req)?;
        let mut resends = 0;
        loop {
            let builder = self.builder(req, url.clone())?;
            let outcome = match builder.send().await {
                Ok(resp) if resp.status().is_success() => return Ok(resp),
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let body = resp.bytes().await.unwrap_or_default();
                    Error::Status(StatusError::new(
                        req.endpoint,
                        status,
                        envelope::excerpt(&body),
                        safe,
                    ))
                }
                Err(e) => Error::Transport(TransportError::from_reqwest(req.endpoint, safe, e)),
            };
            let resendable = match &outcome {
                Error::Status(s) => s.status() >= 500,
                Error::Transport(_) => true,
                _ => false,
            };
            if !safe || !resendable || resends >= MAX_RESENDS {
                return Err(outcome);
            }
            let backoff =
                BACKOFF * 2u32.pow(resends) + Duration::from_millis(rand::random::<u64>() % 50);
            tracing::debug!(endpoint = req.endpoint, error = %outcome, ?backoff, "resending a safe call");
            tokio::time::sleep(backoff).await;
            resends += 1;
        }
    }

    pub(crate) fn url(&self, req: &Request<'_>) -> Result<url::Url, Error> {
        if !req.path.starts_with('/') || req.path.contains(['?', '#']) {
            return Err(EncodeError::Path {
                path: req.path.to_owned(),
            }
            .into());
        }
        let joined = format!("{}{}", self.base_urls.get(req.host), req.path);
        let mut url = url::Url::parse(&joined).map_err(|_| EncodeError::Path {
            path: req.path.to_owned(),
        })?;
        if !req.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(req.query.iter().copied());
        }
        Ok(url)
    }

    fn builder(&self, req: &Request<'_>, url: url::Url) -> Result<reqwest::RequestBuilder, Error> {
        let builder = self
            .client
            .request(req.method.to_reqwest(), url)
            .timeout(self.timeout);
        Ok(match req.body {
            Body::Empty => builder,
            Body::Json(bytes) => builder
                .header(CONTENT_TYPE, "application/json; charset=utf-8")
                .body(bytes.clone()),
            Body::Multipart(parts) => builder.multipart(multipart(parts)?),
        })
    }
}

/// Builds a multipart form (again for each attempt: forms cannot be cloned; the file bytes are
/// shared, not copied).
fn multipart(parts: &[Part]) -> Result<reqwest::multipart::Form, Error> {
    let mut form = reqwest::multipart::Form::new();
    for part in parts {
        form = match part {
            Part::File { name, upload } => form.part(*name, file_part(name, upload)?),
            Part::Text { name, value } => form.text(*name, value.clone()),
        };
    }
    Ok(form)
}

/// The form part of a file: its bytes (shared, not copied), name and content type.
pub(crate) fn file_part(
    field: &'static str,
    upload: &Upload,
) -> Result<reqwest::multipart::Part, EncodeError> {
    let body = reqwest::Body::from(upload.bytes().clone());
    reqwest::multipart::Part::stream_with_length(body, upload.len())
        .file_name(upload.file_name().to_owned())
        .mime_str(upload.content_type())
        .map_err(|_| EncodeError::ContentType {
            field,
            content_type: upload.content_type().to_owned(),
        })
}

/// The `Content-Type` and `Content-Disposition` file name of a response.
pub(crate) fn content_info(resp: &reqwest::Response) -> (Option<String>, Option<String>) {
    let header = |name| resp.headers().get(name).and_then(|v| v.to_str().ok());
    let content_type = header(CONTENT_TYPE).map(str::to_owned);
    let file_name = header(CONTENT_DISPOSITION).and_then(envelope::disposition_file_name);
    (content_type, file_name)
}

/// Reads a whole response body.
pub(crate) async fn read(
    endpoint: &'static str,
    safe: bool,
    resp: reqwest::Response,
) -> Result<RawResponse, Error> {
    let (content_type, file_name) = content_info(&resp);
    let body: Bytes = resp
        .bytes()
        .await
        .map_err(|e| TransportError::from_reqwest(endpoint, safe, e))?;
    Ok(RawResponse::new(endpoint, body)
        .with_content_type(content_type)
        .with_file_name(file_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_validated() {
        let mut urls = BaseUrls::default();
        assert_eq!(urls.get(Host::Api), "https://api.weixin.qq.com");
        urls.set(Host::Api, "http://127.0.0.1:8080/")
            .expect("valid");
        assert_eq!(urls.get(Host::Api), "http://127.0.0.1:8080");
        urls.set(Host::File, "http://localhost:1/prefix/")
            .expect("valid");
        assert_eq!(urls.get(Host::File), "http://localhost:1/prefix");
        assert!(urls.set(Host::Api, "ftp://x").is_err());
        assert!(urls.set(Host::Api, "not a url").is_err());
        assert!(urls.set(Host::Api, "http://x/?a=1").is_err());
    }
}
