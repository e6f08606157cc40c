//! The template library against the sandbox: submit (WhatsApp through Sunshine Conversations,
//! SMS ready at once), refusals that change nothing, sync with Meta's review moving on
//! (PENDING → APPROVED or REJECTED with its reason), templates made elsewhere, and deletion.

use relay_core::template::library::{Library, TemplateState, TemplateStatus};
use relay_core::template::Template;
use relay_core::workspace::Workspace;
use relay_core::ErrorCode;
use relay_sandbox::{ManualClock, Sandbox, SandboxConfig};
use std::sync::Arc;

use crate::support;
use std::time::Duration;

const WA_SUPPORT: &str = "5f1e0c3a9b8d7e6f5a4b3c31";
const WA_MARKETING: &str = "5f1e0c3a9b8d7e6f5a4b3c32";
const TWILIO: &str = "5f1e0c3a9b8d7e6f5a4b3c33";

async fn setup() -> (Sandbox, ManualClock, Workspace, tempfile::TempDir) {
    let clock = ManualClock::new(chrono::Utc::now());
    let sb = Sandbox::start(SandboxConfig {
        approve_after: Duration::from_secs(60),
        clock: Arc::new(clock.clone()),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let (ws, tmp) = support::workspace_on(&sb);
    (sb, clock, ws, tmp)
}

fn template(name: &str) -> Template {
    Template {
        name: name.into(),
        language: "en_US".into(),
        body: "Hi {{Ann}}, your order **{{A-1042}}** ships today.".into(),
        footer: "Reply STOP to opt out".into(),
        integrations: vec![WA_SUPPORT.into(), TWILIO.into()],
        ..Template::default()
    }
}

fn state<'a>(lib: &'a Library, name: &str, integration: &str) -> &'a TemplateState {
    lib.local
        .iter()
        .find(|e| e.draft.template.name == name)
        .unwrap_or_else(|| panic!("{name} is listed"))
        .states
        .iter()
        .find(|s| s.integration_id == integration)
        .unwrap_or_else(|| panic!("{name} has a state on {integration}"))
}

#[tokio::test]
async fn submit_sync_review_and_delete() {
    let (_sb, clock, ws, _tmp) = setup().await;

    // Offline view first: nothing synced yet, the draft not submitted anywhere.
    let draft = ws.save_template(None, &template("spring_notice")).unwrap();
    let lib = ws.template_library().unwrap();
    assert!(
        lib.syncs.is_empty(),
        "no integration known before the first call"
    );
    assert_eq!(lib.local[0].states.len(), 2);
    assert!(lib.local[0]
        .states
        .iter()
        .all(|s| s.status == TemplateStatus::NotSubmitted));

    // Submit to WhatsApp and SMS.
    let entry = ws.submit_template(&draft.id, &[]).await.unwrap();
    let wa = entry
        .states
        .iter()
        .find(|s| s.integration_id == WA_SUPPORT)
        .unwrap();
    assert_eq!(
        (
            wa.status.as_ref(),
            wa.kind.as_ref().map_or("", |k| k.as_ref())
        ),
        ("PENDING", "whatsapp")
    );
    assert_eq!(wa.integration_name, "WhatsApp Support");
    let sms = entry
        .states
        .iter()
        .find(|s| s.integration_id == TWILIO)
        .unwrap();
    assert_eq!(sms.status, TemplateStatus::Ready);

    // Meta reviews: still pending before the delay, approved after it.
    let lib = ws.sync_templates().await.unwrap();
    assert_eq!(
        state(&lib, "spring_notice", WA_SUPPORT).status.as_ref(),
        "PENDING"
    );
    assert_eq!(lib.syncs.len(), 2, "both WhatsApp integrations synced");
    assert!(lib.syncs.iter().all(|s| s.synced_at.is_some()));
    clock.advance(Duration::from_secs(61));
    let lib = ws.sync_templates().await.unwrap();
    assert_eq!(
        state(&lib, "spring_notice", WA_SUPPORT).status.as_ref(),
        "APPROVED"
    );
    assert_eq!(
        state(&lib, "spring_notice", TWILIO).status,
        TemplateStatus::Ready
    );

    // Templates made elsewhere are listed with their status and reason.
    let seeded = |name: &str| {
        lib.remote
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("{name} listed"))
            .clone()
    };
    assert_eq!(seeded("order_shipped").status.as_ref(), "APPROVED");
    assert_eq!(seeded("order_shipped").integration_name, "WhatsApp Support");
    assert!(seeded("order_shipped").body.contains("{{1}}"));
    assert_eq!(seeded("summer_sale").status.as_ref(), "PENDING");
    let rejected = seeded("free_money_now");
    assert_eq!(rejected.status.as_ref(), "REJECTED");
    assert!(rejected.reason.is_some(), "the rejection reason is kept");
    assert!(lib.remote.iter().any(|r| r.integration_id == WA_MARKETING));

    // Submitting the same name and language again: Meta's conflict, explained.
    let err = ws.submit_template(&draft.id, &[]).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Rejected);
    assert!(
        err.message.contains("already has a template spring_notice"),
        "{}",
        err.message
    );

    // Edited after approval: flagged, the approved version is what Meta knows.
    let mut edited = draft.template.clone();
    edited.body.push_str(" Thanks!");
    ws.save_template(Some(&draft.id), &edited).unwrap();
    let lib = ws.template_library().unwrap();
    assert!(state(&lib, "spring_notice", WA_SUPPORT).edited_since_submitted);

    // A name Meta rejects: the reason reaches the list.
    let bad = ws
        .save_template(None, &template("reject_this_one"))
        .unwrap();
    ws.submit_template(&bad.id, &[WA_SUPPORT.to_string()])
        .await
        .unwrap();
    clock.advance(Duration::from_secs(61));
    let lib = ws.sync_templates().await.unwrap();
    let s = state(&lib, "reject_this_one", WA_SUPPORT);
    assert_eq!(
        (s.status.as_ref(), s.reason.as_deref()),
        ("REJECTED", Some("INVALID_FORMAT"))
    );

    // Delete on WhatsApp: gone there, the local template stays, the SMS state untouched.
    let lib = ws
        .delete_remote_template(WA_SUPPORT, "spring_notice")
        .await
        .unwrap();
    assert_eq!(
        state(&lib, "spring_notice", WA_SUPPORT).status,
        TemplateStatus::NotSubmitted
    );
    assert_eq!(
        state(&lib, "spring_notice", TWILIO).status,
        TemplateStatus::Ready
    );
    let lib = ws.sync_templates().await.unwrap();
    assert!(!lib.remote.iter().any(|r| r.name == "spring_notice"));
    let err = ws
        .delete_remote_template(WA_SUPPORT, "spring_notice")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(err.message.contains("already deleted"), "{}", err.message);
}

#[tokio::test]
async fn refused_submissions_change_nothing() {
    let (_sb, _clock, ws, _tmp) = setup().await;
    let before = ws.sync_templates().await.unwrap();

    // Errors for WhatsApp: a footer with a dynamic value; every field named, nothing created.
    let mut t = template("bad_footer");
    t.footer = "Hi {{Ann}}".into();
    t.body = "{{Ann}} starts the body".into();
    let d = ws.save_template(None, &t).unwrap();
    let err = ws.submit_template(&d.id, &[]).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    let fields = err.details.unwrap().fields;
    assert!(
        fields.contains_key("footer") && fields.contains_key("body"),
        "{fields:?}"
    );
    assert!(err.message.contains("nothing was sent"));

    // No integration chosen, an unknown one.
    let mut none = template("no_target");
    none.integrations.clear();
    let d2 = ws.save_template(None, &none).unwrap();
    let err = ws.submit_template(&d2.id, &[]).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert!(err.message.contains("at least one integration"));
    let err = ws
        .submit_template(&d2.id, &["nope".to_string()])
        .await
        .unwrap_err();
    // The core names no command (the CLI adds its hint); the integration is named.
    assert_eq!(err.text.key, "integration.not_found");
    assert!(
        err.message.contains("nope") && !err.message.contains("relay "),
        "{}",
        err.message
    );

    let after = ws.sync_templates().await.unwrap();
    assert_eq!(
        before.remote, after.remote,
        "nothing reached Sunshine Conversations"
    );
    assert!(after
        .local
        .iter()
        .flat_map(|e| &e.states)
        .all(|s| s.status == TemplateStatus::NotSubmitted));
}
