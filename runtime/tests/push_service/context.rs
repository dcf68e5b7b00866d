//! Conversation context: history across pushes, handler state, idle expiry, opting out.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use weixin_runtime::push::context::Direction;
use weixin_runtime::push::{ContextEntry, MemoryContextStore, NoContext, Push, Service};

use crate::common::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Step {
    asked: String,
}

/// What the handler saw on each run: the history and the state it found.
type Seen = Arc<Mutex<Vec<(Vec<ContextEntry>, Option<Step>)>>>;

/// A service whose handler records its context, then stores the text as state.
fn remembering(
    seen: &Seen,
    configure: impl FnOnce(
        weixin_runtime::push::ServiceBuilder<Msg, Rep>,
    ) -> weixin_runtime::push::ServiceBuilder<Msg, Rep>,
) -> Svc {
    let seen = seen.clone();
    configure(Service::builder(TOKEN))
        .build(move |push: Push<Msg>| {
            let seen = seen.clone();
            async move {
                let context = push.context();
                let state: Option<Step> = context.state().await.expect("state reads");
                seen.lock()
                    .unwrap()
                    .push((context.history().to_vec(), state));
                let Msg::Text { content, .. } = push.message() else {
                    return Rep::Success;
                };
                if content == "forget" {
                    context.clear_state().await.expect("state clears");
                } else {
                    context
                        .set_state(&Step {
                            asked: content.clone(),
                        })
                        .await
                        .expect("state saves");
                }
                Rep::Text(format!("noted {content}"))
            }
        })
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn the_second_push_sees_the_first_and_its_state() {
    let seen = Seen::default();
    let service = remembering(&seen, |b| b);
    let query = plain_query(TOKEN, now(), "1");
    post(&service, &query, &text_push("o_user", "weather?", 1)).await;
    post(&service, &query, &text_push("o_user", "in Beijing", 2)).await;
    post(&service, &query, &text_push("o_other", "hello", 3)).await;

    let seen = seen.lock().unwrap().clone();
    let (first_history, first_state) = &seen[0];
    assert_eq!(first_history.len(), 1);
    assert_eq!(first_history[0].direction, Direction::Incoming);
    assert_eq!(first_history[0].msg_type, "text");
    assert_eq!(first_history[0].text.as_deref(), Some("weather?"));
    assert_eq!(*first_state, None);

    let (history, state) = &seen[1];
    let texts: Vec<(Direction, Option<&str>)> = history
        .iter()
        .map(|e| (e.direction, e.text.as_deref()))
        .collect();
    assert_eq!(
        texts,
        [
            (Direction::Incoming, Some("weather?")),
            (Direction::Outgoing, Some("noted weather?")),
            (Direction::Incoming, Some("in Beijing")),
        ]
    );
    assert_eq!(history[1].msg_type, "text");
    assert_eq!(
        *state,
        Some(Step {
            asked: "weather?".into()
        })
    );

    let (other_history, other_state) = &seen[2];
    assert_eq!(other_history.len(), 1, "another user has their own context");
    assert_eq!(*other_state, None);
}

#[tokio::test(start_paused = true)]
async fn history_is_capped_and_state_can_be_cleared() {
    let seen = Seen::default();
    let service = remembering(&seen, |b| b.context_limits(3, Duration::from_secs(60)));
    let query = plain_query(TOKEN, now(), "1");
    for (i, text) in ["a", "b", "forget", "c"].into_iter().enumerate() {
        post(&service, &query, &text_push("o_user", text, 10 + i as u64)).await;
    }
    let seen = seen.lock().unwrap().clone();
    let (history, state) = &seen[3];
    let texts: Vec<Option<&str>> = history.iter().map(|e| e.text.as_deref()).collect();
    assert_eq!(texts, [Some("forget"), Some("noted forget"), Some("c")]);
    assert_eq!(*state, None, "cleared by the third push");
    assert_eq!(seen[2].1, Some(Step { asked: "b".into() }));
}

#[tokio::test(start_paused = true)]
async fn context_expires_after_the_idle_time() {
    let seen = Seen::default();
    let service = remembering(&seen, |b| b.context_limits(20, Duration::from_secs(600)));
    let query = plain_query(TOKEN, now(), "1");
    post(&service, &query, &text_push("o_user", "one", 21)).await;
    tokio::time::advance(Duration::from_secs(599)).await;
    post(&service, &query, &text_push("o_user", "two", 22)).await;
    tokio::time::advance(Duration::from_secs(601)).await;
    post(&service, &query, &text_push("o_user", "three", 23)).await;

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[1].0.len(), 3, "still within the idle time");
    assert_eq!(
        seen[1].1,
        Some(Step {
            asked: "one".into()
        })
    );
    assert_eq!(seen[2].0.len(), 1, "forgotten after 600 s without a push");
    assert_eq!(seen[2].1, None);
}

#[tokio::test(start_paused = true)]
async fn no_context_keeps_nothing() {
    let seen = Seen::default();
    let service = remembering(&seen, |b| b.context(NoContext));
    let query = plain_query(TOKEN, now(), "1");
    post(&service, &query, &text_push("o_user", "one", 31)).await;
    post(&service, &query, &text_push("o_user", "two", 32)).await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[1].0.len(), 1);
    assert_eq!(seen[1].0[0].text.as_deref(), Some("two"));
    assert_eq!(seen[1].1, None);
}

#[tokio::test(start_paused = true)]
async fn events_record_their_key_and_the_store_is_bounded() {
    let seen = Seen::default();
    let service = remembering(&seen, |b| b.context(MemoryContextStore::with_capacity(2)));
    let query = plain_query(TOKEN, now(), "1");
    post(&service, &query, &event_push("o_1", 100, "MENU_A")).await;
    post(&service, &query, &event_push("o_1", 101, "MENU_B")).await;
    let seen_now = seen.lock().unwrap().clone();
    let last = &seen_now[1].0;
    assert_eq!(last.len(), 2, "the `success` reply adds no entry");
    assert_eq!(last[1].msg_type, "event");
    assert_eq!(last[1].event.as_deref(), Some("CLICK"));
    assert_eq!(last[1].text.as_deref(), Some("MENU_B"));
    assert_eq!(last[1].time, 101);

    for user in ["o_2", "o_3"] {
        post(&service, &query, &event_push(user, 100, "X")).await;
    }
    post(&service, &query, &event_push("o_1", 102, "MENU_C")).await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen[4].0.len(),
        1,
        "o_1 was evicted: the store keeps two users"
    );
}
