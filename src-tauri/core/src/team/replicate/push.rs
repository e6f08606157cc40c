//! Push: this desktop's ledger entries in batches (a batch in flight noted before it is posted,
//! looked for again when a push was cut short), then the outbox's records one each (the
//! suppression list's changes, the campaigns' summaries), numbers never in clear.

use super::SyncReport;
use crate::clients::zendesk::custom_objects::{ItemOutcome, RecordInput, MAX_ITEMS};
use crate::clients::zendesk::ZendeskClient;
use crate::error::AppResult;
use crate::team::batch;
use crate::team::outbox::{self, Queued};
use crate::team::schema::{Replicated, BATCH};
use crate::workspace::Workspace;
use serde_json::{json, Map, Value};

/// Batches a bulk job carries (each up to 32 KB: a request of about 300 KB).
const BATCHES_PER_JOB: usize = 10;

/// How long after it was posted a batch not found in the store is given up (its entries go
/// again): a bulk job is done within minutes, and a cut-short push still posts its job.
const IN_FLIGHT_PATIENCE_MS: i64 = 10 * 60_000;

impl Workspace {
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
        self.team().queue_summaries(self)?;
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
            // On a task of its own: a push cut short here (the end of a send's wait, while the
            // job waits for its turn at the store's pace) still posts the job it noted in flight,
            // so the next push finds its batches in the store, not ten minutes later.
            let job = {
                let z = z.clone();
                tokio::spawn(async move { z.bulk_upsert(BATCH, &items).await })
            };
            let outcomes = job.await.map_err(|e| {
                crate::error::AppError::internal(format!("the push stopped: {e}"))
            })??;
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
                    crate::team::campaigns::confirmed(tx, &done)?;
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
}

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
