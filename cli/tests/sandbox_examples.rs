//! Every `[[example]]` of the embedded spec through the sandbox with the generated client: the
//! request is validated against the spec and the answer is the example's (JSON that decodes to
//! what the example holds, or its errcode; binary of its type and size).

mod support;

use serde_json::Map;
use weixin_cli::sandbox::{Sandbox, is_token_endpoint};
use weixin_codegen::ir::{Auth, Endpoint, Example};
use weixin_tests::example_outcome::check_outcome;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_spec_example_is_answered_as_the_spec_says() {
    let sandbox = support::sandbox(|_| {}).await;
    let client = support::client(&sandbox);
    let component = support::component_client(&sandbox);
    let ir = weixin_cli::spec::embedded();
    let (mut failures, mut replayed) = (Vec::new(), 0);
    for endpoint in ir.endpoints() {
        for example in &endpoint.examples {
            replayed += 1;
            sandbox
                .force_example(&endpoint.id, Some(&example.name))
                .expect("the example exists");
            let client = match endpoint.auth {
                Auth::TokenParam(_) => &component,
                _ => &client,
            };
            let outcome = weixin::__examples::run(client, &endpoint.id, example.input()).await;
            sandbox.force_example(&endpoint.id, None).expect("clears");
            let checked = match outcome {
                None => Err("missing from the generated __examples runner".to_owned()),
                Some(outcome) => answered_with(&sandbox, endpoint, example)
                    .and_then(|()| check_outcome(endpoint, example, outcome)),
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
    let client = support::client(&sandbox);
    let component = support::component_client(&sandbox);
    let ir = weixin_cli::spec::embedded();
    let (mut failures, mut tried) = (Vec::new(), 0);
    for endpoint in ir.endpoints().filter(|e| !is_token_endpoint(e)) {
        for example in endpoint
            .examples
            .iter()
            .filter(|x| unique(&ir, endpoint, x))
        {
            tried += 1;
            let client = match endpoint.auth {
                Auth::TokenParam(_) => &component,
                _ => &client,
            };
            let Some(outcome) =
                weixin::__examples::run(client, &endpoint.id, example.input()).await
            else {
                failures.push(format!("{}: not in the runner", endpoint.id));
                continue;
            };
            let checked = answered_with(&sandbox, endpoint, example)
                .and_then(|()| check_outcome(endpoint, example, outcome));
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
    let key = |x: &Example| (x.query.clone(), x.request.clone(), x.files.clone());
    ir.endpoints()
        .filter(|e| e.host == endpoint.host && e.method == endpoint.method && e.path == endpoint.path)
        .flat_map(|e| &e.examples)
        .filter(|x| key(x) == key(example))
        .count()
        == 1
        // An upload's success answer carries the stored file's new id, not the example's.
        && (example.error.is_some() || example.files.as_object().is_none_or(Map::is_empty))
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
            "answered errcode {:?} (example {:?}) instead of the example",
            last.errcode, last.example
        ))
    }
}
