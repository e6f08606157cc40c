//! Relay hears "no", against the sandbox playing Zendesk: consent rules applied whatever the
//! query says, and opt-outs replied in Zendesk captured by Relay's trigger, read, and honoured on
//! every desktop of the team.

use crate::support;

use relay_core::audience::{ExclusionReason, MemberFilter};
use relay_core::consent::optouts::{ReplyVerdict, REPLY_TAG};
use relay_core::suppression::SuppressReason;
use relay_core::workspace::Workspace;
use relay_core::ErrorCode;
use relay_sandbox::data::{PhoneKind, Population, AGENTS};
use relay_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};
use std::sync::atomic::AtomicBool;
use support::send::{ready, ready_too, WA};

const USERS: u64 = 300;

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        users: USERS,
        zendesk_rate_per_minute: 100_000,
        approve_after: std::time::Duration::ZERO,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

/// End users with a mobile in E.164 (their number is what a reply comes from).
fn mobiles(sb: &Sandbox) -> Vec<(u64, String)> {
    let pop = Population::new(sb.info().seed, sb.info().users);
    (AGENTS + 1..pop.count)
        .filter(|i| pop.phone_kind(*i) == PhoneKind::E164)
        .map(|i| {
            let u = pop.user(i);
            (u.id, u.e164.unwrap())
        })
        .collect()
}

async fn reply(sb: &Sandbox, from: &str, text: &str, channel: &str) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{}/_sandbox/inbound", sb.base_url()))
        .json(&json!({"from": from, "text": text, "channel": channel}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    r.json().await.unwrap()
}

async fn faults(sb: &Sandbox, f: Value) {
    let r = reqwest::Client::new()
        .put(format!("{}/_sandbox/faults", sb.base_url()))
        .json(&f)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
}

fn opted_out(ws: &Workspace) -> Vec<(String, Option<String>)> {
    ws.suppressed_numbers()
        .unwrap()
        .into_iter()
        .filter(|s| s.reason == SuppressReason::OptedOut)
        .map(|s| (s.phone, s.evidence.map(|e| e.english())))
        .collect()
}

async fn reason_of(
    ws: &Workspace,
    audience: &str,
    user: u64,
) -> (Option<ExclusionReason>, Option<String>) {
    for page in 0..10 {
        let rows = ws
            .audience_members(audience, MemberFilter::All, page * 1000, 1000)
            .unwrap()
            .rows;
        if let Some(m) = rows.into_iter().find(|m| m.user_id == user.to_string()) {
            return (m.reason, m.detail.map(|d| d.english()));
        }
    }
    panic!("{user} is not a member");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_and_arret_are_honoured_on_two_desktops_a_maybe_waits_and_start_lifts() {
    let sb = sandbox().await;
    let (a, _ta, _, _) = ready(&sb, WA).await;
    let (b, _tb, spec_b, _) = ready_too(&sb, WA).await;
    let people = mobiles(&sb);
    let [(ana, ana_phone), (ben, ben_phone), (cy, cy_phone), (_, di_phone), ..] = people.as_slice()
    else {
        panic!("four mobiles");
    };

    // Set up once; a second setup changes nothing.
    let status = a.setup_optouts().await.unwrap();
    let trigger = status.trigger.clone().expect("the trigger is there");
    assert!(trigger.active && trigger.current);
    let again = a.setup_optouts().await.unwrap();
    assert_eq!(
        again.trigger.unwrap().id,
        trigger.id,
        "still the one trigger"
    );

    // A French ARRÊT by SMS, an English STOP on WhatsApp, a reply that only holds the word, and
    // an ordinary reply.
    let t = reply(&sb, ana_phone, "ARRÊT", "sms").await;
    assert!(
        t["ticket"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == REPLY_TAG),
        "the trigger tagged it: {t}"
    );
    reply(&sb, ben_phone, "Stop.", "whatsapp").await;
    reply(&sb, cy_phone, "please don't stop the deals", "whatsapp").await;
    let plain = reply(&sb, di_phone, "Thanks, see you Friday", "whatsapp").await;
    assert!(
        plain["ticket"]["tags"].as_array().unwrap().is_empty(),
        "no word, no tag"
    );

    let read = a.read_optouts(true).await.unwrap();
    assert_eq!((read.opted_out, read.maybe), (2, 1), "{read:?}");
    let out = opted_out(&a);
    let evidence = |phone: &str| {
        out.iter()
            .find(|(p, _)| p == phone)
            .and_then(|(_, e)| e.clone())
            .unwrap_or_else(|| panic!("{phone} opted out: {out:?}"))
    };
    assert!(
        evidence(ana_phone).contains("ARRÊT"),
        "{}",
        evidence(ana_phone)
    );
    assert!(evidence(ben_phone).contains("Stop."));
    assert!(
        !out.iter().any(|(p, _)| p == cy_phone),
        "a maybe is still messaged until confirmed"
    );

    // The other desktop: after one sync, both are left out of its audience with the evidence.
    b.team_sync().await.unwrap();
    let audience = b
        .fetch_audience("role:end-user", &AtomicBool::new(false), |_| {})
        .await
        .unwrap()
        .id;
    let checked = b.check_audience(&audience, Some(spec_b)).await.unwrap();
    assert!(checked.count(ExclusionReason::OptedOut) >= 2);
    for user in [ana, ben] {
        let (reason, detail) = reason_of(&b, &audience, *user).await;
        assert_eq!(reason, Some(ExclusionReason::OptedOut));
        assert!(detail.unwrap().contains("ticket #"), "the evidence shows");
    }
    assert_eq!(
        reason_of(&b, &audience, *cy).await.0,
        None,
        "a maybe still receives it"
    );

    // The admin confirms the maybe on desktop A; B sees the decision at its next read.
    let maybe = a.optouts_status().await.unwrap().maybe;
    assert_eq!(maybe.len(), 1);
    a.decide_reply(&maybe[0].comment_id, true).await.unwrap();
    assert!(opted_out(&a).iter().any(|(p, _)| p == cy_phone));
    b.read_optouts(true).await.unwrap();
    assert!(
        opted_out(&b).iter().any(|(p, _)| p == cy_phone),
        "the decision is the ticket's"
    );

    // START: Ana is back; a number suppressed by hand is never lifted by a START.
    a.suppress_numbers(std::slice::from_ref(di_phone), "asked by phone")
        .unwrap();
    reply(&sb, ana_phone, "start", "sms").await;
    reply(&sb, di_phone, "START", "whatsapp").await;
    let read = a.read_optouts(true).await.unwrap();
    assert_eq!(read.opted_in, 2);
    assert!(!opted_out(&a).iter().any(|(p, _)| p == ana_phone));
    assert!(a
        .suppressed_numbers()
        .unwrap()
        .iter()
        .any(|s| &s.phone == di_phone));
    // …and on the other desktop after a sync.
    b.team_sync().await.unwrap();
    assert!(!b
        .suppressed_numbers()
        .unwrap()
        .iter()
        .any(|s| &s.phone == ana_phone));
    let recent = a.optouts_status().await.unwrap().recent;
    assert!(recent.iter().any(|r| r.verdict == ReplyVerdict::OptIn));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trigger_is_updated_removed_and_an_agent_is_told_to_ask_an_admin() {
    let sb = sandbox().await;
    let (ws, _t, _, _) = ready(&sb, WA).await;
    ws.setup_optouts().await.unwrap();
    // New words: the trigger no longer hears what the settings say, until set up again.
    ws.set_key("optout_words", "STOP, HALT").unwrap();
    let stale = ws.optouts_status().await.unwrap().trigger.unwrap();
    assert!(!stale.current);
    let fresh = ws.setup_optouts().await.unwrap().trigger.unwrap();
    assert!(fresh.current);
    assert_eq!(fresh.id, stale.id, "updated, not made again");
    let removed = ws.remove_optouts().await.unwrap();
    assert!(removed.trigger.is_none());

    // An agent: told to ask an admin, nothing made.
    let agent = Population::new(sb.info().seed, sb.info().users).user(1);
    ws.set_key("zendesk_email", &agent.email).unwrap();
    let e = ws.setup_optouts().await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    assert!(e.message.contains("admin"), "{}", e.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_the_search_indexes_late_are_read_at_the_next_read() {
    let sb = sandbox().await;
    let (ws, _t, _, _) = ready(&sb, WA).await;
    ws.setup_optouts().await.unwrap();
    let people = mobiles(&sb);
    faults(
        &sb,
        json!({"retry_after_secs": 1, "ticket_index_delay_ms": 1500}),
    )
    .await;
    reply(&sb, &people[0].1, "STOP", "whatsapp").await;
    let first = ws.read_optouts(true).await.unwrap();
    assert_eq!(first.opted_out, 0, "not indexed yet");
    tokio::time::sleep(std::time::Duration::from_millis(1700)).await;
    // A later reply, indexed first, moves the read on; the late one is still found.
    faults(&sb, json!({"retry_after_secs": 1})).await;
    reply(&sb, &people[1].1, "STOP", "whatsapp").await;
    let second = ws.read_optouts(true).await.unwrap();
    assert_eq!(second.opted_out, 2, "{second:?}");
    // Read again: nothing twice.
    assert_eq!(ws.read_optouts(true).await.unwrap().replies, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consent_rule_leaves_out_who_did_not_agree_whatever_the_query() {
    let sb = sandbox().await;
    let (ws, _t, spec, audience) = ready(&sb, WA).await;
    let pop = Population::new(sb.info().seed, sb.info().users);
    // The query forgot the opt-in; the rule does not.
    ws.set_key("consent_whatsapp", "tag:whatsapp_optin")
        .unwrap();
    let checked = ws
        .check_audience(&audience, Some(spec.clone()))
        .await
        .unwrap();
    let without = checked.count(ExclusionReason::NoConsent);
    assert!(without > 0);
    let page = ws
        .audience_members(
            &audience,
            MemberFilter::Excluded(ExclusionReason::NoConsent),
            0,
            1000,
        )
        .unwrap();
    for m in &page.rows {
        let u = pop.user(m.user_id.parse::<u64>().unwrap() - relay_sandbox::data::ID_BASE);
        assert!(
            !u.tags.contains(&"whatsapp_optin".to_string()),
            "{} has the tag",
            m.user_id
        );
        assert!(m
            .detail
            .as_ref()
            .unwrap()
            .english()
            .contains("whatsapp_optin"));
    }
    // An admin lets one through, with a note; without a note, refused.
    let one = &page.rows[0].user_id;
    assert_eq!(
        ws.allow_without_consent(&audience, one, " ")
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidInput
    );
    let after = ws
        .allow_without_consent(&audience, one, "agreed on the phone, 3 Dec")
        .await
        .unwrap();
    assert_eq!(after.count(ExclusionReason::NoConsent), without - 1);
    // A field rule; an unknown key is refused with what to do, nothing saved.
    let e = ws
        .check_consent_rules(&relay_core::settings::Settings {
            consent_sms: "field:sms_ok=true".into(),
            ..ws.settings().unwrap()
        })
        .await
        .unwrap_err();
    assert!(e.message.contains("sms_ok"), "{}", e.message);
    assert_eq!(ws.settings().unwrap().consent_sms, "");
    // Bad rules and empty words are refused as settings.
    assert!(ws.set_key("consent_sms", "opt_in").is_err());
    assert!(ws.set_key("optout_words", "STOP, !!").is_err());
    assert_eq!(
        ws.settings().unwrap().optout_words.len(),
        relay_core::consent::words::DEFAULT_OPT_OUT.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_made_before_a_stop_skips_that_number_when_it_sends() {
    use relay_core::campaign::{CampaignControl, RecipientState};
    let sb = sandbox().await;
    let (ws, _t, spec, audience) = ready(&sb, WA).await;
    ws.setup_optouts().await.unwrap();
    let c = ws
        .create_campaign(&audience, spec, None, None)
        .await
        .unwrap();
    let first = ws
        .campaign_recipients(&c.id, Some(RecipientState::Pending), 0, 1)
        .unwrap()
        .rows
        .remove(0);
    let phone = first.phone.clone().unwrap();
    // Frozen with everyone pending; then this recipient replies STOP in Zendesk.
    reply(&sb, &phone, "STOP", "whatsapp").await;
    let done = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    let skipped = ws
        .campaign_recipients(&c.id, Some(RecipientState::Skipped), 0, 1000)
        .unwrap()
        .rows;
    let row = skipped
        .iter()
        .find(|r| r.user_id == first.user_id)
        .unwrap_or_else(|| panic!("{} skipped: {done:?}", first.user_id));
    assert_eq!(row.reason, Some(ExclusionReason::OptedOut));
    assert!(
        row.error.as_ref().unwrap().english().contains("ticket #"),
        "{row:?}"
    );
    let log = support::send::sandbox_log(&sb).await;
    assert!(
        log.iter()
            .all(|n| n["destination_id"].as_str() != Some(phone.as_str())),
        "never sent"
    );
}
