//! Every `[[example]]` in the spec, replayed through the generated client against a loopback
//! server: the request WeChat would receive must equal the example (JSON-equal body, query
//! parameters, credentials), and the example's response must decode — or map to its errcode.

use serde_json::{Map, Value};
use weixin_codegen::ir::{Auth, ClientKind, Credential, Endpoint, Example, Method};
use weixin_tests::example_outcome::check_outcome;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::pay_support::{self, MCHID, Signing};
use crate::support::{self, APP_ID, APP_SECRET, TOKEN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_spec_example_round_trips() {
    let ir = support::spec_ir();
    let mut failures = Vec::new();
    let mut replayed = 0;
    for endpoint in ir.endpoints() {
        assert!(
            !endpoint.examples.is_empty(),
            "{} ({}) has no [[example]]",
            endpoint.id,
            endpoint.source
        );
        for example in &endpoint.examples {
            replayed += 1;
            if let Err(why) = replay(endpoint, example).await {
                failures.push(format!(
                    "{} / {} ({}): {why}",
                    endpoint.id, example.name, endpoint.source
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {replayed} examples failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        replayed >= ir.endpoints().count(),
        "fewer examples than endpoints"
    );
}

async fn replay(endpoint: &Endpoint, example: &Example) -> Result<(), String> {
    let server = MockServer::start().await;
    let kind = support::spec_ir()
        .client_of(endpoint)
        .ok_or("the endpoint's product is not in the IR")?;
    let url_path = rendered_path(endpoint, example)?;
    let pay = kind == ClientKind::Pay;
    let response = if pay {
        signed_response(example)
    } else {
        canned_response(example)?
    };
    Mock::given(method(endpoint.method.as_str()))
        .and(path(url_path.as_str()))
        .respond_with(response)
        // Above the token mock, so the token endpoints' own examples are answered by themselves.
        .with_priority(1)
        .mount(&server)
        .await;

    let outcome = if pay {
        let client = pay_support::public_key_client(&server);
        weixin::__examples::run_pay(&client, &endpoint.id, example.input()).await
    } else {
        let client = support::client_of_kind(&server, kind).await;
        weixin::__examples::run(&client, &endpoint.id, example.input()).await
    }
    .ok_or("the endpoint is missing from the generated __examples runner")?;

    let requests = server.received_requests().await.unwrap_or_default();
    let sent = requests
        .iter()
        .find(|r| r.url.path() == url_path)
        .ok_or("the client sent no request to the endpoint's path")?;
    if pay {
        pay_support::check_authorization(sent).map_err(|e| format!("Authorization: {e}"))?;
    }
    check_request(endpoint, example, sent)?;
    check_outcome(endpoint, example, outcome)
}

/// The endpoint's path with the example's path parameters, percent-encoded as the client does.
fn rendered_path(endpoint: &Endpoint, example: &Example) -> Result<String, String> {
    let mut out = endpoint.path.clone();
    for param in &endpoint.path_params {
        let value = example
            .path
            .get(&param.wire)
            .map(query_text)
            .ok_or(format!("the example has no path parameter {}", param.wire))?;
        let encoded: String = value
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        out = out.replace(&format!("{{{}}}", param.wire), &encoded);
    }
    Ok(out)
}

/// The example's answer as WeChat Pay sends it: its status, signed with the test key.
fn signed_response(example: &Example) -> ResponseTemplate {
    let body = example.response.as_deref().unwrap_or_default();
    Signing::public_key_mode().response(example.http_status(), body)
}

fn canned_response(example: &Example) -> Result<ResponseTemplate, String> {
    if let Some(binary) = &example.binary {
        let body: Vec<u8> = (0..binary.size).map(|i| (i % 251) as u8).collect();
        return Ok(ResponseTemplate::new(200).set_body_raw(body, &binary.content_type));
    }
    let text = example
        .response
        .as_deref()
        .ok_or("example has neither response nor binary")?;
    Ok(ResponseTemplate::new(200)
        .set_body_raw(text.as_bytes().to_vec(), "application/json; charset=utf-8"))
}

fn check_request(endpoint: &Endpoint, example: &Example, sent: &Request) -> Result<(), String> {
    if sent.method.as_str() != endpoint.method.as_str() {
        return Err(format!(
            "sent {} instead of {}",
            sent.method,
            endpoint.method.as_str()
        ));
    }
    let query: Map<String, Value> = sent
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    let mut expected = Map::new();
    match &endpoint.auth {
        Auth::AccessToken => {
            expected.insert("access_token".into(), TOKEN.into());
        }
        Auth::TokenParam(name) => {
            expected.insert(name.clone(), TOKEN.into());
        }
        Auth::None => {}
        Auth::Credentials(pairs) => {
            for (name, credential) in pairs {
                expected.insert(name.clone(), credential_value(*credential).into());
            }
        }
    }
    if let Value::Object(params) = &example.query {
        for (name, value) in params {
            expected.insert(name.clone(), Value::String(query_text(value)));
        }
    }
    if query != expected {
        return Err(format!("query {query:?}, expected {expected:?}"));
    }

    let content_type = sent
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !example.files.as_object().is_none_or(Map::is_empty) {
        return check_multipart(example, content_type, &sent.body);
    }
    let with_credentials = example.request.clone().map(|mut body| {
        if let Value::Object(fields) = &mut body {
            for (name, credential) in &endpoint.body_credentials {
                fields.insert(name.clone(), credential_value(*credential).into());
            }
        }
        body
    });
    match (&with_credentials, endpoint.method) {
        (Some(want), _) => {
            if !content_type.starts_with("application/json") {
                return Err(format!("body sent as {content_type:?}, expected JSON"));
            }
            let got: Value =
                serde_json::from_slice(&sent.body).map_err(|e| format!("body is not JSON: {e}"))?;
            if &got != want {
                return Err(format!("body {got}, expected {want}"));
            }
        }
        (None, Method::Get) if !sent.body.is_empty() => {
            return Err("a GET request carried a body".into());
        }
        _ => {}
    }
    Ok(())
}

fn credential_value(credential: Credential) -> &'static str {
    match credential {
        Credential::AppId => APP_ID,
        Credential::AppSecret => APP_SECRET,
        Credential::MchId => MCHID,
    }
}

fn check_multipart(example: &Example, content_type: &str, body: &[u8]) -> Result<(), String> {
    if !content_type.starts_with("multipart/form-data") {
        return Err(format!("upload sent as {content_type:?}"));
    }
    let body = String::from_utf8_lossy(body);
    let files = example.files.as_object().into_iter().flatten();
    for (part, file) in files {
        let file_name = file["file_name"].as_str().unwrap_or_default();
        let header = format!("name=\"{part}\"; filename=\"{file_name}\"");
        if !body.contains(&header) {
            return Err(format!("multipart body lacks the part header {header}"));
        }
        let content_type = file["content_type"].as_str().unwrap_or_default();
        if !body.contains(&format!("Content-Type: {content_type}")) {
            return Err(format!("part {part} is not sent as {content_type}"));
        }
    }
    if let Some(Value::Object(texts)) = &example.request {
        for (name, value) in texts {
            let expected = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let header = format!("name=\"{name}\"\r\n\r\n");
            let at = body
                .find(&header)
                .ok_or(format!("multipart body lacks the text part {name}"))?;
            let rest = &body[at + header.len()..];
            let got = rest.split("\r\n--").next().unwrap_or_default();
            let same = match (serde_json::from_str::<Value>(got), value) {
                (Ok(parsed), Value::Object(_)) => &parsed == value,
                _ => got == expected,
            };
            if !same {
                return Err(format!(
                    "text part {name} is {got:?}, expected {expected:?}"
                ));
            }
        }
    }
    Ok(())
}

fn query_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
