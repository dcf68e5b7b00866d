//! Mini Programs, WeCom and the Open Platform in one place: the code the README shows, compiled
//! by the tests.
//!
//! `cargo run -p weixin --example platforms -- <mini-program|wecom|open>` runs one part against
//! the real WeChat with credentials from the environment:
//! - `mini-program`: `WEIXIN_APP_ID`, `WEIXIN_APP_SECRET`, `WEIXIN_JS_CODE` (a fresh `wx.login` code);
//! - `wecom`: `WEIXIN_CORP_ID`, `WEIXIN_AGENT_SECRET`, `WEIXIN_AGENT_ID`, `WEIXIN_TO_USER`;
//! - `open`: `WEIXIN_COMPONENT_APP_ID`, `WEIXIN_COMPONENT_SECRET`, `WEIXIN_COMPONENT_TICKET`,
//!   `WEIXIN_AUTH_CODE` (from the authorization redirect).

use std::env;

use weixin::miniprogram;
use weixin::oplatform;
use weixin::runtime::wxa::{self, PhoneNumber, SessionKey};
use weixin::wecom::{self, message::AppMessage, message::WecomSendMessage};

type BoxError = Box<dyn std::error::Error>;

fn var(name: &str) -> Result<String, BoxError> {
    env::var(name).map_err(|_| format!("set {name}").into())
}

/// Login: exchange the `wx.login` code, then decrypt data the Mini Program sent with it.
async fn mini_program() -> Result<(), BoxError> {
    let wx = miniprogram::Client::new(var("WEIXIN_APP_ID")?, var("WEIXIN_APP_SECRET")?);
    let session = wx.login().code_to_session(var("WEIXIN_JS_CODE")?).await?;
    println!("open_id {}", session.open_id);

    // `session_key` is a secret: keep it server-side, never log it.
    let key = SessionKey::from_base64(&session.session_key)?;
    if let (Ok(data), Ok(iv)) = (env::var("WEIXIN_ENCRYPTED_DATA"), env::var("WEIXIN_IV")) {
        // The watermark's AppID must be ours, or the data is refused.
        let phone: PhoneNumber = wxa::decrypt_user_data(&key, &data, &iv, wx.app_id())?;
        println!("phone {}", phone.pure_phone_number);
    }
    Ok(())
}

/// WeCom: one client per application; each keeps its own token.
async fn wecom_app() -> Result<(), BoxError> {
    let agent_id: i64 = var("WEIXIN_AGENT_ID")?.parse()?;
    let app: wecom::Client =
        wecom::Client::builder(var("WEIXIN_CORP_ID")?, var("WEIXIN_AGENT_SECRET")?)
            .agent_id(agent_id)
            .build()?;
    let sent = app
        .send(
            &WecomSendMessage::new(AppMessage::text("部署完成"), agent_id)
                .to_user(var("WEIXIN_TO_USER")?),
        )
        .await?;
    println!("sent; invalid users: {:?}", sent.invalid_user);
    Ok(())
}

/// Open Platform: store the pushed ticket, complete an authorization, act for the authorizer.
async fn open_platform() -> Result<(), BoxError> {
    let op = oplatform::Client::new(
        var("WEIXIN_COMPONENT_APP_ID")?,
        var("WEIXIN_COMPONENT_SECRET")?,
    );
    // In production the ticket arrives by push every 10 minutes (`Message::ComponentVerifyTicket`).
    op.save_ticket(&var("WEIXIN_COMPONENT_TICKET")?).await?;
    let authorization = op.authorize(&var("WEIXIN_AUTH_CODE")?).await?;
    println!("authorized by {}", authorization.authorizer_app_id);

    // The same generated Mini Program client, with the authorizer's token.
    let wx: miniprogram::Client = op.authorizer(&authorization.authorizer_app_id);
    let categories = wx.code().category().await?;
    println!("{} categories", categories.category_list.len());
    println!(
        "health: {:?}",
        op.health(&[&authorization.authorizer_app_id]).await?
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    match env::args().nth(1).as_deref() {
        Some("mini-program") => mini_program().await,
        Some("wecom") => wecom_app().await,
        Some("open") => open_platform().await,
        _ => Err(
            "usage: platforms <mini-program|wecom|open> (credentials from the environment)".into(),
        ),
    }
}
