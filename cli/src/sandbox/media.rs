//! Uploaded media, kept in memory under fresh ids.

use std::collections::HashMap;

use rand::Rng;
use rand::distr::Alphanumeric;

/// Largest total of stored bytes; the oldest files are dropped beyond it.
const MAX_STORED_BYTES: usize = 256 * 1024 * 1024;

/// One stored file.
#[derive(Clone, Debug)]
pub struct Stored {
    /// The bytes as uploaded.
    pub bytes: Vec<u8>,
    /// Content type of the upload (or guessed from the file name).
    pub content_type: String,
    /// File name of the upload.
    pub file_name: String,
}

/// The media store.
#[derive(Debug, Default)]
pub struct Media {
    files: HashMap<String, Stored>,
    order: Vec<String>,
    total: usize,
}

impl Media {
    /// Stores a file and returns its new media id.
    pub fn store(&mut self, file: Stored) -> String {
        let id = fresh_id();
        self.total += file.bytes.len();
        self.files.insert(id.clone(), file);
        self.order.push(id.clone());
        while self.total > MAX_STORED_BYTES && self.order.len() > 1 {
            let oldest = self.order.remove(0);
            if let Some(old) = self.files.remove(&oldest) {
                self.total -= old.bytes.len();
            }
        }
        id
    }

    /// The file stored under `id`.
    pub fn get(&self, id: &str) -> Option<&Stored> {
        self.files.get(id)
    }
}

/// A content type for a file name, when the upload gave none.
pub fn guess_content_type(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "mp3" => "audio/mpeg",
        "amr" => "audio/amr",
        "mp4" => "video/mp4",
        _ => "application/octet-stream",
    }
}

/// A media id shaped like WeChat's: 64 characters of `[A-Za-z0-9]`.
fn fresh_id() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(64)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_and_returns_bytes() {
        let mut media = Media::default();
        let id = media.store(Stored {
            bytes: vec![1, 2, 3],
            content_type: "image/png".into(),
            file_name: "a.png".into(),
        });
        assert_eq!(id.len(), 64);
        assert_eq!(media.get(&id).map(|s| s.bytes.clone()), Some(vec![1, 2, 3]));
        assert!(media.get("other").is_none());
        assert_eq!(guess_content_type("X.JPG"), "image/jpeg");
    }
}
