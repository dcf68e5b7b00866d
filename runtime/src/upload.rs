//! Files sent in multipart bodies, and the limits endpoints put on them.

use std::fmt;
use std::path::Path;

use bytes::Bytes;

use crate::error::{EncodeError, Error};

/// A file to upload: name, content type and content.
#[derive(Clone)]
pub struct Upload {
    file_name: String,
    content_type: String,
    bytes: Bytes,
}

impl Upload {
    /// A file from memory; the content type is guessed from the file name's extension.
    pub fn from_bytes(file_name: impl Into<String>, bytes: impl Into<Bytes>) -> Self {
        let file_name = file_name.into();
        let content_type = content_type_for(extension_of(&file_name)).to_owned();
        Self {
            file_name,
            content_type,
            bytes: bytes.into(),
        }
    }

    /// Reads a file from disk; its name is the path's last component.
    pub async fn from_path(path: impl AsRef<Path>) -> Result<Upload, Error> {
        let path = path.as_ref();
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|source| EncodeError::ReadFile {
                path: path.to_owned(),
                source,
            })?;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Self::from_bytes(file_name, bytes))
    }

    /// Overrides the guessed content type.
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = content_type.into();
        self
    }

    /// The file name sent in the part's `Content-Disposition`.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// The part's content type.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The size in bytes.
    pub fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The file name's extension (after the last `.`), as written.
    pub fn extension(&self) -> Option<&str> {
        extension_of(&self.file_name)
    }

    /// The content.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upload")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

fn extension_of(file_name: &str) -> Option<&str> {
    let (stem, ext) = file_name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then_some(ext)
}

/// The content type of a file extension WeChat accepts; `application/octet-stream` otherwise.
fn content_type_for(extension: Option<&str>) -> &'static str {
    let Some(ext) = extension else {
        return "application/octet-stream";
    };
    match ext.to_ascii_lowercase().as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "webp" => "image/webp",
        "mp3" => "audio/mpeg",
        "amr" => "audio/amr",
        "wma" => "audio/x-ms-wma",
        "wav" => "audio/wav",
        "speex" => "audio/speex",
        "silk" => "audio/silk",
        "mp4" => "video/mp4",
        "txt" => "text/plain",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ => "application/octet-stream",
    }
}

/// Size and extension limits of a file part, checked before anything is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileLimit {
    max_bytes: u64,
    extensions: &'static [&'static str],
}

impl FileLimit {
    /// At most `max_bytes`, with one of `extensions` (compared case-insensitively; an empty
    /// list accepts any extension).
    pub const fn new(max_bytes: u64, extensions: &'static [&'static str]) -> Self {
        Self {
            max_bytes,
            extensions,
        }
    }

    /// The size limit in bytes.
    pub const fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// The accepted extensions.
    pub const fn extensions(&self) -> &'static [&'static str] {
        self.extensions
    }

    /// Checks `upload`, sent under form field `field`: not empty, not too large, an accepted
    /// extension.
    pub fn check(&self, field: &'static str, upload: &Upload) -> Result<(), EncodeError> {
        if upload.is_empty() {
            return Err(EncodeError::EmptyFile { field });
        }
        if upload.len() > self.max_bytes {
            return Err(EncodeError::FileTooLarge {
                field,
                size: upload.len(),
                max: self.max_bytes,
            });
        }
        if self.extensions.is_empty() {
            return Ok(());
        }
        let extension = upload.extension().unwrap_or("");
        if self
            .extensions
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(extension))
        {
            Ok(())
        } else {
            Err(EncodeError::BadExtension {
                field,
                extension: extension.to_owned(),
                allowed: self.extensions,
            })
        }
    }
}

#[cfg(feature = "__examples")]
mod examples {
    use super::{Bytes, Upload};

    #[derive(serde::Deserialize)]
    struct Spec {
        file_name: String,
        #[serde(default)]
        content_type: Option<String>,
        size: usize,
    }

    impl<'de> serde::Deserialize<'de> for Upload {
        /// From `{"file_name","content_type","size"}`: `size` bytes of deterministic content.
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let spec = Spec::deserialize(deserializer)?;
            let bytes: Vec<u8> = (0..spec.size).map(|i| (i % 251) as u8).collect();
            let upload = Upload::from_bytes(spec.file_name, Bytes::from(bytes));
            Ok(match spec.content_type {
                Some(ct) => upload.with_content_type(ct),
                None => upload,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IMAGE: FileLimit = FileLimit::new(10, &["jpg", "png"]);

    #[test]
    fn content_type_from_extension() {
        assert_eq!(
            Upload::from_bytes("a.JPG", vec![1]).content_type(),
            "image/jpeg"
        );
        assert_eq!(
            Upload::from_bytes("voice.amr", vec![1]).content_type(),
            "audio/amr"
        );
        assert_eq!(
            Upload::from_bytes("noext", vec![1]).content_type(),
            "application/octet-stream"
        );
        assert_eq!(Upload::from_bytes(".hidden", vec![1]).extension(), None);
        let u = Upload::from_bytes("a.bin", vec![1]).with_content_type("x/y");
        assert_eq!(u.content_type(), "x/y");
    }

    #[test]
    fn limits() {
        assert!(
            IMAGE
                .check("media", &Upload::from_bytes("a.PNG", vec![0; 10]))
                .is_ok()
        );
        assert!(matches!(
            IMAGE.check("media", &Upload::from_bytes("a.png", vec![0; 11])),
            Err(EncodeError::FileTooLarge {
                size: 11,
                max: 10,
                ..
            })
        ));
        assert!(matches!(
            IMAGE.check("media", &Upload::from_bytes("a.gif", vec![0; 1])),
            Err(EncodeError::BadExtension { .. })
        ));
        assert!(matches!(
            IMAGE.check("media", &Upload::from_bytes("a.png", Vec::new())),
            Err(EncodeError::EmptyFile { field: "media" })
        ));
        assert!(
            FileLimit::new(5, &[])
                .check("f", &Upload::from_bytes("x", vec![1]))
                .is_ok()
        );
    }

    #[tokio::test]
    async fn from_path_reads_and_reports() {
        let dir = std::env::temp_dir().join(format!("weixin-upload-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("pic.png");
        std::fs::write(&path, b"png").expect("write");
        let u = Upload::from_path(&path).await.expect("read");
        assert_eq!(
            (u.file_name(), u.content_type(), u.len()),
            ("pic.png", "image/png", 3)
        );
        let missing = Upload::from_path(dir.join("missing.png")).await;
        assert!(matches!(
            missing,
            Err(Error::Encode(EncodeError::ReadFile { .. }))
        ));
        std::fs::remove_dir_all(&dir).ok();
    }
}
