//! Resources shared by many account clients: one HTTP connection pool and one token store.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::credentials::{CredentialStore, MemoryCredentialStore};
use crate::error::{ConfigError, Error};
use crate::store::{MemoryTokenStore, TokenStore};

/// Default connect timeout of the shared HTTP client.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// One HTTP client (rustls, pooled), one [`TokenStore`] and one [`CredentialStore`], shared by the clients of several
/// accounts. Tokens are keyed by AppID, so accounts never see each other's tokens. Cheap to
/// clone.
#[derive(Clone)]
pub struct Shared {
    inner: Arc<SharedInner>,
}

struct SharedInner {
    http: reqwest::Client,
    store: Arc<dyn TokenStore>,
    credentials: Arc<dyn CredentialStore>,
    /// One async mutex per store key: single flight for every client of this `Shared`.
    flights: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Shared {
    /// The process-wide instance (in-memory store), created on first use.
    pub fn global() -> Shared {
        static GLOBAL: OnceLock<Shared> = OnceLock::new();
        GLOBAL.get_or_init(Shared::new).clone()
    }

    /// A new instance with default settings and an in-memory store.
    pub fn new() -> Shared {
        SharedBuilder::new().build().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "falling back to a default HTTP client");
            Shared::from_parts(
                reqwest::Client::new(),
                Arc::new(MemoryTokenStore::new()),
                Arc::new(MemoryCredentialStore::new()),
            )
        })
    }

    /// Configures a new instance.
    pub fn builder() -> SharedBuilder {
        SharedBuilder::new()
    }

    /// The token store.
    pub fn token_store(&self) -> &Arc<dyn TokenStore> {
        &self.inner.store
    }

    /// The durable credential store (Open Platform ticket and refresh tokens).
    pub fn credential_store(&self) -> &Arc<dyn CredentialStore> {
        &self.inner.credentials
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// The single-flight mutex of `key`.
    pub(crate) fn flight(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut flights = self.inner.flights.lock().unwrap_or_else(|p| p.into_inner());
        flights.entry(key.to_owned()).or_default().clone()
    }

    fn from_parts(
        http: reqwest::Client,
        store: Arc<dyn TokenStore>,
        credentials: Arc<dyn CredentialStore>,
    ) -> Shared {
        Shared {
            inner: Arc::new(SharedInner {
                http,
                store,
                credentials,
                flights: Mutex::default(),
            }),
        }
    }
}

impl Default for Shared {
    fn default() -> Self {
        Shared::new()
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("store", &self.inner.store)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Shared`].
#[derive(Debug)]
pub struct SharedBuilder {
    connect_timeout: Duration,
    store: Option<Arc<dyn TokenStore>>,
    credentials: Option<Arc<dyn CredentialStore>>,
}

impl SharedBuilder {
    /// Defaults: 10 s connect timeout, in-memory store.
    pub fn new() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            store: None,
            credentials: None,
        }
    }

    /// Connect timeout of the HTTP client.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The token store (e.g. a Redis store shared by several processes).
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The durable credential store (e.g. `RedisCredentialStore`, or one over your database).
    pub fn credential_store(mut self, store: Arc<dyn CredentialStore>) -> Self {
        self.credentials = Some(store);
        self
    }

    /// Builds it.
    pub fn build(self) -> Result<Shared, Error> {
        let http = http_client(self.connect_timeout)?;
        let store = self
            .store
            .unwrap_or_else(|| Arc::new(MemoryTokenStore::new()));
        let credentials = self
            .credentials
            .unwrap_or_else(|| Arc::new(MemoryCredentialStore::new()));
        Ok(Shared::from_parts(http, store, credentials))
    }
}

impl Default for SharedBuilder {
    fn default() -> Self {
        Self::new()
    }
}

/// The HTTP client every WeChat call goes through.
pub(crate) fn http_client(connect_timeout: Duration) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(connect_timeout)
        .user_agent(concat!("weixin-rs/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ConfigError::http_client(e).into())
}
