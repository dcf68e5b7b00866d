//! Checking a request on the push URL and turning it into a decoded push: query parsing,
//! signatures, the freshness window, decryption and parsing. Nothing here has side effects.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::crypto::{CryptoError, MsgCrypt};
use super::{Format, Meta, Node, PushError, PushMessage, envelope, signature};

/// A request on the push URL, independent of any web framework.
#[derive(Debug, Clone, Copy)]
pub struct PushRequest<'a> {
    /// The HTTP method (`GET` for URL verification, `POST` for pushes).
    pub method: &'a str,
    /// The raw query string, still percent-encoded, without the `?`.
    pub query: &'a str,
    /// The request body.
    pub body: &'a [u8],
}

/// A push that passed every check, decrypted and decoded.
#[derive(Debug, Clone)]
pub struct Opened<M> {
    pub(crate) message: M,
    pub(crate) meta: Arc<Meta>,
    pub(crate) node: Node,
    pub(crate) encrypted: bool,
    pub(crate) format: Format,
    pub(crate) envelope: Format,
}

impl<M> Opened<M> {
    /// The decoded message.
    pub fn message(&self) -> &M {
        &self.message
    }

    /// Takes the decoded message.
    pub fn into_message(self) -> M {
        self.message
    }

    /// The envelope fields (`ToUserName`, `FromUserName`, `MsgType`…).
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The parsed (decrypted) push, every field included.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// Whether the push came encrypted (the reply is then encrypted too).
    pub fn encrypted(&self) -> bool {
        self.encrypted
    }

    /// The format of the (decrypted) push, and so of the reply.
    pub fn format(&self) -> Format {
        self.format
    }
}

/// The security settings of a push URL.
pub(crate) struct Verifier {
    pub(crate) token: String,
    pub(crate) crypt: Option<MsgCrypt>,
    pub(crate) require_encryption: bool,
    pub(crate) window: Duration,
    pub(crate) max_body_bytes: usize,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("token", &"***")
            .field("crypt", &self.crypt)
            .field("require_encryption", &self.require_encryption)
            .field("window", &self.window)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

impl Verifier {
    /// URL verification (GET): the text to answer with.
    ///
    /// With `msg_signature` (WeCom), the echostr is encrypted: the 4-element signature is
    /// checked and the decrypted text returned. Otherwise the 3-element `signature` is checked
    /// and the echostr returned as is.
    pub(crate) fn verify_url(&self, query: &str) -> Result<String, PushError> {
        let query = Query::parse(query);
        let echostr = query.require("echostr")?;
        let timestamp = query.require("timestamp")?;
        let nonce = query.require("nonce")?;
        match query.get("msg_signature") {
            Some(msg_signature) => {
                let crypt = self.crypt.as_ref().ok_or(PushError::NoKey)?;
                crypt
                    .verify_msg_signature(&msg_signature, &timestamp, &nonce, &echostr)
                    .map_err(signature_or_crypto)?;
                self.check_fresh(&timestamp)?;
                let plain = crypt.decrypt(&echostr)?;
                String::from_utf8(plain).map_err(|_| PushError::Crypto(CryptoError::NotUtf8))
            }
            None => {
                self.verify_plain(&query, &timestamp, &nonce)?;
                self.check_fresh(&timestamp)?;
                Ok(echostr.into_owned())
            }
        }
    }

    /// A push (POST): checked, decrypted when encrypted, parsed and decoded.
    pub(crate) fn open<M: PushMessage>(
        &self,
        body: &[u8],
        query: &str,
    ) -> Result<Opened<M>, PushError> {
        if body.len() > self.max_body_bytes {
            return Err(PushError::TooLarge {
                limit: self.max_body_bytes,
            });
        }
        let query = Query::parse(query);
        let envelope = sniff(body);
        // An XML envelope is scanned for its encrypted text; a JSON one is parsed.
        let (outer, encrypt) = match envelope {
            Format::Xml => (None, envelope::encrypt_text(body)?),
            Format::Json => {
                let outer = parse(body, envelope)?;
                let encrypt = encrypt_of(&outer, envelope)?.map(|e| Cow::Owned(e.to_owned()));
                (Some(outer), encrypt)
            }
        };
        let timestamp = query.require("timestamp")?;
        let nonce = query.require("nonce")?;
        let (node, format, encrypted) = match encrypt {
            Some(encrypt) => {
                let crypt = self.crypt.as_ref().ok_or(PushError::NoKey)?;
                let msg_signature = query.require("msg_signature")?;
                crypt
                    .verify_msg_signature(&msg_signature, &timestamp, &nonce, &encrypt)
                    .map_err(signature_or_crypto)?;
                self.check_fresh(&timestamp)?;
                let inner = crypt.decrypt(&encrypt)?;
                let format = sniff(&inner);
                (parse(&inner, format)?, format, true)
            }
            None => {
                self.verify_plain(&query, &timestamp, &nonce)?;
                self.check_fresh(&timestamp)?;
                if self.require_encryption {
                    return Err(PushError::EncryptionRequired);
                }
                let node = match outer {
                    Some(node) => node,
                    None => parse(body, envelope)?,
                };
                (node, envelope, false)
            }
        };
        let message = M::decode(&node)?;
        Ok(Opened {
            message,
            meta: Arc::new(Meta::from_node(&node)),
            node,
            encrypted,
            format,
            envelope,
        })
    }

    /// Checks the 3-element `signature` over the token, timestamp and nonce.
    fn verify_plain(&self, query: &Query, timestamp: &str, nonce: &str) -> Result<(), PushError> {
        let given = query.require("signature")?;
        if signature::verify(&given, &[&self.token, timestamp, nonce]) {
            Ok(())
        } else {
            Err(PushError::Signature)
        }
    }

    /// Refuses a timestamp further than the window from now. A timestamp that is not an
    /// integer counts as missing.
    fn check_fresh(&self, timestamp: &str) -> Result<(), PushError> {
        let timestamp: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| PushError::MissingParam("timestamp"))?;
        let now = unix_now();
        let window_secs = self.window.as_secs();
        if now.abs_diff(timestamp) > window_secs {
            return Err(PushError::Stale {
                timestamp,
                now,
                window_secs,
            });
        }
        Ok(())
    }
}

/// A signature mismatch is [`PushError::Signature`] (403); other crypto failures stay
/// [`PushError::Crypto`].
fn signature_or_crypto(e: CryptoError) -> PushError {
    match e {
        CryptoError::SignatureMismatch => PushError::Signature,
        other => PushError::Crypto(other),
    }
}

/// The current time in unix seconds.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// JSON when the first non-whitespace byte is `{`, XML otherwise.
fn sniff(body: &[u8]) -> Format {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Format::Json,
        _ => Format::Xml,
    }
}

/// The encrypted text of a parsed (JSON) envelope: its `Encrypt` member (`encrypt` in WeCom
/// JSON), if any. An envelope with two is refused: which one the signature covers would be
/// ambiguous.
fn encrypt_of(outer: &Node, format: Format) -> Result<Option<&str>, PushError> {
    let format = format_name(format);
    for name in ["Encrypt", "encrypt"] {
        let mut found = outer.children_named(name);
        if let Some(first) = found.next() {
            if found.next().is_some() {
                return Err(PushError::Syntax {
                    format,
                    reason: format!("the envelope has more than one `{name}`"),
                });
            }
            if !first.children().is_empty() {
                return Err(PushError::Syntax {
                    format,
                    reason: format!("`{name}` holds elements, not text"),
                });
            }
            return Ok(Some(first.text()));
        }
    }
    Ok(None)
}

/// `XML` or `JSON`, for errors.
fn format_name(format: Format) -> &'static str {
    match format {
        Format::Xml => "XML",
        Format::Json => "JSON",
    }
}

/// Parses a body of `format`, refusing bodies that are not UTF-8.
fn parse(body: &[u8], format: Format) -> Result<Node, PushError> {
    match format {
        // The XML parser checks UTF-8 itself.
        Format::Xml => Node::parse_xml(body),
        Format::Json => {
            if let Err(e) = std::str::from_utf8(body) {
                return Err(PushError::Syntax {
                    format: "JSON",
                    reason: format!("the body is not UTF-8 (at byte {})", e.valid_up_to()),
                });
            }
            Node::parse_json(body)
        }
    }
}

/// Query parameters split up front (WeChat sends about six).
const QUERY_PAIRS: usize = 12;

/// The query parameters, split once and decoded when asked for; the first of repeated names
/// wins.
struct Query<'a> {
    /// The first [`QUERY_PAIRS`] `(name, value)` pairs, still percent-encoded.
    pairs: [(&'a str, &'a str); QUERY_PAIRS],
    len: usize,
    /// What follows them, searched only when a name is not among them.
    rest: &'a str,
}

impl<'a> Query<'a> {
    /// Names and values are split on `&` and `=` and percent-decoded. `+` stays `+`: every value
    /// a push URL carries is hex, digits or base64, where `+` is never a space.
    fn parse(raw: &'a str) -> Query<'a> {
        let mut query = Query {
            pairs: [("", ""); QUERY_PAIRS],
            len: 0,
            rest: raw,
        };
        while query.len < QUERY_PAIRS && !query.rest.is_empty() {
            let (pair, rest) = query.rest.split_once('&').unwrap_or((query.rest, ""));
            query.rest = rest;
            if !pair.is_empty() {
                query.pairs[query.len] = split_pair(pair);
                query.len += 1;
            }
        }
        query
    }

    /// The decoded value of `name` (borrowed from the query when nothing in it is escaped).
    fn get(&self, name: &str) -> Option<Cow<'a, str>> {
        let later = self
            .rest
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(split_pair);
        self.pairs[..self.len]
            .iter()
            .copied()
            .chain(later)
            .find(|(key, _)| percent_decode(key) == name)
            .map(|(_, value)| percent_decode(value))
    }

    fn require(&self, name: &'static str) -> Result<Cow<'a, str>, PushError> {
        self.get(name)
            .filter(|v| !v.is_empty())
            .ok_or(PushError::MissingParam(name))
    }
}

/// `name=value` as `(name, value)`; a pair without `=` has an empty value.
fn split_pair(pair: &str) -> (&str, &str) {
    pair.split_once('=').unwrap_or((pair, ""))
}

/// Decodes `%XX` escapes; a malformed escape is kept literally, invalid UTF-8 is replaced.
/// Text without `%` is returned as it is.
fn percent_decode(text: &str) -> Cow<'_, str> {
    if !text.contains('%') {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding() {
        let q = Query::parse("echostr=a%2Bb%2F%3D+c&x&y=%zz&echostr=second&z=%E4%B8%AD");
        assert_eq!(q.get("echostr").as_deref(), Some("a+b/=+c"));
        assert_eq!(q.get("x").as_deref(), Some(""));
        assert_eq!(q.get("y").as_deref(), Some("%zz"));
        assert_eq!(q.get("z").as_deref(), Some("中"));
        assert!(matches!(q.get("x"), Some(Cow::Borrowed(""))));
        let plain = Query::parse("timestamp=1409735669&nonce=1320562132&%6Eame=v");
        assert!(matches!(
            plain.get("timestamp"),
            Some(Cow::Borrowed("1409735669"))
        ));
        assert_eq!(plain.get("name").as_deref(), Some("v"));
        // Past the pairs split up front, the rest is searched; the first of a name still wins.
        let many: String = (0..20).map(|i| format!("k{i}={i}&")).collect();
        let many = Query::parse(&many);
        assert_eq!(many.get("k3").as_deref(), Some("3"));
        assert_eq!(many.get("k19").as_deref(), Some("19"));
        assert_eq!(many.get("k20"), None);
        let repeated = "a=1&".repeat(QUERY_PAIRS) + "b=2&b=3&&c";
        let repeated = Query::parse(&repeated);
        assert_eq!(repeated.get("a").as_deref(), Some("1"));
        assert_eq!(repeated.get("b").as_deref(), Some("2"));
        assert_eq!(repeated.get("c").as_deref(), Some(""));
        assert!(matches!(q.require("x"), Err(PushError::MissingParam("x"))));
        assert!(matches!(
            q.require("nope"),
            Err(PushError::MissingParam("nope"))
        ));
    }

    #[test]
    fn sniffs_json_after_whitespace() {
        assert_eq!(sniff(b" \n{\"a\":1}"), Format::Json);
        assert_eq!(sniff(b"<xml/>"), Format::Xml);
        assert_eq!(sniff(b""), Format::Xml);
    }
}
