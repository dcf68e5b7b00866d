//! The axum router (feature `axum`), driven with `tower::ServiceExt::oneshot`.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

use crate::common::*;

async fn send(app: axum::Router, request: Request<Body>) -> (StatusCode, String, String) {
    let response = app.oneshot(request).await.expect("infallible");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).expect("utf-8"),
    )
}

#[tokio::test]
async fn router_verifies_replies_and_limits() {
    let calls = Calls::default();
    let app = echo_builder_service(&calls, |b| b.max_body_bytes(2048)).router("/wx");
    let query = plain_query(TOKEN, now(), "1");

    let verify = Request::get(format!("/wx?{query}&echostr=hello%20there"))
        .body(Body::empty())
        .unwrap();
    let (status, content_type, body) = send(app.clone(), verify).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "hello there"));
    assert_eq!(content_type, "text/plain; charset=utf-8");

    let push = Request::post(format!("/wx?{query}"))
        .body(Body::from(text_push("o_user", "via axum", 1)))
        .unwrap();
    let (status, content_type, body) = send(app.clone(), push).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "text/xml; charset=utf-8");
    assert_eq!(field(&body, "Content").as_deref(), Some("echo: via axum"));

    // Too large, announced by Content-Length or only found while streaming.
    let big = Request::post(format!("/wx?{query}"))
        .header(header::CONTENT_LENGTH, "4096")
        .body(Body::from(vec![b' '; 4096]))
        .unwrap();
    assert_eq!(
        send(app.clone(), big).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let chunks =
        futures_util::stream::iter((0..3).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1000])));
    let streamed = Request::post(format!("/wx?{query}"))
        .body(Body::from_stream(chunks))
        .unwrap();
    assert_eq!(
        send(app.clone(), streamed).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );

    let delete = Request::delete(format!("/wx?{query}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send(app.clone(), delete).await.0,
        StatusCode::METHOD_NOT_ALLOWED
    );
    let forged = Request::post(format!("/wx?{}", plain_query("wrong", now(), "1")))
        .body(Body::from(text_push("o_user", "x", 2)))
        .unwrap();
    assert_eq!(send(app.clone(), forged).await.0, StatusCode::FORBIDDEN);
    let elsewhere = Request::get("/other").body(Body::empty()).unwrap();
    assert_eq!(send(app, elsewhere).await.0, StatusCode::NOT_FOUND);
    assert_eq!(calls.count(), 1);
}
