//! [`Client`]: the one generic send path every endpoint goes through.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use tracing::Instrument;

use crate::builder::ClientBuilder;
use crate::cache::TokenCache;
use crate::credentials::CredentialStore;
use crate::decode::{Decode, RawResponse, decode_json};
use crate::endpoint::{
    Auth, Body, Credential, Endpoint, Host, Method, RequestParts, ResponseKind, Retry,
};
use crate::envelope;
use crate::errcode::{Action, ErrCodeTable};
use crate::error::{ApiError, ConfigError, EncodeError, Error};
use crate::secret::{AccessToken, AppSecret};
use crate::shared::Shared;
use crate::store::TokenStore;
use crate::token::{TokenProvider, TokenSource};
use crate::transport::{self, Http, Request};

/// A client for one account (AppID + AppSecret). Cheap to clone; clones share the token cache.
///
/// `Debug` shows the AppID, never the secret or a token.
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientParts>,
}

/// What [`ClientBuilder`] hands over; a client holds it behind an `Arc`.
#[derive(Clone)]
pub(crate) struct ClientParts {
    pub(crate) app_id: String,
    pub(crate) app_secret: AppSecret,
    pub(crate) source: TokenSource,
    pub(crate) http: Arc<Http>,
    pub(crate) tokens: Arc<dyn TokenProvider>,
    pub(crate) ticket: TokenCache,
    pub(crate) agent_ticket: TokenCache,
    pub(crate) credentials: Arc<dyn CredentialStore>,
    /// The token store of this client's caches; clients derived from this one (Open Platform
    /// authorizers) cache in it too.
    pub(crate) store: Arc<dyn TokenStore>,
    /// Where single-flight mutexes come from, shared with derived clients.
    pub(crate) shared: Shared,
    pub(crate) refresh_before: std::time::Duration,
    pub(crate) errcodes: &'static ErrCodeTable,
}

/// The fixed description of one call: an endpoint's constants, or an ad-hoc call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Call<'a> {
    pub(crate) endpoint: &'static str,
    pub(crate) method: Method,
    pub(crate) host: Host,
    pub(crate) path: &'a str,
    pub(crate) auth: Auth,
    pub(crate) retry: Retry,
    pub(crate) kind: ResponseKind,
}

impl Call<'static> {
    pub(crate) fn of<E: Endpoint>() -> Self {
        Call {
            endpoint: E::ID,
            method: E::METHOD,
            host: E::HOST,
            path: E::PATH,
            auth: E::AUTH,
            retry: E::RETRY,
            kind: E::RESPONSE,
        }
    }
}

impl<'a> Call<'a> {
    /// The request this call makes with `query` (authentication included) and `body`.
    pub(crate) fn request(&self, query: Vec<(&'a str, &'a str)>, body: &'a Body) -> Request<'a> {
        Request {
            endpoint: self.endpoint,
            method: self.method,
            host: self.host,
            path: self.path,
            query,
            body,
            retry: self.retry,
        }
    }
}

impl Client {
    /// A client for `app_id` using [`Shared::global`] and default settings.
    pub fn new(app_id: impl Into<String>, app_secret: impl Into<String>) -> Client {
        Self::with_source(app_id, app_secret, TokenSource::default())
    }

    /// [`new`](Self::new) with another token source: [`TokenSource::WeCom`] for a WeCom
    /// application (CorpID + its secret), [`TokenSource::Component`] for an Open Platform
    /// third-party platform.
    pub fn with_source(
        app_id: impl Into<String>,
        app_secret: impl Into<String>,
        source: TokenSource,
    ) -> Client {
        let shared = Shared::global();
        let http = shared.http().clone();
        ClientBuilder::<Client>::new(app_id, app_secret)
            .token_source(source)
            .assemble(&shared, http)
    }

    /// Configures a client.
    pub fn builder(
        app_id: impl Into<String>,
        app_secret: impl Into<String>,
    ) -> ClientBuilder<Client> {
        ClientBuilder::new(app_id, app_secret)
    }

    pub(crate) fn from_parts(parts: ClientParts) -> Client {
        Client {
            inner: Arc::new(parts),
        }
    }

    pub(crate) fn parts(&self) -> &ClientParts {
        &self.inner
    }

    /// A cache of `what` under `key` in this client's token store.
    pub(crate) fn cache(&self, what: &'static str, key: String) -> TokenCache {
        let parts = self.parts();
        TokenCache::keyed(what, &parts.store, &parts.shared, key, parts.refresh_before)
    }

    /// The same client, classifying errcodes with `table` (codes missing from it fall back to
    /// [`ErrCodeTable::MINIMAL`]).
    #[must_use]
    pub fn errcodes(self, table: &'static ErrCodeTable) -> Self {
        let mut inner = Arc::unwrap_or_clone(self.inner);
        inner.errcodes = table;
        Client {
            inner: Arc::new(inner),
        }
    }

    /// The account's AppID.
    pub fn app_id(&self) -> &str {
        &self.inner.app_id
    }

    /// A valid access token, from the cache or freshly fetched.
    pub async fn access_token(&self) -> Result<AccessToken, Error> {
        self.inner.tokens.token().await
    }

    /// Performs `endpoint`: encodes it, adds the token, sends, resends once on a stale token,
    /// maps a non-zero errcode to [`Error::Api`] and decodes the response.
    pub async fn send<E: Endpoint>(&self, endpoint: &E) -> Result<E::Response, Error> {
        if E::HOST == Host::Mch {
            return Err(ConfigError::setting(
                format!(
                    "`{}` is a WeChat Pay endpoint: send it with a `PayClient`",
                    E::ID
                ),
                None,
            )
            .into());
        }
        let mut parts = RequestParts::new();
        endpoint.encode(&mut parts)?;
        if !E::BODY_CREDENTIALS.is_empty() {
            let values = E::BODY_CREDENTIALS
                .iter()
                .map(|(name, credential)| Ok((*name, self.credential(*credential)?)))
                .collect::<Result<Vec<(&str, &str)>, Error>>()?;
            parts.add_json_fields(E::ID, &values)?;
        }
        let path = parts.render_path(E::PATH)?;
        let call = Call {
            path: &path,
            ..Call::of::<E>()
        };
        let raw = self.execute(call, &parts).await?;
        E::Response::decode(raw)
    }

    /// The full URL of a `GET` endpoint that needs no token or credentials, e.g. the QR code
    /// image of `show_qrcode`, to put in a page instead of downloading it. Honours the base URL
    /// overrides. Any other endpoint is refused with [`EncodeError::NotLinkable`], so a token or
    /// secret can never end up in a handed-out link.
    pub fn public_url<E: Endpoint>(&self, endpoint: &E) -> Result<String, Error> {
        if E::METHOD != Method::Get || E::AUTH != Auth::None {
            return Err(EncodeError::NotLinkable { endpoint: E::ID }.into());
        }
        let mut parts = RequestParts::new();
        endpoint.encode(&mut parts)?;
        let query: Vec<(&str, &str)> = parts
            .query_pairs()
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        let request = Call::of::<E>().request(query, parts.body());
        Ok(self.inner.http.url(&request)?.into())
    }

    /// Calls an endpoint that is not in the spec: `path` on the API host, with the access
    /// token, the same refresh and errcode handling, and a JSON body for POST. GET calls may be
    /// resent after a transport failure; POST calls never are.
    pub async fn call_json(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value, Error> {
        let retry = method.default_retry();
        self.call_json_with(Host::Api, method, path, &[], body, retry)
            .await
    }

    /// [`call_json`](Self::call_json) with every knob: host, query parameters and resend policy.
    pub async fn call_json_with(
        &self,
        host: Host,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
        retry: Retry,
    ) -> Result<serde_json::Value, Error> {
        let body = body.map(Body::json).transpose()?.unwrap_or_default();
        let call = Call {
            endpoint: "call_json",
            method,
            host,
            path,
            auth: Auth::AccessToken,
            retry,
            kind: ResponseKind::Json,
        };
        let raw = self.execute_with(call, query, &body).await?;
        decode_json(call.endpoint, raw.body())
    }

    /// The non-generic part of [`send`](Self::send).
    pub(crate) async fn execute(
        &self,
        call: Call<'_>,
        parts: &RequestParts,
    ) -> Result<RawResponse, Error> {
        let query: Vec<(&str, &str)> = parts
            .query_pairs()
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        self.execute_with(call, &query, parts.body()).await
    }

    async fn execute_with(
        &self,
        call: Call<'_>,
        query: &[(&str, &str)],
        body: &Body,
    ) -> Result<RawResponse, Error> {
        let span = call_span(&call);
        let started = Instant::now();
        let result = self.run(call, query, body).instrument(span.clone()).await;
        finish_span(&span, started, result.as_ref().err());
        result
    }

    async fn run(
        &self,
        call: Call<'_>,
        query: &[(&str, &str)],
        body: &Body,
    ) -> Result<RawResponse, Error> {
        let mut resent = false;
        loop {
            let token = self.token_for(&call).await?;
            let resp = self.open(&call, query, body, token.as_ref()).await?;
            let raw = transport::read(call.endpoint, call.retry == Retry::Safe, resp).await?;
            match self.check(&call, raw.body(), raw.content_type()) {
                None => return Ok(raw),
                Some(api) => {
                    if let Some(stale) = self.should_refresh(&api, token.as_ref(), resent) {
                        self.invalidate_token(stale).await?;
                        resent = true;
                        continue;
                    }
                    return Err(api.into());
                }
            }
        }
    }

    /// The token a call needs, if any.
    pub(crate) async fn token_for(&self, call: &Call<'_>) -> Result<Option<AccessToken>, Error> {
        match call.auth {
            Auth::AccessToken | Auth::TokenParam(_) => Ok(Some(self.inner.tokens.token().await?)),
            Auth::None | Auth::Credentials(_) => Ok(None),
        }
    }

    /// The stale token to invalidate before resending, if `api` asks for a refresh and the
    /// call has not been resent yet.
    pub(crate) fn should_refresh<'t>(
        &self,
        api: &ApiError,
        token: Option<&'t AccessToken>,
        resent: bool,
    ) -> Option<&'t AccessToken> {
        let stale = token?;
        if resent || api.action() != Action::RefreshToken {
            return None;
        }
        tracing::debug!(errcode = %api.code(), "access token rejected; refreshing and resending once");
        Some(stale)
    }

    /// Sends one call with its authentication added; returns the 2xx response, body unread.
    pub(crate) async fn open(
        &self,
        call: &Call<'_>,
        query: &[(&str, &str)],
        body: &Body,
        token: Option<&AccessToken>,
    ) -> Result<reqwest::Response, Error> {
        let mut full: Vec<(&str, &str)> = Vec::with_capacity(query.len() + 2);
        match (call.auth, token) {
            (Auth::AccessToken, Some(token)) => full.push(("access_token", token.secret())),
            (Auth::TokenParam(name), Some(token)) => full.push((name, token.secret())),
            (Auth::Credentials(credentials), _) => {
                for (name, credential) in credentials {
                    full.push((name, self.credential(*credential)?));
                }
            }
            _ => {}
        }
        full.extend_from_slice(query);
        self.inner.http.send(&call.request(full, body)).await
    }

    /// The value of one of the client's own credentials; a WeChat client has no merchant id.
    pub(crate) fn credential(&self, credential: Credential) -> Result<&str, Error> {
        match credential {
            Credential::AppId => Ok(self.inner.app_id.as_str()),
            Credential::AppSecret => Ok(self.inner.app_secret.secret()),
            Credential::MchId => Err(ConfigError::setting(
                "a WeChat client has no merchant id: send WeChat Pay endpoints with a `PayClient`",
                None,
            )
            .into()),
        }
    }

    /// The API error a complete body carries, if any. Binary endpoints are only inspected when
    /// the body looks like JSON.
    pub(crate) fn check(
        &self,
        call: &Call<'_>,
        body: &[u8],
        content_type: Option<&str>,
    ) -> Option<ApiError> {
        if call.kind == ResponseKind::Binary && !envelope::looks_like_json(content_type, body) {
            return None;
        }
        envelope::api_error(call.endpoint, body, self.inner.errcodes)
    }

    /// Drops `stale` from the token cache if it is still there.
    pub(crate) async fn invalidate_token(&self, stale: &AccessToken) -> Result<(), Error> {
        self.inner.tokens.invalidate(stale).await
    }

    pub(crate) fn ticket_cache(&self) -> &TokenCache {
        &self.inner.ticket
    }
}

/// The span of one call: endpoint id, method and path (never the query, which holds the token).
pub(crate) fn call_span(call: &Call<'_>) -> tracing::Span {
    tracing::info_span!(
        "weixin_call",
        endpoint = call.endpoint,
        method = ?call.method,
        path = call.path,
        errcode = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    )
}

/// Records the outcome of a call on its span.
pub(crate) fn finish_span(span: &tracing::Span, started: Instant, error: Option<&Error>) {
    let duration_ms = started.elapsed().as_millis() as u64;
    span.record("duration_ms", duration_ms);
    let _entered = span.enter();
    match error {
        None => {
            span.record("errcode", 0);
            tracing::debug!(duration_ms, "call succeeded");
        }
        Some(e) => {
            if let Some(code) = e.api_code() {
                span.record("errcode", code.get());
            }
            tracing::debug!(duration_ms, error = %e, "call failed");
        }
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("app_id", &self.inner.app_id)
            .field("base_urls", &self.inner.http.base_urls)
            .field("tokens", &self.inner.tokens)
            .finish_non_exhaustive()
    }
}
