//! Refusals log one warning with the reason and nothing of the body.

use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

use crate::common::*;

/// Collects `LEVEL message field=value…` for every event.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = Line(event.metadata().level().to_string());
        event.record(&mut line);
        self.0.lock().unwrap().push(line.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test(flavor = "current_thread")]
async fn refusals_log_the_reason_without_the_body() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let calls = Calls::default();
    let service = echo_service(&calls);

    let secret = "TOP-SECRET-CONTENT";
    let forged = plain_query("wrong", now(), "1");
    assert_eq!(
        post(&service, &forged, &text_push("o", secret, 1))
            .await
            .status,
        403
    );
    let bad_field =
        text_push("o", secret, 2).replace("<MsgId>2</MsgId>", &format!("<MsgId>{secret}</MsgId>"));
    assert_eq!(
        post(&service, &plain_query(TOKEN, now(), "1"), &bad_field)
            .await
            .status,
        400
    );

    let lines = capture.0.lock().unwrap().clone();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with(&Level::WARN.to_string())),
        "{lines:?}"
    );
    assert!(lines[0].contains("signature does not match"), "{lines:?}");
    assert!(lines[1].contains("MsgId"), "{lines:?}");
    assert!(lines.iter().all(|l| !l.contains(secret)), "{lines:?}");
    assert_eq!(calls.count(), 0);
}
