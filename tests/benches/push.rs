//! Messages per second through the push path, against the bare crypto work of one message.
//!
//! `cargo bench -p weixin-tests --bench push`
//!
//! - `push/safe_mode_full`: an encrypted Official Account text push through `Service::handle`
//!   (signature, freshness, decryption, parsing, typed decoding, dedup, context, the echo handler
//!   on a spawned task, rendering, encryption and signing of the reply), default settings.
//! - `push/plain_mode_full`: the same push in plain mode.
//! - `push/safe_mode_core`: `safe_mode_full` with dedup and the conversation context turned
//!   off: exactly the work the issue names (verify, decrypt, parse, decode, dispatch, reply,
//!   encrypt, sign), the work the wechatpy baseline does. `full − core` is what dedup and the
//!   context cost.
//! - `push/crypto_floor`: only the crypto and encoding of one such message, with `aes`, `cbc`,
//!   `base64` and `sha1` directly: the lower bound for `safe_mode_full`.
//! - `push/xml_floor`: only `quick-xml` reading the events of that push's envelope and of the
//!   decrypted message, nothing done with them. `crypto_floor + xml_floor` is the least any
//!   implementation on `quick-xml` can spend, before decoding, dispatching or replying.
//!
//! Every timed push is distinct (its own `MsgId`, built and encrypted untimed in the batch setup,
//! with a fresh timestamp), so dedup never answers from its store. Runs on a current-thread Tokio
//! runtime: the figures are per core.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aes::Aes256;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, InnerIvInit, KeyInit};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sha1::{Digest, Sha1};
use weixin::push::Service;
use weixin::push::crypto::MsgCrypt;
use weixin::runtime::push::{Claim, DedupStore, NoContext};
use weixin::runtime::{BoxFuture, StoreError};
use weixin_tests::push_fixture::{
    AES_KEY, APP_ID, NONCE, SignedPush, TOKEN, echo, text_xml, unix_now,
};

/// The one sender of every timed push: its context holds the full history (the worst case).
const USER: &str = "oyORnuP8q7ou2gfYjqLzSIWZf0rs";

/// A dedup store that claims every key for the caller and keeps nothing.
struct NoDedup;

impl DedupStore for NoDedup {
    fn claim<'a>(&'a self, _: &'a str, _: Duration) -> BoxFuture<'a, Result<Claim, StoreError>> {
        Box::pin(std::future::ready(Ok(Claim::First)))
    }

    fn complete<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        _: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn release<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

/// The AES key and IV of [`AES_KEY`], decoded the way WXBizMsgCrypt does.
fn key_and_iv() -> (Aes256, [u8; 16]) {
    let key = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    )
    .decode(format!("{AES_KEY}="))
    .expect("key decodes");
    let mut iv = [0u8; 16];
    iv.copy_from_slice(&key[..16]);
    (Aes256::new_from_slice(&key).expect("32-byte key"), iv)
}

/// Sorts the parts, concatenates them and returns the lowercase hex SHA-1.
fn sorted_sha1(parts: &mut [&str]) -> String {
    parts.sort_unstable();
    let mut hasher = Sha1::new();
    for part in parts.iter() {
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// The crypto and encoding of one safe-mode message, and nothing else.
struct Floor {
    cipher: Aes256,
    iv: [u8; 16],
    timestamp: String,
    encrypt: String,
    msg_signature: String,
    reply: Vec<u8>,
}

impl Floor {
    /// Returns the reply's base64 ciphertext and signature (so nothing is optimised away).
    fn run(&self) -> (String, String) {
        let mut parts = [TOKEN, &self.timestamp, NONCE, &self.encrypt];
        let signature = sorted_sha1(&mut parts);
        assert_eq!(signature, self.msg_signature, "incoming signature");
        let mut buf = STANDARD.decode(&self.encrypt).expect("base64");
        cbc::Decryptor::<Aes256>::inner_iv_init(self.cipher.clone(), &self.iv.into())
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .expect("whole blocks");

        // random(16) || len(4) || reply || appid, padded to 32 bytes, as the real reply.
        let unpadded = 20 + self.reply.len() + APP_ID.len();
        let pad = 32 - unpadded % 32;
        let mut out = Vec::with_capacity(unpadded + pad);
        out.extend_from_slice(&buf[..16]);
        out.extend_from_slice(
            &u32::try_from(self.reply.len())
                .expect("small")
                .to_be_bytes(),
        );
        out.extend_from_slice(&self.reply);
        out.extend_from_slice(APP_ID.as_bytes());
        out.resize(unpadded + pad, u8::try_from(pad).expect("pad <= 32"));
        let len = out.len();
        cbc::Encryptor::<Aes256>::inner_iv_init(self.cipher.clone(), &self.iv.into())
            .encrypt_padded_mut::<NoPadding>(&mut out, len)
            .expect("whole blocks");
        let reply_b64 = STANDARD.encode(&out);
        let mut parts = [TOKEN, &self.timestamp, NONCE, &reply_b64];
        let reply_signature = sorted_sha1(&mut parts);
        (reply_b64, reply_signature)
    }
}

/// Reads every event of `xml` with `quick-xml` and does nothing with them; returns their count.
fn xml_events(xml: &str) -> usize {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut events = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => return events,
            Ok(_) => events += 1,
            Err(e) => panic!("the fixture is well-formed: {e}"),
        }
    }
}

fn push(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let safe: Service = Service::builder(TOKEN)
        .app_id(APP_ID)
        .encoding_aes_key(AES_KEY)
        .build(echo)
        .expect("safe-mode service");
    let core: Service = Service::builder(TOKEN)
        .app_id(APP_ID)
        .encoding_aes_key(AES_KEY)
        .dedup(NoDedup)
        .context(NoContext)
        .build(echo)
        .expect("safe-mode service without dedup or context");
    let plain: Service = Service::builder(TOKEN).build(echo).expect("plain service");
    let crypt = MsgCrypt::new(TOKEN, AES_KEY, APP_ID).expect("crypt");
    let next_id = AtomicU64::new(6_054_768_590_064_713_728);
    let fresh_id = || next_id.fetch_add(1, Ordering::Relaxed);

    // Sanity: the services answer the echo, so the timed loops measure the real path.
    let response =
        runtime.block_on(safe.handle(SignedPush::safe(&crypt, USER, fresh_id()).request()));
    assert_eq!(response.status, 200, "{}", response.body);
    assert!(response.body.contains("<Encrypt>"), "{}", response.body);
    let plain_reply = runtime
        .block_on(plain.handle(SignedPush::plain(USER, fresh_id()).request()))
        .body;
    assert!(plain_reply.contains("echo: "), "{plain_reply}");

    let floor = {
        let (cipher, iv) = key_and_iv();
        let timestamp = unix_now().to_string();
        let encrypt = crypt.encrypt(text_xml(USER, fresh_id(), unix_now()).as_bytes());
        let msg_signature = crypt.msg_signature(&timestamp, NONCE, &encrypt);
        Floor {
            cipher,
            iv,
            timestamp,
            encrypt,
            msg_signature,
            // Same size as the real reply (its CreateTime has as many digits).
            reply: plain_reply.into_bytes(),
        }
    };

    let envelope = String::from_utf8(SignedPush::safe(&crypt, USER, fresh_id()).body)
        .expect("the envelope is UTF-8");
    let message = text_xml(USER, fresh_id(), unix_now());

    let mut group = c.benchmark_group("push");
    group.throughput(Throughput::Elements(1));
    let safe_push = || SignedPush::safe(&crypt, USER, fresh_id());
    let plain_push = || SignedPush::plain(USER, fresh_id());
    let through_services: [(&str, &Service, &dyn Fn() -> SignedPush); 3] = [
        ("safe_mode_full", &safe, &safe_push),
        ("safe_mode_core", &core, &safe_push),
        ("plain_mode_full", &plain, &plain_push),
    ];
    for (name, service, push) in through_services {
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter_batched(
                push,
                |request| async move { service.handle(request.request()).await },
                BatchSize::SmallInput,
            )
        });
    }
    group.bench_function("crypto_floor", |b| b.iter(|| floor.run()));
    group.bench_function("xml_floor", |b| {
        b.iter(|| {
            xml_events(std::hint::black_box(&envelope)) + xml_events(std::hint::black_box(&message))
        })
    });
    group.finish();
}

criterion_group!(benches, push);
criterion_main!(benches);
