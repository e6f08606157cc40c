//! What the team's store adds to a campaign: the same audience sent at RATE a second twice from
//! one desktop — with the store (its default share, 100 requests a minute), then with the store
//! switched off and "this desktop only" on (another message, so nobody is blacked out) — printed
//! side by side: time until the first message, time sending, time from the last message until
//! the send returns, until the claim is given back (with the store: every entry confirmed by the
//! store, in the background), and the Zendesk requests made.
//!
//!     cargo bench -p relay-core --bench team_send [-- USERS RATE [on]]
//!
//! Without arguments: 400 users at 8 a second, then 20,000 users at 1,000 a second. With `on`,
//! only the send with the store (a 300,000-recipient campaign takes 600,000 users: five minutes
//! at 1,000 a second).

#[path = "../tests/support/mod.rs"]
mod support;

mod common;

use common::arg;
use relay_core::campaign::CampaignControl;
use relay_core::message::mapping::ValueSource;
use relay_core::message::MessageSpec;
use relay_core::workspace::Workspace;
use relay_sandbox::Sandbox;
use std::time::Instant;
use support::send::{ready, sandbox, sandbox_stats, store_off, WA};

/// The Zendesk requests the sandbox has answered so far.
async fn zendesk_requests(sb: &Sandbox) -> u64 {
    sandbox_stats(sb).await["requests"]["zendesk"]
        .as_u64()
        .unwrap_or(0)
}

struct Run {
    sent: u32,
    to_first: f64,
    sending: f64,
    tail: f64,
    /// From the last message until the claim was given back (the entries confirmed).
    released: f64,
    requests: u64,
}

async fn run(
    sb: &Sandbox,
    ws: &Workspace,
    audience: &str,
    spec: MessageSpec,
    rate: u32,
    store: bool,
) -> Run {
    let c = ws
        .create_campaign(audience, spec, Some(rate), None)
        .await
        .expect("create");
    let before = zendesk_requests(sb).await;
    let start = Instant::now();
    let (mut first, mut last, mut done) = (None, None, 0u32);
    let total = c.counts.pending;
    let summary = ws
        .run_campaign(&c.id, &CampaignControl::default(), |p| {
            let n = p.counts.sent + p.counts.failed + p.counts.unknown;
            if n > 0 && first.is_none() {
                first = Some(start.elapsed());
            }
            if n > done {
                done = n;
                if n >= total {
                    last.get_or_insert(start.elapsed());
                }
            }
        })
        .await
        .expect("send");
    let end = start.elapsed();
    ws.team_settled().await;
    let settled = start.elapsed();
    let status = ws.team_status().expect("status");
    assert_eq!(status.settling, 0);
    // Given back once every entry was confirmed; otherwise left to expire (the store did not
    // confirm them within half the claim's life): said so, never counted as given back.
    if store {
        assert_eq!(
            status.pending, 0,
            "the claim was left to expire with entries unconfirmed"
        );
    }
    let first = first.unwrap_or(end);
    let last = last.unwrap_or(end);
    Run {
        sent: summary.counts.sent,
        to_first: first.as_secs_f64(),
        sending: (last - first).as_secs_f64(),
        tail: (end - last).as_secs_f64(),
        released: (settled - last).as_secs_f64(),
        requests: zendesk_requests(sb).await - before,
    }
}

fn print(what: &str, r: &Run) {
    println!(
        "  {what:<19} {:>6} sent | first message after {:>6.1} s | sending {:>6.1} s | returned {:>5.1} s after the last message | claim given back {:>5.1} s after it | Zendesk requests {:>4}",
        r.sent, r.to_first, r.sending, r.tail, r.released, r.requests
    );
}

async fn case(users: u64, rate: u32, store_only: bool) {
    let sb = sandbox(users).await;
    let (ws, _tmp, spec, audience) = ready(&sb, WA).await;
    // The app's wait for the team's store at the end of a send (the tests wait longer).
    let ws = ws.with_settle_at_end(relay_core::team::SETTLE_AT_END);
    // The product's default share of the account's limit (the tests' workspaces take more).
    ws.set_key("team_share_per_minute", "100").unwrap();
    println!("{users} users at {rate} a second:");
    let team = run(&sb, &ws, &audience, spec.clone(), rate, true).await;
    print("with the store", &team);
    if store_only {
        return;
    }
    store_off(&sb).await;
    ws.set_key("desktop_only", "true").unwrap();
    let mut other = spec;
    other.mapping[1].source = ValueSource::Static {
        value: "Tuesday".into(),
    };
    let alone = run(&sb, &ws, &audience, other, rate, false).await;
    print("this desktop only", &alone);
    println!(
        "  the store adds {:.1} s before the first message, {:+.1} s sending, {:.1} s until the send returns after the last, {} requests",
        team.to_first - alone.to_first,
        team.sending - alone.sending,
        team.tail - alone.tail,
        team.requests as i64 - alone.requests as i64
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `RELAY_LOG=relay_core=info` prints what the store does meanwhile (to stderr).
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("RELAY_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    let users = arg(1, 0);
    if users > 0 {
        let on = std::env::args().any(|a| a == "on");
        case(users, arg(2, 8) as u32, on).await;
    } else {
        case(400, 8, false).await;
        case(20_000, 1_000, false).await;
    }
}
