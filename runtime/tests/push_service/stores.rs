//! The in-memory dedup store and `split_text`.

use std::time::Duration;

use weixin_runtime::push::split::{TEXT_MAX_BYTES, split_text};
use weixin_runtime::push::{Claim, DedupStore, MemoryDedupStore};

#[tokio::test(start_paused = true)]
async fn memory_dedup_store_claims_completes_and_expires() {
    let store = MemoryDedupStore::new();
    let ttl = Duration::from_secs(300);
    assert_eq!(store.claim("k", ttl).await.unwrap(), Claim::First);
    assert_eq!(store.claim("k", ttl).await.unwrap(), Claim::InProgress);
    store.complete("k", "<xml>r</xml>", ttl).await.unwrap();
    assert_eq!(
        store.claim("k", ttl).await.unwrap(),
        Claim::Done("<xml>r</xml>".into())
    );

    tokio::time::advance(Duration::from_secs(299)).await;
    assert_eq!(
        store.claim("k", ttl).await.unwrap(),
        Claim::Done("<xml>r</xml>".into())
    );
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(
        store.claim("k", ttl).await.unwrap(),
        Claim::First,
        "expired"
    );

    store.release("k").await.unwrap();
    assert_eq!(
        store.claim("k", ttl).await.unwrap(),
        Claim::First,
        "released"
    );
}

#[tokio::test(start_paused = true)]
async fn memory_dedup_store_stays_bounded() {
    let store = MemoryDedupStore::with_capacity(100);
    let ttl = Duration::from_secs(300);
    for i in 0..1000 {
        store.claim(&format!("k{i}"), ttl).await.unwrap();
    }
    assert_eq!(store.len(), 100);
    assert_eq!(
        store.claim("k0", ttl).await.unwrap(),
        Claim::First,
        "the oldest were evicted"
    );
    assert_eq!(store.claim("k999", ttl).await.unwrap(), Claim::InProgress);

    // Without the bound, expiry alone keeps the store to one window of pushes.
    let store = MemoryDedupStore::new();
    for i in 0..50 {
        store
            .claim(&format!("a{i}"), Duration::from_secs(10))
            .await
            .unwrap();
    }
    tokio::time::advance(Duration::from_secs(11)).await;
    store.claim("b", Duration::from_secs(10)).await.unwrap();
    assert_eq!(store.len(), 1);
    assert!(!store.is_empty());
}

#[test]
fn split_ascii_prefers_whitespace_and_newlines() {
    assert_eq!(split_text("", 10), Vec::<&str>::new());
    assert_eq!(split_text("short", 10), ["short"]);
    assert_eq!(split_text("aaaa bbbb cccc", 10), ["aaaa bbbb ", "cccc"]);
    assert_eq!(split_text("aaa\nbbbb cc dd", 10), ["aaa\nbbbb ", "cc dd"]);
    assert_eq!(split_text("aaaaaa\nbb cc dd", 10), ["aaaaaa\n", "bb cc dd"]);
    // A break in the first half of the window is not worth it: cut hard.
    assert_eq!(split_text("a bbbbbbbbbbbb", 10), ["a bbbbbbbb", "bbbb"]);
    assert_eq!(
        split_text("abcdefghij", 3),
        ["abcd", "efgh", "ij"],
        "a window below 4 counts as 4"
    );
}

#[test]
fn split_never_cuts_a_character() {
    // 中 is 3 bytes: a 10-byte window holds three of them.
    assert_eq!(split_text("中文中文中文中", 10), ["中文中", "文中文", "中"]);
    // 😀 is 4 bytes.
    assert_eq!(split_text("😀😀😀", 5), ["😀", "😀", "😀"]);
    assert_eq!(split_text("a😀b", 4), ["a", "😀", "b"]);
    let long: String = "微信消息😀 ".repeat(400);
    let pieces = split_text(&long, TEXT_MAX_BYTES);
    assert!(pieces.len() > 1);
    assert!(
        pieces
            .iter()
            .all(|p| !p.is_empty() && p.len() <= TEXT_MAX_BYTES)
    );
    assert!(pieces[..pieces.len() - 1].iter().all(|p| p.ends_with(' ')));
    assert_eq!(pieces.concat(), long);
}

#[test]
fn split_covers_every_input_and_max() {
    let text = "ab 中\n😀 cd\n\nef";
    for max in 0..20 {
        let pieces = split_text(text, max);
        assert_eq!(pieces.concat(), text, "max {max}");
        assert!(
            pieces
                .iter()
                .all(|p| !p.is_empty() && p.len() <= max.max(4)),
            "max {max}: {pieces:?}"
        );
    }
}
