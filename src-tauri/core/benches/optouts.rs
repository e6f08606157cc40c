//! How fast Relay hears "no": REPLIES end users reply STOP in Zendesk (the sandbox playing
//! them, Relay's trigger tagging them); then
//!
//! 1. desktop A reads them (time, Zendesk requests, opt-outs applied), and desktop B gets them
//!    from the team's store at its next sync;
//! 2. the worst case while a campaign sends: desktop B sends at a rate that lasts longer than
//!    the read interval, and a recipient still pending replies STOP just after B's read before
//!    the send. Printed: the time from the reply until B has the number on its list, and whether
//!    B skipped that recipient.
//!
//!     cargo bench -p relay-core --bench optouts [-- USERS REPLIES]
//!
//! Without arguments: 3,000 users, 500 replies.

#[path = "../tests/support/mod.rs"]
mod support;

mod common;

use common::arg;
use relay_core::audience::ExclusionReason;
use relay_core::campaign::{CampaignControl, RecipientState};
use relay_core::consent::optouts::READ_EVERY;
use relay_sandbox::data::{PhoneKind, Population, AGENTS};
use relay_sandbox::Sandbox;
use serde_json::json;
use std::time::{Duration, Instant};
use support::send::{ready, ready_too, sandbox, sandbox_stats, WA};

async fn reply(sb: &Sandbox, from: &str, text: &str) {
    let r = reqwest::Client::new()
        .post(format!("{}/_sandbox/inbound", sb.base_url()))
        .json(&json!({"from": from, "text": text, "channel": "whatsapp"}))
        .send()
        .await
        .expect("inbound");
    assert!(r.status().is_success(), "{}", r.status());
}

async fn zendesk_requests(sb: &Sandbox) -> u64 {
    sandbox_stats(sb).await["requests"]["zendesk"]
        .as_u64()
        .unwrap_or(0)
}

fn main() {
    let users = arg(1, 3_000);
    let replies = arg(2, 500) as usize;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sb = sandbox(users).await;
        let (a, _ta, _, _) = ready(&sb, WA).await;
        let (b, _tb, spec_b, audience_b) = ready_too(&sb, WA).await;
        a.setup_optouts().await.expect("setup");
        let pop = Population::new(sb.info().seed, sb.info().users);
        let mobiles: Vec<String> = (AGENTS + 1..pop.count)
            .filter(|i| pop.phone_kind(*i) == PhoneKind::E164)
            .map(|i| pop.user(i).e164.unwrap())
            .collect();
        let replies = replies.min(mobiles.len() / 2);
        for phone in &mobiles[..replies] {
            reply(&sb, phone, "STOP").await;
        }

        let before = zendesk_requests(&sb).await;
        let start = Instant::now();
        let read = a.read_optouts(true).await.expect("read");
        let took = start.elapsed();
        println!(
            "read on A: {} replies, {} opted out in {:.2} s ({} Zendesk requests, the list pushed to the team's store included)",
            read.replies,
            read.opted_out,
            took.as_secs_f64(),
            zendesk_requests(&sb).await - before
        );
        let start = Instant::now();
        b.team_sync().await.expect("sync");
        let on_b = b
            .suppressed_numbers()
            .unwrap()
            .iter()
            .filter(|s| mobiles[..replies].contains(&s.phone))
            .count();
        println!(
            "B after one sync: {on_b} of {replies} on its list, the sync took {:.2} s",
            start.elapsed().as_secs_f64()
        );

        // While B sends: long enough for B's next read on its own.
        let checked = b
            .check_audience(&audience_b, Some(spec_b.clone()))
            .await
            .expect("check");
        let eligible = checked.eligible.max(1);
        let lasts = READ_EVERY + Duration::from_secs(60);
        let rate = ((eligible as u64) / lasts.as_secs()).max(1) as u32;
        let c = b
            .create_campaign(&audience_b, spec_b, Some(rate), None)
            .await
            .expect("create");
        let last = b
            .campaign_recipients(&c.id, Some(RecipientState::Pending), c.counts.pending - 1, 1)
            .unwrap()
            .rows
            .remove(0);
        let phone = last.phone.clone().unwrap();
        println!(
            "B sends {} recipients at {rate}/s (the read interval is {} s); the last one replies STOP once the send has begun",
            c.counts.pending,
            READ_EVERY.as_secs()
        );
        let control = CampaignControl::default();
        let mut replied: Option<Instant> = None;
        let mut heard: Option<Duration> = None;
        let watch = async {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let sent = b.campaign(&c.id).map(|s| s.counts.sent).unwrap_or(0);
                match replied {
                    // B has read before its claim; the reply comes right after.
                    None if sent > 0 => {
                        reply(&sb, &phone, "STOP").await;
                        replied = Some(Instant::now());
                    }
                    Some(at)
                        if heard.is_none()
                            && b.suppressed_numbers().unwrap().iter().any(|s| s.phone == phone) =>
                    {
                        heard = Some(at.elapsed());
                    }
                    _ => {}
                }
            }
        };
        let summary = tokio::select! {
            s = b.run_campaign(&c.id, &control, |_| {}) => s.expect("run"),
            _ = watch => unreachable!(),
        };
        let row = [RecipientState::Skipped, RecipientState::Sent]
            .into_iter()
            .flat_map(|state| {
                let mut rows = Vec::new();
                loop {
                    let page = b
                        .campaign_recipients(&c.id, Some(state), rows.len() as u32, 1000)
                        .unwrap();
                    let done = page.rows.is_empty();
                    rows.extend(page.rows);
                    if done {
                        break rows;
                    }
                }
            })
            .find(|r| r.user_id == last.user_id)
            .expect("the recipient who replied");
        println!(
            "reply → on B's list while it sends: {}; that recipient {:?} ({:?}); campaign {:?}, {} sent",
            heard.map_or("never".to_string(), |d| format!("{:.1} s", d.as_secs_f64())),
            row.state,
            row.reason,
            summary.status,
            summary.counts.sent,
        );
        assert_eq!(row.reason, Some(ExclusionReason::OptedOut), "skipped as opted out");
    });
}
