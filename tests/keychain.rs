//! The real OS keychain (Secret Service on Linux), through the core and through the CLI.
//! Runs under `./x test`, which provides a private D-Bus session with an unlocked GNOME Keyring.

mod common;

use relay_core::secrets::{KeyringStore, SecretKind, Secrets};
use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

fn relay(data: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(common::APP)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

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
    let mut child = Command::new(common::APP)
        .args(["sandbox", "--json", "--users", "100"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let info: serde_json::Value = serde_json::from_str(&line).unwrap();
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
    relay(
        &data,
        &["settings", "clear-secret", "zendesk_api_token"],
        None,
    );
    relay(
        &data,
        &["settings", "clear-secret", "sunshine_key_secret"],
        None,
    );
}
