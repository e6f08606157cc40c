//! WhatsApp's limits, against the sandbox playing Meta — it accepts every notification (201, as
//! the API does) and drops those past the portfolio's messaging limit, and marketing templates to
//! US numbers: the limit kept as a 24-hour budget on an injected clock (the sandbox's clock moved
//! with it), numbers reached lately free, a second campaign of the portfolio waiting, the limit
//! unlimited or not set, and Meta's rule with its switch. Nothing is ever dropped.

use crate::support;

use relay_core::audience::{ExclusionReason, MemberAction, MemberFilter};
use relay_core::campaign::{CampaignControl, CampaignStatus, Due, WaitReason};
use relay_core::message::MessageSpec;
use relay_core::meta::budget::Limit;
use relay_core::template::{Category, Template};
use relay_core::workspace::Workspace;
use relay_sandbox::{Faults, Sandbox};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use support::send::{duplicates, ready, sandbox, sandbox_log, sandbox_stats, set_faults, WA};

const H: i64 = 3_600_000;
/// The sandbox's second WhatsApp integration: the same portfolio.
const WA2: &str = "5f1e0c3a9b8d7e6f5a4b3c32";

/// The workspace on a clock `offset` ahead of the system's (the sandbox's is moved with it).
fn offset_clock(ws: Workspace) -> (Workspace, Arc<AtomicI64>) {
    let offset = Arc::new(AtomicI64::new(0));
    let o = offset.clone();
    (
        ws.with_clock(Arc::new(move || {
            chrono::Utc::now().timestamp_millis() + o.load(Ordering::Relaxed)
        })),
        offset,
    )
}

/// Moves both clocks `ms` on: the workspace's and the sandbox's (Meta's window).
async fn advance(sb: &Sandbox, offset: &AtomicI64, ms: i64) {
    offset.fetch_add(ms, Ordering::Relaxed);
    reqwest::Client::new()
        .post(format!("{}/_sandbox/clock", sb.base_url()))
        .json(&json!({ "advance_ms": ms }))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
}

/// Meta's limit in the sandbox (what it drops past).
async fn meta_limit(sb: &Sandbox, limit: Option<u64>) {
    set_faults(
        sb,
        &Faults {
            whatsapp_limit: limit,
            ..Faults::default()
        },
    )
    .await;
}

fn dropped(stats: &Value) -> u64 {
    stats["dropped"].as_u64().unwrap()
}

/// A second template of the same values, approved on `integration`.
async fn another_message(ws: &Workspace, integration: &str, category: Category) -> MessageSpec {
    let t = Template {
        name: "parcel_reminder".into(),
        language: "en_US".into(),
        category,
        body: "Hello {{Ann}}, a reminder: your parcel arrives on {{Friday}} before noon.".into(),
        integrations: vec![integration.into()],
        ..Template::default()
    };
    let draft = ws.save_template(None, &t).unwrap();
    ws.submit_template(&draft.id, &[integration.to_string()])
        .await
        .unwrap();
    MessageSpec {
        template_id: draft.id,
        integration_id: integration.into(),
        mapping: support::parcel_mapping(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_sends_what_fits_and_the_rest_once_the_first_sends_are_a_day_old() {
    let sb = sandbox(4_800).await;
    meta_limit(&sb, Some(2_000)).await;
    let (ws, _tmp, spec, audience) = ready(&sb, WA).await;
    let (ws, offset) = offset_clock(ws);
    ws.set_key("whatsapp_limit", "2000").unwrap();
    let checked = ws
        .check_audience(&audience, Some(spec.clone()))
        .await
        .unwrap();
    let eligible = checked.eligible;
    assert!(eligible > 2_300, "{eligible}");
    let start = ws.now_ms();
    let before = ws.whatsapp_budget(&audience, WA).await.unwrap().unwrap();
    assert_eq!(before.limit, Limit::Numbers(2_000));
    assert_eq!(
        (
            before.used,
            before.available,
            before.reach,
            before.now,
            before.waiting
        ),
        (0, 2_000, eligible, 2_000, eligible - 2_000)
    );
    assert!(before.releases.is_empty(), "nothing sent yet frees a slot");
    let all_by: i64 = before.all_by.as_deref().unwrap().parse().unwrap();
    assert!((start + 24 * H..start + 24 * H + 60_000).contains(&all_by));

    let c = ws
        .create_campaign(&audience, spec.clone(), Some(1_000), None)
        .await
        .unwrap();
    let first = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(first.counts.sent, 2_000);
    assert_eq!(first.status, CampaignStatus::Waiting);
    assert_eq!(first.waits_for, Some(WaitReason::MessagingLimit));
    assert_eq!(first.waiting, eligible - 2_000);
    assert_eq!(first.counts.pending, first.waiting, "everyone left waits");
    let next: i64 = first.next_at.as_deref().unwrap().parse().unwrap();
    let end = ws.now_ms();
    assert!(
        next >= start + 24 * H && next <= end + 24 * H + 60_000,
        "the first slot frees a day after the first send, at the minute: {next}"
    );
    let windows = ws.waiting_windows(&c.id).unwrap();
    assert_eq!(windows.iter().map(|w| w.count).sum::<u32>(), first.waiting);

    // The budget as the review now says it: all used, when the slots free.
    let after = ws.whatsapp_budget(&audience, WA).await.unwrap().unwrap();
    assert_eq!((after.used, after.available), (2_000, 0));
    assert_eq!(after.reached_lately, 2_000);
    assert_eq!(after.waiting, eligible - 2_000);
    assert!(!after.releases.is_empty());
    assert_eq!(after.releases.last().unwrap().count, eligible - 2_000);

    // A second campaign of the portfolio (another message, the other WhatsApp number): the
    // numbers reached lately cost nothing and go; the others wait too.
    let spec2 = another_message(&ws, WA2, Category::Utility).await;
    ws.check_audience(&audience, Some(spec2.clone()))
        .await
        .unwrap();
    let c2 = ws
        .create_campaign(&audience, spec2, Some(1_000), None)
        .await
        .unwrap();
    let second = ws
        .run_campaign(&c2.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(second.counts.sent, 2_000);
    assert_eq!(second.status, CampaignStatus::Waiting);
    assert_eq!(second.waiting, eligible - 2_000);
    assert_eq!(
        dropped(&sandbox_stats(&sb).await),
        0,
        "Meta dropped nothing"
    );

    // Not due before the first slot frees; a day after the first sends, both go on.
    assert!(ws
        .due_campaigns()
        .unwrap()
        .0
        .iter()
        .all(|d| *d != Due::Waiting(c.id.clone())));
    advance(&sb, &offset, 24 * H + 10 * 60_000).await;
    let due = ws.due_campaigns().unwrap().0;
    assert!(due.contains(&Due::Waiting(c.id.clone())), "{due:?}");
    let done = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(done.status, CampaignStatus::Completed);
    assert_eq!(done.counts.sent, eligible);
    assert_eq!(done.waits_for, None);
    let done2 = ws
        .run_campaign(&c2.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(done2.status, CampaignStatus::Completed);
    assert_eq!(done2.counts.sent, eligible);
    let stats = sandbox_stats(&sb).await;
    assert_eq!(dropped(&stats), 0, "{stats}");
    assert_eq!(stats["delivered"].as_u64(), Some(2 * u64::from(eligible)));
    let log = sandbox_log(&sb).await;
    let first_message: Vec<Value> = log
        .iter()
        .filter(|n| n["integration_id"] == WA)
        .cloned()
        .collect();
    assert!(duplicates(&first_message).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlimited_keeps_nothing_and_a_limit_not_set_says_so() {
    let sb = sandbox(60).await;
    let (ws, _tmp, spec, audience) = ready(&sb, WA).await;
    ws.check_audience(&audience, Some(spec.clone()))
        .await
        .unwrap();
    let eligible = ws.audience_summary(&audience).unwrap().eligible;
    let not_set = ws.whatsapp_budget(&audience, WA).await.unwrap().unwrap();
    assert_eq!(not_set.limit, Limit::NotSet);
    assert_eq!((not_set.now, not_set.waiting), (eligible, 0));
    assert!(
        ws.whatsapp_budget(&audience, support::send::TWILIO)
            .await
            .unwrap()
            .is_none(),
        "SMS has no such limit"
    );
    // A bad limit is refused at its field, and changes nothing.
    let err = ws.set_key("whatsapp_limit", "1000").unwrap_err();
    assert!(err.details.unwrap().fields.contains_key("whatsapp_limit"));
    assert_eq!(ws.settings().unwrap().whatsapp_limit, "");
    ws.set_key("whatsapp_limit", "unlimited").unwrap();
    let unlimited = ws.whatsapp_budget(&audience, WA).await.unwrap().unwrap();
    assert_eq!(unlimited.limit, Limit::Unlimited);
    assert_eq!(unlimited.waiting, 0);
    let c = ws
        .create_campaign(&audience, spec, Some(500), None)
        .await
        .unwrap();
    let done = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(done.status, CampaignStatus::Completed);
    assert_eq!(done.counts.sent, eligible);
    // An integration outside the portfolio is kept to nothing either.
    ws.set_key("whatsapp_limit", "250").unwrap();
    ws.set_key("whatsapp_portfolio", WA2).unwrap();
    let outside = ws.whatsapp_budget(&audience, WA).await.unwrap().unwrap();
    assert!(!outside.in_portfolio);
    assert_eq!(outside.waiting, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marketing_templates_to_us_numbers_are_left_out_until_the_rule_is_lifted() {
    let sb = sandbox(240).await;
    let (ws, _tmp, spec, audience) = ready(&sb, WA).await;
    let marketing = another_message(&ws, WA, Category::Marketing).await;
    let checked = ws
        .check_audience(&audience, Some(marketing.clone()))
        .await
        .unwrap();
    let caught = support::excluded(&checked, "meta_rule");
    assert!(caught > 0, "the sandbox's users include US numbers");
    let members = ws
        .audience_members(
            &audience,
            MemberFilter::Excluded(ExclusionReason::MetaRule),
            0,
            1_000,
        )
        .unwrap();
    for m in &members.rows {
        let phone = m.phone.as_deref().unwrap();
        assert_eq!(
            relay_core::phone::region_of(phone).as_deref(),
            Some("US"),
            "{phone}"
        );
        assert_eq!(m.detail.as_ref().unwrap().key, "meta_rule.marketing_us");
    }
    // Sent: nobody Meta would drop.
    let c = ws
        .create_campaign(&audience, marketing.clone(), Some(500), None)
        .await
        .unwrap();
    let done = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(done.status, CampaignStatus::Completed);
    assert_eq!(dropped(&sandbox_stats(&sb).await), 0);
    // A utility template is not caught.
    let utility = ws
        .check_audience(&audience, Some(spec.clone()))
        .await
        .unwrap();
    assert_eq!(support::excluded(&utility, "meta_rule"), 0);
    // Once Meta lifts it, the team lifts it: nobody is left out for it. An unknown rule is
    // refused.
    assert!(ws.set_key("meta_rules_lifted", "marketing_eu").is_err());
    ws.set_key("meta_rules_lifted", "marketing_us").unwrap();
    let lifted = ws.check_audience(&audience, Some(marketing)).await.unwrap();
    assert_eq!(support::excluded(&lifted, "meta_rule"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_desktops_sending_at_once_through_one_portfolio_stay_within_the_limit() {
    let sb = sandbox(1_200).await;
    meta_limit(&sb, Some(250)).await;
    let (a, _ta, spec_a, audience_a) = ready(&sb, WA).await;
    let (b, _tb, _, audience_b) = support::send::ready_too(&sb, WA).await;
    // B sends another message, through the portfolio's other number.
    let spec_b = another_message(&b, WA2, Category::Utility).await;
    for (ws, audience, spec) in [(&a, &audience_a, &spec_a), (&b, &audience_b, &spec_b)] {
        ws.set_key("whatsapp_limit", "250").unwrap();
        let checked = ws
            .check_audience(audience, Some(spec.clone()))
            .await
            .unwrap();
        assert!(checked.eligible > 500, "{}", checked.eligible);
    }
    // B leaves out the first 300 of A's recipients: each would reach 250 numbers of its own.
    let first: Vec<String> = b
        .audience_members(&audience_b, MemberFilter::Eligible, 0, 300)
        .unwrap()
        .rows
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    b.set_members(&audience_b, &first, MemberAction::Remove)
        .await
        .unwrap();
    let ca = a
        .create_campaign(&audience_a, spec_a, Some(50), None)
        .await
        .unwrap();
    let cb = b
        .create_campaign(&audience_b, spec_b, Some(50), None)
        .await
        .unwrap();
    let (control_a, control_b) = (CampaignControl::default(), CampaignControl::default());
    let (ra, rb) = tokio::join!(
        a.run_campaign(&ca.id, &control_a, |_| {}),
        b.run_campaign(&cb.id, &control_b, |_| {})
    );
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    let stats = sandbox_stats(&sb).await;
    assert_eq!(dropped(&stats), 0, "{stats}");
    let reached = stats["delivered_destinations"].as_u64().unwrap();
    assert!(reached <= 250, "{reached} numbers reached: {stats}");
    assert!(
        reached >= 200,
        "the limit is used, not left idle: {reached}"
    );
    for r in [&ra, &rb] {
        assert_eq!(r.status, CampaignStatus::Waiting, "{r:?}");
        assert_eq!(r.waits_for, Some(WaitReason::MessagingLimit));
    }
}
