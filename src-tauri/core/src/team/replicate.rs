//! Push and pull. The ledger's entries go in batches ([`super::batch`]), read from the ledger's
//! own unshared rows in index order, several batches a bulk job; a batch the store confirms
//! marks its rows shared, one refused or unconfirmed leaves them to go again in a new batch
//! (merging is idempotent, so nothing is lost or doubled). The suppression list's changes and
//! the campaigns' summaries go from the outbox, one record each, upserted by external id. A pull
//! reads the records updated since where the last one stopped — by Zendesk's `updated_at`, never
//! a desktop's clock — with a sort (without one Zendesk returns only the first 10,000) and
//! `$gte` (records sharing the last second are read again rather than missed), and merges them
//! into the ledger as a grow-only set. The replicator keeps to a share of the account's rate
//! limit and honours its 429s.

use super::batch;
use super::outbox::{self, Queued};
use super::schema::{Replicated, BATCH, SUPPRESSED};
use crate::blackout::{Reach, Recipient};
use crate::clients::zendesk::custom_objects::{ItemOutcome, Record, RecordInput, MAX_ITEMS};
use crate::clients::zendesk::ZendeskClient;
use crate::error::AppResult;
use crate::workspace::Workspace;
use serde::Serialize;
use serde_json::{json, Map, Value};
use specta::Type;
use std::str::FromStr;

/// Batches a bulk job carries (each up to 32 KB: a request of about 300 KB).
const BATCHES_PER_JOB: usize = 10;
/// Pages a bounded pull reads (an audience check's, a heartbeat's): 100 records each.
pub(crate) const BOUNDED_PAGES: u32 = 20;
/// How long after it was posted a batch not found in the store is given up (its entries go
/// again): a bulk job is done within minutes.
const IN_FLIGHT_PATIENCE_MS: i64 = 10 * 60_000;
/// How long a batch is kept in the store: the longest blackout allowed.
pub const KEEP_DAYS: i64 = 365;

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
    /// Makes the store's object types if missing, pushes this desktop's entries and changes,
    /// then pulls the others'; deletes the batches past the longest blackout (an admin's desktop,
    /// once a day); and reads the opt-outs replied in Zendesk since the last read (at most every
    /// [`crate::consent::optouts::READ_EVERY`]).
    pub async fn team_sync(&self) -> AppResult<SyncReport> {
        self.ensure_team_schema().await?;
        let z = self.team_client()?;
        self.team().look_for_legacy();
        let mut report = self.team_push(&z, None, None).await?;
        let pulled = self.team_pull(&z, None).await?;
        report.pulled = pulled.pulled;
        report.merged = pulled.merged;
        report.requests += pulled.requests;
        if let Err(e) = self.team_prune(&z).await {
            tracing::info!(
                code = e.code.as_str(),
                "old batches were not pruned: {}",
                e.message
            );
        }
        self.optouts_refresh(false).await;
        Ok(report)
    }

    /// Makes Relay's object types and fields where missing, once per process (until the
    /// settings change). Outside the store's pace: it happens once per account, some forty
    /// requests the first time, and a send waiting for its claim must not queue behind them.
    pub(crate) async fn ensure_team_schema(&self) -> AppResult<()> {
        if !self.team().schema_ready() {
            let (_, z) = self.zendesk_client()?;
            super::schema::ensure(&z).await?;
            self.team().set_schema_ready();
        }
        Ok(())
    }

    /// Pushes this desktop's ledger entries in batches (at most `max_batches`, all when None; those
    /// of message `first` before the others),
    /// then the changes of the suppression list and the summaries of this desktop's campaigns
    /// that changed, until nothing is left or a round confirms nothing (the store refuses what is
    /// left: it stays to go again).
    pub(crate) async fn team_push(
        &self,
        z: &ZendeskClient,
        max_batches: Option<usize>,
        first: Option<i64>,
    ) -> AppResult<SyncReport> {
        self.queue_campaign_summaries()?;
        let mut report = self.push_entries(z, max_batches, first).await?;
        for kind in [Replicated::Suppressed, Replicated::Campaign] {
            let more = self.push_kind(z, kind).await?;
            report.pushed += more.pushed;
            report.requests += more.requests;
        }
        report.retry = self.team_pending()?;
        Ok(report)
    }

    /// The suppression list's changes alone (an opt-out read now reaches the team at once; the
    /// ledger's backlog is not pushed for it).
    pub(crate) async fn team_push_list(&self, z: &ZendeskClient) -> AppResult<SyncReport> {
        self.push_kind(z, Replicated::Suppressed).await
    }

    /// Entries and changes this desktop still has to push.
    pub(crate) fn team_pending(&self) -> AppResult<u32> {
        let db = self.db();
        let conn = db.connection();
        Ok(crate::blackout::unshared_count(conn)? + outbox::counts(conn)?.0)
    }

    async fn push_entries(
        &self,
        z: &ZendeskClient,
        max_batches: Option<usize>,
        first: Option<i64>,
    ) -> AppResult<SyncReport> {
        let mut report = SyncReport::default();
        let desktop = self.desktop_id()?;
        let key = self.team_number_key(z).await?;
        let _turn = self.team().push_turn.lock().await;
        report.pushed += self.resolve_in_flight(z, &mut report).await?;
        let mut sent_batches = 0usize;
        loop {
            let room = max_batches.map_or(BATCHES_PER_JOB, |m| {
                m.saturating_sub(sent_batches).min(BATCHES_PER_JOB)
            });
            if room == 0 {
                break;
            }
            let rows = {
                let db = self.db();
                crate::blackout::unshared(db.connection(), room * batch::MAX_ENTRIES, first)?
            };
            let mut batches = Vec::new();
            let mut rest = &rows[..];
            while batches.len() < room {
                let Some(b) = batch::make(rest, &desktop, |p| crate::number_key::hash(&key, p))
                else {
                    break;
                };
                rest = &rest[b.rows.len()..];
                // Each batch a record of its own, never written again: a new id at each push.
                batches.push((format!("batch:{}", uuid::Uuid::new_v4().simple()), b));
            }
            if batches.is_empty() {
                break;
            }
            sent_batches += batches.len();
            // Noted before it is written: a push cut short (a kill, a timeout) finds its batches
            // in flight, and looks for them in the store before writing their entries again.
            let now = self.now_ms();
            self.db().write(|tx| {
                for (id, b) in &batches {
                    crate::blackout::mark_in_flight(tx, b.rows.iter().copied(), id)?;
                    outbox::posted(tx, id, now)?;
                }
                Ok(())
            })?;
            let items: Vec<RecordInput> = batches
                .iter()
                .map(|(id, b)| RecordInput {
                    name: Some(id.clone()),
                    external_id: Some(id.clone()),
                    custom_object_fields: b.fields.clone(),
                })
                .collect();
            let outcomes = z.bulk_upsert(BATCH, &items).await?;
            report.requests += 2;
            let mut refused: Option<String> = None;
            let mut again = 0u32;
            let mut confirmed = 0u32;
            self.db().write(|tx| {
                for ((id, b), o) in batches.iter().zip(&outcomes) {
                    match o {
                        ItemOutcome::Written(_) => {
                            confirmed += crate::blackout::confirm_in_flight(tx, id)?;
                            outbox::landed(tx, id)?;
                        }
                        ItemOutcome::Failed(why) => {
                            crate::blackout::release_in_flight(tx, id)?;
                            outbox::landed(tx, id)?;
                            again += b.rows.len() as u32;
                            refused = Some(why.clone());
                        }
                        // Written or not: looked for at the next push.
                        ItemOutcome::Unconfirmed => again += b.rows.len() as u32,
                    }
                }
                if confirmed > 0 {
                    outbox::set_pushed(tx, BATCH, now)?;
                }
                Ok(())
            })?;
            report.pushed += confirmed;
            self.team().note_push(again, refused);
            if confirmed == 0 {
                break;
            }
        }
        Ok(report)
    }

    /// The batches a push left in flight (cut short, or not confirmed in time): looked for in
    /// the store by their external id; found, their entries are shared; not found long after
    /// they were posted (a job is done within minutes), their entries go again. Returns how
    /// many entries were confirmed.
    async fn resolve_in_flight(
        &self,
        z: &ZendeskClient,
        report: &mut SyncReport,
    ) -> AppResult<u32> {
        let posted = {
            let db = self.db();
            outbox::in_flight(db.connection())?
        };
        let mut confirmed = 0;
        for chunk in posted.chunks(MAX_ITEMS) {
            let ids: Vec<&str> = chunk.iter().map(|(id, _)| id.as_str()).collect();
            let filter = json!({"external_id": {"$in": ids}});
            let page = z
                .search_page(BATCH, &filter, "updated_at", MAX_ITEMS, None)
                .await?;
            report.requests += 1;
            let found: std::collections::HashSet<String> = page
                .records
                .into_iter()
                .filter_map(|r| r.external_id)
                .collect();
            let now = self.now_ms();
            confirmed += self.db().write(|tx| {
                let mut n = 0;
                for (id, at) in chunk {
                    if found.contains(id) {
                        n += crate::blackout::confirm_in_flight(tx, id)?;
                        outbox::landed(tx, id)?;
                    } else if now - at > IN_FLIGHT_PATIENCE_MS {
                        crate::blackout::release_in_flight(tx, id)?;
                        outbox::landed(tx, id)?;
                    }
                }
                if n > 0 {
                    outbox::set_pushed(tx, BATCH, now)?;
                }
                Ok(n)
            })?;
        }
        Ok(confirmed)
    }

    async fn push_kind(&self, z: &ZendeskClient, kind: Replicated) -> AppResult<SyncReport> {
        let Some(queued_as) = kind.outbox_kind() else {
            return Ok(SyncReport::default());
        };
        let object = kind.object();
        let desktop = self.desktop_id()?;
        let mut report = SyncReport::default();
        let key = match kind {
            Replicated::Suppressed => Some(self.team_number_key(z).await?),
            _ => None,
        };
        let mut skip = 0usize;
        loop {
            let batch = {
                let db = self.db();
                outbox::next(db.connection(), queued_as, skip + MAX_ITEMS)?
            };
            let batch: Vec<Queued> = batch.into_iter().skip(skip).collect();
            if batch.is_empty() {
                break;
            }
            let items: Vec<RecordInput> = batch
                .iter()
                .map(|q| record_of(q, &desktop, key.as_ref()))
                .collect();
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
                outbox::confirmed(tx, queued_as, &done)?;
                if kind == Replicated::Campaign {
                    super::campaigns::confirmed(tx, &done)?;
                }
                outbox::retry_later(tx, queued_as, &again)?;
                if confirmed_any {
                    outbox::set_pushed(tx, object, now)?;
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

    /// Reads what the other desktops changed since the last pull — ledger entries (at most
    /// `max_pages` pages of batches; all when None: the rest at the next pull), the records of an
    /// earlier Relay once, then the suppression list, the campaigns and the policy — and merges
    /// it.
    pub(crate) async fn team_pull(
        &self,
        z: &ZendeskClient,
        max_pages: Option<u32>,
    ) -> AppResult<SyncReport> {
        // Without the team's key nothing hashed can be compared: the pull fails, and a send
        // with it (or falls back to "this desktop only", as for any failure of the store).
        self.team_number_key(z).await?;
        let mut report = self
            .pull_object(z, Replicated::Batch, max_pages, |tx, r| {
                let entries = match batch::read(&r.custom_object_fields) {
                    Ok(entries) => entries,
                    // Written by a later Relay: not skipped (the cursor stays before it), but
                    // this desktop cannot know the team's ledger until it is updated.
                    Err(batch::Unreadable::NewerFormat(format)) => {
                        return Err(crate::error::AppError::new(
                            crate::error::ErrorCode::Rejected,
                            crate::text!("team.batch_newer", format = format),
                        ))
                    }
                    Err(batch::Unreadable::Malformed) => {
                        tracing::warn!(record = %r.id, "a batch of the team's store is damaged and was not read");
                        return Ok(0);
                    }
                };
                let mut n = 0;
                for e in &entries {
                    if crate::blackout::merge_pulled(tx, e)? {
                        n += 1;
                    }
                }
                Ok(n)
            })
            .await?;
        let legacy = self.fold_legacy_entries(z, false).await?;
        let suppressed = self
            .pull_object(z, Replicated::Suppressed, None, |tx, r| {
                let f = &r.custom_object_fields;
                let number = match (
                    f.get("number_key")
                        .and_then(Value::as_str)
                        .and_then(|k| u64::from_str_radix(k, 16).ok())
                        .map(|k| k as i64),
                    f.get("number").and_then(Value::as_str),
                ) {
                    (Some(key), _) => Recipient::Keyed(key),
                    (None, Some(phone)) => Recipient::Clear {
                        user_id: 0,
                        phone: phone.to_string(),
                    },
                    (None, None) => return Ok(0),
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
                Ok(u32::from(crate::suppression::merge_pulled(
                    tx, &number, note, removed, reader, opted_out,
                )?))
            })
            .await?;
        if suppressed.merged > 0 {
            let found = crate::suppression::resolve_keyed(&self.db())?;
            tracing::info!(
                merged = suppressed.merged,
                found,
                "numbers from the team's list known here shown in clear"
            );
        }
        let campaigns = self
            .pull_object(z, Replicated::Campaign, None, |tx, r| {
                Ok(u32::from(super::campaigns::merge_pulled(tx, r)?))
            })
            .await?;
        let policy = self
            .pull_object(z, Replicated::Policy, None, |tx, r| {
                Ok(u32::from(super::policy::merge_pulled(tx, r)?))
            })
            .await?;
        for more in [legacy, suppressed, campaigns, policy] {
            report.pulled += more.pulled;
            report.merged += more.merged;
            report.requests += more.requests;
        }
        self.reload_team_policy()?;
        Ok(report)
    }

    /// The per-entry records of an earlier Relay: read once, when the account has them
    /// (resuming where a read stopped), folded into the ledger, then left alone — read `again`
    /// from where that read stopped before they are deleted.
    async fn fold_legacy_entries(&self, z: &ZendeskClient, again: bool) -> AppResult<SyncReport> {
        let object = Replicated::LegacyEntry.object();
        let folded = !again && {
            let db = self.db();
            outbox::sync_times(db.connection(), LEGACY_FOLDED)?
                .1
                .is_some()
        };
        // Folded already; or no such object (yet: an account never had them, or a teammate's
        // earlier Relay makes it later — looked for again at the next whole sync or background
        // turn, not before each check and send).
        if folded || (!again && self.team().legacy_absent()) {
            return Ok(SyncReport::default());
        }
        if !z.object_types().await?.iter().any(|t| t.key == object) {
            self.team().set_legacy_absent();
            return Ok(SyncReport::default());
        }
        let report = self
            .pull_object(
                z,
                Replicated::LegacyEntry,
                None,
                |tx, r| match legacy_entry_of(r) {
                    Some(e) => Ok(u32::from(crate::blackout::merge_pulled(tx, &e)?)),
                    None => Ok(0),
                },
            )
            .await?;
        // How many there were: an admin may delete them now (Settings → Team).
        let now = self.now_ms();
        let count = report.pulled.to_string();
        self.db()
            .write(|tx| outbox::set_pulled(tx, LEGACY_FOLDED, Some(&count), now))?;
        tracing::info!(
            object,
            merged = report.merged,
            "the team's per-entry records were folded into the ledger"
        );
        Ok(report)
    }

    /// The records of an earlier Relay this desktop folded, while they are in the store.
    pub(crate) fn legacy_records(&self) -> AppResult<u32> {
        let db = self.db();
        Ok(outbox::cursor(db.connection(), LEGACY_FOLDED)?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0))
    }

    /// Deletes the per-entry records of an earlier Relay from the store (numbers and user ids in
    /// clear), in bulk delete jobs — after folding them into this desktop's ledger, so nothing
    /// the team recorded stops blacking out here; the other desktops folded them at their first
    /// sync. An admin's credentials only. Returns how many were deleted.
    pub async fn team_delete_legacy(&self) -> AppResult<u32> {
        let (_, direct) = self.zendesk_client()?;
        let object = Replicated::LegacyEntry.object();
        if direct.me().await?.role != "admin" {
            return Err(crate::error::AppError::new(
                crate::error::ErrorCode::Forbidden,
                crate::text!("team.admin_needed", object = object),
            ));
        }
        self.ensure_team_schema().await?;
        let z = self.team_client()?;
        // Read again from where the first read stopped: what an earlier Relay wrote since.
        self.fold_legacy_entries(&z, true).await?;
        // What the team has only in those records goes again, in batches, first; and the
        // suppression list, by its hashes: a desktop that has not read the old records yet finds
        // everything in the new ones.
        let now = self.now_ms();
        self.db().write(|tx| {
            crate::blackout::reshare_legacy(tx)?;
            crate::suppression::requeue_for_team(tx, now)
        })?;
        self.team_push(&z, None, None).await?;
        if self.team_pending()? > 0 {
            return Err(crate::error::AppError::new(
                crate::error::ErrorCode::Unreachable,
                crate::text!("team.legacy_not_pushed"),
            ));
        }
        let all = json!({"updated_at": {"$gte": "1970-01-01T00:00:00Z"}});
        let mut deleted = 0;
        if z.object_types().await?.iter().any(|t| t.key == object) {
            deleted = delete_matching(&z, object, &all).await?;
        }
        // The suppression list's records of an earlier Relay: the number in clear.
        let mut clear = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let page = z
                .search_page(SUPPRESSED, &all, "updated_at", MAX_ITEMS, next.as_deref())
                .await?;
            clear.extend(page.records.into_iter().filter_map(|r| {
                r.custom_object_fields
                    .get("number")
                    .and_then(Value::as_str)
                    .is_some_and(|n| !n.is_empty())
                    .then_some(r.id)
            }));
            match page.next {
                Some(n) => next = Some(n),
                None => break,
            }
        }
        for ids in clear.chunks(MAX_ITEMS) {
            deleted += z
                .bulk_delete(SUPPRESSED, ids)
                .await?
                .iter()
                .filter(|o| matches!(o, ItemOutcome::Written(_)))
                .count() as u32;
        }
        let now = self.now_ms();
        self.db()
            .write(|tx| outbox::set_pulled(tx, LEGACY_FOLDED, Some("0"), now))?;
        tracing::info!(
            deleted,
            "the per-entry records of an earlier Relay were deleted from the team's store"
        );
        Ok(deleted)
    }

    async fn pull_object(
        &self,
        z: &ZendeskClient,
        kind: Replicated,
        max_pages: Option<u32>,
        merge: impl Fn(&rusqlite::Transaction, &Record) -> AppResult<u32>,
    ) -> AppResult<SyncReport> {
        let object = kind.object();
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
                    n += merge(tx, r)?;
                }
                Ok(n)
            })?;
            report.merged += merged;
            // Where it stopped, page by page: a bounded pull goes on from there next time.
            let now = self.now_ms();
            self.db()
                .write(|tx| outbox::set_pulled(tx, object, latest.as_deref(), now))?;
            match page.next {
                Some(n) if max_pages.is_none_or(|m| report.requests < m) => next = Some(n),
                _ => break,
            }
        }
        Ok(report)
    }

    /// Deletes the batches whose entries are all older than the longest blackout allowed, in
    /// bulk delete jobs; an admin's desktop, at most once a day.
    pub(crate) async fn team_prune(&self, z: &ZendeskClient) -> AppResult<u32> {
        let now = self.now_ms();
        let last = {
            let db = self.db();
            outbox::sync_times(db.connection(), PRUNED)?.1
        };
        if last.is_some_and(|l| now - l < 86_400_000) {
            return Ok(0);
        }
        if z.me().await?.role != "admin" {
            return Ok(0);
        }
        let before = now - KEEP_DAYS * 86_400_000;
        let filter = json!({"custom_object_fields.last_at": {"$lt": before}});
        let deleted = delete_matching(z, BATCH, &filter).await?;
        self.db()
            .write(|tx| outbox::set_pulled(tx, PRUNED, None, now))?;
        if deleted > 0 {
            tracing::info!(
                deleted,
                "batches past the longest blackout deleted from the team's store"
            );
        }
        Ok(deleted)
    }
}

/// Deletes every record of `object` matching `filter`, a page of 100 at a time, each in a bulk
/// delete job, until none is left, a job deletes nothing, or a page holds only records already
/// deleted (the search index lagging behind). Returns how many were deleted.
async fn delete_matching(z: &ZendeskClient, object: &str, filter: &Value) -> AppResult<u32> {
    let mut tried = std::collections::HashSet::new();
    let mut deleted = 0;
    loop {
        let page = z
            .search_page(object, filter, "updated_at", MAX_ITEMS, None)
            .await?;
        let ids: Vec<String> = page
            .records
            .iter()
            .map(|r| r.id.clone())
            .filter(|id| tried.insert(id.clone()))
            .collect();
        if ids.is_empty() {
            break;
        }
        let gone = z
            .bulk_delete(object, &ids)
            .await?
            .iter()
            .filter(|o| matches!(o, ItemOutcome::Written(_)))
            .count();
        deleted += gone as u32;
        if gone == 0 {
            break;
        }
    }
    Ok(deleted)
}

/// Where the folding of an earlier Relay's records and the last pruning are noted (as pulls).
const LEGACY_FOLDED: &str = "relay_entry:folded";
const PRUNED: &str = "relay_batch:pruned";

/// The record of a queued change, as this desktop pushes it: a number never in clear (its hash
/// under the team's key, `key`, in the record's fields and external id).
fn record_of(q: &Queued, desktop: &str, key: Option<&crate::number_key::Key>) -> RecordInput {
    let mut fields: Map<String, Value> = q.payload.as_object().cloned().unwrap_or_default();
    let mut external_id = q.external_id.clone();
    if let Some(number) = fields.remove("number") {
        let number = number.as_str().unwrap_or_default();
        let hash = match number.strip_prefix('#') {
            Some(hex) => u64::from_str_radix(hex, 16).map(|h| h as i64).unwrap_or(0),
            None => key.map_or(0, |k| crate::number_key::hash(k, number)),
        };
        fields.insert("number_key".into(), json!(format!("{hash:016x}")));
        external_id = format!("suppressed:{hash:016x}");
    }
    // A record's own name, when its kind gives one (a campaign's), else its external id.
    let name = fields
        .remove("name")
        .and_then(|n| n.as_str().map(str::to_string));
    fields.insert("desktop".into(), json!(desktop));
    fields.retain(|_, v| !v.is_null());
    RecordInput {
        name: Some(name.unwrap_or_else(|| external_id.clone())),
        external_id: Some(external_id),
        custom_object_fields: fields,
    }
}

/// The entry a record of an earlier Relay holds, if it is one (records written by hand or by
/// another program may not be: they are left alone).
fn legacy_entry_of(r: &Record) -> Option<crate::blackout::Pulled> {
    let f = &r.custom_object_fields;
    let text = |k: &str| f.get(k).and_then(Value::as_str).map(str::to_string);
    let number_of = |k: &str| {
        f.get(k).and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
    };
    Some(crate::blackout::Pulled {
        fingerprint: text("fingerprint")?.parse().ok()?,
        recipient: Recipient::Clear {
            user_id: text("user_id").and_then(|u| u.parse().ok()).unwrap_or(0),
            phone: text("number")?,
        },
        sent_at_ms: number_of("sent_at")?,
        state: text("state")
            .and_then(|s| Reach::from_str(&s).ok())
            .unwrap_or(Reach::Unknown),
        campaign: text("campaign"),
        desktop: text("desktop"),
    })
}
