//! Client-side pay parameters, signed with the merchant key: what `wx.requestPayment` /
//! `WeixinJSBridge` (JSAPI, mini program) and the App SDK need after a prepay call.

use serde::Serialize;

use super::keys::{KeyError, MerchantKey};
use super::sign::nonce;
use super::unix_now;

/// `wx.requestPayment` / `WeixinJSBridge.invoke('getBrandWCPayRequest')` arguments.
/// Serializes with exactly the names the client expects (`appId`, `timeStamp`, …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JsapiPayParams {
    /// The AppID the order was created with.
    #[serde(rename = "appId")]
    pub app_id: String,
    /// Unix seconds, as a decimal string.
    #[serde(rename = "timeStamp")]
    pub time_stamp: String,
    /// A random string (32 alphanumerics).
    #[serde(rename = "nonceStr")]
    pub nonce_str: String,
    /// `prepay_id=…`.
    pub package: String,
    /// Always `RSA`.
    #[serde(rename = "signType")]
    pub sign_type: String,
    /// `Base64(SHA256withRSA("{appId}\n{timeStamp}\n{nonceStr}\n{package}\n"))`.
    #[serde(rename = "paySign")]
    pub pay_sign: String,
}

impl JsapiPayParams {
    /// Signs the parameters for `prepay_id` with the current time and a fresh nonce.
    pub fn new(key: &MerchantKey, app_id: &str, prepay_id: &str) -> Result<Self, KeyError> {
        Self::with(key, app_id, prepay_id, unix_now(), &nonce())
    }

    /// Signs the parameters with the given timestamp and nonce (reproducible).
    pub fn with(
        key: &MerchantKey,
        app_id: &str,
        prepay_id: &str,
        timestamp: i64,
        nonce: &str,
    ) -> Result<Self, KeyError> {
        let package = format!("prepay_id={prepay_id}");
        let message = format!("{app_id}\n{timestamp}\n{nonce}\n{package}\n");
        Ok(JsapiPayParams {
            app_id: app_id.to_owned(),
            time_stamp: timestamp.to_string(),
            nonce_str: nonce.to_owned(),
            pay_sign: key.sign(message.as_bytes())?,
            package,
            sign_type: "RSA".to_owned(),
        })
    }
}

/// The App SDK's `PayReq` fields. `package` is always `Sign=WXPay`; the signature covers the
/// bare prepay id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppPayParams {
    /// The AppID (of the mobile app).
    pub appid: String,
    /// The merchant id.
    pub partnerid: String,
    /// The prepay id, without `prepay_id=`.
    pub prepayid: String,
    /// Always `Sign=WXPay`.
    pub package: String,
    /// A random string (32 alphanumerics).
    pub noncestr: String,
    /// Unix seconds, as a decimal string.
    pub timestamp: String,
    /// `Base64(SHA256withRSA("{appid}\n{timestamp}\n{noncestr}\n{prepayid}\n"))`.
    pub sign: String,
}

impl AppPayParams {
    /// Signs the parameters for `prepay_id` with the current time and a fresh nonce.
    pub fn new(
        key: &MerchantKey,
        app_id: &str,
        mchid: &str,
        prepay_id: &str,
    ) -> Result<Self, KeyError> {
        Self::with(key, app_id, mchid, prepay_id, unix_now(), &nonce())
    }

    /// Signs the parameters with the given timestamp and nonce (reproducible).
    pub fn with(
        key: &MerchantKey,
        app_id: &str,
        mchid: &str,
        prepay_id: &str,
        timestamp: i64,
        nonce: &str,
    ) -> Result<Self, KeyError> {
        let message = format!("{app_id}\n{timestamp}\n{nonce}\n{prepay_id}\n");
        Ok(AppPayParams {
            appid: app_id.to_owned(),
            partnerid: mchid.to_owned(),
            prepayid: prepay_id.to_owned(),
            package: "Sign=WXPay".to_owned(),
            noncestr: nonce.to_owned(),
            timestamp: timestamp.to_string(),
            sign: key.sign(message.as_bytes())?,
        })
    }
}
