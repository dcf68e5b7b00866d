//! The README's quick start, compiled by `cargo test` so it cannot drift from the API.
//! Running it needs a real account: `WEIXIN_APP_ID=… WEIXIN_APP_SECRET=… WEIXIN_OPENID=…
//! cargo run -p weixin --example quickstart`.

use weixin::errcode;
use weixin::offiaccount::{
    self,
    custom::CustomMessage,
    user::{GetUserInfo, Lang},
};

#[tokio::main]
async fn main() -> Result<(), weixin::Error> {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let mp = offiaccount::Client::new(var("WEIXIN_APP_ID"), var("WEIXIN_APP_SECRET"));

    // Required arguments through the group accessor…
    let info = mp.user().info(var("WEIXIN_OPENID")).await?;
    // …optional ones by building the request value.
    let info_en = mp
        .send(&GetUserInfo::new(&info.open_id).lang(Lang::En))
        .await?;

    match mp
        .custom()
        .send(&info_en.open_id, CustomMessage::text("你好"))
        .await
    {
        Err(e) if e.api_code() == Some(errcode::RESPONSE_OUT_OF_TIME_LIMIT) => {
            println!("outside the 48-hour window: fall back to a template message");
        }
        other => {
            other?;
        }
    }
    Ok(())
}
