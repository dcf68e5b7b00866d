//! Typed access to parsed TOML tables, reporting wrong types, missing and unknown keys.

use crate::diag::{Loc, Sink, did_you_mean};
use crate::load::{Key, Value, ValueKind};

/// A value with the place it came from.
#[derive(Clone, Debug)]
pub(crate) struct Sp<T> {
    pub v: T,
    pub loc: Loc,
}

/// A TOML table in a given file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tbl<'a> {
    pub file: usize,
    pub entries: &'a [(Key, Value)],
    span: (usize, usize),
}

impl<'a> Tbl<'a> {
    /// The table `value`, or `None` (with an error) if it is something else.
    pub fn of(sink: &mut Sink<'_>, file: usize, value: &'a Value, what: &str) -> Option<Tbl<'a>> {
        match &value.kind {
            ValueKind::Table(entries) => Some(Tbl {
                file,
                entries,
                span: (value.span.start, value.span.end),
            }),
            other => {
                let loc = Loc {
                    file,
                    span: value.span.clone(),
                };
                sink.error(
                    &loc,
                    format!("{what} must be a table, found {}", kind_name(other)),
                );
                None
            }
        }
    }

    /// Where the table is.
    pub fn loc(&self) -> Loc {
        Loc {
            file: self.file,
            span: self.span.0..self.span.1,
        }
    }

    /// Where `v` (a value in this file) is.
    pub fn loc_of(&self, v: &Value) -> Loc {
        Loc {
            file: self.file,
            span: v.span.clone(),
        }
    }

    /// Where the key `k` (a key in this file) is.
    pub fn key_loc(&self, k: &Key) -> Loc {
        Loc {
            file: self.file,
            span: k.span.clone(),
        }
    }

    /// Reports every key not in `known`, with the closest known key as a hint.
    pub fn check_keys(&self, sink: &mut Sink<'_>, known: &[&str], what: &str) {
        for (k, _) in self.entries {
            if !known.contains(&k.name.as_str()) {
                let loc = self.key_loc(k);
                let msg = format!("unknown key `{}` in {what}", k.name);
                match did_you_mean(&k.name, known.iter().copied()) {
                    Some(h) => sink.error_help(&loc, msg, h),
                    None => sink.error_help(&loc, msg, format!("known keys: {}", known.join(", "))),
                }
            }
        }
    }

    /// The value under `key`, if present.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.entries
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    /// A string under `key`.
    pub fn str(&self, sink: &mut Sink<'_>, key: &str) -> Option<Sp<String>> {
        let v = self.get(key)?;
        match &v.kind {
            ValueKind::Str(s) => Some(Sp {
                v: s.clone(),
                loc: self.loc_of(v),
            }),
            other => {
                sink.error(
                    &self.loc_of(v),
                    format!("`{key}` must be a string, found {}", kind_name(other)),
                );
                None
            }
        }
    }

    /// A string under `key` that must be present.
    pub fn req_str(&self, sink: &mut Sink<'_>, key: &str, what: &str) -> Option<Sp<String>> {
        if self.get(key).is_none() {
            sink.error_help(
                &self.loc(),
                format!("{what} has no `{key}`"),
                format!("add `{key} = \"…\"`"),
            );
            return None;
        }
        self.str(sink, key)
    }

    /// A boolean under `key`.
    pub fn bool(&self, sink: &mut Sink<'_>, key: &str) -> Option<Sp<bool>> {
        let v = self.get(key)?;
        match &v.kind {
            ValueKind::Bool(b) => Some(Sp {
                v: *b,
                loc: self.loc_of(v),
            }),
            other => {
                sink.error(
                    &self.loc_of(v),
                    format!("`{key}` must be true or false, found {}", kind_name(other)),
                );
                None
            }
        }
    }

    /// An integer under `key`.
    pub fn int(&self, sink: &mut Sink<'_>, key: &str) -> Option<Sp<i64>> {
        let v = self.get(key)?;
        int_value(sink, self.file, v, key)
    }

    /// A sub-table under `key`.
    pub fn table(&self, sink: &mut Sink<'_>, key: &str) -> Option<Tbl<'a>> {
        let v = self.get(key)?;
        Tbl::of(sink, self.file, v, &format!("`{key}`"))
    }

    /// The entries as (key with location, value).
    pub fn iter(&self) -> impl Iterator<Item = (Sp<String>, &'a Value)> + '_ {
        self.entries.iter().map(|(k, v)| {
            (
                Sp {
                    v: k.name.clone(),
                    loc: self.key_loc(k),
                },
                v,
            )
        })
    }
}

/// An integer value that fits in an `i64`.
pub(crate) fn int_value(
    sink: &mut Sink<'_>,
    file: usize,
    v: &Value,
    what: &str,
) -> Option<Sp<i64>> {
    let loc = Loc {
        file,
        span: v.span.clone(),
    };
    match &v.kind {
        ValueKind::Int(Some(i)) if i64::try_from(*i).is_ok() => Some(Sp { v: *i as i64, loc }),
        ValueKind::Int(_) => {
            sink.error(
                &loc,
                format!("`{what}` is out of range for a 64-bit integer"),
            );
            None
        }
        other => {
            sink.error(
                &loc,
                format!("`{what}` must be an integer, found {}", kind_name(other)),
            );
            None
        }
    }
}

/// A short name of a value's kind, for messages.
pub(crate) fn kind_name(v: &ValueKind) -> &'static str {
    match v {
        ValueKind::Str(_) => "a string",
        ValueKind::Int(_) => "an integer",
        ValueKind::Float(_) => "a float",
        ValueKind::Bool(_) => "a boolean",
        ValueKind::Datetime(_) => "a date-time",
        ValueKind::Array(_) => "an array",
        ValueKind::Table(_) => "a table",
    }
}

/// The value as JSON (date-times become strings). `None` for integers out of range.
pub(crate) fn to_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match &v.kind {
        ValueKind::Str(s) => J::String(s.clone()),
        ValueKind::Int(Some(i)) => {
            if let Ok(i) = i64::try_from(*i) {
                J::from(i)
            } else if let Ok(u) = u64::try_from(*i) {
                J::from(u)
            } else {
                J::String(i.to_string())
            }
        }
        ValueKind::Int(None) => J::Null,
        ValueKind::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        ValueKind::Bool(b) => J::Bool(*b),
        ValueKind::Datetime(d) => J::String(d.clone()),
        ValueKind::Array(items) => J::Array(items.iter().map(to_json).collect()),
        ValueKind::Table(entries) => J::Object(
            entries
                .iter()
                .map(|(k, v)| (k.name.clone(), to_json(v)))
                .collect(),
        ),
    }
}
