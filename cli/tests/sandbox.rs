//! The sandbox over real loopback HTTP: token enforcement, WeChat's errcodes for bad requests,
//! fault injection driving the client's refresh and retry, media round trips, hosts.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use support::{APP_ID, APP_SECRET};
use weixin::offiaccount::{self, media::MediaType};
use weixin::runtime::Retry;
use weixin::{Host, Method, Upload};
use weixin_cli::sandbox::{Faults, HostName, SandboxConfig};

fn errcode(v: &Value) -> i64 {
    v["errcode"].as_i64().unwrap_or(0)
}

#[tokio::test]
async fn tokens_are_enforced_missing_unknown_expired() {
    let sandbox = support::sandbox(|c| c.token_ttl = Duration::from_millis(400)).await;
    let info = format!("{}/cgi-bin/user/info?openid=o_1", sandbox.url());
    let missing = support::get_json(&info).await;
    assert_eq!(errcode(&missing), 41001, "{missing}");
    assert!(missing["errmsg"].as_str().unwrap().contains(" rid: "));
    let unknown = support::get_json(&format!("{info}&access_token=NOT_ISSUED")).await;
    assert_eq!(errcode(&unknown), 40001, "{unknown}");

    let token = support::stable_token(&sandbox).await;
    let ok = support::get_json(&format!("{info}&access_token={token}")).await;
    assert_eq!(errcode(&ok), 0, "{ok}");
    assert_eq!(ok["openid"], "o_1", "the requested openid is echoed");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let expired = support::get_json(&format!("{info}&access_token={token}")).await;
    assert_eq!(errcode(&expired), 42001, "{expired}");
    assert_ne!(
        support::stable_token(&sandbox).await,
        token,
        "a new token after expiry"
    );
}

#[tokio::test]
async fn stable_token_is_reused_force_refresh_revokes_classic_overlaps() {
    let sandbox = support::sandbox(|_| {}).await;
    let a = support::stable_token(&sandbox).await;
    assert_eq!(support::stable_token(&sandbox).await, a);
    let body = format!(
        r#"{{"grant_type":"client_credential","appid":"{APP_ID}","secret":"{APP_SECRET}","force_refresh":true}}"#
    );
    let forced =
        support::post_text(&format!("{}/cgi-bin/stable_token", sandbox.url()), &body).await;
    let b = forced["access_token"].as_str().unwrap();
    assert_ne!(a, b);
    let ip = |t: &str| {
        format!(
            "{}/cgi-bin/get_api_domain_ip?access_token={t}",
            sandbox.url()
        )
    };
    assert_eq!(errcode(&support::get_json(&ip(&a)).await), 40001);
    assert_eq!(errcode(&support::get_json(&ip(b)).await), 0);

    let classic = format!(
        "{}/cgi-bin/token?grant_type=client_credential&appid={APP_ID}&secret={APP_SECRET}",
        sandbox.url()
    );
    let c1 = support::get_json(&classic).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let c2 = support::get_json(&classic).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(c1, c2);
    assert_eq!(
        errcode(&support::get_json(&ip(&c1)).await),
        0,
        "the old one overlaps"
    );
    let no_grant = format!(
        "{}/cgi-bin/token?appid={APP_ID}&secret={APP_SECRET}",
        sandbox.url()
    );
    assert_eq!(errcode(&support::get_json(&no_grant).await), 40002);
}

#[tokio::test]
async fn configured_accounts_refuse_others() {
    let sandbox = support::sandbox(|c| {
        c.apps = BTreeMap::from([(APP_ID.to_owned(), APP_SECRET.to_owned())]);
    })
    .await;
    let url = format!("{}/cgi-bin/stable_token", sandbox.url());
    let wrong_app = support::post_text(
        &url,
        r#"{"grant_type":"client_credential","appid":"wx_other","secret":"x"}"#,
    )
    .await;
    assert_eq!(errcode(&wrong_app), 40013);
    let wrong_secret = support::post_text(
        &url,
        &format!(r#"{{"grant_type":"client_credential","appid":"{APP_ID}","secret":"nope"}}"#),
    )
    .await;
    assert_eq!(errcode(&wrong_secret), 40125);
    let classic = format!(
        "{}/cgi-bin/token?grant_type=client_credential&appid={APP_ID}&secret=nope",
        sandbox.url()
    );
    assert_eq!(errcode(&support::get_json(&classic).await), 40001);
    assert!(!support::stable_token(&sandbox).await.is_empty());
}

#[tokio::test]
async fn bad_requests_get_wechat_errcodes_naming_the_field() {
    let sandbox = support::sandbox(|_| {}).await;
    let token = support::stable_token(&sandbox).await;
    let at = |path: &str| format!("{}{path}?access_token={token}", sandbox.url());
    let no_openid = support::get_json(&at("/cgi-bin/user/info")).await;
    assert_eq!(errcode(&no_openid), 41009, "{no_openid}");
    assert!(no_openid["errmsg"].as_str().unwrap().contains("openid"));

    let remark = at("/cgi-bin/user/info/updateremark");
    let empty = support::http()
        .post(&remark)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(errcode(&empty), 44002, "{empty}");
    assert_eq!(
        errcode(&support::post_text(&remark, "{not json").await),
        47001
    );
    let no_remark = support::post_text(&remark, r#"{"openid":"o_1"}"#).await;
    assert_eq!(errcode(&no_remark), 40097, "{no_remark}");
    assert!(no_remark["errmsg"].as_str().unwrap().contains("remark"));
    let wrong_type = support::post_text(&remark, r#"{"openid":"o_1","remark":5}"#).await;
    assert_eq!(errcode(&wrong_type), 40097, "{wrong_type}");
    let fine = support::post_text(&remark, r#"{"openid":"o_1","remark":"friend"}"#).await;
    assert_eq!(errcode(&fine), 0, "{fine}");

    let get_on_post = support::get_json(&remark).await;
    assert_eq!(errcode(&get_on_post), 43002);
    let unknown = support::http()
        .get(at("/cgi-bin/no/such/api"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn a_40001_fault_drives_one_refresh_and_one_resend() {
    let sandbox = support::sandbox(|c| {
        c.faults = Faults {
            rate_40001: 1.0,
            seed: Some(7),
            ..Faults::default()
        }
    })
    .await;
    let client = support::client(&sandbox);
    let err = client
        .call_json(Method::Get, "/cgi-bin/get_api_domain_ip", None)
        .await
        .expect_err("every call gets 40001");
    assert_eq!(err.api_code().map(|c| c.get()), Some(40001));
    assert_eq!(
        sandbox.count("/cgi-bin/get_api_domain_ip"),
        2,
        "sent, then resent once"
    );
    assert_eq!(
        sandbox.count("/cgi-bin/stable_token"),
        2,
        "fetched, then refreshed once"
    );
}

#[tokio::test]
async fn expired_tokens_are_refreshed_by_the_client_and_the_call_succeeds() {
    let sandbox = support::sandbox(|_| {}).await;
    let mp: offiaccount::Client = support::client(&sandbox).into();
    mp.basic().api_domain_ip().await.expect("first call");
    sandbox.expire_tokens();
    mp.basic()
        .api_domain_ip()
        .await
        .expect("42001, refresh, resend");
    let codes: Vec<Option<i64>> = sandbox
        .journal()
        .iter()
        .filter(|e| e.path == "/cgi-bin/get_api_domain_ip")
        .map(|e| e.errcode)
        .collect();
    assert_eq!(codes, vec![Some(0), Some(42001), Some(0)]);
    assert_eq!(sandbox.count("/cgi-bin/stable_token"), 2);
}

#[tokio::test]
async fn a_5xx_fault_is_retried_for_safe_calls_only() {
    let sandbox = support::sandbox(|_| {}).await;
    let client = support::client(&sandbox);
    client
        .access_token()
        .await
        .expect("a token before the faults start");
    sandbox
        .set_faults(Faults {
            rate_5xx: 1.0,
            ..Faults::default()
        })
        .unwrap();
    let safe = client
        .call_json_with(
            Host::Api,
            Method::Get,
            "/cgi-bin/get_api_domain_ip",
            &[],
            None,
            Retry::Safe,
        )
        .await
        .expect_err("503 every time");
    assert!(safe.to_string().contains("503"), "{safe}");
    assert_eq!(
        sandbox.count("/cgi-bin/get_api_domain_ip"),
        3,
        "a safe call: sent three times"
    );

    let body = json!({"touser": "o_1", "msgtype": "text", "text": {"content": "hi"}});
    let never = client
        .call_json(Method::Post, "/cgi-bin/message/custom/send", Some(&body))
        .await
        .expect_err("503");
    assert!(never.to_string().contains("503"), "{never}");
    assert_eq!(
        sandbox.count("/cgi-bin/message/custom/send"),
        1,
        "never resent"
    );

    sandbox.set_faults(Faults::default()).unwrap();
    client
        .call_json(Method::Post, "/cgi-bin/message/custom/send", Some(&body))
        .await
        .expect("no more faults");
}

#[tokio::test]
async fn faults_are_deterministic_with_a_seed() {
    let run = || async {
        let sandbox = support::sandbox(|c| {
            c.faults = Faults {
                rate_busy: 0.3,
                rate_45009: 0.2,
                seed: Some(2024),
                ..Faults::default()
            }
        })
        .await;
        let url = format!("{}/cgi-bin/stable_token", sandbox.url());
        let body = format!(
            r#"{{"grant_type":"client_credential","appid":"{APP_ID}","secret":"{APP_SECRET}"}}"#
        );
        let mut codes = Vec::new();
        for _ in 0..30 {
            codes.push(errcode(&support::post_text(&url, &body).await));
        }
        codes
    };
    let (a, b) = (run().await, run().await);
    assert_eq!(a, b);
    assert!(
        a.contains(&-1) && a.contains(&45009) && a.contains(&0),
        "{a:?}"
    );
}

#[tokio::test]
async fn latency_is_added() {
    let sandbox = support::sandbox(|c| c.faults.latency = Duration::from_millis(150)).await;
    let started = std::time::Instant::now();
    support::stable_token(&sandbox).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn uploads_are_stored_and_downloaded_byte_for_byte() {
    let sandbox = support::sandbox(|_| {}).await;
    let mp: offiaccount::Client = support::client(&sandbox).into();
    let bytes: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 256) as u8).collect();
    let uploaded = mp
        .media()
        .upload(
            MediaType::Image,
            Upload::from_bytes("cat.png", bytes.clone()),
        )
        .await
        .expect("upload");
    let id = uploaded.media_id.expect("a media id");
    let got = mp.media().get(&id).await.expect("download");
    assert_eq!(got.bytes().as_ref(), bytes.as_slice());
    assert_eq!(got.content_type(), Some("image/png"));
    assert_eq!(got.file_name(), Some("cat.png"));

    let url_answer = mp
        .media()
        .upload_image(Upload::from_bytes("fig.png", bytes.clone()))
        .await
        .expect("uploadimg");
    let served = support::http()
        .get(&url_answer.url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        served.as_ref(),
        bytes.as_slice(),
        "the returned url serves the file"
    );

    let unknown = mp
        .media()
        .get("never-uploaded")
        .await
        .expect_err("unknown id");
    assert_eq!(unknown.api_code().map(|c| c.get()), Some(40007));
}

#[tokio::test]
async fn binary_examples_are_real_images() {
    let sandbox = support::sandbox(|_| {}).await;
    let mp: offiaccount::Client = support::client(&sandbox).into();
    let ir = weixin_cli::spec::embedded();
    let show = ir
        .endpoints()
        .find(|e| e.id == "show_qrcode")
        .expect("in the spec");
    let ticket = show.examples[0].query["ticket"]
        .as_str()
        .unwrap()
        .to_owned();
    let image = mp.qrcode().show(&ticket).await.expect("an image");
    assert!(image.bytes().starts_with(&[0xff, 0xd8]) && image.bytes().ends_with(&[0xff, 0xd9]));
}

#[tokio::test]
async fn hosts_by_prefix_and_by_listener() {
    let sandbox = support::sandbox(|c| {
        c.host_listeners.insert(
            HostName(weixin_codegen::ir::Host::Qyapi),
            "127.0.0.1:0".parse().unwrap(),
        );
    })
    .await;
    let via_listener = format!(
        "{}/cgi-bin/gettoken?corpid=ww1&corpsecret=s",
        sandbox.url_for(HostName(weixin_codegen::ir::Host::Qyapi))
    );
    let a = support::get_json(&via_listener).await;
    assert_eq!(errcode(&a), 0, "{a}");
    let via_prefix = format!(
        "{}/_host/qyapi/cgi-bin/gettoken?corpid=ww1&corpsecret=s",
        sandbox.url()
    );
    let b = support::get_json(&via_prefix).await;
    assert_eq!(
        a["access_token"], b["access_token"],
        "one token per (corpid, secret)"
    );
    let other_secret = format!(
        "{}/_host/qyapi/cgi-bin/gettoken?corpid=ww1&corpsecret=t",
        sandbox.url()
    );
    assert_ne!(
        support::get_json(&other_secret).await["access_token"],
        a["access_token"]
    );
    let missing =
        support::get_json(&format!("{}/cgi-bin/gettoken?corpid=ww1", sandbox.url())).await;
    assert_eq!(errcode(&missing), 41004);
    let wrong_host = support::http()
        .get(format!(
            "{}/_host/mch/cgi-bin/gettoken?corpid=ww1&corpsecret=s",
            sandbox.url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_host.status(), 404);
}

/// A token works only on the product it was issued for: a WeCom token on an Official Account
/// path is 40001, an app token on a WeCom path is WeCom's 40014.
#[tokio::test]
async fn tokens_are_bound_to_their_product() {
    let sandbox = support::sandbox(|_| {}).await;
    let wecom = support::get_json(&format!(
        "{}/_host/qyapi/cgi-bin/gettoken?corpid=ww1&corpsecret=s",
        sandbox.url()
    ))
    .await;
    let wecom = wecom["access_token"].as_str().expect("a WeCom token");
    let app = support::stable_token(&sandbox).await;
    let oa_path = |token: &str| {
        format!(
            "{}/cgi-bin/user/info?openid=o_1&access_token={token}",
            sandbox.url()
        )
    };
    let wecom_path = |token: &str| {
        format!(
            "{}/_host/qyapi/cgi-bin/user/get?userid=zhangsan&access_token={token}",
            sandbox.url()
        )
    };
    assert_eq!(errcode(&support::get_json(&oa_path(wecom)).await), 40001);
    assert_eq!(errcode(&support::get_json(&oa_path(&app)).await), 0);
    assert_eq!(errcode(&support::get_json(&wecom_path(&app)).await), 40014);
    assert_eq!(errcode(&support::get_json(&wecom_path(wecom)).await), 0);
}

#[tokio::test]
async fn control_api_forces_examples_and_lists_endpoints() {
    let sandbox = support::sandbox(|_| {}).await;
    let overview = support::get_json(&format!("{}/_sandbox", sandbox.url())).await;
    let count = weixin_cli::spec::embedded().endpoints().count();
    assert_eq!(overview["endpoints"].as_array().map(Vec::len), Some(count));
    let put = support::http()
        .put(format!("{}/_sandbox/examples/get_user_info", sandbox.url()))
        .json(&json!({"example": "invalid_openid"}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let token = support::stable_token(&sandbox).await;
    let info = format!(
        "{}/cgi-bin/user/info?openid=o_1&access_token={token}",
        sandbox.url()
    );
    assert_eq!(errcode(&support::get_json(&info).await), 40003);
    let by_header = support::http()
        .get(&info)
        .header("x-weixin-sandbox-example", "not_subscribed")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(by_header["subscribe"], 0);
    support::http()
        .delete(format!("{}/_sandbox/examples/get_user_info", sandbox.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(errcode(&support::get_json(&info).await), 0);
    let bad = support::http()
        .put(format!("{}/_sandbox/examples/get_user_info", sandbox.url()))
        .json(&json!({"example": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 404);
    let journal = support::get_json(&format!("{}/_sandbox/journal", sandbox.url())).await;
    assert!(journal.as_array().is_some_and(|j| j.len() >= 4));
    assert!(
        !journal.to_string().contains(&token),
        "the journal never holds a token"
    );
}

#[tokio::test]
async fn config_defaults_are_loopback_and_two_hours() {
    let c = SandboxConfig::embedded();
    assert!(c.listen.ip().is_loopback());
    assert_eq!(c.token_ttl, Duration::from_secs(7200));
}
