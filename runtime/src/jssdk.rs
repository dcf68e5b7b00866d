//! JS-SDK: the `jsapi_ticket` (cached like a token) and the `wx.config` signature, and WeCom's
//! application ticket for `wx.agentConfig`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;
use rand::distr::Alphanumeric;
use sha1::{Digest, Sha1};

use crate::client::{Call, Client};
use crate::decode::{decode_json, issued};
use crate::endpoint::{Auth, Host, Method, RequestParts, ResponseKind, Retry};
use crate::error::Error;
use crate::secret::JsapiTicket;
use crate::token::TokenSource;

/// The `wx.config` parameters for one page. Serializes with the JS-SDK's names (`appId`,
/// `timestamp`, `nonceStr`, `signature`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JsSdkConfig {
    /// The account's AppID.
    pub app_id: String,
    /// Unix seconds used in the signature.
    pub timestamp: i64,
    /// Random string used in the signature.
    pub nonce_str: String,
    /// Lower-case hex SHA-1 signature.
    pub signature: String,
}

/// The JS-SDK signature: lower-case hex SHA-1 of
/// `jsapi_ticket=…&noncestr=…&timestamp=…&url=…` (values not URL-encoded; `url` without its
/// `#fragment`).
pub fn signature(ticket: &str, noncestr: &str, timestamp: i64, url: &str) -> String {
    let url = url.split_once('#').map_or(url, |(before, _)| before);
    let plain =
        format!("jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url}");
    hex::encode(Sha1::digest(plain.as_bytes()))
}

#[derive(serde::Deserialize)]
struct TicketResponse {
    ticket: String,
    expires_in: i64,
}

const TICKET_CALL: Call<'static> = Call {
    endpoint: "get_jsapi_ticket",
    method: Method::Get,
    host: Host::Api,
    path: "/cgi-bin/ticket/getticket",
    auth: Auth::AccessToken,
    retry: Retry::Safe,
    kind: ResponseKind::Json,
};

/// WeCom's corp `jsapi_ticket` (for `wx.config`).
const WECOM_TICKET_CALL: Call<'static> = Call {
    endpoint: "wecom_get_jsapi_ticket",
    host: Host::Qyapi,
    path: "/cgi-bin/get_jsapi_ticket",
    ..TICKET_CALL
};

/// WeCom's application ticket (for `wx.agentConfig`).
const WECOM_AGENT_TICKET_CALL: Call<'static> = Call {
    endpoint: "wecom_get_agent_ticket",
    host: Host::Qyapi,
    path: "/cgi-bin/ticket/get",
    ..TICKET_CALL
};

/// The `wx.agentConfig` parameters of a WeCom application for one page. Serializes with the
/// JS-SDK's names (`corpid`, `agentid`, `timestamp`, `nonceStr`, `signature`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct AgentConfig {
    /// The CorpID.
    pub corpid: String,
    /// The application's AgentID.
    pub agentid: String,
    /// Unix seconds used in the signature.
    pub timestamp: i64,
    /// Random string used in the signature.
    #[serde(rename = "nonceStr")]
    pub nonce_str: String,
    /// Lower-case hex SHA-1 signature over the application ticket.
    pub signature: String,
}

/// Unix seconds now.
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// 16 random alphanumerics.
fn nonce() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(16)
        .map(char::from)
        .collect()
}

impl Client {
    /// The account's `jsapi_ticket`, cached in the token store and refreshed early like the
    /// access token, one fetch at a time: `GET /cgi-bin/ticket/getticket?type=jsapi`, or for a
    /// WeCom client the corp ticket of `GET qyapi/cgi-bin/get_jsapi_ticket`.
    pub async fn jsapi_ticket(&self) -> Result<JsapiTicket, Error> {
        let (call, query) = if self.parts().source == TokenSource::WeCom {
            (WECOM_TICKET_CALL, None)
        } else {
            (TICKET_CALL, Some("jsapi"))
        };
        let value = self
            .ticket_cache()
            .get(|| self.fetch_ticket(call, query))
            .await?;
        Ok(JsapiTicket::new(value))
    }

    /// A WeCom application's ticket for `wx.agentConfig`
    /// (`GET qyapi/cgi-bin/ticket/get?type=agent_config`), cached like [`jsapi_ticket`](Self::jsapi_ticket).
    pub async fn agent_ticket(&self) -> Result<JsapiTicket, Error> {
        let value = self
            .parts()
            .agent_ticket
            .get(|| self.fetch_ticket(WECOM_AGENT_TICKET_CALL, Some("agent_config")))
            .await?;
        Ok(JsapiTicket::new(value))
    }

    /// The `wx.config` parameters for the page at `url` (its `#fragment` is ignored).
    pub async fn jssdk_config(&self, url: &str) -> Result<JsSdkConfig, Error> {
        let ticket = self.jsapi_ticket().await?;
        let (timestamp, nonce_str) = (now(), nonce());
        Ok(JsSdkConfig {
            app_id: self.app_id().to_owned(),
            timestamp,
            signature: signature(ticket.secret(), &nonce_str, timestamp, url),
            nonce_str,
        })
    }

    /// WeCom: the `wx.agentConfig` parameters of application `agent_id` for the page at `url`.
    pub async fn agent_config(&self, url: &str, agent_id: &str) -> Result<AgentConfig, Error> {
        let ticket = self.agent_ticket().await?;
        let (timestamp, nonce_str) = (now(), nonce());
        Ok(AgentConfig {
            corpid: self.app_id().to_owned(),
            agentid: agent_id.to_owned(),
            timestamp,
            signature: signature(ticket.secret(), &nonce_str, timestamp, url),
            nonce_str,
        })
    }

    async fn fetch_ticket(
        &self,
        call: Call<'static>,
        kind: Option<&str>,
    ) -> Result<(String, Duration), Error> {
        let mut parts = RequestParts::new();
        if let Some(kind) = kind {
            parts.query("type", kind);
        }
        let raw = self.execute(call, &parts).await?;
        let parsed: TicketResponse = decode_json(call.endpoint, raw.body())?;
        Ok(issued(
            call.endpoint,
            "ticket",
            parsed.ticket,
            parsed.expires_in,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragment_is_ignored() {
        assert_eq!(
            signature("t", "n", 1, "http://a/b?c=d#frag"),
            signature("t", "n", 1, "http://a/b?c=d")
        );
        assert_eq!(signature("t", "n", 1, "http://a").len(), 40);
    }
}
