//! Serving a push [`Service`] with axum (feature `axum`).

use ::axum::Router;
use ::axum::body::Body;
use ::axum::extract::State;
use ::axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use ::axum::http::{HeaderValue, Request, StatusCode};
use ::axum::response::{IntoResponse, Response};
use ::axum::routing::any;
use futures_util::StreamExt;

use super::{PushError, PushMessage, PushReply, PushRequest, PushResponse, Service};

impl<M: PushMessage, R: PushReply> Service<M, R> {
    /// A router answering GET (URL verification) and POST (pushes) on `path`; other methods
    /// get 405. Bodies over [`max_body_bytes`](super::ServiceBuilder::max_body_bytes) get 413
    /// without being read whole.
    ///
    /// ```ignore
    /// let app = service.router("/wechat/push");
    /// let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
    /// axum::serve(listener, app).await?;
    /// ```
    pub fn router(self, path: &str) -> Router {
        Router::new()
            .route(path, any(serve::<M, R>))
            .with_state(self)
    }
}

/// Reads the request (within the body limit) and hands it to the service.
async fn serve<M: PushMessage, R: PushReply>(
    State(service): State<Service<M, R>>,
    request: Request<Body>,
) -> Response {
    let (parts, body) = request.into_parts();
    let limit = service.max_body_bytes();
    let response = match read_body(&parts.headers, body, limit).await {
        Ok(bytes) => {
            let request = PushRequest {
                method: parts.method.as_str(),
                query: parts.uri.query().unwrap_or_default(),
                body: &bytes,
            };
            service.handle(request).await
        }
        Err(error) => PushResponse::refusal(&error),
    };
    into_response(response)
}

/// Collects the body, refusing it as soon as it exceeds `limit`.
async fn read_body(
    headers: &::axum::http::HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Vec<u8>, PushError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(PushError::TooLarge { limit });
    }
    let mut bytes = Vec::with_capacity(declared.map_or(0, |len| len as usize));
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| PushError::Syntax {
            format: "HTTP",
            reason: format!("the body could not be read: {e}"),
        })?;
        if bytes.len() + chunk.len() > limit {
            return Err(PushError::TooLarge { limit });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

fn into_response(response: PushResponse) -> Response {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut out = (status, response.body).into_response();
    out.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(response.content_type),
    );
    out
}
