//! The echo bot (the same as `generated/examples/echo_bot.rs`), in-process: a text gets
//! `echo: <content>`, a subscription `welcome`, anything else `success`.

use weixin::push::{Message, Push, Reply, Service};

/// The bot's handler.
pub async fn echo(push: Push) -> Reply {
    match push.message() {
        Message::Text(text) => Reply::text(format!("echo: {}", text.content)),
        Message::Subscribe(_) => Reply::text("welcome"),
        _ => Reply::Success,
    }
}

/// The bot's push service: plain mode, or safe mode with `aes_key`.
pub fn service(token: &str, app_id: &str, aes_key: Option<&str>) -> Result<Service, String> {
    let mut builder = Service::builder(token).app_id(app_id);
    if let Some(key) = aes_key {
        builder = builder.encoding_aes_key(key);
    }
    builder.build(echo).map_err(|e| e.to_string())
}

/// Serves the bot at `path` on `listener` until the task is dropped.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Service,
    path: &str,
) -> std::io::Result<()> {
    axum::serve(listener, service.router(path)).await
}
