//! `weixin call` and `weixin token`: any spec endpoint from the shell, with the account from
//! the environment or a config file, validated against the spec before anything is sent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};
use weixin_codegen::ir::{Auth, BodyKind, Credential, Endpoint, Ir, Response, Retry, Ty};
use weixin_runtime::{Client, Method};

use crate::local;
use crate::sandbox::HostName;
use crate::spec;

/// Where a client command talks to, and as whom.
#[derive(Clone, Debug, Default)]
pub struct Account {
    /// AppID (or CorpID).
    pub app_id: String,
    /// AppSecret.
    pub app_secret: String,
    /// Base URL of every host (a `weixin sandbox`): the API host at it, the others under
    /// `/_host/<host>`.
    pub base_url: Option<String>,
    /// Exact base URLs per host, overriding `base_url`.
    pub host_urls: BTreeMap<HostName, String>,
}

/// The config file: `app_id`, `app_secret`, optional `base_url`.
#[derive(serde::Deserialize)]
struct ConfigFile {
    app_id: Option<String>,
    app_secret: Option<String>,
    base_url: Option<String>,
}

impl Account {
    /// The account from `config` (a TOML file), then `WEIXIN_APP_ID` / `WEIXIN_APP_SECRET` /
    /// `WEIXIN_BASE_URL`, then `base_url` and `host_urls` from the command line.
    pub fn load(
        config: Option<&Path>,
        base_url: Option<String>,
        host_urls: BTreeMap<HostName, String>,
    ) -> Result<Account, String> {
        let mut account = Account::default();
        if let Some(path) = config {
            let file: ConfigFile = local::read_toml(path)?;
            account.app_id = file.app_id.unwrap_or_default();
            account.app_secret = file.app_secret.unwrap_or_default();
            account.base_url = file.base_url;
        }
        let env = local::env_var;
        if let Some(v) = env("WEIXIN_APP_ID") {
            account.app_id = v;
        }
        if let Some(v) = env("WEIXIN_APP_SECRET") {
            account.app_secret = v;
        }
        if let Some(v) = env("WEIXIN_BASE_URL") {
            account.base_url = Some(v);
        }
        if base_url.is_some() {
            account.base_url = base_url;
        }
        account.host_urls = host_urls;
        if account.app_id.is_empty() || account.app_secret.is_empty() {
            return Err(
                "no account: set WEIXIN_APP_ID and WEIXIN_APP_SECRET, or pass --config FILE \
                 (app_id = \"…\", app_secret = \"…\")"
                    .into(),
            );
        }
        Ok(account)
    }

    /// The base URL of `host`.
    pub fn url_for(&self, host: HostName) -> String {
        if let Some(url) = self.host_urls.get(&host) {
            return url.trim_end_matches('/').to_owned();
        }
        match &self.base_url {
            Some(base) if host.0 == weixin_codegen::ir::Host::Api => {
                base.trim_end_matches('/').to_owned()
            }
            Some(base) => format!("{}/_host/{}", base.trim_end_matches('/'), host.as_str()),
            None => host.runtime().default_base_url().to_owned(),
        }
    }

    /// A runtime client for the account, fetching tokens from `source` (`gettoken` for a
    /// WeCom corp, `stable_token` for an app).
    pub fn client(&self, source: weixin_runtime::TokenSource) -> Result<Client, String> {
        let mut builder = Client::builder(&self.app_id, &self.app_secret)
            .token_source(source)
            .timeout(Duration::from_secs(30))
            .errcodes(&weixin::errcode::TABLE);
        for host in HostName::ALL {
            builder = builder.base_url(host.runtime(), &self.url_for(host));
        }
        builder.build().map_err(|e| e.to_string())
    }
}

/// The arguments of one call, as given on the command line.
#[derive(Clone, Debug, Default)]
pub struct CallInput {
    /// `--json '{…}'`.
    pub json: Option<String>,
    /// `name=value` pairs; `name=@path` for a file part.
    pub params: Vec<String>,
    /// `--token`: use this token instead of fetching the account's.
    pub token: Option<String>,
    /// `--output`: where a binary answer goes.
    pub output: Option<PathBuf>,
}

/// A request checked against the spec, split into its parts.
#[derive(Debug, Default, PartialEq)]
pub struct Prepared {
    /// Values of the path's `{name}` segments.
    pub path: Vec<(String, String)>,
    /// Query parameters (fixed values included).
    pub query: Vec<(String, String)>,
    /// The JSON body, for `body = "json"`.
    pub body: Option<Value>,
    /// Text parts, for multipart.
    pub texts: Vec<(String, String)>,
    /// File parts: form name and path.
    pub files: Vec<(String, PathBuf)>,
}

/// Merges `--json` and `name=value` arguments and checks them against `endpoint`: unknown
/// names (with a suggestion), missing required fields, values of the wrong type.
pub fn prepare(endpoint: &Endpoint, input: &CallInput) -> Result<Prepared, String> {
    let mut given: Map<String, Value> = match &input.json {
        Some(text) => match serde_json::from_str(text) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return Err("--json must be a JSON object".into()),
            Err(e) => return Err(format!("--json is not valid JSON: {e}")),
        },
        None => Map::new(),
    };
    let mut files = Vec::new();
    for param in &input.params {
        let (name, value) = param
            .split_once('=')
            .ok_or_else(|| format!("{param:?}: expected name=value"))?;
        if let Some(path) = value.strip_prefix('@') {
            files.push((name.to_owned(), PathBuf::from(path)));
            continue;
        }
        let ty = endpoint
            .inputs_by_wire(name)
            .ok_or_else(|| unknown(endpoint, name))?;
        let parsed = match ty {
            Ty::String => Value::String(value.to_owned()),
            _ => serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned())),
        };
        given.insert(name.to_owned(), parsed);
    }
    let mut out = Prepared::default();
    for name in given.keys() {
        if endpoint.inputs_by_wire(name).is_none() {
            return Err(unknown(endpoint, name));
        }
    }
    for f in &endpoint.path_params {
        match given.remove(&f.wire) {
            Some(v) if !text_of(&v).is_empty() => out.path.push((f.wire.clone(), text_of(&v))),
            _ => return Err(missing(endpoint, &f.wire)),
        }
    }
    for f in &endpoint.query {
        match (f.fixed_text(), given.remove(&f.wire)) {
            (Some(fixed), _) => out.query.push((f.wire.clone(), fixed)),
            (None, Some(v)) => out.query.push((f.wire.clone(), text_of(&v))),
            (None, None) if f.required => return Err(missing(endpoint, &f.wire)),
            (None, None) => {}
        }
    }
    if endpoint.body == BodyKind::Json {
        let mut body = Map::new();
        for f in &endpoint.fields {
            match (f.fixed_json(), given.remove(&f.wire)) {
                (Some(fixed), _) => {
                    body.insert(f.wire.clone(), fixed);
                }
                (None, Some(v)) => {
                    body.insert(f.wire.clone(), v);
                }
                (None, None) if f.required && !f.flatten => return Err(missing(endpoint, &f.wire)),
                (None, None) => {}
            }
        }
        // Flattened fields' own keys sit at the top level.
        body.extend(given.clone());
        given.clear();
        out.body = Some(Value::Object(body));
    }
    for f in &endpoint.texts {
        match (f.fixed_text(), given.remove(&f.wire)) {
            (Some(fixed), _) => out.texts.push((f.wire.clone(), fixed)),
            (None, Some(v)) => out.texts.push((f.wire.clone(), text_of(&v))),
            (None, None) if f.required => return Err(missing(endpoint, &f.wire)),
            (None, None) => {}
        }
    }
    for f in &endpoint.files {
        match files.iter().position(|(n, _)| *n == f.wire) {
            Some(i) => out.files.push(files.remove(i)),
            None if f.required => {
                return Err(format!("missing file {0}: pass {0}=@PATH", f.wire));
            }
            None => {}
        }
    }
    if let Some((name, _)) = files.first() {
        return Err(unknown(endpoint, name));
    }
    Ok(out)
}

trait InputsByWire {
    fn inputs_by_wire(&self, wire: &str) -> Option<&Ty>;
}

impl InputsByWire for Endpoint {
    /// The type of the query, body or text field `wire`; flattened fields' inner keys count.
    fn inputs_by_wire(&self, wire: &str) -> Option<&Ty> {
        let direct = self
            .path_params
            .iter()
            .chain(&self.query)
            .chain(&self.fields)
            .chain(&self.texts)
            .find(|f| f.wire == wire)
            .map(|f| &f.ty);
        direct.or_else(|| self.fields.iter().find(|f| f.flatten).map(|_| &Ty::Json))
    }
}

fn unknown(endpoint: &Endpoint, name: &str) -> String {
    let names: Vec<&str> = endpoint
        .path_params
        .iter()
        .chain(&endpoint.query)
        .chain(&endpoint.fields)
        .chain(&endpoint.texts)
        .filter(|f| f.value.is_none())
        .map(|f| f.wire.as_str())
        .chain(endpoint.files.iter().map(|f| f.wire.as_str()))
        .collect();
    let hint = spec::suggest(name, names.iter().copied())
        .map(|s| format!("; did you mean {s}?"))
        .unwrap_or_default();
    format!(
        "{} has no input {name:?}{hint} (inputs: {})",
        spec::dotted(endpoint),
        names.join(", ")
    )
}

fn missing(endpoint: &Endpoint, name: &str) -> String {
    format!(
        "{} needs {name}: pass {name}=VALUE or --json '{{\"{name}\": …}}' (`weixin list {}` shows every input)",
        spec::dotted(endpoint),
        spec::dotted(endpoint)
    )
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Performs the call and returns what to print: pretty JSON, or a summary of bytes written.
pub async fn call(
    ir: &Ir,
    name: &str,
    account: &Account,
    input: &CallInput,
) -> Result<String, String> {
    let endpoint = spec::find_endpoint(ir, name).ok_or_else(|| {
        let names: Vec<String> = ir.endpoints().map(spec::dotted).collect();
        let hint = spec::suggest(name, names.iter().map(String::as_str))
            .map(|s| format!(" (did you mean {s}?)"))
            .unwrap_or_default();
        format!("no endpoint {name:?}{hint}; `weixin list` shows them")
    })?;
    let prepared = prepare(endpoint, input)?;
    let source = match ir.client_of(endpoint) {
        Some(weixin_codegen::ir::ClientKind::WeCom) => weixin_runtime::TokenSource::WeCom,
        _ => weixin_runtime::TokenSource::Stable,
    };
    let client = account.client(source)?;
    let host = HostName(endpoint.host);
    let simple = endpoint.auth == Auth::AccessToken
        && input.token.is_none()
        && endpoint.body != BodyKind::Multipart
        && !matches!(endpoint.response, Response::Binary);
    if simple {
        let query: Vec<(&str, &str)> = prepared
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let retry = match endpoint.retry {
            Retry::Safe => weixin_runtime::Retry::Safe,
            Retry::Never => weixin_runtime::Retry::Never,
        };
        let value = client
            .call_json_with(
                host.runtime(),
                method(endpoint),
                &endpoint.path,
                &query,
                prepared.body.as_ref(),
                retry,
            )
            .await
            .map_err(|e| e.to_string())?;
        return Ok(pretty(&value));
    }
    raw_call(endpoint, account, &client, prepared, input).await
}

fn method(endpoint: &Endpoint) -> Method {
    match endpoint.method {
        weixin_codegen::ir::Method::Get => Method::Get,
        weixin_codegen::ir::Method::Post => Method::Post,
        weixin_codegen::ir::Method::Put => Method::Put,
        weixin_codegen::ir::Method::Patch => Method::Patch,
        weixin_codegen::ir::Method::Delete => Method::Delete,
    }
}

/// A WeChat account has no merchant id: WeChat Pay calls go through [`crate::pay_call`].
fn no_merchant(endpoint: &Endpoint) -> String {
    format!(
        "{} is a WeChat Pay call: it is signed with the merchant's key (WEIXIN_MCHID, …), not an AppID",
        spec::dotted(endpoint)
    )
}

/// Any other call (no token, credentials, another token name, uploads, downloads) with plain
/// HTTP, the token or credentials added as the spec says.
async fn raw_call(
    endpoint: &Endpoint,
    account: &Account,
    client: &Client,
    prepared: Prepared,
    input: &CallInput,
) -> Result<String, String> {
    let mut query: Vec<(String, String)> = Vec::new();
    let token = || async {
        match &input.token {
            Some(t) => Ok(t.clone()),
            None => client
                .access_token()
                .await
                .map(|t| t.secret().to_owned())
                .map_err(|e| e.to_string()),
        }
    };
    match &endpoint.auth {
        Auth::AccessToken => query.push(("access_token".into(), token().await?)),
        Auth::TokenParam(name) => {
            let t = input.token.clone().ok_or_else(|| {
                format!(
                    "{} authenticates with {name}: pass it with --token",
                    spec::dotted(endpoint)
                )
            })?;
            query.push((name.clone(), t));
        }
        Auth::None => {}
        Auth::Credentials(pairs) => {
            for (name, credential) in pairs {
                let value = match credential {
                    Credential::AppId => account.app_id.clone(),
                    Credential::AppSecret => account.app_secret.clone(),
                    Credential::MchId => return Err(no_merchant(endpoint)),
                };
                query.push((name.clone(), value));
            }
        }
    }
    query.extend(prepared.query);
    let url = format!(
        "{}{}",
        account.url_for(HostName(endpoint.host)),
        endpoint.path
    );
    let http = reqwest::Client::new();
    let verb = reqwest::Method::from_bytes(endpoint.method.as_str().as_bytes())
        .map_err(|e| e.to_string())?;
    let mut request = http.request(verb, &url).query(&query);
    if let Some(mut body) = prepared.body {
        if let Value::Object(map) = &mut body {
            for (name, credential) in &endpoint.body_credentials {
                let value = match credential {
                    Credential::AppId => &account.app_id,
                    Credential::AppSecret => &account.app_secret,
                    Credential::MchId => return Err(no_merchant(endpoint)),
                };
                map.insert(name.clone(), Value::String(value.clone()));
            }
        }
        request = request.json(&body);
    }
    if endpoint.body == BodyKind::Multipart {
        let mut form = reqwest::multipart::Form::new();
        for (name, text) in prepared.texts {
            form = form.text(name, text);
        }
        for (name, path) in prepared.files {
            let bytes =
                std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let file_name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "file".into());
            let part = reqwest::multipart::Part::bytes(bytes)
                .file_name(file_name.clone())
                .mime_str(crate::sandbox::guess_content_type(&file_name))
                .map_err(|e| e.to_string())?;
            form = form.part(name, part);
        }
        request = request.multipart(form);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("request failed: {}", e.without_url()))?;
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| e.without_url().to_string())?;
    if let Ok(value) = serde_json::from_slice::<Value>(&bytes) {
        let code = value.get("errcode").and_then(Value::as_i64).unwrap_or(0);
        if code != 0 {
            return Err(format!(
                "WeChat answered errcode {code}: {}",
                pretty(&value)
            ));
        }
        return Ok(pretty(&value));
    }
    if !status.is_success() {
        return Err(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&bytes)
        ));
    }
    match &input.output {
        Some(path) => {
            std::fs::write(path, &bytes)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(format!(
                "{} bytes of {content_type} written to {}",
                bytes.len(),
                path.display()
            ))
        }
        None => Ok(format!(
            "{} bytes of {content_type} (pass --output FILE to save them)",
            bytes.len()
        )),
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

/// What `weixin token` prints: the account's token (masked unless `show`) and its lifetime,
/// from `stable_token` (`force` refreshes it: 20 a day) or the classic `token` endpoint.
pub async fn token(
    account: &Account,
    show: bool,
    force: bool,
    classic: bool,
) -> Result<String, String> {
    let base = account.url_for(HostName(weixin_codegen::ir::Host::Api));
    let http = reqwest::Client::new();
    let request = if classic {
        http.get(format!("{base}/cgi-bin/token")).query(&[
            ("grant_type", "client_credential"),
            ("appid", account.app_id.as_str()),
            ("secret", account.app_secret.as_str()),
        ])
    } else {
        http.post(format!("{base}/cgi-bin/stable_token"))
            .json(&serde_json::json!({
                "grant_type": "client_credential",
                "appid": account.app_id,
                "secret": account.app_secret,
                "force_refresh": force,
            }))
    };
    let value: Value = request
        .send()
        .await
        .map_err(|e| format!("request failed: {}", e.without_url()))?
        .json()
        .await
        .map_err(|e| format!("the answer is not JSON: {}", e.without_url()))?;
    let Some(token) = value.get("access_token").and_then(Value::as_str) else {
        return Err(format!("no token: {value}"));
    };
    let expires = value.get("expires_in").and_then(Value::as_i64).unwrap_or(0);
    let shown = if show {
        token.to_owned()
    } else {
        format!("{}; --show prints it", mask(token))
    };
    let source = if classic {
        "cgi-bin/token"
    } else {
        "cgi-bin/stable_token"
    };
    Ok(format!(
        "app_id:       {}\naccess_token: {shown}\nexpires_in:   {expires} s\nsource:       {source}{}",
        account.app_id,
        if force { " (force_refresh)" } else { "" }
    ))
}

/// The first and last four characters of a secret and its length.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() <= 12 {
        return format!("*** ({} chars)", chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail} ({} chars)", chars.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(id: &str) -> Endpoint {
        crate::spec::embedded()
            .endpoints()
            .find(|e| e.id == id)
            .cloned()
            .expect("in the spec")
    }

    #[test]
    fn params_are_checked_and_split() {
        let e = endpoint("get_user_info");
        let input = CallInput {
            params: vec!["openid=o_1".into(), "lang=en".into()],
            ..CallInput::default()
        };
        let p = prepare(&e, &input).unwrap();
        assert_eq!(
            p.query,
            vec![
                ("openid".into(), "o_1".into()),
                ("lang".into(), "en".into())
            ]
        );
        let missing = prepare(&e, &CallInput::default()).unwrap_err();
        assert!(missing.contains("needs openid"), "{missing}");
        let typo = CallInput {
            params: vec!["open_id=o_1".into()],
            ..CallInput::default()
        };
        assert!(
            prepare(&e, &typo)
                .unwrap_err()
                .contains("did you mean openid")
        );
    }

    #[test]
    fn json_bodies_get_their_fixed_values() {
        let e = endpoint("get_stable_access_token");
        let input = CallInput {
            json: Some(r#"{"appid":"wx1","secret":"s"}"#.into()),
            ..CallInput::default()
        };
        let body = prepare(&e, &input).unwrap().body.unwrap();
        assert_eq!(body["grant_type"], "client_credential");
        assert_eq!(body["appid"], "wx1");
    }

    #[test]
    fn secrets_are_masked() {
        assert_eq!(mask("short"), "*** (5 chars)");
        assert!(mask("ABCDEFGHIJKLMNOP").starts_with("ABCD…MNOP"));
    }
}
