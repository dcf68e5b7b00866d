//! One `[[reply]]`: its variant, MsgType, wrapping, fields and examples.

use std::collections::BTreeMap;

use super::examples::{self, Owner, TypeFields};
use super::fields::{self, Site};
use crate::diag::Loc;
use crate::ir::push::{PushTy, Reply};
use crate::lower::Cx;
use crate::names;
use crate::reader::Tbl;

const KEYS: &[&str] = &[
    "rust", "msg_type", "summary", "docs", "doc_url", "wrap", "fields", "example",
];

/// A lowered reply with the place later checks point at.
pub(super) struct Lowered {
    pub ir: Reply,
    pub rust_loc: Loc,
}

/// Reads one `[[reply]]` table of `source`.
pub(super) fn read(
    cx: &mut Cx<'_>,
    source: &str,
    t: &Tbl<'_>,
    declared: &BTreeMap<String, Loc>,
    types: &TypeFields,
) -> Option<Lowered> {
    t.check_keys(&mut cx.sink, KEYS, "a [[reply]]");
    let rust = super::variant_name(cx, t, "a [[reply]]", "Success")?;
    let what = format!("reply `{}`", rust.v);
    let msg_type = t.req_str(&mut cx.sink, "msg_type", &what);
    let summary = t
        .req_str(&mut cx.sink, "summary", &what)
        .map(|s| s.v)
        .unwrap_or_default();
    let docs = t.str(&mut cx.sink, "docs").map(|s| s.v).unwrap_or_default();
    let doc_url = t.str(&mut cx.sink, "doc_url").map(|s| s.v);
    let wrap = t.str(&mut cx.sink, "wrap");
    if let Some(w) = &wrap {
        if !super::is_element_name(&w.v) {
            cx.sink.error_help(
                &w.loc,
                format!("`{}` is not an element name", w.v),
                "use letters, digits and `_`",
            );
        }
    }
    let table = t.table(&mut cx.sink, "fields");
    let lowered = fields::read_all(cx, declared, table, Site::Reply);
    for f in &lowered {
        if super::HEADER_FIELDS.contains(&f.field.wire.as_str()) {
            cx.sink.error_help(
                &f.loc,
                format!(
                    "`{}` is a header field and cannot be declared",
                    f.field.wire
                ),
                "`render_reply` writes the header from the push it answers",
            );
        }
    }
    let fields: Vec<_> = lowered.into_iter().map(|f| f.field).collect();
    let struct_name = format!("{}Reply", rust.v);
    // A constructor takes the required strings; a reply with a list (articles) is built as a
    // struct instead, so `Reply::news()` cannot silently send nothing.
    let constructor = fields
        .iter()
        .filter(|f| f.count_of.is_none())
        .all(|f| !f.is_list() && (!f.required || f.ty == PushTy::String))
        .then(|| names::snake(&rust.v).ok())
        .flatten();
    let owner = Owner {
        struct_name: &struct_name,
        fields: &fields,
        types,
    };
    let examples = examples::replies(cx, t, &owner);
    let msg_type = msg_type?;
    Some(Lowered {
        ir: Reply {
            source: source.to_owned(),
            rust: rust.v,
            struct_name,
            constructor,
            msg_type: msg_type.v,
            summary,
            docs,
            doc_url,
            wrap: wrap.map(|w| w.v),
            fields,
            examples,
        },
        rust_loc: rust.loc,
    })
}
