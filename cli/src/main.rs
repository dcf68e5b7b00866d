//! `weixin`: an offline WeChat sandbox, a push simulator, and every spec endpoint from the
//! shell. `weixin --help` lists the commands.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use weixin_cli::call::{self, Account, CallInput};
use weixin_cli::pay_call::{self, Merchant};
use weixin_cli::sandbox::pay;
use weixin_cli::sandbox::{Faults, HostName, PayMerchant, Sandbox, SandboxConfig};
use weixin_cli::simulate::{self, Simulation};
use weixin_cli::{catalog, demo, local, spec};
use weixin_codegen::ir::ClientKind;

/// The WeChat SDK's command line: an offline WeChat, a push simulator, any endpoint.
#[derive(Parser)]
#[command(name = "weixin", version, about, long_about = None)]
struct Cli {
    /// Use the spec tree in DIR instead of the one built in.
    #[arg(long, global = true, value_name = "DIR")]
    spec: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the offline demo: sandbox, client, upload, echo bot, simulated push.
    Demo,
    /// Serve WeChat's APIs offline, as the spec describes them.
    #[command(after_help = SANDBOX_PAY_HELP)]
    Sandbox(SandboxArgs),
    /// Send a WeChat-shaped push to a webhook and show the reply.
    Simulate(SimulateArgs),
    /// List products, groups and endpoints, or show one endpoint's docs.
    List {
        /// `product`, `product.group`, or an endpoint (`product.group.call` or its id).
        filter: Option<String>,
    },
    /// Call an endpoint and print the JSON answer.
    Call(CallArgs),
    /// Fetch the account's access token and show its expiry.
    Token(TokenArgs),
    /// Run the echo bot (a text gets `echo: <content>`).
    EchoBot(EchoBotArgs),
    /// Post a signed, encrypted WeChat Pay notification to a notify_url and show the answer.
    PayNotify(PayNotifyArgs),
}

#[derive(Args)]
struct PayNotifyArgs {
    /// The receiver (your `notify_url`), e.g. http://127.0.0.1:8080/pay/notify.
    #[arg(long)]
    url: String,
    /// The merchant's APIv3 key (32 characters) the resource is encrypted with.
    #[arg(long, env = "WEIXIN_APIV3_KEY", hide_env_values = true)]
    apiv3_key: String,
    /// The event type.
    #[arg(long = "event", default_value = "TRANSACTION.SUCCESS")]
    event: String,
    /// A JSON file with the resource (plaintext); default: the spec's order (or refund) query
    /// example.
    #[arg(long, value_name = "FILE")]
    resource_file: Option<PathBuf>,
    /// The key that signs: `default` (the sandbox's public test key, id
    /// PUB_KEY_ID_0100SANDBOX0000000000000001) or a PEM private key file (with --key-id).
    #[arg(long, default_value = "default", value_name = "default|PEM_FILE")]
    sandbox_key: String,
    /// The `Wechatpay-Serial` to send with a --sandbox-key file.
    #[arg(long, value_name = "ID")]
    key_id: Option<String>,
}

/// What `weixin sandbox --help` says about WeChat Pay.
const SANDBOX_PAY_HELP: &str = "WeChat Pay (host mch, /v3/...): answers are signed with a built-in PUBLIC TEST key, \
id PUB_KEY_ID_0100SANDBOX0000000000000001; its PEM is at GET /_sandbox/pay/public-key, and the banner \
prints a file holding it. Requests need a WECHATPAY2-SHA256-RSA2048 Authorization header.";

#[derive(Args)]
struct SandboxArgs {
    /// Address of the main listener (every host; `/_host/<host>/…` for a specific one).
    #[arg(long, default_value = "127.0.0.1:8788")]
    listen: SocketAddr,
    /// An extra listener serving one host at its root, e.g. `qyapi=127.0.0.1:8789`.
    #[arg(long = "host-port", value_name = "HOST=ADDR", value_parser = parse_host_port)]
    host_ports: Vec<(HostName, SocketAddr)>,
    /// Lifetime of issued tokens, in seconds.
    #[arg(long, default_value_t = 7200, value_name = "SECS")]
    token_ttl: u64,
    /// Accept only this account (repeatable); by default any AppID and secret are accepted.
    #[arg(long = "app", value_name = "APPID:SECRET", value_parser = parse_app)]
    apps: Vec<(String, String)>,
    /// Share of token calls answered 40001 (invalid token).
    #[arg(long, default_value_t = 0.0, value_name = "RATE")]
    fail_rate_40001: f64,
    /// Share of calls answered 45009 (daily quota exhausted).
    #[arg(long, default_value_t = 0.0, value_name = "RATE")]
    fail_rate_45009: f64,
    /// Share of calls answered -1 (system busy).
    #[arg(long, default_value_t = 0.0, value_name = "RATE")]
    fail_rate_busy: f64,
    /// Share of calls answered HTTP 503.
    #[arg(long, default_value_t = 0.0, value_name = "RATE")]
    fail_rate_5xx: f64,
    /// Latency added to every API answer, in milliseconds.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    latency_ms: u64,
    /// Seed of the fault draws, to repeat a run exactly.
    #[arg(long)]
    seed: Option<u64>,
    /// Verify a Pay merchant's signatures: public key or certificate PEM (repeatable)
    #[arg(long = "pay-merchant", value_name = "ID:SERIAL:PEM", value_parser = parse_pay_merchant)]
    pay_merchants: Vec<PayMerchant>,
}

#[derive(Args)]
struct SimulateArgs {
    /// The webhook (push URL), e.g. http://127.0.0.1:8080/wx.
    #[arg(long, required_unless_present = "list")]
    url: Option<String>,
    /// The push Token configured for the URL.
    #[arg(
        long,
        env = "WEIXIN_TOKEN",
        hide_env_values = true,
        required_unless_present = "list"
    )]
    token: Option<String>,
    /// Message or event type: a variant (`Text`, `Subscribe`) or match values (`event.subscribe`).
    #[arg(long = "type", default_value = "text")]
    kind: String,
    /// Which of the type's spec examples to start from (default: the first).
    #[arg(long)]
    example: Option<String>,
    /// Sets `Content` (text messages).
    #[arg(long)]
    content: Option<String>,
    /// Sets `FromUserName` (the user's OpenID).
    #[arg(long)]
    from: Option<String>,
    /// Sets any field: `NAME=VALUE` (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    sets: Vec<String>,
    /// The `MsgId` to send (default: random).
    #[arg(long)]
    msg_id: Option<u64>,
    /// Safe mode: encrypt the push and decrypt the reply (needs --aes-key and --app-id).
    #[arg(long, requires_all = ["aes_key", "app_id"])]
    encrypt: bool,
    /// The 43-character EncodingAESKey.
    #[arg(long, env = "WEIXIN_ENCODING_AES_KEY", hide_env_values = true)]
    aes_key: Option<String>,
    /// The receive id: AppID (or CorpID).
    #[arg(long, env = "WEIXIN_APP_ID")]
    app_id: Option<String>,
    /// Send the same push this many times (WeChat retries three times).
    #[arg(long, default_value_t = 1)]
    repeat: u32,
    /// First send the URL-verification GET (signature + echostr).
    #[arg(long)]
    verify: bool,
    /// List the push types of the spec and exit.
    #[arg(long)]
    list: bool,
}

#[derive(Args)]
struct ClientArgs {
    /// A `weixin sandbox` (or any WeChat look-alike) to talk to instead of WeChat.
    #[arg(long, env = "WEIXIN_BASE_URL")]
    base_url: Option<String>,
    /// The base URL of one host: `HOST=URL` (repeatable).
    #[arg(long = "host-url", value_name = "HOST=URL", value_parser = parse_host_url)]
    host_urls: Vec<(HostName, String)>,
    /// A TOML file with `app_id`, `app_secret` and optionally `base_url`; WEIXIN_APP_ID and
    /// WEIXIN_APP_SECRET override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Args)]
struct CallArgs {
    /// The endpoint: `product.group.call` (see `weixin list`) or its id.
    endpoint: String,
    /// Inputs as `name=value` (`name=@path` for a file).
    params: Vec<String>,
    /// Inputs as one JSON object.
    #[arg(long)]
    json: Option<String>,
    /// Use this token instead of fetching the account's (e.g. a component_access_token).
    #[arg(long)]
    token: Option<String>,
    /// Where to write a binary answer.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Args)]
struct TokenArgs {
    /// Print the whole token.
    #[arg(long)]
    show: bool,
    /// Force a new token (`force_refresh`; WeChat allows 20 a day).
    #[arg(long)]
    refresh: bool,
    /// Use the classic `cgi-bin/token` (every call issues a new token).
    #[arg(long, conflicts_with = "refresh")]
    classic: bool,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Args)]
struct EchoBotArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The push Token.
    #[arg(long, env = "WEIXIN_TOKEN", hide_env_values = true)]
    token: String,
    /// The AppID (receive id in safe mode).
    #[arg(long, env = "WEIXIN_APP_ID")]
    app_id: String,
    /// Safe mode: the EncodingAESKey.
    #[arg(long, env = "WEIXIN_ENCODING_AES_KEY", hide_env_values = true)]
    aes_key: Option<String>,
}

/// Writes a line to stdout; a closed pipe (`weixin list | head`) ends the program quietly
/// instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => { emit(&format!($($arg)*)) };
}

fn emit(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

/// Stdout for streamed output (the demo's steps), with [`emit`]'s handling of a closed pipe.
struct Stdout;

impl std::io::Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut out = std::io::stdout().lock();
        match out.write_all(buf).and_then(|()| out.flush()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
            other => other.map(|()| buf.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().flush()
    }
}

fn parse_host_port(s: &str) -> Result<(HostName, SocketAddr), String> {
    let (host, addr) = s.split_once('=').ok_or("expected HOST=ADDR")?;
    Ok((
        host.parse()?,
        addr.parse().map_err(|e| format!("{addr}: {e}"))?,
    ))
}

fn parse_host_url(s: &str) -> Result<(HostName, String), String> {
    let (host, url) = s.split_once('=').ok_or("expected HOST=URL")?;
    Ok((host.parse()?, url.to_owned()))
}

fn parse_app(s: &str) -> Result<(String, String), String> {
    let (id, secret) = s.split_once(':').ok_or("expected APPID:SECRET")?;
    if id.is_empty() || secret.is_empty() {
        return Err("expected APPID:SECRET".into());
    }
    Ok((id.to_owned(), secret.to_owned()))
}

fn parse_pay_merchant(s: &str) -> Result<PayMerchant, String> {
    let mut parts = s.splitn(3, ':');
    let (Some(mchid), Some(serial_no), Some(file)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err("expected MCHID:SERIAL:PEM_FILE".into());
    };
    if mchid.is_empty() || serial_no.is_empty() || file.is_empty() {
        return Err("expected MCHID:SERIAL:PEM_FILE".into());
    }
    let public_key_pem = local::read_text(file)?;
    Ok(PayMerchant {
        mchid: mchid.to_owned(),
        serial_no: serial_no.to_owned(),
        public_key_pem,
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// An answer's body as printed: trimmed, or `(empty)`.
fn shown(body: &str) -> &str {
    if body.is_empty() {
        "(empty)"
    } else {
        body.trim()
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let ir = spec::select(cli.spec.as_deref())?;
    match cli.command {
        Command::Demo => demo::run(&mut Stdout).await.map_err(|e| e.to_string()),
        Command::Sandbox(args) => sandbox(ir, args).await,
        Command::Simulate(args) => simulate(&ir, args).await,
        Command::List { filter } => {
            say!("{}", catalog::list(&ir, filter.as_deref())?.trim_end());
            Ok(())
        }
        Command::Call(args) => {
            let input = CallInput {
                json: args.json,
                params: args.params,
                token: args.token,
                output: args.output,
            };
            let pay_endpoint = spec::find_endpoint(&ir, &args.endpoint)
                .filter(|e| ir.client_of(e) == Some(ClientKind::Pay));
            let answer = match pay_endpoint {
                Some(endpoint) => {
                    let merchant = Merchant::load(
                        args.client.config.as_deref(),
                        args.client.base_url,
                        args.client.host_urls.into_iter().collect(),
                    )?;
                    pay_call::call(endpoint, &merchant, &input).await?
                }
                None => {
                    let account = account(args.client)?;
                    call::call(&ir, &args.endpoint, &account, &input).await?
                }
            };
            say!("{answer}");
            Ok(())
        }
        Command::PayNotify(args) => pay_notify(&ir, args).await,
        Command::Token(args) => {
            let account = account(args.client)?;
            say!(
                "{}",
                call::token(&account, args.show, args.refresh, args.classic).await?
            );
            Ok(())
        }
        Command::EchoBot(args) => {
            let service =
                weixin_cli::echo::service(&args.token, &args.app_id, args.aes_key.as_deref())?;
            let listener = tokio::net::TcpListener::bind(args.listen)
                .await
                .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
            say!("echo bot on http://{}/wx", args.listen);
            weixin_cli::echo::serve(listener, service, "/wx")
                .await
                .map_err(|e| e.to_string())
        }
    }
}

fn account(args: ClientArgs) -> Result<Account, String> {
    Account::load(
        args.config.as_deref(),
        args.base_url,
        args.host_urls.into_iter().collect(),
    )
}

async fn sandbox(ir: std::sync::Arc<weixin_codegen::Ir>, args: SandboxArgs) -> Result<(), String> {
    let faults = Faults {
        rate_40001: args.fail_rate_40001,
        rate_45009: args.fail_rate_45009,
        rate_busy: args.fail_rate_busy,
        rate_5xx: args.fail_rate_5xx,
        latency: Duration::from_millis(args.latency_ms),
        seed: args.seed,
    };
    faults.validate()?;
    if args.token_ttl == 0 {
        return Err("--token-ttl must be at least 1 second".into());
    }
    let endpoints = ir.endpoints().count();
    let config = SandboxConfig {
        ir,
        listen: args.listen,
        host_listeners: args.host_ports.into_iter().collect(),
        token_ttl: Duration::from_secs(args.token_ttl),
        apps: args.apps.into_iter().collect::<BTreeMap<_, _>>(),
        faults,
        pay_merchants: args.pay_merchants,
    };
    let merchants = config.pay_merchants.len();
    let accounts = config.apps.len();
    let sandbox = Sandbox::start(config)
        .await
        .map_err(|e| format!("cannot start on {}: {e}", args.listen))?;
    say!(
        "weixin sandbox: {endpoints} endpoints, listening on {}",
        sandbox.url()
    );
    for host in HostName::ALL {
        say!("  {:6} {}", host.as_str(), sandbox.url_for(host));
    }
    say!(
        "  accounts: {}; tokens live {} s; control: {}/_sandbox",
        if accounts == 0 {
            "any".to_owned()
        } else {
            accounts.to_string()
        },
        args.token_ttl,
        sandbox.url()
    );
    let key_file = std::env::temp_dir().join("weixin-sandbox-pay-public-key.pem");
    let key_path = match std::fs::write(&key_file, pay::key::PUBLIC_KEY_PEM) {
        Ok(()) => key_file.display().to_string(),
        Err(e) => format!("(cannot write {}: {e})", key_file.display()),
    };
    say!(
        "  WeChat Pay: answers signed by {} (a public test key), PEM {key_path}; also GET {}/_sandbox/pay/public-key; merchants verified: {}",
        pay::key::PUBLIC_KEY_ID,
        sandbox.url(),
        if merchants == 0 {
            "none (any signature accepted)".to_owned()
        } else {
            merchants.to_string()
        }
    );
    say!("Ctrl-C stops it.");
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
    sandbox.shutdown().await;
    Ok(())
}

async fn pay_notify(ir: &weixin_codegen::Ir, args: PayNotifyArgs) -> Result<(), String> {
    let resource = match &args.resource_file {
        Some(path) => serde_json::from_str(&local::read_text(path)?)
            .map_err(|e| format!("{}: {e}", path.display()))?,
        None => pay::notify::default_resource(ir, &args.event)?,
    };
    let own_key;
    let signer = match (args.sandbox_key.as_str(), args.key_id) {
        ("default", None) => pay::key::Signer::sandbox()?,
        ("default", Some(_)) => return Err("--key-id goes with a --sandbox-key file".into()),
        (file, Some(id)) => {
            let pem = local::read_text(file)?;
            own_key = pay::key::Signer::new(&pem, id)?;
            &own_key
        }
        (_, None) => return Err("a --sandbox-key file needs --key-id PUB_KEY_ID_…".into()),
    };
    let notice = pay::notify::Notice {
        url: args.url,
        apiv3_key: args.apiv3_key,
        event_type: args.event,
        resource,
    };
    say!(
        "notification {} signed by {} to {}",
        notice.event_type,
        signer.serial(),
        notice.url
    );
    let delivery = pay::notify::send(&notice, signer).await?;
    say!("HTTP {}", delivery.status);
    say!("answer: {}", shown(&delivery.body));
    if !(200..300).contains(&delivery.status) {
        return Err("the receiver refused the notification".into());
    }
    Ok(())
}

async fn simulate(ir: &weixin_codegen::Ir, args: SimulateArgs) -> Result<(), String> {
    let push = ir.push().ok_or("the spec has no push/ directory")?;
    if args.list {
        for m in &push.messages {
            let examples: Vec<&str> = m.examples.iter().map(|x| x.name.as_str()).collect();
            say!(
                "{:24} {:40} {}  [{}]",
                m.rust,
                simulate::type_name(m),
                m.summary,
                examples.join(", ")
            );
        }
        return Ok(());
    }
    let (Some(url), Some(token)) = (args.url, args.token) else {
        return Err("--url and --token are required".into());
    };
    let message = simulate::find_message(push, &args.kind)?;
    let mut overrides = Vec::new();
    if let Some(c) = args.content {
        overrides.push(("Content".to_owned(), c));
    }
    if let Some(f) = args.from {
        overrides.push(("FromUserName".to_owned(), f));
    }
    for s in &args.sets {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| format!("--set {s:?}: expected NAME=VALUE"))?;
        overrides.push((k.to_owned(), v.to_owned()));
    }
    let body = simulate::build(message, args.example.as_deref(), args.msg_id, &overrides)?;
    if args.verify {
        simulate::verify_url(&url, &token).await?;
        say!("URL verification: ok");
    }
    let encrypt = match (args.encrypt, args.aes_key, args.app_id) {
        (true, Some(key), Some(app_id)) => Some((key, app_id)),
        (true, _, _) => return Err("--encrypt needs --aes-key and --app-id".into()),
        _ => None,
    };
    let mode = if encrypt.is_some() {
        "safe mode (aes)"
    } else {
        "plain"
    };
    say!(
        "push {} ({mode}) to {url}:\n{body}\n",
        simulate::type_name(message)
    );
    let sim = Simulation {
        url,
        token,
        encrypt,
        body,
        repeat: args.repeat,
    };
    let deliveries = simulate::send(&sim).await?;
    for (i, d) in deliveries.iter().enumerate() {
        say!("delivery {}: HTTP {}", i + 1, d.status);
        if i == 0 || d.plain != deliveries[0].plain {
            say!("reply: {}", shown(&d.plain));
            let parsed = serde_json::to_string_pretty(&d.parsed).unwrap_or_default();
            say!("parsed: {parsed}");
        }
    }
    if deliveries.len() > 1 {
        let same = deliveries.iter().all(|d| d.plain == deliveries[0].plain);
        say!(
            "{} deliveries, replies {}",
            deliveries.len(),
            if same { "identical" } else { "DIFFER" }
        );
    }
    if deliveries.iter().any(|d| d.status != 200) {
        return Err("the webhook refused the push".into());
    }
    Ok(())
}
