//! Generates the API surface from `spec/` into `OUT_DIR` (see `src/lib.rs`).
//!
//! A broken spec fails the build with the same `file:line:col` diagnostics as
//! `cargo run -p weixin-codegen -- check spec`. `WEIXIN_SPEC_DIR` points it at another spec tree.

use std::env;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    let spec_dir = env::var_os("WEIXIN_SPEC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir.join("../spec"));

    println!("cargo::rerun-if-env-changed=WEIXIN_SPEC_DIR");
    println!("cargo::rerun-if-changed={}", spec_dir.display());

    match weixin_codegen::generate(&spec_dir, &out_dir, &weixin_codegen::Options::default()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(diagnostics) => {
            eprintln!("{}", diagnostics.under(&spec_dir).render_plain());
            eprintln!("error: the spec in {} is invalid", spec_dir.display());
            ExitCode::FAILURE
        }
    }
}
