//! The echo_bot example's contract, over real HTTP on loopback, in plain and safe mode.
//! (`cargo test` builds the examples first; this test runs the built binary.)

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use weixin::push::crypto::MsgCrypt;
use weixin::push::{Node, signature};

const TOKEN: &str = "echo-bot-token";
const APP_ID: &str = "wx2c2769f8efd9abc2";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

/// A running echo_bot, killed on drop.
struct Bot {
    child: Child,
    base: String,
}

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    let binary = profile_dir
        .join("examples")
        .join(format!("echo_bot{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: run through `cargo test`, which builds examples",
        binary.display()
    );
    binary
}

fn start(extra_env: &[(&str, &str)]) -> Bot {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut command = Command::new(example_binary());
    command
        .env_clear()
        .env("WEIXIN_TOKEN", TOKEN)
        .env("WEIXIN_APP_ID", APP_ID)
        .env("WEIXIN_LISTEN", &listen)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in extra_env {
        command.env(k, v);
    }
    let child = command.spawn().expect("echo_bot starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(&listen).is_err() {
        assert!(
            Instant::now() < deadline,
            "echo_bot did not listen on {listen}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
    Bot {
        child,
        base: format!("http://{listen}/wx"),
    }
}

fn now() -> String {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string()
}

fn signed_query(nonce: &str) -> String {
    let timestamp = now();
    let sig = signature::sorted_sha1_hex(&[TOKEN, &timestamp, nonce]);
    format!("signature={sig}&timestamp={timestamp}&nonce={nonce}&openid=oUser")
}

fn text_push(content: &str, msg_id: u64) -> String {
    let content = content.replace("]]>", "]]]]><![CDATA[>");
    format!(
        "<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>\
         <MsgId>{msg_id}</MsgId></xml>",
        now()
    )
}

fn event_push(event: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event><EventKey><![CDATA[KEY_1]]></EventKey></xml>",
        now()
    )
}

async fn post(url: &str, body: String) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(url)
        .body(body)
        .send()
        .await
        .expect("POST");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

fn reply_content(xml: &str) -> (String, String, String) {
    let node = Node::parse_xml(xml.as_bytes()).unwrap_or_else(|e| panic!("{e}: {xml}"));
    let get = |k: &str| node.get(k).unwrap_or_default().to_owned();
    (get("ToUserName"), get("MsgType"), get("Content"))
}

#[tokio::test]
async fn plain_mode_contract() {
    let bot = start(&[]);

    let timestamp = now();
    let sig = signature::sorted_sha1_hex(&[TOKEN, &timestamp, "n1"]);
    let url = format!(
        "{}?signature={sig}&timestamp={timestamp}&nonce=n1&echostr=ECHO123",
        bot.base
    );
    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ECHO123");

    let (status, body) = post(
        &format!("{}?{}", bot.base, signed_query("n2")),
        text_push("hello ]]> 你好", 1),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        reply_content(&body),
        ("oUser".into(), "text".into(), "echo: hello ]]> 你好".into())
    );

    let (status, body) = post(
        &format!("{}?{}", bot.base, signed_query("n3")),
        event_push("subscribe"),
    )
    .await;
    assert_eq!((status, reply_content(&body).2), (200, "welcome".into()));

    let (status, body) = post(
        &format!("{}?{}", bot.base, signed_query("n4")),
        event_push("CLICK"),
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "success"));

    let bad = format!(
        "{}?signature={}&timestamp={}&nonce=n5",
        bot.base,
        "0".repeat(40),
        now()
    );
    let (status, body) = post(&bad, text_push("forged", 2)).await;
    assert!(status == 401 || status == 403, "{status} {body}");
    assert!(!body.contains("forged"));
}

#[tokio::test]
async fn safe_mode_contract() {
    let bot = start(&[("WEIXIN_ENCODING_AES_KEY", AES_KEY)]);
    let crypt = MsgCrypt::new(TOKEN, AES_KEY, APP_ID).unwrap();

    let encrypt = crypt.encrypt(text_push("secret hello", 10).as_bytes());
    let timestamp = now();
    let msg_signature = crypt.msg_signature(&timestamp, "n6", &encrypt);
    let plain_sig = signature::sorted_sha1_hex(&[TOKEN, &timestamp, "n6"]);
    let url = format!(
        "{}?signature={plain_sig}&timestamp={timestamp}&nonce=n6&openid=oUser&encrypt_type=aes&msg_signature={msg_signature}",
        bot.base
    );
    let body = format!(
        "<xml><ToUserName><![CDATA[gh_account]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    );
    let (status, reply) = post(&url, body).await;
    assert_eq!(status, 200, "{reply}");

    let envelope = Node::parse_xml(reply.as_bytes()).unwrap();
    let sealed = envelope.get("Encrypt").expect("an encrypted reply");
    let (ts, nonce) = (
        envelope.get("TimeStamp").unwrap(),
        envelope.get("Nonce").unwrap(),
    );
    crypt
        .verify_msg_signature(envelope.get("MsgSignature").unwrap(), ts, nonce, sealed)
        .expect("the reply's msg_signature verifies");
    let inner = String::from_utf8(crypt.decrypt(sealed).unwrap()).unwrap();
    assert_eq!(reply_content(&inner).2, "echo: secret hello");

    // Plain pushes are still accepted in safe mode unless encryption is required.
    let (status, body) = post(
        &format!("{}?{}", bot.base, signed_query("n7")),
        text_push("plain", 11),
    )
    .await;
    assert_eq!(
        (status, reply_content(&body).2),
        (200, "echo: plain".into())
    );

    // A wrong msg_signature never reaches the handler.
    let forged = url.replace(&msg_signature, &"f".repeat(40));
    let body = format!("<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>");
    let (status, _) = post(&forged, body).await;
    assert!(status == 401 || status == 403, "{status}");
}

#[tokio::test]
async fn required_encryption_refuses_plain_pushes() {
    let bot = start(&[
        ("WEIXIN_ENCODING_AES_KEY", AES_KEY),
        ("WEIXIN_REQUIRE_ENCRYPTION", "1"),
    ]);
    let (status, body) = post(
        &format!("{}?{}", bot.base, signed_query("n8")),
        text_push("plain", 12),
    )
    .await;
    assert!(status == 401 || status == 403, "{status} {body}");
}
