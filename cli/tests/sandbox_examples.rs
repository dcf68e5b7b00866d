//! Every `[[example]]` of the embedded spec through the sandbox with the generated client: the
//! request is validated against the spec and the answer is the example's (JSON that decodes to
//! what the example holds, or its errcode; binary of its type and size). WeChat Pay examples go
//! through a signing `PayClient` that verifies every answer with the sandbox's public key, and
//! must come back with their HTTP status and Pay error code.

mod support;

use serde_json::{Map, Value};
use weixin_cli::sandbox::{Sandbox, is_token_endpoint};
use weixin_codegen::ir::{Auth, ClientKind, Endpoint, Example, Ir};
use weixin_tests::example_outcome::check_outcome;

/// One client per kind of product, every one pointed at the sandbox.
struct Clients {
    app: weixin_runtime::Client,
    wecom: weixin_runtime::Client,
    component: weixin_runtime::Client,
    pay: weixin_runtime::pay::PayClient,
}

impl Clients {
    fn new(sandbox: &Sandbox) -> Clients {
        Clients {
            app: support::client(sandbox),
            wecom: support::wecom_client(sandbox),
            component: support::component_client(sandbox),
            pay: support::pay_client(sandbox),
        }
    }

    /// Sends `example` of `endpoint` with the client of its product.
    async fn run(
        &self,
        ir: &Ir,
        endpoint: &Endpoint,
        example: &Example,
    ) -> Option<Result<Value, weixin::Error>> {
        let kind = ir.client_of(endpoint);
        let client = match (kind, &endpoint.auth) {
            (Some(ClientKind::Pay), _) => {
                return weixin::__examples::run_pay(&self.pay, &endpoint.id, example.input()).await;
            }
            (Some(ClientKind::Component), _) | (_, Auth::TokenParam(_)) => &self.component,
            (Some(ClientKind::WeCom), _) => &self.wecom,
            _ => &self.app,
        };
        weixin::__examples::run(client, &endpoint.id, example.input()).await
    }
}

/// [`check_outcome`], and for a WeChat Pay error example its HTTP status and error code.
fn check(
    endpoint: &Endpoint,
    example: &Example,
    outcome: Result<Value, weixin::Error>,
) -> Result<(), String> {
    let Some(code) = &example.error_code else {
        return check_outcome(endpoint, example, outcome);
    };
    match outcome {
        Err(weixin::Error::Pay(e)) if e.code() == code && e.status() == example.http_status() => {
            if e.verified() {
                Ok(())
            } else {
                Err("the error answer was not signed".into())
            }
        }
        other => Err(format!(
            "expected HTTP {} {code}, got {other:?}",
            example.http_status()
        )),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_spec_example_is_answered_as_the_spec_says() {
    let sandbox = support::sandbox(|_| {}).await;
    let clients = Clients::new(&sandbox);
    let ir = weixin_cli::spec::embedded();
    let (mut failures, mut replayed) = (Vec::new(), 0);
    for endpoint in ir.endpoints() {
        for example in &endpoint.examples {
            replayed += 1;
            sandbox
                .force_example(&endpoint.id, Some(&example.name))
                .expect("the example exists");
            let outcome = clients.run(&ir, endpoint, example).await;
            sandbox.force_example(&endpoint.id, None).expect("clears");
            let checked = match outcome {
                None => Err("missing from the generated __examples runner".to_owned()),
                Some(outcome) => answered_with(&sandbox, endpoint, example)
                    .and_then(|()| check(endpoint, example, outcome)),
            };
            if let Err(why) = checked {
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

/// Without forcing, an example whose request no other example of its endpoint shares is the
/// one the sandbox picks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exactly_matching_request_picks_its_example() {
    let sandbox = support::sandbox(|_| {}).await;
    let clients = Clients::new(&sandbox);
    let ir = weixin_cli::spec::embedded();
    let (mut failures, mut tried) = (Vec::new(), 0);
    for endpoint in ir.endpoints().filter(|e| !is_token_endpoint(e)) {
        for example in endpoint
            .examples
            .iter()
            .filter(|x| unique(&ir, endpoint, x))
        {
            tried += 1;
            let Some(outcome) = clients.run(&ir, endpoint, example).await else {
                failures.push(format!("{}: not in the runner", endpoint.id));
                continue;
            };
            let checked = answered_with(&sandbox, endpoint, example)
                .and_then(|()| check(endpoint, example, outcome));
            if let Err(why) = checked {
                failures.push(format!("{} / {}: {why}", endpoint.id, example.name));
            }
        }
    }
    assert!(tried > 0);
    assert!(
        failures.is_empty(),
        "{} of {tried}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Whether no other example of `endpoint`, or of an endpoint of another product sharing its
/// API (same host, method and path), has the same query, body and files.
fn unique(ir: &weixin_codegen::Ir, endpoint: &Endpoint, example: &Example) -> bool {
    let key = |x: &Example| {
        (
            x.path.clone(),
            x.query.clone(),
            x.request.clone(),
            x.files.clone(),
        )
    };
    ir.endpoints()
        .filter(|e| e.host == endpoint.host && e.method == endpoint.method && e.path == endpoint.path)
        .flat_map(|e| &e.examples)
        .filter(|x| key(x) == key(example))
        .count()
        == 1
        // An upload's success answer carries the stored file's new id, not the example's.
        && (example.is_error() || example.files.as_object().is_none_or(Map::is_empty))
}

/// The journal's last entry for the endpoint names the example (so the request passed the
/// sandbox's validation and was answered from that example).
fn answered_with(sandbox: &Sandbox, endpoint: &Endpoint, example: &Example) -> Result<(), String> {
    let journal = sandbox.journal();
    let last = journal
        .iter()
        .rev()
        .find(|e| e.endpoint.as_deref() == Some(endpoint.id.as_str()))
        .ok_or("the sandbox saw no request for the endpoint")?;
    if last.example.as_deref() == Some(example.name.as_str()) {
        Ok(())
    } else {
        Err(format!(
            "answered HTTP {} errcode {:?} code {:?} (example {:?}) instead of the example",
            last.status, last.errcode, last.code, last.example
        ))
    }
}
