//! Access tokens: the [`TokenProvider`] trait and the default provider, which fetches the
//! account's token with its AppSecret and caches it in the [`TokenStore`](crate::TokenStore).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::cache::TokenCache;
use crate::component;
use crate::credentials::CredentialStore;
use crate::decode::{decode_json, issued};
use crate::endpoint::{Body, Host, Method, Retry};
use crate::envelope;
use crate::errcode::ErrCodeTable;
use crate::error::{Error, TokenError};
use crate::secret::{AccessToken, AppSecret};
use crate::store::BoxFuture;
use crate::transport::{self, Http, Request};

/// Which WeChat API issues the client's token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenSource {
    /// `POST /cgi-bin/stable_token` with `force_refresh: false` (recommended): calls inside
    /// the validity window return the same token, and other holders are not invalidated.
    #[default]
    Stable,
    /// `GET /cgi-bin/token`: every call issues a new token (the previous one stays valid for
    /// five more minutes).
    Classic,
    /// WeCom: `GET qyapi/cgi-bin/gettoken?corpid=…&corpsecret=…`. Each application of a corp
    /// has its own secret and token; the cache key includes the application (see
    /// [`ClientBuilder::agent_id`](crate::ClientBuilder::agent_id)).
    WeCom,
    /// Open Platform: `POST /cgi-bin/component/api_component_token` with the component AppID,
    /// AppSecret and the latest `component_verify_ticket` from the client's
    /// [`CredentialStore`](crate::CredentialStore) (saved with
    /// [`Component::save_ticket`](crate::Component::save_ticket)).
    Component,
}

impl TokenSource {
    /// What the token is called in logs and errors.
    pub(crate) fn what(self) -> &'static str {
        match self {
            TokenSource::Component => "component access token",
            _ => "access token",
        }
    }

    /// The token-cache key prefix.
    pub(crate) fn key_prefix(self) -> &'static str {
        match self {
            TokenSource::Stable | TokenSource::Classic => "access_token",
            TokenSource::WeCom => "wecom_access_token",
            TokenSource::Component => "component_access_token",
        }
    }
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
    #[serde(alias = "component_access_token")]
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
    credentials: Arc<dyn CredentialStore>,
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
        credentials: Arc<dyn CredentialStore>,
    ) -> Self {
        Self {
            app_id,
            app_secret,
            source,
            http,
            cache,
            credentials,
        }
    }

    /// The latest `component_verify_ticket`, or an error saying how to get one.
    async fn component_ticket(&self) -> Result<String, Error> {
        let what = self.source.what();
        let key = component::ticket_key(&self.app_id);
        match self.credentials.load(&key).await {
            Ok(Some(ticket)) => Ok(ticket.value().to_owned()),
            Ok(None) => Err(TokenError::other(
                what,
                format!(
                    "no component_verify_ticket stored for {}: WeChat pushes one every 10 minutes to \
                     the authorization event URL; save it with `Component::save_ticket`",
                    self.app_id
                ),
            )
            .into()),
            Err(e) => Err(TokenError::store(what, e).into()),
        }
    }

    /// Asks WeChat for a token. Its errcodes are reported as [`Error::Token`], never retried.
    async fn fetch(&self) -> Result<(String, Duration), Error> {
        let what = self.source.what();
        let wrap = |e: Error| Error::Token(TokenError::fetch(what, e));
        let secret = self.app_secret.secret();
        let json = |value: serde_json::Value| Body::Json(value.to_string().into_bytes());
        let body;
        let (endpoint, method, host, path, query, retry) = match self.source {
            TokenSource::Stable => {
                body = json(serde_json::json!({
                    "grant_type": "client_credential",
                    "appid": self.app_id,
                    "secret": secret,
                    "force_refresh": false,
                }));
                let path = "/cgi-bin/stable_token";
                (
                    "stable_token",
                    Method::Post,
                    Host::Api,
                    path,
                    vec![],
                    Retry::Safe,
                )
            }
            TokenSource::Classic => {
                body = Body::Empty;
                let query = vec![
                    ("grant_type", "client_credential"),
                    ("appid", self.app_id.as_str()),
                    ("secret", secret),
                ];
                (
                    "token",
                    Method::Get,
                    Host::Api,
                    "/cgi-bin/token",
                    query,
                    Retry::Never,
                )
            }
            TokenSource::WeCom => {
                body = Body::Empty;
                let query = vec![("corpid", self.app_id.as_str()), ("corpsecret", secret)];
                let path = "/cgi-bin/gettoken";
                (
                    "wecom_gettoken",
                    Method::Get,
                    Host::Qyapi,
                    path,
                    query,
                    Retry::Safe,
                )
            }
            TokenSource::Component => {
                let ticket = self.component_ticket().await?;
                body = json(serde_json::json!({
                    "component_appid": self.app_id,
                    "component_appsecret": secret,
                    "component_verify_ticket": ticket,
                }));
                let path = "/cgi-bin/component/api_component_token";
                (
                    "api_component_token",
                    Method::Post,
                    Host::Api,
                    path,
                    vec![],
                    Retry::Safe,
                )
            }
        };
        let request = Request {
            endpoint,
            method,
            host,
            path,
            query,
            body: &body,
            retry,
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
        issued(
            endpoint,
            "access_token",
            parsed.access_token,
            parsed.expires_in,
        )
        .map_err(|e| wrap(e.into()))
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
