//! One `[[message]]`: its variant, match, docs, fields and examples.

use std::collections::BTreeMap;

use super::examples::{self, Owner, TypeFields};
use super::fields::{self, Site};
use crate::diag::Loc;
use crate::ir::push::Message;
use crate::load::ValueKind;
use crate::lower::Cx;
use crate::reader::{Sp, Tbl};

const KEYS: &[&str] = &[
    "rust", "match", "summary", "docs", "doc_url", "products", "fields", "example",
];

/// A lowered message with the places later checks point at.
pub(super) struct Lowered {
    pub ir: Message,
    pub rust_loc: Loc,
    pub match_loc: Loc,
}

/// Reads one `[[message]]` table of `source`.
pub(super) fn read(
    cx: &mut Cx<'_>,
    source: &str,
    t: &Tbl<'_>,
    declared: &BTreeMap<String, Loc>,
    types: &TypeFields,
) -> Option<Lowered> {
    t.check_keys(&mut cx.sink, KEYS, "a [[message]]");
    let rust = super::variant_name(cx, t, "a [[message]]", "Unknown")?;
    let (matches, match_loc) = read_match(cx, t, &rust.v)?;
    let summary = t
        .req_str(&mut cx.sink, "summary", &format!("message `{}`", rust.v))
        .map(|s| s.v)
        .unwrap_or_default();
    let docs = t.str(&mut cx.sink, "docs").map(|s| s.v).unwrap_or_default();
    let doc_url = t.str(&mut cx.sink, "doc_url").map(|s| s.v);
    let products = super::string_list(cx, t, "products");
    let table = t.table(&mut cx.sink, "fields");
    let lowered = fields::read_all(cx, declared, table, Site::Message);
    for f in &lowered {
        let wire = f.field.wire.as_str();
        if super::HEADER_FIELDS.contains(&wire) {
            cx.sink.error_help(
                &f.loc,
                format!("`{wire}` is a header field and cannot be declared"),
                "every push carries it; read it from `push::Meta`",
            );
        } else if matches.iter().any(|(k, _)| k == wire) {
            cx.sink.error_help(
                &f.loc,
                format!("`{wire}` is part of this message's `match` and cannot be declared"),
                "its value is implied by the variant; remove the field",
            );
        }
    }
    let fields: Vec<_> = lowered.into_iter().map(|f| f.field).collect();
    let struct_name = format!("{}Message", rust.v);
    let owner = Owner {
        struct_name: &struct_name,
        fields: &fields,
        types,
    };
    let examples = examples::messages(cx, t, &owner);
    Some(Lowered {
        ir: Message {
            source: source.to_owned(),
            rust: rust.v,
            struct_name,
            matches,
            summary,
            docs,
            doc_url,
            products,
            fields,
            examples,
        },
        rust_loc: rust.loc,
        match_loc,
    })
}

/// `match = { MsgType = "event", Event = "subscribe" }`: (key, value) sorted by key.
fn read_match(cx: &mut Cx<'_>, t: &Tbl<'_>, rust: &str) -> Option<(Vec<(String, String)>, Loc)> {
    let Some(v) = t.get("match") else {
        cx.sink.error_help(
            &t.loc(),
            format!("message `{rust}` has no `match`"),
            "add e.g. `match = { MsgType = \"text\" }`",
        );
        return None;
    };
    let loc = t.loc_of(v);
    let m = Tbl::of(&mut cx.sink, t.file, v, "`match`")?;
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (key, value) in m.iter() {
        let ok = match &value.kind {
            ValueKind::Str(s) if !s.trim().is_empty() => {
                pairs.push((key.v.clone(), s.trim().to_owned()));
                true
            }
            _ => false,
        };
        if !ok {
            let Sp { v: k, loc: kloc } = key;
            cx.sink
                .error(&kloc, format!("`match.{k}` must be a non-empty string"));
        }
    }
    if m.entries.is_empty() {
        cx.sink.error_help(
            &loc,
            format!("message `{rust}` has an empty `match`"),
            "name the header values that select it, e.g. `{ MsgType = \"text\" }`",
        );
        return None;
    }
    pairs.sort();
    Some((pairs, loc))
}
