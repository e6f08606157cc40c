//! The right moment, against the sandbox (whose users live in eight countries, each with its
//! `iana_time_zone`), on an injected clock: quiet hours kept in each recipient's own time zone
//! (the engine defers them, the campaign waits, then goes on as windows open), scheduled
//! campaigns checked and frozen again at their time, a missed one, and two schedules of one
//! message (the blackout decides).

use crate::support;

use relay_core::campaign::{CampaignControl, CampaignStatus, CampaignTiming, Due, RecipientState};
use relay_core::workspace::Workspace;
use relay_sandbox::data::{Population, AGENTS};
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use support::send::{duplicates, ready, sandbox, sandbox_log, WA};

fn ms(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .timestamp_millis()
}

/// Sent at `ms`, with the workspace's quiet hours.
fn at_time(ms: i64) -> CampaignTiming {
    CampaignTiming {
        quiet_hours: None,
        at: Some(ms.to_string()),
    }
}

/// Sent now, with these quiet hours.
fn quiet(hours: &str) -> CampaignTiming {
    CampaignTiming {
        quiet_hours: Some(hours.into()),
        at: None,
    }
}

fn on_clock(ws: Workspace, at: i64) -> (Workspace, Arc<AtomicI64>) {
    let clock = Arc::new(AtomicI64::new(at));
    let c = clock.clone();
    (
        ws.with_clock(Arc::new(move || c.load(Ordering::Relaxed))),
        clock,
    )
}

/// The campaign's recipients sent so far, by their country (the sandbox's users: 42 is its
/// seed).
fn sent_by_country(ws: &Workspace, id: &str, users: u64) -> BTreeMap<&'static str, u32> {
    let pop = Population::new(42, users.max(AGENTS + 1));
    let country: HashMap<String, &'static str> = (0..pop.count)
        .map(|i| pop.user(i))
        .map(|u| (u.id.to_string(), u.country.code))
        .collect();
    let mut by = BTreeMap::new();
    for r in ws
        .campaign_recipients(id, Some(RecipientState::Sent), 0, 100_000)
        .unwrap()
        .rows
    {
        *by.entry(country[&r.user_id]).or_insert(0) += 1;
    }
    by
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_hours_wait_for_each_recipients_own_morning() {
    let sb = sandbox(240).await;
    let (ws, _tmp, spec, audience) = ready(&sb, WA).await;
    // 22:00 UTC on a winter Friday: 23:00 in Paris, Berlin and Madrid, 22:00 in London, 03:30
    // in Delhi — asleep; 19:00 in São Paulo, 17:00 in New York, 16:00 in Mexico City — awake.
    let (ws, clock) = on_clock(ws, ms("2027-01-15T22:00:00Z"));
    ws.set_key("quiet_hours", "21:00-08:00").unwrap();
    let eligible = ws.audience_summary(&audience).unwrap().eligible;

    let preview = ws
        .timing_preview(
            &audience,
            relay_core::timing::QuietHours::parse("21:00-08:00", "q").unwrap(),
            50,
            None,
        )
        .unwrap();
    assert_eq!(preview.recipients, eligible);
    assert_eq!(
        preview.zones.user, eligible,
        "every sandbox user has an IANA zone"
    );
    assert!(preview.quiet_at_start.user > 0 && preview.quiet_at_start.user < eligible);
    // The last ones (London) open at 08:00 UTC.
    let end: i64 = preview.estimated_end.parse().unwrap();
    assert!(
        end >= ms("2027-01-16T08:00:00Z"),
        "{}",
        preview.estimated_end
    );
    assert!(
        end < ms("2027-01-16T08:01:00Z"),
        "{}",
        preview.estimated_end
    );

    let c = ws
        .create_campaign(&audience, spec.clone(), Some(200), None)
        .await
        .unwrap();
    assert_eq!(c.quiet_hours.as_deref(), Some("21:00-08:00"));
    let first = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    let got = sent_by_country(&ws, &c.id, 240);
    for asleep in ["FR", "DE", "ES", "GB", "IN"] {
        assert_eq!(got.get(asleep), None, "{asleep} is asleep: {got:?}");
    }
    for awake in ["BR", "US", "MX"] {
        assert!(
            got.get(awake).copied().unwrap_or(0) > 0,
            "{awake} is awake: {got:?}"
        );
    }
    assert_eq!(first.status, CampaignStatus::Waiting);
    assert_eq!(first.counts.pending, first.waiting, "everyone left waits");
    assert_eq!(first.counts.sent + first.waiting, eligible);
    // The first window to open: Delhi's, 08:00 IST = 02:30 UTC.
    assert_eq!(
        first.next_at.as_deref(),
        Some(ms("2027-01-16T02:30:00Z").to_string().as_str())
    );
    let windows = ws.waiting_windows(&c.id).unwrap();
    assert_eq!(
        windows.iter().map(|w| w.at.clone()).collect::<Vec<_>>(),
        [
            "2027-01-16T02:30:00Z",
            "2027-01-16T07:00:00Z",
            "2027-01-16T08:00:00Z"
        ]
        .iter()
        .map(|t| ms(t).to_string())
        .collect::<Vec<_>>()
    );
    assert_eq!(windows.iter().map(|w| w.count).sum::<u32>(), first.waiting);

    // Not yet due: nothing to run. At 07:30 UTC, Delhi, Paris, Berlin and Madrid are awake.
    assert_eq!(ws.due_campaigns().unwrap().0, Vec::<Due>::new());
    clock.store(ms("2027-01-16T07:30:00Z"), Ordering::Relaxed);
    assert_eq!(
        ws.due_campaigns().unwrap().0,
        vec![Due::Waiting(c.id.clone())]
    );
    let second = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    let got = sent_by_country(&ws, &c.id, 240);
    assert_eq!(got.get("GB"), None, "London is still asleep: {got:?}");
    for now_awake in ["FR", "DE", "ES", "IN"] {
        assert!(
            got.get(now_awake).copied().unwrap_or(0) > 0,
            "{now_awake}: {got:?}"
        );
    }
    assert_eq!(second.status, CampaignStatus::Waiting);
    assert_eq!(
        second.next_at.as_deref(),
        Some(ms("2027-01-16T08:00:00Z").to_string().as_str())
    );

    // At 08:00 UTC, London's window opens: the rest is sent.
    clock.store(ms("2027-01-16T08:00:00Z"), Ordering::Relaxed);
    let done = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(done.status, CampaignStatus::Completed);
    assert_eq!(done.counts.sent, eligible);
    let log = sandbox_log(&sb).await;
    assert_eq!(log.len() as u32, eligible);
    assert!(duplicates(&log).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_hours_off_for_one_campaign_and_refused_when_malformed() {
    let sb = sandbox(40).await;
    let (ws, _tmp, spec, audience) = ready(&sb, WA).await;
    let (ws, _clock) = on_clock(ws, ms("2027-01-15T22:00:00Z"));
    ws.set_key("quiet_hours", "21:00-08:00").unwrap();
    assert!(ws.set_key("quiet_hours", "9pm-8am").is_err());
    assert!(ws.set_key("time_zone", "Mars/Olympus").is_err());
    let bad = ws
        .create_campaign_timed(&audience, spec.clone(), Some(100), None, quiet("21:00"))
        .await
        .unwrap_err();
    assert!(bad.details.unwrap().fields.contains_key("quiet_hours"));
    assert!(
        ws.campaigns().unwrap().is_empty(),
        "bad input changes nothing"
    );
    let c = ws
        .create_campaign_timed(&audience, spec, Some(100), None, quiet("off"))
        .await
        .unwrap();
    assert_eq!(c.quiet_hours, None);
    let done = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(done.status, CampaignStatus::Completed);
    assert_eq!(
        done.counts.sent,
        ws.audience_summary(&audience).unwrap().eligible
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_campaign_is_checked_again_and_sent_at_its_time() {
    let sb = sandbox(60).await;
    let (ws, _tmp, spec, audience) = ready(&sb, WA).await;
    let now = ms("2027-01-15T12:00:00Z");
    let (ws, clock) = on_clock(ws, now);
    let eligible = ws.audience_summary(&audience).unwrap().eligible;
    let past = ws
        .create_campaign_timed(&audience, spec.clone(), Some(100), None, at_time(now - 1))
        .await
        .unwrap_err();
    assert!(past.details.unwrap().fields.contains_key("at"));
    let at = now + 3_600_000;
    let c = ws
        .create_campaign_timed(&audience, spec.clone(), Some(100), None, at_time(at))
        .await
        .unwrap();
    assert_eq!(c.status, CampaignStatus::Scheduled);
    assert_eq!(c.scheduled_at, Some(at.to_string()));
    assert_eq!(c.counts.pending, eligible);
    assert!(c.can.start && c.can.reschedule && c.can.cancel && !c.can.resume);
    assert!(
        sandbox_log(&sb).await.is_empty(),
        "nothing is sent when scheduling"
    );
    assert_eq!(ws.next_due_at().unwrap(), Some(at));
    assert_eq!(ws.due_campaigns().unwrap(), (Vec::new(), Vec::new()));

    // People change meanwhile: two numbers are put on the list never to message.
    let two: Vec<String> = ws
        .campaign_recipients(
            &c.id,
            Some(relay_core::campaign::RecipientState::Pending),
            0,
            2,
        )
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r.phone.unwrap())
        .collect();
    ws.suppress_numbers(&two, "asked to stop").unwrap();

    clock.store(at + 5_000, Ordering::Relaxed);
    assert_eq!(
        ws.due_campaigns().unwrap().0,
        vec![Due::Scheduled(c.id.clone())]
    );
    let done = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(done.status, CampaignStatus::Completed);
    assert_eq!(done.counts.sent, eligible - 2, "checked again at its time");
    assert_eq!(done.scheduled_counts.as_ref().unwrap().pending, eligible);
    let log = sandbox_log(&sb).await;
    assert!(log
        .iter()
        .all(|n| !two.contains(&n["destination_id"].as_str().unwrap().to_string())));
    assert_eq!(ws.next_due_at().unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_found_late_is_missed_and_waits_for_a_decision() {
    let sb = sandbox(30).await;
    let (ws, _tmp, spec, audience) = ready(&sb, WA).await;
    let now = ms("2027-01-15T12:00:00Z");
    let (ws, clock) = on_clock(ws, now);
    let at = now + 60_000;
    let timing = at_time(at);
    let c = ws
        .create_campaign_timed(&audience, spec, Some(100), None, timing)
        .await
        .unwrap();
    // No Relay ran for two hours (the lateness is one hour by default).
    clock.store(at + 2 * 3_600_000, Ordering::Relaxed);
    let (due, missed) = ws.due_campaigns().unwrap();
    assert!(due.is_empty());
    assert_eq!(missed, vec![c.id.clone()]);
    let m = ws.campaign(&c.id).unwrap();
    assert_eq!(m.status, CampaignStatus::Missed);
    assert!(m.can.start && m.can.reschedule && m.can.cancel);
    assert!(
        sandbox_log(&sb).await.is_empty(),
        "a missed campaign is not sent on its own"
    );
    assert_eq!(ws.next_due_at().unwrap(), None);
    // Rescheduled: to a time ahead only.
    let later = at + 3 * 3_600_000;
    assert!(ws.reschedule_campaign(&c.id, &at_time(at)).is_err());
    let r = ws.reschedule_campaign(&c.id, &at_time(later)).unwrap();
    assert_eq!(r.status, CampaignStatus::Scheduled);
    assert_eq!(ws.next_due_at().unwrap(), Some(later));
    // Cancelled: nothing is ever sent.
    let cancelled = ws.cancel_campaign(&c.id).unwrap();
    assert_eq!(cancelled.status, CampaignStatus::Cancelled);
    assert_eq!(ws.next_due_at().unwrap(), None);
    assert!(sandbox_log(&sb).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_schedules_of_one_message_reach_each_recipient_once() {
    let sb = sandbox(60).await;
    let (ws, _tmp, spec, audience) = ready(&sb, WA).await;
    let now = ms("2027-01-15T12:00:00Z");
    let (ws, clock) = on_clock(ws, now);
    let eligible = ws.audience_summary(&audience).unwrap().eligible;
    let at = now + 600_000;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let c = ws
            .create_campaign_timed(&audience, spec.clone(), Some(100), None, at_time(at))
            .await
            .unwrap();
        // A scheduled campaign holds nobody: the second is frozen with everyone too.
        assert_eq!(c.counts.pending, eligible);
        ids.push(c.id);
    }
    clock.store(at, Ordering::Relaxed);
    let (due, _) = ws.due_campaigns().unwrap();
    assert_eq!(due.len(), 2);
    let mut sent = 0;
    for id in &ids {
        let done = ws
            .run_campaign(id, &CampaignControl::default(), |_| {})
            .await
            .unwrap();
        assert_eq!(done.status, CampaignStatus::Completed);
        sent += done.counts.sent;
    }
    assert_eq!(sent, eligible, "the blackout decides: each recipient once");
    let log = sandbox_log(&sb).await;
    assert_eq!(log.len() as u32, eligible);
    assert!(duplicates(&log).is_empty());
}
