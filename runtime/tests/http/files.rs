//! Multipart uploads, limits, binary downloads (buffered and streamed), JSON errors of binary
//! endpoints.

use serde_json::json;
use weixin_runtime::{EncodeError, Error, Upload};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

#[tokio::test]
async fn multipart_body_has_media_part_with_name_and_type() {
    let server = MockServer::start().await;
    token_mock("T1", 7200).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/media/upload"))
        .and(query_param("type", "image"))
        .and(query_param("access_token", "T1"))
        .respond_with(json_ok(
            json!({"type": "image", "media_id": "M1", "created_at": 1}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let upload = UploadImage {
        media: Upload::from_bytes("pic.JPG", &b"\xff\xd8\xffJPEGDATA"[..]),
        description: Some("{\"title\":\"t\"}".into()),
    };
    let done = client(&server).send(&upload).await.expect("uploaded");
    assert_eq!(done.media_id, "M1");

    let requests = server.received_requests().await.unwrap_or_default();
    let sent = requests
        .iter()
        .find(|r| r.url.path() == "/cgi-bin/media/upload")
        .expect("request");
    let content_type = sent
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .expect("multipart");
    let body = String::from_utf8_lossy(&sent.body);
    assert!(body.contains(&format!("--{boundary}")));
    assert!(
        body.contains("Content-Disposition: form-data; name=\"media\"; filename=\"pic.JPG\"\r\nContent-Type: image/jpeg"),
        "{body}"
    );
    assert!(body.contains("JPEGDATA"));
    assert!(
        body.contains("name=\"description\"\r\n\r\n{\"title\":\"t\"}"),
        "{body}"
    );
}

#[tokio::test]
async fn file_over_limit_is_rejected_before_sending() {
    let server = MockServer::start().await;
    token_mock("T1", 7200).expect(0).mount(&server).await;
    Mock::given(path("/cgi-bin/media/upload"))
        .respond_with(json_ok(json!({})))
        .expect(0)
        .mount(&server)
        .await;
    let client = client(&server);
    let big = UploadImage {
        media: Upload::from_bytes("big.png", vec![7u8; 65]),
        description: None,
    };
    let err = client.send(&big).await.expect_err("too large");
    assert!(
        matches!(
            err,
            Error::Encode(EncodeError::FileTooLarge {
                field: "media",
                size: 65,
                max: 64
            })
        ),
        "{err:?}"
    );
    let gif = UploadImage {
        media: Upload::from_bytes("a.gif", vec![7u8; 3]),
        description: None,
    };
    let err = client.send(&gif).await.expect_err("bad extension");
    assert!(
        matches!(err, Error::Encode(EncodeError::BadExtension { .. })),
        "{err:?}"
    );
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

fn jpeg(len: usize) -> Vec<u8> {
    let mut bytes = vec![0xff, 0xd8, 0xff];
    bytes.extend((0..len - 3).map(|i| (i % 253) as u8));
    bytes
}

async fn media_server(body: Vec<u8>) -> MockServer {
    let server = MockServer::start().await;
    token_mock("T1", 7200).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/media/get"))
        .and(query_param("media_id", "M1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(body, "image/jpeg")
                .insert_header("content-disposition", "attachment; filename=\"M1.jpg\""),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn binary_download_as_bytes() {
    let content = jpeg(5000);
    let server = media_server(content.clone()).await;
    let binary = client(&server)
        .send(&GetMedia {
            media_id: "M1".into(),
        })
        .await
        .expect("download");
    assert_eq!(binary.bytes().as_ref(), content.as_slice());
    assert_eq!(binary.len(), 5000);
    assert_eq!(binary.content_type(), Some("image/jpeg"));
    assert_eq!(binary.file_name(), Some("M1.jpg"));
}

#[tokio::test]
async fn binary_download_streamed_to_a_writer() {
    let content = jpeg(300_000);
    let server = media_server(content.clone()).await;
    let mut out: Vec<u8> = Vec::new();
    let info = client(&server)
        .download_to(
            &GetMedia {
                media_id: "M1".into(),
            },
            &mut out,
        )
        .await
        .expect("download");
    assert_eq!(info.len(), 300_000);
    assert_eq!(info.file_name(), Some("M1.jpg"));
    assert_eq!(info.content_type(), Some("image/jpeg"));
    assert!(out == content, "streamed bytes differ");
}

async fn json_error_server(content_type: &str) -> MockServer {
    let server = MockServer::start().await;
    token_mock("T1", 7200).mount(&server).await;
    Mock::given(path("/cgi-bin/media/get"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            &br#"{"errcode":40007,"errmsg":"invalid media_id rid: 11-22"}"#[..],
            content_type,
        ))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn json_error_from_binary_endpoint_is_api_error() {
    for content_type in [
        "text/plain",
        "application/json; encoding=utf-8",
        "application/octet-stream",
    ] {
        let server = json_error_server(content_type).await;
        let client = client(&server);
        let err = client
            .send(&GetMedia {
                media_id: "M1".into(),
            })
            .await
            .expect_err("api error");
        assert_eq!(
            err.api_code().map(|c| c.get()),
            Some(40007),
            "{content_type}"
        );
        let mut out = Vec::new();
        let err = client
            .download_to(
                &GetMedia {
                    media_id: "M1".into(),
                },
                &mut out,
            )
            .await
            .expect_err("api error");
        let Error::Api(api) = &err else {
            panic!("expected Api, got {err:?}")
        };
        assert_eq!((api.code().get(), api.rid()), (40007, Some("11-22")));
        assert!(out.is_empty(), "nothing written for an error");
    }
}

#[tokio::test]
async fn binary_endpoint_json_success_is_readable() {
    let server = MockServer::start().await;
    token_mock("T1", 7200).mount(&server).await;
    Mock::given(path("/cgi-bin/media/get"))
        .respond_with(json_ok(json!({"video_url": "http://example.com/v.mp4"})))
        .mount(&server)
        .await;
    let binary = client(&server)
        .send(&GetMedia {
            media_id: "V1".into(),
        })
        .await
        .expect("json answer");
    let value: serde_json::Value = binary.json().expect("json");
    assert_eq!(value["video_url"], "http://example.com/v.mp4");
}

#[tokio::test]
async fn download_refreshes_a_stale_token_once() {
    let server = MockServer::start().await;
    token_mock("T1", 7200)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    token_mock("T2", 7200).mount(&server).await;
    Mock::given(path("/cgi-bin/media/get"))
        .and(query_param("access_token", "T1"))
        .respond_with(json_ok(
            json!({"errcode": 40001, "errmsg": "invalid credential"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/cgi-bin/media/get"))
        .and(query_param("access_token", "T2"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(jpeg(10), "image/jpeg"))
        .expect(1)
        .mount(&server)
        .await;
    let mut out = Vec::new();
    let info = client(&server)
        .download_to(
            &GetMedia {
                media_id: "M1".into(),
            },
            &mut out,
        )
        .await
        .expect("ok");
    assert_eq!((info.len(), out.len()), (10, 10));
}
