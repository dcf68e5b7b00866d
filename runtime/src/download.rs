//! Streaming a binary endpoint's answer into a writer.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tracing::Instrument;

use crate::client::{Call, Client, call_span, finish_span};
use crate::decode::{Binary, DownloadInfo};
use crate::endpoint::{Endpoint, RequestParts, Retry};
use crate::envelope;
use crate::error::{Error, TransportError};
use crate::transport;

/// A body that may be a JSON error is buffered up to this size before deciding.
const SNIFF_LIMIT: usize = 64 * 1024;

/// A download whose first bytes were inspected and found not to be an API error.
struct Opened {
    head: Bytes,
    rest: Option<reqwest::Response>,
    content_type: Option<String>,
    file_name: Option<String>,
}

impl Client {
    /// Performs a binary `endpoint`, writing the content to `writer` as it arrives instead of
    /// holding it in memory. A JSON error answer becomes [`Error::Api`] (nothing is written),
    /// with the same token refresh as [`send`](Client::send).
    pub async fn download_to<E, W>(
        &self,
        endpoint: &E,
        writer: &mut W,
    ) -> Result<DownloadInfo, Error>
    where
        E: Endpoint<Response = Binary>,
        W: AsyncWrite + Unpin,
    {
        let mut parts = RequestParts::new();
        endpoint.encode(&mut parts)?;
        let call = Call::of::<E>();
        let span = call_span(&call);
        let started = Instant::now();
        let result = async {
            let opened = self.open_download(call, &parts).await?;
            write_all(call.endpoint, opened, writer).await
        }
        .instrument(span.clone())
        .await;
        finish_span(&span, started, result.as_ref().err());
        result
    }

    /// Sends the call (refreshing the token once if needed) and reads just enough of the body to
    /// tell content from a JSON error.
    async fn open_download(&self, call: Call<'_>, parts: &RequestParts) -> Result<Opened, Error> {
        let query: Vec<(&str, &str)> = parts
            .query_pairs()
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        let safe = call.retry == Retry::Safe;
        let mut resent = false;
        loop {
            let token = self.token_for(&call).await?;
            let mut resp = self
                .open(&call, &query, parts.body(), token.as_ref())
                .await?;
            let (content_type, file_name) = transport::content_info(&resp);
            let mut head = BytesMut::new();
            let mut complete = false;
            // Read the first chunk; keep reading while the body may be a JSON error.
            loop {
                match resp
                    .chunk()
                    .await
                    .map_err(|e| TransportError::from_reqwest(call.endpoint, safe, e))?
                {
                    Some(chunk) => head.extend_from_slice(&chunk),
                    None => {
                        complete = true;
                        break;
                    }
                }
                if !maybe_json(content_type.as_deref(), &head) || head.len() >= SNIFF_LIMIT {
                    break;
                }
            }
            if complete {
                if let Some(api) = self.check(&call, &head, content_type.as_deref()) {
                    if let Some(stale) = self.should_refresh(&api, token.as_ref(), resent) {
                        self.invalidate_token(stale).await?;
                        resent = true;
                        continue;
                    }
                    return Err(api.into());
                }
            }
            return Ok(Opened {
                head: head.freeze(),
                rest: (!complete).then_some(resp),
                content_type,
                file_name,
            });
        }
    }
}

/// Whether the start of a body could still turn out to be a JSON error.
fn maybe_json(content_type: Option<&str>, head: &[u8]) -> bool {
    envelope::looks_like_json(content_type, head) || head.trim_ascii_start().first() == Some(&b'{')
}

async fn write_all<W: AsyncWrite + Unpin>(
    endpoint: &'static str,
    opened: Opened,
    writer: &mut W,
) -> Result<DownloadInfo, Error> {
    let write_err = |e| Error::Transport(TransportError::write(endpoint, e));
    writer.write_all(&opened.head).await.map_err(write_err)?;
    let mut len = opened.head.len() as u64;
    if let Some(mut resp) = opened.rest {
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| TransportError::from_reqwest(endpoint, false, e))?
        {
            writer.write_all(&chunk).await.map_err(write_err)?;
            len += chunk.len() as u64;
        }
    }
    writer.flush().await.map_err(write_err)?;
    Ok(DownloadInfo {
        len,
        content_type: opened.content_type,
        file_name: opened.file_name,
    })
}
