//! WeChat `errcode` values and what the client does about each one.

use std::fmt;

/// A WeChat `errcode`. Named constants live in the generated `weixin::errcode` module; they can
/// be used in `match` patterns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ErrCode(i64);

impl ErrCode {
    /// Wraps a raw code.
    pub const fn new(code: i64) -> Self {
        Self(code)
    }

    /// The raw code.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for ErrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<i64> for ErrCode {
    fn from(code: i64) -> Self {
        Self(code)
    }
}

/// What the client (or the caller) should do about an errcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// The access token is invalid or expired: the client drops it (if it is still the cached
    /// one) and resends the call once.
    RefreshToken,
    /// Rate limited or quota exhausted: do not retry immediately.
    RateLimited,
    /// A temporary server problem: may be retried with backoff.
    Transient,
    /// A configuration, permission, input or user-state error: never retried.
    Permanent,
}

/// One documented errcode: its name, meaning and [`Action`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrCodeInfo {
    code: i64,
    name: &'static str,
    meaning: &'static str,
    action: Action,
}

impl ErrCodeInfo {
    /// Describes one errcode.
    pub const fn new(code: i64, name: &'static str, meaning: &'static str, action: Action) -> Self {
        Self {
            code,
            name,
            meaning,
            action,
        }
    }

    /// The code.
    pub const fn code(&self) -> ErrCode {
        ErrCode(self.code)
    }

    /// The constant's name, e.g. `"INVALID_CREDENTIAL"`.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// What the code means.
    pub const fn meaning(&self) -> &'static str {
        self.meaning
    }

    /// What to do about it.
    pub const fn action(&self) -> Action {
        self.action
    }
}

/// A table of errcodes, sorted by code, that a client consults to classify API errors.
#[derive(Clone, Copy, Debug)]
pub struct ErrCodeTable {
    entries: &'static [ErrCodeInfo],
}

impl ErrCodeTable {
    /// The built-in fallback: the codes the runtime must act on even without a generated table.
    pub const MINIMAL: ErrCodeTable = ErrCodeTable::new(&[
        ErrCodeInfo::new(
            -1,
            "SYSTEM_BUSY",
            "System busy; retry later.",
            Action::Transient,
        ),
        ErrCodeInfo::new(
            40001,
            "INVALID_CREDENTIAL",
            "The access token is invalid or not the latest.",
            Action::RefreshToken,
        ),
        ErrCodeInfo::new(
            40014,
            "INVALID_ACCESS_TOKEN",
            "Invalid access token.",
            Action::RefreshToken,
        ),
        ErrCodeInfo::new(
            42001,
            "ACCESS_TOKEN_EXPIRED",
            "The access token has expired.",
            Action::RefreshToken,
        ),
        ErrCodeInfo::new(
            45009,
            "API_DAILY_QUOTA_EXCEEDED",
            "The daily call quota of this API is exhausted.",
            Action::RateLimited,
        ),
        ErrCodeInfo::new(
            45011,
            "API_MINUTE_QUOTA_EXCEEDED",
            "Calls are too frequent; retry after the minute rolls over.",
            Action::RateLimited,
        ),
    ]);

    /// Wraps entries that must be sorted by code (the generator emits them sorted). An
    /// unsorted table still works, only slower.
    pub const fn new(entries: &'static [ErrCodeInfo]) -> Self {
        Self { entries }
    }

    /// Looks a code up.
    pub fn get(&self, code: ErrCode) -> Option<&ErrCodeInfo> {
        match self.entries.binary_search_by_key(&code.0, |info| info.code) {
            Ok(index) => self.entries.get(index),
            // Tolerate a hand-written table that is not sorted.
            Err(_) => self.entries.iter().find(|info| info.code == code.0),
        }
    }

    /// Every entry, in table order.
    pub fn entries(&self) -> &'static [ErrCodeInfo] {
        self.entries
    }

    /// Looks `code` up here, then in [`ErrCodeTable::MINIMAL`].
    pub(crate) fn lookup(&self, code: ErrCode) -> Option<&ErrCodeInfo> {
        self.get(code).or_else(|| Self::MINIMAL.get(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVALID_CREDENTIAL: ErrCode = ErrCode::new(40001);

    #[test]
    fn minimal_table_is_sorted_and_classifies() {
        let codes: Vec<i64> = ErrCodeTable::MINIMAL
            .entries()
            .iter()
            .map(|e| e.code)
            .collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        assert_eq!(codes, sorted);
        let refresh = ErrCodeTable::MINIMAL
            .get(ErrCode::new(42001))
            .map(|i| i.action());
        assert_eq!(refresh, Some(Action::RefreshToken));
        assert!(ErrCodeTable::MINIMAL.get(ErrCode::new(12345)).is_none());
    }

    #[test]
    fn usable_in_patterns() {
        let name = match ErrCode::new(40001) {
            INVALID_CREDENTIAL => "invalid credential",
            ErrCode(42001) => "expired",
            _ => "other",
        };
        assert_eq!(name, "invalid credential");
        assert_eq!(ErrCode::new(-1).to_string(), "-1");
    }

    #[test]
    fn custom_table_overrides_minimal() {
        static TABLE: ErrCodeTable = ErrCodeTable::new(&[ErrCodeInfo::new(
            40001,
            "INVALID_SECRET",
            "WeCom: wrong secret.",
            Action::Permanent,
        )]);
        assert_eq!(
            TABLE.lookup(ErrCode::new(40001)).map(|i| i.action()),
            Some(Action::Permanent)
        );
        assert_eq!(
            TABLE.lookup(ErrCode::new(42001)).map(|i| i.action()),
            Some(Action::RefreshToken)
        );
    }
}
