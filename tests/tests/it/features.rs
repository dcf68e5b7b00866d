//! The `weixin` crate's `[features]` table must be exactly what the spec implies: one feature per
//! group, one per product, `full`, and the test-only `__examples`; plus the integration
//! features, which are not spec-derived (`axum`, `redis`).

use std::collections::BTreeMap;

use crate::support;

/// Features that switch on framework integrations rather than spec modules.
const INTEGRATIONS: &[&str] = &["axum", "redis"];

#[test]
fn cargo_features_match_the_spec() {
    let manifest = std::fs::read_to_string(support::spec_dir().join("../generated/Cargo.toml"))
        .expect("generated/Cargo.toml is readable");
    let manifest: toml::Table = toml::from_str(&manifest).expect("generated/Cargo.toml parses");
    let declared: BTreeMap<String, Vec<String>> = manifest["features"]
        .as_table()
        .expect("a [features] table")
        .iter()
        .filter(|(name, _)| name.as_str() != "default" && !INTEGRATIONS.contains(&name.as_str()))
        .map(|(name, value)| {
            let mut members: Vec<String> = value
                .as_array()
                .expect("a feature is a list")
                .iter()
                .map(|v| v.as_str().expect("feature members are strings").to_owned())
                .collect();
            members.sort();
            (name.clone(), members)
        })
        .collect();
    let mut expected = weixin_codegen::features(support::spec_ir());
    expected.values_mut().for_each(|members| members.sort());
    assert_eq!(
        declared, expected,
        "generated/Cargo.toml [features] must match the spec's groups; update it"
    );
}
