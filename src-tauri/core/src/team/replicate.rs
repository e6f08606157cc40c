//! Push and pull. A push sends the queue in bulk jobs of at most 100 records and takes out what
//! the store confirms (an item refused or unconfirmed stays queued and goes again: the upsert by
//! external id is idempotent, so nothing is lost or doubled). A pull reads the records updated
//! since where the last one stopped — by Zendesk's `updated_at`, never a desktop's clock — with
//! a sort (without one Zendesk returns only the first 10,000) and `$gte` (records sharing the
//! last second are read again rather than missed), and merges them into the ledger as a grow-only
//! set. The replicator keeps to a share of the account's rate limit and honours its 429s.

use super::outbox::{self, Queued};
use super::schema::{self, CAMPAIGN, ENTRY, POLICY, SUPPRESSED};
use super::Entry;
use crate::blackout::Reach;
use crate::clients::zendesk::custom_objects::{ItemOutcome, Record, RecordInput, MAX_ITEMS};
use crate::clients::zendesk::ZendeskClient;
use crate::error::AppResult;
use crate::workspace::Workspace;
use serde::Serialize;
use serde_json::{json, Map, Value};
use specta::Type;
use std::str::FromStr;

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Type)]
pub struct SyncReport {
    /// Entries the store confirmed.
    pub pushed: u32,
    /// Entries refused or not confirmed: still queued.
    pub retry: u32,
    /// Records read, and of them entries new to this desktop's ledger.
    pub pulled: u32,
    pub merged: u32,
    /// Requests made to Zendesk.
    pub requests: u32,
}

impl Workspace {
    /// Makes the store's object types if missing, pushes this desktop's queue, then pulls the
    /// others' entries; and reads the opt-outs replied in Zendesk since the last read (at most
    /// every [`crate::consent::optouts::READ_EVERY`]).
    pub async fn team_sync(&self) -> AppResult<SyncReport> {
        self.ensure_team_schema().await?;
        let z = self.team_client()?;
        let mut report = self.team_push(&z).await?;
        let pulled = self.team_pull(&z).await?;
        report.pulled = pulled.pulled;
        report.merged = pulled.merged;
        report.requests += pulled.requests;
        self.optouts_refresh(false).await;
        Ok(report)
    }

    /// Makes Relay's object types and fields where missing, once per process (until the
    /// settings change). Outside the store's pace: it happens once per account, some forty
    /// requests the first time, and a send waiting for its claim must not queue behind them.
    pub(crate) async fn ensure_team_schema(&self) -> AppResult<()> {
        if !self.team_schema_ready() {
            let (_, z) = self.zendesk_client()?;
            schema::ensure(&z).await?;
            self.set_team_schema_ready();
        }
        Ok(())
    }

    /// Pushes the queue (ledger entries, then changes of the suppression list, then the
    /// summaries of this desktop's campaigns that changed) until it is empty or a round confirms
    /// nothing (the store refuses what is left: it stays queued).
    pub(crate) async fn team_push(&self, z: &ZendeskClient) -> AppResult<SyncReport> {
        self.queue_campaign_summaries()?;
        let mut report = self.push_kind(z, outbox::ENTRY, ENTRY).await?;
        for (kind, object) in [
            (outbox::SUPPRESSED, SUPPRESSED),
            (outbox::CAMPAIGN, CAMPAIGN),
        ] {
            let more = self.push_kind(z, kind, object).await?;
            report.pushed += more.pushed;
            report.requests += more.requests;
        }
        report.retry = {
            let db = self.db();
            outbox::counts(db.connection())?.0
        };
        Ok(report)
    }

    async fn push_kind(
        &self,
        z: &ZendeskClient,
        kind: &str,
        object: &str,
    ) -> AppResult<SyncReport> {
        let desktop = self.desktop_id()?;
        let mut report = SyncReport::default();
        let mut skip = 0usize;
        loop {
            let batch = {
                let db = self.db();
                outbox::next(db.connection(), kind, skip + MAX_ITEMS)?
            };
            let batch: Vec<Queued> = batch.into_iter().skip(skip).collect();
            if batch.is_empty() {
                break;
            }
            let items: Vec<RecordInput> = batch.iter().map(|q| record_of(q, &desktop)).collect();
            let outcomes = z.bulk_upsert(object, &items).await?;
            report.requests += 2;
            let mut done = Vec::new();
            let mut again = Vec::new();
            for (q, o) in batch.into_iter().zip(outcomes) {
                match o {
                    ItemOutcome::Written(_) => done.push(q),
                    ItemOutcome::Failed(why) => again.push((q, Some(why))),
                    ItemOutcome::Unconfirmed => again.push((q, None)),
                }
            }
            report.pushed += done.len() as u32;
            let now = self.now_ms();
            let confirmed_any = !done.is_empty();
            self.db().write(|tx| {
                outbox::confirmed(tx, kind, &done)?;
                if kind == outbox::CAMPAIGN {
                    super::campaigns::confirmed(tx, &done)?;
                }
                outbox::retry_later(tx, kind, &again)?;
                if confirmed_any {
                    outbox::set_pushed(tx, ENTRY, now)?;
                }
                Ok(())
            })?;
            // What was not confirmed is behind us in this sync: the next batch starts after it.
            skip += again.len();
            if !confirmed_any && again.len() < MAX_ITEMS {
                break;
            }
        }
        Ok(report)
    }

    /// Reads what the other desktops changed since the last pull — ledger entries, then the
    /// suppression list — page by page, and merges it.
    pub(crate) async fn team_pull(&self, z: &ZendeskClient) -> AppResult<SyncReport> {
        let mut report = self
            .pull_object(z, ENTRY, |tx, r| match entry_of(r) {
                Some(e) => crate::blackout::merge_pulled(tx, &e),
                None => Ok(false),
            })
            .await?;
        let suppressed = self
            .pull_object(z, SUPPRESSED, |tx, r| {
                let f = &r.custom_object_fields;
                let Some(number) = f.get("number").and_then(Value::as_str) else {
                    return Ok(false);
                };
                let note = f.get("note").and_then(Value::as_str).unwrap_or_default();
                let removed = f.get("removed").and_then(Value::as_bool).unwrap_or(false);
                // The rules its number was read under (none said: an earlier Relay's).
                let reader = f.get("reader").and_then(Value::as_i64).unwrap_or(1);
                // An opt-out from a reply comes with its evidence (a text).
                let opted_out = (f.get("reason").and_then(Value::as_str) == Some("opted_out"))
                    .then(|| {
                        f.get("evidence")
                            .and_then(Value::as_str)
                            .and_then(|e| serde_json::from_str(e).ok())
                            .unwrap_or_else(|| crate::text!("optouts.evidence_elsewhere"))
                    });
                crate::suppression::merge_pulled(tx, number, note, removed, reader, opted_out)
            })
            .await?;
        let campaigns = self
            .pull_object(z, CAMPAIGN, super::campaigns::merge_pulled)
            .await?;
        let policy = self
            .pull_object(z, POLICY, super::policy::merge_pulled)
            .await?;
        for more in [suppressed, campaigns, policy] {
            report.pulled += more.pulled;
            report.merged += more.merged;
            report.requests += more.requests;
        }
        self.reload_team_policy()?;
        Ok(report)
    }

    async fn pull_object(
        &self,
        z: &ZendeskClient,
        object: &str,
        merge: impl Fn(&rusqlite::Transaction, &Record) -> AppResult<bool>,
    ) -> AppResult<SyncReport> {
        let desktop = self.desktop_id()?;
        let since = {
            let db = self.db();
            outbox::cursor(db.connection(), object)?
        };
        // The others' changes only: this desktop's own are here already.
        let others = json!({"custom_object_fields.desktop": {"$noteq": desktop}});
        let filter = match &since {
            Some(c) => json!({"$and": [{"updated_at": {"$gte": c}}, others]}),
            None => others,
        };
        let mut report = SyncReport::default();
        let mut next: Option<String> = None;
        let mut latest = since.clone();
        loop {
            let page = z
                .search_page(object, &filter, "updated_at", MAX_ITEMS, next.as_deref())
                .await?;
            report.requests += 1;
            report.pulled += page.records.len() as u32;
            for r in &page.records {
                if latest.as_deref().is_none_or(|l| r.updated_at.as_str() > l) {
                    latest = Some(r.updated_at.clone());
                }
            }
            let records = page.records;
            let merged = self.db().write(|tx| {
                let mut n = 0;
                for r in &records {
                    if merge(tx, r)? {
                        n += 1;
                    }
                }
                Ok(n)
            })?;
            report.merged += merged;
            match page.next {
                Some(n) => next = Some(n),
                None => break,
            }
        }
        let now = self.now_ms();
        self.db()
            .write(|tx| outbox::set_pulled(tx, object, latest.as_deref(), now))?;
        Ok(report)
    }
}

/// The record of a queued entry, as this desktop pushes it.
fn record_of(q: &Queued, desktop: &str) -> RecordInput {
    let mut fields: Map<String, Value> = q.payload.as_object().cloned().unwrap_or_default();
    // A record's own name, when its kind gives one (a campaign's), else its external id.
    let name = fields
        .remove("name")
        .and_then(|n| n.as_str().map(str::to_string));
    fields.insert("desktop".into(), json!(desktop));
    fields.retain(|_, v| !v.is_null());
    RecordInput {
        name: Some(name.unwrap_or_else(|| q.external_id.clone())),
        external_id: Some(q.external_id.clone()),
        custom_object_fields: fields,
    }
}

/// The entry a record holds, if it is one (records written by hand or by another program may
/// not be: they are left alone).
fn entry_of(r: &Record) -> Option<Entry> {
    let f = &r.custom_object_fields;
    let text = |k: &str| f.get(k).and_then(Value::as_str).map(str::to_string);
    let number_of = |k: &str| {
        f.get(k).and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
    };
    Some(Entry {
        fingerprint: text("fingerprint")?.parse().ok()?,
        number: text("number")?,
        user_id: text("user_id").and_then(|u| u.parse().ok()).unwrap_or(0),
        sent_at_ms: number_of("sent_at")?,
        state: text("state")
            .and_then(|s| Reach::from_str(&s).ok())
            .unwrap_or(Reach::Unknown),
        campaign: text("campaign"),
        desktop: text("desktop"),
    })
}
