//! The Redis stores against a real `redis-server`: several OS processes sharing one token,
//! a 40001 storm, a lock holder killed mid-refresh, Redis restarted mid-run, key prefixes.

use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::Commands;
use serde_json::{Value, json};
use weixin_runtime::redis::Redis;
use weixin_runtime::{Client, Host, Method, StoredToken, TokenSource, TokenStore};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use weixin_tests::redis_server::RedisServer;

const WORKERS: usize = 4;
const CALLERS: usize = 50;

/// The stable_token endpoint issuing `token`, after `delay`, at most `times` times (None: always).
async fn token_endpoint(server: &MockServer, token: &str, delay: Duration, times: Option<u64>) {
    let mock = Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "access_token": token, "expires_in": 7200 }))
                .set_delay(delay),
        );
    let mock = match times {
        Some(n) => mock.up_to_n_times(n),
        None => mock,
    };
    mock.mount(server).await;
}

/// `GET /cgi-bin/get_api_domain_ip` answering `body` to calls made with `token`.
async fn api_endpoint(server: &MockServer, token: &str, body: Value) {
    Mock::given(method("GET"))
        .and(path("/cgi-bin/get_api_domain_ip"))
        .and(query_param("access_token", token))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

async fn token_fetches(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == "/cgi-bin/stable_token")
        .count()
}

fn worker(
    redis: &RedisServer,
    server: &MockServer,
    app_id: &str,
    start_at_ms: u128,
    lock_ttl_ms: u64,
) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_redis_worker"));
    command
        .env("WORKER_REDIS_URL", redis.url())
        .env("WORKER_BASE_URL", server.uri())
        .env("WORKER_APP_ID", app_id)
        .env("WORKER_CALLERS", CALLERS.to_string())
        .env("WORKER_LOCK_TTL_MS", lock_ttl_ms.to_string())
        .env("WORKER_START_AT_MS", start_at_ms.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

/// Runs `WORKERS` worker processes at once and returns their parsed reports.
async fn run_workers(redis: &RedisServer, server: &MockServer, app_id: &str) -> Vec<Value> {
    let start = now_ms() + 1_500;
    let children: Vec<_> = (0..WORKERS)
        .map(|_| {
            worker(redis, server, app_id, start, 30_000)
                .spawn()
                .expect("worker starts")
        })
        .collect();
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|c| c.wait_with_output().expect("worker finishes"))
            .collect::<Vec<Output>>()
    })
    .await
    .unwrap();
    outputs.iter().map(report).collect()
}

fn report(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "worker failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "worker printed {:?}: {e}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

fn assert_all_ok(reports: &[Value]) {
    for r in reports {
        assert_eq!(r["errors"], json!([]), "{r}");
        assert_eq!(r["ok"], json!(CALLERS), "{r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_share_one_token_fetch() {
    let redis = RedisServer::start();
    let server = MockServer::start().await;
    token_endpoint(&server, "SHARED", Duration::from_millis(300), None).await;
    api_endpoint(&server, "SHARED", json!({ "dns": [] })).await;

    let reports = run_workers(&redis, &server, "wxmultiprocess00001").await;

    assert_all_ok(&reports);
    assert_eq!(
        token_fetches(&server).await,
        1,
        "exactly one token fetch across {WORKERS} processes"
    );
    let stored: String = redis
        .connection()
        .get("weixin:access_token:wxmultiprocess00001")
        .unwrap();
    assert!(stored.ends_with(" SHARED"), "{stored}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_40001_storm_across_processes_refreshes_once() {
    let redis = RedisServer::start();
    let server = MockServer::start().await;
    // The first token is already revoked when it is used; the second one works.
    token_endpoint(&server, "REVOKED", Duration::from_millis(100), Some(1)).await;
    token_endpoint(&server, "GOOD", Duration::from_millis(100), None).await;
    api_endpoint(
        &server,
        "REVOKED",
        json!({ "errcode": 40001, "errmsg": "invalid credential" }),
    )
    .await;
    api_endpoint(&server, "GOOD", json!({ "dns": [] })).await;

    let reports = run_workers(&redis, &server, "wxstorm000000000001").await;

    assert_all_ok(&reports);
    assert_eq!(
        token_fetches(&server).await,
        2,
        "the first fetch plus exactly one refresh"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_lock_holder_delays_others_only_until_the_lock_expires() {
    let redis = RedisServer::start();
    let server = MockServer::start().await;
    // The first fetch hangs (its process is killed meanwhile); later fetches answer at once.
    token_endpoint(&server, "NEVER", Duration::from_secs(120), Some(1)).await;
    token_endpoint(&server, "AFTER", Duration::ZERO, None).await;
    api_endpoint(&server, "AFTER", json!({ "dns": [] })).await;
    let app_id = "wxkilledholder00001";
    let lock_ttl_ms = 3_000;

    let mut holder = worker(&redis, &server, app_id, 0, lock_ttl_ms)
        .spawn()
        .expect("holder starts");
    let mut conn = redis.connection();
    let lock_key = format!("weixin:access_token:{app_id}:lock");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !conn.exists::<_, bool>(&lock_key).unwrap() {
        assert!(
            std::time::Instant::now() < deadline,
            "the holder never took the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert!(
        conn.exists::<_, bool>(&lock_key).unwrap(),
        "the dead holder's lock is still there"
    );

    let started = std::time::Instant::now();
    let child = worker(&redis, &server, app_id, 0, lock_ttl_ms)
        .spawn()
        .expect("worker starts");
    let output = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()),
    )
    .await
    .expect("the second process does not hang")
    .unwrap();
    assert_all_ok(&[report(&output)]);
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "it waited for the lock"
    );
    assert_eq!(token_fetches(&server).await, 2);
}

fn redis_client(redis: &Redis, server: &MockServer, app_id: &str) -> Client {
    let mut builder = Client::builder(app_id, "secret")
        .token_source(TokenSource::Stable)
        .token_store(Arc::new(redis.token_store()))
        .timeout(Duration::from_secs(5));
    for host in Host::ALL {
        builder = builder.base_url(host, &server.uri());
    }
    builder.build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_mid_run_calls_keep_succeeding() {
    let mut redis_server = RedisServer::start();
    let server = MockServer::start().await;
    token_endpoint(&server, "STABLE", Duration::ZERO, None).await;
    api_endpoint(&server, "STABLE", json!({ "dns": [] })).await;
    let redis = Redis::open(&redis_server.url()).unwrap();
    let client = redis_client(&redis, &server, "wxrestart0000000001");
    let call = || client.call_json(Method::Get, "/cgi-bin/get_api_domain_ip", None);

    call().await.expect("before the outage");
    redis_server.stop();
    for _ in 0..5 {
        call()
            .await
            .expect("during the outage: served from this process's copy");
    }
    assert!(redis.ping().await.is_err());
    redis_server.restart();
    let mut pinged = false;
    for _ in 0..50 {
        if redis.ping().await.is_ok() {
            pinged = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(pinged, "the connection recovers after the restart");
    for _ in 0..5 {
        call().await.expect("after the restart");
    }
    // The restarted Redis was empty; the token was fetched again and stored in a valid form.
    let stored: String = redis_server
        .connection()
        .get("weixin:access_token:wxrestart0000000001")
        .unwrap();
    assert!(stored.ends_with(" STABLE"), "{stored}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_fast_surfaces_redis_errors() {
    let mut redis_server = RedisServer::start();
    let redis = Redis::open(&redis_server.url()).unwrap();
    let store = redis.token_store().fail_fast();
    redis_server.stop();
    let err = store.get("weixin:access_token:wx").await.unwrap_err();
    assert!(err.to_string().contains("Redis GET failed"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefixes_keep_applications_apart() {
    let redis_server = RedisServer::start();
    let a = Redis::open(&redis_server.url()).unwrap().with_prefix("a:");
    let b = Redis::open(&redis_server.url()).unwrap().with_prefix("b:");
    let (sa, sb) = (a.token_store(), b.token_store());
    let later = SystemTime::now() + Duration::from_secs(100);
    sa.set(
        "k",
        StoredToken::new("for-a", later),
        Duration::from_secs(100),
    )
    .await
    .unwrap();
    sb.set(
        "k",
        StoredToken::new("for-b", later),
        Duration::from_secs(100),
    )
    .await
    .unwrap();
    assert_eq!(sa.get("k").await.unwrap().unwrap().value(), "for-a");
    assert_eq!(sb.get("k").await.unwrap().unwrap().value(), "for-b");
    assert!(!sa.compare_and_delete("k", "for-b").await.unwrap());
    assert!(sa.compare_and_delete("k", "for-a").await.unwrap());
    assert!(sa.get("k").await.unwrap().is_none());
    assert_eq!(sb.get("k").await.unwrap().unwrap().value(), "for-b");
    let keys: Vec<String> = redis_server.connection().keys("*").unwrap();
    assert_eq!(keys, ["b:k"]);
    assert!(
        sa.try_lock("l", "one", Duration::from_secs(5))
            .await
            .unwrap()
    );
    assert!(
        !sa.try_lock("l", "two", Duration::from_secs(5))
            .await
            .unwrap()
    );
    assert!(
        sb.try_lock("l", "two", Duration::from_secs(5))
            .await
            .unwrap()
    );
    sa.unlock("l", "two").await.unwrap();
    assert!(
        !sa.try_lock("l", "three", Duration::from_secs(5))
            .await
            .unwrap()
    );
    sa.unlock("l", "one").await.unwrap();
    assert!(
        sa.try_lock("l", "three", Duration::from_secs(5))
            .await
            .unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_durable_listed_and_never_silently_lost() {
    use weixin_runtime::CredentialStore;

    let mut redis_server = RedisServer::start();
    let redis = Redis::open(&redis_server.url()).unwrap().with_prefix("op:");
    let store = redis.credential_store();
    let before = SystemTime::now() - Duration::from_secs(1);
    store
        .save("weixin:component_verify_ticket:wxcomp", "ticket@@@1")
        .await
        .unwrap();
    store
        .save("weixin:authorizer_refresh_token:wxcomp:wxa1", "refresh-1")
        .await
        .unwrap();
    store
        .save("weixin:authorizer_refresh_token:wxcomp:wxa2", "refresh-2")
        .await
        .unwrap();
    store
        .save("weixin:authorizer_refresh_token:wxcomp:wxa2", "refresh-2b")
        .await
        .unwrap();

    let ticket = store
        .load("weixin:component_verify_ticket:wxcomp")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ticket.value(), "ticket@@@1");
    assert!(ticket.updated_at() >= before);
    assert_eq!(
        store
            .keys("weixin:authorizer_refresh_token:wxcomp:")
            .await
            .unwrap(),
        [
            "weixin:authorizer_refresh_token:wxcomp:wxa1",
            "weixin:authorizer_refresh_token:wxcomp:wxa2"
        ]
    );
    let refreshed = store
        .load("weixin:authorizer_refresh_token:wxcomp:wxa2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(refreshed.value(), "refresh-2b");
    let ttl: i64 = redis_server
        .connection()
        .ttl("op:weixin:component_verify_ticket:wxcomp")
        .unwrap();
    assert_eq!(ttl, -1, "durable credentials never expire");
    store
        .remove("weixin:authorizer_refresh_token:wxcomp:wxa1")
        .await
        .unwrap();
    assert!(
        store
            .load("weixin:authorizer_refresh_token:wxcomp:wxa1")
            .await
            .unwrap()
            .is_none()
    );

    redis_server.stop();
    let err = store
        .save("weixin:component_verify_ticket:wxcomp", "ticket@@@2")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Redis HSET failed"), "{err}");
    assert!(
        store
            .load("weixin:component_verify_ticket:wxcomp")
            .await
            .is_err()
    );
}
