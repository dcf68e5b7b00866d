//! Web authorization (OAuth 2.0) URLs to send the user's browser to.

use url::form_urlencoded::byte_serialize;

/// What a web authorization asks the user for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `snsapi_base`: silent, yields only the OpenID.
    Base,
    /// `snsapi_userinfo`: asks the user's consent, yields the profile too.
    UserInfo,
}

impl Scope {
    /// The wire value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Base => "snsapi_base",
            Scope::UserInfo => "snsapi_userinfo",
        }
    }
}

fn encode(value: &str) -> String {
    byte_serialize(value.as_bytes()).collect()
}

fn build(base: &str, app_id: &str, redirect_uri: &str, scope: &str, state: &str) -> String {
    format!(
        "{base}?appid={}&redirect_uri={}&response_type=code&scope={scope}&state={}#wechat_redirect",
        encode(app_id),
        encode(redirect_uri),
        encode(state),
    )
}

/// The in-WeChat authorization URL
/// (`https://open.weixin.qq.com/connect/oauth2/authorize?…#wechat_redirect`). `redirect_uri`
/// and `state` are URL-encoded; parameters are in the order WeChat requires.
pub fn authorize_url(app_id: &str, redirect_uri: &str, scope: Scope, state: &str) -> String {
    build(
        "https://open.weixin.qq.com/connect/oauth2/authorize",
        app_id,
        redirect_uri,
        scope.as_str(),
        state,
    )
}

/// The website QR-code login URL (`https://open.weixin.qq.com/connect/qrconnect?…`, scope
/// `snsapi_login`).
pub fn qrconnect_url(app_id: &str, redirect_uri: &str, state: &str) -> String {
    build(
        "https://open.weixin.qq.com/connect/qrconnect",
        app_id,
        redirect_uri,
        "snsapi_login",
        state,
    )
}
