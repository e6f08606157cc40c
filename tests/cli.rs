//! The `relay` command line, without the keychain: help, version, settings, and bad input that
//! is refused with exit code 2 and changes nothing.

use std::path::Path;
use std::process::{Command, Output};

fn relay(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relay"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn help_lists_the_commands_and_says_secrets_never_come_from_argv() {
    let tmp = tempfile::tempdir().unwrap();
    let out = relay(tmp.path(), &["--help"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for word in [
        "version",
        "settings",
        "--data-dir",
        "--json",
        "opens the Relay window",
        "standard input",
    ] {
        assert!(text.contains(word), "--help must mention {word}:\n{text}");
    }
    let out = relay(tmp.path(), &["settings", "--help"]);
    for word in ["show", "set", "set-secret", "clear-secret"] {
        assert!(stdout(&out).contains(word), "{word}");
    }
}

#[test]
fn version_in_text_and_json() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(
        stdout(&relay(tmp.path(), &["version"])).trim(),
        format!("relay {}", env!("CARGO_PKG_VERSION"))
    );
    let v: serde_json::Value =
        serde_json::from_str(&stdout(&relay(tmp.path(), &["version", "--json"]))).unwrap();
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn settings_set_then_show_through_the_settings_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = relay(
        tmp.path(),
        &[
            "settings",
            "set",
            "zendesk_subdomain",
            "https://Acme.zendesk.com/",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "zendesk_subdomain = acme",
        "the stored, normalized value is echoed"
    );
    assert!(relay(
        tmp.path(),
        &["settings", "set", "send_rates", "wa1=80,sms1=8"]
    )
    .status
    .success());
    assert!(relay(
        tmp.path(),
        &["settings", "set", "allowed_roles", "admin,agent"]
    )
    .status
    .success());

    let out = relay(tmp.path(), &["settings", "show", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let shown: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(shown["settings"]["zendesk_subdomain"], "acme");
    assert_eq!(shown["settings"]["send_rates"]["wa1"], 80);
    assert_eq!(
        shown["settings"]["allowed_roles"],
        serde_json::json!(["admin", "agent"])
    );
    assert_eq!(
        shown["schema_version"],
        relay_core::storage::latest_schema_version()
    );
    assert_eq!(shown["data_dir"], tmp.path().display().to_string());

    let human = stdout(&relay(tmp.path(), &["settings", "show"]));
    assert!(human.contains("schema_version"), "{human}");
    assert!(
        human.contains("send_rates") && human.contains("sms1=8, wa1=80"),
        "{human}"
    );
}

#[test]
fn bad_input_exits_2_with_what_to_do_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(
        relay(tmp.path(), &["settings", "set", "blackout_days", "10"])
            .status
            .success()
    );
    let before = std::fs::read(tmp.path().join("settings.json")).unwrap();
    for (args, needle) in [
        (vec!["settings", "set", "blackout_days", "400"], "365"),
        (
            vec!["settings", "set", "no_such_key", "1"],
            "Known settings",
        ),
        (
            vec!["settings", "set", "default_country", "XX"],
            "country code",
        ),
        (
            vec!["settings", "set", "sunshine_custom_url", "http://10.0.0.1"],
            "local sandbox",
        ),
        (
            vec!["settings", "set", "sunshine_key_secret", "s3cret"],
            "set-secret",
        ),
        (vec!["settings", "clear-secret", "password"], "not a secret"),
    ] {
        let out = relay(tmp.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(needle),
            "{args:?} must say {needle:?}: {}",
            stderr(&out)
        );
    }
    assert_eq!(
        std::fs::read(tmp.path().join("settings.json")).unwrap(),
        before,
        "nothing changed"
    );

    let out = relay(
        tmp.path(),
        &["--json", "settings", "set", "blackout_days", "400"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(err["error"]["code"], "invalid_input");
    // Each field's problem is a text by code: its key and values (the English is `message`).
    assert_eq!(
        err["error"]["details"]["fields"]["blackout_days"]["key"],
        "settings.blackout_days"
    );
    assert_eq!(err["error"]["text"]["key"], "settings.blackout_days");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Choose between 0 (no blackout) and 365 days"));
}

#[test]
fn a_broken_settings_file_is_reported_not_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("settings.json"), "{ not json").unwrap();
    let out = relay(tmp.path(), &["settings", "set", "blackout_days", "3"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not a JSON object"));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("settings.json")).unwrap(),
        "{ not json"
    );
}

#[test]
fn sms_segments_in_text_and_json() {
    let tmp = tempfile::tempdir().unwrap();
    let out = relay(tmp.path(), &["sms-segments", &"1".repeat(161)]);
    assert_eq!(
        stdout(&out).trim(),
        "GSM-7, 161 characters, 2 segment(s) (153 characters each)"
    );
    let out = relay(tmp.path(), &["sms-segments", "Ça coûte 5 € — merci…"]);
    let text = stdout(&out);
    assert!(text.starts_with("UCS-2"), "{text}");
    assert!(text.contains("\"…\" → write \"...\" instead"), "{text}");
    let v: serde_json::Value = serde_json::from_str(&stdout(&relay(
        tmp.path(),
        &["sms-segments", "--json", "😜hello"],
    )))
    .unwrap();
    assert_eq!(v["encoding"], "UCS-2");
    assert_eq!(v["segments"], 1);
    assert_eq!(v["non_gsm"][0]["char"], "😜");
}

#[test]
fn template_validate_and_preview_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/order_shipped.json"
    );
    let out = relay(tmp.path(), &["template", "validate", file]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let out = relay(
        tmp.path(),
        &["template", "preview", file, "--channel", "whatsapp"],
    );
    let text = stdout(&out);
    assert!(
        text.contains("Order A-1042")
            && text.contains("Hi *Clarice*, your order has shipped and arrives _Monday_."),
        "{text}"
    );
    assert!(text.contains("[ Track order ]"), "{text}");
    let out = relay(
        tmp.path(),
        &["template", "preview", file, "--channel", "sms"],
    );
    let text = stdout(&out);
    assert!(
        text.contains("Track order: https://example.com/track/A-1042"),
        "{text}"
    );
    assert!(text.contains("GSM-7"), "{text}");

    // A broken template: exit 2, each problem with its field.
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, r#"{"name": "Bad Name", "body": "{{x}} only", "footer": "{{y}}", "category": "AUTHENTICATION"}"#).unwrap();
    let out = relay(tmp.path(), &["template", "validate", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    for needle in [
        "name_not_sanitized",
        "body_starts_with_value",
        "footer_values",
        "category_authentication",
        "integrations_required",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    // Under --json, one document: the error, carrying what was found.
    let json: serde_json::Value = serde_json::from_slice(
        &relay(
            tmp.path(),
            &["--json", "template", "validate", bad.to_str().unwrap()],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(json["found"]["valid"], false);
    assert_eq!(json["error"]["code"], "invalid_input");
    std::fs::write(&bad, "not json").unwrap();
    let out = relay(tmp.path(), &["template", "validate", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a template file"));
}

#[test]
fn template_save_and_list_offline() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/order_shipped.json"
    );
    let out = relay(&data, &["template", "save", fixture]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Saved the local template order_shipped"));
    // Saving again replaces the local template of that name; no copy appears.
    assert!(relay(&data, &["template", "save", fixture])
        .status
        .success());
    let out = relay(&data, &["--json", "template", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lib: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let local = lib["local"].as_array().unwrap();
    assert_eq!(local.len(), 1);
    let states = local[0]["states"].as_array().unwrap();
    assert_eq!(states.len(), 2, "one per integration the file names");
    assert!(states.iter().all(|s| s["status"] == "NOT_SUBMITTED"));
    let text = stdout(&relay(&data, &["template", "list"]));
    assert!(
        text.contains("order_shipped (Utility; en_US)") && text.contains("NOT_SUBMITTED"),
        "{text}"
    );

    // The same name in another language adds a translation (saved again: updated, not copied).
    let french = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/order_shipped.fr.json"
    );
    for _ in 0..2 {
        let out = relay(&data, &["template", "save", french]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stdout(&out).contains("order_shipped in fr (2 translations)"),
            "{}",
            stdout(&out)
        );
    }
    let text = stdout(&relay(&data, &["template", "list"]));
    assert!(
        text.contains("order_shipped (Utility; en_US, fr)"),
        "{text}"
    );
    // A translation that lacks a value the others have, or in a language Meta does not have:
    // refused (exit 2) with what to do, nothing saved.
    let src = std::fs::read_to_string(french).unwrap();
    let lacks = tmp.path().join("lacks.json");
    std::fs::write(
        &lacks,
        src.replace("\"fr\"", "\"es\"")
            .replace(" _{{Monday}}_", " pronto"),
    )
    .unwrap();
    let out = relay(&data, &["template", "save", lacks.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("lacks the value {{Monday}}"),
        "{}",
        stderr(&out)
    );
    let unknown = tmp.path().join("unknown.json");
    std::fs::write(&unknown, src.replace("\"fr\"", "\"fr-XX\"")).unwrap();
    let out = relay(&data, &["template", "save", unknown.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("pt_BR"), "{}", stderr(&out));
    let out = relay(&data, &["--json", "template", "list"]);
    let lib: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(lib["local"].as_array().unwrap().len(), 2, "nothing saved");

    // A nameless file is refused (exit 2) and nothing is saved; submitting offline says what to do.
    let nameless = tmp.path().join("nameless.json");
    std::fs::write(&nameless, r#"{"body": "Hi"}"#).unwrap();
    let out = relay(&data, &["template", "save", nameless.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("has no name"), "{}", stderr(&out));
    let out = relay(&data, &["template", "submit", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no local template named nope"),
        "{}",
        stderr(&out)
    );
    let out = relay(&data, &["--json", "template", "list"]);
    let lib: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(lib["local"].as_array().unwrap().len(), 2);
}

/// Every command's failure under `--json` prints exactly one JSON document — the error object,
/// with what the command found when it found something — and nothing else.
#[test]
fn every_failure_under_json_is_one_document() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, r#"{"name": "Bad Name!", "body": "{{only a value}}"}"#).unwrap();
    let broken = tmp.path().join("broken.json");
    std::fs::write(&broken, "{ not json").unwrap();
    let missing = tmp.path().join("missing.json");
    let out = tmp.path().join("out.csv");
    let cases: Vec<Vec<&str>> = vec![
        vec!["settings", "set", "no_such_key", "x"],
        vec!["settings", "set", "blackout_days", "999"],
        vec!["settings", "set-secret", "no_such_secret"],
        vec!["settings", "clear-secret", "no_such_secret"],
        vec!["setup", "--test"],
        vec!["setup", "--sandbox", "https://example.com"],
        vec!["integrations", "list"],
        vec!["template", "validate", bad.to_str().unwrap()],
        vec!["template", "validate", missing.to_str().unwrap()],
        vec![
            "template",
            "preview",
            broken.to_str().unwrap(),
            "--channel",
            "both",
        ],
        vec!["template", "save", broken.to_str().unwrap()],
        vec!["template", "submit", "no_such_template"],
        vec!["template", "list", "--sync"],
        vec!["audience", "count", " "],
        vec!["audience", "fetch", " "],
        vec!["suppress", "add", "not a number"],
        vec!["suppress", "remove", "+33612345678"],
        vec!["suppress", "import", missing.to_str().unwrap()],
        vec!["send"],
        vec![
            "send",
            "--query",
            "tags:vip",
            "--template",
            "nope",
            "--integration",
            "x",
            "--yes",
        ],
        vec!["campaigns", "show", "nope"],
        vec!["campaigns", "resume", "nope"],
        vec!["campaigns", "retry", "nope"],
        vec!["campaigns", "cancel", "nope"],
        vec![
            "campaigns",
            "export",
            "nope",
            "--csv",
            out.to_str().unwrap(),
        ],
        vec!["sandbox", "--fault-429", "2"],
        vec!["no-such-command"],
        vec!["setup"],
        vec!["sms-segments"],
        vec!["template", "list", "--bogus"],
        vec!["campaigns", "list", "--bogus"],
        vec!["suppress", "list", "--bogus"],
        vec!["settings", "show", "--bogus"],
        vec!["version", "--bogus"],
        // A dry run's CSV cannot share standard output with the JSON.
        vec![
            "send",
            "--query",
            "tags:vip",
            "--template",
            "nope",
            "--integration",
            "x",
            "--dry-run",
        ],
    ];
    for args in cases {
        let mut all = vec!["--json"];
        all.extend(args.iter());
        let o = relay(&data, &all);
        assert!(!o.status.success(), "{args:?} should fail");
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?}: stdout is not one JSON document ({e}): {}",
                stdout(&o)
            )
        });
        assert!(
            doc["error"]["code"].is_string() && doc["error"]["message"].is_string(),
            "{args:?}: {doc}"
        );
    }
    // A settings file that is not JSON: `settings show` fails, as one document.
    let broken_data = tmp.path().join("broken-data");
    std::fs::create_dir_all(&broken_data).unwrap();
    std::fs::write(broken_data.join("settings.json"), "{ not json").unwrap();
    let o = relay(&broken_data, &["--json", "settings", "show"]);
    assert!(!o.status.success(), "a broken settings file is reported");
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("settings show: not one document ({e}): {}", stdout(&o)));
    assert!(doc["error"]["message"].is_string(), "{doc}");
    // What the command found travels with the error.
    let o = relay(
        &data,
        &["--json", "template", "validate", bad.to_str().unwrap()],
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        doc["found"]["issues"]
            .as_array()
            .is_some_and(|i| !i.is_empty()),
        "{doc}"
    );
}
