//! Calls per second through the Redis token path vs the in-memory path, side by side.
//!
//! `cargo bench -p weixin-tests --bench token_store` (starts its own `redis-server` and a
//! loopback mock of WeChat). `access_token/*` is the token lookup every API call makes;
//! `call/*` is a whole call (token, send, decode) against the loopback server.

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use weixin_runtime::redis::Redis;
use weixin_runtime::{Client, Host, MemoryTokenStore, Method, TokenSource, TokenStore};
use weixin_tests::redis_server::RedisServer;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer, store: Arc<dyn TokenStore>) -> Client {
    let mut builder = Client::builder("wxbench000000000001", "secret")
        .token_source(TokenSource::Stable)
        .token_store(store)
        .timeout(Duration::from_secs(5));
    for host in Host::ALL {
        builder = builder.base_url(host, &server.uri());
    }
    builder.build().expect("client")
}

fn token_paths(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let redis_server = RedisServer::start();
    let server =
        runtime.block_on(async {
            let server = MockServer::start().await;
            Mock::given(method("POST"))
                .and(path("/cgi-bin/stable_token"))
                .respond_with(ResponseTemplate::new(200).set_body_json(
                    serde_json::json!({ "access_token": "BENCH", "expires_in": 7200 }),
                ))
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .and(path("/cgi-bin/get_api_domain_ip"))
                .respond_with(
                    ResponseTemplate::new(200).set_body_json(serde_json::json!({ "dns": [] })),
                )
                .mount(&server)
                .await;
            server
        });
    let _in_runtime = runtime.enter();
    let redis = Redis::open(&redis_server.url()).expect("redis url");
    let clients = [
        ("memory", client(&server, Arc::new(MemoryTokenStore::new()))),
        ("redis", client(&server, Arc::new(redis.token_store()))),
    ];
    for (_, client) in &clients {
        runtime
            .block_on(client.access_token())
            .expect("warm-up token");
    }

    let mut group = c.benchmark_group("access_token");
    group.throughput(Throughput::Elements(1));
    for (name, client) in &clients {
        group.bench_function(*name, |b| {
            b.to_async(&runtime)
                .iter(|| async { client.access_token().await.expect("token") })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("call");
    group.throughput(Throughput::Elements(1));
    for (name, client) in &clients {
        group.bench_function(*name, |b| {
            b.to_async(&runtime).iter(|| async {
                client
                    .call_json(Method::Get, "/cgi-bin/get_api_domain_ip", None)
                    .await
                    .expect("call")
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = token_paths
}
criterion_main!(benches);
