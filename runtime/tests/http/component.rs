//! Open Platform components: the ticket-based component token, authorizations kept in the
//! credential store, and clients acting for an authorizer.

use std::sync::Arc;

use serde_json::json;
use weixin_runtime::{
    Ack, Auth, Client, Component, Credential, CredentialStore, EncodeError, Endpoint, Error, Host,
    MemoryCredentialStore, Method, RequestParts, ResponseKind, Retry, Shared,
};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer};

use crate::common::*;

const COMPONENT: &str = "wxcomponent0000001";
const COMPONENT_SECRET: &str = "component-secret";
const AUTHORIZER: &str = "wxauthorizer000001";

struct Setup {
    server: MockServer,
    store: Arc<MemoryCredentialStore>,
    component: Component,
}

async fn setup() -> Setup {
    let server = MockServer::start().await;
    let store = Arc::new(MemoryCredentialStore::new());
    let component: Component = Component::builder(COMPONENT, COMPONENT_SECRET)
        .shared(&Shared::new())
        .credential_store(store.clone())
        .base_url(Host::Api, &server.uri())
        .build()
        .expect("valid client");
    Setup {
        server,
        store,
        component,
    }
}

fn component_token(ticket: &str, token: &str) -> Mock {
    Mock::given(method("POST"))
        .and(path("/cgi-bin/component/api_component_token"))
        .and(body_json(json!({
            "component_appid": COMPONENT,
            "component_appsecret": COMPONENT_SECRET,
            "component_verify_ticket": ticket,
        })))
        .respond_with(json_ok(
            json!({"component_access_token": token, "expires_in": 7200}),
        ))
}

/// A component API in the shape the codegen emits: token under `component_access_token`,
/// `component_appid` added to the body by the runtime.
#[derive(serde::Serialize)]
struct GetAuthorizerInfo {
    authorizer_appid: String,
}

/// What `api_get_authorizer_info` answers (the part the tests read).
#[derive(Debug, serde::Deserialize)]
struct AuthorizerInfo {
    authorizer_info: Nick,
}

#[derive(Debug, serde::Deserialize)]
struct Nick {
    nick_name: String,
}

impl weixin_runtime::JsonResponse for AuthorizerInfo {}

impl Endpoint for GetAuthorizerInfo {
    type Response = AuthorizerInfo;
    const ID: &'static str = "api_get_authorizer_info";
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "/cgi-bin/component/api_get_authorizer_info";
    const AUTH: Auth = Auth::TokenParam("component_access_token");
    const BODY_CREDENTIALS: &'static [(&'static str, Credential)] =
        &[("component_appid", Credential::AppId)];

    fn encode(&self, req: &mut RequestParts) -> Result<(), EncodeError> {
        req.json(self)
    }
}

fn authorizer_info(token: &str) -> Mock {
    Mock::given(method("POST"))
        .and(path("/cgi-bin/component/api_get_authorizer_info"))
        .and(query_param("component_access_token", token))
        .and(body_json(
            json!({"component_appid": COMPONENT, "authorizer_appid": AUTHORIZER}),
        ))
        .respond_with(json_ok(json!({"authorizer_info": {"nick_name": "demo"}})))
}

/// The error and its sources, as one line.
fn chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        out.push_str(": ");
        out.push_str(&e.to_string());
        source = e.source();
    }
    out
}

fn info_request() -> GetAuthorizerInfo {
    GetAuthorizerInfo {
        authorizer_appid: AUTHORIZER.into(),
    }
}

#[tokio::test]
async fn without_a_ticket_the_component_token_fails_clearly_and_sends_nothing() {
    let s = setup().await;
    let err = s.component.send(&info_request()).await.unwrap_err();
    assert!(matches!(err, Error::Token(_)), "{err:?}");
    assert!(
        chain(&err).contains("no component_verify_ticket stored"),
        "{err:?}"
    );
    assert!(s.server.received_requests().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_saved_ticket_is_used_and_concurrent_calls_fetch_one_component_token() {
    let s = setup().await;
    s.component.save_ticket("ticket@001").await.unwrap();
    component_token("ticket@001", "COMPONENT_TOKEN")
        .expect(1)
        .mount(&s.server)
        .await;
    authorizer_info("COMPONENT_TOKEN")
        .expect(20)
        .mount(&s.server)
        .await;
    let calls = (0..20).map(|_| {
        let component = s.component.clone();
        tokio::spawn(async move { component.send(&info_request()).await })
    });
    for call in calls {
        let info = call.await.unwrap().expect("the call succeeds");
        assert_eq!(info.authorizer_info.nick_name, "demo");
    }
    // The ticket survives in the durable store, apart from the token cache.
    let key = format!("weixin:component_verify_ticket:{COMPONENT}");
    assert_eq!(
        s.store.load(&key).await.unwrap().unwrap().value(),
        "ticket@001"
    );
}

#[tokio::test]
async fn a_rejected_component_token_is_refreshed_with_the_latest_ticket() {
    let s = setup().await;
    s.component.save_ticket("old-ticket").await.unwrap();
    component_token("old-ticket", "STALE")
        .mount(&s.server)
        .await;
    component_token("new-ticket", "FRESH")
        .mount(&s.server)
        .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/component/api_get_authorizer_info"))
        .and(query_param("component_access_token", "STALE"))
        .respond_with(json_ok(
            json!({"errcode": 42001, "errmsg": "access_token expired"}),
        ))
        .expect(1)
        .mount(&s.server)
        .await;
    authorizer_info("FRESH").expect(1).mount(&s.server).await;

    s.component.access_token().await.unwrap();
    // A newer ticket arrives by push before the token goes stale.
    s.component.save_ticket("new-ticket").await.unwrap();
    let info = s.component.send(&info_request()).await.unwrap();
    assert_eq!(info.authorizer_info.nick_name, "demo");
}

fn query_auth(code: &str) -> Mock {
    Mock::given(method("POST"))
        .and(path("/cgi-bin/component/api_query_auth"))
        .and(query_param("component_access_token", "CT"))
        .and(body_json(
            json!({"component_appid": COMPONENT, "authorization_code": code}),
        ))
        .respond_with(json_ok(json!({"authorization_info": {
            "authorizer_appid": AUTHORIZER,
            "authorizer_access_token": "AUTHORIZER_TOKEN_1",
            "expires_in": 7200,
            "authorizer_refresh_token": "REFRESH_1",
            "func_info": [{"funcscope_category": {"id": 1}}, {"funcscope_category": {"id": 15}}]
        }})))
}

/// An authorizer's own API (an Official Account call) answered only for `token`.
fn authorizer_call(token: &str) -> Mock {
    Mock::given(method("GET"))
        .and(path("/cgi-bin/thing"))
        .and(query_param("access_token", token))
        .respond_with(json_ok(
            json!({"errcode": 0, "errmsg": "ok", "value": token}),
        ))
}

#[tokio::test]
async fn authorize_stores_the_refresh_token_and_the_authorizer_client_uses_its_token() {
    let s = setup().await;
    s.component.save_ticket("t").await.unwrap();
    component_token("t", "CT").mount(&s.server).await;
    query_auth("AUTH_CODE").expect(1).mount(&s.server).await;
    authorizer_call("AUTHORIZER_TOKEN_1")
        .expect(2)
        .mount(&s.server)
        .await;

    let authorization = s.component.authorize("AUTH_CODE").await.unwrap();
    assert_eq!(authorization.authorizer_app_id, AUTHORIZER);
    assert_eq!(authorization.func_ids, [1, 15]);
    let key = format!("weixin:authorizer_refresh_token:{COMPONENT}:{AUTHORIZER}");
    assert_eq!(
        s.store.load(&key).await.unwrap().unwrap().value(),
        "REFRESH_1"
    );
    assert_eq!(s.component.authorizers().await.unwrap(), [AUTHORIZER]);

    // The seeded token is used as is: no api_authorizer_token call.
    let mp: Client = s.component.authorizer(AUTHORIZER);
    assert_eq!(mp.app_id(), AUTHORIZER);
    for _ in 0..2 {
        let thing = mp.send(&GetThing { id: "1".into() }).await.unwrap();
        assert_eq!(thing.value.as_deref(), Some("AUTHORIZER_TOKEN_1"));
    }
    assert_eq!(
        hits(&s.server, "/cgi-bin/component/api_authorizer_token").await,
        0
    );
}

#[tokio::test]
async fn an_authorizer_refresh_uses_the_stored_refresh_token_and_persists_the_new_one() {
    let s = setup().await;
    s.component.save_ticket("t").await.unwrap();
    s.component
        .save_authorizer(AUTHORIZER, "REFRESH_OLD")
        .await
        .unwrap();
    component_token("t", "CT").mount(&s.server).await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/component/api_authorizer_token"))
        .and(query_param("component_access_token", "CT"))
        .and(body_json(json!({
            "component_appid": COMPONENT,
            "authorizer_appid": AUTHORIZER,
            "authorizer_refresh_token": "REFRESH_OLD",
        })))
        .respond_with(json_ok(json!({
            "authorizer_access_token": "AUTHORIZER_TOKEN_2",
            "expires_in": 7200,
            "authorizer_refresh_token": "REFRESH_NEW",
        })))
        .expect(1)
        .mount(&s.server)
        .await;
    authorizer_call("AUTHORIZER_TOKEN_2")
        .expect(3)
        .mount(&s.server)
        .await;

    let mp: Client = s.component.authorizer(AUTHORIZER);
    for _ in 0..3 {
        let thing = mp.send(&GetThing { id: "1".into() }).await.unwrap();
        assert_eq!(thing.value.as_deref(), Some("AUTHORIZER_TOKEN_2"));
    }
    let key = format!("weixin:authorizer_refresh_token:{COMPONENT}:{AUTHORIZER}");
    assert_eq!(
        s.store.load(&key).await.unwrap().unwrap().value(),
        "REFRESH_NEW"
    );
}

#[tokio::test]
async fn an_authorizer_without_a_refresh_token_must_authorize_again() {
    let s = setup().await;
    s.component.save_ticket("t").await.unwrap();
    let mp: Client = s.component.authorizer(AUTHORIZER);
    let err = mp.send(&GetThing { id: "1".into() }).await.unwrap_err();
    assert!(matches!(err, Error::Token(_)), "{err:?}");
    assert!(chain(&err).contains("must authorize again"), "{err:?}");
    assert!(s.server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_invalid_refresh_token_surfaces_61023_and_keeps_the_stored_one() {
    let s = setup().await;
    s.component.save_ticket("t").await.unwrap();
    s.component
        .save_authorizer(AUTHORIZER, "REVOKED")
        .await
        .unwrap();
    component_token("t", "CT").mount(&s.server).await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/component/api_authorizer_token"))
        .respond_with(json_ok(
            json!({"errcode": 61023, "errmsg": "invalid refresh_token"}),
        ))
        .expect(1)
        .mount(&s.server)
        .await;
    let mp: Client = s.component.authorizer(AUTHORIZER);
    let err = mp.access_token().await.unwrap_err();
    match &err {
        Error::Token(t) => assert_eq!(t.code().map(|c| c.get()), Some(61023)),
        other => panic!("expected a token error, got {other:?}"),
    }
    let key = format!("weixin:authorizer_refresh_token:{COMPONENT}:{AUTHORIZER}");
    assert_eq!(
        s.store.load(&key).await.unwrap().unwrap().value(),
        "REVOKED"
    );
}

#[tokio::test]
async fn health_reports_the_ticket_age_and_missing_refresh_tokens() {
    let s = setup().await;
    let before = s.component.health(&[AUTHORIZER]).await.unwrap();
    assert_eq!(before.ticket_age, None);
    assert!(before.ticket_overdue() && !before.is_healthy());
    assert_eq!(before.missing_refresh_tokens, [AUTHORIZER]);

    s.component.save_ticket("t").await.unwrap();
    s.component.save_authorizer(AUTHORIZER, "R").await.unwrap();
    let after = s.component.health(&[AUTHORIZER, "wxgone"]).await.unwrap();
    assert!(after.ticket_age.unwrap() < std::time::Duration::from_secs(60));
    assert_eq!(after.authorizers.len(), 1);
    assert_eq!(after.authorizers[0].0, AUTHORIZER);
    assert_eq!(after.missing_refresh_tokens, ["wxgone"]);
    assert!(!after.is_healthy());

    s.component.forget_authorizer(AUTHORIZER).await.unwrap();
    assert!(s.component.authorizers().await.unwrap().is_empty());
}

#[tokio::test]
async fn authorization_url_uses_a_fresh_pre_auth_code() {
    let s = setup().await;
    s.component.save_ticket("t").await.unwrap();
    component_token("t", "CT").mount(&s.server).await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/component/api_create_preauthcode"))
        .and(query_param("component_access_token", "CT"))
        .and(body_json(json!({"component_appid": COMPONENT})))
        .respond_with(json_ok(
            json!({"pre_auth_code": "PRE_1", "expires_in": 1800}),
        ))
        .expect(1)
        .mount(&s.server)
        .await;
    let url = s
        .component
        .authorization_url(
            weixin_runtime::AuthorizationPage::Pc,
            "https://a.example/cb",
        )
        .await
        .unwrap();
    assert_eq!(
        url,
        "https://mp.weixin.qq.com/cgi-bin/componentloginpage?component_appid=wxcomponent0000001\
         &pre_auth_code=PRE_1&redirect_uri=https%3A%2F%2Fa.example%2Fcb"
    );
}

/// A body-credential endpoint with an otherwise empty body still sends a JSON object.
struct StartPushTicket;

impl Endpoint for StartPushTicket {
    type Response = Ack;
    const ID: &'static str = "api_start_push_ticket";
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "/cgi-bin/component/api_start_push_ticket";
    const AUTH: Auth = Auth::None;
    const RETRY: Retry = Retry::Never;
    const RESPONSE: ResponseKind = ResponseKind::Ack;
    const BODY_CREDENTIALS: &'static [(&'static str, Credential)] = &[
        ("component_appid", Credential::AppId),
        ("component_secret", Credential::AppSecret),
    ];

    fn encode(&self, _req: &mut RequestParts) -> Result<(), EncodeError> {
        Ok(())
    }
}

#[tokio::test]
async fn body_credentials_make_a_body_of_their_own() {
    let s = setup().await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/component/api_start_push_ticket"))
        .and(body_json(
            json!({"component_appid": COMPONENT, "component_secret": COMPONENT_SECRET}),
        ))
        .respond_with(json_ok(json!({"errcode": 0, "errmsg": "ok"})))
        .expect(1)
        .mount(&s.server)
        .await;
    s.component.send(&StartPushTicket).await.unwrap();
}

#[tokio::test]
async fn authorizer_tokens_live_in_the_component_clients_token_store() {
    let server = MockServer::start().await;
    let tokens: Arc<dyn weixin_runtime::TokenStore> =
        Arc::new(weixin_runtime::MemoryTokenStore::new());
    let shared = Shared::new();
    let component: Component = Component::builder(COMPONENT, COMPONENT_SECRET)
        .shared(&shared)
        .token_store(tokens.clone())
        .credential_store(Arc::new(MemoryCredentialStore::new()))
        .base_url(Host::Api, &server.uri())
        .build()
        .unwrap();
    component.save_ticket("t").await.unwrap();
    component_token("t", "CT").mount(&server).await;
    query_auth("AUTH_CODE").mount(&server).await;

    component.authorize("AUTH_CODE").await.unwrap();
    let key = format!("weixin:authorizer_access_token:{COMPONENT}:{AUTHORIZER}");
    let stored = tokens
        .get(&key)
        .await
        .unwrap()
        .expect("in the client's own store");
    assert_eq!(stored.value(), "AUTHORIZER_TOKEN_1");
    assert!(shared.token_store().get(&key).await.unwrap().is_none());
}
