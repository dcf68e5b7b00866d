//! Dedup of WeChat's retries, the deadline and late replies, handler panics.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use weixin_runtime::push::crypto::MsgCrypt;
use weixin_runtime::push::{Claim, DedupStore, LateReply, Push, Service};
use weixin_runtime::{BoxFuture, StoreError};

use crate::common::*;

/// A handler that counts runs and answers after `delay`.
fn slow_echo(
    calls: &Calls,
    delay: Duration,
) -> impl Fn(Push<Msg>) -> BoxFuture<'static, Rep> + Send + Sync + 'static {
    let calls = calls.clone();
    move |push: Push<Msg>| {
        let run = calls.hit();
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            match push.message() {
                Msg::Text { content, .. } => Rep::Text(format!("run {run}: {content}")),
                _ => Rep::Text(format!("run {run}: event")),
            }
        })
    }
}

#[tokio::test(start_paused = true)]
async fn retries_get_the_first_reply() {
    let calls = Calls::default();
    let service: Svc = Service::builder(TOKEN)
        .build(slow_echo(&calls, Duration::from_millis(300)))
        .unwrap();
    let push = text_push("o_user", "hi", 1001);
    let query = plain_query(TOKEN, now(), "1");

    // Sequential retries.
    let first = post(&service, &query, &push).await;
    let second = post(&service, &query, &push).await;
    let third = post(&service, &query, &push).await;
    assert_eq!(field(&first.body, "Content").as_deref(), Some("run 0: hi"));
    assert_eq!(first.body, second.body);
    assert_eq!(first.body, third.body);
    assert_eq!(calls.count(), 1);

    // Concurrent retries: the later ones wait for the first reply.
    let push = text_push("o_user", "again", 1002);
    let (a, b, c) = tokio::join!(
        post(&service, &query, &push),
        post(&service, &query, &push),
        post(&service, &query, &push)
    );
    assert_eq!(calls.count(), 2);
    assert_eq!(field(&a.body, "Content").as_deref(), Some("run 1: again"));
    assert_eq!(a.body, b.body);
    assert_eq!(a.body, c.body);

    // A different MsgId is a different push.
    let other = post(&service, &query, &text_push("o_user", "hi", 1003)).await;
    assert_eq!(field(&other.body, "Content").as_deref(), Some("run 2: hi"));
}

#[tokio::test(start_paused = true)]
async fn encrypted_duplicates_are_sealed_afresh() {
    let key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    let calls = Calls::default();
    let service: Svc = Service::builder(TOKEN)
        .app_id("wx_app")
        .encoding_aes_key(key)
        .build(slow_echo(&calls, Duration::ZERO))
        .unwrap();
    let crypt = MsgCrypt::new(TOKEN, key, "wx_app").unwrap();
    let encrypt = crypt.encrypt(text_push("o_user", "secret", 2001).as_bytes());
    let timestamp = now().to_string();
    let query = format!(
        "msg_signature={}&timestamp={timestamp}&nonce=9",
        crypt.msg_signature(&timestamp, "9", &encrypt)
    );
    let body = format!(
        "<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    );
    let first = post(&service, &query, &body).await;
    let retry = post(&service, &query, &body).await;
    let open = |body: &str| {
        let sealed = field(body, "Encrypt").expect("encrypted");
        String::from_utf8(crypt.decrypt(&sealed).unwrap()).unwrap()
    };
    assert_ne!(field(&first.body, "Encrypt"), field(&retry.body, "Encrypt"));
    assert_eq!(open(&first.body), open(&retry.body));
    assert_eq!(
        field(&open(&retry.body), "Content").as_deref(),
        Some("run 0: secret")
    );
    assert_eq!(calls.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn events_are_deduplicated_by_sender_and_create_time() {
    let calls = Calls::default();
    let service: Svc = Service::builder(TOKEN)
        .timestamp_window(FOREVER)
        .build(slow_echo(&calls, Duration::ZERO))
        .unwrap();
    let query = plain_query(TOKEN, now(), "1");
    let event = event_push("o_a", 1_700_000_000, "MENU_1");
    let first = post(&service, &query, &event).await;
    let retry = post(&service, &query, &event).await;
    assert_eq!(first.body, retry.body);
    assert_eq!(calls.count(), 1);

    post(
        &service,
        &query,
        &event_push("o_b", 1_700_000_000, "MENU_1"),
    )
    .await;
    post(
        &service,
        &query,
        &event_push("o_a", 1_700_000_001, "MENU_1"),
    )
    .await;
    post(
        &service,
        &query,
        &event_push("o_a", 1_700_000_000, "MENU_2"),
    )
    .await;
    assert_eq!(calls.count(), 4);
}

#[tokio::test(start_paused = true)]
async fn a_slow_handler_gets_success_and_its_reply_goes_to_the_callback() {
    let calls = Calls::default();
    let (late_tx, mut late_rx) = tokio::sync::mpsc::unbounded_channel::<LateReply<Rep>>();
    let service: Svc = Service::builder(TOKEN)
        .deadline(Duration::from_millis(200))
        .on_late_reply(move |late| {
            let late_tx = late_tx.clone();
            async move {
                late_tx.send(late).expect("receiver alive");
            }
        })
        .build(slow_echo(&calls, Duration::from_secs(3)))
        .unwrap();
    let push = text_push("o_slow", "think", 3001);
    let query = plain_query(TOKEN, now(), "1");

    let started = tokio::time::Instant::now();
    let response = post(&service, &query, &push).await;
    assert_eq!((response.status, response.body.as_str()), (200, "success"));
    assert_eq!(started.elapsed(), Duration::from_millis(200));

    // WeChat's retry is answered `success` at once, without a second run.
    let retry = post(&service, &query, &push).await;
    assert_eq!(retry.body, "success");
    assert!(started.elapsed() < Duration::from_millis(300));

    let late = late_rx.recv().await.expect("the late reply arrives");
    assert_eq!(late.reply, Rep::Text("run 0: think".into()));
    assert_eq!(late.meta.from_user_name, "o_slow");
    assert_eq!(started.elapsed(), Duration::from_secs(3));
    assert_eq!(calls.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_late_reply_without_a_callback_is_dropped() {
    let calls = Calls::default();
    let service: Svc = Service::builder(TOKEN)
        .deadline(Duration::from_millis(100))
        .build(slow_echo(&calls, Duration::from_secs(1)))
        .unwrap();
    let response = post(
        &service,
        &plain_query(TOKEN, now(), "1"),
        &text_push("o", "x", 3002),
    )
    .await;
    assert_eq!(response.body, "success");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(calls.count(), 1);
}

#[tokio::test]
async fn a_panicking_handler_gets_500_and_the_retry_runs_again() {
    let calls = Calls::default();
    let counter = calls.clone();
    let service: Svc = Service::builder(TOKEN)
        .build(move |push: Push<Msg>| {
            let run = counter.hit();
            async move {
                assert!(run > 0, "the first run fails (expected panic in this test)");
                match push.into_message() {
                    Msg::Text { content, .. } => Rep::Text(format!("second try: {content}")),
                    _ => Rep::Success,
                }
            }
        })
        .unwrap();
    let push = text_push("o_user", "boom", 4001);
    let query = plain_query(TOKEN, now(), "1");
    let first = post(&service, &query, &push).await;
    assert_eq!(first.status, 500);
    let retry = post(&service, &query, &push).await;
    assert_eq!(retry.status, 200);
    assert_eq!(
        field(&retry.body, "Content").as_deref(),
        Some("second try: boom")
    );
    assert_eq!(calls.count(), 2);
}

#[tokio::test]
async fn a_handler_panicking_after_it_waited_gets_500() {
    let service: Svc = Service::builder(TOKEN)
        .build(|_push: Push<Msg>| async move {
            tokio::task::yield_now().await;
            panic!("fails on its own task (expected panic in this test)");
        })
        .unwrap();
    let response = post(
        &service,
        &plain_query(TOKEN, now(), "1"),
        &text_push("o_user", "boom", 4002),
    )
    .await;
    assert_eq!(response.status, 500);
}

#[tokio::test]
async fn a_handler_panicking_before_it_makes_its_future_gets_500() {
    let service: Svc = Service::builder(TOKEN)
        .build(|_push: Push<Msg>| -> std::future::Ready<Rep> {
            panic!("fails while making its future (expected panic in this test)")
        })
        .unwrap();
    let response = post(
        &service,
        &plain_query(TOKEN, now(), "1"),
        &text_push("o_user", "boom", 4004),
    )
    .await;
    assert_eq!(response.status, 500);
}

#[tokio::test(start_paused = true)]
async fn a_waiting_handler_is_not_cancelled_when_the_request_goes_away() {
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<String>();
    let done_tx = Arc::new(Mutex::new(Some(done_tx)));
    let service: Svc = Service::builder(TOKEN)
        .build(move |push: Push<Msg>| {
            let done_tx = Arc::clone(&done_tx);
            async move {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let sender = done_tx.lock().unwrap().take().expect("one run");
                sender.send(push.meta().from_user_name.clone()).unwrap();
                Rep::Success
            }
        })
        .unwrap();
    // The request is dropped while the handler sleeps (as when the connection closes).
    let query = plain_query(TOKEN, now(), "1");
    let push = text_push("o_gone", "bye", 4003);
    let dropped =
        tokio::time::timeout(Duration::from_millis(10), post(&service, &query, &push)).await;
    assert!(dropped.is_err(), "the request was still waiting");
    let finished = tokio::time::timeout(Duration::from_secs(5), done_rx).await;
    assert_eq!(finished.expect("in time").expect("sent"), "o_gone");
}

/// A dedup store that always fails.
struct BrokenStore;

impl DedupStore for BrokenStore {
    fn claim<'a>(&'a self, _: &'a str, _: Duration) -> BoxFuture<'a, Result<Claim, StoreError>> {
        Box::pin(async { Err(StoreError::new("down")) })
    }
    fn complete<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        _: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async { Err(StoreError::new("down")) })
    }
    fn release<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async { Err(StoreError::new("down")) })
    }
}

#[tokio::test]
async fn a_failing_dedup_store_still_handles_every_push() {
    let calls = Calls::default();
    let service = echo_builder_service(&calls, |b| b.dedup(BrokenStore));
    let push = text_push("o_user", "hi", 5001);
    let query = plain_query(TOKEN, now(), "1");
    for _ in 0..2 {
        let response = post(&service, &query, &push).await;
        assert_eq!(
            field(&response.body, "Content").as_deref(),
            Some("echo: hi")
        );
    }
    assert_eq!(calls.count(), 2, "at-least-once while the store is down");
}

/// A dedup store that records what the service asked of it.
#[derive(Clone, Default)]
struct Recording(Arc<Mutex<Vec<String>>>);

impl DedupStore for Recording {
    fn claim<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Claim, StoreError>> {
        self.0
            .lock()
            .unwrap()
            .push(format!("claim {key} {}", ttl.as_secs()));
        Box::pin(async { Ok(Claim::First) })
    }
    fn complete<'a>(
        &'a self,
        key: &'a str,
        reply: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let content = field(reply, "Content").unwrap_or_else(|| reply.to_owned());
        self.0
            .lock()
            .unwrap()
            .push(format!("complete {key} {content} {}", ttl.as_secs()));
        Box::pin(async { Ok(()) })
    }
    fn release<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.0.lock().unwrap().push(format!("release {key}"));
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn the_store_sees_keys_plaintext_replies_and_the_ttl() {
    let store = Recording::default();
    let calls = Calls::default();
    let service = echo_builder_service(&calls, |b| {
        b.dedup(store.clone()).dedup_ttl(Duration::from_secs(120))
    });
    post(
        &service,
        &plain_query(TOKEN, now(), "1"),
        &text_push("o_user", "hi", 6001),
    )
    .await;
    post(
        &service,
        &plain_query(TOKEN, now(), "1"),
        &event_push("o_user", 5, "k"),
    )
    .await;
    let log = store.0.lock().unwrap().clone();
    assert_eq!(log[0], "claim msg:gh_account:6001 120");
    assert_eq!(log[1], "complete msg:gh_account:6001 echo: hi 120");
    assert!(
        log[2].starts_with("claim evt:gh_account:o_user:5:"),
        "{}",
        log[2]
    );
    assert!(log[3].ends_with(" success 120"), "{}", log[3]);
}
