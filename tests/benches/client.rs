//! The cost of the generated client over a bare HTTP call, and of a cached token lookup.
//!
//! `cargo bench -p weixin-tests --bench client`
//!
//! - `client_call/generated`: `offiaccount::Client::basic().api_domain_ip()` (token cache hit)
//!   against a minimal loopback axum server.
//! - `client_call/bare_reqwest`: the same GET (same URL, `access_token` included) with a bare
//!   `reqwest::Client`, the body decoded into a `serde_json::Value`.
//! - `token_cache_hit/single`: `client.access_token()` alone.
//! - `token_cache_hit/8_tasks`: 8 concurrent tasks each calling it; time per call.
//!
//! The server runs on its own one-thread runtime; the calls run on a current-thread runtime
//! (the 8-task case on a 2-worker runtime).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use weixin::offiaccount::Client;
use weixin::runtime::{Host, MemoryTokenStore};

const TOKEN_BODY: &str = r#"{"access_token":"BENCH_ACCESS_TOKEN","expires_in":7200}"#;
const IP_BODY: &str = r#"{"ip_list":["101.226.62.77","101.226.62.78","101.226.62.79"]}"#;
/// Concurrent tasks of `token_cache_hit/8_tasks`.
const TASKS: u64 = 8;

/// A fixed JSON answer.
async fn json(body: &'static str) -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], body)
}

/// Starts the loopback server on a thread of its own; returns its base URL.
fn start_server() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("server runtime");
        runtime.block_on(async move {
            let app = Router::new()
                .route("/cgi-bin/stable_token", post(|| json(TOKEN_BODY)))
                .route("/cgi-bin/get_api_domain_ip", get(|| json(IP_BODY)));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind loopback");
            let addr = listener.local_addr().expect("local addr");
            tx.send(format!("http://{addr}")).expect("report address");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    rx.recv().expect("server address")
}

fn generated_client(base: &str) -> Client {
    let mut builder = Client::builder("wxbench000000000001", "secret")
        .token_store(Arc::new(MemoryTokenStore::new()))
        .timeout(Duration::from_secs(5));
    for host in Host::ALL {
        builder = builder.base_url(host, base);
    }
    builder.build().expect("client")
}

fn client_call(c: &mut Criterion) {
    let base = start_server();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = generated_client(&base);
    let token = runtime
        .block_on(client.access_token())
        .expect("warm-up token");
    let url = format!(
        "{base}/cgi-bin/get_api_domain_ip?access_token={}",
        token.secret()
    );
    let bare = reqwest::Client::builder()
        .use_rustls_tls()
        .build()
        .expect("reqwest client");
    let ips = runtime
        .block_on(client.basic().api_domain_ip())
        .expect("generated call");
    assert_eq!(ips.ip_list.len(), 3);

    let mut group = c.benchmark_group("client_call");
    group.throughput(Throughput::Elements(1));
    group.bench_function("generated", |b| {
        b.to_async(&runtime)
            .iter(|| async { client.basic().api_domain_ip().await.expect("call") })
    });
    group.bench_function("bare_reqwest", |b| {
        b.to_async(&runtime).iter(|| async {
            let response = bare.get(&url).send().await.expect("send");
            let bytes = response.error_for_status().expect("2xx").bytes().await;
            serde_json::from_slice::<serde_json::Value>(&bytes.expect("body")).expect("json")
        })
    });
    group.finish();

    let mut group = c.benchmark_group("token_cache_hit");
    group.throughput(Throughput::Elements(1));
    group.bench_function("single", |b| {
        b.to_async(&runtime)
            .iter(|| async { client.access_token().await.expect("token") })
    });
    let parallel = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    group.bench_function("8_tasks", |b| {
        b.iter_custom(|iters| {
            let per_task = iters.div_ceil(TASKS);
            parallel.block_on(async {
                let started = Instant::now();
                let tasks: Vec<_> = (0..TASKS)
                    .map(|_| {
                        let client = client.clone();
                        tokio::spawn(async move {
                            for _ in 0..per_task {
                                client.access_token().await.expect("token");
                            }
                        })
                    })
                    .collect();
                for task in tasks {
                    task.await.expect("task");
                }
                // Time per call: the wall time over all calls, scaled to `iters` calls.
                started
                    .elapsed()
                    .mul_f64(iters as f64 / (per_task * TASKS) as f64)
            })
        })
    });
    group.finish();
}

criterion_group!(benches, client_call);
criterion_main!(benches);
