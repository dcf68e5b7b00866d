//! The sandbox's WeChat Pay key pair and response signing.
//!
//! `sandbox_key.pem` and `sandbox_public_key.pem` are a PUBLIC TEST KEY pair, generated once
//! with `openssl genrsa 2048` for the sandbox and published with the source: anyone can sign
//! with it, so it proves nothing outside the sandbox and must never be trusted by a production
//! client. It is fixed (not generated at start-up) so that clients can be configured with the
//! public key once, and because RSA key generation is slow in debug builds.

use std::sync::OnceLock;

use weixin_runtime::pay::verify::response_message;
use weixin_runtime::pay::{MerchantKey, sign};

use super::super::wire::{Answer, rid};

/// The sandbox's private key (PKCS#8 PEM). A public test key: see the module docs.
pub const PRIVATE_KEY_PEM: &str = include_str!("sandbox_key.pem");

/// The sandbox's WeChat Pay public key (SPKI PEM): configure clients with it.
pub const PUBLIC_KEY_PEM: &str = include_str!("sandbox_public_key.pem");

/// The id of the sandbox's public key, sent as `Wechatpay-Serial`.
pub const PUBLIC_KEY_ID: &str = "PUB_KEY_ID_0100SANDBOX0000000000000001";

/// A key that signs responses and notifications, and the serial it is known under.
#[derive(Clone, Debug)]
pub struct Signer {
    key: MerchantKey,
    serial: String,
}

impl Signer {
    /// Signs with `pem` (PKCS#8 or PKCS#1 private key), announcing `serial`.
    pub fn new(pem: &str, serial: impl Into<String>) -> Result<Signer, String> {
        let key = MerchantKey::from_pem(pem).map_err(|e| format!("signing key: {e}"))?;
        Ok(Signer {
            key,
            serial: serial.into(),
        })
    }

    /// The sandbox's own key ([`PRIVATE_KEY_PEM`] under [`PUBLIC_KEY_ID`]), parsed once.
    pub fn sandbox() -> Result<&'static Signer, String> {
        static SANDBOX: OnceLock<Result<Signer, String>> = OnceLock::new();
        SANDBOX
            .get_or_init(|| Signer::new(PRIVATE_KEY_PEM, PUBLIC_KEY_ID))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The serial (`Wechatpay-Serial`) this key signs under.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The `Wechatpay-*` headers signing `body` now, with a fresh nonce.
    pub fn headers(&self, body: &[u8]) -> Result<Vec<(String, String)>, String> {
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default()
            .to_string();
        let nonce = sign::nonce();
        let signature = self
            .key
            .sign(&response_message(&timestamp, &nonce, body))
            .map_err(|e| e.to_string())?;
        Ok(vec![
            ("Wechatpay-Timestamp".into(), timestamp),
            ("Wechatpay-Nonce".into(), nonce),
            ("Wechatpay-Signature".into(), signature),
            ("Wechatpay-Serial".into(), self.serial.clone()),
        ])
    }
}

/// Signs an answer of the `mch` host with the sandbox key and gives it a `Request-ID`. If the
/// key cannot sign (it always can: it is built in), the answer becomes a plain 500.
pub fn sign_answer(answer: &mut Answer) {
    let signed = Signer::sandbox().and_then(|signer| signer.headers(&answer.body));
    match signed {
        Ok(headers) => {
            answer.headers.extend(headers);
            answer.headers.push(("Request-ID".into(), rid()));
        }
        Err(e) => *answer = Answer::status(500, &format!("sandbox: cannot sign: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use weixin_runtime::pay::{Verifier, WechatPayPublicKey};

    use super::*;

    #[test]
    fn the_built_in_pair_signs_and_verifies() {
        let public = WechatPayPublicKey::from_pem(PUBLIC_KEY_ID, PUBLIC_KEY_PEM).unwrap();
        let mut verifier = Verifier::new();
        verifier.add_public_key(public);
        let mut answer = Answer::json_text(r#"{"prepay_id":"wx1"}"#);
        sign_answer(&mut answer);
        let h = |name: &str| {
            answer
                .headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(h("Wechatpay-Serial"), PUBLIC_KEY_ID);
        let verified = verifier.verify(
            &h("Wechatpay-Timestamp"),
            &h("Wechatpay-Nonce"),
            &answer.body,
            &h("Wechatpay-Signature"),
            PUBLIC_KEY_ID,
        );
        assert_eq!(verified, Ok(()));
        assert!(!h("Request-ID").is_empty());
    }
}
