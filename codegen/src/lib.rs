//! `weixin-codegen`: turns the weixin TOML spec (`spec/`) into Rust.
//!
//! Three stages: [`load`] parses every TOML file keeping byte spans, [`lower`] checks the spec
//! and builds the [`Ir`] (returning *all* problems as [`Diagnostics`]), and [`render`] emits the
//! files with `quote` + `prettyplease`. Rendering cannot fail. [`generate`] runs all three and
//! writes the files; the `weixin` crate's `build.rs` calls it.

mod diag;
mod emit;
pub mod ir;
mod load;
mod lower;
pub mod names;
mod reader;

use std::collections::BTreeMap;
use std::path::Path;

use crate::ir::ClientKind;

pub use diag::{Diagnostic, Diagnostics};
pub use ir::Ir;
pub use load::{Spec, load};
pub use lower::lower;

/// Rendering options. The default renders the `weixin` crate itself; use
/// [`Options::for_user_crate`] to generate a spec of your own into your crate.
#[derive(Clone, Debug)]
pub struct Options {
    /// Path of the runtime crate in generated code, e.g. `::weixin_runtime`.
    pub runtime_path: String,
    /// Emit the `__examples` module and the test-only serde impls (request `Deserialize`,
    /// response `Serialize`), all behind the `__examples` feature. Off for a crate without it.
    pub examples: bool,
    /// Gate each group module behind its `<product>-<group>` cargo feature.
    pub features: bool,
    /// Emit each product's `Client` type with one accessor per group.
    pub clients: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            runtime_path: "::weixin_runtime".into(),
            examples: true,
            features: true,
            clients: true,
        }
    }
}

impl Options {
    /// Options for generating into a user's own crate, with the runtime at `runtime_path`
    /// (`"::weixin::runtime"` when the crate depends on `weixin`): no `__examples`, no cargo
    /// features, no product clients. Group APIs are built with `Api::new(&client)` over any
    /// client that dereferences to the runtime client, such as `weixin::offiaccount::Client`.
    pub fn for_user_crate(runtime_path: &str) -> Options {
        Options {
            runtime_path: runtime_path.into(),
            examples: false,
            features: false,
            clients: false,
        }
    }
}

/// One generated file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputFile {
    /// Path relative to the output directory, e.g. `offiaccount/user.rs`.
    pub path: String,
    /// The file's contents.
    pub contents: String,
}

/// Renders the IR to files: `weixin.rs` (the root, to `include!`), `errcode.rs`, `push.rs` (when
/// the spec has `push/`), and per product `<product>/mod.rs`, `<product>/types.rs` and
/// `<product>/<group>.rs`. Sorted by path.
pub fn render(ir: &Ir, opts: &Options) -> Vec<OutputFile> {
    emit::render(ir, opts)
}

/// Loads, checks and renders the spec in `spec_dir`, writing the files under `out_dir`. Files
/// whose contents are unchanged are not rewritten.
pub fn generate(spec_dir: &Path, out_dir: &Path, opts: &Options) -> Result<(), Diagnostics> {
    let ir = lower(load(spec_dir)?)?;
    for file in render(&ir, opts) {
        let path = out_dir.join(&file.path);
        let io_err = |e: std::io::Error| {
            let mut d = Diagnostics::new();
            d.push(Diagnostic::file(
                path.display().to_string(),
                format!("cannot write generated file: {e}"),
                None,
            ));
            d
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io_err)?;
        }
        if std::fs::read_to_string(&path).ok().as_deref() != Some(file.contents.as_str()) {
            std::fs::write(&path, &file.contents).map_err(io_err)?;
        }
    }
    Ok(())
}

/// The `[features]` table the `weixin` crate must declare: one feature per group
/// (`<product>-<group>`; a Pay group also enables `weixin-runtime/pay`), one per product (all
/// its groups), `push` when the spec has `push/`,
/// `full` (every product, and `push`) and `__examples` (the example runner used by the tests).
pub fn features(ir: &Ir) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let mut full = Vec::new();
    for p in &ir.products {
        // A Pay client needs the runtime's Pay support (signing, verification).
        let runtime: Vec<String> = match p.client {
            ClientKind::Pay => vec!["weixin-runtime/pay".into()],
            _ => Vec::new(),
        };
        let groups: Vec<String> = p.groups.iter().map(|g| g.feature.clone()).collect();
        for g in &groups {
            out.insert(g.clone(), runtime.clone());
        }
        full.push(p.name.replace('_', "-"));
        out.insert(
            p.name.replace('_', "-"),
            runtime.iter().cloned().chain(groups).collect(),
        );
    }
    if ir.push().is_some() {
        out.insert("push".into(), Vec::new());
        full.push("push".into());
    }
    out.insert("full".into(), full);
    out.insert(
        "__examples".into(),
        vec!["weixin-runtime/__examples".into()],
    );
    out
}

/// Joins rendered files into one text (`// ---- path ----` before each), for snapshots.
pub fn concat_for_snapshot(files: &[OutputFile]) -> String {
    let mut out = String::new();
    for f in files {
        out.push_str(&format!("// ---- {} ----\n{}\n", f.path, f.contents));
    }
    out
}
