//! Access tokens: the [`TokenProvider`] trait and the default provider, which fetches the
//! account's token with its AppSecret and caches it in the [`TokenStore`](crate::TokenStore).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::cache::TokenCache;
use crate::decode::decode_json;
use crate::endpoint::{Body, Host, Method, Retry};
use crate::envelope;
use crate::errcode::ErrCodeTable;
use crate::error::{DecodeError, Error, TokenError};
use crate::secret::{AccessToken, AppSecret};
use crate::store::BoxFuture;
use crate::transport::{self, Http, Request};

/// Which WeChat API issues the account's access token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TokenSource {
    /// `POST /cgi-bin/stable_token` with `force_refresh: false` (recommended): calls inside
    /// the validity window return the same token, and other holders are not invalidated.
    #[default]
    Stable,
    /// `GET /cgi-bin/token`: every call issues a new token (the previous one stays valid for
    /// five more minutes).
    Classic,
}

/// Supplies access tokens to a client. The default caches the account's own token; Open
/// Platform authorizer tokens plug in here too.
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// A valid token (cached, or freshly fetched).
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, Error>>;

    /// WeChat rejected `stale`: forget it, but only if it is still the cached token (another
    /// caller may already have replaced it).
    fn invalidate<'a>(&'a self, stale: &'a AccessToken) -> BoxFuture<'a, Result<(), Error>>;
}

/// What the token endpoints answer on success.
#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: i64,
}

/// The default provider: the account's token from [`TokenSource`], cached with early refresh
/// and single-flight fetching.
pub(crate) struct CachedTokenProvider {
    app_id: String,
    app_secret: AppSecret,
    source: TokenSource,
    http: Arc<Http>,
    cache: TokenCache,
}

impl fmt::Debug for CachedTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedTokenProvider")
            .field("app_id", &self.app_id)
            .field("source", &self.source)
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl CachedTokenProvider {
    pub(crate) fn new(
        app_id: String,
        app_secret: AppSecret,
        source: TokenSource,
        http: Arc<Http>,
        cache: TokenCache,
    ) -> Self {
        Self {
            app_id,
            app_secret,
            source,
            http,
            cache,
        }
    }

    /// Asks WeChat for a token. Its errcodes are reported as [`Error::Token`], never retried.
    async fn fetch(&self) -> Result<(String, Duration), Error> {
        let endpoint = match self.source {
            TokenSource::Stable => "stable_token",
            TokenSource::Classic => "token",
        };
        let wrap = |e: Error| Error::Token(TokenError::fetch("access token", e));
        let stable_body;
        let empty = Body::Empty;
        let request = match self.source {
            TokenSource::Stable => {
                let json = serde_json::json!({
                    "grant_type": "client_credential",
                    "appid": self.app_id,
                    "secret": self.app_secret.secret(),
                    "force_refresh": false,
                });
                stable_body = Body::Json(json.to_string().into_bytes());
                Request {
                    endpoint,
                    method: Method::Post,
                    host: Host::Api,
                    path: "/cgi-bin/stable_token",
                    query: Vec::new(),
                    body: &stable_body,
                    retry: Retry::Safe,
                }
            }
            TokenSource::Classic => Request {
                endpoint,
                method: Method::Get,
                host: Host::Api,
                path: "/cgi-bin/token",
                query: vec![
                    ("grant_type", "client_credential"),
                    ("appid", self.app_id.as_str()),
                    ("secret", self.app_secret.secret()),
                ],
                body: &empty,
                retry: Retry::Never,
            },
        };
        let resp = self.http.send(&request).await.map_err(wrap)?;
        let raw = transport::read(endpoint, request.retry == Retry::Safe, resp)
            .await
            .map_err(wrap)?;
        // Token-endpoint codes are never refresh-class (40001 there means a wrong secret).
        if let Some(api) = envelope::api_error(endpoint, raw.body(), &ErrCodeTable::MINIMAL) {
            return Err(wrap(api.without_refresh().into()));
        }
        let parsed: TokenResponse = decode_json(endpoint, raw.body()).map_err(wrap)?;
        let lifetime = u64::try_from(parsed.expires_in)
            .ok()
            .filter(|s| *s > 0)
            .ok_or_else(|| {
                let e = DecodeError::new(
                    endpoint,
                    "expires_in",
                    "must be a positive number of seconds",
                    "",
                );
                wrap(e.into())
            })?;
        if parsed.access_token.is_empty() {
            return Err(wrap(
                DecodeError::new(endpoint, "access_token", "is empty", "").into(),
            ));
        }
        Ok((parsed.access_token, Duration::from_secs(lifetime)))
    }
}

impl TokenProvider for CachedTokenProvider {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, Error>> {
        Box::pin(async move { self.cache.get(|| self.fetch()).await.map(AccessToken::new) })
    }

    fn invalidate<'a>(&'a self, stale: &'a AccessToken) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let dropped = self.cache.invalidate(stale.secret()).await?;
            tracing::debug!(key = %self.cache.key(), dropped, "access token rejected by WeChat");
            Ok(())
        })
    }
}
