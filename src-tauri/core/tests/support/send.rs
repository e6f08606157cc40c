//! What the send tests share: a sandbox that approves at once, a workspace with a template
//! submitted and an audience fetched, the sandbox's log and its fault knobs.

use relay_core::message::MessageSpec;
use relay_core::template::Template;
use relay_core::workspace::Workspace;
use relay_sandbox::{Faults, Sandbox, SandboxConfig};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

pub const WA: &str = "5f1e0c3a9b8d7e6f5a4b3c31";
pub const TWILIO: &str = "5f1e0c3a9b8d7e6f5a4b3c33";

pub async fn sandbox(users: u64) -> Sandbox {
    Sandbox::start(SandboxConfig {
        users,
        approve_after: Duration::ZERO,
        zendesk_rate_per_minute: 100_000,
        export_rate_per_minute: 100_000,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

/// A workspace with an approved WhatsApp template, an SMS one, and a fetched audience.
pub async fn ready(
    sb: &Sandbox,
    integration: &str,
) -> (Workspace, tempfile::TempDir, MessageSpec, String) {
    prepare(sb, integration, true).await
}

/// Another desktop of the same account: the same template, found by a sync (the first desktop
/// submitted it), and its own fetch of the audience.
pub async fn ready_too(
    sb: &Sandbox,
    integration: &str,
) -> (Workspace, tempfile::TempDir, MessageSpec, String) {
    prepare(sb, integration, false).await
}

async fn prepare(
    sb: &Sandbox,
    integration: &str,
    submit: bool,
) -> (Workspace, tempfile::TempDir, MessageSpec, String) {
    let (ws, tmp) = super::workspace_on(sb);
    ws.set_key("default_country", "GB").unwrap();
    let t = Template {
        name: "parcel_notice".into(),
        language: "en_US".into(),
        body: "Hi {{Ann}}, your parcel arrives on {{Friday}} before noon.".into(),
        integrations: vec![integration.into()],
        ..Template::default()
    };
    let draft = ws.save_template(None, &t).unwrap();
    if submit {
        ws.submit_template(&draft.id, &[integration.to_string()])
            .await
            .unwrap();
    } else {
        ws.sync_templates().await.unwrap();
    }
    let audience = ws
        .fetch_audience("role:end-user", &AtomicBool::new(false), |_| {})
        .await
        .unwrap();
    let spec = MessageSpec {
        template_id: draft.id,
        integration_id: integration.into(),
        mapping: super::parcel_mapping(),
        ..Default::default()
    };
    (ws, tmp, spec, audience.id)
}

pub async fn sandbox_log(sb: &Sandbox) -> Vec<Value> {
    let v: Value = reqwest::get(format!("{}/_sandbox/notifications", sb.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["notifications"].as_array().unwrap().clone()
}

pub fn duplicates(log: &[Value]) -> Vec<String> {
    let mut per: HashMap<String, u32> = HashMap::new();
    for n in log {
        *per.entry(n["destination_id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    per.into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(d, _)| d)
        .collect()
}

/// What `/_sandbox/stats` says: requests answered per service, the limits' windows.
pub async fn sandbox_stats(sb: &Sandbox) -> Value {
    reqwest::get(format!("{}/_sandbox/stats", sb.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Turns the account's custom objects off: the team's store cannot be reached.
pub async fn store_off(sb: &Sandbox) {
    set_faults(
        sb,
        &Faults {
            custom_objects_off: true,
            ..Faults::default()
        },
    )
    .await;
}

pub async fn set_faults(sb: &Sandbox, faults: &Faults) {
    reqwest::Client::new()
        .put(format!("{}/_sandbox/faults", sb.base_url()))
        .json(faults)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
}

/// A campaign of `spec` made and run when nobody in the audience is left to send it to: it is
/// made all the same, with nobody pending (`why` says why nobody is left), and its run completes
/// at once, having sent nothing. Returns the finished campaign.
pub async fn send_to_nobody(
    ws: &Workspace,
    audience: &str,
    spec: MessageSpec,
    rate: u32,
    why: &str,
) -> relay_core::campaign::CampaignSummary {
    let made = ws
        .create_campaign(audience, spec, Some(rate), None)
        .await
        .expect("a campaign with nobody to send to is still made");
    assert_eq!(made.counts.pending, 0, "{why}");
    let done = ws
        .run_campaign(
            &made.id,
            &relay_core::campaign::CampaignControl::default(),
            |_| {},
        )
        .await
        .expect("a run with nobody pending completes");
    assert_eq!(
        done.status.as_ref(),
        "completed",
        "nothing was left to send"
    );
    assert_eq!(done.counts.sent, 0, "{why}");
    done
}
