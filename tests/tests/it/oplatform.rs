//! Open Platform end to end: an encrypted `component_verify_ticket` push goes through the push
//! service into the credential store, and the component token fetch uses it.

use std::sync::Arc;

use serde_json::json;
use weixin::push::crypto::MsgCrypt;
use weixin::push::{Message, Push, Reply, Service, signature};
use weixin_runtime::{Component, CredentialStore, Host, MemoryCredentialStore, Shared};
use weixin_tests::push_fixture::{AES_KEY, NONCE, TOKEN, unix_now};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const COMPONENT: &str = "wx143f74e55082b8cb";
const TICKET: &str = "ticket@@@lEHjsBEi_TPDey0IZxw4Zbb7JRYLOtEf9ksvDpSwzkwog3R6x";

/// The ticket push exactly as WeChat sends it to the authorization event URL: encrypted, with
/// the component AppID as receive id, `msg_signature` in the query.
fn ticket_push(crypt: &MsgCrypt) -> (String, Vec<u8>) {
    let ts = unix_now().to_string();
    let xml = format!(
        "<xml><AppId><![CDATA[{COMPONENT}]]></AppId><CreateTime>{ts}</CreateTime>\
         <InfoType><![CDATA[component_verify_ticket]]></InfoType>\
         <ComponentVerifyTicket><![CDATA[{TICKET}]]></ComponentVerifyTicket></xml>"
    );
    let encrypt = crypt.encrypt(xml.as_bytes());
    let sig = signature::sorted_sha1_hex(&[TOKEN, &ts, NONCE]);
    let msg_signature = crypt.msg_signature(&ts, NONCE, &encrypt);
    let query = format!(
        "signature={sig}&timestamp={ts}&nonce={NONCE}&encrypt_type=aes&msg_signature={msg_signature}"
    );
    let body =
        format!("<xml><AppId>{COMPONENT}</AppId><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>");
    (query, body.into_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_push_is_stored_and_then_used_for_the_component_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/component/api_component_token"))
        .and(body_json(json!({
            "component_appid": COMPONENT,
            "component_appsecret": "component-secret",
            "component_verify_ticket": TICKET,
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"component_access_token": "COMPONENT_TOKEN", "expires_in": 7200}),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let store = Arc::new(MemoryCredentialStore::new());
    let component: Component = Component::builder(COMPONENT, "component-secret")
        .shared(&Shared::new())
        .credential_store(store.clone())
        .base_url(Host::Api, &server.uri())
        .build()
        .unwrap();

    let handler_component = component.clone();
    let service = Service::builder(TOKEN)
        .app_id(COMPONENT)
        .encoding_aes_key(AES_KEY)
        .require_encryption(true)
        .build(move |push: Push| {
            let component = handler_component.clone();
            async move {
                if let Message::ComponentVerifyTicket(t) = push.message() {
                    // A failed save waits for the next push (every 10 minutes).
                    if let Err(e) = component.save_ticket(&t.component_verify_ticket).await {
                        eprintln!("could not store the ticket: {e}");
                    }
                }
                Reply::Success
            }
        })
        .unwrap();

    let crypt = MsgCrypt::new(TOKEN, AES_KEY, COMPONENT).unwrap();
    let (query, body) = ticket_push(&crypt);
    let response = service
        .handle(weixin::push::PushRequest {
            method: "POST",
            query: &query,
            body: &body,
        })
        .await;
    assert_eq!((response.status, response.body.as_str()), (200, "success"));

    let key = format!("weixin:component_verify_ticket:{COMPONENT}");
    let stored = store
        .load(&key)
        .await
        .unwrap()
        .expect("the ticket is stored");
    assert_eq!(stored.value(), TICKET);
    let health = component.health(&[]).await.unwrap();
    assert!(!health.ticket_overdue(), "{health:?}");

    let token = component.access_token().await.unwrap();
    assert_eq!(token.secret(), "COMPONENT_TOKEN");
}
