//! Issued tokens: who they belong to, which product family they are for, when they expire,
//! whether a later one revoked them.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use rand::Rng;
use rand::distr::Alphanumeric;

use super::routes::TokenKind;

/// How long a token replaced by a classic `/cgi-bin/token` call stays valid (WeChat: 5 min).
const OVERLAP: Duration = Duration::from_secs(300);

/// The products a token is good for: an app token (`token`, `stable_token`) on Official
/// Account and Mini Program APIs, a WeCom token (`gettoken`) on WeCom's, a component token on
/// the Open Platform's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Official Accounts and Mini Programs.
    App,
    /// WeCom (the `qyapi` host).
    WeCom,
    /// Open Platform component APIs.
    Component,
}

impl Family {
    /// The family of the tokens a token endpoint issues.
    pub fn of(kind: TokenKind) -> Family {
        match kind {
            TokenKind::Classic | TokenKind::Stable => Family::App,
            TokenKind::WeCom => Family::WeCom,
            TokenKind::Component => Family::Component,
        }
    }
}

/// Why a presented token is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Never issued, revoked, or issued for another product: 40001 (WeCom: 40014).
    Invalid,
    /// Issued but expired: 42001.
    Expired,
}

impl Refusal {
    /// The errcode and message WeChat answers.
    pub fn code_and_message(self) -> (i64, &'static str) {
        match self {
            Refusal::Invalid => (
                40001,
                "invalid credential, access_token is invalid or not latest",
            ),
            Refusal::Expired => (42001, "access_token expired"),
        }
    }
}

/// Why credentials are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadAccount {
    /// The AppID is not one of the configured accounts: 40013.
    UnknownApp,
    /// The secret does not match: 40125 (40001 on the classic and WeCom token endpoints).
    WrongSecret,
}

/// One issued token.
#[derive(Clone, Debug)]
struct Issued {
    kind: TokenKind,
    account: String,
    expires_at: Instant,
    revoked: bool,
}

/// The token registry.
#[derive(Debug)]
pub struct Tokens {
    ttl: Duration,
    apps: BTreeMap<String, String>,
    issued: HashMap<String, Issued>,
    /// The current token of each (kind, account).
    current: HashMap<(u8, String), String>,
}

/// A token handed out, and its lifetime left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The token.
    pub token: String,
    /// Seconds until it expires (at least 1).
    pub expires_in: u64,
}

impl Tokens {
    /// A registry issuing tokens valid `ttl`, for the accounts in `apps` (any when empty).
    pub fn new(ttl: Duration, apps: BTreeMap<String, String>) -> Self {
        Tokens {
            ttl,
            apps,
            issued: HashMap::new(),
            current: HashMap::new(),
        }
    }

    /// Checks an account's credentials against the configured accounts.
    pub fn check_account(&self, id: &str, secret: &str) -> Result<(), BadAccount> {
        if self.apps.is_empty() {
            return Ok(());
        }
        match self.apps.get(id) {
            None => Err(BadAccount::UnknownApp),
            Some(s) if s != secret => Err(BadAccount::WrongSecret),
            Some(_) => Ok(()),
        }
    }

    /// Issues a token of `kind` for `account` (for WeCom, `corpid/corpsecret`).
    ///
    /// Stable, WeCom and component tokens are reused while more than a twelfth of the lifetime
    /// is left (WeChat renews 5 minutes before the 2 hours); `force` revokes the current one and
    /// issues a new one. A classic call always issues a new token and leaves the previous one
    /// valid for at most 5 more minutes.
    pub fn issue(&mut self, kind: TokenKind, account: &str, force: bool) -> Grant {
        let now = Instant::now();
        let key = (kind as u8, account.to_owned());
        if let Some(previous) = self.current.get(&key).cloned() {
            if let Some(old) = self.issued.get_mut(&previous) {
                let left = old.expires_at.saturating_duration_since(now);
                let reusable = kind != TokenKind::Classic && !force && !old.revoked;
                if reusable && left > self.ttl / 12 {
                    return Grant {
                        token: previous,
                        expires_in: secs(left),
                    };
                }
                if force {
                    old.revoked = true;
                } else if kind == TokenKind::Classic {
                    old.expires_at = old.expires_at.min(now + OVERLAP);
                }
            }
        }
        let token = fresh_token();
        self.register(kind, account, &token, self.ttl);
        Grant {
            token,
            expires_in: secs(self.ttl),
        }
    }

    /// Records `token` as the current one of (`kind`, `account`) for `ttl` (a forced example's
    /// token, so the calls that follow may use it).
    pub fn register(&mut self, kind: TokenKind, account: &str, token: &str, ttl: Duration) {
        self.issued.insert(
            token.to_owned(),
            Issued {
                kind,
                account: account.to_owned(),
                expires_at: Instant::now() + ttl,
                revoked: false,
            },
        );
        self.current
            .insert((kind as u8, account.to_owned()), token.to_owned());
    }

    /// Checks a token presented on an endpoint of `family`: a token issued for another
    /// product is as invalid as one never issued.
    pub fn check(&self, token: &str, family: Family) -> Result<&str, Refusal> {
        let issued = self.issued.get(token).ok_or(Refusal::Invalid)?;
        if issued.revoked || Family::of(issued.kind) != family {
            return Err(Refusal::Invalid);
        }
        if Instant::now() >= issued.expires_at {
            return Err(Refusal::Expired);
        }
        Ok(&issued.account)
    }

    /// Expires every token now.
    pub fn expire_all(&mut self) {
        let now = Instant::now();
        for issued in self.issued.values_mut() {
            issued.expires_at = issued.expires_at.min(now);
        }
    }
}

/// Whole seconds, rounded up, at least 1.
fn secs(d: Duration) -> u64 {
    (d.as_millis().div_ceil(1000) as u64).max(1)
}

/// A new random token, shaped like WeChat's (long, `[A-Za-z0-9_]`).
fn fresh_token() -> String {
    let body: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(96)
        .map(char::from)
        .collect();
    format!("SBX_{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens::new(Duration::from_secs(7200), BTreeMap::new())
    }

    #[test]
    fn stable_tokens_are_reused_and_force_refresh_revokes() {
        let mut t = tokens();
        let a = t.issue(TokenKind::Stable, "wx1", false);
        let b = t.issue(TokenKind::Stable, "wx1", false);
        assert_eq!(a.token, b.token);
        assert!(t.check(&a.token, Family::App).is_ok());
        let c = t.issue(TokenKind::Stable, "wx1", true);
        assert_ne!(a.token, c.token);
        assert_eq!(t.check(&a.token, Family::App), Err(Refusal::Invalid));
        assert!(t.check(&c.token, Family::App).is_ok());
    }

    #[test]
    fn classic_tokens_are_new_each_time_and_the_old_stays_valid() {
        let mut t = tokens();
        let a = t.issue(TokenKind::Classic, "wx1", false);
        let b = t.issue(TokenKind::Classic, "wx1", false);
        assert_ne!(a.token, b.token);
        assert!(t.check(&a.token, Family::App).is_ok());
    }

    #[test]
    fn unknown_expired_and_component_tokens() {
        let mut t = tokens();
        assert_eq!(t.check("nope", Family::App), Err(Refusal::Invalid));
        let a = t.issue(TokenKind::Stable, "wx1", false);
        let c = t.issue(TokenKind::Component, "wxc", false);
        assert_eq!(t.check(&c.token, Family::App), Err(Refusal::Invalid));
        assert!(t.check(&c.token, Family::Component).is_ok());
        t.expire_all();
        assert_eq!(t.check(&a.token, Family::App), Err(Refusal::Expired));
    }

    #[test]
    fn tokens_are_bound_to_their_product() {
        let mut t = tokens();
        let wecom = t.issue(TokenKind::WeCom, "ww1\ns", false);
        assert_eq!(t.check(&wecom.token, Family::App), Err(Refusal::Invalid));
        assert!(t.check(&wecom.token, Family::WeCom).is_ok());
        let app = t.issue(TokenKind::Stable, "wx1", false);
        assert_eq!(t.check(&app.token, Family::WeCom), Err(Refusal::Invalid));
        assert_eq!(
            t.check(&app.token, Family::Component),
            Err(Refusal::Invalid)
        );
    }

    #[test]
    fn configured_accounts_are_enforced() {
        let apps = BTreeMap::from([("wx1".to_owned(), "s1".to_owned())]);
        let t = Tokens::new(Duration::from_secs(60), apps);
        assert_eq!(t.check_account("wx1", "s1"), Ok(()));
        assert_eq!(t.check_account("wx1", "s2"), Err(BadAccount::WrongSecret));
        assert_eq!(t.check_account("wx2", "s1"), Err(BadAccount::UnknownApp));
    }
}
