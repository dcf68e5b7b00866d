//! The HTTP side: every request goes through one fallback handler.
//!
//! - `/_host/<host>/<path>`: `<path>` on that host (`api`, `file`, `mp`, `qyapi`, `mch`).
//! - `/_sandbox` (GET): what is served: endpoints, hosts, paths shared by several hosts.
//! - `/_sandbox/journal` (GET): the requests handled, oldest first.
//! - `/_sandbox/media/<id>` (GET): a stored upload (the `url` uploads answer points here).
//! - `/_sandbox/examples/<endpoint_id>` (PUT `{"example":"name"}`, DELETE): make an endpoint
//!   answer with that example until cleared. One request: header `X-Weixin-Sandbox-Example`.
//! - `/_sandbox/tokens/expire` (POST): expire every token now.
//! - `/_sandbox/pay/public-key` (GET): `{"id": "PUB_KEY_ID_…", "pem": "…"}`, the WeChat Pay
//!   public key every `mch` answer is signed with.
//! - `/_sandbox/pay/merchants` (POST `{"mchid","serial_no","public_key_pem"}`): verify that
//!   merchant's request signatures from now on.
//! - `/_sandbox/pay/notify` (POST `{"url","apiv3_key","event_type","resource"}`): post a signed,
//!   encrypted notification to `url` (resource default: the order query's first success
//!   example) and answer `{"status","body","notification"}` with what the receiver answered.
//! - anything else: a WeChat API path.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State as AxState};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use weixin_codegen::ir::Host;

use super::HostName;
use super::incoming::{BodyIn, FilePart, Form, Incoming};
use super::pay;
use super::state::State;
use super::wire::Answer;

/// Largest request body accepted (WeChat's largest upload is 10 MB; room for multipart).
const MAX_BODY: usize = 32 * 1024 * 1024;

/// Header selecting the example of one request.
pub const EXAMPLE_HEADER: &str = "x-weixin-sandbox-example";

/// The router of one listener; `host` fixes the host of a per-host listener.
pub fn router(state: Arc<State>, host: Option<Host>) -> Router {
    Router::new()
        .fallback(handle)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state((state, host.map(HostName)))
}

type Shared = (Arc<State>, Option<HostName>);

async fn handle(AxState((state, fixed)): AxState<Shared>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if let Some(rest) = path.strip_prefix("/_sandbox") {
        if rest.is_empty() || rest.starts_with('/') {
            return into_response(control(&state, request, rest).await);
        }
    }
    let (host, api_path) = match path.strip_prefix("/_host/") {
        Some(rest) => {
            let (name, tail) = rest.split_once('/').unwrap_or((rest, ""));
            match name.parse::<HostName>() {
                Ok(h) => (Some(h.0), format!("/{tail}")),
                Err(e) => return into_response(Answer::status(404, &format!("sandbox: {e}"))),
            }
        }
        None => (fixed.map(|h| h.0), path),
    };
    let method = request.method().as_str().to_owned();
    let incoming = match read(request).await {
        Ok(incoming) => incoming,
        Err(answer) => return into_response(answer),
    };
    into_response(state.serve(host, &method, &api_path, incoming).await)
}

/// Reads query, headers and body.
async fn read(request: Request) -> Result<Incoming, Answer> {
    let query: Vec<(String, String)> = request
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let (example, authorization) = {
        let text_header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        (
            text_header(EXAMPLE_HEADER),
            text_header(header::AUTHORIZATION.as_str()),
        )
    };
    let target = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |pq| pq.as_str().to_owned(),
    );
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    let body = if is_multipart {
        BodyIn::Multipart(read_form(request).await?)
    } else {
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY)
            .await
            .map_err(|e| Answer::status(413, &format!("sandbox: cannot read the body: {e}")))?;
        if bytes.is_empty() {
            BodyIn::Empty
        } else {
            BodyIn::Bytes(bytes.to_vec())
        }
    };
    Ok(Incoming {
        query,
        body,
        example,
        authorization,
        target,
        path_params: Vec::new(),
    })
}

/// Parses a multipart form: parts with a file name are files, the others text.
async fn read_form(request: Request) -> Result<Form, Answer> {
    let bad = |e: &dyn std::fmt::Display| Answer::error(41005, format!("media data missing: {e}"));
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| bad(&e))?;
    let mut form = Form::default();
    while let Some(field) = multipart.next_field().await.map_err(|e| bad(&e))? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let content_type = field.content_type().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(|e| bad(&e))?;
        match file_name {
            Some(file_name) => form.files.push(FilePart {
                name,
                file_name,
                content_type,
                bytes: bytes.to_vec(),
            }),
            None => form
                .texts
                .push((name, String::from_utf8_lossy(&bytes).into_owned())),
        }
    }
    Ok(form)
}

/// The control API under `/_sandbox`.
async fn control(state: &State, request: Request, rest: &str) -> Answer {
    let method = request.method().as_str().to_owned();
    match (method.as_str(), rest.trim_end_matches('/')) {
        ("GET", "") => Answer::control(200, &overview(state)),
        ("GET", "/journal") => Answer::control(200, &json!(state.journal())),
        ("POST", "/tokens/expire") => {
            state.expire_tokens();
            Answer::control(200, &json!({"expired": true}))
        }
        ("GET", "/pay/public-key") => Answer::control(
            200,
            &json!({"id": pay::key::PUBLIC_KEY_ID, "pem": pay::key::PUBLIC_KEY_PEM}),
        ),
        ("POST", "/pay/merchants") => match read_json(request).await {
            Ok(body) => register_merchant(state, &body),
            Err(answer) => answer,
        },
        ("POST", "/pay/notify") => match read_json(request).await {
            Ok(body) => notify(state, &body).await,
            Err(answer) => answer,
        },
        ("GET", media) if media.starts_with("/media/") => {
            match state.media(&media["/media/".len()..]) {
                Some(stored) => {
                    Answer::bytes(&stored.content_type, stored.bytes, Some(&stored.file_name))
                }
                None => Answer::status(404, "sandbox: no such media"),
            }
        }
        (verb @ ("PUT" | "DELETE"), examples) if examples.starts_with("/examples/") => {
            let endpoint = &examples["/examples/".len()..];
            let example = if verb == "PUT" {
                let body = axum::body::to_bytes(request.into_body(), 64 * 1024)
                    .await
                    .unwrap_or_default();
                match serde_json::from_slice::<Value>(&body)
                    .ok()
                    .and_then(|v| v.get("example").and_then(Value::as_str).map(str::to_owned))
                {
                    Some(name) => Some(name),
                    None => {
                        return Answer::control(
                            400,
                            &json!({"error": "expected {\"example\":\"NAME\"}"}),
                        );
                    }
                }
            } else {
                None
            };
            match state.force_example(endpoint, example.as_deref()) {
                Ok(()) => Answer::control(200, &json!({"endpoint": endpoint, "example": example})),
                Err(e) => Answer::control(404, &json!({"error": e})),
            }
        }
        _ => Answer::control(
            404,
            &json!({"error": format!("no control route {method} /_sandbox{rest}")}),
        ),
    }
}

/// The JSON body of a control request (at most 1 MB), or a 400 answer.
async fn read_json(request: Request) -> Result<Value, Answer> {
    let bad = |why: String| Answer::control(400, &json!({ "error": why }));
    let bytes = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .map_err(|e| bad(format!("cannot read the body: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| bad(format!("the body is not JSON: {e}")))
}

/// A string field of a control request.
fn text_field<'a>(body: &'a Value, name: &str) -> Result<&'a str, Answer> {
    body.get(name)
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Answer::control(400, &json!({ "error": format!("missing {name}") })))
}

/// `POST /_sandbox/pay/merchants`.
fn register_merchant(state: &State, body: &Value) -> Answer {
    let fields = (|| {
        Ok::<_, Answer>((
            text_field(body, "mchid")?,
            text_field(body, "serial_no")?,
            text_field(body, "public_key_pem")?,
        ))
    })();
    let (mchid, serial_no, pem) = match fields {
        Ok(fields) => fields,
        Err(answer) => return answer,
    };
    match state.register_merchant(mchid, serial_no, pem) {
        Ok(()) => Answer::control(200, &json!({"mchid": mchid, "serial_no": serial_no})),
        Err(e) => Answer::control(400, &json!({ "error": e })),
    }
}

/// `POST /_sandbox/pay/notify`.
async fn notify(state: &State, body: &Value) -> Answer {
    let (url, apiv3_key) = match (text_field(body, "url"), text_field(body, "apiv3_key")) {
        (Ok(url), Ok(key)) => (url.to_owned(), key.to_owned()),
        (Err(answer), _) | (_, Err(answer)) => return answer,
    };
    let event_type = body
        .get("event_type")
        .and_then(Value::as_str)
        .unwrap_or("TRANSACTION.SUCCESS")
        .to_owned();
    let resource = match body.get("resource") {
        Some(resource) => Ok(resource.clone()),
        None => pay::notify::default_resource(state.ir(), &event_type),
    };
    let signer = pay::key::Signer::sandbox();
    let sent = match (resource, signer) {
        (Ok(resource), Ok(signer)) => {
            let notice = pay::notify::Notice {
                url,
                apiv3_key,
                event_type,
                resource,
            };
            pay::notify::send(&notice, signer).await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match sent {
        Ok(delivery) => Answer::control(200, &json!(delivery)),
        Err(e) => Answer::control(400, &json!({ "error": e })),
    }
}

/// `GET /_sandbox`: what this sandbox serves.
fn overview(state: &State) -> Value {
    let ir = state.ir();
    let endpoints: Vec<Value> = ir
        .endpoints()
        .map(|e| {
            json!({
                "id": e.id,
                "name": crate::spec::dotted(e),
                "host": HostName(e.host).as_str(),
                "method": e.method.as_str(),
                "path": e.path,
                "examples": e.examples.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let shared: Vec<Value> = state
        .shared_paths()
        .into_iter()
        .map(|(m, p, hosts)| {
            json!({"method": m, "path": p, "hosts": hosts.iter().map(|h| h.as_str()).collect::<Vec<_>>()})
        })
        .collect();
    json!({
        "base_url": state.base_url(),
        "hosts": HostName::ALL.iter().map(|h| json!({
            "host": h.as_str(),
            "prefix": format!("/_host/{}", h.as_str()),
        })).collect::<Vec<_>>(),
        "endpoints": endpoints,
        "shared_paths": shared,
        "pay": {
            "public_key_id": pay::key::PUBLIC_KEY_ID,
            "public_key": "/_sandbox/pay/public-key",
            "notify": "/_sandbox/pay/notify",
            "merchants": "/_sandbox/pay/merchants",
        },
    })
}

fn into_response(answer: Answer) -> Response {
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    if !answer.content_type.is_empty() {
        if let Ok(v) = HeaderValue::from_str(&answer.content_type) {
            headers.insert(header::CONTENT_TYPE, v);
        }
    }
    for (name, value) in answer.headers {
        if let (Ok(n), Ok(v)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.insert(n, v);
        }
    }
    response
}
