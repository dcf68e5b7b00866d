//! Errcode mapping, rid, decode paths and configuration errors.

use serde_json::json;
use weixin_runtime::{Action, ErrCode, ErrCodeInfo, ErrCodeTable, Error, Host};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer};

use crate::common::*;

static TABLE: ErrCodeTable = ErrCodeTable::new(&[
    ErrCodeInfo::new(-1, "SYSTEM_BUSY", "System busy.", Action::Transient),
    ErrCodeInfo::new(
        40003,
        "INVALID_OPENID",
        "Invalid OpenID.",
        Action::Permanent,
    ),
]);

async fn answering(body: serde_json::Value) -> MockServer {
    let server = MockServer::start().await;
    token_mock("T1", 7200).mount(&server).await;
    Mock::given(path("/cgi-bin/thing"))
        .respond_with(json_ok(body))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn errcode_becomes_api_error_with_rid_split_off() {
    let server = answering(
        json!({"errcode": 40003, "errmsg": "invalid openid hint: [xyz] rid: 64f1a2b3-0c0d0e0f"}),
    )
    .await;
    let client = client(&server).errcodes(&TABLE);
    let err = client
        .send(&GetThing { id: "1".into() })
        .await
        .expect_err("api error");
    assert_eq!(err.api_code(), Some(ErrCode::new(40003)));
    let Error::Api(api) = &err else {
        panic!("expected Api, got {err:?}")
    };
    assert_eq!(api.message(), "invalid openid hint: [xyz]");
    assert_eq!(api.rid(), Some("64f1a2b3-0c0d0e0f"));
    assert_eq!(api.endpoint(), "get_thing");
    assert_eq!(api.name(), Some("INVALID_OPENID"));
    assert_eq!(api.action(), Action::Permanent);
    assert!(!err.is_retryable());
    let shown = err.to_string();
    assert!(
        shown.contains("get_thing")
            && shown.contains("40003")
            && shown.contains("64f1a2b3-0c0d0e0f"),
        "{shown}"
    );
}

#[tokio::test]
async fn transient_errcode_is_retryable_and_not_refreshed() {
    let server = answering(json!({"errcode": -1, "errmsg": "system error"})).await;
    let err = client(&server)
        .errcodes(&TABLE)
        .send(&GetThing { id: "1".into() })
        .await
        .expect_err("busy");
    assert_eq!(err.api_code(), Some(ErrCode::new(-1)));
    assert!(err.is_retryable());
    assert_eq!(hits(&server, "/cgi-bin/thing").await, 1);
    assert_eq!(hits(&server, "/cgi-bin/stable_token").await, 1);
}

#[tokio::test]
async fn rate_limit_falls_back_to_the_minimal_table() {
    let server =
        answering(json!({"errcode": 45009, "errmsg": "reach max api daily quota limit"})).await;
    let err = client(&server)
        .errcodes(&TABLE)
        .send(&GetThing { id: "1".into() })
        .await
        .expect_err("quota");
    let Error::Api(api) = &err else {
        panic!("expected Api, got {err:?}")
    };
    assert_eq!(api.action(), Action::RateLimited);
    assert_eq!(api.rid(), None);
}

#[tokio::test]
async fn decode_error_reports_the_json_path() {
    let server = answering(json!({"errcode": 0, "value": 5})).await;
    let err = client(&server)
        .send(&GetThing { id: "1".into() })
        .await
        .expect_err("wrong type");
    let Error::Decode(d) = &err else {
        panic!("expected Decode, got {err:?}")
    };
    assert_eq!(d.path(), "value");
    assert_eq!(d.endpoint(), "get_thing");
    assert!(d.excerpt().contains("\"value\":5"), "{}", d.excerpt());
}

#[tokio::test]
async fn invalid_base_url_is_reported_by_build() {
    let err = weixin_runtime::Client::builder(APP_ID, APP_SECRET)
        .base_url(Host::Api, "not a url")
        .build()
        .expect_err("invalid");
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    let err = weixin_runtime::Client::builder(APP_ID, APP_SECRET)
        .base_url(Host::File, "ftp://example.com")
        .build()
        .expect_err("invalid scheme");
    assert!(err.to_string().contains("ftp://example.com"), "{err}");
}

#[tokio::test]
async fn product_clients_build_through_from() {
    #[derive(Debug)]
    struct Product(weixin_runtime::Client);
    impl From<weixin_runtime::Client> for Product {
        fn from(c: weixin_runtime::Client) -> Self {
            Product(c)
        }
    }
    let product = weixin_runtime::ClientBuilder::<Product>::new(APP_ID, APP_SECRET)
        .errcodes(&TABLE)
        .build()
        .expect("build");
    assert_eq!(product.0.app_id(), APP_ID);
}
