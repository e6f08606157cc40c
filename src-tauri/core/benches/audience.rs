//! The audience step at scale: a search export of USERS users from the sandbox streamed into
//! SQLite, checked against a blackout ledger of LEDGER rows, and every recipient rendered.
//!
//!     cargo bench -p relay-core --bench audience [-- USERS LEDGER]      (default 1000000 5000000)
//!
//! Prints the time of each phase, users per second and the peak resident memory of the process
//! during the measured phases (Linux: VmHWM, reset after the setup through /proc/self/clear_refs).
//! The sandbox runs in this process (its users are generated on the fly, not held in memory)
//! with Zendesk's rate limits off: against real Zendesk the export is limited to 100 pages of
//! 1,000 a minute, so a million users take at least ten minutes there.

#[path = "../tests/support/mod.rs"]
mod support;

mod common;

use common::{arg, memory, reset_peak};

use relay_core::message::mapping::{self, ValueMapping, ValueSource};
use relay_core::message::MessageSpec;
use relay_core::template::Template;
use relay_sandbox::{Sandbox, SandboxConfig};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

const WA: &str = "5f1e0c3a9b8d7e6f5a4b3c31";
const DAY: i64 = 86_400_000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let users = arg(1, 1_000_000);
    let ledger = arg(2, 5_000_000);
    let sb = Sandbox::start(SandboxConfig {
        users,
        zendesk_rate_per_minute: u32::MAX,
        export_rate_per_minute: u32::MAX,
        ..SandboxConfig::default()
    })
    .await
    .expect("start the sandbox");
    let (ws, _tmp) = support::workspace_on(&sb);
    ws.set_key("default_country", "FR").unwrap();
    let population = relay_sandbox::data::Population::new(42, users);

    let template = Template {
        name: "plan_notice".into(),
        language: "en_US".into(),
        body: "Hi {{Ann}}, your **{{Gold}}** plan renews soon. Reply STOP to opt out.".into(),
        integrations: vec![WA.into()],
        ..Template::default()
    };
    let draft = ws.save_template(None, &template).unwrap();
    let map = vec![
        ValueMapping {
            source: ValueSource::Field {
                key: "first_name".into(),
                date_format: String::new(),
            },
            fallback: "there".into(),
        },
        ValueMapping {
            source: ValueSource::Field {
                key: "plan".into(),
                date_format: String::new(),
            },
            fallback: "current".into(),
        },
    ];
    // The message as Relay records it (`message_fingerprint`: every translation one message).
    let fingerprint =
        mapping::message_fingerprint(&template, relay_core::channel::Channel::WhatsApp, &map);

    // The ledger of earlier campaigns: LEDGER rows over the last 90 days, 1 % of them this very
    // message (by user id or by number), the rest 200 other messages.
    let start = Instant::now();
    let now = ws.now_ms();
    {
        let db = ws.db();
        let conn = db.connection();
        conn.execute_batch("BEGIN").unwrap();
        for k in 0..ledger {
            let index = (k * 7919) % users;
            let same = k % 100 == 0;
            let fp = if same {
                fingerprint
            } else {
                fingerprint ^ (1 + (k % 200) as i64)
            };
            let phone = format!("+3361{:07}", k % 10_000_000);
            let sent_at = now - ((k % 90) as i64) * DAY - (k % 1000) as i64;
            relay_core::blackout::record_blackout(
                conn,
                population.id_of(index),
                &phone,
                fp,
                sent_at,
                None,
                relay_core::blackout::Reach::Sent,
            )
            .unwrap();
        }
        conn.execute_batch("COMMIT").unwrap();
    }
    let seeded = start.elapsed();
    println!(
        "setup: {ledger} ledger rows written in {:.1} s (not measured below)",
        seeded.as_secs_f64()
    );

    reset_peak();
    let before = memory();
    let start = Instant::now();
    let cancel = AtomicBool::new(false);
    let fetched = ws
        .fetch_audience("role:end-user", &cancel, |_| {})
        .await
        .expect("fetch");
    let fetch = start.elapsed();
    let checked = ws
        .check_audience(
            &fetched.id,
            Some(MessageSpec {
                template_id: draft.id.clone(),
                integration_id: WA.into(),
                mapping: map,
                ..Default::default()
            }),
        )
        .await
        .expect("check");
    let total = start.elapsed();
    let check = total - fetch;
    let after = memory();

    println!(
        "audience: {} users fetched ({} pages), {} will receive the message",
        checked.users, checked.pages, checked.eligible
    );
    for c in &checked.excluded {
        println!("  {:<16} {}", c.reason.as_ref(), c.count);
    }
    println!(
        "fetch (export → SQLite, phones normalized): {:.1} s, {:.0} users/s",
        fetch.as_secs_f64(),
        checked.users as f64 / fetch.as_secs_f64()
    );
    println!(
        "check (exclusions, blackout against {ledger} rows, every recipient rendered): {:.1} s, {:.0} users/s",
        check.as_secs_f64(),
        checked.users as f64 / check.as_secs_f64()
    );
    println!(
        "whole step: {:.1} s, {:.0} users/s",
        total.as_secs_f64(),
        checked.users as f64 / total.as_secs_f64()
    );
    if let (Some((rss0, _)), Some((_, peak))) = (before, after) {
        println!("memory: {rss0:.0} MiB resident before, peak {peak:.0} MiB during the step");
    }
}
