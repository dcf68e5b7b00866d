//! What the command reads from the machine it runs on: files and environment variables, with
//! errors that name what could not be read.

use std::path::Path;

/// The text of the file at `path`.
pub fn read_text(path: impl AsRef<Path>) -> Result<String, String> {
    let path = path.as_ref();
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The TOML file at `path`, decoded.
pub fn read_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    toml::from_str(&read_text(path)?).map_err(|e| format!("{}: {e}", path.display()))
}

/// The environment variable `name`, unless it is unset or empty.
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}
