//! Token caching, single flight, early refresh, refresh-and-resend-once, token endpoint errors.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::json;
use weixin_runtime::{Error, Shared, StoredToken, TokenSource};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer};

use crate::common::*;

fn thing_mock(token: &str) -> Mock {
    Mock::given(method("GET"))
        .and(path("/cgi-bin/thing"))
        .and(query_param("access_token", token))
        .and(query_param("id", "7"))
        .respond_with(json_ok(json!({"errcode": 0, "errmsg": "ok", "value": "v"})))
}

fn invalid_credential(token: &str) -> Mock {
    Mock::given(method("GET"))
        .and(path("/cgi-bin/thing"))
        .and(query_param("access_token", token))
        .respond_with(json_ok(json!({
            "errcode": 40001,
            "errmsg": "invalid credential, access_token is invalid or not latest rid: 65ab-cd01"
        })))
}

fn get_thing() -> GetThing {
    GetThing { id: "7".into() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cold_cache_200_concurrent_calls_fetch_one_token() {
    let server = MockServer::start().await;
    token_mock_after("T1", 7200, Duration::from_millis(150))
        .expect(1)
        .mount(&server)
        .await;
    thing_mock("T1").expect(200).mount(&server).await;
    let client = client(&server);

    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.send(&get_thing()).await })
        })
        .collect();
    for task in tasks {
        let thing = task.await.expect("task").expect("call");
        assert_eq!(thing.value.as_deref(), Some("v"));
    }
    assert_eq!(hits(&server, "/cgi-bin/stable_token").await, 1);
}

#[tokio::test]
async fn cached_token_is_reused() {
    let server = MockServer::start().await;
    token_mock("T1", 7200).expect(1).mount(&server).await;
    thing_mock("T1").expect(3).mount(&server).await;
    let client = client(&server);
    for _ in 0..3 {
        client.send(&get_thing()).await.expect("call");
    }
    assert_eq!(client.access_token().await.expect("token").secret(), "T1");
}

#[tokio::test]
async fn clients_of_one_shared_share_the_token() {
    let server = MockServer::start().await;
    token_mock("T1", 7200).expect(1).mount(&server).await;
    thing_mock("T1").expect(2).mount(&server).await;
    let shared = Shared::new();
    let make = || {
        weixin_runtime::Client::builder(APP_ID, APP_SECRET)
            .shared(&shared)
            .base_url(weixin_runtime::Host::Api, &server.uri())
            .build()
            .expect("client")
    };
    let (a, b) = (make(), make());
    a.send(&get_thing()).await.expect("a");
    b.send(&get_thing()).await.expect("b");
}

#[tokio::test]
async fn token_near_expiry_is_refreshed_early_once() {
    let server = MockServer::start().await;
    token_mock("NEW", 7200).expect(1).mount(&server).await;
    thing_mock("NEW").expect(2).mount(&server).await;
    thing_mock("OLD").expect(0).mount(&server).await;
    let shared = Shared::new();
    let now = SystemTime::now();
    // Issued almost two hours ago, 100 s left: inside the default 300 s margin.
    let old = StoredToken::with_issued_at(
        "OLD",
        now - Duration::from_secs(7100),
        now + Duration::from_secs(100),
    );
    let key = format!("weixin:access_token:{APP_ID}");
    shared
        .token_store()
        .set(&key, old, Duration::from_secs(100))
        .await
        .expect("seed");
    let client = weixin_runtime::Client::builder(APP_ID, APP_SECRET)
        .shared(&shared)
        .base_url(weixin_runtime::Host::Api, &server.uri())
        .build()
        .expect("client");
    client.send(&get_thing()).await.expect("first");
    client.send(&get_thing()).await.expect("second");
}

#[tokio::test]
async fn token_outside_margin_is_not_refreshed() {
    let server = MockServer::start().await;
    token_mock("NEW", 7200).expect(0).mount(&server).await;
    thing_mock("OLD").expect(1).mount(&server).await;
    let shared = Shared::new();
    let now = SystemTime::now();
    let old = StoredToken::with_issued_at("OLD", now, now + Duration::from_secs(3600));
    let key = format!("weixin:access_token:{APP_ID}");
    shared
        .token_store()
        .set(&key, old, Duration::from_secs(3600))
        .await
        .expect("seed");
    let client = weixin_runtime::Client::builder(APP_ID, APP_SECRET)
        .shared(&shared)
        .base_url(weixin_runtime::Host::Api, &server.uri())
        .build()
        .expect("client");
    client.send(&get_thing()).await.expect("call");
}

#[tokio::test]
async fn classic_token_source_uses_get_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/token"))
        .and(query_param("grant_type", "client_credential"))
        .and(query_param("appid", APP_ID))
        .and(query_param("secret", APP_SECRET))
        .respond_with(json_ok(json!({"access_token": "C1", "expires_in": 7200})))
        .expect(1)
        .mount(&server)
        .await;
    thing_mock("C1").expect(1).mount(&server).await;
    let client = builder(&server)
        .token_source(TokenSource::Classic)
        .build()
        .expect("client");
    client.send(&get_thing()).await.expect("call");
}

/// Token endpoint answering T1 once, then T2.
async fn mount_rotating_tokens(server: &MockServer) {
    token_mock("T1", 7200)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    token_mock("T2", 7200).mount(server).await;
}

#[tokio::test]
async fn refresh_class_errcode_invalidates_and_resends_once() {
    let server = MockServer::start().await;
    mount_rotating_tokens(&server).await;
    invalid_credential("T1").expect(1).mount(&server).await;
    thing_mock("T2").expect(2).mount(&server).await;
    let client = client(&server);
    let thing = client
        .send(&get_thing())
        .await
        .expect("resent with the new token");
    assert_eq!(thing.value.as_deref(), Some("v"));
    assert_eq!(hits(&server, "/cgi-bin/stable_token").await, 2);
    // The new token is cached.
    client.send(&get_thing()).await.expect("T2 reused");
    assert_eq!(hits(&server, "/cgi-bin/stable_token").await, 2);
}

#[tokio::test]
async fn second_refresh_class_errcode_is_returned_not_looped() {
    let server = MockServer::start().await;
    mount_rotating_tokens(&server).await;
    invalid_credential("T1").expect(1).mount(&server).await;
    invalid_credential("T2").expect(1).mount(&server).await;
    let client = client(&server);
    // A loop would hang: bound the call.
    let err = tokio::time::timeout(Duration::from_secs(5), client.send(&get_thing()))
        .await
        .expect("no refresh loop")
        .expect_err("still invalid");
    assert_eq!(err.api_code().map(|c| c.get()), Some(40001));
    let Error::Api(api) = &err else {
        panic!("expected Api, got {err:?}")
    };
    assert_eq!(api.rid(), Some("65ab-cd01"));
    assert_eq!(hits(&server, "/cgi-bin/stable_token").await, 2);
    assert_eq!(hits(&server, "/cgi-bin/thing").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refresh_class_errcodes_refresh_once() {
    let server = MockServer::start().await;
    mount_rotating_tokens(&server).await;
    // The 40001 answers are slow, so both calls are in flight with T1 before either learns
    // that it is invalid, however the two tasks are scheduled.
    Mock::given(method("GET"))
        .and(path("/cgi-bin/thing"))
        .and(query_param("access_token", "T1"))
        .respond_with(
            json_ok(json!({"errcode": 40001, "errmsg": "invalid credential"}))
                .set_delay(Duration::from_millis(300)),
        )
        .expect(2)
        .mount(&server)
        .await;
    thing_mock("T2").expect(2).mount(&server).await;
    let client = client(&server);
    let (first, second) = (get_thing(), get_thing());
    let (a, b) = tokio::join!(client.send(&first), client.send(&second));
    a.expect("a");
    b.expect("b");
    assert_eq!(hits(&server, "/cgi-bin/stable_token").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalidation_only_drops_the_failed_token() {
    let server = MockServer::start().await;
    token_mock("T3", 7200).expect(0).mount(&server).await;
    Mock::given(path("/cgi-bin/thing"))
        .and(query_param("access_token", "T1"))
        .respond_with(
            json_ok(json!({"errcode": 42001, "errmsg": "access_token expired"}))
                .set_delay(Duration::from_millis(300)),
        )
        .expect(1)
        .mount(&server)
        .await;
    thing_mock("T2").expect(1).mount(&server).await;
    let shared = Shared::new();
    let store = shared.token_store().clone();
    let key = format!("weixin:access_token:{APP_ID}");
    let far = SystemTime::now() + Duration::from_secs(7200);
    store
        .set(&key, StoredToken::new("T1", far), Duration::from_secs(7200))
        .await
        .expect("seed");
    let client = weixin_runtime::Client::builder(APP_ID, APP_SECRET)
        .shared(&shared)
        .base_url(weixin_runtime::Host::Api, &server.uri())
        .build()
        .expect("client");
    let call = tokio::spawn(async move { client.send(&get_thing()).await });
    // While the call with T1 is in flight, another process replaces the token.
    tokio::time::sleep(Duration::from_millis(100)).await;
    store
        .set(&key, StoredToken::new("T2", far), Duration::from_secs(7200))
        .await
        .expect("replace");
    call.await.expect("task").expect("resent with T2");
    let kept = store
        .get(&key)
        .await
        .expect("get")
        .map(|t| t.value().to_owned());
    assert_eq!(kept.as_deref(), Some("T2"), "T2 must not be dropped");
}

#[tokio::test]
async fn token_endpoint_errors_are_token_errors_without_retry() {
    for code in [40013, 40125, 40164, 40001] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/cgi-bin/stable_token"))
            .respond_with(json_ok(
                json!({"errcode": code, "errmsg": format!("bad thing rid: r-{code}")}),
            ))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(path("/cgi-bin/thing"))
            .respond_with(json_ok(json!({})))
            .expect(0)
            .mount(&server)
            .await;
        let client = client(&server);
        let err = client.send(&get_thing()).await.expect_err("token fails");
        let Error::Token(token) = &err else {
            panic!("expected Token for {code}, got {err:?}")
        };
        assert_eq!(token.code().map(|c| c.get()), Some(code));
        assert_eq!(
            token.api_error().and_then(|a| a.rid()),
            Some(format!("r-{code}").as_str())
        );
        assert!(!err.is_retryable());
        assert!(err.to_string().contains(&code.to_string()), "{err}");
    }
}

#[tokio::test]
async fn custom_token_provider_is_used() {
    #[derive(Debug)]
    struct Fixed;
    impl weixin_runtime::TokenProvider for Fixed {
        fn token(
            &self,
        ) -> weixin_runtime::BoxFuture<'_, Result<weixin_runtime::AccessToken, Error>> {
            Box::pin(async { Ok(weixin_runtime::AccessToken::new("AUTHORIZER")) })
        }
        fn invalidate<'a>(
            &'a self,
            _stale: &'a weixin_runtime::AccessToken,
        ) -> weixin_runtime::BoxFuture<'a, Result<(), Error>> {
            Box::pin(async { Ok(()) })
        }
    }
    let server = MockServer::start().await;
    token_mock("T1", 7200).expect(0).mount(&server).await;
    thing_mock("AUTHORIZER").expect(1).mount(&server).await;
    let client = builder(&server)
        .token_provider(Arc::new(Fixed))
        .build()
        .expect("client");
    client.send(&get_thing()).await.expect("call");
}
