//! The sandbox's shared state and the path of one API request: route, faults, authentication,
//! validation, then the answer (forced example, token, stored media or chosen example). WeChat
//! Pay requests (the `mch` host) are authenticated by their `Authorization` header, refused
//! with Pay's own `{"code","message"}` errors, and every answer is signed ([`pay`]).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use serde_json::Value;
use weixin_codegen::ir::{
    Auth, BodyKind, ClientKind, Credential, Endpoint, Host, Ir, Method, Response,
};

use super::answer::{self, MEDIA_FIELDS};
use super::faults::{Dice, Fault};
use super::incoming::{BodyIn, Incoming};
use super::media::{self, Media, Stored};
use super::pay::{self, auth::Authorization, auth::Merchants, auth::Signed};
use super::routes::{self, Miss, Routes, Target, TokenKind};
use super::tokens::{BadAccount, Family, Refusal, Tokens};
use super::validate::{self, Problem};
use super::wire::Answer;
use super::{HostName, SandboxConfig};

/// Entries kept in the journal.
const JOURNAL_MAX: usize = 10_000;

/// One handled request, as the journal records it (never a token or secret).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct JournalEntry {
    /// `GET` or `POST`.
    pub method: String,
    /// Host the request resolved to (`api`, `qyapi`, …), if it resolved.
    pub host: Option<String>,
    /// Path, without the `/_host/…` prefix.
    pub path: String,
    /// Spec endpoint id, if any.
    pub endpoint: Option<String>,
    /// HTTP status answered.
    pub status: u16,
    /// errcode answered (0 for success), when the answer was JSON or bytes.
    pub errcode: Option<i64>,
    /// WeChat Pay error code answered (`ORDER_NOT_EXIST`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The injected fault, if any.
    pub fault: Option<String>,
    /// The example answered, if any.
    pub example: Option<String>,
}

/// Everything the handlers share.
pub struct State {
    ir: Arc<Ir>,
    endpoints: Vec<Endpoint>,
    routes: Routes,
    merchants: Mutex<Merchants>,
    base_url: String,
    tokens: Mutex<Tokens>,
    media: Mutex<Media>,
    dice: Mutex<Dice>,
    forced: Mutex<HashMap<String, String>>,
    journal: Mutex<VecDeque<JournalEntry>>,
}

/// Locks a mutex, recovering the data of a poisoned one (no lock is held across a panic
/// point that could leave the data half-written).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What one request produced, for the journal.
struct Outcome {
    answer: Answer,
    fault: Option<Fault>,
    example: Option<String>,
}

impl From<Answer> for Outcome {
    fn from(answer: Answer) -> Self {
        Outcome {
            answer,
            fault: None,
            example: None,
        }
    }
}

impl State {
    /// The state of a sandbox reachable at `base_url`; fails on a merchant key that does not
    /// parse.
    pub fn new(config: SandboxConfig, base_url: String) -> Result<State, String> {
        let endpoints: Vec<Endpoint> = config.ir.endpoints().cloned().collect();
        let mut merchants = Merchants::default();
        for m in &config.pay_merchants {
            merchants
                .register(&m.mchid, &m.serial_no, &m.public_key_pem)
                .map_err(|e| format!("merchant {}: {e}", m.mchid))?;
        }
        Ok(State {
            routes: Routes::new(&config.ir),
            endpoints,
            merchants: Mutex::new(merchants),
            base_url,
            tokens: Mutex::new(Tokens::new(config.token_ttl, config.apps)),
            media: Mutex::new(Media::default()),
            dice: Mutex::new(Dice::new(config.faults)),
            forced: Mutex::new(HashMap::new()),
            journal: Mutex::new(VecDeque::new()),
            ir: config.ir,
        })
    }

    /// Verifies the signatures of merchant `mchid`'s requests made with certificate
    /// `serial_no` against `public_key_pem` (a public key or the merchant API certificate).
    pub fn register_merchant(
        &self,
        mchid: &str,
        serial_no: &str,
        public_key_pem: &str,
    ) -> Result<(), String> {
        lock(&self.merchants).register(mchid, serial_no, public_key_pem)
    }

    /// The spec served.
    pub fn ir(&self) -> &Ir {
        &self.ir
    }

    /// Base URL of the main listener.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Paths served by several hosts.
    pub fn shared_paths(&self) -> Vec<(&'static str, String, Vec<HostName>)> {
        self.routes.shared_paths()
    }

    /// A copy of the journal.
    pub fn journal(&self) -> Vec<JournalEntry> {
        lock(&self.journal).iter().cloned().collect()
    }

    /// The stored file `id`.
    pub fn media(&self, id: &str) -> Option<Stored> {
        lock(&self.media).get(id).cloned()
    }

    /// Forces (or with `None` clears) the example `endpoint` answers with.
    pub fn force_example(&self, endpoint: &str, example: Option<&str>) -> Result<(), String> {
        let e = self
            .endpoints
            .iter()
            .find(|e| e.id == endpoint)
            .ok_or_else(|| format!("no endpoint with id {endpoint:?} in the spec"))?;
        let mut forced = lock(&self.forced);
        match example {
            None => {
                forced.remove(endpoint);
            }
            Some(name) => {
                if answer::named(e, name).is_none() {
                    let known: Vec<&str> = e.examples.iter().map(|x| x.name.as_str()).collect();
                    return Err(format!(
                        "{endpoint} has no example {name:?}; it has {}",
                        known.join(", ")
                    ));
                }
                forced.insert(endpoint.to_owned(), name.to_owned());
            }
        }
        Ok(())
    }

    /// Replaces the fault settings (a fresh generator from their seed).
    pub fn set_faults(&self, faults: super::Faults) {
        *lock(&self.dice) = Dice::new(faults);
    }

    /// Expires every issued token.
    pub fn expire_tokens(&self) {
        lock(&self.tokens).expire_all();
    }

    /// Answers one API request: `host` is the host the request named (prefix or listener).
    pub async fn serve(
        &self,
        host: Option<Host>,
        method: &str,
        path: &str,
        mut req: Incoming,
    ) -> Answer {
        let parsed = Method::ALL.into_iter().find(|m| m.as_str() == method);
        let body = req.json();
        let target = parsed
            .ok_or(Miss::WrongMethod)
            .and_then(|m| {
                self.routes
                    .resolve(host, m, path, &req.query, body.as_ref())
            })
            .map(|candidates| {
                // Endpoints sharing a route share its path template.
                if let Some(e) = candidates[0].endpoint.map(|i| &self.endpoints[i]) {
                    if !e.path_params.is_empty() {
                        req.path_params = routes::path_values(&e.path, path);
                    }
                }
                self.pick(candidates, &req)
            });
        let (outcome, resolved) = match target {
            Ok(target) => (self.serve_target(target, req).await, Some(target)),
            Err(miss) => (self.miss(host, parsed, method, path, miss).into(), None),
        };
        self.record(method, path, resolved, &outcome);
        let mut answer = outcome.answer;
        let on_mch = match resolved {
            Some(t) => t.host == Host::Mch,
            None => host == Some(Host::Mch) || path.starts_with("/v3/"),
        };
        if on_mch {
            pay::key::sign_answer(&mut answer);
        }
        answer
    }

    /// Picks among endpoints sharing one API: the one with a forced example (or the example
    /// the request names), then one with an example matching the request exactly, then the
    /// first.
    fn pick(&self, candidates: Vec<Target>, req: &Incoming) -> Target {
        if candidates.len() == 1 {
            return candidates[0];
        }
        let endpoint = |t: &Target| t.endpoint.map(|i| &self.endpoints[i]);
        let forced = lock(&self.forced);
        let by_force = candidates.iter().find(|t| {
            endpoint(t).is_some_and(|e| match &req.example {
                Some(name) => answer::named(e, name).is_some(),
                None => forced.contains_key(&e.id),
            })
        });
        if let Some(t) = by_force {
            return *t;
        }
        drop(forced);
        let media = lock(&self.media);
        candidates
            .iter()
            .find(|t| {
                endpoint(t)
                    .and_then(|e| answer::choose(e, req, &media))
                    .is_some_and(|c| c.exact)
            })
            .copied()
            .unwrap_or(candidates[0])
    }

    /// The answer to a request that resolved to no endpoint (WeChat Pay-shaped on the `mch`
    /// host and under `/v3/`).
    fn miss(
        &self,
        host: Option<Host>,
        method: Option<Method>,
        raw_method: &str,
        path: &str,
        miss: Miss,
    ) -> Answer {
        if host == Some(Host::Mch) || path.starts_with("/v3/") {
            return match miss {
                Miss::WrongMethod => pay::error(
                    405,
                    "METHOD_NOT_ALLOWED",
                    format!("sandbox: {raw_method} is not served at {path}"),
                ),
                Miss::NotFound => pay::error(
                    404,
                    "NOT_FOUND",
                    format!("sandbox: no WeChat Pay endpoint in the spec at {raw_method} {path}"),
                ),
            };
        }
        match (miss, method) {
            (Miss::WrongMethod, Some(Method::Post)) => Answer::error(43001, "require GET method"),
            (Miss::WrongMethod, Some(Method::Get)) => Answer::error(43002, "require POST method"),
            (Miss::WrongMethod, _) => {
                Answer::status(405, &format!("{raw_method} is not a WeChat API method"))
            }
            (Miss::NotFound, _) => Answer::status(
                404,
                &format!(
                    "sandbox: no endpoint in the spec at {raw_method} {path} (see GET /_sandbox)"
                ),
            ),
        }
    }

    /// Appends a journal entry.
    fn record(&self, method: &str, path: &str, target: Option<Target>, outcome: &Outcome) {
        let entry = JournalEntry {
            method: method.to_owned(),
            host: target.map(|t| HostName(t.host).as_str().to_owned()),
            path: path.to_owned(),
            endpoint: target
                .and_then(|t| t.endpoint)
                .map(|i| self.endpoints[i].id.clone()),
            status: outcome.answer.status,
            errcode: outcome.answer.errcode,
            code: outcome.answer.code.clone(),
            fault: outcome.fault.map(|f| f.name().to_owned()),
            example: outcome.example.clone(),
        };
        let mut journal = lock(&self.journal);
        if journal.len() >= JOURNAL_MAX {
            journal.pop_front();
        }
        journal.push_back(entry);
    }

    async fn serve_target(&self, target: Target, req: Incoming) -> Outcome {
        let endpoint = target.endpoint.map(|i| &self.endpoints[i]);
        let kind = endpoint.map(|e| self.kind_of(e));
        let is_pay = kind == Some(ClientKind::Pay) || target.host == Host::Mch;
        let token_call =
            endpoint.is_some_and(|e| matches!(e.auth, Auth::AccessToken | Auth::TokenParam(_)));
        let (latency, fault) = {
            let mut dice = lock(&self.dice);
            (dice.latency(), dice.draw(token_call))
        };
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        if let Some(fault) = fault {
            let answer = match fault {
                Fault::Unavailable if is_pay => {
                    pay::error(503, "SERVICE_UNAVAILABLE", "服务不可用，请稍后重试")
                }
                Fault::Busy if is_pay => pay::error(500, "SYSTEM_ERROR", "系统错误"),
                Fault::Quota if is_pay => pay::error(429, "FREQUENCY_LIMITED", "频率超限"),
                Fault::InvalidToken if kind == Some(ClientKind::WeCom) => {
                    Answer::error(40014, "invalid access_token")
                }
                Fault::Unavailable => Answer::status(503, "503 Service Unavailable"),
                Fault::Busy => Answer::error(-1, "system error"),
                Fault::Quota => Answer::error(45009, "reach max api daily quota limit"),
                Fault::InvalidToken => Answer::error(
                    40001,
                    "invalid credential, access_token is invalid or not latest",
                ),
            };
            return Outcome {
                answer,
                fault: Some(fault),
                example: None,
            };
        }
        if let Some(e) = endpoint {
            if is_pay {
                if let Err(answer) = self.pay_authenticate(e, &req) {
                    return answer.into();
                }
            } else if let Err(problem) = self
                .authenticate(e, target.token, &req)
                .and_then(|()| self.body_credentials(e, &req))
            {
                return refusal(problem).into();
            }
            if let Err(problem) = validate::request(&self.ir, e, &req) {
                return if is_pay {
                    pay::param_error(pay_message(&problem)).into()
                } else {
                    refusal(problem).into()
                };
            }
            if let Some(name) = self.forced_name(e, &req) {
                return self.forced(e, target.token, &name, &req);
            }
        }
        if let Some(kind) = target.token {
            return self.issue(kind, &req).into();
        }
        match endpoint {
            Some(e) => self.answer_from_examples(e, &req),
            None => Answer::status(404, "sandbox: no endpoint").into(),
        }
    }

    /// Checks the endpoint's authentication: the access token, or the account's credentials.
    fn authenticate(
        &self,
        e: &Endpoint,
        kind: Option<TokenKind>,
        req: &Incoming,
    ) -> Result<(), Problem> {
        match &e.auth {
            Auth::None => Ok(()),
            Auth::AccessToken => self.check_token(e, req, "access_token"),
            Auth::TokenParam(name) => self.check_token(e, req, name),
            Auth::Credentials(pairs) => {
                let mut id = None;
                let mut secret = None;
                for (name, credential) in pairs {
                    let value = req
                        .query(name)
                        .filter(|v| !v.is_empty())
                        .ok_or_else(|| validate::missing(&self.ir, name))?;
                    match credential {
                        Credential::AppId => id = Some(value),
                        Credential::AppSecret => secret = Some(value),
                        // Any merchant id is accepted: the sandbox has no merchant registry.
                        Credential::MchId => {}
                    }
                }
                match (id, secret) {
                    (Some(id), Some(secret)) => self.check_account(kind, id, secret),
                    _ => Ok(()),
                }
            }
        }
    }

    /// Checks that the credentials the client writes into the body (`component_appid`) are
    /// there.
    fn body_credentials(&self, e: &Endpoint, req: &Incoming) -> Result<(), Problem> {
        if e.body_credentials.is_empty() {
            return Ok(());
        }
        let body = req.json();
        for (name, _) in &e.body_credentials {
            let present = body
                .as_ref()
                .and_then(|b| b.get(name))
                .and_then(Value::as_str)
                .is_some_and(|v| !v.is_empty());
            if !present {
                return Err(validate::missing(&self.ir, name));
            }
        }
        Ok(())
    }

    /// Checks the token under query name `name`: a token issued for the endpoint's product
    /// (a component token for `component_access_token` and the Open Platform's APIs, a WeCom
    /// token on WeCom's, an app token otherwise). WeCom answers 40014 for a bad token.
    fn check_token(&self, e: &Endpoint, req: &Incoming, name: &str) -> Result<(), Problem> {
        let token = req
            .query(name)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| match name {
                "access_token" => problem(41001, "access_token missing"),
                _ => validate::missing(&self.ir, name),
            })?;
        let family = match self.kind_of(e) {
            _ if name == "component_access_token" => Family::Component,
            ClientKind::Component => Family::Component,
            ClientKind::WeCom => Family::WeCom,
            ClientKind::App | ClientKind::Pay => Family::App,
        };
        lock(&self.tokens)
            .check(token, family)
            .map(|_| ())
            .map_err(|r| match (r, family) {
                (Refusal::Invalid, Family::WeCom) => problem(40014, "invalid access_token"),
                _ => {
                    let (code, message) = r.code_and_message();
                    problem(code, message)
                }
            })
    }

    /// The client kind of `e`'s product.
    fn kind_of(&self, e: &Endpoint) -> ClientKind {
        self.ir.client_of(e).unwrap_or(ClientKind::App)
    }

    /// Checks a WeChat Pay request: a well-formed `Authorization` (verified for a registered
    /// merchant), then the merchant id the spec puts in the query or body, which must be the
    /// signing merchant's.
    fn pay_authenticate(&self, e: &Endpoint, req: &Incoming) -> Result<(), Answer> {
        let header = req
            .authorization
            .as_deref()
            .ok_or_else(|| pay::sign_error("the Authorization header is missing"))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let auth = Authorization::parse(header, now).map_err(pay::sign_error)?;
        let method = e.method.as_str();
        let signed = Signed {
            method,
            target: &req.target,
            body: req.signed_body(),
        };
        lock(&self.merchants)
            .check(&auth, signed)
            .map_err(pay::sign_error)?;
        let body = req.json();
        let query_ids = match &e.auth {
            Auth::Credentials(pairs) => pairs
                .iter()
                .filter(|(_, c)| *c == Credential::MchId)
                .map(|(name, _)| (name, req.query(name).map(str::to_owned)))
                .collect(),
            _ => Vec::new(),
        };
        let body_ids = e
            .body_credentials
            .iter()
            .filter(|(_, c)| *c == Credential::MchId)
            .map(|(name, _)| {
                let value = body
                    .as_ref()
                    .and_then(|b| b.get(name))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                (name, value)
            });
        for (name, value) in query_ids.into_iter().chain(body_ids) {
            match value.filter(|v| !v.is_empty()) {
                None => return Err(pay::param_error(format!("missing {name}"))),
                Some(v) if v != auth.mchid => {
                    return Err(pay::param_error(format!(
                        "{name} {v} is not the merchant {} that signed the request",
                        auth.mchid
                    )));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Checks an account against the configured ones, with the errcode of the token endpoint.
    fn check_account(
        &self,
        kind: Option<TokenKind>,
        id: &str,
        secret: &str,
    ) -> Result<(), Problem> {
        match lock(&self.tokens).check_account(id, secret) {
            Ok(()) => Ok(()),
            Err(BadAccount::UnknownApp) => Err(problem(40013, "invalid appid")),
            Err(BadAccount::WrongSecret) => Err(match kind {
                Some(TokenKind::Classic | TokenKind::WeCom) => problem(
                    40001,
                    "invalid credential, access_token is invalid or not latest",
                ),
                _ => problem(40125, "invalid appsecret"),
            }),
        }
    }

    /// The example forced for this request: the header first, then the sticky setting.
    fn forced_name(&self, e: &Endpoint, req: &Incoming) -> Option<String> {
        req.example
            .clone()
            .or_else(|| lock(&self.forced).get(&e.id).cloned())
    }

    /// Answers a forced example verbatim; a forced token example registers its token.
    fn forced(&self, e: &Endpoint, kind: Option<TokenKind>, name: &str, req: &Incoming) -> Outcome {
        let Some(example) = answer::named(e, name) else {
            let known: Vec<&str> = e.examples.iter().map(|x| x.name.as_str()).collect();
            let message = format!(
                "sandbox: {} has no example {name:?}; it has {}",
                e.id,
                known.join(", ")
            );
            return Answer::control(400, &serde_json::json!({ "error": message })).into();
        };
        if let (Some(kind), false, Some(text)) = (kind, example.is_error(), &example.response) {
            self.register_example_token(kind, text, req);
        }
        Outcome {
            answer: answer::render(example, seed_of(&e.id)),
            fault: None,
            example: Some(example.name.clone()),
        }
    }

    /// Registers the token of a token endpoint's success example as valid.
    fn register_example_token(&self, kind: TokenKind, text: &str, req: &Incoming) {
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            return;
        };
        let token = value
            .get("access_token")
            .or_else(|| value.get("component_access_token"))
            .and_then(Value::as_str);
        let ttl = value
            .get("expires_in")
            .and_then(Value::as_u64)
            .unwrap_or(7200);
        if let Some(token) = token {
            let account = account_of(kind, req).map(|(id, _)| id).unwrap_or_default();
            lock(&self.tokens).register(kind, &account, token, std::time::Duration::from_secs(ttl));
        }
    }

    /// A built-in token endpoint: checks the credentials and issues a token.
    fn issue(&self, kind: TokenKind, req: &Incoming) -> Answer {
        let needs_json = matches!(kind, TokenKind::Stable | TokenKind::Component);
        let body = match (needs_json, &req.body) {
            (false, _) => None,
            (true, BodyIn::Bytes(bytes)) if !bytes.is_empty() => {
                match serde_json::from_slice::<Value>(bytes) {
                    Ok(Value::Object(body)) => Some(body),
                    _ => return Answer::error(47001, "data format error"),
                }
            }
            (true, _) => return Answer::error(44002, "empty post data"),
        };
        let field = |name: &str| -> Option<String> {
            match &body {
                Some(body) => body.get(name).and_then(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    _ => None,
                }),
                None => req.query(name).map(str::to_owned),
            }
            .filter(|s| !s.is_empty())
        };
        let (id_name, secret_name) = credential_names(kind);
        let Some(id) = field(id_name) else {
            return Answer::error(
                validate::missing_code(&self.ir, id_name),
                format!("missing {id_name}"),
            );
        };
        let Some(secret) = field(secret_name) else {
            return Answer::error(
                validate::missing_code(&self.ir, secret_name),
                format!("missing {secret_name}"),
            );
        };
        if matches!(kind, TokenKind::Classic | TokenKind::Stable)
            && field("grant_type").as_deref() != Some("client_credential")
        {
            return Answer::error(40002, "invalid grant_type");
        }
        if kind == TokenKind::Component && field("component_verify_ticket").is_none() {
            return refusal(validate::missing(&self.ir, "component_verify_ticket"));
        }
        if let Err(p) = self.check_account(Some(kind), &id, &secret) {
            return refusal(p);
        }
        let force = body
            .as_ref()
            .and_then(|b| b.get("force_refresh"))
            .is_some_and(|v| v == &Value::Bool(true) || v == &Value::from(1));
        let account = match kind {
            TokenKind::WeCom => format!("{id}\n{secret}"),
            _ => id,
        };
        let grant = lock(&self.tokens).issue(kind, &account, force);
        let value = match kind {
            TokenKind::Component => serde_json::json!({
                "component_access_token": grant.token, "expires_in": grant.expires_in
            }),
            TokenKind::WeCom => serde_json::json!({
                "errcode": 0, "errmsg": "ok", "access_token": grant.token, "expires_in": grant.expires_in
            }),
            TokenKind::Classic | TokenKind::Stable => serde_json::json!({
                "access_token": grant.token, "expires_in": grant.expires_in
            }),
        };
        Answer::json(&value)
    }

    /// Answers from the examples, with uploads stored and stored media downloaded.
    fn answer_from_examples(&self, e: &Endpoint, req: &Incoming) -> Outcome {
        if matches!(e.response, Response::Binary) {
            let media = lock(&self.media);
            if let Some(stored) = answer::media_ids(req).iter().find_map(|id| media.get(id)) {
                return Answer::bytes(
                    &stored.content_type,
                    stored.bytes.clone(),
                    Some(&stored.file_name),
                )
                .into();
            }
        }
        let choice = {
            let media = lock(&self.media);
            answer::choose(e, req, &media)
        };
        let Some(choice) = choice else {
            return Answer::error(
                -1,
                format!("sandbox: {} has no example to answer with", e.id),
            )
            .into();
        };
        let example = choice.example;
        let mut answer = answer::render(example, seed_of(&e.id));
        if let (false, Some(text)) = (example.is_error(), &example.response) {
            let stored = (e.body == BodyKind::Multipart)
                .then(|| self.store_uploads(text, req))
                .flatten();
            let echoed = stored.or_else(|| {
                (!choice.exact)
                    .then(|| answer::echo_request(text, req))
                    .flatten()
            });
            if let Some(text) = echoed {
                answer = Answer::json_text(&text);
            }
        }
        Outcome {
            answer,
            fault: None,
            example: Some(example.name.clone()),
        }
    }

    /// Stores the uploaded files and puts the new id (and a URL serving the file) into the
    /// example's answer in place of its `media_id`, `thumb_media_id` and `url`.
    fn store_uploads(&self, text: &str, req: &Incoming) -> Option<String> {
        let BodyIn::Multipart(form) = &req.body else {
            return None;
        };
        let file = form.files.first()?;
        let content_type =
            if file.content_type.is_empty() || file.content_type == "application/octet-stream" {
                media::guess_content_type(&file.file_name).to_owned()
            } else {
                file.content_type.clone()
            };
        let id = lock(&self.media).store(Stored {
            bytes: file.bytes.clone(),
            content_type,
            file_name: file.file_name.clone(),
        });
        let Ok(Value::Object(mut response)) = serde_json::from_str::<Value>(text) else {
            return None;
        };
        for name in MEDIA_FIELDS {
            if response.contains_key(name) {
                response.insert(name.to_owned(), Value::String(id.clone()));
            }
        }
        if response.contains_key("url") {
            let url = format!("{}/_sandbox/media/{id}", self.base_url);
            response.insert("url".into(), Value::String(url));
        }
        if response.contains_key("created_at") {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            response.insert("created_at".into(), Value::from(now));
        }
        Some(Value::Object(response).to_string())
    }
}

/// The account id and secret a token request carries.
fn account_of(kind: TokenKind, req: &Incoming) -> Option<(String, String)> {
    let (id_name, secret_name) = credential_names(kind);
    let from_body = req.json();
    let get = |name: &str| match &from_body {
        Some(Value::Object(b)) => b.get(name).and_then(Value::as_str).map(str::to_owned),
        _ => req.query(name).map(str::to_owned),
    };
    Some((get(id_name)?, get(secret_name).unwrap_or_default()))
}

/// The names of the account id and secret of a token endpoint.
fn credential_names(kind: TokenKind) -> (&'static str, &'static str) {
    match kind {
        TokenKind::Classic | TokenKind::Stable => ("appid", "secret"),
        TokenKind::WeCom => ("corpid", "corpsecret"),
        TokenKind::Component => ("component_appid", "component_appsecret"),
    }
}

/// A validation problem as a WeChat Pay `PARAM_ERROR` message.
fn pay_message(p: &Problem) -> String {
    p.message
        .strip_prefix("invalid args: ")
        .unwrap_or(&p.message)
        .to_owned()
}

/// A problem as WeChat's error answer.
fn refusal(p: Problem) -> Answer {
    Answer::error(p.code, p.message)
}

fn problem(code: i64, message: &str) -> Problem {
    Problem {
        code,
        message: message.to_owned(),
    }
}

/// A stable seed from an endpoint id, so generated images are the same run to run.
fn seed_of(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}
