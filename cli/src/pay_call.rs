//! `weixin call pay.<group>.<call>`: WeChat Pay calls signed with the merchant's key and
//! verified with the WeChat Pay public key, through the runtime's `PayClient`.
//!
//! The merchant comes from a config file (`--config`: `mchid`, `mch_serial`, `mch_key_file`,
//! `apiv3_key`, `pay_public_key_id`, `pay_public_key_file`, `base_url`), then the environment
//! (`WEIXIN_MCHID`, `WEIXIN_MCH_SERIAL`, `WEIXIN_MCH_KEY_FILE`, `WEIXIN_APIV3_KEY`,
//! `WEIXIN_PAY_PUBLIC_KEY_ID`, `WEIXIN_PAY_PUBLIC_KEY_FILE`, `WEIXIN_BASE_URL`), then
//! `--base-url` / `--host-url mch=…`, like [`crate::call::Account`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use weixin_codegen::ir::{Auth, Credential, Endpoint, Host};
use weixin_runtime::Method;
use weixin_runtime::pay::PayClient;

use crate::call::{self, Account, CallInput};
use crate::local;
use crate::sandbox::HostName;

/// A WeChat Pay merchant, as `weixin call` signs for it.
#[derive(Clone, Debug, Default)]
pub struct Merchant {
    /// The merchant id (商户号).
    pub mchid: String,
    /// The serial of the merchant API certificate.
    pub serial_no: String,
    /// The merchant private key file (`apiclient_key.pem`).
    pub key_file: PathBuf,
    /// The APIv3 key.
    pub apiv3_key: String,
    /// The WeChat Pay public key: its id and PEM file; `None` downloads platform certificates.
    pub public_key: Option<(String, PathBuf)>,
    /// Base URL of the `mch` host.
    pub base_url: String,
}

/// The config file keys of a merchant.
#[derive(Default, serde::Deserialize)]
struct ConfigFile {
    mchid: Option<String>,
    mch_serial: Option<String>,
    mch_key_file: Option<PathBuf>,
    apiv3_key: Option<String>,
    pay_public_key_id: Option<String>,
    pay_public_key_file: Option<PathBuf>,
    base_url: Option<String>,
}

impl Merchant {
    /// The merchant from `config`, the environment, then the command line's URLs.
    pub fn load(
        config: Option<&Path>,
        base_url: Option<String>,
        host_urls: BTreeMap<HostName, String>,
    ) -> Result<Merchant, String> {
        let file: ConfigFile = config
            .map(local::read_toml)
            .transpose()?
            .unwrap_or_default();
        let env = local::env_var;
        let pick = |env_name: &str, from_file: Option<String>| env(env_name).or(from_file);
        let mchid = pick("WEIXIN_MCHID", file.mchid);
        let serial_no = pick("WEIXIN_MCH_SERIAL", file.mch_serial);
        let key_file = env("WEIXIN_MCH_KEY_FILE")
            .map(PathBuf::from)
            .or(file.mch_key_file);
        let apiv3_key = pick("WEIXIN_APIV3_KEY", file.apiv3_key);
        let key_id = pick("WEIXIN_PAY_PUBLIC_KEY_ID", file.pay_public_key_id);
        let key_pem = env("WEIXIN_PAY_PUBLIC_KEY_FILE")
            .map(PathBuf::from)
            .or(file.pay_public_key_file);
        let (Some(mchid), Some(serial_no), Some(key_file), Some(apiv3_key)) =
            (mchid, serial_no, key_file, apiv3_key)
        else {
            return Err(
                "no merchant: set WEIXIN_MCHID, WEIXIN_MCH_SERIAL, WEIXIN_MCH_KEY_FILE \
                        and WEIXIN_APIV3_KEY (and WEIXIN_PAY_PUBLIC_KEY_ID with \
                        WEIXIN_PAY_PUBLIC_KEY_FILE), or pass --config FILE"
                    .into(),
            );
        };
        let public_key = match (key_id, key_pem) {
            (Some(id), Some(pem)) => Some((id, pem)),
            (None, None) => None,
            _ => {
                return Err(
                    "WEIXIN_PAY_PUBLIC_KEY_ID and WEIXIN_PAY_PUBLIC_KEY_FILE go together".into(),
                );
            }
        };
        let hosts = Account {
            base_url: base_url.or(env("WEIXIN_BASE_URL")).or(file.base_url),
            host_urls,
            ..Account::default()
        };
        Ok(Merchant {
            mchid,
            serial_no,
            key_file,
            apiv3_key,
            public_key,
            base_url: hosts.url_for(HostName(Host::Mch)),
        })
    }

    /// A `PayClient` for the merchant.
    pub fn client(&self) -> Result<PayClient, String> {
        let read = local::read_text;
        let mut builder = PayClient::builder(
            &self.mchid,
            &self.serial_no,
            read(&self.key_file)?,
            &self.apiv3_key,
        )
        .base_url(&self.base_url)
        .timeout(Duration::from_secs(30));
        builder = match &self.public_key {
            Some((id, file)) => builder.public_key(id, read(file)?),
            None => builder.platform_certificates(),
        };
        builder.build().map_err(|e| e.to_string())
    }
}

/// Performs a WeChat Pay call and returns its verified answer as pretty JSON (`{}` for a
/// `204 No Content`).
pub async fn call(
    endpoint: &Endpoint,
    merchant: &Merchant,
    input: &CallInput,
) -> Result<String, String> {
    let prepared = call::prepare(endpoint, input)?;
    let client = merchant.client()?;
    let mut path = endpoint.path.clone();
    for (name, value) in &prepared.path {
        path = path.replace(&format!("{{{name}}}"), &encode_segment(value));
    }
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Auth::Credentials(pairs) = &endpoint.auth {
        for (name, credential) in pairs {
            if *credential == Credential::MchId {
                query.append_pair(name, &merchant.mchid);
            }
        }
    }
    for (name, value) in &prepared.query {
        query.append_pair(name, value);
    }
    let query = query.finish();
    if !query.is_empty() {
        path = format!("{path}?{query}");
    }
    let mut body = prepared.body;
    if let Some(Value::Object(map)) = &mut body {
        for (name, credential) in &endpoint.body_credentials {
            if *credential == Credential::MchId {
                map.insert(name.clone(), Value::String(merchant.mchid.clone()));
            }
        }
    }
    let method = match endpoint.method {
        weixin_codegen::ir::Method::Get => Method::Get,
        weixin_codegen::ir::Method::Post => Method::Post,
        weixin_codegen::ir::Method::Put => Method::Put,
        weixin_codegen::ir::Method::Patch => Method::Patch,
        weixin_codegen::ir::Method::Delete => Method::Delete,
    };
    let value = client
        .call_json(method, &path, body.as_ref())
        .await
        .map_err(|e| e.to_string())?;
    Ok(serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string()))
}

/// Percent-encodes a path segment (everything but `A-Z a-z 0-9 - . _ ~`).
fn encode_segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded() {
        assert_eq!(encode_segment("T_1-a.b~"), "T_1-a.b~");
        assert_eq!(encode_segment("a|b c/d"), "a%7Cb%20c%2Fd");
    }
}
