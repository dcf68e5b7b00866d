//! `weixin-codegen check <spec_dir>` and `weixin-codegen render <spec_dir> <product>/<group>`.

use std::path::Path;
use std::process::ExitCode;

use weixin_codegen::{Options, load, lower, render};

const USAGE: &str = "usage:\n  weixin-codegen check <spec_dir>\n  weixin-codegen render <spec_dir> <product>/<group>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["check", dir] => check(Path::new(dir)),
        ["render", dir, module] => render_module(Path::new(dir), module),
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn check(dir: &Path) -> ExitCode {
    match load(dir).and_then(lower) {
        Ok(ir) => {
            let modules: usize = ir.products.iter().map(|p| p.groups.len()).sum();
            let push = ir.push().map_or(String::new(), |p| {
                format!(
                    "; {} pushes, {} replies, {} push types",
                    p.messages.len(),
                    p.replies.len(),
                    p.types.len()
                )
            });
            println!(
                "spec ok: {} endpoints in {modules} modules{push}",
                ir.endpoints().count()
            );
            ExitCode::SUCCESS
        }
        Err(d) => {
            eprint!("{}", d.under(dir).render_plain());
            ExitCode::FAILURE
        }
    }
}

fn render_module(dir: &Path, module: &str) -> ExitCode {
    let ir = match load(dir).and_then(lower) {
        Ok(ir) => ir,
        Err(d) => {
            eprint!("{}", d.under(dir).render_plain());
            return ExitCode::FAILURE;
        }
    };
    let Some((product, group)) = module.split_once('/') else {
        eprintln!("expected <product>/<group>, e.g. offiaccount/user\n{USAGE}");
        return ExitCode::from(2);
    };
    let Some(g) = ir
        .products
        .iter()
        .filter(|p| p.name == product)
        .flat_map(|p| &p.groups)
        .find(|g| g.name == group)
    else {
        eprintln!("no module `{module}` in the spec");
        return ExitCode::FAILURE;
    };
    let path = format!("{product}/{}.rs", g.module);
    match render(&ir, &Options::default())
        .into_iter()
        .find(|f| f.path == path)
    {
        Some(f) => {
            print!("{}", f.contents);
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("module `{module}` produced no file");
            ExitCode::FAILURE
        }
    }
}
