//! The team's store at scale: ENTRIES ledger entries pushed to the sandbox's custom objects by
//! one desktop, then pulled by another.
//!
//! Without LIMIT, Relay's own pacing is lifted so the figure is the replicator's cost in requests
//! and time; the time under an account's limit follows from the requests (printed for the
//! 100-a-minute default share and a whole 400-a-minute account). With LIMIT, the sandbox's account
//! allows LIMIT requests a minute (429s with `Retry-After` past it) and the replicator's share is
//! the whole of it: the figure is the wall time, measured.
//!
//!     cargo bench -p relay-core --bench team [-- ENTRIES [LIMIT]]      (default 30000, unlimited)

#[path = "../tests/support/mod.rs"]
mod support;

mod common;

use common::arg;
use relay_sandbox::{Sandbox, SandboxConfig};
use std::time::Instant;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let entries = arg(1, 30_000);
    let limit = arg(2, u32::MAX as u64) as u32;
    let sb = Sandbox::start(SandboxConfig {
        users: 1000,
        zendesk_rate_per_minute: limit,
        export_rate_per_minute: u32::MAX,
        ..SandboxConfig::default()
    })
    .await
    .expect("start the sandbox");
    if limit != u32::MAX {
        println!("the sandbox's account allows {limit} requests a minute; the replicator's share is all of it");
    }
    let (a, _ta) = support::workspace_on(&sb);
    let a = a.with_team_share(limit);
    let (b, _tb) = support::workspace_on(&sb);
    let b = b.with_team_share(limit);

    let now = a.now_ms();
    {
        let db = a.db();
        let conn = db.connection();
        conn.execute_batch("BEGIN").unwrap();
        for k in 0..entries {
            relay_core::blackout::record_blackout(
                conn,
                k,
                &format!("+3361{:07}", k),
                42,
                now - k as i64,
                Some("bench"),
                relay_core::blackout::Reach::Sent,
            )
            .unwrap();
        }
        conn.execute_batch("COMMIT").unwrap();
    }

    // Every request the sandbox answered, the store's objects made the first time included.
    let answered = || async {
        support::send::sandbox_stats(&sb).await["requests"]["zendesk"]
            .as_u64()
            .unwrap_or(0)
    };
    let before = answered().await;
    let start = Instant::now();
    let pushed = a.team_sync().await.expect("push");
    let push_answered = answered().await - before;
    let push_secs = start.elapsed().as_secs_f64();
    assert_eq!(pushed.pushed as u64, entries, "{pushed:?}");
    let per = |r: u32| r as f64 / entries as f64 * 1000.0;
    println!(
        "push: {entries} entries in {push_secs:.1} s ({:.0}/s), {} requests ({:.1} per 1,000 entries)",
        entries as f64 / push_secs,
        pushed.requests,
        per(pushed.requests)
    );

    let before = answered().await;
    let start = Instant::now();
    let pulled = b.team_sync().await.expect("pull");
    let pull_answered = answered().await - before;
    println!(
        "requests the sandbox answered (the store's objects, its key, job polls and the other kinds included): push {push_answered}, pull {pull_answered}, {} in all",
        push_answered + pull_answered
    );
    let pull_secs = start.elapsed().as_secs_f64();
    assert_eq!(pulled.merged as u64, entries, "{pulled:?}");
    println!(
        "pull: {entries} entries in {pull_secs:.1} s ({:.0}/s), {} requests ({:.1} per 1,000 entries)",
        entries as f64 / pull_secs,
        pulled.requests,
        per(pulled.requests)
    );
    if limit != u32::MAX {
        let mins = (push_secs + pull_secs) / 60.0;
        println!(
            "{entries} entries pushed and pulled under {limit} a minute: {mins:.1} min of wall time, {} requests ({:.0} a minute)",
            pushed.requests + pulled.requests,
            (pushed.requests + pulled.requests) as f64 / mins
        );
        return;
    }
    let both = (pushed.requests + pulled.requests) as f64 / entries as f64;
    for (what, n) in [("30,000", 30_000f64), ("300,000", 300_000f64)] {
        println!(
            "{what} entries pushed and pulled: {:.0} requests: {:.0} min at 100 a minute (the default share), {:.0} min at 400 a minute (a whole Suite Professional account)",
            both * n,
            both * n / 100.0,
            both * n / 400.0
        );
    }
}
