//! A WeChat echo bot: the smallest complete push server.
//!
//! ```text
//! WEIXIN_TOKEN=… WEIXIN_APP_ID=wx… cargo run -p weixin --example echo_bot
//! ```
//!
//! Environment:
//! - `WEIXIN_TOKEN` (required): the Token configured on the push URL.
//! - `WEIXIN_APP_ID` (required): the account's AppID (the receive id in safe mode).
//! - `WEIXIN_ENCODING_AES_KEY` (optional): enables safe mode; plain and encrypted pushes are
//!   both accepted unless `WEIXIN_REQUIRE_ENCRYPTION=1`.
//! - `WEIXIN_LISTEN` (default `127.0.0.1:8080`).
//!
//! Path `/wx`. GET verifies the URL; a text message gets `echo: <content>`, a subscription
//! `welcome`, anything else `success`. A push with a wrong signature gets 403 and is not read.

use weixin::push::{Message, Push, Reply, Service};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

async fn echo(push: Push) -> Reply {
    let from = &push.meta().from_user_name;
    tracing::info!(kind = push.message().kind(), from = %from, "push");
    match push.message() {
        Message::Text(text) => Reply::text(format!("echo: {}", text.content)),
        Message::Subscribe(_) => Reply::text("welcome"),
        _ => Reply::Success,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().with_target(false).init();
    let token = env("WEIXIN_TOKEN").ok_or("WEIXIN_TOKEN is required")?;
    let app_id = env("WEIXIN_APP_ID").ok_or("WEIXIN_APP_ID is required")?;
    let listen = env("WEIXIN_LISTEN").unwrap_or_else(|| "127.0.0.1:8080".into());

    let mut service = Service::builder(token).app_id(app_id);
    if let Some(key) = env("WEIXIN_ENCODING_AES_KEY") {
        service = service
            .encoding_aes_key(key)
            .require_encryption(env("WEIXIN_REQUIRE_ENCRYPTION").as_deref() == Some("1"));
    }
    let app = service.build(echo)?.router("/wx");

    let listener = tokio::net::TcpListener::bind(&listen).await?;
    tracing::info!("echo bot listening on http://{}/wx", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
