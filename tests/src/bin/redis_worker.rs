//! A worker process for the multi-process Redis tests (`tests/it/redis.rs`): many concurrent
//! API calls through one client whose tokens live in Redis. Prints one JSON line of results.
//!
//! Environment: `WORKER_REDIS_URL`, `WORKER_BASE_URL` (the mock WeChat), `WORKER_APP_ID`,
//! `WORKER_CALLERS` (concurrent calls, default 50), `WORKER_LOCK_TTL_MS` (default 30000),
//! `WORKER_START_AT_MS` (unix ms to start at, so several workers overlap; optional).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use weixin_runtime::redis::Redis;
use weixin_runtime::{Client, Host, Method, TokenSource};

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is required"))
}

#[tokio::main]
async fn main() {
    let callers: usize = std::env::var("WORKER_CALLERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let lock_ttl = std::env::var("WORKER_LOCK_TTL_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(weixin_runtime::DEFAULT_LOCK_TTL);
    let redis = Redis::open(&var("WORKER_REDIS_URL")).expect("a valid Redis URL");
    let store = Arc::new(redis.token_store().lock_ttl(lock_ttl));
    let base = var("WORKER_BASE_URL");
    let mut builder = Client::builder(var("WORKER_APP_ID"), "worker-secret")
        .token_source(TokenSource::Stable)
        .token_store(store)
        .timeout(Duration::from_secs(60));
    for host in Host::ALL {
        builder = builder.base_url(host, &base);
    }
    let client: Client = builder.build().expect("client");

    if let Some(start) = std::env::var("WORKER_START_AT_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        tokio::time::sleep(Duration::from_millis(start.saturating_sub(now))).await;
    }

    let calls = (0..callers).map(|_| {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .call_json(Method::Get, "/cgi-bin/get_api_domain_ip", None)
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        })
    });
    let mut ok = 0;
    let mut errors = Vec::new();
    for call in calls.collect::<Vec<_>>() {
        match call.await {
            Ok(Ok(())) => ok += 1,
            Ok(Err(e)) => errors.push(e),
            Err(e) => errors.push(format!("task failed: {e}")),
        }
    }
    println!("{}", serde_json::json!({ "ok": ok, "errors": errors }));
}
