//! WeChat Pay APIv3: the code the README shows, compiled by the tests.
//!
//! `cargo run -p weixin --example pay` creates a JSAPI order for one user, prints the
//! `wx.requestPayment` arguments, queries the order and closes it, against the real WeChat Pay,
//! with the merchant's credentials from the environment: `WEIXIN_MCHID`, `WEIXIN_MCH_SERIAL`
//! (the merchant API certificate's serial), `WEIXIN_MCH_KEY_FILE` (its private key, PEM),
//! `WEIXIN_APIV3_KEY`, `WEIXIN_PAY_PUBLIC_KEY_ID` and `WEIXIN_PAY_PUBLIC_KEY_FILE` (the WeChat
//! Pay public key), `WEIXIN_APP_ID` and `WEIXIN_OPEN_ID` (the payer).

use std::env;

use weixin::pay::{self, transactions::Payer, transactions::Transaction, types::Amount};
use weixin::runtime::pay::notify::{NotifyError, NotifyRequest};

type BoxError = Box<dyn std::error::Error>;

fn var(name: &str) -> Result<String, BoxError> {
    env::var(name).map_err(|_| format!("set {name}").into())
}

/// One merchant: requests signed with its key, responses verified with WeChat Pay's public key.
fn client() -> Result<pay::Client, BoxError> {
    let key_pem = std::fs::read_to_string(var("WEIXIN_MCH_KEY_FILE")?)?;
    let public_key = std::fs::read_to_string(var("WEIXIN_PAY_PUBLIC_KEY_FILE")?)?;
    let client = pay::Client::builder(
        var("WEIXIN_MCHID")?,
        var("WEIXIN_MCH_SERIAL")?,
        key_pem,
        var("WEIXIN_APIV3_KEY")?,
    )
    .public_key(var("WEIXIN_PAY_PUBLIC_KEY_ID")?, public_key)
    .build()?;
    Ok(client)
}

/// Order, hand the payment arguments to the page, then query and close.
async fn order(pay: &pay::Client) -> Result<(), BoxError> {
    let app_id = var("WEIXIN_APP_ID")?;
    let out_trade_no = format!("demo{}", std::process::id());
    let prepay = pay
        .transactions()
        .jsapi(
            &app_id,
            "会员月卡",
            &out_trade_no,
            "https://example.com/pay/notify",
            Amount::new(1), // fen
            Payer::new(var("WEIXIN_OPEN_ID")?),
        )
        .await?;
    // `wx.requestPayment(params)` in the Mini Program, or WeixinJSBridge in a page.
    let params = pay.jsapi_params(&app_id, &prepay.prepay_id)?;
    println!("{}", serde_json::to_string(&params)?);

    let order: Transaction = pay
        .transactions()
        .query_by_out_trade_no(&out_trade_no)
        .await?;
    println!("{out_trade_no}: {:?}", order.trade_state);
    pay.transactions().close(&out_trade_no).await?;
    Ok(())
}

/// The notification URL: verify the signature first, then decrypt the resource. Answer 2xx on
/// success; on an error, its status and `{"code":"FAIL",…}` make WeChat Pay deliver it again.
pub async fn on_notification(
    pay: &pay::Client,
    headers: &weixin::runtime::pay::HeaderMap,
    body: &[u8],
) -> Result<Transaction, NotifyError> {
    let request = NotifyRequest {
        method: "POST",
        headers,
        body,
    };
    let notification = pay.notify_parser().parse::<Transaction>(request).await?;
    Ok(notification.resource)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let pay = client()?;
    order(&pay).await
}
