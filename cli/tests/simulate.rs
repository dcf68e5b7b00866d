//! `weixin simulate` against the echo bot running in-process (`weixin::push::Service` on
//! axum): plain and safe mode, WeChat's retries answered once, URL verification.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use weixin::push::{Message, Push, Reply, Service};
use weixin_cli::simulate::{self, Simulation};

const TOKEN: &str = "sim-token";
const APP_ID: &str = "wx_sim_app_id";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

/// Starts `service` on loopback; returns its push URL.
async fn start(service: Service) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/wx", listener.local_addr().unwrap());
    tokio::spawn(weixin_cli::echo::serve(listener, service, "/wx"));
    url
}

fn text_push(content: &str) -> String {
    let ir = weixin_cli::spec::embedded();
    let push = ir.push().expect("the spec has push/");
    let text = simulate::find_message(push, "text").unwrap();
    simulate::build(text, None, None, &[("Content".into(), content.into())]).unwrap()
}

#[tokio::test]
async fn plain_text_gets_echoed() {
    let url = start(weixin_cli::echo::service(TOKEN, APP_ID, None).unwrap()).await;
    simulate::verify_url(&url, TOKEN)
        .await
        .expect("URL verification");
    let sim = Simulation {
        url,
        token: TOKEN.into(),
        encrypt: None,
        body: text_push("hello"),
        repeat: 1,
    };
    let deliveries = simulate::send(&sim).await.unwrap();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].status, 200);
    assert_eq!(deliveries[0].parsed["Content"], "echo: hello");
    assert_eq!(deliveries[0].parsed["MsgType"], "text");
    assert_eq!(
        deliveries[0].parsed["ToUserName"],
        deliveries[0].parsed["ToUserName"]
    );
}

#[tokio::test]
async fn safe_mode_push_is_encrypted_and_the_reply_decrypted() {
    let url = start(weixin_cli::echo::service(TOKEN, APP_ID, Some(AES_KEY)).unwrap()).await;
    let sim = Simulation {
        url,
        token: TOKEN.into(),
        encrypt: Some((AES_KEY.into(), APP_ID.into())),
        body: text_push("你好"),
        repeat: 1,
    };
    let d = simulate::send(&sim).await.unwrap().remove(0);
    assert_eq!(d.status, 200);
    assert!(
        d.raw.contains("<Encrypt>"),
        "the reply is encrypted: {}",
        d.raw
    );
    assert!(!d.raw.contains("echo"), "no plaintext on the wire");
    assert_eq!(d.parsed["Content"], "echo: 你好");
}

#[tokio::test]
async fn a_wrong_token_is_refused() {
    let url = start(weixin_cli::echo::service(TOKEN, APP_ID, None).unwrap()).await;
    let sim = Simulation {
        url: url.clone(),
        token: "not-the-token".into(),
        encrypt: None,
        body: text_push("x"),
        repeat: 1,
    };
    assert_eq!(simulate::send(&sim).await.unwrap()[0].status, 403);
    assert!(simulate::verify_url(&url, "not-the-token").await.is_err());
}

#[tokio::test]
async fn three_retries_run_the_handler_once_and_get_the_same_reply() {
    for encrypt in [None, Some((AES_KEY.to_owned(), APP_ID.to_owned()))] {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let mut builder = Service::builder(TOKEN).app_id(APP_ID);
        if encrypt.is_some() {
            builder = builder.encoding_aes_key(AES_KEY);
        }
        let service = builder
            .build(move |push: Push| {
                let counter = counter.clone();
                async move {
                    let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                    match push.message() {
                        Message::Text(t) => Reply::text(format!("{} #{n}", t.content)),
                        _ => Reply::Success,
                    }
                }
            })
            .unwrap();
        let sim = Simulation {
            url: start(service).await,
            token: TOKEN.into(),
            encrypt,
            body: text_push("retry"),
            repeat: 3,
        };
        let deliveries = simulate::send(&sim).await.unwrap();
        assert_eq!(deliveries.len(), 3);
        assert!(deliveries.iter().all(|d| d.plain == deliveries[0].plain));
        assert_eq!(deliveries[0].parsed["Content"], "retry #1");
        assert_eq!(calls.load(Ordering::SeqCst), 1, "dedup by MsgId");
    }
}

#[tokio::test]
async fn every_push_type_of_the_spec_is_accepted_by_the_service() {
    let url = start(weixin_cli::echo::service(TOKEN, APP_ID, Some(AES_KEY)).unwrap()).await;
    let ir = weixin_cli::spec::embedded();
    let push = ir.push().expect("the spec has push/");
    let mut refused = Vec::new();
    for message in &push.messages {
        for example in &message.examples {
            let body = simulate::build(message, Some(&example.name), None, &[]).unwrap();
            let sim = Simulation {
                url: url.clone(),
                token: TOKEN.into(),
                encrypt: Some((AES_KEY.into(), APP_ID.into())),
                body,
                repeat: 1,
            };
            let d = simulate::send(&sim).await.unwrap().remove(0);
            if d.status != 200 {
                refused.push(format!(
                    "{} / {}: HTTP {} {}",
                    message.rust, example.name, d.status, d.raw
                ));
            }
        }
    }
    assert!(refused.is_empty(), "{}", refused.join("\n"));
}
