//! [`ClientBuilder`]: configuring a client before it is built.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use crate::cache::TokenCache;
use crate::client::{Client, ClientParts};
use crate::credentials::CredentialStore;
use crate::endpoint::Host;
use crate::errcode::ErrCodeTable;
use crate::error::{ConfigError, Error};
use crate::secret::AppSecret;
use crate::shared::{self, Shared};
use crate::store::TokenStore;
use crate::token::{CachedTokenProvider, TokenProvider, TokenSource};
use crate::transport::{BaseUrls, Http};

/// Default timeout of a whole call (connect, send, receive).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default early-refresh margin of cached tokens.
const DEFAULT_REFRESH_BEFORE: Duration = Duration::from_secs(300);

/// Configures a [`Client`], or a product client built from one (`C: From<Client>`).
#[must_use = "a builder does nothing until `build` is called"]
pub struct ClientBuilder<C = Client> {
    app_id: String,
    app_secret: AppSecret,
    base_urls: BaseUrls,
    error: Option<ConfigError>,
    timeout: Duration,
    connect_timeout: Option<Duration>,
    token_source: TokenSource,
    token_store: Option<Arc<dyn TokenStore>>,
    shared: Option<Shared>,
    refresh_before: Duration,
    errcodes: &'static ErrCodeTable,
    token_provider: Option<Arc<dyn TokenProvider>>,
    agent: Option<String>,
    credentials: Option<Arc<dyn CredentialStore>>,
    client: PhantomData<fn() -> C>,
}

impl<C> ClientBuilder<C> {
    /// A builder for the account `app_id` with its AppSecret.
    pub fn new(app_id: impl Into<String>, app_secret: impl Into<String>) -> Self {
        Self {
            app_id: app_id.into(),
            app_secret: AppSecret::new(app_secret),
            base_urls: BaseUrls::default(),
            error: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: None,
            token_source: TokenSource::default(),
            token_store: None,
            shared: None,
            refresh_before: DEFAULT_REFRESH_BEFORE,
            errcodes: &ErrCodeTable::MINIMAL,
            token_provider: None,
            agent: None,
            credentials: None,
            client: PhantomData,
        }
    }

    /// WeCom: names the application this client's secret belongs to (its AgentID), so the
    /// cached token's key reads `weixin:wecom_access_token:<corpid>:<agentid>`. Without it the
    /// key uses a fingerprint of the secret (never the secret), which is just as isolated:
    /// every application of a corp has its own secret and its own token.
    pub fn agent_id(mut self, agent_id: impl fmt::Display) -> Self {
        self.agent = Some(agent_id.to_string());
        self
    }

    /// Where durable credentials live: the Open Platform's `component_verify_ticket` and the
    /// authorizers' refresh tokens (default: the [`Shared`]'s credential store, in memory).
    pub fn credential_store(mut self, store: Arc<dyn CredentialStore>) -> Self {
        self.credentials = Some(store);
        self
    }

    /// Sends `host`'s calls to `url` instead (tests, a proxy). An invalid URL is reported by
    /// [`build`](Self::build).
    pub fn base_url(mut self, host: Host, url: &str) -> Self {
        if let Err(e) = self.base_urls.set(host, url) {
            self.error.get_or_insert(e);
        }
        self
    }

    /// Timeout of a whole call, per attempt (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Connect timeout. Setting it gives this client its own connection pool instead of the
    /// shared one (default: the shared pool's, 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Which API issues the access token (default [`TokenSource::Stable`]).
    pub fn token_source(mut self, source: TokenSource) -> Self {
        self.token_source = source;
        self
    }

    /// Where tokens are cached (default: the [`Shared`]'s store).
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.token_store = Some(store);
        self
    }

    /// The connection pool and token store to use (default: [`Shared::global`]).
    pub fn shared(mut self, shared: &Shared) -> Self {
        self.shared = Some(shared.clone());
        self
    }

    /// How long before expiry a cached token is refreshed (default 300 s, plus a small random
    /// jitter so processes do not refresh together).
    pub fn refresh_before(mut self, margin: Duration) -> Self {
        self.refresh_before = margin;
        self
    }

    /// The errcode table used to classify API errors (the generated `weixin::errcode::TABLE`);
    /// codes missing from it fall back to [`ErrCodeTable::MINIMAL`].
    pub fn errcodes(mut self, table: &'static ErrCodeTable) -> Self {
        self.errcodes = table;
        self
    }

    /// Supplies access tokens from `provider` instead of fetching the account's own (e.g. Open
    /// Platform authorizer tokens).
    pub fn token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.token_provider = Some(provider);
        self
    }

    /// Builds the client; reports the first configuration error.
    pub fn build(self) -> Result<C, Error>
    where
        C: From<Client>,
    {
        let mut this = self;
        if let Some(e) = this.error.take() {
            return Err(e.into());
        }
        let shared = this.shared.take().unwrap_or_else(Shared::global);
        let http = match this.connect_timeout {
            Some(timeout) => shared::http_client(timeout)?,
            None => shared.http().clone(),
        };
        Ok(C::from(this.assemble(&shared, http)))
    }

    /// Puts a client together from valid settings; cannot fail.
    pub(crate) fn assemble(self, shared: &Shared, http_client: reqwest::Client) -> Client {
        let store = self
            .token_store
            .unwrap_or_else(|| shared.token_store().clone());
        let credentials = self
            .credentials
            .unwrap_or_else(|| shared.credential_store().clone());
        // The cache key's account part: WeCom tokens are per application, not per corp.
        let account = match (self.token_source, &self.agent) {
            (TokenSource::WeCom, Some(agent)) => format!("{}:{agent}", self.app_id),
            (TokenSource::WeCom, None) => {
                format!("{}:{}", self.app_id, self.app_secret.fingerprint())
            }
            _ => self.app_id.clone(),
        };
        let http = Arc::new(Http {
            client: http_client,
            base_urls: self.base_urls,
            timeout: self.timeout,
        });
        let cache = |what, prefix: &str| {
            let key = format!("weixin:{prefix}:{account}");
            TokenCache::keyed(what, &store, shared, key, self.refresh_before)
        };
        let (ticket_prefix, agent_ticket_prefix) = match self.token_source {
            TokenSource::WeCom => ("wecom_jsapi_ticket", "wecom_agent_ticket"),
            _ => ("jsapi_ticket", "agent_ticket"),
        };
        let ticket = cache("jsapi ticket", ticket_prefix);
        let agent_ticket = cache("agent jsapi ticket", agent_ticket_prefix);
        let tokens = match self.token_provider {
            Some(provider) => provider,
            None => Arc::new(CachedTokenProvider::new(
                self.app_id.clone(),
                self.app_secret.clone(),
                self.token_source,
                http.clone(),
                cache(self.token_source.what(), self.token_source.key_prefix()),
                credentials.clone(),
            )),
        };
        Client::from_parts(ClientParts {
            app_id: self.app_id,
            app_secret: self.app_secret,
            source: self.token_source,
            http,
            tokens,
            ticket,
            agent_ticket,
            credentials,
            store,
            shared: shared.clone(),
            refresh_before: self.refresh_before,
            errcodes: self.errcodes,
        })
    }
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("app_id", &self.app_id)
            .field("app_secret", &self.app_secret)
            .field("base_urls", &self.base_urls)
            .field("timeout", &self.timeout)
            .field("token_source", &self.token_source)
            .field("refresh_before", &self.refresh_before)
            .finish_non_exhaustive()
    }
}
