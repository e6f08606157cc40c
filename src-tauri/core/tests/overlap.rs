//! Nobody twice: across campaigns of the same message (a paused one and a new one, a retry after
//! another campaign reached them), after `unknown` outcomes, with a busy database, and with
//! runners and lock probes racing. Every test counts what the sandbox received.

use crate::support;

use relay_core::campaign::CampaignControl;
use relay_core::campaign::RecipientState;
use relay_core::ErrorCode;
use relay_sandbox::Faults;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;
use support::excluded;
use support::send::{
    duplicates, ready, sandbox, sandbox_log, send_to_nobody, set_faults, TWILIO, WA,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_counts_as_reached_for_the_next_campaign() {
    let sb = sandbox(300).await;
    let (ws, _tmp, spec, audience) = ready(&sb, WA).await;
    let first = ws
        .create_campaign(&audience, spec.clone(), Some(400), Some(1000))
        .await
        .unwrap();
    // A third of the notifications are accepted, then the connection drops before the answer:
    // delivered, but Relay cannot know.
    set_faults(
        &sb,
        &Faults {
            rate_drop_after: 0.3,
            ..Faults::default()
        },
    )
    .await;
    let done = ws
        .run_campaign(&first.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    set_faults(&sb, &Faults::default()).await;
    assert!(done.counts.unknown > 0, "some outcomes are unknown");
    // The same message again: unknown means "may have been delivered", so it counts as reached.
    let again = ws
        .fetch_audience("role:end-user", &AtomicBool::new(false), |_| {})
        .await
        .unwrap();
    send_to_nobody(
        &ws,
        &again.id,
        spec,
        400,
        "everyone the first campaign reached or left unknown is blacked out",
    )
    .await;
    let log = sandbox_log(&sb).await;
    assert_eq!(
        duplicates(&log),
        Vec::<String>::new(),
        "a number left unknown is never messaged again by a new campaign"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_campaign_and_a_second_one_of_the_same_message_reach_nobody_twice() {
    let sb = sandbox(300).await;
    let (ws, _tmp, spec, audience) = ready(&sb, TWILIO).await;
    let first = ws
        .create_campaign(&audience, spec.clone(), Some(200), None)
        .await
        .unwrap();
    let control = CampaignControl::default();
    let paused = ws
        .run_campaign(&first.id, &control, |p| {
            if p.counts.sent >= 30 {
                control.pause();
            }
        })
        .await
        .unwrap();
    assert_eq!(paused.status.as_ref(), "paused");
    assert!(paused.counts.pending > 0);
    // The same send again while the first is paused: those it reached are blacked out, and
    // those it still has to send are left to it.
    let again = ws
        .fetch_audience("role:end-user", &AtomicBool::new(false), |_| {})
        .await
        .unwrap();
    let checked = ws
        .check_audience(&again.id, Some(spec.clone()))
        .await
        .unwrap();
    assert_eq!(
        excluded(&checked, "in_other_campaign"),
        paused.counts.pending,
        "everyone the paused campaign still has to send is left to it"
    );
    assert_eq!(checked.eligible, 0);
    // Each of them names the campaign it is left to.
    let left = ws
        .audience_members(
            &again.id,
            relay_core::audience::MemberFilter::Excluded(
                relay_core::audience::ExclusionReason::InOtherCampaign,
            ),
            0,
            1000,
        )
        .unwrap();
    assert_eq!(left.total, paused.counts.pending);
    assert!(
        left.rows
            .iter()
            .all(|m| m.detail == Some(relay_core::text!("audience.left_to", campaign = first.id))),
        "the other campaign is named"
    );
    send_to_nobody(
        &ws,
        &again.id,
        spec,
        200,
        "everyone is left to the paused campaign or was reached by it",
    )
    .await;
    let resumed = ws
        .run_campaign(&first.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(resumed.status.as_ref(), "completed");
    let log = sandbox_log(&sb).await;
    assert_eq!(duplicates(&log), Vec::<String>::new());
    assert_eq!(log.len() as u32, resumed.counts.sent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrying_failures_skips_those_another_campaign_reached_meanwhile() {
    let sb = sandbox(300).await;
    let (ws, _tmp, spec, audience) = ready(&sb, TWILIO).await;
    let first = ws
        .create_campaign(&audience, spec.clone(), Some(400), Some(1000))
        .await
        .unwrap();
    set_faults(
        &sb,
        &Faults {
            rate_refused: 0.3,
            ..Faults::default()
        },
    )
    .await;
    let done = ws
        .run_campaign(&first.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    set_faults(&sb, &Faults::default()).await;
    let failed = done.counts.failed;
    assert!(failed > 0, "some numbers were refused");
    // A second campaign of the same message reaches the ones the first could not.
    let again = ws
        .fetch_audience("role:end-user", &AtomicBool::new(false), |_| {})
        .await
        .unwrap();
    let second = ws
        .create_campaign(&again.id, spec, Some(400), None)
        .await
        .unwrap();
    assert_eq!(second.counts.pending, failed);
    let second = ws
        .run_campaign(&second.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(second.counts.sent, failed);
    // Then the first one's "Retry failed": each of them was reached meanwhile.
    assert_eq!(ws.requeue_recipients(&first.id, false).unwrap(), failed);
    let retried = ws
        .run_campaign(&first.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    let log = sandbox_log(&sb).await;
    assert_eq!(duplicates(&log), Vec::<String>::new());
    assert_eq!(retried.counts.sent, done.counts.sent, "nobody more sent");
    let skipped = ws
        .campaign_recipients(&first.id, Some(RecipientState::Skipped), 0, 1000)
        .unwrap()
        .rows;
    assert_eq!(
        skipped
            .iter()
            .filter(|r| r.reason == Some(relay_core::audience::ExclusionReason::Blackout))
            .count() as u32,
        failed,
        "each is skipped as blacked out when it comes to be sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_connection_that_writes_the_ledger_survives_a_power_loss() {
    let sb = sandbox(50).await;
    let (ws, _tmp, _spec, _audience) = ready(&sb, WA).await;
    let synchronous: i64 = ws
        .db()
        .connection()
        .pragma_query_value(None, "synchronous", |r| r.get(0))
        .unwrap();
    assert_eq!(
        synchronous, 2,
        "synchronous = FULL on the workspace's connection"
    );
    // Read from the connections themselves: the send engine's is the database thread's.
    let all = ws.durability().await.unwrap();
    assert!(
        all.iter().any(|(name, _, _)| name == "send engine"),
        "{all:?}"
    );
    for (name, synchronous, fullfsync) in all {
        assert_eq!(synchronous, 2, "{name}: a commit survives a power loss");
        assert!(fullfsync, "{name}: F_FULLFSYNC where the OS has it (macOS)");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runners_in_one_process_send_once_and_probes_keep_the_lock() {
    let sb = sandbox(200).await;
    let (ws, _tmp, spec, audience) = ready(&sb, TWILIO).await;
    let ws = Arc::new(ws);
    let c = ws
        .create_campaign(&audience, spec, Some(100), None)
        .await
        .unwrap();
    let (a, b) = (ws.clone(), ws.clone());
    let (id_a, id_b) = (c.id.clone(), c.id.clone());
    // Two runners at once (two windows of one app), while the window probes all along.
    let probing = Arc::new(AtomicBool::new(true));
    let probe = {
        let (ws, id, probing) = (ws.clone(), c.id.clone(), probing.clone());
        std::thread::spawn(move || {
            let mut seen_running = 0;
            while probing.load(std::sync::atomic::Ordering::Relaxed) {
                seen_running += ws.campaign(&id).unwrap().running as u32;
            }
            seen_running
        })
    };
    let first = tokio::spawn(async move {
        a.run_campaign(&id_a, &CampaignControl::default(), |_| {})
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = tokio::spawn(async move {
        b.run_campaign(&id_b, &CampaignControl::default(), |_| {})
            .await
    });
    let (first, second) = (first.await.unwrap(), second.await.unwrap());
    probing.store(false, std::sync::atomic::Ordering::Relaxed);
    assert!(probe.join().unwrap() > 0, "the probe saw it running");
    // Whichever takes the campaign first sends it (both go through the team's claim before, at
    // the store's pace, so the second may overtake the first); the other is refused.
    let (done, refused) = match (first, second) {
        (Ok(done), Err(refused)) | (Err(refused), Ok(done)) => (done, refused),
        (first, second) => panic!("one run and one refusal, not {first:?} and {second:?}"),
    };
    assert_eq!(refused.code, ErrorCode::InvalidInput, "{}", refused.message);
    assert_eq!(done.status.as_ref(), "completed");
    let log = sandbox_log(&sb).await;
    assert_eq!(duplicates(&log), Vec::<String>::new());
    assert_eq!(log.len() as u32, c.counts.pending);
}

/// Runs campaign `id`; once it has sent 20, another connection to its database (another
/// process: the app and the CLI on one data folder) takes the write lock and keeps it for
/// `hold`. Returns the run's result once that connection has let go.
async fn run_while_another_holds_the_database(
    ws: &relay_core::workspace::Workspace,
    id: &str,
    hold: Duration,
) -> relay_core::AppResult<relay_core::campaign::CampaignSummary> {
    let path = ws.data_dir().database();
    let holder: std::sync::Mutex<Option<std::thread::JoinHandle<()>>> = Default::default();
    let done = ws
        .run_campaign(id, &CampaignControl::default(), |p| {
            let mut h = holder.lock().unwrap();
            if p.counts.sent >= 20 && h.is_none() {
                let path = path.clone();
                let (tx, rx) = std::sync::mpsc::channel();
                *h = Some(std::thread::spawn(move || {
                    let conn = rusqlite::Connection::open(&path).unwrap();
                    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
                    tx.send(()).unwrap();
                    // The point of the test: a writer that keeps the lock this long.
                    std::thread::sleep(hold);
                    conn.execute_batch("COMMIT").unwrap();
                }));
                rx.recv().unwrap();
            }
        })
        .await;
    if let Some(h) = holder.lock().unwrap().take() {
        h.join().unwrap();
    }
    done
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_holding_the_database_past_the_busy_timeout_loses_no_outcome() {
    let sb = sandbox(300).await;
    let (ws, _tmp, spec, audience) = ready(&sb, TWILIO).await;
    let c = ws
        .create_campaign(&audience, spec, Some(100), None)
        .await
        .unwrap();
    // Another process (the app and the CLI on one data folder) takes the write lock and keeps
    // it past SQLite's busy timeout (5 s).
    // The write patience (a minute) outlasts the lock: the run waits for it and ends well.
    let done = run_while_another_holds_the_database(&ws, &c.id, Duration::from_secs(7))
        .await
        .expect("the run waits for the lock and completes");
    let log = sandbox_log(&sb).await;
    assert_eq!(duplicates(&log), Vec::<String>::new());
    assert_eq!(done.status.as_ref(), "completed", "{:?}", done.pause_reason);
    assert_eq!(
        done.counts.unknown, 0,
        "nobody is unknown because the disk was busy"
    );
    assert_eq!(done.counts.sending + done.counts.pending, 0);
    assert_eq!(done.counts.sent, log.len() as u32, "every outcome recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_locked_past_the_patience_pauses_after_the_calls_in_flight_are_recorded() {
    let sb = sandbox(300).await;
    let (ws, _tmp, spec, audience) = ready(&sb, TWILIO).await;
    // Patience of a second (a minute by default): past SQLite's busy timeout (5 s) the run
    // stops; 300 ms per request, so calls are in flight when it does.
    let ws = ws.with_write_patience(Duration::from_secs(1));
    set_faults(
        &sb,
        &Faults {
            latency_ms: 300,
            ..Faults::default()
        },
    )
    .await;
    let c = ws
        .create_campaign(&audience, spec, Some(100), None)
        .await
        .unwrap();
    let done = run_while_another_holds_the_database(&ws, &c.id, Duration::from_secs(8)).await;
    let err = done.expect_err("the run stops on the database error");
    assert_eq!(err.code, ErrorCode::Storage, "{}", err.message);
    let after = ws.campaign(&c.id).unwrap();
    assert_eq!(after.status.as_ref(), "paused", "resumable");
    assert!(
        after
            .pause_reason
            .as_ref()
            .is_some_and(|r| r.english().contains("locked")),
        "{:?}",
        after.pause_reason
    );
    assert_eq!(
        after.counts.sending, 0,
        "the calls in flight landed and were recorded"
    );
    assert_eq!(after.counts.unknown, 0, "none of them left unknown");
    let log = sandbox_log(&sb).await;
    assert_eq!(
        after.counts.sent,
        log.len() as u32,
        "every outcome recorded"
    );
    assert!(after.counts.pending > 0, "it stopped before the end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaigns_of_templates_that_cannot_be_sent_are_refused_and_change_nothing() {
    let sb = relay_sandbox::Sandbox::start(relay_sandbox::SandboxConfig {
        users: 60,
        // Meta takes its time: the template stays in review.
        approve_after: Duration::from_secs(3600),
        ..relay_sandbox::SandboxConfig::default()
    })
    .await
    .unwrap();
    let (ws, _tmp) = support::workspace_on(&sb);
    ws.set_key("default_country", "GB").unwrap();
    let audience = ws
        .fetch_audience("role:end-user", &AtomicBool::new(false), |_| {})
        .await
        .unwrap();
    let template = |name: &str, integration: &str| relay_core::template::Template {
        name: name.into(),
        language: "en_US".into(),
        body: "Hi {{Ann}}, your parcel arrives on {{Friday}} before noon.".into(),
        integrations: vec![integration.into()],
        ..relay_core::template::Template::default()
    };
    let spec = |id: &str, integration: &str| relay_core::message::MessageSpec {
        template_id: id.into(),
        integration_id: integration.into(),
        mapping: support::parcel_mapping(),
        ..Default::default()
    };
    // Never submitted: not on WhatsApp at all, nor on the SMS integration.
    let draft = ws.save_template(None, &template("never_sent", WA)).unwrap();
    let sms = ws
        .save_template(None, &template("never_sms", TWILIO))
        .unwrap();
    // Submitted, still in Meta's review.
    let pending = ws.save_template(None, &template("in_review", WA)).unwrap();
    ws.submit_template(&pending.id, &[WA.to_string()])
        .await
        .unwrap();
    for (id, integration) in [(&draft.id, WA), (&sms.id, TWILIO), (&pending.id, WA)] {
        let err = ws
            .create_campaign(&audience.id, spec(id, integration), Some(50), None)
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput, "{}", err.message);
    }
    assert_eq!(campaign_rows(&ws), 0, "no campaign created, not even half");
    assert!(sandbox_log(&sb).await.is_empty(), "nothing sent");
}

/// Every row of the campaigns table, those being built included (the history hides them).
fn campaign_rows(ws: &relay_core::workspace::Workspace) -> i64 {
    ws.db()
        .connection()
        .query_row("SELECT COUNT(*) FROM campaigns", [], |r| r.get(0))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_template_status_is_asked_of_sunshine_before_a_campaign_is_made() {
    use chrono::TimeZone;
    let clock =
        relay_sandbox::ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap());
    let sb = relay_sandbox::Sandbox::start(relay_sandbox::SandboxConfig {
        users: 60,
        approve_after: Duration::from_secs(3600),
        clock: Arc::new(clock.clone()),
        ..relay_sandbox::SandboxConfig::default()
    })
    .await
    .unwrap();
    let (ws, _tmp) = support::workspace_on(&sb);
    ws.set_key("default_country", "GB").unwrap();
    let audience = ws
        .fetch_audience("role:end-user", &AtomicBool::new(false), |_| {})
        .await
        .unwrap();
    let t = relay_core::template::Template {
        name: "fresh_news".into(),
        language: "en_US".into(),
        body: "Hi {{Ann}}, your parcel arrives on {{Friday}} before noon.".into(),
        integrations: vec![WA.into()],
        ..relay_core::template::Template::default()
    };
    let draft = ws.save_template(None, &t).unwrap();
    ws.submit_template(&draft.id, &[WA.to_string()])
        .await
        .unwrap();
    let spec = relay_core::message::MessageSpec {
        template_id: draft.id.clone(),
        integration_id: WA.into(),
        mapping: support::parcel_mapping(),
        ..Default::default()
    };
    let err = ws
        .create_campaign(&audience.id, spec.clone(), Some(50), None)
        .await
        .unwrap_err();
    assert!(err.message.contains("review"), "{}", err.message);
    // Meta approves it; nobody synced the list since: the status is asked anew.
    clock.advance(Duration::from_secs(3601));
    let c = ws
        .create_campaign(&audience.id, spec.clone(), Some(50), None)
        .await
        .expect("approved at Sunshine Conversations: sendable");
    ws.cancel_campaign(&c.id).unwrap();
    // Then somebody deletes it in WhatsApp Manager: the last sync still says APPROVED, Sunshine
    // Conversations no longer has it.
    let i = sb.info();
    let deleted = reqwest::Client::new()
        .delete(format!(
            "{}/v1.1/apps/{}/integrations/{WA}/messageTemplates/fresh_news",
            i.sunshine_url, i.app_id
        ))
        .basic_auth(&i.key_id, Some(&i.key_secret))
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success(), "{}", deleted.status());
    let before = campaign_rows(&ws);
    let err = ws
        .create_campaign(&audience.id, spec, Some(50), None)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert!(err.message.contains("no longer"), "{}", err.message);
    assert_eq!(campaign_rows(&ws), before, "nothing created");
    assert!(sandbox_log(&sb).await.is_empty(), "nothing sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_message_to_a_suppressed_number_is_refused() {
    let sb = sandbox(60).await;
    let (ws, _tmp, spec, audience) = ready(&sb, WA).await;
    ws.suppress_numbers(&["+447400123456".to_string()], "asked us to stop")
        .unwrap();
    let err = ws
        .send_test(&audience, spec, "07400 123456")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert_eq!(campaign_rows(&ws), 0, "nothing recorded");
    assert!(sandbox_log(&sb).await.is_empty(), "nothing sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_probe_never_makes_a_cancel_or_a_resume_fail() {
    let sb = sandbox(60).await;
    let (ws, _tmp, spec, audience) = ready(&sb, TWILIO).await;
    let ws = Arc::new(ws);
    // A runner died a moment ago: its lease still runs, its lock is free.
    let fake_dead_runner = |id: &str| {
        ws.db()
            .connection()
            .execute(
                "UPDATE campaigns SET status = 'running', runner = 'gone', lease_until = ?2 WHERE id = ?1",
                rusqlite::params![id, ws.now_ms() + 60_000],
            )
            .unwrap();
    };
    let stop = Arc::new(AtomicBool::new(false));
    let current = Arc::new(std::sync::Mutex::new(String::new()));
    // The window asks, again and again, whether the campaign is being sent.
    let probe = {
        let (ws, stop, current) = (ws.clone(), stop.clone(), current.clone());
        std::thread::spawn(move || {
            let mut probes = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let id = current.lock().unwrap().clone();
                if !id.is_empty() {
                    let _ = ws.campaign(&id);
                    probes += 1;
                }
            }
            probes
        })
    };
    let mut refused = Vec::new();
    for _ in 0..100 {
        let c = ws
            .create_campaign(&audience, spec.clone(), Some(50), None)
            .await
            .unwrap();
        fake_dead_runner(&c.id);
        *current.lock().unwrap() = c.id.clone();
        if let Err(e) = ws.cancel_campaign(&c.id) {
            refused.push(e.message);
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(probe.join().unwrap() > 100, "the probe ran all along");
    assert_eq!(
        refused,
        Vec::<String>::new(),
        "no cancel refused because of a probe"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_read_then_dropped_on_a_host_named_ssl_is_unknown_never_failed() {
    let sb = sandbox(40).await;
    let (ws, _tmp, spec, audience) = ready(&sb, WA).await;
    // The same server under a name with "ssl" in it (as `classlink` has): what the failure's
    // text says of the host must not decide what became of the message.
    let addr: std::net::SocketAddr = sb.base_url().trim_start_matches("http://").parse().unwrap();
    ws.resolve_host("classlink-ssl.localhost", addr);
    ws.set_key(
        "sunshine_custom_url",
        &format!("http://classlink-ssl.localhost:{}/sc", addr.port()),
    )
    .unwrap();
    let c = ws
        .create_campaign(&audience, spec, Some(100), Some(1000))
        .await
        .unwrap();
    // Every notification is read and recorded, then the connection closes without an answer.
    set_faults(
        &sb,
        &Faults {
            rate_drop_after: 1.0,
            ..Faults::default()
        },
    )
    .await;
    let done = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    set_faults(&sb, &Faults::default()).await;
    assert_eq!(
        done.counts.failed, 0,
        "none may be retried as failed: each was delivered"
    );
    assert_eq!(done.counts.unknown, c.counts.pending);
    assert_eq!(sandbox_log(&sb).await.len() as u32, c.counts.pending);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_does_not_wait_for_calls_held_by_a_429() {
    let sb = sandbox(200).await;
    let (ws, _tmp, spec, audience) = ready(&sb, TWILIO).await;
    let c = ws
        .create_campaign(&audience, spec, Some(50), Some(1000))
        .await
        .unwrap();
    // Every notification is refused for the next 30 s: the calls wait at the rate gate.
    set_faults(
        &sb,
        &Faults {
            notifications_per_second: Some(0),
            retry_after_secs: 30,
            ..Faults::default()
        },
    )
    .await;
    let control = CampaignControl::default();
    let started = std::time::Instant::now();
    let mut waiting = None;
    let paused = ws
        .run_campaign(&c.id, &control, |p| {
            if let Some(w) = p.provider_wait_secs {
                waiting.get_or_insert(w);
                control.pause();
            }
        })
        .await
        .unwrap();
    set_faults(&sb, &Faults::default()).await;
    assert!(
        waiting.is_some_and(|w| (25..=30).contains(&w)),
        "the progress said it waits for the provider: {waiting:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the pause did not wait out the 429 ({:?})",
        started.elapsed()
    );
    assert_eq!(paused.status.as_ref(), "paused");
    assert_eq!(paused.counts.sending + paused.counts.unknown, 0);
    assert_eq!(
        paused.counts.pending, c.counts.pending,
        "refused with a 429, nobody was sent: everyone is to send still"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_left_half_built_is_never_sent_and_goes_at_the_next_start() {
    let sb = sandbox(60).await;
    let (ws, tmp, spec, audience) = ready(&sb, TWILIO).await;
    let c = ws
        .create_campaign(&audience, spec, Some(50), None)
        .await
        .unwrap();
    // As a Relay killed while freezing leaves it: `creating`, some of its rows, no lock held.
    ws.db()
        .connection()
        .execute(
            "UPDATE campaigns SET status = 'creating' WHERE id = ?1",
            [&c.id],
        )
        .unwrap();
    assert!(ws.campaigns().unwrap().is_empty(), "not in the history");
    let refused = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidInput);
    drop(ws);
    let data = relay_core::paths::DataDir::at(tmp.path()).unwrap();
    let reopened = relay_core::workspace::Workspace::open(
        data.clone(),
        Arc::new(relay_core::secrets::MemoryStore::new()),
        Box::new(relay_core::settings::JsonFileBackend::new(
            &data.settings_file(),
        )),
    )
    .unwrap();
    assert_eq!(
        reopened.campaign(&c.id).unwrap_err().code,
        ErrorCode::NotFound,
        "removed, with its rows"
    );
    assert!(sandbox_log(&sb).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_sent_from_another_computer_shows_running_and_is_not_taken_over() {
    let sb = sandbox(60).await;
    let (ws, _tmp, spec, audience) = ready(&sb, TWILIO).await;
    let c = ws
        .create_campaign(&audience, spec, Some(50), None)
        .await
        .unwrap();
    ws.db()
        .connection()
        .execute(
            "UPDATE campaigns SET status = 'running', runner = 'far', runner_host = 'the-other-desk',
                 lease_until = ?2 WHERE id = ?1",
            rusqlite::params![c.id, ws.now_ms() + 60_000],
        )
        .unwrap();
    assert!(
        ws.campaign(&c.id).unwrap().running,
        "its lease is taken at its word"
    );
    assert!(
        ws.interrupted_campaigns().unwrap().is_empty(),
        "no Resume offered"
    );
    for refused in [
        ws.run_campaign(&c.id, &CampaignControl::default(), |_| {})
            .await
            .unwrap_err(),
        ws.cancel_campaign(&c.id).unwrap_err(),
    ] {
        assert!(
            refused.message.contains("the-other-desk"),
            "{}",
            refused.message
        );
    }
    assert!(sandbox_log(&sb).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_does_not_outlive_the_campaign_it_was_made_for() {
    let sb = sandbox(200).await;
    let (ws, _tmp, spec, audience) = ready(&sb, TWILIO).await;
    // A first campaign reaches everyone.
    let first = ws
        .create_campaign(&audience, spec.clone(), Some(200), None)
        .await
        .unwrap();
    ws.run_campaign(&first.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    let reached = sandbox_log(&sb).await.len();
    // Checked again, everyone is blacked out; some are moved to the allowed list by hand and
    // sent again, on purpose.
    ws.recheck(&audience).await.unwrap();
    let blacked: Vec<String> = ws
        .audience_members(
            &audience,
            relay_core::audience::MemberFilter::Excluded(
                relay_core::audience::ExclusionReason::Blackout,
            ),
            0,
            5,
        )
        .unwrap()
        .rows
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    assert_eq!(blacked.len(), 5);
    ws.set_members(
        &audience,
        &blacked,
        relay_core::audience::MemberAction::Override,
    )
    .await
    .unwrap();
    let again = ws
        .create_campaign(&audience, spec.clone(), Some(200), None)
        .await
        .unwrap();
    assert_eq!(again.counts.pending, 5);
    ws.run_campaign(&again.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(sandbox_log(&sb).await.len(), reached + 5);
    // Then a third campaign from the same audience: the override was for the second one.
    send_to_nobody(
        &ws,
        &audience,
        spec,
        200,
        "blacked out by the second campaign",
    )
    .await;
    assert_eq!(
        sandbox_log(&sb).await.len(),
        reached + 5,
        "nobody a third time"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blackout_days_0_turns_the_check_off_at_creation_and_at_claim_time() {
    let sb = sandbox(200).await;
    let (ws, _tmp, spec, audience) = ready(&sb, TWILIO).await;
    ws.set_key("blackout_days", "0").unwrap();
    // Two campaigns of the same message, both made before either sends: with the blackout on,
    // the second would leave everyone to the first, and skip at claim time whoever it reached.
    let first = ws
        .create_campaign(&audience, spec.clone(), Some(500), None)
        .await
        .unwrap();
    let second = ws
        .create_campaign(&audience, spec, Some(500), None)
        .await
        .unwrap();
    assert_eq!(
        second.counts.pending, first.counts.pending,
        "nobody left out"
    );
    let a = ws
        .run_campaign(&first.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    let b = ws
        .run_campaign(&second.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(
        b.counts.sent, a.counts.sent,
        "0 days: the admin asked for no blackout"
    );
    assert_eq!(
        b.counts.skipped, first.counts.skipped,
        "nobody skipped at claim time"
    );
    assert_eq!(sandbox_log(&sb).await.len() as u32, 2 * a.counts.sent);
}
