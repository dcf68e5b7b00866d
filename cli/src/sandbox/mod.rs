//! The offline WeChat sandbox: a loopback HTTP server that speaks WeChat's APIs as the spec
//! describes them.
//!
//! - Token endpoints (`/cgi-bin/token`, `/cgi-bin/stable_token`, WeCom `/cgi-bin/gettoken`, Open
//!   Platform `/cgi-bin/component/api_component_token`) issue real tokens with an expiry, and
//!   every `access_token` endpoint enforces them (41001 missing, 40001 unknown, 42001 expired).
//! - Every spec endpoint validates the request against the spec (44002 empty body, 47001 bad
//!   JSON, `41xxx` for a missing field the errcode table names, else 40097) and answers from
//!   its `[[example]]`s: the example whose request matches exactly, else the first success.
//! - Uploads store their bytes under a fresh `media_id`; downloads return them. Binary examples
//!   answer a real PNG or JPEG of the example's size.
//! - Faults: rates of 40001, 45009, -1 and 5xx answers and added latency, deterministic with a
//!   seed ([`Faults`]).
//! - All hosts on one listener: a path resolves to the host that has it (the API host when
//!   several do), or explicitly under `/_host/<host>/…`; optionally one listener per host.
//! - WeChat Pay APIv3 on the `mch` host ([`pay`]): requests need a well-formed
//!   `Authorization` header (verified for registered merchants; else 401 `SIGN_ERROR`), bad
//!   requests get 400 `PARAM_ERROR`, answers carry the example's HTTP status and are signed with
//!   the sandbox's WeChat Pay key ([`pay::key::PUBLIC_KEY_ID`], [`pay::key::PUBLIC_KEY_PEM`]).
//! - Tokens are bound to their product: an app token works on Official Account and Mini
//!   Program APIs only, a WeCom token on WeCom's (else 40014), a component token on the Open
//!   Platform's.
//! - Control under `/_sandbox/`: see [`http`] (force an example, the journal, stored media, the
//!   Pay public key, merchants, notifications).

mod answer;
mod faults;
pub mod http;
pub mod images;
mod incoming;
mod media;
pub use media::guess_content_type;
pub mod pay;
mod routes;
mod state;
mod tokens;
mod validate;
mod wire;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use weixin_codegen::ir::{Host, Ir};

pub use faults::Faults;
pub use state::JournalEntry;

/// How a sandbox runs.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// The spec it serves.
    pub ir: Arc<Ir>,
    /// Address of the main listener (port 0 picks a free one).
    pub listen: SocketAddr,
    /// Extra listeners, each serving one host at the root (no `/_host/` prefix needed).
    pub host_listeners: BTreeMap<HostName, SocketAddr>,
    /// Lifetime of issued tokens.
    pub token_ttl: Duration,
    /// Known accounts (AppID or CorpID → secret). Empty: any account is accepted.
    pub apps: BTreeMap<String, String>,
    /// Fault injection.
    pub faults: Faults,
    /// WeChat Pay merchants whose request signatures are verified (any signature of another
    /// merchant is accepted).
    pub pay_merchants: Vec<PayMerchant>,
}

/// A WeChat Pay merchant whose request signatures the sandbox verifies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayMerchant {
    /// The merchant id.
    pub mchid: String,
    /// The serial of the merchant API certificate its requests name.
    pub serial_no: String,
    /// Its public key (`PUBLIC KEY` / `RSA PUBLIC KEY` PEM) or API certificate PEM.
    pub public_key_pem: String,
}

impl SandboxConfig {
    /// Serves `ir` on `127.0.0.1` at a free port, tokens valid two hours, any account, no faults.
    pub fn new(ir: Arc<Ir>) -> Self {
        SandboxConfig {
            ir,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            host_listeners: BTreeMap::new(),
            token_ttl: Duration::from_secs(7200),
            apps: BTreeMap::new(),
            faults: Faults::default(),
            pay_merchants: Vec::new(),
        }
    }

    /// The embedded spec, with [`SandboxConfig::new`]'s defaults.
    pub fn embedded() -> Self {
        Self::new(crate::spec::embedded())
    }
}

/// A WeChat host by its spec name (`api`, `file`, `mp`, `qyapi`, `mch`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostName(pub Host);

impl PartialOrd for HostName {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for HostName {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl std::hash::Hash for HostName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.rank().hash(state);
    }
}

impl HostName {
    /// Position in [`HostName::ALL`]; the API host first.
    pub fn rank(self) -> u8 {
        match self.0 {
            Host::Api => 0,
            Host::File => 1,
            Host::Mp => 2,
            Host::Qyapi => 3,
            Host::Mch => 4,
        }
    }

    /// Every host.
    pub const ALL: [HostName; 5] = [
        HostName(Host::Api),
        HostName(Host::File),
        HostName(Host::Mp),
        HostName(Host::Qyapi),
        HostName(Host::Mch),
    ];

    /// The spec name.
    pub fn as_str(self) -> &'static str {
        match self.0 {
            Host::Api => "api",
            Host::File => "file",
            Host::Mp => "mp",
            Host::Qyapi => "qyapi",
            Host::Mch => "mch",
        }
    }

    /// The runtime's host of the same name.
    pub fn runtime(self) -> weixin_runtime::Host {
        match self.0 {
            Host::Api => weixin_runtime::Host::Api,
            Host::File => weixin_runtime::Host::File,
            Host::Mp => weixin_runtime::Host::Mp,
            Host::Qyapi => weixin_runtime::Host::Qyapi,
            Host::Mch => weixin_runtime::Host::Mch,
        }
    }
}

impl std::str::FromStr for HostName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        HostName::ALL
            .into_iter()
            .find(|h| h.as_str() == s)
            .ok_or_else(|| format!("unknown host {s:?}; one of api, file, mp, qyapi, mch"))
    }
}

impl std::fmt::Display for HostName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the sandbox answers `endpoint` with its built-in token issuer (when no example is
/// forced) rather than from its examples.
pub fn is_token_endpoint(endpoint: &weixin_codegen::ir::Endpoint) -> bool {
    routes::token_kind(endpoint.host, endpoint.method, &endpoint.path).is_some()
}

/// A running sandbox. Dropping it (or [`shutdown`](Self::shutdown)) stops the listeners.
pub struct Sandbox {
    state: Arc<state::State>,
    addr: SocketAddr,
    host_addrs: BTreeMap<HostName, SocketAddr>,
    stop: Option<tokio::sync::watch::Sender<bool>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Sandbox {
    /// Binds the listeners and starts serving on the current tokio runtime.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let mut extra = Vec::new();
        for (host, listen) in &config.host_listeners {
            let l = tokio::net::TcpListener::bind(listen).await?;
            extra.push((*host, l.local_addr()?, l));
        }
        let state = state::State::new(config, format!("http://{addr}"))
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let state = Arc::new(state);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mut tasks = vec![spawn(
            listener,
            http::router(state.clone(), None),
            stopped.clone(),
        )];
        let mut host_addrs = BTreeMap::new();
        for (host, host_addr, l) in extra {
            host_addrs.insert(host, host_addr);
            tasks.push(spawn(
                l,
                http::router(state.clone(), Some(host.0)),
                stopped.clone(),
            ));
        }
        Ok(Sandbox {
            state,
            addr,
            host_addrs,
            stop: Some(stop),
            tasks,
        })
    }

    /// Base URL of the main listener, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address of the main listener.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL a client should use for `host`: its own listener when configured, else
    /// the main listener (with the `/_host/<host>` prefix for every host but `api`, so paths
    /// shared by several hosts resolve right).
    pub fn url_for(&self, host: HostName) -> String {
        if let Some(addr) = self.host_addrs.get(&host) {
            return format!("http://{addr}");
        }
        match host.0 {
            Host::Api => self.url(),
            _ => format!("{}/_host/{}", self.url(), host.as_str()),
        }
    }

    /// A runtime client builder for `app_id` with every host pointed at this sandbox.
    pub fn client_builder(
        &self,
        app_id: &str,
        app_secret: &str,
    ) -> weixin_runtime::ClientBuilder<weixin_runtime::Client> {
        let mut builder = weixin_runtime::Client::builder(app_id, app_secret);
        for host in HostName::ALL {
            builder = builder.base_url(host.runtime(), &self.url_for(host));
        }
        builder
    }

    /// Every request handled so far, oldest first (at most the last 10 000).
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.state.journal()
    }

    /// How many handled requests went to `path` (on any host).
    pub fn count(&self, path: &str) -> usize {
        self.state
            .journal()
            .iter()
            .filter(|e| e.path == path)
            .count()
    }

    /// Makes `endpoint` (a spec id) answer with its example `example` until cleared; the
    /// request is still validated first. `None` clears it.
    pub fn force_example(&self, endpoint: &str, example: Option<&str>) -> Result<(), String> {
        self.state.force_example(endpoint, example)
    }

    /// Replaces the fault settings while running (e.g. after the first token fetch).
    pub fn set_faults(&self, faults: Faults) -> Result<(), String> {
        faults.validate()?;
        self.state.set_faults(faults);
        Ok(())
    }

    /// Verifies merchant `mchid`'s request signatures (certificate `serial_no`) against
    /// `public_key_pem` from now on.
    pub fn register_pay_merchant(
        &self,
        mchid: &str,
        serial_no: &str,
        public_key_pem: &str,
    ) -> Result<(), String> {
        self.state
            .register_merchant(mchid, serial_no, public_key_pem)
    }

    /// Expires every issued token now: the next call with one gets 42001.
    pub fn expire_tokens(&self) {
        self.state.expire_tokens();
    }

    /// Stops the listeners and waits for them.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.addr)
            .field("host_addrs", &self.host_addrs)
            .finish_non_exhaustive()
    }
}

/// Serves `router` on `listener` until `stopped` turns true.
fn spawn(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let shutdown = async move {
            while !*stopped.borrow() {
                if stopped.changed().await.is_err() {
                    break;
                }
            }
        };
        if let Err(e) = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
        {
            eprintln!("sandbox listener stopped: {e}");
        }
    })
}
