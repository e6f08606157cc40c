//! Settings: defaults, normalization, validation at each field, the text form, the loopback
//! policy and the settings file.

use super::*;
use crate::error::ErrorCode;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

fn valid() -> Settings {
    Settings {
        zendesk_subdomain: "acme".into(),
        zendesk_email: "admin@acme.com".into(),
        sunshine_app_id: "5e4af71a81966cfff3ef6550".into(),
        sunshine_key_id: "app_5e4af71a81966cfff3ef6551".into(),
        ..Settings::default()
    }
}

fn field_errors(s: &Settings) -> BTreeMap<String, String> {
    let fields = s.validate().unwrap_err().details.unwrap().fields;
    fields.into_iter().map(|(k, v)| (k, v.english())).collect()
}

#[test]
fn defaults_follow_the_product() {
    let d = Settings::default();
    assert_eq!(d.blackout_days, 7);
    assert_eq!(d.default_send_rate, 8);
    assert_eq!(d.sunshine_host, SunshineHost::Zendesk);
    assert!(!d.is_configured());
    d.validate()
        .expect("an empty workspace is valid, just not configured");
    assert!(valid().is_configured());
    valid().validate().unwrap();
}

#[test]
fn pasted_subdomains_are_normalized() {
    for input in [
        "acme",
        " ACME ",
        "https://acme.zendesk.com/",
        "acme.zendesk.com",
        "http://acme.zendesk.com/agent/",
    ] {
        let s = Settings {
            zendesk_subdomain: input.into(),
            ..valid()
        }
        .normalized();
        assert_eq!(s.zendesk_subdomain, "acme", "{input}");
    }
}

#[test]
fn each_bad_field_is_reported_with_what_to_do() {
    let s = Settings {
        zendesk_subdomain: "ac me!".into(),
        zendesk_email: "not-an-email".into(),
        blackout_days: 366,
        default_country: "XX".into(),
        default_send_rate: 0,
        allowed_roles: vec!["owner".into()],
        allowed_groups: vec!["sales".into()],
        sunshine_host: SunshineHost::Custom,
        ..valid()
    };
    let errs = field_errors(&s);
    for field in [
        "zendesk_subdomain",
        "zendesk_email",
        "blackout_days",
        "default_country",
        "default_send_rate",
        "allowed_roles",
        "allowed_groups",
        "sunshine_custom_url",
    ] {
        assert!(
            errs.contains_key(field),
            "{field} must be reported: {errs:?}"
        );
    }
}

#[test]
fn blackout_and_rate_boundaries() {
    for (days, ok) in [(0, true), (7, true), (365, true), (366, false)] {
        let s = Settings {
            blackout_days: days,
            ..valid()
        };
        assert_eq!(s.validate().is_ok(), ok, "blackout {days}");
    }
    for (rate, ok) in [(0, false), (1, true), (1000, true), (1001, false)] {
        let s = Settings {
            default_send_rate: rate,
            ..valid()
        };
        assert_eq!(s.validate().is_ok(), ok, "rate {rate}");
        let mut rates = BTreeMap::new();
        rates.insert("5e4af71a".to_string(), rate);
        let s = Settings {
            send_rates: rates,
            ..valid()
        };
        assert_eq!(s.validate().is_ok(), ok, "per-integration rate {rate}");
    }
}

#[test]
fn custom_urls_only_on_loopback() {
    for (url, ok) in [
        ("http://127.0.0.1:8787/sc", true),
        ("http://localhost:1234", true),
        ("https://[::1]:9/sc", true),
        ("http://127.8.9.10", true),
        ("https://acme.zendesk.com/sc", false),
        ("http://10.0.0.1/sc", false),
        ("http://192.168.1.2", false),
        ("ftp://127.0.0.1", false),
        ("http://user:pw@127.0.0.1", false),
        ("http://127.0.0.1/?x=1", false),
        ("not a url", false),
    ] {
        let s = Settings {
            sunshine_host: SunshineHost::Custom,
            sunshine_custom_url: url.into(),
            zendesk_custom_url: url.into(),
            ..valid()
        };
        let res = s.validate();
        assert_eq!(res.is_ok(), ok, "{url}: {res:?}");
        if !ok {
            let errs = field_errors(&s);
            assert!(
                errs.contains_key("sunshine_custom_url") && errs.contains_key("zendesk_custom_url")
            );
        }
    }
}

#[test]
fn a_stored_custom_url_is_checked_whatever_the_host() {
    let s = Settings {
        sunshine_host: SunshineHost::Zendesk,
        sunshine_custom_url: "https://evil.example.com".into(),
        ..valid()
    };
    assert!(field_errors(&s).contains_key("sunshine_custom_url"));
}

#[test]
fn countries_are_iso_codes_known_to_phonenumber() {
    for (c, ok) in [
        ("FR", true),
        ("us", true),
        ("BR", true),
        ("", true),
        ("XX", false),
        ("FRA", false),
    ] {
        let s = Settings {
            default_country: c.into(),
            ..valid()
        }
        .normalized();
        assert_eq!(s.validate().is_ok(), ok, "{c}");
    }
}

#[test]
fn map_round_trip_and_unknown_keys() {
    let s = Settings {
        allowed_roles: vec!["admin".into(), "123".into()],
        allowed_groups: vec!["42".into()],
        ..valid()
    };
    let mut map = s.to_map();
    map.insert("from_a_newer_version".into(), Value::from(1));
    map.insert("blackout_days".into(), Value::Null);
    let back = Settings::from_map(&map).unwrap();
    assert_eq!(back.blackout_days, 7, "null takes the default");
    assert_eq!(
        Settings {
            blackout_days: 7,
            ..back.clone()
        },
        Settings {
            blackout_days: 7,
            ..s
        }
    );
    let mut broken = Map::new();
    broken.insert("blackout_days".into(), Value::from("many"));
    let err = Settings::from_map(&broken).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
}

#[test]
fn no_key_of_the_settings_file_names_a_secret() {
    for k in Settings::keys() {
        assert!(!SECRET_KEYS.contains(&k.as_str()), "{k}");
        assert!(
            !k.contains("secret") && !k.contains("token") && !k.contains("password"),
            "{k}"
        );
    }
}

#[test]
fn with_key_parses_by_type_and_refuses_secrets_and_unknowns() {
    let s = valid();
    assert_eq!(s.with_key("blackout_days", "14").unwrap().blackout_days, 14);
    assert!(s.with_key("first_run_done", "yes").unwrap().first_run_done);
    assert_eq!(
        s.with_key("allowed_roles", "admin, agent,admin")
            .unwrap()
            .allowed_roles,
        vec!["admin", "agent"]
    );
    let rates = s
        .with_key("send_rates", "abc123=80, def456=1000")
        .unwrap()
        .send_rates;
    assert_eq!(rates.get("abc123"), Some(&80));
    assert_eq!(
        s.with_key("sunshine_host", "eu").unwrap().sunshine_host,
        SunshineHost::Eu
    );
    for (k, v) in [
        ("zendesk_api_token", "x"),
        ("nope", "1"),
        ("blackout_days", "-1"),
        ("blackout_days", "400"),
        ("sunshine_host", "mars"),
        ("send_rates", "abc"),
        ("first_run_done", "maybe"),
    ] {
        let err = s.with_key(k, v).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput, "{k}={v}");
    }
    assert!(s
        .with_key("zendesk_api_token", "x")
        .unwrap_err()
        .message
        .contains("keychain"));
}

#[test]
fn json_file_backend_round_trip_and_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("settings.json");
    let b = JsonFileBackend::new(&path);
    assert!(
        b.load().unwrap().is_empty(),
        "a missing file is an empty workspace"
    );
    b.save(&valid().to_map()).unwrap();
    assert_eq!(Settings::from_map(&b.load().unwrap()).unwrap(), valid());
    std::fs::write(&path, "[1,2]").unwrap();
    let err = b.load().unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert!(err.message.contains("not a JSON object"));
}

#[test]
fn the_update_address_is_https_without_credentials() {
    let ok = |u: &str| check_update_url(u).map(|_| ()).map_err(|t| t.key);
    assert_eq!(ok("https://updates.example.com/relay/latest.json"), Ok(()));
    assert_eq!(
        ok("ftp://updates.example.com/latest.json").unwrap_err(),
        "url.update_not_https"
    );
    assert_eq!(
        ok("http://updates.example.com/latest.json").unwrap_err(),
        "url.update_not_https"
    );
    assert_eq!(
        ok("https://me:pw@updates.example.com/latest.json").unwrap_err(),
        "url.credentials"
    );
    assert_eq!(ok("latest.json").unwrap_err(), "url.not_a_url");
    // Debug builds (the tests) accept a loopback server; release builds never plain http.
    assert_eq!(
        ok("http://127.0.0.1:9/latest.json").is_ok(),
        cfg!(debug_assertions)
    );
    let mut s = valid();
    s.update_url = "http://updates.example.com/latest.json".into();
    let err = s.validate().unwrap_err();
    assert!(err.details.unwrap().fields.contains_key("update_url"));
}
