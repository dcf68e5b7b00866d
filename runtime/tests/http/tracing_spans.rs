//! One `weixin_call` span per call, with endpoint, method, path, duration and errcode, and no
//! token anywhere in what is recorded.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer};

use crate::common::*;

const TOKEN: &str = "TRACED-TOKEN-value";

/// A subscriber that writes every span, record and event as a line of text.
#[derive(Clone, Default)]
struct Capture {
    lines: Arc<Mutex<Vec<String>>>,
    next: Arc<AtomicU64>,
}

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
}

impl Capture {
    fn push(&self, line: String) {
        self.lines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(line);
    }
    fn text(&self) -> String {
        self.lines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .join("\n")
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut line = Line(format!("span {}", span.metadata().name()));
        span.record(&mut line);
        self.push(line.0);
        Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut line = Line("record".into());
        values.record(&mut line);
        self.push(line.0);
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = Line(format!("event {}", event.metadata().target()));
        event.record(&mut line);
        self.push(line.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn each_call_has_a_span_without_the_token() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let server = MockServer::start().await;
    token_mock(TOKEN, 7200).mount(&server).await;
    Mock::given(path("/cgi-bin/thing"))
        .respond_with(json_ok(
            json!({"errcode": 40003, "errmsg": "invalid openid rid: aa-bb"}),
        ))
        .mount(&server)
        .await;
    let err = client(&server)
        .send(&GetThing { id: "1".into() })
        .await
        .expect_err("api error");
    assert_eq!(err.api_code().map(|c| c.get()), Some(40003));

    let text = capture.text();
    assert!(
        text.contains("span weixin_call endpoint=\"get_thing\" method=Get path=\"/cgi-bin/thing\""),
        "{text}"
    );
    assert!(text.contains("errcode=40003"), "{text}");
    assert!(text.contains("duration_ms="), "{text}");
    assert!(!text.contains(TOKEN), "token leaked into traces:\n{text}");
    assert!(
        !text.contains(APP_SECRET),
        "secret leaked into traces:\n{text}"
    );
}
