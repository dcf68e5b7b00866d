//! Embeds the spec: loads and checks `../spec` with `weixin-codegen` and writes its IR as JSON
//! into `OUT_DIR/spec_ir.json`, which `src/spec.rs` includes. `WEIXIN_SPEC_DIR` points it at
//! another spec tree, as it does for the `weixin` crate's build.

use std::env;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    let spec_dir = env::var_os("WEIXIN_SPEC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo")).join("../spec")
        });
    println!("cargo::rerun-if-env-changed=WEIXIN_SPEC_DIR");
    println!("cargo::rerun-if-changed={}", spec_dir.display());
    let ir = match weixin_codegen::load(&spec_dir).and_then(weixin_codegen::lower) {
        Ok(ir) => ir,
        Err(diagnostics) => {
            eprintln!("{}", diagnostics.under(&spec_dir).render_plain());
            return ExitCode::FAILURE;
        }
    };
    let json = match serde_json::to_string(&ir) {
        Ok(json) => json,
        Err(e) => {
            eprintln!("cannot serialise the spec IR: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::write(out_dir.join("spec_ir.json"), json) {
        eprintln!("cannot write spec_ir.json: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
