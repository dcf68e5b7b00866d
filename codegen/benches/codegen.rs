//! Codegen time for the whole spec, stage by stage.
//!
//! `cargo bench -p weixin-codegen --bench codegen`. Benches `load` (read and parse every TOML
//! file), `lower` (check the spec and build the IR), `render` (emit every module with the options
//! `generated/build.rs` uses) and `load_lower_render` (all three, as the build script runs them,
//! minus writing the files). The spec is `../spec`, or `WEIXIN_SPEC_DIR` as in the build script.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use criterion::{BatchSize, Criterion};
use weixin_codegen::{Diagnostics, Ir, Options, Spec, load, lower, render};

/// The spec directory the `weixin` build script would read.
fn spec_dir() -> PathBuf {
    std::env::var_os("WEIXIN_SPEC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec"))
}

/// Loads the spec, describing every problem under `dir` on failure.
fn load_spec(dir: &Path) -> Result<Spec, String> {
    load(dir).map_err(|d| describe(d, dir))
}

/// Loads and lowers the spec, describing every problem under `dir` on failure.
fn lower_spec(dir: &Path) -> Result<Ir, String> {
    load_spec(dir).and_then(|spec| lower(spec).map_err(|d| describe(d, dir)))
}

fn describe(diagnostics: Diagnostics, dir: &Path) -> String {
    format!(
        "{}\nerror: the spec in {} is invalid",
        diagnostics.under(dir).render_plain(),
        dir.display()
    )
}

/// Prints the size of the spec once: what every timing below is for.
fn print_size(ir: &Ir, opts: &Options) {
    let files = render(ir, opts);
    let groups: usize = ir.products.iter().map(|p| p.groups.len()).sum();
    let bytes: usize = files.iter().map(|f| f.contents.len()).sum();
    eprintln!(
        "spec: {} endpoints in {} groups of {} products; rendered {} modules (files), {:.1} KiB",
        ir.endpoints().count(),
        groups,
        ir.products.len(),
        files.len(),
        bytes as f64 / 1024.0,
    );
}

fn benches(c: &mut Criterion, dir: &Path) -> Result<(), String> {
    // The options `generated/build.rs` passes: runtime at `::weixin_runtime`, feature gates,
    // product clients and the `__examples` module.
    let opts = Options::default();
    let ir = lower_spec(dir)?;
    print_size(&ir, &opts);
    // `lower` consumes its spec, so its bench reloads one per batch: a spec that stops loading
    // fails here with its diagnostics rather than inside a batch.
    load_spec(dir)?;

    let mut group = c.benchmark_group("codegen");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("load", |b| b.iter(|| load(black_box(dir))));
    group.bench_function("lower", |b| {
        b.iter_batched(
            || load(dir).expect("the spec loaded a moment ago"),
            lower,
            BatchSize::LargeInput,
        )
    });
    group.bench_function("render", |b| {
        b.iter(|| render(black_box(&ir), black_box(&opts)))
    });
    group.bench_function("load_lower_render", |b| {
        b.iter(|| {
            load(black_box(dir))
                .and_then(lower)
                .map(|ir| render(&ir, &opts))
        })
    });
    group.finish();
    Ok(())
}

fn main() -> ExitCode {
    let dir = spec_dir();
    let mut c = Criterion::default().configure_from_args();
    match benches(&mut c, &dir) {
        Ok(()) => {
            c.final_summary();
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
