//! The Tauri commands through Tauri's IPC with the mock runtime: no window, no display.
//! These check the adapters and the exact JSON the UI receives, including errors.

use crate::mock;

use mock::{invoke_on, Harness};
use serde_json::{json, Value};
use std::path::Path;

fn harness(data: &Path) -> Harness {
    mock::harness_with(data, None)
}

#[test]
fn a_fresh_workspace_has_the_product_defaults_and_no_secrets() {
    let tmp = tempfile::tempdir().unwrap();
    let h = harness(tmp.path());
    let view = h.invoke("get_settings", json!({})).unwrap();
    assert_eq!(view["settings"]["blackout_days"], 7);
    assert_eq!(view["settings"]["default_send_rate"], 8);
    assert_eq!(view["settings"]["sunshine_host"], "zendesk");
    assert_eq!(
        view["secrets"],
        json!({"zendesk_api_token": false, "sunshine_key_secret": false})
    );
    assert_eq!(view["configured"], false);
    let info = h.invoke("app_info", json!({})).unwrap();
    assert_eq!(
        info["schema_version"],
        relay_core::storage::latest_schema_version()
    );
    assert_eq!(info["data_dir"], tmp.path().display().to_string());
}

#[test]
fn the_app_and_the_cli_never_overwrite_each_others_change() {
    let tmp = tempfile::tempdir().unwrap();
    let h = harness(tmp.path());
    // The window shows the settings…
    let base = h.invoke("get_settings", json!({})).unwrap()["settings"].clone();
    // …meanwhile the CLI changes one…
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_relay"))
        .arg("--data-dir")
        .arg(tmp.path())
        .args(["settings", "set", "default_country", "FR"])
        .output()
        .unwrap();
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    // …then the user saves the page, having changed another.
    let mut edited = base.clone();
    edited["blackout_days"] = json!(30);
    let view = h
        .invoke("save_settings", json!({ "settings": edited, "base": base }))
        .unwrap();
    assert_eq!(view["settings"]["blackout_days"], 30);
    assert_eq!(
        view["settings"]["default_country"], "FR",
        "the CLI's change is kept: only what the page changed is written"
    );
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("settings.json")).unwrap())
            .unwrap();
    assert_eq!(
        (
            file["blackout_days"].clone(),
            file["default_country"].clone()
        ),
        (json!(30), json!("FR"))
    );
    assert!(
        !tmp.path().join("settings.json.tmp").exists(),
        "written whole, then renamed"
    );
}

#[test]
fn a_rate_changed_by_the_cli_meanwhile_is_kept_beside_the_one_the_page_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let set = |value: &str| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_relay"))
            .arg("--data-dir")
            .arg(tmp.path())
            .args(["settings", "set", "send_rates", value])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    set("int_a=10");
    let h = harness(tmp.path());
    let base = h.invoke("get_settings", json!({})).unwrap()["settings"].clone();
    set("int_a=10,int_b=50"); // another integration's rate, from a terminal
    let mut edited = base.clone();
    edited["send_rates"]["int_a"] = json!(20); // the page changes its own
    let view = h
        .invoke("save_settings", json!({ "settings": edited, "base": base }))
        .unwrap();
    assert_eq!(
        view["settings"]["send_rates"],
        json!({"int_a": 20, "int_b": 50}),
        "each integration's rate is its own entry: neither change is lost"
    );
}

#[test]
fn saving_goes_into_the_data_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let h = harness(tmp.path());
    let mut settings = h.invoke("get_settings", json!({})).unwrap()["settings"].clone();
    settings["zendesk_subdomain"] = json!("acme.zendesk.com");
    settings["blackout_days"] = json!(30);
    let view = h
        .invoke("save_settings", json!({ "settings": settings }))
        .unwrap();
    assert_eq!(view["settings"]["zendesk_subdomain"], "acme");
    // The CLI reads the same file the plugin wrote.
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("settings.json")).unwrap())
            .unwrap();
    assert_eq!(file["zendesk_subdomain"], "acme");
    assert_eq!(file["blackout_days"], 30);
}

#[test]
fn bad_input_returns_the_exact_error_json_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let h = harness(tmp.path());
    let mut settings = h.invoke("get_settings", json!({})).unwrap()["settings"].clone();
    settings["blackout_days"] = json!(366);
    let err = h
        .invoke("save_settings", json!({ "settings": settings }))
        .unwrap_err();
    assert_eq!(
        err,
        json!({
            "code": "invalid_input",
            "message": "blackout_days: Choose between 0 (no blackout) and 365 days.",
            "text": {"key": "settings.blackout_days", "params": {"max": "365"}},
            "details": {"fields": {"blackout_days": {"key": "settings.blackout_days", "params": {"max": "365"}}}}
        })
    );
    assert!(
        !tmp.path().join("settings.json").exists(),
        "a refused save writes nothing"
    );

    let err = h
        .invoke(
            "set_secret",
            json!({"kind": "zendesk_api_token", "value": "  "}),
        )
        .unwrap_err();
    assert_eq!(err["code"], "invalid_input");
    let err = h
        .invoke("set_sunshine_token", json!({"token": "%%%"}))
        .unwrap_err();
    assert_eq!(err["code"], "invalid_input");
    assert_eq!(
        h.invoke("get_settings", json!({})).unwrap()["secrets"]["sunshine_key_secret"],
        false
    );
}

#[test]
fn secrets_are_reported_as_set_but_never_returned() {
    let tmp = tempfile::tempdir().unwrap();
    let h = harness(tmp.path());
    let view = h
        .invoke(
            "set_secret",
            json!({"kind": "zendesk_api_token", "value": "abcSECRET123"}),
        )
        .unwrap();
    assert_eq!(view["secrets"]["zendesk_api_token"], true);
    assert!(!view.to_string().contains("abcSECRET123"));
    // base64("app_x:s3cret-part")
    let view = h
        .invoke(
            "set_sunshine_token",
            json!({"token": "YXBwX3g6czNjcmV0LXBhcnQ="}),
        )
        .unwrap();
    assert_eq!(view["settings"]["sunshine_key_id"], "app_x");
    assert_eq!(view["secrets"]["sunshine_key_secret"], true);
    assert!(!view.to_string().contains("s3cret-part"));
    let view = h
        .invoke("clear_secret", json!({"kind": "zendesk_api_token"}))
        .unwrap();
    assert_eq!(view["secrets"]["zendesk_api_token"], false);
}

#[test]
fn a_workspace_that_cannot_open_reports_why_on_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    set_future_schema_version(tmp.path());
    let h = harness(tmp.path());
    for cmd in ["get_settings", "app_info"] {
        let err = h.invoke(cmd, json!({})).unwrap_err();
        assert_eq!(err["code"], "storage", "{cmd}");
        assert!(err["message"].as_str().unwrap().contains("newer Relay"));
    }
}

/// Writes a database whose schema version is from the future, through the core's own opener
/// and a raw pragma (the test has no direct SQLite dependency).
fn set_future_schema_version(dir: &Path) {
    let db = relay_core::storage::Database::open(&dir.join("relay.sqlite3")).unwrap();
    db.connection()
        .pragma_update(None, "user_version", 999)
        .unwrap();
}

#[test]
fn the_demo_workspace_opens_on_a_live_sandbox_and_closes_back_to_the_main_one() {
    let tmp = tempfile::tempdir().unwrap();
    let h = harness(tmp.path());
    h.invoke("start_demo", json!({})).unwrap();
    let info = h.invoke("app_info", json!({})).unwrap();
    assert_eq!(info["demo"], true);
    assert_eq!(
        info["data_dir"],
        tmp.path().join("demo").display().to_string(),
        "its own data folder"
    );
    let view = h.invoke("get_settings", json!({})).unwrap();
    assert_eq!(
        view["configured"], true,
        "the demo is a complete workspace: {view}"
    );
    assert_eq!(view["settings"]["zendesk_subdomain"], "relay-demo");
    let base = view["settings"]["zendesk_custom_url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(base.starts_with("http://127.0.0.1:"));
    // The sandbox it points at is running.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async {
        reqwest::get(format!("{base}/_sandbox/info"))
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 200);
    // The main workspace remembers that the demo is open.
    let main: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("settings.json")).unwrap())
            .unwrap();
    assert_eq!(main["demo_active"], true);

    h.invoke("leave_demo", json!({})).unwrap();
    let info = h.invoke("app_info", json!({})).unwrap();
    assert_eq!(info["demo"], false);
    assert_eq!(
        h.invoke("get_settings", json!({})).unwrap()["settings"]["zendesk_subdomain"],
        ""
    );
    // The sandbox is told to stop when the demo closes and stops listening a moment later.
    let gone = rt.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(1))
            .build()
            .unwrap();
        for _ in 0..50 {
            if client
                .get(format!("{base}/_sandbox/info"))
                .send()
                .await
                .is_err()
            {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        false
    });
    assert!(gone, "leaving the demo stops its sandbox (within 5 s)");
}

#[test]
fn a_test_send_is_among_the_apps_running_sends_until_it_lands() {
    use relay_app::state::AppState;
    use tauri::Manager;
    let tmp = tempfile::tempdir().unwrap();
    let h = harness(tmp.path());
    h.invoke("start_demo", json!({})).unwrap();
    let state = h.app.state::<AppState>();
    let ws = state.workspace().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // An SMS template, ready at once, and an audience to fill it from.
    const TWILIO: &str = "5f1e0c3a9b8d7e6f5a4b3c33";
    let t = relay_core::template::Template {
        name: "test_ping".into(),
        language: "en_US".into(),
        body: "Hello, this is a test.".into(),
        integrations: vec![TWILIO.into()],
        ..relay_core::template::Template::default()
    };
    let draft = ws.save_template(None, &t).unwrap();
    let audience = rt.block_on(async {
        ws.submit_template(&draft.id, &[TWILIO.to_string()])
            .await
            .unwrap();
        ws.fetch_audience(
            "role:end-user",
            &std::sync::atomic::AtomicBool::new(false),
            |_| {},
        )
        .await
        .unwrap()
    });
    // The provider takes its time: the test message is on the wire for a second.
    let base = ws.settings().unwrap().zendesk_custom_url;
    rt.block_on(async {
        reqwest::Client::new()
            .put(format!("{base}/_sandbox/faults"))
            .json(&json!({"latency_ms": 1000, "only_path": "/sc/"}))
            .send()
            .await
            .unwrap();
    });
    assert_eq!(state.active_runs(), 0);
    let spec = json!({"template_id": draft.id, "integration_id": TWILIO, "mapping": []});
    std::thread::scope(|s| {
        let window = h.window.clone();
        let sending = s.spawn(move || {
            invoke_on(
                &window,
                "send_test",
                json!({"audienceId": audience.id, "message": spec, "phone": "+447400123456"}),
            )
        });
        // While it is on its way it counts as a send of the app: a close or a quit waits for it
        // (`state.rs` tests what they do with the running sends).
        let start = std::time::Instant::now();
        while state.active_runs() == 0 && !sending.is_finished() {
            assert!(start.elapsed() < std::time::Duration::from_secs(30));
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(
            state.active_runs(),
            1,
            "the test send is among the running sends"
        );
        let done = sending.join().unwrap().expect("the test message is sent");
        assert_eq!(done["counts"]["sent"], 1, "{done}");
    });
    assert_eq!(state.active_runs(), 0, "and leaves the list when it lands");
}
