//! Push dedup and conversation context shared through Redis by two service instances (two
//! web servers behind one load balancer), against a real `redis-server`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use weixin::push::{Message, Node, Push, PushRequest, Reply, Service, signature};
use weixin_runtime::redis::Redis;
use weixin_tests::redis_server::RedisServer;

const TOKEN: &str = "redis-push-token";

fn now() -> String {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string()
}

fn query() -> String {
    let timestamp = now();
    let sig = signature::sorted_sha1_hex(&[TOKEN, &timestamp, "nonce"]);
    format!("signature={sig}&timestamp={timestamp}&nonce=nonce")
}

fn text(content: &str, msg_id: u64) -> String {
    format!(
        "<xml><ToUserName>gh_redis</ToUserName><FromUserName>oUser</FromUserName><CreateTime>{}</CreateTime>\
         <MsgType>text</MsgType><Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>",
        now()
    )
}

/// An instance whose handler counts its runs and numbers the user's turns with context state.
fn instance(redis: &Redis, runs: Arc<AtomicUsize>) -> Service {
    Service::builder(TOKEN)
        .dedup(redis.dedup_store())
        .context(redis.context_store())
        .build(move |push: Push| {
            let runs = runs.clone();
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                let turn: u32 = push.context().state().await.ok().flatten().unwrap_or(0) + 1;
                // With Redis down the state cannot be saved; the dialogue restarts later.
                let _ = push.context().set_state(&turn).await;
                let seen = push.context().history().len();
                match push.message() {
                    Message::Text(t) => {
                        Reply::text(format!("{} turn={turn} seen={seen}", t.content))
                    }
                    _ => Reply::Success,
                }
            }
        })
        .expect("service")
}

async fn deliver(service: &Service, body: &str) -> (u16, String) {
    let query = query();
    let response = service
        .handle(PushRequest {
            method: "POST",
            query: &query,
            body: body.as_bytes(),
        })
        .await;
    (response.status, response.body)
}

fn content(xml: &str) -> String {
    Node::parse_xml(xml.as_bytes())
        .unwrap()
        .get("Content")
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_push_on_two_instances_runs_the_handler_once() {
    let server = RedisServer::start();
    let runs = Arc::new(AtomicUsize::new(0));
    let a = instance(&Redis::open(&server.url()).unwrap(), runs.clone());
    let b = instance(&Redis::open(&server.url()).unwrap(), runs.clone());

    let push = text("hi", 7_000_001);
    let (first, second) = tokio::join!(deliver(&a, &push), deliver(&b, &push));
    let third = deliver(&b, &push).await;

    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "one handler run for one push"
    );
    for (status, body) in [&first, &second, &third] {
        assert_eq!(*status, 200);
        assert_eq!(
            content(body),
            "hi turn=1 seen=1",
            "every delivery gets the same reply"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dialogue_continues_on_another_instance() {
    let server = RedisServer::start();
    let runs = Arc::new(AtomicUsize::new(0));
    let a = instance(&Redis::open(&server.url()).unwrap(), runs.clone());
    let b = instance(&Redis::open(&server.url()).unwrap(), runs.clone());

    let (_, first) = deliver(&a, &text("one", 7_100_001)).await;
    let (_, second) = deliver(&b, &text("two", 7_100_002)).await;

    assert_eq!(content(&first), "one turn=1 seen=1");
    // The second instance sees the first exchange (request and reply) and the saved state.
    assert_eq!(content(&second), "two turn=2 seen=3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_are_still_answered_while_redis_is_down() {
    let mut server = RedisServer::start();
    let runs = Arc::new(AtomicUsize::new(0));
    let a = instance(&Redis::open(&server.url()).unwrap(), runs.clone());
    server.stop();
    let (status, body) = deliver(&a, &text("down", 7_200_001)).await;
    assert_eq!(status, 200);
    assert_eq!(
        content(&body),
        "down turn=1 seen=1",
        "handled without dedup or stored context"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}
