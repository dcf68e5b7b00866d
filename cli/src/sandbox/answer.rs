//! Choosing and rendering the example an endpoint answers with.
//!
//! The example whose request matches exactly (query, JSON body, text parts and file metadata)
//! wins, in spec order; otherwise, when the request names a `media_id` neither stored nor in
//! any example, the endpoint's 40007 example (if it has one); otherwise the first success
//! example (one whose path values are the request's first, for WeChat Pay's `{name}` paths),
//! with request values echoed into same-named top-level response fields (the `openid` asked
//! for comes back).

use serde_json::{Map, Value};
use weixin_codegen::ir::{Auth, Endpoint, Example};

use super::images;
use super::incoming::{BodyIn, Incoming};
use super::media::Media;
use super::wire::Answer;

/// errcode 40007: invalid media_id.
const INVALID_MEDIA_ID: i64 = 40007;

/// Request fields that name stored media.
pub const MEDIA_FIELDS: [&str; 2] = ["media_id", "thumb_media_id"];

/// The example chosen for a request, and whether it matched the request exactly.
#[derive(Debug)]
pub struct Choice<'a> {
    /// The example.
    pub example: &'a Example,
    /// Whether its request equals this request (else it is a fallback).
    pub exact: bool,
}

/// The example called `name`.
pub fn named<'a>(endpoint: &'a Endpoint, name: &str) -> Option<&'a Example> {
    endpoint.examples.iter().find(|x| x.name == name)
}

/// Chooses the example for `req`; `None` if the endpoint has none.
pub fn choose<'a>(endpoint: &'a Endpoint, req: &Incoming, media: &Media) -> Option<Choice<'a>> {
    if let Some(example) = endpoint.examples.iter().find(|x| matches(endpoint, x, req)) {
        return Some(Choice {
            example,
            exact: true,
        });
    }
    if names_unknown_media(endpoint, req, media) {
        if let Some(example) = endpoint
            .examples
            .iter()
            .find(|x| x.error == Some(INVALID_MEDIA_ID))
        {
            return Some(Choice {
                example,
                exact: true,
            });
        }
    }
    let same_path = |x: &&Example| path_matches(x, req);
    let success = |x: &&Example| !x.is_error();
    let example = endpoint
        .examples
        .iter()
        .filter(same_path)
        .find(success)
        .or_else(|| endpoint.examples.iter().find(same_path))
        .or_else(|| endpoint.examples.iter().find(success))
        .or_else(|| endpoint.examples.first())?;
    Some(Choice {
        example,
        exact: false,
    })
}

/// The media ids a request names (query or JSON body).
pub fn media_ids(req: &Incoming) -> Vec<String> {
    let mut ids: Vec<String> = req
        .query
        .iter()
        .filter(|(k, _)| MEDIA_FIELDS.contains(&k.as_str()))
        .map(|(_, v)| v.clone())
        .collect();
    if let Some(Value::Object(body)) = req.json() {
        for name in MEDIA_FIELDS {
            if let Some(Value::String(id)) = body.get(name) {
                ids.push(id.clone());
            }
        }
    }
    ids
}

/// Whether `req` names a media id that is neither stored nor used by any example.
fn names_unknown_media(endpoint: &Endpoint, req: &Incoming, media: &Media) -> bool {
    media_ids(req).iter().any(|id| {
        media.get(id).is_none()
            && !endpoint.examples.iter().any(|x| {
                MEDIA_FIELDS.iter().any(|f| {
                    x.query.get(f).and_then(Value::as_str) == Some(id)
                        || x.request
                            .as_ref()
                            .and_then(|r| r.get(f))
                            .and_then(Value::as_str)
                            == Some(id)
                })
            })
    })
}

/// Whether `example`'s path values are `req`'s (always, for a path without `{name}`).
fn path_matches(example: &Example, req: &Incoming) -> bool {
    example
        .path
        .as_object()
        .into_iter()
        .flatten()
        .all(|(name, want)| req.path_param(name) == Some(as_text(want).as_str()))
}

/// Whether `example`'s request is exactly `req`'s.
fn matches(endpoint: &Endpoint, example: &Example, req: &Incoming) -> bool {
    if !path_matches(example, req) {
        return false;
    }
    let auth: Vec<&str> = match &endpoint.auth {
        Auth::AccessToken => vec!["access_token"],
        Auth::TokenParam(name) => vec![name.as_str()],
        Auth::None => Vec::new(),
        Auth::Credentials(pairs) => pairs.iter().map(|(name, _)| name.as_str()).collect(),
    };
    let sent: Map<String, Value> = req
        .query
        .iter()
        .filter(|(k, _)| !auth.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let wanted: Map<String, Value> = example
        .query
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), Value::String(as_text(v))))
        .collect();
    if sent != wanted {
        return false;
    }
    match &req.body {
        BodyIn::Multipart(form) => {
            let texts_match = example
                .request
                .as_ref()
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .all(|(name, want)| {
                    form.texts.iter().any(|(n, got)| {
                        n == name
                            && (*got == as_text(want)
                                || serde_json::from_str::<Value>(got).ok().as_ref() == Some(want))
                    })
                });
            let files_match =
                example
                    .files
                    .as_object()
                    .into_iter()
                    .flatten()
                    .all(|(name, meta)| {
                        form.files.iter().any(|f| {
                            f.name == *name
                                && meta["file_name"].as_str() == Some(f.file_name.as_str())
                                && meta["content_type"].as_str() == Some(f.content_type.as_str())
                                && meta["size"].as_u64() == Some(f.bytes.len() as u64)
                        })
                    });
            texts_match && files_match
        }
        _ => match &example.request {
            Some(want) => {
                let mut got = req.json();
                if let Some(Value::Object(body)) = &mut got {
                    for (name, _) in &endpoint.body_credentials {
                        if want.get(name).is_none() {
                            body.remove(name);
                        }
                    }
                }
                got.as_ref() == Some(want)
            }
            None => true,
        },
    }
}

/// A query value as text (`1`, `true`, `"x"` → `x`).
fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Renders `example`: its response text exactly, or for a binary success a real image (or
/// filler) of its size and content type. `seed` varies generated images.
pub fn render(example: &Example, seed: u64) -> Answer {
    if let Some(binary) = &example.binary {
        let size = usize::try_from(binary.size)
            .unwrap_or(usize::MAX)
            .min(64 << 20);
        let body = images::body_for(&binary.content_type, size, seed);
        let file_name = format!("{}.{}", example.name, extension(&binary.content_type));
        return Answer::bytes(&binary.content_type, body, Some(&file_name));
    }
    let status = example.http_status();
    if status == 204 {
        return Answer::no_content(204);
    }
    let mut answer = match &example.response {
        Some(text) => Answer::json_text(text),
        None => Answer::json_text(r#"{"errcode":0,"errmsg":"ok"}"#),
    };
    answer.status = status;
    if let Some(code) = &example.error_code {
        answer.errcode = None;
        answer.code = Some(code.clone());
    }
    answer
}

/// A file extension for a content type.
fn extension(content_type: &str) -> &'static str {
    match content_type {
        "image/png" => "png",
        "image/jpeg" | "image/jpg" => "jpg",
        "image/gif" => "gif",
        "audio/mpeg" => "mp3",
        "audio/amr" => "amr",
        "voice/speex" => "speex",
        "video/mp4" => "mp4",
        _ => "bin",
    }
}

/// Echoes scalar request values (query, JSON body) into same-named top-level fields of a
/// JSON success answer (path values too). Returns `None` when nothing changed (the text stays
/// verbatim).
pub fn echo_request(text: &str, req: &Incoming) -> Option<String> {
    let Ok(Value::Object(mut response)) = serde_json::from_str::<Value>(text) else {
        return None;
    };
    let mut inputs: Vec<(String, Value)> = req
        .query
        .iter()
        .filter(|(k, _)| k != "access_token")
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    inputs.extend(
        req.path_params
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone()))),
    );
    if let Some(Value::Object(body)) = req.json() {
        inputs.extend(body);
    }
    let mut changed = false;
    for (key, value) in inputs {
        let Some(slot) = response.get_mut(&key) else {
            continue;
        };
        let same_kind = matches!(
            (&*slot, &value),
            (Value::String(_), Value::String(_)) | (Value::Number(_), Value::Number(_))
        );
        if same_kind && *slot != value {
            *slot = value;
            changed = true;
        }
    }
    changed.then(|| Value::Object(response).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_replaces_same_named_scalars_only() {
        let req = Incoming {
            query: vec![
                ("openid".into(), "o_me".into()),
                ("lang".into(), "en".into()),
            ],
            ..Incoming::default()
        };
        let out = echo_request(r#"{"openid":"o_x","subscribe":1}"#, &req).unwrap();
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["openid"], "o_me");
        assert_eq!(v["subscribe"], 1);
        assert_eq!(echo_request(r#"{"other":"x"}"#, &req), None);
    }
}
