//! Open Platform third-party platforms ("components"): the durable ticket, authorizations,
//! and clients that act for an authorizer.
//!
//! A component's own token comes from its AppID, AppSecret and the `component_verify_ticket`
//! WeChat pushes every 10 minutes ([`TokenSource::Component`]). Acting for an authorizer (an
//! Official Account or Mini Program that authorized the platform) uses the authorizer's
//! `authorizer_access_token`, refreshed with the `authorizer_refresh_token` kept in the
//! [`CredentialStore`](crate::CredentialStore): the same generated clients work with either
//! kind of token.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::builder::ClientBuilder;
use crate::cache::TokenCache;
use crate::client::{Call, Client, ClientParts};
use crate::decode::{decode_json, issued};
use crate::endpoint::{Auth, Host, Method, RequestParts, ResponseKind, Retry};
use crate::error::{Error, TokenError};
use crate::secret::{AccessToken, AppSecret};
use crate::store::BoxFuture;
use crate::token::{TokenProvider, TokenSource};

/// How long a `component_verify_ticket` stays valid after it is pushed.
pub const TICKET_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);
/// WeChat pushes a new ticket every 10 minutes; a ticket older than this means pushes stopped
/// arriving (the platform keeps working on the old ticket until [`TICKET_LIFETIME`]).
pub const TICKET_OVERDUE: Duration = Duration::from_secs(30 * 60);

/// Credential-store key of a component's ticket.
pub(crate) fn ticket_key(component_app_id: &str) -> String {
    format!("weixin:component_verify_ticket:{component_app_id}")
}

/// Credential-store key prefix of a component's authorizer refresh tokens.
fn refresh_prefix(component_app_id: &str) -> String {
    format!("weixin:authorizer_refresh_token:{component_app_id}:")
}

/// Credential-store key of one authorizer's refresh token.
fn refresh_key(component_app_id: &str, authorizer_app_id: &str) -> String {
    format!("{}{authorizer_app_id}", refresh_prefix(component_app_id))
}

/// The component's own calls that the runtime makes itself.
fn component_call(endpoint: &'static str, path: &'static str, retry: Retry) -> Call<'static> {
    Call {
        endpoint,
        method: Method::Post,
        host: Host::Api,
        path,
        auth: Auth::TokenParam("component_access_token"),
        retry,
        kind: ResponseKind::Json,
    }
}

/// A third-party platform's client: a [`Client`] whose token is the component access token,
/// plus the platform's durable state. Dereferences to [`Client`] for `send` and the generic
/// calls; cheap to clone.
#[derive(Clone, Debug)]
pub struct Component {
    client: Client,
}

impl From<Client> for Component {
    fn from(client: Client) -> Self {
        Component { client }
    }
}

impl Deref for Component {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

/// What [`Component::authorize`] learned from an authorization code.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Authorization {
    /// The authorizer's AppID.
    pub authorizer_app_id: String,
    /// Ids of the permission sets (权限集) the authorizer granted.
    pub func_ids: Vec<i64>,
}

/// The state of a component's durable credentials, for health checks and alerts.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ComponentHealth {
    /// Age of the stored `component_verify_ticket`; `None` when none was ever saved.
    pub ticket_age: Option<Duration>,
    /// Authorizers with a stored refresh token, with its age, sorted by AppID.
    pub authorizers: Vec<(String, Duration)>,
    /// Of the authorizers the caller expected, those without a refresh token: each must
    /// authorize again before the platform can act for it.
    pub missing_refresh_tokens: Vec<String>,
}

impl ComponentHealth {
    /// No ticket, or one older than [`TICKET_OVERDUE`]: the ticket pushes are not arriving.
    pub fn ticket_overdue(&self) -> bool {
        self.ticket_age.is_none_or(|age| age > TICKET_OVERDUE)
    }

    /// No ticket, or one past its 12-hour validity: new component tokens cannot be fetched.
    pub fn ticket_expired(&self) -> bool {
        self.ticket_age.is_none_or(|age| age > TICKET_LIFETIME)
    }

    /// A fresh ticket and every expected authorizer's refresh token present.
    pub fn is_healthy(&self) -> bool {
        !self.ticket_overdue() && self.missing_refresh_tokens.is_empty()
    }
}

#[derive(serde::Deserialize)]
struct QueryAuthResponse {
    authorization_info: AuthorizationInfo,
}

#[derive(serde::Deserialize)]
struct AuthorizationInfo {
    authorizer_appid: String,
    authorizer_access_token: String,
    expires_in: i64,
    authorizer_refresh_token: String,
    #[serde(default)]
    func_info: Vec<FuncInfo>,
}

#[derive(serde::Deserialize)]
struct FuncInfo {
    funcscope_category: FuncScope,
}

#[derive(serde::Deserialize)]
struct FuncScope {
    id: i64,
}

#[derive(serde::Deserialize)]
struct AuthorizerTokenResponse {
    authorizer_access_token: String,
    expires_in: i64,
    #[serde(default)]
    authorizer_refresh_token: Option<String>,
}

#[derive(serde::Deserialize)]
struct PreAuthCodeResponse {
    pre_auth_code: String,
}

impl Component {
    /// A component client with default settings ([`crate::Shared::global`], in-memory stores).
    pub fn new(
        component_app_id: impl Into<String>,
        component_app_secret: impl Into<String>,
    ) -> Self {
        Client::with_source(
            component_app_id,
            component_app_secret,
            TokenSource::Component,
        )
        .into()
    }

    /// A builder preset for a component; set a durable
    /// [`credential_store`](ClientBuilder::credential_store) in production.
    pub fn builder<C>(
        component_app_id: impl Into<String>,
        component_app_secret: impl Into<String>,
    ) -> ClientBuilder<C> {
        ClientBuilder::new(component_app_id, component_app_secret)
            .token_source(TokenSource::Component)
    }

    fn parts(&self) -> &ClientParts {
        self.client.parts()
    }

    /// Stores the `component_verify_ticket` of a push (`InfoType` `component_verify_ticket`);
    /// the next component token fetch uses it. Answer the push with `success` only after this
    /// succeeded, so WeChat pushes again if the store is down.
    pub async fn save_ticket(&self, ticket: &str) -> Result<(), Error> {
        let key = ticket_key(self.app_id());
        self.parts()
            .credentials
            .save(&key, ticket)
            .await
            .map_err(|e| TokenError::store("component_verify_ticket", e).into())
    }

    /// A pre-authorization code (`api_create_preauthcode`), for an authorization page URL.
    pub async fn pre_auth_code(&self) -> Result<String, Error> {
        let call = component_call(
            "api_create_preauthcode",
            "/cgi-bin/component/api_create_preauthcode",
            Retry::Never,
        );
        let mut parts = RequestParts::new();
        parts.add_json_fields(call.endpoint, &[("component_appid", self.app_id())])?;
        let raw = self.client.execute(call, &parts).await?;
        let parsed: PreAuthCodeResponse = decode_json(call.endpoint, raw.body())?;
        Ok(parsed.pre_auth_code)
    }

    /// A fresh authorization page URL (see [`AuthorizationUrl`]) for `page`, returning to
    /// `redirect_uri` with `auth_code` in its query.
    pub async fn authorization_url(
        &self,
        page: AuthorizationPage,
        redirect_uri: &str,
    ) -> Result<String, Error> {
        let code = self.pre_auth_code().await?;
        Ok(AuthorizationUrl::new(self.app_id(), &code, redirect_uri).build(page))
    }

    /// Completes an authorization: exchanges the `auth_code` of the redirect (or of an
    /// `authorized` push) with `api_query_auth`, stores the refresh token durably and caches
    /// the access token. Then [`authorizer`](Self::authorizer) can act for that account.
    pub async fn authorize(&self, authorization_code: &str) -> Result<Authorization, Error> {
        // An authorization code can be used once: never resent.
        let call = component_call(
            "api_query_auth",
            "/cgi-bin/component/api_query_auth",
            Retry::Never,
        );
        let mut parts = RequestParts::new();
        parts.add_json_fields(
            call.endpoint,
            &[
                ("component_appid", self.app_id()),
                ("authorization_code", authorization_code),
            ],
        )?;
        let raw = self.client.execute(call, &parts).await?;
        let info = decode_json::<QueryAuthResponse>(call.endpoint, raw.body())?.authorization_info;
        let issued_token = issued(
            call.endpoint,
            "authorization_info.authorizer_access_token",
            info.authorizer_access_token,
            info.expires_in,
        )?;
        self.save_authorizer(&info.authorizer_appid, &info.authorizer_refresh_token)
            .await?;
        // Seed the cache through its normal path, so the first call needs no refresh.
        self.authorizer_cache(&info.authorizer_appid)
            .get(|| async move { Ok(issued_token) })
            .await?;
        Ok(Authorization {
            authorizer_app_id: info.authorizer_appid,
            func_ids: info
                .func_info
                .iter()
                .map(|f| f.funcscope_category.id)
                .collect(),
        })
    }

    /// Stores an authorizer's refresh token (e.g. one obtained with the generated
    /// `query_auth` call, or migrated from another system).
    pub async fn save_authorizer(
        &self,
        authorizer_app_id: &str,
        refresh_token: &str,
    ) -> Result<(), Error> {
        let key = refresh_key(self.app_id(), authorizer_app_id);
        self.parts()
            .credentials
            .save(&key, refresh_token)
            .await
            .map_err(|e| TokenError::store("authorizer refresh token", e).into())
    }

    /// Forgets an authorizer that revoked its authorization (an `unauthorized` push).
    pub async fn forget_authorizer(&self, authorizer_app_id: &str) -> Result<(), Error> {
        let key = refresh_key(self.app_id(), authorizer_app_id);
        self.parts()
            .credentials
            .remove(&key)
            .await
            .map_err(|e| TokenError::store("authorizer refresh token", e).into())
    }

    /// The AppIDs of the authorizers with a stored refresh token, sorted.
    pub async fn authorizers(&self) -> Result<Vec<String>, Error> {
        let prefix = refresh_prefix(self.app_id());
        let keys = self
            .parts()
            .credentials
            .keys(&prefix)
            .await
            .map_err(|e| TokenError::store("authorizer refresh token", e))?;
        Ok(keys
            .iter()
            .filter_map(|k| k.strip_prefix(&prefix).map(str::to_owned))
            .collect())
    }

    /// The ticket's age, the stored authorizers, and which of `expected_authorizers` (from
    /// your own records) have no refresh token.
    pub async fn health(&self, expected_authorizers: &[&str]) -> Result<ComponentHealth, Error> {
        let store = &self.parts().credentials;
        let age = |at: SystemTime| SystemTime::now().duration_since(at).unwrap_or_default();
        let ticket = store
            .load(&ticket_key(self.app_id()))
            .await
            .map_err(|e| TokenError::store("component_verify_ticket", e))?;
        let mut authorizers = Vec::new();
        for app_id in self.authorizers().await? {
            let stored = store
                .load(&refresh_key(self.app_id(), &app_id))
                .await
                .map_err(|e| TokenError::store("authorizer refresh token", e))?;
            if let Some(stored) = stored {
                authorizers.push((app_id, age(stored.updated_at())));
            }
        }
        let missing_refresh_tokens = expected_authorizers
            .iter()
            .filter(|want| !authorizers.iter().any(|(have, _)| have == *want))
            .map(|s| (*s).to_owned())
            .collect();
        Ok(ComponentHealth {
            ticket_age: ticket.map(|t| age(t.updated_at())),
            authorizers,
            missing_refresh_tokens,
        })
    }

    /// The token cache of one authorizer's access token.
    fn authorizer_cache(&self, authorizer_app_id: &str) -> TokenCache {
        let key = format!(
            "weixin:authorizer_access_token:{}:{authorizer_app_id}",
            self.app_id()
        );
        self.cache("authorizer access token", key)
    }

    /// A token provider of `authorizer_app_id`'s access token, refreshed with its stored
    /// refresh token (a new refresh token in the answer is stored at once).
    pub fn authorizer_tokens(&self, authorizer_app_id: &str) -> Arc<dyn TokenProvider> {
        Arc::new(AuthorizerTokens {
            component: self.clone(),
            authorizer_app_id: authorizer_app_id.to_owned(),
            cache: self.authorizer_cache(authorizer_app_id),
        })
    }

    /// A client acting for `authorizer_app_id`: any generated product client
    /// (`op.authorizer::<offiaccount::Client>(app_id)`), sending the authorizer's access token.
    /// It shares this component's connection pool, base URLs, timeouts and stores.
    pub fn authorizer<C: From<Client>>(&self, authorizer_app_id: &str) -> C {
        let parts = self.parts();
        let tokens = self.authorizer_tokens(authorizer_app_id);
        let ticket_cache =
            |what, prefix: &str| self.cache(what, format!("weixin:{prefix}:{authorizer_app_id}"));
        C::from(Client::from_parts(ClientParts {
            app_id: authorizer_app_id.to_owned(),
            // An authorizer client never uses a secret: its token comes from the component.
            app_secret: AppSecret::new(""),
            source: TokenSource::Stable,
            http: parts.http.clone(),
            tokens,
            ticket: ticket_cache("jsapi ticket", "jsapi_ticket"),
            agent_ticket: ticket_cache("agent jsapi ticket", "agent_ticket"),
            credentials: parts.credentials.clone(),
            store: parts.store.clone(),
            shared: parts.shared.clone(),
            refresh_before: parts.refresh_before,
            errcodes: parts.errcodes,
        }))
    }
}

/// An authorizer's access token, fetched with `api_authorizer_token`.
struct AuthorizerTokens {
    component: Component,
    authorizer_app_id: String,
    cache: TokenCache,
}

impl fmt::Debug for AuthorizerTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizerTokens")
            .field("component", &self.component.app_id())
            .field("authorizer", &self.authorizer_app_id)
            .field("cache", &self.cache)
            .finish()
    }
}

impl AuthorizerTokens {
    const WHAT: &'static str = "authorizer access token";

    async fn fetch(&self) -> Result<(String, Duration), Error> {
        self.refresh()
            .await
            .map_err(|e| Error::Token(TokenError::fetch(Self::WHAT, e)))
    }

    async fn refresh(&self) -> Result<(String, Duration), Error> {
        let component_app_id = self.component.app_id();
        let key = refresh_key(component_app_id, &self.authorizer_app_id);
        let credentials = &self.component.parts().credentials;
        let stored = credentials
            .load(&key)
            .await
            .map_err(|e| TokenError::store(Self::WHAT, e))?;
        let Some(stored) = stored else {
            return Err(TokenError::other(
                Self::WHAT,
                format!(
                    "no refresh token stored for authorizer {} of component {component_app_id}: \
                     it must authorize again (Component::authorize)",
                    self.authorizer_app_id
                ),
            )
            .into());
        };
        // Refreshing is idempotent: the same refresh token may be used again.
        let call = component_call(
            "api_authorizer_token",
            "/cgi-bin/component/api_authorizer_token",
            Retry::Safe,
        );
        let mut parts = RequestParts::new();
        parts.add_json_fields(
            call.endpoint,
            &[
                ("component_appid", component_app_id),
                ("authorizer_appid", &self.authorizer_app_id),
                ("authorizer_refresh_token", stored.value()),
            ],
        )?;
        let raw = self.component.execute(call, &parts).await?;
        let parsed: AuthorizerTokenResponse = decode_json(call.endpoint, raw.body())?;
        let token = issued(
            call.endpoint,
            "authorizer_access_token",
            parsed.authorizer_access_token,
            parsed.expires_in,
        )?;
        if let Some(new) = parsed
            .authorizer_refresh_token
            .filter(|new| !new.is_empty() && new != stored.value())
        {
            credentials
                .save(&key, &new)
                .await
                .map_err(|e| TokenError::store(Self::WHAT, e))?;
        }
        Ok(token)
    }
}

impl TokenProvider for AuthorizerTokens {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, Error>> {
        Box::pin(async move { self.cache.get(|| self.fetch()).await.map(AccessToken::new) })
    }

    fn invalidate<'a>(&'a self, stale: &'a AccessToken) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            self.cache.invalidate(stale.secret()).await?;
            Ok(())
        })
    }
}

/// Which authorization page an [`AuthorizationUrl`] opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthorizationPage {
    /// The desktop page (`mp.weixin.qq.com/cgi-bin/componentloginpage`): the admin scans a
    /// QR code.
    Pc,
    /// The page opened inside WeChat on a phone (`open.weixin.qq.com/wxaopen/safe/bindcomponent`).
    Mobile,
}

/// The URL of the page where an account's administrator authorizes the platform.
#[derive(Clone, Debug)]
#[must_use]
pub struct AuthorizationUrl {
    component_app_id: String,
    pre_auth_code: String,
    redirect_uri: String,
    auth_type: Option<u8>,
    biz_app_id: Option<String>,
}

impl AuthorizationUrl {
    /// A URL for `pre_auth_code` (from [`Component::pre_auth_code`]) returning to
    /// `redirect_uri`, which must be on the platform's authorization callback domain.
    pub fn new(component_app_id: &str, pre_auth_code: &str, redirect_uri: &str) -> Self {
        AuthorizationUrl {
            component_app_id: component_app_id.to_owned(),
            pre_auth_code: pre_auth_code.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            auth_type: None,
            biz_app_id: None,
        }
    }

    /// Which accounts may authorize: 1 Official Accounts, 2 Mini Programs, 3 both (WeChat's
    /// default), and the newer kinds WeChat documents.
    pub fn auth_type(mut self, auth_type: u8) -> Self {
        self.auth_type = Some(auth_type);
        self
    }

    /// Only this account may authorize.
    pub fn biz_app_id(mut self, app_id: &str) -> Self {
        self.biz_app_id = Some(app_id.to_owned());
        self
    }

    /// The URL of `page`.
    pub fn build(&self, page: AuthorizationPage) -> String {
        let (base, fragment) = match page {
            AuthorizationPage::Pc => ("https://mp.weixin.qq.com/cgi-bin/componentloginpage", ""),
            AuthorizationPage::Mobile => (
                "https://open.weixin.qq.com/wxaopen/safe/bindcomponent",
                "#wechat_redirect",
            ),
        };
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if page == AuthorizationPage::Mobile {
            query.append_pair("action", "bindcomponent");
            query.append_pair("no_scan", "1");
        }
        query.append_pair("component_appid", &self.component_app_id);
        query.append_pair("pre_auth_code", &self.pre_auth_code);
        query.append_pair("redirect_uri", &self.redirect_uri);
        if let Some(t) = self.auth_type {
            query.append_pair("auth_type", &t.to_string());
        }
        if let Some(id) = &self.biz_app_id {
            query.append_pair("biz_appid", id);
        }
        format!("{base}?{}{fragment}", query.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_urls_encode_the_redirect() {
        let url = AuthorizationUrl::new("wxcomp", "preauth@1", "https://a.example/cb?x=1")
            .auth_type(3)
            .biz_app_id("wxbiz");
        assert_eq!(
            url.build(AuthorizationPage::Pc),
            "https://mp.weixin.qq.com/cgi-bin/componentloginpage?component_appid=wxcomp\
             &pre_auth_code=preauth%401&redirect_uri=https%3A%2F%2Fa.example%2Fcb%3Fx%3D1\
             &auth_type=3&biz_appid=wxbiz"
        );
        assert_eq!(
            url.build(AuthorizationPage::Mobile),
            "https://open.weixin.qq.com/wxaopen/safe/bindcomponent?action=bindcomponent\
             &no_scan=1&component_appid=wxcomp&pre_auth_code=preauth%401\
             &redirect_uri=https%3A%2F%2Fa.example%2Fcb%3Fx%3D1&auth_type=3&biz_appid=wxbiz\
             #wechat_redirect"
        );
    }

    #[test]
    fn health_flags_old_or_missing_tickets() {
        let mut health = ComponentHealth {
            ticket_age: None,
            authorizers: Vec::new(),
            missing_refresh_tokens: Vec::new(),
        };
        assert!(health.ticket_overdue() && health.ticket_expired() && !health.is_healthy());
        health.ticket_age = Some(Duration::from_secs(600));
        assert!(health.is_healthy());
        health.ticket_age = Some(Duration::from_secs(3600));
        assert!(health.ticket_overdue() && !health.ticket_expired());
        health.ticket_age = Some(Duration::from_secs(600));
        health.missing_refresh_tokens.push("wxa".into());
        assert!(!health.is_healthy());
    }
}
