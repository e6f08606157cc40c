//! The send engine against the sandbox, in one process:
//!
//!     cargo bench -p relay-core --bench send [-- RECIPIENTS [PART…]]   (default 300000, all)
//!
//! PART is `throughput`, `rate` or `campaign` to run only those.
//! 1. Throughput with no rate limit: the messages of a tenth of the audience through the engine (each written
//!    `sending` before the call, `sent` + blackout after), as a ratio to the sandbox's raw
//!    capacity measured just before with plain concurrent POSTs of the same payloads. Then the
//!    team's store on (at its default share) and off ("this desktop only", the sandbox's custom
//!    objects off), rounds in turn: messages a second from the first to the last (the sandbox's
//!    receive times), and the store's cost before the first (sync, claim) and after the last
//!    (until `run_campaign` returns; its entries then go on in the background).
//! 2. Rate accuracy: 8/s for 60 s and 200/s for 30 s, from the times the sandbox received
//!    the first and last message.
//! 3. A campaign of RECIPIENTS at 1,000/s: wall time, peak memory, CPU.

#[path = "../tests/support/mod.rs"]
mod support;

mod common;

use common::{arg, cpu_seconds, memory, reset_peak};
use relay_core::campaign::CampaignControl;
use relay_core::clients::http::{Pacer, RatePacer};
use relay_core::message::MessageSpec;
use relay_core::template::Template;
use relay_core::workspace::Workspace;
use relay_sandbox::{Sandbox, SandboxConfig};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const WA: &str = "5f1e0c3a9b8d7e6f5a4b3c31";

/// A pacer that never waits: the engine sends as fast as the sandbox answers (256 in flight, as
/// at 1,000 a second).
struct Unpaced;

impl Pacer for Unpaced {
    fn ready(&self) -> futures_util::future::BoxFuture<'_, ()> {
        Box::pin(std::future::ready(()))
    }

    fn try_take(&self) -> bool {
        true
    }
}

/// The message with its static value made unique by `tag`: another message for the blackout,
/// so that each campaign of the benchmark has everyone to send to (the blackout is checked for
/// each of them, as in real use).
fn variant(m: &MessageSpec, tag: &str) -> MessageSpec {
    use relay_core::message::mapping::ValueSource;
    let mut m = m.clone();
    m.mapping[1].source = ValueSource::Static {
        value: format!("Monday {tag}"),
    };
    m
}

fn spec(template_id: &str) -> MessageSpec {
    MessageSpec {
        template_id: template_id.into(),
        integration_id: WA.into(),
        mapping: support::parcel_mapping(),
        ..Default::default()
    }
}

/// A fetched audience of `query` and an approved template named `name`; returns the audience
/// id and the message.
async fn prepare(ws: &Workspace, name: &str, query: &str) -> (String, MessageSpec, u32) {
    let draft = ws
        .save_template(
            None,
            &Template {
                name: name.into(),
                language: "en_US".into(),
                body: "Hi {{Ann}}, your parcel arrives on {{Friday}} before noon.".into(),
                integrations: vec![WA.into()],
                ..Template::default()
            },
        )
        .unwrap();
    ws.submit_template(&draft.id, &[WA.to_string()])
        .await
        .expect("submit");
    let audience = ws
        .fetch_audience(query, &AtomicBool::new(false), |_| {})
        .await
        .expect("fetch");
    let m = spec(&draft.id);
    let checked = ws
        .check_audience(&audience.id, Some(m.clone()))
        .await
        .expect("check");
    (audience.id, m, checked.eligible)
}

async fn clear_log(sb: &Sandbox) {
    reqwest::Client::new()
        .delete(format!("{}/_sandbox/notifications", sb.base_url()))
        .send()
        .await
        .unwrap();
}

/// The sandbox's receive times of the notifications since the log was cleared, sorted.
async fn received(sb: &Sandbox) -> Vec<chrono::DateTime<chrono::FixedOffset>> {
    let v: serde_json::Value = reqwest::get(format!("{}/_sandbox/notifications", sb.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut t: Vec<_> = v["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| chrono::DateTime::parse_from_rfc3339(n["received_at"].as_str().unwrap()).unwrap())
        .collect();
    t.sort();
    t
}

/// The frozen payloads of a campaign (what the engine posts).
fn payloads(ws: &Workspace, campaign: &str) -> Vec<String> {
    let db = ws.db();
    let mut stmt = db
        .connection()
        .prepare("SELECT payload FROM campaign_recipients WHERE campaign_id = ?1 AND payload IS NOT NULL")
        .unwrap();
    stmt.query_map([campaign], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Posts every payload with 256 in flight, as fast as the sandbox answers: its raw capacity.
async fn raw_capacity(sb: &Sandbox, bodies: Vec<String>) -> f64 {
    let i = sb.info();
    let url = format!("{}/v1.1/apps/{}/notifications", i.sunshine_url, i.app_id);
    let client = reqwest::Client::new();
    let gate = Arc::new(tokio::sync::Semaphore::new(256));
    let n = bodies.len();
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for body in bodies {
        let permit = gate.clone().acquire_owned().await.unwrap();
        let (client, url, key, secret) = (
            client.clone(),
            url.clone(),
            i.key_id.clone(),
            i.key_secret.clone(),
        );
        set.spawn(async move {
            let r = client
                .post(url)
                .basic_auth(key, Some(secret))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{}", r.status());
            drop(permit);
        });
    }
    while set.join_next().await.is_some() {}
    n as f64 / start.elapsed().as_secs_f64()
}

/// One send of a throughput round: messages a second from the first to the last as the sandbox
/// received them, seconds from the call to the first, and from the last until it returned.
async fn timed_send(sb: &Sandbox, ws: &Workspace, campaign: &str) -> (f64, f64, f64) {
    clear_log(sb).await;
    let called = chrono::Utc::now();
    ws.run_campaign(campaign, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    let returned = chrono::Utc::now();
    let t = received(sb).await;
    let (first, last) = (*t.first().unwrap(), *t.last().unwrap());
    let secs = |d: chrono::TimeDelta| d.num_microseconds().unwrap_or(0) as f64 / 1e6;
    (
        (t.len() - 1) as f64 / secs(last - first),
        secs(first.to_utc() - called),
        secs(returned - last.to_utc()),
    )
}

/// The team's store on (the default share) and off, five rounds each, in turn.
async fn store_rounds(sb: &Sandbox, ws: &Workspace, audience: &str, message: &MessageSpec, n: u32) {
    let share = relay_core::settings::DEFAULT_TEAM_SHARE;
    println!("the team's store on (its default share, {share} requests a minute) and off (this desktop only, custom objects off): {n} messages a round");
    ws.set_key("team_share_per_minute", &share.to_string())
        .unwrap();
    let (mut on, mut off) = (Vec::new(), Vec::new());
    for round in 1..=10 {
        let store = round % 2 == 1;
        if store {
            support::send::set_faults(sb, &relay_sandbox::Faults::default()).await;
        } else {
            support::send::store_off(sb).await;
        }
        ws.set_key("desktop_only", if store { "false" } else { "true" })
            .unwrap();
        let c = ws
            .create_campaign(
                audience,
                variant(message, &format!("store round {round}")),
                Some(1000),
                None,
            )
            .await
            .unwrap();
        let (rate, before, after) = timed_send(sb, ws, &c.id).await;
        println!(
            "  round {round}, store {}: {rate:.0}/s from the first message to the last, {before:.2} s before the first, {after:.2} s after the last",
            if store { "on " } else { "off" }
        );
        if store { &mut on } else { &mut off }.push((rate, before, after));
        if store {
            // The entries of the send, confirmed in the background; and the share's burst
            // refilled, as between two campaigns.
            ws.team_settled().await;
            tokio::time::sleep(Duration::from_secs(6)).await;
        }
    }
    let median = |v: &mut Vec<(f64, f64, f64)>, k: usize| {
        let mut x: Vec<f64> = v.iter().map(|r| [r.0, r.1, r.2][k]).collect();
        x.sort_by(f64::total_cmp);
        x[x.len() / 2]
    };
    let (on_rate, off_rate) = (median(&mut on, 0), median(&mut off, 0));
    println!(
        "  median: store on {on_rate:.0}/s, off {off_rate:.0}/s: on = {:.2} × off; the store adds {:.2} s before the first message and {:.2} s after the last (off: {:.2} s and {:.2} s)",
        on_rate / off_rate,
        median(&mut on, 1),
        median(&mut on, 2),
        median(&mut off, 1),
        median(&mut off, 2)
    );
    support::send::set_faults(sb, &relay_sandbox::Faults::default()).await;
    ws.set_key("desktop_only", "false").unwrap();
    ws.set_key("team_share_per_minute", "2500").unwrap();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let recipients = arg(1, 300_000);
    let parts: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-') && a.parse::<u64>().is_err())
        .collect();
    let run = |part: &str| parts.is_empty() || parts.iter().any(|p| p == part);
    // About half the generated users can be reached (no phone, invalid, shared numbers…).
    let users = recipients * 5 / 3 + 20_000;
    let sb = Sandbox::start(SandboxConfig {
        users,
        approve_after: Duration::ZERO,
        zendesk_rate_per_minute: u32::MAX,
        export_rate_per_minute: u32::MAX,
        // Its log keeps each message's time and number, not its body: the memory measured is
        // Relay's (and the sandbox's), not hundreds of thousands of stored requests.
        keep_bodies: false,
        ..SandboxConfig::default()
    })
    .await
    .expect("start the sandbox");
    // The throughput rounds measure the engine, not its rate: their campaigns are paced by a
    // pacer that never waits (the others by the campaign's rate, as in the app).
    let unpaced = Arc::new(AtomicBool::new(false));
    let (ws, _tmp) = support::workspace_on(&sb);
    // The app's wait for the team's store at the end of a send (the tests wait longer).
    let ws = ws.with_settle_at_end(relay_core::team::SETTLE_AT_END);
    let ws = {
        let unpaced = unpaced.clone();
        ws.with_pacing(Arc::new(move |rate| {
            if unpaced.load(Ordering::Relaxed) {
                Arc::new(Unpaced)
            } else {
                Arc::new(RatePacer::new(rate))
            }
        }))
    };
    ws.set_key("default_country", "FR").unwrap();

    // 1. Throughput with no rate limit, against raw capacity.
    let (audience, message, eligible) = prepare(&ws, "parcel_a", "role:end-user tags:vip").await;
    if run("throughput") {
        // Five rounds, each on a fresh campaign, the sandbox alone and the engine in turn (first
        // one, then the other): the engine, the sandbox and the client share 2 cores, and single
        // runs vary with the machine.
        println!("throughput: {eligible} messages a round, no rate limit");
        unpaced.store(true, Ordering::Relaxed);
        let mut ratios = Vec::new();
        for round in 1..=5 {
            let c = ws
                .create_campaign(
                    &audience,
                    variant(&message, &format!("round {round}")),
                    Some(1000),
                    None,
                )
                .await
                .unwrap();
            let bodies = payloads(&ws, &c.id);
            let engine_run = || async {
                clear_log(&sb).await;
                let start = Instant::now();
                let done = ws
                    .run_campaign(&c.id, &CampaignControl::default(), |_| {})
                    .await
                    .unwrap();
                assert_eq!(done.counts.sent, eligible);
                done.counts.sent as f64 / start.elapsed().as_secs_f64()
            };
            let (raw, engine) = if round % 2 == 1 {
                clear_log(&sb).await;
                let raw = raw_capacity(&sb, bodies).await;
                (raw, engine_run().await)
            } else {
                let engine = engine_run().await;
                clear_log(&sb).await;
                (raw_capacity(&sb, bodies).await, engine)
            };
            println!(
            "  round {round}: sandbox raw capacity {raw:.0}/s, engine {engine:.0}/s: ratio {:.2}",
            engine / raw
        );
            ratios.push(engine / raw);
        }
        ratios.sort_by(f64::total_cmp);
        println!(
            "  median ratio {:.2} (from {:.2} to {:.2})",
            ratios[2], ratios[0], ratios[4]
        );
        store_rounds(&sb, &ws, &audience, &message, eligible).await;
        unpaced.store(false, Ordering::Relaxed);
    }

    // 2. Rate accuracy.
    for (rate, secs) in [(8u32, 60u32), (200, 30)] {
        if !run("rate") {
            break;
        }
        let c = ws
            .create_campaign(
                &audience,
                variant(&message, &format!("at {rate}/s")),
                Some(rate),
                None,
            )
            .await
            .unwrap();
        let want = rate * secs + 1;
        let control = CampaignControl::default();
        clear_log(&sb).await;
        ws.run_campaign(&c.id, &control, |p| {
            if p.counts.sent + p.counts.sending >= want {
                control.pause();
            }
        })
        .await
        .unwrap();
        let t = received(&sb).await;
        let span = (*t.last().unwrap() - *t.first().unwrap())
            .num_microseconds()
            .unwrap() as f64
            / 1e6;
        let measured = (t.len() - 1) as f64 / span;
        println!(
            "rate {rate}/s: {} messages over {span:.2} s = {measured:.3}/s, error {:+.2} %",
            t.len(),
            (measured - rate as f64) / rate as f64 * 100.0
        );
        ws.cancel_campaign(&c.id).unwrap();
    }

    // 3. A large campaign at 1,000/s.
    if !run("campaign") {
        return;
    }
    let (audience, message, eligible) = prepare(&ws, "parcel_b", "role:end-user").await;
    reset_peak();
    let memory_at_start = memory();
    let cpu0 = cpu_seconds();
    let start = Instant::now();
    let c = ws
        .create_campaign(&audience, message, Some(1000), None)
        .await
        .unwrap();
    let frozen = start.elapsed();
    clear_log(&sb).await;
    let done = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    let wall = start.elapsed();
    let sending = wall - frozen;
    // Read before the log is fetched below: the benchmark's copy of 300,000 log entries is not
    // Relay's memory.
    let memory_after = memory();
    let cpu1 = cpu_seconds();
    println!(
        "campaign: {eligible} recipients at 1,000/s: frozen in {:.1} s, sent in {:.1} s ({:.0}/s), {:.1} s in all; {} sent, {} failed",
        frozen.as_secs_f64(),
        sending.as_secs_f64(),
        done.counts.sent as f64 / sending.as_secs_f64(),
        wall.as_secs_f64(),
        done.counts.sent,
        done.counts.failed
    );
    let t = received(&sb).await;
    if let (Some(first), Some(last)) = (t.first(), t.last()) {
        let span = (*last - *first).num_microseconds().unwrap_or(1) as f64 / 1e6;
        println!(
            "  the sandbox received them over {span:.1} s: {:.1}/s between the first and the last",
            (t.len() - 1) as f64 / span
        );
    }
    if let (Some(c0), Some(c1)) = (cpu0, cpu1) {
        println!(
            "  CPU {:.1} s for {:.1} s of wall time: {:.0} % of one core (Relay and the sandbox together)",
            c1 - c0,
            wall.as_secs_f64(),
            (c1 - c0) / wall.as_secs_f64() * 100.0
        );
    }
    if let (Some((_, peak)), Some((at_start, _))) = (memory_after, memory_at_start) {
        println!("  peak memory {peak:.0} MiB (Relay and the sandbox with its log of every message; {at_start:.0} MiB resident when the campaign was created)");
    }
}
