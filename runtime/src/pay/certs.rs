//! The keys a [`PayClient`](super::PayClient) verifies with, and platform certificate download.
//!
//! Public-key mode needs no download. In certificate mode (and mixed mode) `GET
//! /v3/certificates` is fetched before the first call, again lazily every 60 minutes, and when a
//! response names an unknown serial (at most once a minute). One download runs at a time;
//! callers that waited for it use its result. Each download is decrypted with the APIv3 key and
//! verified with the certificates it contains (the first download cannot be verified otherwise).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::aead;
use super::client::Inner;
use super::exchange::{PayCall, SignedHeaders};
use super::keys::PlatformCertificate;
use super::verify::Verifier;
use crate::endpoint::{Body, Method, Retry};
use crate::error::{ConfigError, Error, SignatureCheck, SignatureError};

/// How often certificates are downloaded again.
pub(crate) const REFRESH_EVERY: Duration = Duration::from_secs(60 * 60);
/// The least time between two downloads triggered by unknown serials (or failed refreshes).
pub(crate) const RETRY_EVERY: Duration = Duration::from_secs(60);
/// The endpoint id of the download.
const ENDPOINT: &str = "download_certificates";
/// Its path.
const PATH: &str = "/v3/certificates";

/// Download bookkeeping, under the single-flight lock.
#[derive(Debug, Default)]
struct State {
    last_success: Option<Instant>,
    last_attempt: Option<Instant>,
    last_unknown: Option<Instant>,
}

/// The current verifier, and how to refresh it.
#[derive(Debug)]
pub(crate) struct KeyRing {
    fixed: Verifier,
    current: RwLock<Arc<Verifier>>,
    download: bool,
    state: tokio::sync::Mutex<State>,
    generation: AtomicU64,
}

/// Why a download is wanted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trigger {
    /// None loaded yet, or the last download is older than [`REFRESH_EVERY`].
    Periodic,
    /// A response named a serial we do not know.
    UnknownSerial,
}

impl KeyRing {
    /// A key ring with the configured public keys; `download` enables certificate mode.
    pub(crate) fn new(fixed: Verifier, download: bool) -> Self {
        KeyRing {
            current: RwLock::new(Arc::new(fixed.clone())),
            fixed,
            download,
            state: tokio::sync::Mutex::new(State::default()),
            generation: AtomicU64::new(0),
        }
    }

    /// The verifier in force.
    pub(crate) fn current(&self) -> Arc<Verifier> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn install(&self, verifier: Verifier) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(verifier);
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The serial to send as `Wechatpay-Serial` (of the key sensitive fields are encrypted
    /// with), if any is known.
    pub(crate) fn encryption_serial(&self) -> Option<String> {
        self.current()
            .encryption_key(SystemTime::now())
            .map(|(serial, _)| serial.to_owned())
    }

    /// Whether certificates are downloaded.
    pub(crate) fn downloads(&self) -> bool {
        self.download
    }

    /// Verifies with the current keys; on an unknown serial in certificate mode, downloads the
    /// certificates again (rate-limited) and retries once.
    pub(crate) async fn verify(
        &self,
        inner: &Inner,
        timestamp: &str,
        nonce: &str,
        body: &[u8],
        signature: &str,
        serial: &str,
    ) -> Result<(), SignatureCheck> {
        let first = self
            .current()
            .verify(timestamp, nonce, body, signature, serial);
        match first {
            Err(SignatureCheck::UnknownSerial(_)) if self.download => {
                if let Err(e) = self.refresh(inner, Trigger::UnknownSerial).await {
                    tracing::warn!(error = %e, "platform certificate download failed");
                }
                self.current()
                    .verify(timestamp, nonce, body, signature, serial)
            }
            other => other,
        }
    }

    /// Downloads certificates if none are loaded or they are older than 60 minutes. A failed
    /// refresh with certificates at hand is logged and the old ones are kept.
    pub(crate) async fn ensure_fresh(&self, inner: &Inner) -> Result<(), Error> {
        if !self.download {
            return Ok(());
        }
        let loaded = self.current().certificates().next().is_some();
        match self.refresh(inner, Trigger::Periodic).await {
            Ok(()) => Ok(()),
            Err(e) if loaded => {
                tracing::warn!(error = %e, "platform certificate refresh failed; keeping the old ones");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Downloads the certificates now (single flight), unless the trigger's condition no longer
    /// holds once the lock is held.
    async fn refresh(&self, inner: &Inner, trigger: Trigger) -> Result<(), Error> {
        let seen = self.generation.load(Ordering::Acquire);
        if trigger == Trigger::Periodic && !self.stale_hint() {
            return Ok(());
        }
        let mut state = self.state.lock().await;
        if self.generation.load(Ordering::Acquire) != seen {
            return Ok(());
        }
        let now = Instant::now();
        let recently = |at: Option<Instant>, every| at.is_some_and(|t| now - t < every);
        let has_certs = self.current().certificates().next().is_some();
        let wanted = match trigger {
            Trigger::Periodic => {
                let fresh = recently(state.last_success, REFRESH_EVERY);
                let backing_off = has_certs && recently(state.last_attempt, RETRY_EVERY);
                !fresh && !backing_off
            }
            Trigger::UnknownSerial => !recently(state.last_unknown, RETRY_EVERY),
        };
        if !wanted {
            return Ok(());
        }
        state.last_attempt = Some(now);
        if trigger == Trigger::UnknownSerial {
            state.last_unknown = Some(now);
        }
        let verifier = self.download(inner).await?;
        state.last_success = Some(Instant::now());
        self.install(verifier);
        Ok(())
    }

    /// A cheap pre-check for the periodic trigger, without the lock.
    fn stale_hint(&self) -> bool {
        match self.state.try_lock() {
            Ok(state) => state
                .last_success
                .is_none_or(|t| t.elapsed() >= REFRESH_EVERY),
            // A download is running: wait for it.
            Err(_) => true,
        }
    }

    /// `GET /v3/certificates`: decrypts every certificate, checks its serial and verifies the
    /// response with the configured keys plus the downloaded certificates.
    async fn download(&self, inner: &Inner) -> Result<Verifier, Error> {
        #[derive(serde::Deserialize)]
        struct Listing {
            data: Vec<Item>,
        }
        #[derive(serde::Deserialize)]
        struct Item {
            serial_no: String,
            encrypt_certificate: Encrypted,
        }
        #[derive(serde::Deserialize)]
        struct Encrypted {
            #[serde(default)]
            associated_data: String,
            nonce: String,
            ciphertext: String,
        }

        let call = PayCall {
            endpoint: ENDPOINT,
            method: Method::Get,
            path: PATH.into(),
            query: Vec::new(),
            raw_query: None,
            retry: Retry::Safe,
        };
        let received = inner.exchange(&call, &Body::Empty).await?;
        if !(200..300).contains(&received.status) {
            return Err(inner.api_error(ENDPOINT, &received, false));
        }
        let fail = |check| Error::Signature(SignatureError::new(ENDPOINT, check));
        let listing: Listing = crate::decode::decode_json(ENDPOINT, &received.body)?;
        let mut verifier = self.fixed.clone();
        for item in listing.data {
            let enc = item.encrypt_certificate;
            let pem = aead::decrypt(
                inner.apiv3_key.secret(),
                enc.nonce.as_bytes(),
                enc.associated_data.as_bytes(),
                &enc.ciphertext,
            )
            .map_err(|_| fail(SignatureCheck::Decrypt))?;
            let pem = String::from_utf8(pem).map_err(|_| fail(SignatureCheck::Decrypt))?;
            let cert = PlatformCertificate::from_pem(&pem).map_err(|e| {
                ConfigError::setting(
                    "a downloaded platform certificate could not be read",
                    Some(Box::new(e)),
                )
            })?;
            if cert.serial() != item.serial_no {
                return Err(fail(SignatureCheck::CertificateSerial(item.serial_no)));
            }
            verifier.add_certificate(cert);
        }
        if inner.verify {
            let h = SignedHeaders::read(&received.headers).map_err(fail)?;
            verifier
                .verify(h.timestamp, h.nonce, &received.body, h.signature, h.serial)
                .map_err(fail)?;
        }
        tracing::debug!(
            certificates = verifier.certificates().count(),
            "platform certificates downloaded"
        );
        Ok(verifier)
    }
}
