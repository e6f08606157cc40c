//! The send engine against the sandbox: everyone sent once, the rate held, faults that end as
//! failed or unknown (never a duplicate), one runner per campaign, pause / resume / cancel,
//! recovery of rows a dead runner left in flight, and the blackout of a second send.

use crate::support;

use relay_core::campaign::CampaignControl;
use relay_core::campaign::RecipientState;
use relay_core::workspace::Workspace;
use relay_sandbox::Faults;
use std::time::Duration;

use support::send::{
    duplicates, ready, sandbox, sandbox_log, sandbox_stats, set_faults, TWILIO, WA,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everyone_is_sent_once_and_a_second_send_is_blacked_out() {
    let sb = sandbox(300).await;
    let (ws, _tmp, spec, audience) = ready(&sb, WA).await;
    let c = ws
        .create_campaign(&audience, spec.clone(), Some(500), None)
        .await
        .unwrap();
    let eligible = ws.audience_summary(&audience).unwrap().eligible;
    assert!(eligible > 100);
    assert_eq!(c.counts.pending, eligible);
    assert_eq!(
        c.counts.total(),
        ws.audience_summary(&audience).unwrap().users
    );
    assert_eq!(c.status.as_ref(), "ready");
    let mut updates = 0;
    let done = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| updates += 1)
        .await
        .unwrap();
    assert_eq!(done.status.as_ref(), "completed");
    assert_eq!(done.counts.sent, eligible);
    assert_eq!(
        done.counts.pending + done.counts.sending + done.counts.failed,
        0
    );
    assert!(updates >= 1);
    let log = sandbox_log(&sb).await;
    assert_eq!(log.len() as u32, eligible, "one notification per recipient");
    assert!(duplicates(&log).is_empty());
    // What went out is what was rendered: the recipient's first name and the static value.
    let sent = ws
        .campaign_recipients(&c.id, Some(RecipientState::Sent), 0, 1)
        .unwrap()
        .rows
        .remove(0);
    let first = sent.name.split(' ').next().unwrap();
    let body = log
        .iter()
        .find(|n| n["destination_id"].as_str() == sent.phone.as_deref())
        .unwrap();
    assert_eq!(
        body["body"]["message"]["template"]["components"][0]["parameters"][0]["text"],
        first
    );
    assert_eq!(
        body["body"]["message"]["template"]["components"][0]["parameters"][1]["text"],
        "Monday"
    );
    assert_eq!(sent.notification_id.as_deref(), body["id"].as_str());
    // Running it again sends nothing more.
    let again = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap_err();
    assert!(
        again.message.contains("nothing is left to send"),
        "{}",
        again.message
    );
    // The same message again: everyone who received it is now blacked out.
    let checked = ws.check_audience(&audience, Some(spec)).await.unwrap();
    assert_eq!(checked.eligible, 0);
    assert_eq!(
        checked.count(relay_core::audience::ExclusionReason::Blackout),
        eligible
    );
    // The report as CSV: a header and one line per recipient.
    let mut csv = Vec::new();
    let n = ws.export_campaign_csv(&c.id, &mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    assert_eq!(n, done.counts.total());
    assert_eq!(text.lines().count() as u32, n + 1);
    assert!(text
        .lines()
        .next()
        .unwrap()
        .starts_with("seq,user_id,name,phone,state"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_is_held() {
    let sb = sandbox(300).await;
    let (ws, _tmp, spec, audience) = ready(&sb, TWILIO).await;
    // 40 messages at 20/s take about 2 s; an unthrottled sender needs a few ms.
    let c = ws
        .create_campaign(&audience, spec, Some(20), None)
        .await
        .unwrap();
    // Only 41 to send: the rest are cancelled after 41 accepted.
    let control = CampaignControl::default();
    let started = std::time::Instant::now();
    let done = ws
        .run_campaign(&c.id, &control, |p| {
            if p.counts.sent + p.counts.sending >= 41 {
                control.cancel();
            }
        })
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let log = sandbox_log(&sb).await;
    assert!(log.len() >= 41, "{}", log.len());
    let times: Vec<chrono::DateTime<chrono::FixedOffset>> = log
        .iter()
        .map(|n| chrono::DateTime::parse_from_rfc3339(n["received_at"].as_str().unwrap()).unwrap())
        .collect();
    let span = (times[40] - times[0]).num_milliseconds() as f64 / 1000.0;
    // 40 intervals at 20/s: 2.0 s. Within 10 % (an unthrottled sender: ~0.05 s).
    assert!((1.8..=2.2).contains(&span), "41 messages took {span} s");
    assert_eq!(done.status.as_ref(), "cancelled");
    assert!(done.counts.skipped > 0);
    assert!(elapsed < Duration::from_secs(10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_end_as_failed_or_unknown_never_as_duplicates() {
    let sb = sandbox(400).await;
    let (ws, _tmp, spec, audience) = ready(&sb, WA).await;
    let c = ws
        .create_campaign(&audience, spec, Some(400), Some(1000))
        .await
        .unwrap();
    set_faults(
        &sb,
        &Faults {
            rate_429: 0.1,
            rate_5xx: 0.1,
            rate_drop: 0.1,
            retry_after_secs: 1,
            ..Faults::default()
        },
    )
    .await;
    let done = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    set_faults(&sb, &Faults::default()).await;
    assert_eq!(done.status.as_ref(), "completed");
    let n = done.counts.sent + done.counts.failed + done.counts.unknown;
    assert_eq!(n, c.counts.pending, "every recipient ended somewhere");
    assert!(done.counts.sent > 0 && done.counts.failed + done.counts.unknown > 0);
    let log = sandbox_log(&sb).await;
    assert!(duplicates(&log).is_empty(), "no number got two messages");
    // Every `sent` is in the sandbox's log under its notification id; every failure says why.
    let ids: std::collections::HashSet<&str> =
        log.iter().map(|n| n["id"].as_str().unwrap()).collect();
    let all = ws.campaign_recipients(&c.id, None, 0, 1000).unwrap().rows;
    for r in &all {
        match r.state {
            RecipientState::Sent => {
                assert!(ids.contains(r.notification_id.as_deref().unwrap()))
            }
            RecipientState::Failed | RecipientState::Unknown => {
                assert!(r.error.as_ref().is_some_and(|e| !e.english().is_empty()))
            }
            _ => {}
        }
    }
    // "Retry failed" sends only the failed ones; unknown ones stay as they are.
    let (failed, unknown) = (done.counts.failed, done.counts.unknown);
    assert!(
        unknown > 0,
        "dropped connections and 5xx may have delivered: unknown"
    );
    assert_eq!(ws.requeue_recipients(&c.id, false).unwrap(), failed);
    let mut sent = done.counts.sent;
    if failed > 0 {
        let again = ws
            .run_campaign(&c.id, &CampaignControl::default(), |_| {})
            .await
            .unwrap();
        assert_eq!(again.counts.sent, sent + failed);
        assert_eq!(again.counts.unknown, unknown);
        sent = again.counts.sent;
    }
    // Re-sending the unknown ones is the user's explicit decision (the sandbox dropped those
    // requests before recording them, so here nobody gets two).
    assert_eq!(ws.requeue_recipients(&c.id, true).unwrap(), unknown);
    let last = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(last.counts.sent, sent + unknown);
    assert_eq!(last.status.as_ref(), "completed");
    assert!(duplicates(&sandbox_log(&sb).await).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_runner_pause_resume_cancel_and_recovery() {
    let sb = sandbox(200).await;
    let (ws, tmp, spec, audience) = ready(&sb, TWILIO).await;
    let c = ws
        .create_campaign(&audience, spec, Some(50), None)
        .await
        .unwrap();
    // The review's segment total (counted at the check) is what the campaign froze.
    let checked = ws.audience_summary(&audience).unwrap();
    assert!(c.segments >= c.counts.pending && c.counts.pending == checked.eligible);
    assert_eq!(c.segments, checked.segments);
    // A second workspace on the same data folder (another window or process) is refused while
    // the first runs.
    let data = relay_core::paths::DataDir::at(tmp.path()).unwrap();
    let other = Workspace::open(
        data.clone(),
        std::sync::Arc::new(relay_core::secrets::MemoryStore::new()),
        Box::new(relay_core::settings::JsonFileBackend::new(
            &data.settings_file(),
        )),
    )
    .unwrap();
    let control = CampaignControl::default();
    let mut seen_running = None;
    let paused = ws
        .run_campaign(&c.id, &control, |p| {
            if p.counts.sent >= 10 && seen_running.is_none() {
                seen_running = Some(other.campaigns().unwrap()[0].running);
                control.pause();
            }
        })
        .await
        .unwrap();
    assert_eq!(seen_running, Some(true), "another process sees it running");
    assert_eq!(paused.status.as_ref(), "paused");
    assert!(paused.counts.pending > 0 && paused.counts.sent >= 10);
    assert!(!paused.running, "the lease is released");

    // Another runner (a process) holds the campaign's lock, with rows in flight.
    let held = std::fs::OpenOptions::new()
        .write(true)
        .open(
            tmp.path()
                .join("locks")
                .join(format!("campaign-{}.lock", c.id)),
        )
        .unwrap();
    held.lock().unwrap();
    {
        let db = ws.db();
        let conn = db.connection();
        conn.execute(
            "UPDATE campaign_recipients SET state = 'sending' WHERE campaign_id = ?1 AND seq IN
                (SELECT seq FROM campaign_recipients WHERE campaign_id = ?1 AND state = 'pending' ORDER BY seq LIMIT 3)",
            [&c.id],
        )
        .unwrap();
        conn.execute(
            "UPDATE campaigns SET status = 'running', runner = 'other', lease_until = ?2 WHERE id = ?1",
            rusqlite::params![&c.id, ws.now_ms() + 60_000],
        )
        .unwrap();
    }
    for refused in [
        ws.run_campaign(&c.id, &CampaignControl::default(), |_| {})
            .await
            .unwrap_err(),
        ws.cancel_campaign(&c.id).unwrap_err(),
    ] {
        assert!(
            refused.message.contains("another Relay window or process"),
            "{}",
            refused.message
        );
    }
    assert!(ws.campaign(&c.id).unwrap().running);
    assert_eq!(ws.interrupted_campaigns().unwrap().len(), 0);
    // That process dies mid-call: the OS frees its lock at once, though its lease has not
    // run out; the campaign is interrupted, its rows still `sending`.
    drop(held);
    assert_eq!(ws.interrupted_campaigns().unwrap().len(), 1);
    // Resume: the 3 in flight become unknown (never re-sent on their own); cancel after a few.
    let control = CampaignControl::default();
    let cancelled = ws
        .run_campaign(&c.id, &control, |p| {
            if p.counts.sent >= paused.counts.sent + 5 {
                control.cancel();
            }
        })
        .await
        .unwrap();
    assert_eq!(cancelled.status.as_ref(), "cancelled");
    assert_eq!(cancelled.counts.unknown, 3);
    assert_eq!(cancelled.counts.pending, 0);
    let skipped = ws
        .campaign_recipients(&c.id, Some(RecipientState::Skipped), 0, 1000)
        .unwrap()
        .rows;
    assert!(skipped.iter().any(|r| r.cancelled));
    let log = sandbox_log(&sb).await;
    assert!(duplicates(&log).is_empty());
    assert_eq!(log.len() as u32, cancelled.counts.sent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_message_goes_to_the_typed_number_and_leaves_no_blackout() {
    let sb = sandbox(120).await;
    let (ws, _tmp, spec, audience) = ready(&sb, WA).await;
    let bad = ws
        .send_test(&audience, spec.clone(), "call me maybe")
        .await
        .unwrap_err();
    assert_eq!(bad.code.as_str(), "invalid_input");
    assert!(bad.message.contains("contains letters"), "{}", bad.message);
    // An O typed for a 0 is never read as a keypad 6 (a stranger's number).
    let typo = ws
        .send_test(&audience, spec.clone(), "O7400 123456")
        .await
        .unwrap_err();
    assert!(
        typo.message.contains("contains letters"),
        "{}",
        typo.message
    );
    // A line a message cannot reach: a London fixed line.
    let landline = ws
        .send_test(&audience, spec.clone(), "020 7946 0018")
        .await
        .unwrap_err();
    assert_eq!(landline.code.as_str(), "invalid_input");
    assert!(
        landline
            .message
            .contains("+442079460018 is a fixed line number"),
        "{}",
        landline.message
    );
    assert!(
        ws.campaigns().unwrap().is_empty(),
        "bad input changes nothing"
    );

    // A national number is read in the workspace's country (GB here).
    let test = ws
        .send_test(&audience, spec.clone(), "07400 123456")
        .await
        .unwrap();
    assert!(test.test);
    assert_eq!(test.status.as_ref(), "completed");
    assert_eq!(test.counts.sent, 1);
    let log = sandbox_log(&sb).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["destination_id"], "+447400123456");
    // Filled with a real recipient's values: not the template's examples.
    let sent = ws.campaign_recipients(&test.id, None, 0, 10).unwrap();
    assert!(sent.rows[0].notification_id.is_some());
    assert_eq!(sent.rows[0].phone.as_deref(), Some("+447400123456"));

    // Nobody is blacked out by a test: the real campaign still has everyone.
    let eligible = ws.audience_summary(&audience).unwrap().eligible;
    let c = ws
        .create_campaign(&audience, spec, Some(200), None)
        .await
        .unwrap();
    assert_eq!(c.counts.pending, eligible);

    // Cancelled before it starts: everyone skipped as cancelled, and it cannot run any more.
    let cancelled = ws.cancel_campaign(&c.id).unwrap();
    assert_eq!(cancelled.status.as_ref(), "cancelled");
    assert_eq!(cancelled.counts.pending, 0);
    let skipped = ws
        .campaign_recipients(&c.id, Some(RecipientState::Skipped), 0, 1000)
        .unwrap();
    assert!(skipped.rows.iter().filter(|r| r.cancelled).count() >= eligible as usize);
    let refused = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap_err();
    assert!(refused.message.contains("nothing is left to send"));
    assert_eq!(sandbox_log(&sb).await.len(), 1);
    let listed = ws.campaigns().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed.iter().filter(|c| c.test).count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_holds_every_send_of_the_client_until_its_window_ends() {
    let sb = sandbox(2700).await;
    let (ws, _tmp, spec, audience) = ready(&sb, WA).await;
    let c = ws
        .create_campaign(&audience, spec, Some(400), Some(10_000))
        .await
        .unwrap();
    assert!(c.counts.pending > 1000);
    // Now and then a 429 with `Retry-After: 1`: the app's limit, not the request's.
    set_faults(
        &sb,
        &Faults {
            rate_429: 0.01,
            retry_after_secs: 1,
            latency_ms: 10,
            ..Faults::default()
        },
    )
    .await;
    let done = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    set_faults(&sb, &Faults::default()).await;
    let stats = sandbox_stats(&sb).await;
    let w = &stats["rate_windows"]["sunshine"];
    assert!(w["issued"].as_u64().unwrap() >= 1, "{stats}");
    assert_eq!(
        w["late"], 0,
        "inside a Retry-After window only what was already on its way when it opened may arrive: {w}"
    );
    assert_eq!(done.status.as_ref(), "completed");
    assert_eq!(
        done.counts.sent + done.counts.failed + done.counts.unknown,
        c.counts.pending
    );
    assert!(duplicates(&sandbox_log(&sb).await).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_and_the_dry_run_are_data_never_formulas() {
    let sb = sandbox(60).await;
    let (ws, _tmp, spec, audience) = ready(&sb, TWILIO).await;
    // A user whose name a spreadsheet would run.
    let evil = "=HYPERLINK(\"https://x.example\",\"click\")";
    ws.db()
        .connection()
        .execute(
            "UPDATE audience_members SET name = ?2 WHERE audience_id = ?1 AND user_id =
                (SELECT user_id FROM audience_members WHERE audience_id = ?1 AND phone_state = 'ok' ORDER BY seq LIMIT 1)",
            rusqlite::params![audience, evil],
        )
        .unwrap();
    // And names that begin with +, - and @ (a spreadsheet runs those too).
    let others = ["+SUM(1+1)*cmd|' /C calc'!A0", "-2+3", "@SUM(1)"];
    for (i, name) in others.iter().enumerate() {
        ws.db()
            .connection()
            .execute(
                "UPDATE audience_members SET name = ?2 WHERE audience_id = ?1 AND user_id =
                    (SELECT user_id FROM audience_members WHERE audience_id = ?1 AND phone_state = 'ok'
                     ORDER BY seq LIMIT 1 OFFSET ?3)",
                rusqlite::params![audience, name, i as i64 + 1],
            )
            .unwrap();
    }
    let mut dry = Vec::new();
    ws.dry_run_csv(&audience, spec.clone(), &mut dry)
        .await
        .unwrap();
    let dry = String::from_utf8(dry).unwrap();
    let c = ws
        .create_campaign(&audience, spec, Some(50), None)
        .await
        .unwrap();
    let mut report = Vec::new();
    ws.export_campaign_csv(&c.id, &mut report).unwrap();
    let report = String::from_utf8(report).unwrap();
    for (what, csv) in [("dry run", &dry), ("report", &report)] {
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let cells: Vec<String> = reader
            .records()
            .flat_map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
            .collect();
        for name in std::iter::once(evil).chain(others) {
            assert!(
                cells.iter().any(|c| c == &format!("'{name}")),
                "{what}: {name} is there, quoted"
            );
        }
        assert!(
            !cells
                .iter()
                .any(|c| c.starts_with(['=', '@', '-', '\t', '\r'])),
            "{what}: no cell a spreadsheet would run"
        );
        assert!(
            cells
                .iter()
                .filter(|c| c.starts_with('+'))
                .all(|c| c[1..].chars().all(|d| d.is_ascii_digit())),
            "{what}: only phone numbers (E.164, written by Relay) begin with +"
        );
        // Numbers keep their +: E.164, written by Relay.
        assert!(cells
            .iter()
            .any(|c| c.starts_with("+") && c[1..].chars().all(|d| d.is_ascii_digit())));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_answered_by_a_web_page_is_unknown_never_sent() {
    let sb = sandbox(200).await;
    let (ws, _tmp, spec, audience) = ready(&sb, WA).await;
    let c = ws
        .create_campaign(&audience, spec, Some(100), Some(5))
        .await
        .unwrap();
    // A proxy's sign-in page, answered 200, in front of Sunshine Conversations.
    set_faults(
        &sb,
        &Faults {
            rate_html: 1.0,
            only_path: "/sc/v1.1/apps/".into(),
            ..Faults::default()
        },
    )
    .await;
    let done = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(done.counts.sent, 0, "a web page is not an acceptance");
    assert_eq!(done.counts.failed, 0, "nor a certain refusal");
    assert!(done.counts.unknown >= 5, "{:?}", done.counts);
    assert_eq!(
        done.status.as_ref(),
        "paused",
        "five in a row: it pauses itself"
    );
    assert!(
        done.pause_reason
            .as_ref()
            .is_some_and(|r| r.english().contains("web page")),
        "{:?}",
        done.pause_reason
    );
}

/// A campaign frozen by an earlier Relay, which read a typed O as a keypad 6: before it sends,
/// what it may still send (pending, and failed or unknown ones a retry would send) is read again;
/// a misread recipient is skipped with both numbers — never sent to the stranger's number — while
/// the others go as frozen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_an_earlier_relay_misread_is_never_sent_to() {
    let sb = sandbox(60).await;
    let (ws, _tmp, spec, audience) = ready(&sb, WA).await;
    let c = ws
        .create_campaign(&audience, spec, Some(100), None)
        .await
        .unwrap();
    // Two recipients as an earlier Relay left them: written with an O for their last digit, read
    // as a 6; one still pending, one that failed (a retry would send it again).
    let misread: Vec<(i64, String)> = {
        let db = ws.db();
        let rows: Vec<(i64, String)> = {
            let mut stmt = db
                .connection()
                .prepare(
                    "SELECT user_id, phone FROM campaign_recipients
                     WHERE campaign_id = ?1 AND state = 'pending' ORDER BY seq LIMIT 2",
                )
                .unwrap();
            stmt.query_map([&c.id], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        db.write(|tx| {
            for (n, (user, phone)) in rows.iter().enumerate() {
                let stem = &phone[..phone.len() - 1];
                tx.execute(
                    "UPDATE audience_members SET phone_raw = ?3 WHERE audience_id = ?1 AND user_id = ?2",
                    rusqlite::params![audience, user, format!("{stem}O")],
                )?;
                tx.execute(
                    "UPDATE campaign_recipients SET phone = ?3, state = ?4 WHERE campaign_id = ?1 AND user_id = ?2",
                    rusqlite::params![c.id, user, format!("{stem}6"), if n == 0 { "pending" } else { "failed" }],
                )?;
            }
            tx.execute("UPDATE campaigns SET reader = 1 WHERE id = ?1", [&c.id])?;
            Ok(())
        })
        .unwrap();
        rows.into_iter()
            .map(|(u, p)| (u, format!("{}6", &p[..p.len() - 1])))
            .collect()
    };
    let done = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(done.status.as_ref(), "completed");
    assert_eq!(done.counts.sent, c.counts.pending - 2);
    let skipped = ws
        .campaign_recipients(&c.id, Some(RecipientState::Skipped), 0, 1000)
        .unwrap()
        .rows;
    for (user, stranger) in &misread {
        let row = skipped
            .iter()
            .find(|r| r.user_id == user.to_string())
            .unwrap_or_else(|| panic!("{user} skipped"));
        assert_eq!(
            row.reason,
            Some(relay_core::audience::ExclusionReason::InvalidPhone)
        );
        let said = row.error.as_ref().unwrap().english();
        assert!(
            said.contains("contains letters") && said.contains(stranger),
            "{said}"
        );
    }
    // Nothing left to send again: a retry finds none of them.
    assert_eq!(ws.requeue_recipients(&c.id, true).unwrap(), 0);
    let log = sandbox_log(&sb).await;
    assert_eq!(log.len() as u32, done.counts.sent);
    for (_, stranger) in &misread {
        assert!(
            log.iter().all(|n| n["destination_id"] != stranger.as_str()),
            "never sent to the number a letter was read into: {stranger}"
        );
    }
}
