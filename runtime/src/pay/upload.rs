//! Signed uploads (`/v3/merchant/media/upload` and friends): WeChat Pay signs a multipart
//! request over its `meta` part, `{"filename":…,"sha256":…}`, not over the whole body.

use sha2::{Digest, Sha256};

use crate::endpoint::Part;
use crate::error::{EncodeError, Error};
use crate::upload::Upload;

/// A multipart upload as WeChat Pay wants it: the `meta` JSON (also the signed body) and the file.
pub(crate) struct SignedUpload<'a> {
    /// `{"filename":"…","sha256":"<hex>"}`, exactly the bytes sent and signed.
    pub meta: String,
    /// The form field name of the file (`file`).
    pub name: &'static str,
    /// The file.
    pub upload: &'a Upload,
}

impl<'a> SignedUpload<'a> {
    /// Builds the upload of a multipart body holding exactly one file part and no text part.
    pub fn of(endpoint: &'static str, parts: &'a [Part]) -> Result<Self, Error> {
        let mut files = parts.iter().map(|part| match part {
            Part::File { name, upload } => Ok((*name, upload)),
            Part::Text { name, .. } => Err(EncodeError::Multipart {
                endpoint,
                reason: format!(
                    "WeChat Pay uploads carry one file and no text part, found `{name}`"
                ),
            }),
        });
        let (name, upload) = match (files.next(), files.next()) {
            (Some(first), None) => first?,
            _ => {
                return Err(EncodeError::Multipart {
                    endpoint,
                    reason: "WeChat Pay uploads carry exactly one file".into(),
                }
                .into());
            }
        };
        let meta = serde_json::json!({
            "filename": upload.file_name(),
            "sha256": hex::encode(Sha256::digest(upload.bytes())),
        });
        Ok(SignedUpload {
            meta: meta.to_string(),
            name,
            upload,
        })
    }

    /// The form: `meta` (application/json) then the file. Built again for every attempt.
    pub fn form(&self) -> Result<reqwest::multipart::Form, Error> {
        let meta = reqwest::multipart::Part::text(self.meta.clone())
            .mime_str("application/json")
            .map_err(|_| EncodeError::ContentType {
                field: "meta",
                content_type: "application/json".into(),
            })?;
        Ok(reqwest::multipart::Form::new().part("meta", meta).part(
            self.name,
            crate::transport::file_part(self.name, self.upload)?,
        ))
    }
}
