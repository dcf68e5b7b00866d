//! The echo bot's handler and WeChat-shaped text pushes to feed it, shared by the push
//! benchmark (`benches/push.rs`) and the memory probe (`src/bin/push_rss.rs`).

use std::time::{SystemTime, UNIX_EPOCH};

use weixin::push::crypto::MsgCrypt;
use weixin::push::signature::sorted_sha1_hex;
use weixin::push::{Message, Push, PushRequest, Reply};

/// The Tencent sample's token (also used by `bench/wechatpy_push.py`).
pub const TOKEN: &str = "spamtest";
/// The Tencent sample's `EncodingAESKey`.
pub const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
/// The Tencent sample's AppID.
pub const APP_ID: &str = "wx2c2769f8efd9abc2";
/// The account's original id (`ToUserName`).
pub const ACCOUNT: &str = "gh_10f6c3c3ac5a";
/// The text every push carries.
pub const CONTENT: &str = "Hello! 你好，请问今天的营业时间是几点到几点？";
/// The query's nonce.
pub const NONCE: &str = "1320562132";

/// The echo bot's handler (`generated/examples/echo_bot.rs`, without its log line).
pub async fn echo(push: Push) -> Reply {
    match push.message() {
        Message::Text(text) => Reply::text(format!("echo: {}", text.content)),
        Message::Subscribe(_) => Reply::text("welcome"),
        _ => Reply::Success,
    }
}

/// Unix seconds now.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The decrypted XML of a text push from `user` with this `MsgId`.
pub fn text_xml(user: &str, msg_id: u64, timestamp: u64) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>\n\
         <FromUserName><![CDATA[{user}]]></FromUserName>\n\
         <CreateTime>{timestamp}</CreateTime>\n\
         <MsgType><![CDATA[text]]></MsgType>\n\
         <Content><![CDATA[{CONTENT}]]></Content>\n\
         <MsgId>{msg_id}</MsgId>\n</xml>"
    )
}

/// One push as WeChat sends it: the query string and the body, timestamped now.
pub struct SignedPush {
    /// The query string, without `?`.
    pub query: String,
    /// The body.
    pub body: Vec<u8>,
}

impl SignedPush {
    /// A safe-mode push: `<Encrypt>` in the body, `msg_signature` in the query.
    pub fn safe(crypt: &MsgCrypt, user: &str, msg_id: u64) -> Self {
        let timestamp = unix_now();
        let encrypt = crypt.encrypt(text_xml(user, msg_id, timestamp).as_bytes());
        let ts = timestamp.to_string();
        let signature = sorted_sha1_hex(&[TOKEN, &ts, NONCE]);
        let msg_signature = crypt.msg_signature(&ts, NONCE, &encrypt);
        SignedPush {
            query: format!(
                "signature={signature}&timestamp={ts}&nonce={NONCE}&openid={user}\
                 &encrypt_type=aes&msg_signature={msg_signature}"
            ),
            body: format!(
                "<xml>\n<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>\n\
                 <Encrypt><![CDATA[{encrypt}]]></Encrypt>\n</xml>"
            )
            .into_bytes(),
        }
    }

    /// A plain-mode push: the XML itself, `signature` in the query.
    pub fn plain(user: &str, msg_id: u64) -> Self {
        let timestamp = unix_now();
        let ts = timestamp.to_string();
        let signature = sorted_sha1_hex(&[TOKEN, &ts, NONCE]);
        SignedPush {
            query: format!("signature={signature}&timestamp={ts}&nonce={NONCE}&openid={user}"),
            body: text_xml(user, msg_id, timestamp).into_bytes(),
        }
    }

    /// The push as the service takes it.
    pub fn request(&self) -> PushRequest<'_> {
        PushRequest {
            method: "POST",
            query: &self.query,
            body: &self.body,
        }
    }
}
