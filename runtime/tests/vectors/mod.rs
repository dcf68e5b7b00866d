//! The published test vectors of `tests/data/*_vectors.toml`, read by kind (shared by the
//! crypto tests; a folder, so cargo does not treat it as a test of its own).

/// One table of a vector file.
pub struct Vector {
    pub name: String,
    pub table: toml::Table,
}

impl Vector {
    /// A string field; a missing one fails the test, naming the vector.
    pub fn str(&self, key: &str) -> &str {
        self.table
            .get(key)
            .and_then(toml::Value::as_str)
            .unwrap_or_else(|| panic!("vector {}: missing string `{key}`", self.name))
    }
}

/// Every vector of `kind` in `text` (the contents of `file`), asserting that there are exactly
/// `count` of them, each with a `source`, so a broken data file cannot make a test pass
/// vacuously.
pub fn of_kind(text: &str, file: &str, kind: &str, count: usize) -> Vec<Vector> {
    let parsed: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("{file} parses: {e}"));
    let found: Vec<Vector> = parsed
        .into_iter()
        .filter_map(|(name, value)| match value {
            toml::Value::Table(table)
                if table.get("kind").and_then(|k| k.as_str()) == Some(kind) =>
            {
                Some(Vector { name, table })
            }
            _ => None,
        })
        .collect();
    assert_eq!(found.len(), count, "number of `{kind}` vectors in {file}");
    for v in &found {
        assert!(
            !v.str("source").is_empty(),
            "vector {} has a source",
            v.name
        );
    }
    found
}
