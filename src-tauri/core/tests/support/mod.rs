//! Shared by the integration tests: a workspace in a temporary folder, connected to a sandbox,
//! its secrets in an in-memory store.

#[allow(dead_code)] // not every test crate that includes this module sends
pub mod send;

use relay_core::settings::{JsonFileBackend, Settings, SunshineHost};
use relay_core::workspace::{SandboxConnection, Workspace};
use relay_sandbox::Sandbox;
use std::sync::Arc;

pub fn workspace_on(sb: &Sandbox) -> (Workspace, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let data = relay_core::paths::DataDir::at(tmp.path()).unwrap();
    // The end of a send waits longer for its entries to reach the team's store than in the app,
    // so the tests' small sends find them all pushed when the send returns (the benchmarks
    // measure the app's wait).
    let ws = Workspace::open(
        data.clone(),
        Arc::new(relay_core::secrets::MemoryStore::new()),
        Box::new(JsonFileBackend::new(&data.settings_file())),
    )
    .unwrap()
    .with_settle_at_end(std::time::Duration::from_secs(5));
    let i = sb.info().clone();
    ws.connect_sandbox(&SandboxConnection {
        base_url: i.base_url,
        sunshine_url: i.sunshine_url,
        subdomain: i.subdomain,
        zendesk_email: i.zendesk_email,
        zendesk_token: i.zendesk_token,
        app_id: i.app_id,
        key_id: i.key_id,
        key_secret: i.key_secret,
    })
    .unwrap();
    // The sandbox of the tests is this desktop's alone: the team store's share at its most, so
    // that the tests' many sends do not wait for it (the pace itself has its own tests, and the
    // team benchmarks measure it at the default).
    ws.set_key("team_share_per_minute", "2500").unwrap();
    (ws, tmp)
}

/// The mapping of the parcel template used by the send tests and benchmark: `{{Ann}}` from the
/// first name (fallback "there"), `{{Friday}}` the static text "Monday".
#[allow(dead_code)] // not every test crate that includes this module sends
pub fn parcel_mapping() -> Vec<relay_core::message::mapping::ValueMapping> {
    use relay_core::message::mapping::{ValueMapping, ValueSource};
    vec![
        ValueMapping {
            source: ValueSource::Field {
                key: "first_name".into(),
                date_format: String::new(),
            },
            fallback: "there".into(),
        },
        ValueMapping {
            source: ValueSource::Static {
                value: "Monday".into(),
            },
            fallback: String::new(),
        },
    ]
}

/// How many members of an audience summary are excluded for `reason` (by its wire name, so the
/// test reads what the UI reads).
#[allow(dead_code)] // not every test crate that includes this module checks audiences
pub fn excluded(summary: &relay_core::audience::AudienceSummary, reason: &str) -> u32 {
    summary
        .excluded
        .iter()
        .find(|c| serde_json::to_value(c.reason).unwrap() == reason)
        .map_or(0, |c| c.count)
}

/// The settings that reach a sandbox (its URLs, its account and app ids; no secret).
#[allow(dead_code)] // the benchmarks that include this module build no settings by hand
pub fn settings_for(sb: &Sandbox) -> Settings {
    let i = sb.info();
    Settings {
        zendesk_subdomain: i.subdomain.clone(),
        zendesk_email: i.zendesk_email.clone(),
        zendesk_custom_url: i.base_url.clone(),
        sunshine_app_id: i.app_id.clone(),
        sunshine_key_id: i.key_id.clone(),
        sunshine_host: SunshineHost::Custom,
        sunshine_custom_url: i.sunshine_url.clone(),
        ..Settings::default()
    }
}
