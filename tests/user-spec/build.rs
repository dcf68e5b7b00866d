//! Generates the API of `spec/` into `OUT_DIR`, for `src/lib.rs` to include.
//!
//! `Options::for_user_crate` emits no cargo features, no `__examples` support and no product
//! clients: the generated group APIs run on the `weixin` crate's clients and runtime.

use std::env;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    println!("cargo::rerun-if-changed=spec");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    let options = weixin_codegen::Options::for_user_crate("::weixin::runtime");
    match weixin_codegen::generate("spec".as_ref(), &out_dir, &options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(diagnostics) => {
            eprintln!("{}", diagnostics.render_plain());
            ExitCode::FAILURE
        }
    }
}
