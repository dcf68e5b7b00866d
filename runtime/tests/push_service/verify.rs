//! URL verification, signatures, safe and compat modes, refusals.

use weixin_runtime::push::crypto::MsgCrypt;
use weixin_runtime::push::{CONTENT_TYPE_TEXT, CONTENT_TYPE_XML, Push, Service};

use crate::common::*;

/// wechatpy `tests/test_utils.py`: token `test`, timestamp 1410685589, nonce `test`.
const WECHATPY_SIGNATURE: &str = "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff";
/// Open-platform doc push URL: token `AAAAA`, timestamp 1715943329, nonce 1590219412.
const OPDOC_SIGNATURE: &str = "cc0c594499c1634947d5b502f158ee518947db27";
const OPDOC_TOKEN: &str = "AAAAA";
const OPDOC_KEY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const OPDOC_APPID: &str = "wx134c8103faa5a59e";
const OPDOC_TIMESTAMP: &str = "1715943329";
const OPDOC_NONCE: &str = "1590219412";
const OPDOC_MSG_SIGNATURE: &str = "6c12a4205838198b8fa631b3220723bb07f1015c";
const OPDOC_ENCRYPT: &str = "D7yzvUNAL930rd28wf21s4hvXhz0L6Uit/p2Di6C5DHyYGpEgdBRnKjBec34JwoQXicwaZC7fOVihW80F4VtsdvE//1vr7oAbqjDv8KenVp+ajKYpJnyQ4zMRhIC+a31fCVOMC03FfzV/QuC94kBP55a+Za3sJgvAn+ZbsNqZI5DkyuzkhQN8OBqCzFhizGmy0xpM0MEA4agpvE+RuNO1rhHTtuJB5yltw1FiYzecSXJ+y/D2r81VkRn2eYjh2ltsoyfbDR7Is6ookXIFxTfyeNyeHxMeT4KN5WpCDmSbTcUYrbBUlkGLJ9n/rU8YOywma6G7aTb7KZKOqCxgfoUlYEZPk4FUL/TK7ShriFDMVCLyjQJ15Ob++agDWtcxhfUfe6HIoIpRW8mKNBQiY/Jd1svvuskA1wLef1RTtzKfMpagSCX/laZINmdnX4zrF6kIaR9P4xQrWXbsTFHTYe0Mg==";

fn opdoc_query() -> String {
    format!(
        "signature={OPDOC_SIGNATURE}&timestamp={OPDOC_TIMESTAMP}&nonce={OPDOC_NONCE}&openid=o9AgO5Kd5ggOC-bXrbNODIiE3bGY&encrypt_type=aes&msg_signature={OPDOC_MSG_SIGNATURE}"
    )
}

fn opdoc_body() -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName>\n<Encrypt><![CDATA[{OPDOC_ENCRYPT}]]></Encrypt>\n</xml>"
    )
}

/// A service for the op-doc account whose handler records what it saw and answers text.
fn opdoc_service(
    app_id: &str,
    seen: std::sync::Arc<std::sync::Mutex<Vec<(Msg, String, bool)>>>,
) -> Svc {
    Service::builder(OPDOC_TOKEN)
        .app_id(app_id)
        .encoding_aes_key(OPDOC_KEY)
        .timestamp_window(FOREVER)
        .build(move |push: Push<Msg>| {
            let debug_str = push.node().get("debug_str").unwrap_or_default().to_owned();
            seen.lock()
                .unwrap()
                .push((push.message().clone(), debug_str, push.encrypted()));
            async { Rep::Text("good luck".into()) }
        })
        .expect("service builds")
}

#[tokio::test]
async fn plain_url_verification_with_published_vectors() {
    let calls = Calls::default();
    for (token, timestamp, nonce, signature) in [
        ("test", "1410685589", "test", WECHATPY_SIGNATURE),
        (OPDOC_TOKEN, OPDOC_TIMESTAMP, OPDOC_NONCE, OPDOC_SIGNATURE),
    ] {
        let service = echo_builder_service(&calls, |_| {
            Service::builder(token).timestamp_window(FOREVER)
        });
        let query = format!(
            "signature={signature}&echostr=5837397749888052937&timestamp={timestamp}&nonce={nonce}"
        );
        let response = get(&service, &query).await;
        assert_eq!(response.status, 200);
        assert_eq!(response.body, "5837397749888052937");
        assert_eq!(response.content_type, CONTENT_TYPE_TEXT);

        let bad = query.replace(&signature[..4], "0000");
        assert_eq!(get(&service, &bad).await.status, 403);
    }
    assert_eq!(calls.count(), 0);
}

#[tokio::test]
async fn wecom_url_verification_decrypts_the_echostr() {
    let service: Svc = Service::builder("hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo")
        .app_id("ww1436e0e65a779aee")
        .encoding_aes_key("6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt")
        .timestamp_window(FOREVER)
        .build(|_: Push<Msg>| async { Rep::Success })
        .expect("service builds");
    let echostr =
        "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==";
    let query = format!(
        "msg_signature=012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb&timestamp=1476416373&nonce=47744683&echostr={}",
        encode(echostr)
    );
    let response = get(&service, &query).await;
    assert_eq!(
        (response.status, response.body.as_str()),
        (200, "1288432023552776189")
    );
    assert_eq!(response.content_type, CONTENT_TYPE_TEXT);

    let tampered = query.replace("012bc692", "112bc692");
    assert_eq!(get(&service, &tampered).await.status, 403);
    let without_key: Svc = Service::builder("hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo")
        .timestamp_window(FOREVER)
        .build(|_: Push<Msg>| async { Rep::Success })
        .expect("service builds");
    assert_eq!(get(&without_key, &query).await.status, 400);
}

#[tokio::test]
async fn plain_text_push_gets_a_reply_with_swapped_addresses() {
    let calls = Calls::default();
    let service = echo_service(&calls);
    let before = now();
    let response = post(
        &service,
        &plain_query(TOKEN, now(), "42"),
        &text_push("o_user", "hi", 7),
    )
    .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.content_type, CONTENT_TYPE_XML);
    let body = &response.body;
    assert!(
        body.starts_with("<xml><ToUserName><![CDATA[o_user]]></ToUserName><FromUserName><![CDATA[gh_account]]></FromUserName><CreateTime>"),
        "{body}"
    );
    assert!(
        body.ends_with(
            "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[echo: hi]]></Content></xml>"
        ),
        "{body}"
    );
    let created: i64 = field(body, "CreateTime").unwrap().parse().unwrap();
    assert!((before..=now()).contains(&created));
    assert_eq!(calls.count(), 1);
}

#[tokio::test]
async fn safe_mode_with_the_open_platform_vector() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let service = opdoc_service(OPDOC_APPID, seen.clone());
    let response = post(&service, &opdoc_query(), &opdoc_body()).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.content_type, CONTENT_TYPE_XML);

    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [(
            Msg::Event {
                event: "debug_demo".into(),
                key: None
            },
            "hello world".to_owned(),
            true
        )]
    );

    // The reply is sealed: verify its signature and decrypt it back.
    let body = &response.body;
    assert!(body.starts_with("<xml>\n<Encrypt><![CDATA["), "{body}");
    let encrypt = field(body, "Encrypt").unwrap();
    let signature = field(body, "MsgSignature").unwrap();
    let timestamp = field(body, "TimeStamp").unwrap();
    let nonce = field(body, "Nonce").unwrap();
    assert!((now() - timestamp.parse::<i64>().unwrap()).abs() <= 2);
    assert!(!nonce.is_empty());
    let crypt = MsgCrypt::new(OPDOC_TOKEN, OPDOC_KEY, OPDOC_APPID).unwrap();
    crypt
        .verify_msg_signature(&signature, &timestamp, &nonce, &encrypt)
        .expect("reply signature verifies");
    let plain = String::from_utf8(crypt.decrypt(&encrypt).unwrap()).unwrap();
    assert!(plain.starts_with("<xml><ToUserName><![CDATA[o9AgO5Kd5ggOC-bXrbNODIiE3bGY]]></ToUserName><FromUserName><![CDATA[gh_97417a04a28d]]></FromUserName>"), "{plain}");
    assert!(
        plain.ends_with("<Content><![CDATA[good luck]]></Content></xml>"),
        "{plain}"
    );
}

#[tokio::test]
async fn safe_mode_refusals() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let wrong_id = opdoc_service("wx0000000000000000", seen.clone());
    let response = post(&wrong_id, &opdoc_query(), &opdoc_body()).await;
    assert_eq!(response.status, 400, "the receive id does not match");

    let service = opdoc_service(OPDOC_APPID, seen.clone());
    // The plain `signature` must not be used for an encrypted push.
    let no_msg_signature =
        opdoc_query().replace(&format!("&msg_signature={OPDOC_MSG_SIGNATURE}"), "");
    assert_eq!(
        post(&service, &no_msg_signature, &opdoc_body())
            .await
            .status,
        400
    );
    let wrong = opdoc_query().replace("msg_signature=6c12", "msg_signature=7c12");
    assert_eq!(post(&service, &wrong, &opdoc_body()).await.status, 403);
    let tampered_body = opdoc_body().replace("D7yz", "D8yz");
    assert_eq!(
        post(&service, &opdoc_query(), &tampered_body).await.status,
        403
    );

    let keyless = echo_builder_service(&Calls::default(), |_| {
        Service::builder(OPDOC_TOKEN).timestamp_window(FOREVER)
    });
    assert_eq!(
        post(&keyless, &opdoc_query(), &opdoc_body()).await.status,
        400
    );
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn compat_mode_uses_the_encrypted_copy_and_plain_pushes_still_work() {
    let key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    let calls = Calls::default();
    let service = echo_builder_service(&calls, |b| b.app_id("wx_app").encoding_aes_key(key));
    let crypt = MsgCrypt::new(TOKEN, key, "wx_app").unwrap();

    let inner = text_push("o_user", "from the encrypted copy", 11);
    let encrypt = crypt.encrypt(inner.as_bytes());
    let timestamp = now().to_string();
    let msg_signature = crypt.msg_signature(&timestamp, "77", &encrypt);
    let body = format!(
        "<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[o_user]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[from the plain copy]]></Content><MsgId>11</MsgId><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    );
    let query = format!(
        "{}&encrypt_type=aes&msg_signature={msg_signature}",
        plain_query(TOKEN, now(), "77")
    );
    let response = post(&service, &query, &body).await;
    assert_eq!(response.status, 200);
    let sealed = field(&response.body, "Encrypt").expect("the reply is encrypted");
    let plain = String::from_utf8(crypt.decrypt(&sealed).unwrap()).unwrap();
    assert_eq!(
        field(&plain, "Content").as_deref(),
        Some("echo: from the encrypted copy")
    );

    // A plain push is still accepted in safe mode unless encryption is required.
    let plain_push = text_push("o_user", "plain", 12);
    let response = post(&service, &plain_query(TOKEN, now(), "78"), &plain_push).await;
    assert_eq!(
        field(&response.body, "Content").as_deref(),
        Some("echo: plain")
    );
    let strict = echo_builder_service(&calls, |b| {
        b.app_id("wx_app")
            .encoding_aes_key(key)
            .require_encryption(true)
    });
    let response = post(
        &strict,
        &plain_query(TOKEN, now(), "79"),
        &text_push("o_user", "plain", 13),
    )
    .await;
    assert_eq!(response.status, 403);
    assert_eq!(calls.count(), 2);
}

#[tokio::test]
async fn json_pushes_are_answered_in_json_and_sealed_as_json() {
    let key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    let calls = Calls::default();
    let service = echo_builder_service(&calls, |b| b.app_id("ww_corp").encoding_aes_key(key));
    let inner = format!(
        r#"{{"ToUserName":"{ACCOUNT}","FromUserName":"o_json","CreateTime":{},"MsgType":"text","Content":"json hi","MsgId":99}}"#,
        now()
    );
    let plain = post(&service, &plain_query(TOKEN, now(), "5"), &inner).await;
    assert_eq!(plain.content_type, "application/json");
    assert_eq!(
        field(&plain.body, "Content").as_deref(),
        Some("echo: json hi")
    );
    assert_eq!(field(&plain.body, "ToUserName").as_deref(), Some("o_json"));

    let crypt = MsgCrypt::new(TOKEN, key, "ww_corp").unwrap();
    let encrypt = crypt.encrypt(inner.replace("\"MsgId\":99", "\"MsgId\":100").as_bytes());
    let timestamp = now().to_string();
    let query = format!(
        "msg_signature={}&timestamp={timestamp}&nonce=6",
        crypt.msg_signature(&timestamp, "6", &encrypt)
    );
    let body = format!(r#"{{"tousername":"{ACCOUNT}","encrypt":"{encrypt}","agentid":"1"}}"#);
    let sealed = post(&service, &query, &body).await;
    assert_eq!(sealed.status, 200, "{}", sealed.body);
    assert_eq!(sealed.content_type, "application/json");
    let envelope: serde_json::Value = serde_json::from_str(&sealed.body).unwrap();
    let encrypt = envelope["encrypt"].as_str().unwrap();
    crypt
        .verify_msg_signature(
            envelope["msgsignature"].as_str().unwrap(),
            envelope["timestamp"].as_str().unwrap(),
            envelope["nonce"].as_str().unwrap(),
            encrypt,
        )
        .unwrap();
    let reply = String::from_utf8(crypt.decrypt(encrypt).unwrap()).unwrap();
    assert_eq!(field(&reply, "Content").as_deref(), Some("echo: json hi"));
}

#[tokio::test]
async fn refused_requests_never_reach_the_handler() {
    let calls = Calls::default();
    let service = echo_builder_service(&calls, |b| b.max_body_bytes(1024));
    let push = text_push("o_user", "hi", 1);
    let good = plain_query(TOKEN, now(), "1");

    let wrong_signature = plain_query("other-token", now(), "1");
    let stale = plain_query(TOKEN, now() - 301, "1");
    let future = plain_query(TOKEN, now() + 301, "1");
    let no_timestamp = good.replace("timestamp=", "ts=");
    let no_signature = good.replace("signature=", "sig=");
    let non_numeric = format!(
        "signature={}&timestamp=abc&nonce=1",
        weixin_runtime::push::signature::sorted_sha1_hex(&[TOKEN, "abc", "1"])
    );
    let cases: Vec<(&str, String, Vec<u8>, u16)> = vec![
        ("wrong signature", wrong_signature, push.clone().into_bytes(), 403),
        ("stale timestamp", stale, push.clone().into_bytes(), 403),
        ("future timestamp", future, push.clone().into_bytes(), 403),
        ("missing timestamp", no_timestamp, push.clone().into_bytes(), 400),
        ("missing signature", no_signature, push.clone().into_bytes(), 400),
        ("non-numeric timestamp", non_numeric, push.clone().into_bytes(), 400),
        ("oversized body", good.clone(), vec![b' '; 1025], 413),
        ("malformed XML", good.clone(), b"<xml><Content>hi</xml>".to_vec(), 400),
        ("invalid UTF-8", good.clone(), b"<xml><Content>\xff\xfe</Content></xml>".to_vec(), 400),
        ("malformed JSON", good.clone(), b"{\"MsgType\":".to_vec(), 400),
        ("missing required field", good.clone(), push.replace("<MsgId>1</MsgId>", "").into_bytes(), 400),
        ("DTD", good.clone(), b"<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><xml><Content>&e;</Content></xml>".to_vec(), 400),
    ];
    for (what, query, body, status) in cases {
        let response = post_bytes(&service, &query, &body).await;
        assert_eq!(response.status, status, "{what}");
        assert_eq!(response.content_type, CONTENT_TYPE_TEXT, "{what}");
    }
    let put = service
        .handle(weixin_runtime::push::PushRequest {
            method: "PUT",
            query: &good,
            body: push.as_bytes(),
        })
        .await;
    assert_eq!(put.status, 405);
    assert_eq!(
        get(&service, &good).await.status,
        400,
        "GET without echostr"
    );
    assert_eq!(calls.count(), 0);

    // Just inside the window passes, and so does a body of exactly the limit.
    let ok = post(&service, &plain_query(TOKEN, now() - 290, "1"), &push).await;
    assert_eq!(ok.status, 200);
    let other = text_push("o_user", "hi", 2);
    let padded = format!("{other}{}", "\n".repeat(1024 - other.len()));
    assert_eq!(padded.len(), 1024);
    assert_eq!(post(&service, &good, &padded).await.status, 200);
    assert_eq!(calls.count(), 2);
}

#[tokio::test]
async fn build_refuses_bad_settings() {
    let handler = |_: Push<Msg>| async { Rep::Success };
    let err = Service::<Msg, Rep>::builder(TOKEN)
        .app_id("wx")
        .encoding_aes_key("too-short")
        .build(handler)
        .unwrap_err();
    assert!(err.message().contains("encoding_aes_key"), "{err}");
    assert!(!err.to_string().contains("too-short"));
    let err = Service::<Msg, Rep>::builder(TOKEN)
        .encoding_aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
        .build(handler)
        .unwrap_err();
    assert!(err.message().contains("app_id"), "{err}");
    let err = Service::<Msg, Rep>::builder(TOKEN)
        .require_encryption(true)
        .build(handler)
        .unwrap_err();
    assert!(err.message().contains("require_encryption"), "{err}");
    assert!(Service::<Msg, Rep>::builder("").build(handler).is_err());
    let service = Service::<Msg, Rep>::builder("secret-token-value")
        .build(handler)
        .unwrap();
    assert!(!format!("{service:?}").contains("secret-token-value"));
}

#[tokio::test]
async fn a_reply_failing_its_check_becomes_success() {
    let service: Svc = Service::builder(TOKEN)
        .build(|_: Push<Msg>| async { Rep::Text("x".repeat(2049)) })
        .unwrap();
    let response = post(
        &service,
        &plain_query(TOKEN, now(), "1"),
        &text_push("o", "hi", 3),
    )
    .await;
    assert_eq!((response.status, response.body.as_str()), (200, "success"));
    assert_eq!(response.content_type, CONTENT_TYPE_TEXT);
}
