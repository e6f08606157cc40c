//! The TypeScript bindings in ui/src/lib/bindings.ts are generated from the Rust commands and
//! types. This test regenerates them and fails when the committed file is stale, so the UI can
//! never call a command or read a payload the Rust side does not define.
//! To update: `UPDATE_BINDINGS=1 cargo test --test ipc bindings`.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn committed_bindings_are_up_to_date() {
    let committed_path = root().join(relay_app::BINDINGS_PATH);
    let tmp = tempfile::tempdir().unwrap();
    let fresh_path = tmp.path().join("bindings.ts");
    relay_app::export_bindings(&fresh_path).expect("export bindings");
    let fresh = std::fs::read_to_string(&fresh_path).unwrap();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&committed_path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale: the Rust commands or types changed. Run `UPDATE_BINDINGS=1 cargo test --test ipc bindings` and commit the result.",
        committed_path.display()
    );
}

/// The command names the generated bindings invoke.
fn invoked_commands(bindings: &str) -> Vec<String> {
    // Lines look like: `appInfo: () => __TAURI_INVOKE<AppInfo>("app_info"),`
    let mut names: Vec<String> = bindings
        .lines()
        .filter_map(|line| line.split("__TAURI_INVOKE<").nth(1))
        .filter_map(|rest| rest.split("(\"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn every_command_is_granted_by_the_capability_and_nothing_else_is() {
    // The commands in the bindings and the permissions the main window's set grants (both made
    // from command_list.rs) must agree, and the capability must grant that set alone. A command
    // missing from it would be refused at run time; an extra grant would widen what the UI may do.
    let bindings = std::fs::read_to_string(root().join(relay_app::BINDINGS_PATH)).unwrap();
    let commands = invoked_commands(&bindings);
    assert!(
        commands.len() >= 6,
        "bindings must list the commands: {commands:?}"
    );

    let conf: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("tauri.conf.json")).unwrap())
            .unwrap();
    let caps = conf["app"]["security"]["capabilities"].as_array().unwrap();
    assert_eq!(caps.len(), 1, "one capability, for the main window");
    assert_eq!(caps[0]["windows"], serde_json::json!(["main"]));
    // The capability grants one set, the one build.rs writes from the command list.
    assert_eq!(
        caps[0]["permissions"],
        serde_json::json!(["main-window"]),
        "the capability grants the window's set, nothing else"
    );
    let set = std::fs::read_to_string(concat!(
        env!("OUT_DIR"),
        "/window-permissions/main-window.toml"
    ))
    .expect("build.rs writes the window's permission set");
    let mut granted: Vec<String> = set
        .lines()
        .filter_map(|l| l.trim().strip_prefix('"'))
        .filter_map(|l| l.strip_suffix("\","))
        .map(str::to_string)
        .collect();
    granted.sort();
    let mut expected: Vec<String> = commands
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    expected.sort();
    assert_eq!(
        granted, expected,
        "the window's set must grant exactly the UI's commands"
    );
}

#[test]
fn the_security_baseline_holds() {
    let conf: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("tauri.conf.json")).unwrap())
            .unwrap();
    assert_eq!(
        conf["app"]["withGlobalTauri"], false,
        "no global __TAURI__ object in the page"
    );
    let csp = &conf["app"]["security"]["csp"];
    assert_eq!(csp["default-src"], "'self'");
    assert_eq!(csp["connect-src"], "ipc: http://ipc.localhost");
    assert_eq!(csp["img-src"], "'self' data: https:");
    let all = csp.to_string();
    assert!(
        !all.contains("unsafe-eval") && !all.contains("unsafe-inline"),
        "{all}"
    );
}
