//! Snapshot tests: rendered code of the valid fixtures and of the real spec, diagnostics of the
//! invalid fixtures. Review changes with `cargo insta review`.

use std::path::Path;

use weixin_codegen::{Options, concat_for_snapshot, load, lower, render};

#[test]
fn valid_fixtures_render() {
    insta::glob!("fixtures/valid/*", |dir| {
        let ir = load(dir)
            .and_then(lower)
            .unwrap_or_else(|d| panic!("fixture must be valid:\n{}", d.render_plain()));
        insta::assert_snapshot!(concat_for_snapshot(&render(&ir, &Options::default())));
    });
}

#[test]
fn invalid_fixtures_diagnostics() {
    insta::glob!("fixtures/invalid/*", |dir| {
        let err = load(dir)
            .and_then(lower)
            .expect_err("fixture must be invalid");
        assert!(!err.is_empty());
        insta::assert_snapshot!(err.render_plain());
    });
}

#[test]
fn rendering_is_deterministic() {
    for dir in [
        Path::new("../spec"),
        Path::new("tests/fixtures/valid/tagged_union_under_tag"),
    ] {
        let a = render(
            &lower(load(dir).expect("loads")).expect("lowers"),
            &Options::default(),
        );
        let b = render(
            &lower(load(dir).expect("loads")).expect("lowers"),
            &Options::default(),
        );
        assert_eq!(a, b, "{}", dir.display());
    }
}

#[test]
fn real_spec_modules() {
    let ir = load(Path::new("../spec"))
        .and_then(lower)
        .unwrap_or_else(|d| panic!("spec/ is invalid:\n{}", d.render_plain()));
    for file in render(&ir, &Options::default()) {
        let name = file
            .path
            .replace('/', "__")
            .trim_end_matches(".rs")
            .to_owned();
        insta::assert_snapshot!(format!("spec__{name}"), file.contents);
    }
}

#[test]
fn runtime_path_and_examples_options() {
    let ir = lower(load(Path::new("tests/fixtures/valid/ack_response")).expect("loads"))
        .expect("lowers");
    let opts = Options {
        runtime_path: "crate::rt".into(),
        examples: false,
        ..Options::default()
    };
    let files = render(&ir, &opts);
    assert!(files.iter().all(|f| f.path != "__examples.rs"));
    let group = files
        .iter()
        .find(|f| f.path == "mp/g.rs")
        .expect("group file");
    assert!(
        group
            .contents
            .contains("impl crate::rt::Endpoint for DeleteThing"),
        "{}",
        group.contents
    );
    assert!(!files.iter().any(|f| f.contents.contains("weixin_runtime")));
}

#[test]
fn user_crate_options() {
    let opts = Options::for_user_crate("::weixin::runtime");
    assert_eq!(
        (
            opts.runtime_path.as_str(),
            opts.examples,
            opts.features,
            opts.clients
        ),
        ("::weixin::runtime", false, false, false)
    );
    let defaults = Options::default();
    assert!(defaults.examples && defaults.features && defaults.clients);

    // closed_enum has request-only and response-only types, whose other serde impls are
    // normally gated behind `__examples`.
    let ir =
        lower(load(Path::new("tests/fixtures/valid/closed_enum")).expect("loads")).expect("lowers");
    let files = render(&ir, &opts);
    let all = concat_for_snapshot(&files);
    assert!(files.iter().all(|f| f.path != "__examples.rs"));
    for absent in [
        "cfg(feature",
        "cfg_attr(feature",
        "__examples",
        "pub struct Client",
        "weixin_runtime",
        "accessor",
    ] {
        assert!(!all.contains(absent), "`{absent}` in:\n{all}");
    }
    assert!(all.contains("pub fn new(client: &'a ::weixin::runtime::Client)"));
    insta::assert_snapshot!("user_crate_closed_enum", all);
}

#[test]
fn features_and_clients_toggle_independently() {
    let ir = lower(load(Path::new("tests/fixtures/valid/product_types")).expect("loads"))
        .expect("lowers");
    let no_features = concat_for_snapshot(&render(
        &ir,
        &Options {
            features: false,
            ..Options::default()
        },
    ));
    assert!(!no_features.contains("#[cfg(feature = \"mp-g\")]"));
    assert!(!no_features.contains("#[cfg(any("));
    assert!(no_features.contains("pub struct Client"));
    let no_clients = concat_for_snapshot(&render(
        &ir,
        &Options {
            clients: false,
            ..Options::default()
        },
    ));
    assert!(no_clients.contains("#[cfg(feature = \"mp-g\")]"));
    assert!(!no_clients.contains("pub struct Client"));
    assert!(no_clients.contains("Create one with [`Api::new`]"));
}

#[test]
fn fixed_values_in_ir() {
    let ir =
        lower(load(Path::new("tests/fixtures/valid/fixed_value")).expect("loads")).expect("lowers");
    let ep = ir
        .endpoints()
        .find(|e| e.id == "get_stable_token")
        .expect("endpoint");
    let fixed: Vec<(&str, serde_json::Value, String)> = ep
        .fields
        .iter()
        .filter_map(|f| Some((f.wire.as_str(), f.fixed_json()?, f.fixed_text()?)))
        .collect();
    assert_eq!(
        fixed,
        vec![
            (
                "grant_type",
                serde_json::json!("client_credential"),
                "client_credential".into()
            ),
            ("type", serde_json::json!(-1), "-1".into()),
            ("force_refresh", serde_json::json!(1), "1".into()),
            ("level", serde_json::json!("3"), "3".into()),
        ]
    );
    assert!(ep.fields.iter().all(|f| f.value.is_none() || f.required));
}

#[test]
fn features_table() {
    let ir = lower(load(Path::new("tests/fixtures/valid/product_types")).expect("loads"))
        .expect("lowers");
    let f = weixin_codegen::features(&ir);
    assert_eq!(f["mp"], vec!["mp-g".to_owned()]);
    assert_eq!(f["full"], vec!["mp".to_owned()]);
    assert!(f["mp-g"].is_empty());
    assert_eq!(
        f["__examples"],
        vec!["weixin-runtime/__examples".to_owned()]
    );
}

#[test]
fn ir_exposes_examples() {
    let ir = lower(load(Path::new("tests/fixtures/valid/multipart_upload")).expect("loads"))
        .expect("lowers");
    let ep = ir.endpoints().next().expect("one endpoint");
    assert_eq!(
        (ep.product.as_str(), ep.group.as_str(), ep.id.as_str()),
        ("mp", "g", "upload_media")
    );
    let ex = &ep.examples[0];
    assert_eq!(
        ex.input(),
        serde_json::json!({"type": "image", "media": {"file_name": "a.jpg", "content_type": "image/jpeg", "size": 1024}})
    );
}

#[test]
fn missing_spec_dir_is_a_diagnostic() {
    let err = load(Path::new("tests/fixtures/does-not-exist")).expect_err("no such dir");
    assert!(err.render_plain().contains("spec directory not found"));
}

#[test]
fn push_ir_is_exposed() {
    let ir = lower(load(Path::new("tests/fixtures/valid/push")).expect("loads")).expect("lowers");
    let push = ir.push().expect("the fixture has push/");
    let names: Vec<&str> = push.messages.iter().map(|m| m.rust.as_str()).collect();
    assert_eq!(
        names,
        [
            "ComponentVerifyTicket",
            "ContactChange",
            "ContactCreateUser",
            "Location",
            "PicSysPhoto",
            "ScanCodePush",
            "Text"
        ]
    );
    let create = &push.messages[2];
    assert_eq!(
        create.matches,
        [
            ("ChangeType".to_owned(), "create_user".to_owned()),
            ("Event".to_owned(), "change_contact".to_owned()),
            ("MsgType".to_owned(), "event".to_owned()),
        ]
    );
    assert!(matches!(
        &create.examples[0].body,
        weixin_codegen::ir::push::PushBody::Json(_)
    ));
    let location = &push.messages[3];
    let rust: Vec<&str> = location.fields.iter().map(|f| f.rust.as_str()).collect();
    assert_eq!(rust, ["location_x", "precise", "tags"]);
    let news = push
        .replies
        .iter()
        .find(|r| r.rust == "News")
        .expect("News");
    assert_eq!(news.fields[0].count_of.as_deref(), Some("articles"));
    assert_eq!(news.constructor, None);
    let ctors: Vec<Option<&str>> = push
        .replies
        .iter()
        .map(|r| r.constructor.as_deref())
        .collect();
    assert_eq!(
        ctors,
        [
            None,
            Some("image"),
            None,
            Some("text"),
            Some("transfer_customer_service")
        ]
    );
    let usage: Vec<(&str, bool, bool)> = push
        .types
        .iter()
        .map(|t| (t.name.as_str(), t.in_messages, t.in_replies))
        .collect();
    assert_eq!(
        usage,
        [
            ("Article", false, true),
            ("PicItem", true, false),
            ("ScanCodeInfo", true, false),
            ("SendPicsInfo", true, false),
        ]
    );
    let features = weixin_codegen::features(&ir);
    assert_eq!(features["full"], ["push"]);
    assert!(features["push"].is_empty());
    let no_push = lower(load(Path::new("tests/fixtures/valid/ack_response")).expect("loads"))
        .expect("lowers");
    assert!(no_push.push().is_none());
    assert!(!weixin_codegen::features(&no_push).contains_key("push"));
    assert!(
        render(&no_push, &Options::default())
            .iter()
            .all(|f| f.path != "push.rs")
    );
}
