//! The real OS keychain (Secret Service on Linux), through the core and through the CLI.
//! Runs under `./x test`, which provides a private D-Bus session with an unlocked GNOME Keyring.

use crate::common;

use common::{connect, forget_secrets, relay, sandbox};
use relay_core::secrets::{KeyringStore, SecretKind, Secrets};
use std::process::Output;
use std::sync::Arc;

#[test]
fn keyring_store_round_trip_in_the_secret_service() {
    let ws = format!("test{}", std::process::id());
    let secrets = Secrets::new(Arc::new(KeyringStore), ws.clone());
    let value = "keychain-roundtrip-Value-42";
    secrets
        .set(SecretKind::SunshineKeySecret, value)
        .expect("the Secret Service must accept the secret");
    assert_eq!(
        secrets
            .get(SecretKind::SunshineKeySecret)
            .unwrap()
            .as_deref(),
        Some(value)
    );
    assert!(common::secret_service_dump().contains(&format!("{ws}:sunshine_key_secret")));
    // Another handle (as another process would) reads the same entry.
    let again = Secrets::new(Arc::new(KeyringStore), ws);
    assert!(again.status().unwrap().sunshine_key_secret);
    secrets.clear(SecretKind::SunshineKeySecret).unwrap();
    assert_eq!(again.get(SecretKind::SunshineKeySecret).unwrap(), None);
}

#[test]
fn cli_secrets_come_from_stdin_only_and_never_reach_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let secret = "cliSecretFromStdin0987654321";

    // A secret on the command line is refused, and nothing is written.
    let out = relay(
        &data,
        &["settings", "set", "zendesk_api_token", secret],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("set-secret"));

    let out = relay(
        &data,
        &["settings", "set-secret", "zendesk_api_token"],
        Some(&format!("{secret}\n")),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains(secret));

    let out = relay(&data, &["settings", "show", "--json"], None);
    assert!(out.status.success());
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["secrets"]["zendesk_api_token"], true);
    assert_eq!(shown["secrets"]["sunshine_key_secret"], false);
    assert!(!String::from_utf8_lossy(&out.stdout).contains(secret));

    // The base64 keyId:secret token: key id to settings, secret to the keychain.
    let sc_secret = "scSecretPart-abcdef123456";
    let token = base64_encode(&format!("app_cli123:{sc_secret}"));
    let out = relay(
        &data,
        &["settings", "set-secret", "sunshine_token"],
        Some(&token),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = relay(&data, &["settings", "show", "--json"], None);
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["settings"]["sunshine_key_id"], "app_cli123");
    assert_eq!(shown["secrets"]["sunshine_key_secret"], true);

    // Nothing secret in the data folder: database, settings file, logs.
    common::assert_secret_absent(&data, secret);
    common::assert_secret_absent(&data, sc_secret);
    common::assert_secret_absent(&data, &token);

    let out = relay(
        &data,
        &["settings", "clear-secret", "zendesk_api_token"],
        None,
    );
    assert!(out.status.success());
    let out = relay(&data, &["settings", "show", "--json"], None);
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["secrets"]["zendesk_api_token"], false);
    relay(
        &data,
        &["settings", "clear-secret", "sunshine_key_secret"],
        None,
    );
}

fn base64_encode(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn setup_sandbox_connects_the_workspace_with_secrets_in_the_keychain() {
    let (mut child, info) = sandbox(&["--users", "100"]);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = relay(
        &data,
        &["setup", "--sandbox", info["base_url"].as_str().unwrap()],
        None,
    );
    let shown = relay(&data, &["settings", "show", "--json"], None);
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["configured"], true);
    assert_eq!(shown["settings"]["zendesk_custom_url"], info["base_url"]);
    assert_eq!(shown["settings"]["sunshine_host"], "custom");
    common::assert_secret_absent(&data, info["zendesk_token"].as_str().unwrap());
    common::assert_secret_absent(&data, info["key_secret"].as_str().unwrap());
    forget_secrets(&data);
}

#[test]
fn cli_template_submit_then_sync_sees_meta_review() {
    let (mut child, info) = sandbox(&["--users", "50", "--approve-after", "1"]);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    connect(&data, &info);
    let file = tmp.path().join("delivery_notice.json");
    std::fs::write(
        &file,
        r#"{"name": "delivery_notice", "language": "en_US", "body": "Hi {{Ann}}, your parcel arrives today.",
            "integrations": ["5f1e0c3a9b8d7e6f5a4b3c31"]}"#,
    )
    .unwrap();
    // A file is saved, then submitted to the integration it names plus an SMS one.
    let out = relay(
        &data,
        &[
            "template",
            "submit",
            file.to_str().unwrap(),
            "--integration",
            "5f1e0c3a9b8d7e6f5a4b3c31",
            "--integration",
            "5f1e0c3a9b8d7e6f5a4b3c33",
        ],
        None,
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    std::thread::sleep(std::time::Duration::from_millis(1300));
    let synced = relay(&data, &["--json", "template", "list", "--sync"], None);
    let again = relay(&data, &["template", "submit", "delivery_notice"], None);
    let unknown = relay(
        &data,
        &[
            "template",
            "submit",
            "delivery_notice",
            "--integration",
            "nope",
        ],
        None,
    );
    let _ = child.kill();
    let _ = child.wait();
    assert!(out.status.success(), "{err}");
    assert!(text.contains("PENDING") && text.contains("READY"), "{text}");
    assert!(text.contains("template list --sync"), "{text}");
    let lib: serde_json::Value = serde_json::from_slice(&synced.stdout).unwrap();
    let states = lib["local"][0]["states"].as_array().unwrap();
    let status = |id: &str| {
        states
            .iter()
            .find(|s| s["integration_id"] == id)
            .map(|s| s["status"].as_str().unwrap().to_string())
    };
    assert_eq!(
        status("5f1e0c3a9b8d7e6f5a4b3c31").as_deref(),
        Some("APPROVED")
    );
    assert_eq!(status("5f1e0c3a9b8d7e6f5a4b3c33").as_deref(), Some("READY"));
    assert!(lib["remote"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["name"] == "order_shipped"));
    // Submitted again: every translation is already there (Meta would refuse the name), said
    // before asking Meta, nothing changed.
    assert_eq!(again.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already submitted to these integrations"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(unknown.status.code(), Some(2));
    common::assert_secret_absent(&data, info["key_secret"].as_str().unwrap());
    forget_secrets(&data);
}

#[test]
fn cli_audience_count_fetch_map_and_suppress() {
    let (mut child, info) = sandbox(&["--users", "400"]);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    connect(&data, &info);
    let json = |out: &Output| -> serde_json::Value {
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
            panic!(
                "not JSON: {} {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    };
    let count = relay(
        &data,
        &["--json", "audience", "count", "role:end-user"],
        None,
    );
    let bad = relay(&data, &["audience", "fetch", "created>someday"], None);
    let plain = relay(
        &data,
        &["--json", "audience", "fetch", "role:end-user"],
        None,
    );
    let file = tmp.path().join("t.json");
    std::fs::write(
        &file,
        r#"{"name": "plan_notice", "language": "en_US", "body": "Hi {{Ann}}, your {{Gold}} plan renews.",
            "integrations": ["5f1e0c3a9b8d7e6f5a4b3c31"]}"#,
    )
    .unwrap();
    relay(&data, &["template", "save", file.to_str().unwrap()], None);
    let wa = "5f1e0c3a9b8d7e6f5a4b3c31";
    let unmapped = relay(
        &data,
        &[
            "audience",
            "fetch",
            "role:end-user",
            "--template",
            "plan_notice",
            "--integration",
            wa,
            "--map",
            "Ann=field:first_name",
        ],
        None,
    );
    let mapped = relay(
        &data,
        &[
            "--json",
            "audience",
            "fetch",
            "role:end-user",
            "--template",
            "plan_notice",
            "--integration",
            wa,
            "--map",
            "Ann=field:first_name",
            "--map",
            "2=field:plan",
        ],
        None,
    );
    let csv = tmp.path().join("optout.csv");
    std::fs::write(&csv, "phone,why\n+33612345678,asked\nnot a number,x\n").unwrap();
    let added = relay(
        &data,
        &["suppress", "add", "+14155550100", "--note", "by phone"],
        None,
    );
    let imported = relay(&data, &["suppress", "import", csv.to_str().unwrap()], None);
    let listed = relay(&data, &["--json", "suppress", "list"], None);
    let removed = relay(&data, &["suppress", "remove", "+14155550100"], None);
    let after = relay(&data, &["--json", "suppress", "list"], None);
    let refused = relay(&data, &["suppress", "add", "12"], None);
    // A letter typed for a digit: refused, never read as a keypad digit, nothing added.
    let typo = relay(&data, &["suppress", "add", "+33 6 12 34 56 7O"], None);
    let after_typo = relay(&data, &["--json", "suppress", "list"], None);
    let suspects = relay(&data, &["suppress", "list", "--suspect"], None);
    // The members left out for their number, with why; a reason that is not one is refused.
    let audience = json(&plain)["id"].as_str().unwrap().to_string();
    let invalid = relay(
        &data,
        &[
            "audience",
            "members",
            &audience,
            "--reason",
            "invalid_phone",
            "--limit",
            "400",
        ],
        None,
    );
    let landlines = relay(
        &data,
        &[
            "--json",
            "audience",
            "members",
            &audience,
            "--reason",
            "cannot_receive",
        ],
        None,
    );
    let bogus = relay(
        &data,
        &["audience", "members", &audience, "--reason", "bogus"],
        None,
    );
    let fixed = relay(
        &data,
        &[
            "--json",
            "audience",
            "fetch",
            "role:end-user",
            "--include-fixed-lines",
        ],
        None,
    );
    let _ = child.kill();
    let _ = child.wait();

    let n = json(&count)["count"].as_u64().unwrap();
    assert!(n > 300, "{n}");
    assert_eq!(bad.status.code(), Some(2), "an invalid query is bad input");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("someday"));
    let plain = json(&plain);
    assert_eq!(
        plain["users"].as_u64(),
        Some(n),
        "fetch takes everyone counted"
    );
    assert_eq!(plain["message_checked"], false);
    let total = |s: &serde_json::Value| {
        s["eligible"].as_u64().unwrap()
            + s["excluded"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["count"].as_u64().unwrap())
                .sum::<u64>()
    };
    assert_eq!(total(&plain), n, "every user is counted once");
    assert_eq!(unmapped.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unmapped.stderr).contains("not mapped yet: Gold."),
        "{}",
        String::from_utf8_lossy(&unmapped.stderr)
    );
    let mapped = json(&mapped);
    assert_eq!(mapped["message_checked"], true);
    assert_eq!(total(&mapped), n);
    let missing = mapped["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["reason"] == "missing_value")
        .unwrap()["count"]
        .as_u64()
        .unwrap();
    assert!(
        missing > 0,
        "some users have no plan and there is no fallback"
    );
    assert!(added.status.success());
    let imported = String::from_utf8_lossy(&imported.stdout).into_owned();
    assert!(imported.contains("1 number(s) added"), "{imported}");
    assert!(imported.contains("line 3"), "{imported}");
    let phones: Vec<String> = json(&listed)
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["phone"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(phones.len(), 2, "{phones:?}");
    assert!(removed.status.success());
    assert_eq!(json(&after).as_array().unwrap().len(), 1);
    assert_eq!(refused.status.code(), Some(2), "not a number");
    assert_eq!(typo.status.code(), Some(2), "a letter is refused");
    let typo_said = String::from_utf8_lossy(&typo.stderr);
    assert!(typo_said.contains("contains letters"), "{typo_said}");
    assert_eq!(
        json(&after_typo).as_array().unwrap().len(),
        1,
        "nothing added"
    );
    let suspects = String::from_utf8_lossy(&suspects.stdout);
    assert!(suspects.contains("No suspect entries"), "{suspects}");
    assert!(invalid.status.success());
    let invalid = String::from_utf8_lossy(&invalid.stdout);
    assert!(
        invalid.contains("contains letters"),
        "the typo users say why: {invalid}"
    );
    let landlines = json(&landlines);
    let rows = landlines["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|m| m["phone_kind"] == "fixed_line" || m["phone_kind"] == "toll_free"),
        "{landlines}"
    );
    assert_eq!(bogus.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bogus.stderr).contains("cannot_receive"));
    let fixed = json(&fixed);
    assert_eq!(fixed["include_fixed_lines"], true);
    let cannot = |s: &serde_json::Value| {
        s["excluded"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["reason"] == "cannot_receive")
            .unwrap()["count"]
            .as_u64()
            .unwrap()
    };
    assert!(
        cannot(&fixed) < cannot(&plain),
        "fixed lines included: only toll-free stay out"
    );
    forget_secrets(&data);
}
