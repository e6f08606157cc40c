//! Signed updates, end to end through the real updater plugin: a loopback server serves an update
//! manifest and a package signed with a throwaway key pair made by this test (Relay's private key
//! is never in the repository). A signed release is found and its package verified; a tampered
//! package, a manifest whose signature was swapped, or one that announces another version than
//! the one signed are refused with a clear message and nothing installed; an install is refused
//! while a campaign is being sent.

use crate::mock;

use axum::{extract::State as AxumState, routing::get, Router};
use base64::Engine;
use mock::Harness;
use relay_app::state::AppState;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tauri::Manager;

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// A throwaway minisign key pair, its public key in the form tauri.conf.json holds.
struct Keys {
    pair: minisign::KeyPair,
    pubkey: String,
}

fn make_keys() -> Keys {
    let pair = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let pubkey = b64(&pair.pk.to_box().unwrap().to_string());
    Keys { pair, pubkey }
}

/// A signature as the Tauri CLI makes it (`tauri signer sign`): the version in the trusted
/// comment, the whole signature file base64-encoded.
fn sign(keys: &Keys, bytes: &[u8], version: &str) -> String {
    let trusted =
        format!("timestamp:1764720000\tfile:relay_{version}_amd64.deb\tversion:{version}");
    let sig = minisign::sign(
        Some(&keys.pair.pk),
        &keys.pair.sk,
        std::io::Cursor::new(bytes),
        Some(&trusted),
        Some("signature from tauri secret key"),
    )
    .unwrap();
    b64(&sig.to_string())
}

/// What the loopback server serves: the manifest and the package, changed by each case.
#[derive(Clone, Default)]
struct Served {
    manifest: Arc<Mutex<Value>>,
    package: Arc<Mutex<Vec<u8>>>,
}

async fn serve(served: Served) -> String {
    let app = Router::new()
        .route(
            "/latest.json",
            get(|AxumState(s): AxumState<Served>| async move {
                axum::Json(s.manifest.lock().unwrap().clone())
            }),
        )
        .route(
            "/relay.deb",
            get(|AxumState(s): AxumState<Served>| async move { s.package.lock().unwrap().clone() }),
        )
        .with_state(served);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn manifest(base: &str, version: &str, signature: &str) -> Value {
    let target = tauri_plugin_updater::target().unwrap();
    json!({
        "version": version,
        "notes": "Quiet hours and scheduled campaigns.",
        "pub_date": "2026-12-01T09:00:00Z",
        "platforms": { target: { "signature": signature, "url": format!("{base}/relay.deb") } }
    })
}

/// The real app (its commands, its updater plugin), its updater trusting `pubkey`.
fn harness(data: &Path, pubkey: &str) -> Harness {
    mock::harness_with(data, Some(pubkey))
}

trait Updates {
    fn state(&self) -> tauri::State<'_, AppState>;
    fn set_update_url(&self, url: &str);
}

impl Updates for Harness {
    fn state(&self) -> tauri::State<'_, AppState> {
        self.app.state::<AppState>()
    }

    fn set_update_url(&self, url: &str) {
        let ws = self.state().workspace().unwrap();
        let mut settings = ws.settings().unwrap();
        settings.update_url = url.to_string();
        ws.save_settings(settings).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_update_is_found_and_verified_and_a_tampered_one_is_refused() {
    let keys = make_keys();
    let package = b"the Relay 0.2.0 package".to_vec();
    let served = Served::default();
    let base = serve(served.clone()).await;
    let tmp = tempfile::tempdir().unwrap();
    let h = harness(tmp.path(), &keys.pubkey);

    // No address set and none built in (a build not made by the release workflow): said so.
    let err = h.invoke("check_update", json!({})).unwrap_err();
    assert_eq!(err["code"], "not_configured", "{err}");
    assert_eq!(err["text"]["key"], "update.no_address");

    // A bad address is refused by the settings, which change nothing.
    let ws = h.state().workspace().unwrap();
    let mut bad = ws.settings().unwrap();
    bad.update_url = "ftp://updates.example.com/latest.json".into();
    let err = ws.save_settings(bad).unwrap_err();
    assert!(err.details.unwrap().fields.contains_key("update_url"));
    assert_eq!(ws.settings().unwrap().update_url, "");

    h.set_update_url(&format!("{base}/latest.json"));

    // The release is signed for 0.2.0: found, and its package verified.
    *served.package.lock().unwrap() = package.clone();
    *served.manifest.lock().unwrap() = manifest(&base, "0.2.0", &sign(&keys, &package, "0.2.0"));
    let found = h.invoke("check_update", json!({})).unwrap();
    assert_eq!(found["current"], "0.1.0");
    assert_eq!(found["available"]["version"], "0.2.0");
    assert_eq!(
        found["available"]["notes"],
        "Quiet hours and scheduled campaigns."
    );
    assert_eq!(found["available"]["date"], "2026-12-01T09:00:00+00:00");
    assert_eq!(h.invoke("update_status", json!({})).unwrap(), found);
    let (_, bytes) = relay_app::updates::download(&h.state()).await.unwrap();
    assert_eq!(bytes, package, "the verified package is the one served");

    // The package changed on the way (one byte): refused, nothing installed.
    let mut tampered = package.clone();
    tampered[4] ^= 1;
    *served.package.lock().unwrap() = tampered;
    let err = h.invoke("install_update", json!({})).unwrap_err();
    assert_eq!(err["code"], "rejected", "{err}");
    assert_eq!(err["text"]["key"], "update.signature");
    assert!(err["message"]
        .as_str()
        .unwrap()
        .contains("Nothing was installed"));
    *served.package.lock().unwrap() = package.clone();

    // A manifest whose signature was made by another key: refused.
    let stranger = make_keys();
    *served.manifest.lock().unwrap() =
        manifest(&base, "0.2.0", &sign(&stranger, &package, "0.2.0"));
    h.invoke("check_update", json!({})).unwrap();
    let err = relay_app::updates::download(&h.state())
        .await
        .map(|_| ())
        .unwrap_err();
    assert_eq!(err.text.key, "update.signature", "{err:?}");

    // A manifest that announces 0.3.0 for the package signed as 0.2.0 (a downgrade dressed up as
    // an update): refused.
    *served.manifest.lock().unwrap() = manifest(&base, "0.3.0", &sign(&keys, &package, "0.2.0"));
    let found = h.invoke("check_update", json!({})).unwrap();
    assert_eq!(found["available"]["version"], "0.3.0");
    let err = relay_app::updates::download(&h.state())
        .await
        .map(|_| ())
        .unwrap_err();
    assert_eq!(err.text.key, "update.signature", "{err:?}");

    // A signature that is not one at all: refused.
    *served.manifest.lock().unwrap() = manifest(&base, "0.2.0", "not a signature");
    h.invoke("check_update", json!({})).unwrap();
    let err = relay_app::updates::download(&h.state())
        .await
        .map(|_| ())
        .unwrap_err();
    assert_eq!(err.code, relay_core::ErrorCode::Rejected, "{err:?}");

    // The same version as this build: nothing to update.
    *served.manifest.lock().unwrap() = manifest(&base, "0.1.0", &sign(&keys, &package, "0.1.0"));
    let none = h.invoke("check_update", json!({})).unwrap();
    assert_eq!(none["available"], Value::Null);
    let err = h.invoke("install_update", json!({})).unwrap_err();
    assert_eq!(err["code"], "not_found", "{err}");

    // Not a manifest: said so.
    *served.manifest.lock().unwrap() = json!({ "hello": "world" });
    let err = h.invoke("check_update", json!({})).unwrap_err();
    assert_eq!(err["code"], "rejected", "{err}");
    assert_eq!(err["text"]["key"], "update.bad_manifest");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_is_refused_while_a_campaign_is_being_sent() {
    let keys = make_keys();
    let package = b"the Relay 0.2.0 package".to_vec();
    let served = Served::default();
    let base = serve(served.clone()).await;
    *served.package.lock().unwrap() = package.clone();
    *served.manifest.lock().unwrap() = manifest(&base, "0.2.0", &sign(&keys, &package, "0.2.0"));
    let tmp = tempfile::tempdir().unwrap();
    let h = harness(tmp.path(), &keys.pubkey);
    h.set_update_url(&format!("{base}/latest.json"));
    h.invoke("check_update", json!({})).unwrap();

    let state = h.state();
    let run = state.begin_run("c1").unwrap();
    let err = h.invoke("install_update", json!({})).unwrap_err();
    assert_eq!(err["code"], "busy", "{err}");
    assert_eq!(err["text"]["key"], "update.busy_window");
    drop(run);
}

#[test]
fn the_built_in_public_key_is_a_minisign_key_and_no_private_key_is_in_the_repository() {
    let conf: Value = serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
    let pubkey = conf["plugins"]["updater"]["pubkey"].as_str().unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(pubkey)
        .unwrap();
    let text = String::from_utf8(decoded).unwrap();
    assert!(
        text.starts_with("untrusted comment: minisign public key"),
        "{text}"
    );
    // A private key (as `tauri signer generate` writes it) is nowhere in the tracked files.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let listed = std::process::Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root)
        .output();
    // Built here, so this file does not hold the words it looks for.
    let secret = ["untrusted comment: rsign", " encrypted secret key"].concat();
    if let Some(out) = listed.ok().filter(|o| o.status.success()) {
        for path in out.stdout.split(|b| *b == 0).filter(|p| !p.is_empty()) {
            let path = root.join(String::from_utf8_lossy(path).as_ref());
            let Ok(body) = std::fs::read(&path) else {
                continue;
            };
            let body = String::from_utf8_lossy(&body);
            assert!(
                !body.contains(&b64(&secret)) && !body.contains(&secret),
                "{} holds a private signing key",
                path.display()
            );
        }
    }
}
