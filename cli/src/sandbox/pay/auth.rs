//! The `Authorization` header of WeChat Pay requests, and the merchants whose signatures the
//! sandbox verifies.
//!
//! The sandbox does not know merchant keys: by default any signature is accepted, as long as
//! the header is well formed (scheme, `mchid`, `serial_no`, `nonce_str`, a `timestamp` within
//! 5 minutes, a base64 `signature`). A merchant registered with its public key (or its API
//! certificate) has its signatures verified for real.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rsa::RsaPublicKey;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier as _;
use sha2::Sha256;
use weixin_runtime::pay::PlatformCertificate;
use weixin_runtime::pay::sign::{SCHEMA, request_message};
use weixin_runtime::pay::verify::WINDOW;

/// A parsed `Authorization: WECHATPAY2-SHA256-RSA2048 …` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    /// The merchant id.
    pub mchid: String,
    /// The merchant API certificate serial.
    pub serial_no: String,
    /// The nonce.
    pub nonce_str: String,
    /// Unix seconds, as sent.
    pub timestamp: String,
    /// The base64 signature.
    pub signature: String,
}

impl Authorization {
    /// Parses the header and checks its shape and the timestamp's age against `now` (unix
    /// seconds). The error is the `SIGN_ERROR` message.
    pub fn parse(header: &str, now: u64) -> Result<Authorization, String> {
        let rest = header
            .strip_prefix(SCHEMA)
            .and_then(|r| r.strip_prefix(' '))
            .ok_or_else(|| format!("the Authorization scheme must be {SCHEMA}"))?;
        let mut fields: HashMap<&str, &str> = HashMap::new();
        for part in rest.split(',') {
            let (name, value) = part
                .trim()
                .split_once('=')
                .ok_or_else(|| format!("malformed Authorization field {part:?}"))?;
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .ok_or_else(|| format!("Authorization field {name} must be quoted"))?;
            fields.insert(name, value);
        }
        let field = |name: &str| {
            fields
                .get(name)
                .filter(|v| !v.is_empty())
                .map(|v| (*v).to_owned())
                .ok_or_else(|| format!("the Authorization header has no {name}"))
        };
        let auth = Authorization {
            mchid: field("mchid")?,
            serial_no: field("serial_no")?,
            nonce_str: field("nonce_str")?,
            timestamp: field("timestamp")?,
            signature: field("signature")?,
        };
        let ts: u64 = auth
            .timestamp
            .parse()
            .map_err(|_| "the Authorization timestamp is not unix seconds".to_owned())?;
        if ts.abs_diff(now) >= WINDOW.as_secs() {
            return Err("the Authorization timestamp is more than 5 minutes away".into());
        }
        if BASE64.decode(&auth.signature).is_err() {
            return Err("the Authorization signature is not base64".into());
        }
        Ok(auth)
    }
}

/// The merchants whose request signatures are verified: (mchid, serial) → public key.
#[derive(Debug, Default)]
pub struct Merchants {
    keys: HashMap<(String, String), RsaPublicKey>,
}

/// One request, as its signature covers it.
#[derive(Clone, Copy, Debug)]
pub struct Signed<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// Path and query exactly as received.
    pub target: &'a str,
    /// The raw body.
    pub body: &'a [u8],
}

impl Merchants {
    /// Registers merchant `mchid`'s key under certificate serial `serial_no`: a `PUBLIC KEY`
    /// (SPKI), `RSA PUBLIC KEY` (PKCS#1) or `CERTIFICATE` (the merchant API certificate) PEM.
    pub fn register(&mut self, mchid: &str, serial_no: &str, pem: &str) -> Result<(), String> {
        if mchid.is_empty() || serial_no.is_empty() {
            return Err("mchid and serial_no must not be empty".into());
        }
        let pem = pem.trim();
        let key = if pem.contains("BEGIN CERTIFICATE") {
            PlatformCertificate::from_pem(pem)
                .map(|c| c.key().clone())
                .map_err(|e| e.to_string())?
        } else if pem.contains("BEGIN RSA PUBLIC KEY") {
            RsaPublicKey::from_pkcs1_pem(pem).map_err(|e| format!("public key: {e}"))?
        } else {
            RsaPublicKey::from_public_key_pem(pem).map_err(|e| format!("public key: {e}"))?
        };
        self.keys
            .insert((mchid.to_owned(), serial_no.to_owned()), key);
        Ok(())
    }

    /// Checks `auth`'s signature over `request` if its merchant is registered; any signature
    /// of an unregistered merchant passes. The error is the `SIGN_ERROR` message.
    pub fn check(&self, auth: &Authorization, request: Signed<'_>) -> Result<(), String> {
        let registered = self.keys.keys().any(|(mchid, _)| *mchid == auth.mchid);
        if !registered {
            return Ok(());
        }
        let key = self
            .keys
            .get(&(auth.mchid.clone(), auth.serial_no.clone()))
            .ok_or_else(|| {
                format!(
                    "serial_no {} is not a certificate of merchant {}",
                    auth.serial_no, auth.mchid
                )
            })?;
        let ts: i64 = auth.timestamp.parse().map_err(|_| "bad timestamp")?;
        let message = request_message(
            request.method,
            request.target,
            ts,
            &auth.nonce_str,
            request.body,
        );
        let raw = BASE64
            .decode(&auth.signature)
            .map_err(|_| "the signature is not base64")?;
        let signature = Signature::try_from(raw.as_slice()).map_err(|_| "malformed signature")?;
        VerifyingKey::<Sha256>::new(key.clone())
            .verify(&message, &signature)
            .map_err(|_| "the request signature does not verify".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000;

    fn header(ts: u64, signature: &str) -> String {
        format!(
            "{SCHEMA} mchid=\"1900000001\",nonce_str=\"abc\",timestamp=\"{ts}\",serial_no=\"5F1C\",signature=\"{signature}\""
        )
    }

    #[test]
    fn well_formed_headers_parse() {
        let auth = Authorization::parse(&header(NOW, "c2ln"), NOW + 10).unwrap();
        assert_eq!(auth.mchid, "1900000001");
        assert_eq!(auth.serial_no, "5F1C");
    }

    #[test]
    fn malformed_headers_are_refused() {
        for (h, why) in [
            ("Bearer x".to_owned(), "scheme"),
            (header(NOW - 400, "c2ln"), "5 minutes"),
            (header(NOW, "not base64!"), "base64"),
            (
                header(NOW, "").replace("serial_no=\"5F1C\",", ""),
                "serial_no",
            ),
        ] {
            let err = Authorization::parse(&h, NOW).unwrap_err();
            assert!(err.contains(why), "{err}");
        }
    }

    #[test]
    fn unregistered_merchants_pass_and_registered_ones_are_verified() {
        let auth = Authorization::parse(&header(NOW, "c2ln"), NOW).unwrap();
        let request = Signed {
            method: "GET",
            target: "/v3/x",
            body: b"",
        };
        let mut merchants = Merchants::default();
        assert_eq!(merchants.check(&auth, request), Ok(()));
        merchants
            .register("1900000001", "5F1C", super::super::key::PUBLIC_KEY_PEM)
            .unwrap();
        assert!(merchants.check(&auth, request).is_err());
        assert!(merchants.register("1", "S", "nope").is_err());
    }
}
