//! The spec the binary was built with (embedded as IR JSON by `build.rs`), or another spec tree
//! loaded at run time with `--spec DIR`.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use weixin_codegen::ir::{Endpoint, Group, Ir};

/// The IR of the repository's `spec/` at build time, as JSON.
const EMBEDDED_IR: &str = include_str!(concat!(env!("OUT_DIR"), "/spec_ir.json"));

/// The embedded spec, decoded once.
pub fn embedded() -> Arc<Ir> {
    static IR: OnceLock<Arc<Ir>> = OnceLock::new();
    IR.get_or_init(|| {
        // build.rs wrote this JSON from the same `Ir` type, so it always decodes.
        Arc::new(serde_json::from_str(EMBEDDED_IR).expect("the embedded spec IR decodes"))
    })
    .clone()
}

/// Loads and checks the spec tree at `dir`; the error is every diagnostic, rendered.
pub fn load(dir: &Path) -> Result<Arc<Ir>, String> {
    let spec = weixin_codegen::load(dir).map_err(|d| d.render_plain())?;
    let ir = weixin_codegen::lower(spec).map_err(|d| d.render_plain())?;
    Ok(Arc::new(ir))
}

/// The embedded spec, or the tree at `dir` when given.
pub fn select(dir: Option<&Path>) -> Result<Arc<Ir>, String> {
    match dir {
        Some(dir) => load(dir),
        None => Ok(embedded()),
    }
}

/// The dotted name of an endpoint on the command line: `<product>.<group>.<call>`.
pub fn dotted(endpoint: &Endpoint) -> String {
    format!("{}.{}.{}", endpoint.product, endpoint.group, endpoint.call)
}

/// Finds an endpoint by its dotted name (`offiaccount.user.info`) or its spec id
/// (`get_user_info`).
pub fn find_endpoint<'a>(ir: &'a Ir, name: &str) -> Option<&'a Endpoint> {
    ir.endpoints()
        .find(|e| dotted(e) == name)
        .or_else(|| ir.endpoints().find(|e| e.id == name))
}

/// The group `group` of product `product`.
pub fn group<'a>(ir: &'a Ir, product: &str, group: &str) -> Option<&'a Group> {
    ir.product(product)?.groups.iter().find(|g| g.name == group)
}

/// The closest candidates to `wanted` among `names`, for "did you mean" hints.
pub fn suggest<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Option<String> {
    names
        .map(|n| (edit_distance(wanted, n), n))
        .filter(|(d, n)| *d <= 3.max(n.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n.to_owned())
}

/// Levenshtein distance, for suggestions.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_spec_has_endpoints_and_finds_them_both_ways() {
        let ir = embedded();
        let first = ir.endpoints().next().expect("the spec has endpoints");
        assert_eq!(
            find_endpoint(&ir, &dotted(first)).map(|e| &e.id),
            Some(&first.id)
        );
        assert_eq!(
            find_endpoint(&ir, &first.id).map(|e| &e.id),
            Some(&first.id)
        );
        assert!(find_endpoint(&ir, "no.such.endpoint").is_none());
    }

    #[test]
    fn suggestions_pick_the_nearest_name() {
        let names = ["openid", "lang", "media_id"];
        assert_eq!(
            suggest("open_id", names.into_iter()).as_deref(),
            Some("openid")
        );
        assert_eq!(suggest("zzzzzzzzzz", names.into_iter()), None);
    }
}
