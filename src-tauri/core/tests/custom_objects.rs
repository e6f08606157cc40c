//! The custom objects client against the sandbox: object types and fields (an agent refused),
//! a unique name's create and its taken case, upserts by external id, bulk jobs followed to
//! their end whatever the reading of their per-item results (failed items said, pushed again
//! until written, nothing lost), a slow job followed on the injected clock, a sorted search
//! followed to its end in every tie order, the record limit, custom objects off.

use chrono::TimeZone;
use futures_util::future::BoxFuture;
use relay_core::clients::http::{Http, RetryPolicy, Sleeper};
use relay_core::clients::zendesk::custom_objects::{
    Created, FieldSpec, ItemOutcome, RecordInput, MAX_ITEMS,
};
use relay_core::clients::zendesk::ZendeskClient;
use relay_core::settings::Settings;
use relay_core::ErrorCode;
use relay_sandbox::data::Population;
use relay_sandbox::{Faults, JobResults, ManualClock, Sandbox, SandboxConfig, TieOrder};
use serde_json::{json, Map};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Moves the sandbox's clock by each wait, so a slow job completes without real sleeping.
#[derive(Clone)]
struct ClockSleeper {
    clock: ManualClock,
    waits: Arc<Mutex<Vec<Duration>>>,
}

impl Sleeper for ClockSleeper {
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        self.waits.lock().unwrap().push(d);
        self.clock.advance(d);
        Box::pin(async {})
    }
}

struct Env {
    sb: Sandbox,
    sleeper: ClockSleeper,
}

impl Env {
    async fn new() -> Env {
        let clock = ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap());
        let sb = Sandbox::start(SandboxConfig {
            users: 50,
            clock: Arc::new(clock.clone()),
            ..SandboxConfig::default()
        })
        .await
        .unwrap();
        Env {
            sb,
            sleeper: ClockSleeper {
                clock,
                waits: Arc::default(),
            },
        }
    }

    fn client_as(&self, email: &str) -> ZendeskClient {
        let i = self.sb.info();
        let settings = Settings {
            zendesk_subdomain: i.subdomain.clone(),
            zendesk_email: email.to_string(),
            zendesk_custom_url: i.base_url.clone(),
            ..Settings::default()
        };
        let http = Http::new(
            RetryPolicy {
                max_retries: 3,
                ..RetryPolicy::default()
            },
            Arc::new(self.sleeper.clone()),
        );
        ZendeskClient::new(http, &settings, &i.zendesk_token).unwrap()
    }

    fn admin(&self) -> ZendeskClient {
        self.client_as(&self.sb.info().zendesk_email)
    }

    async fn faults(&self, f: Faults) {
        reqwest::Client::new()
            .put(format!("{}/_sandbox/faults", self.sb.base_url()))
            .json(&f)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
    }
}

fn entry(i: usize) -> RecordInput {
    let mut fields = Map::new();
    fields.insert("number".into(), json!(format!("+3361234{i:04}")));
    fields.insert("sent_at".into(), json!(1_764_750_000 + i as i64));
    RecordInput {
        name: Some(format!("fp1:+3361234{i:04}")),
        external_id: Some(format!("fp1:+3361234{i:04}")),
        custom_object_fields: fields,
    }
}

async fn with_entry_type(z: &ZendeskClient, unique_names: bool) {
    z.create_object_type(
        "relay_entry",
        "Relay entry",
        "Relay entries",
        "Sent messages",
        unique_names,
    )
    .await
    .unwrap();
    for (key, kind) in [("number", "text"), ("sent_at", "integer")] {
        z.create_object_field(
            "relay_entry",
            &FieldSpec {
                key: key.into(),
                kind: kind.into(),
                title: key.into(),
            },
        )
        .await
        .unwrap();
    }
}

/// Every record of a sorted search, page after page.
async fn all(
    z: &ZendeskClient,
    sort: &str,
    size: usize,
) -> Vec<relay_core::clients::zendesk::custom_objects::Record> {
    let filter = json!({"updated_at": {"$gte": "2000-01-01T00:00:00Z"}});
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = z
            .search_page("relay_entry", &filter, sort, size, next.as_deref())
            .await
            .unwrap();
        out.extend(page.records);
        match page.next {
            Some(n) => next = Some(n),
            None => return out,
        }
    }
}

#[tokio::test]
async fn object_types_fields_unique_names_and_upserts() {
    let env = Env::new().await;
    let info = env.sb.info();
    let agent = Population::new(info.seed, info.users).user(1);
    assert_eq!(agent.role, "agent");
    let err = env
        .client_as(&agent.email)
        .create_object_type("relay_claim", "Claim", "Claims", "", true)
        .await
        .unwrap_err();
    assert_eq!(
        err.code,
        ErrorCode::Forbidden,
        "an agent cannot create types"
    );

    let z = env.admin();
    with_entry_type(&z, true).await;
    let types: Vec<String> = z
        .object_types()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.key)
        .collect();
    assert_eq!(types, ["relay_entry"]);
    let fields: Vec<String> = z
        .object_fields("relay_entry")
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.key)
        .collect();
    assert!(fields.contains(&"number".to_string()) && fields.contains(&"sent_at".to_string()));
    let err = z
        .create_object_type("relay_entry", "Again", "Again", "", false)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Rejected, "the key is taken: refused");

    // A unique name: created once; the second create finds the record that holds the name.
    let claim = RecordInput {
        name: Some("fp9".into()),
        external_id: None,
        custom_object_fields: Map::new(),
    };
    let Created::Created(first) = z.create_unique("relay_entry", &claim).await.unwrap() else {
        panic!("created")
    };
    match z.create_unique("relay_entry", &claim).await.unwrap() {
        Created::NameTaken(r) => assert_eq!(r.id, first.id),
        other => panic!("the name is taken: {other:?}"),
    }
    // A refusal that is not about the name stays a refusal.
    let mut bad = claim.clone();
    bad.name = Some("fp10".into());
    bad.custom_object_fields
        .insert("sent_at".into(), json!("soon"));
    assert_eq!(
        z.create_unique("relay_entry", &bad).await.unwrap_err().code,
        ErrorCode::Rejected
    );

    // Upsert by external id: the same record, updated.
    let a = z.upsert("relay_entry", "e1", &entry(1)).await.unwrap();
    let mut later = entry(1);
    later
        .custom_object_fields
        .insert("sent_at".into(), json!(1));
    let b = z.upsert("relay_entry", "e1", &later).await.unwrap();
    assert_eq!(a.id, b.id);
    assert_eq!(b.custom_object_fields["sent_at"], json!(1));
    assert_eq!(z.record("relay_entry", &a.id).await.unwrap(), Some(b));
    assert_eq!(
        z.record("relay_entry", "01NOSUCHRECORD0000000000000")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn bulk_upserts_are_confirmed_in_every_reading_and_failed_items_go_again_until_written() {
    let env = Env::new().await;
    let z = env.admin();
    with_entry_type(&z, false).await;
    let items: Vec<RecordInput> = (0..MAX_ITEMS).map(entry).collect();
    let out = z.bulk_upsert("relay_entry", &items).await.unwrap();
    assert!(
        out.iter().all(|o| matches!(o, ItemOutcome::Written(_))),
        "{out:?}"
    );

    for reading in [JobResults::Keyed, JobResults::Positional] {
        env.faults(Faults {
            job_results: reading,
            job_item_failure: 0.4,
            ..Faults::default()
        })
        .await;
        let batch: Vec<RecordInput> = (1000..1100).map(entry).collect();
        let mut pending = batch.clone();
        let mut rounds = 0;
        let mut failures = 0;
        while !pending.is_empty() {
            rounds += 1;
            assert!(
                rounds < 40,
                "{reading:?}: the failed items are written in the end"
            );
            let out = z.bulk_upsert("relay_entry", &pending).await.unwrap();
            failures += out
                .iter()
                .filter(|o| matches!(o, ItemOutcome::Failed(_)))
                .count();
            pending = pending
                .into_iter()
                .zip(out)
                .filter(|(_, o)| !matches!(o, ItemOutcome::Written(_)))
                .map(|(i, _)| i)
                .collect();
        }
        assert!(failures > 0, "{reading:?}: some items failed on the way");
        env.faults(Faults::default()).await;
        let ids: BTreeSet<String> = all(&z, "updated_at", 100)
            .await
            .into_iter()
            .filter_map(|r| r.external_id)
            .collect();
        for i in &batch {
            assert!(
                ids.contains(i.external_id.as_ref().unwrap()),
                "{reading:?}: none lost"
            );
        }
    }
    let limit = z.record_limit().await.unwrap();
    assert_eq!(
        limit.count,
        100 + 100,
        "the second batch pushed twice is still 100 records"
    );

    // A slow job is followed on the clock until it completes.
    env.faults(Faults {
        job_delay_ms: 5_000,
        ..Faults::default()
    })
    .await;
    let before = env.sleeper.waits.lock().unwrap().len();
    let out = z.bulk_upsert("relay_entry", &[entry(5000)]).await.unwrap();
    assert!(matches!(out[0], ItemOutcome::Written(_)));
    assert!(
        env.sleeper.waits.lock().unwrap().len() - before >= 5,
        "polled while it ran"
    );
}

#[tokio::test]
async fn a_sorted_search_is_followed_to_its_end_in_every_tie_order() {
    let env = Env::new().await;
    let z = env.admin();
    with_entry_type(&z, false).await;
    // All written at the same instant of the sandbox's clock: every record ties.
    for chunk in (0..230).collect::<Vec<_>>().chunks(MAX_ITEMS) {
        let items: Vec<RecordInput> = chunk.iter().map(|i| entry(*i)).collect();
        z.bulk_upsert("relay_entry", &items).await.unwrap();
    }
    let expected: BTreeSet<String> = (0..230).map(|i| entry(i).external_id.unwrap()).collect();
    for ties in [TieOrder::Id, TieOrder::IdDesc, TieOrder::Shuffled] {
        env.faults(Faults {
            search_tie_order: ties,
            ..Faults::default()
        })
        .await;
        for sort in ["updated_at", "-updated_at"] {
            let got = all(&z, sort, 33).await;
            assert_eq!(got.len(), 230, "{ties:?} {sort}");
            let ids: BTreeSet<String> = got.into_iter().filter_map(|r| r.external_id).collect();
            assert_eq!(ids, expected, "{ties:?} {sort}");
        }
    }
}

#[tokio::test]
async fn custom_objects_off_and_the_record_limit_are_said() {
    let env = Env::new().await;
    let z = env.admin();
    with_entry_type(&z, false).await;
    env.faults(Faults {
        record_limit: Some(3),
        ..Faults::default()
    })
    .await;
    let out = z
        .bulk_upsert("relay_entry", &(0..5).map(entry).collect::<Vec<_>>())
        .await
        .unwrap();
    let written = out
        .iter()
        .filter(|o| matches!(o, ItemOutcome::Written(_)))
        .count();
    assert_eq!(written, 3);
    assert!(out.iter().any(|o| matches!(o, ItemOutcome::Failed(_))));
    assert_eq!(
        z.record_limit().await.unwrap(),
        relay_core::clients::zendesk::custom_objects::RecordLimit { count: 3, limit: 3 }
    );
    env.faults(Faults {
        custom_objects_off: true,
        ..Faults::default()
    })
    .await;
    let err = z.object_types().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden, "{err:?}");
}

/// Counts the turns taken in a pace (never waits): which requests keep it.
struct CountingPacer(std::sync::atomic::AtomicUsize);

impl relay_core::clients::http::Pacer for CountingPacer {
    fn ready(&self) -> BoxFuture<'_, ()> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Box::pin(async {})
    }

    fn try_take(&self) -> bool {
        true
    }
}

#[tokio::test]
async fn every_request_of_a_paced_client_waits_its_turn_first_tries_included() {
    let env = Env::new().await;
    let pacer = Arc::new(CountingPacer(Default::default()));
    let z = env
        .admin()
        .with_pace(relay_core::clients::http::Pace(pacer.clone()));
    with_entry_type(&z, false).await;
    let turns = || pacer.0.load(std::sync::atomic::Ordering::SeqCst);
    let before = turns();
    assert!(before > 0, "the object type's requests kept the pace");
    z.object_types().await.unwrap();
    z.record_limit().await.unwrap();
    assert_eq!(turns(), before + 2, "one turn per request");
    // A job and its status: two requests, two turns.
    z.bulk_upsert("relay_entry", &(0..3).map(entry).collect::<Vec<_>>())
        .await
        .unwrap();
    assert!(turns() >= before + 4, "{} turns", turns());
}

#[tokio::test]
async fn a_record_over_32_kb_is_refused_whichever_status_says_so_and_a_bulk_delete_is_followed() {
    let env = Env::new().await;
    let z = env.admin();
    with_entry_type(&z, false).await;
    let mut big = entry(1);
    big.custom_object_fields
        .insert("number".into(), json!("9".repeat(33 * 1024)));
    // The documents give the size, not the status: a 422 and a 413 are both a refusal.
    for too_large in [
        relay_sandbox::TooLarge::Status422,
        relay_sandbox::TooLarge::Status413,
    ] {
        env.faults(Faults {
            record_too_large: too_large,
            ..Faults::default()
        })
        .await;
        let err = z.upsert("relay_entry", "fp1:big", &big).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Rejected, "{too_large:?}: {err:?}");
    }
    // In a bulk job, the item over the size fails and the others are written.
    let items = vec![entry(2), big.clone(), entry(3)];
    let out = z.bulk_upsert("relay_entry", &items).await.unwrap();
    assert!(matches!(out[0], ItemOutcome::Written(_)));
    assert!(matches!(out[1], ItemOutcome::Failed(_)), "{:?}", out[1]);
    assert!(matches!(out[2], ItemOutcome::Written(_)));
    // A bulk delete by id: what is gone is said gone, a record already gone too.
    let ids: Vec<String> = all(&z, "updated_at", 100)
        .await
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids.len(), 2);
    let out = z.bulk_delete("relay_entry", &ids).await.unwrap();
    assert!(
        out.iter().all(|o| matches!(o, ItemOutcome::Written(_))),
        "{out:?}"
    );
    assert!(all(&z, "updated_at", 100).await.is_empty());
    let again = z.bulk_delete("relay_entry", &ids).await.unwrap();
    assert!(
        again.iter().all(|o| matches!(o, ItemOutcome::Written(_))),
        "{again:?}"
    );
}
