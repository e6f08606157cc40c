//! Pull: the records the other desktops changed since the last pull, read by Zendesk's
//! `updated_at` from where the last one stopped (bounded or whole), and merged — the ledger's
//! batches, the suppression list, the campaigns' summaries, the team's policy.

use super::SyncReport;
use crate::blackout::Recipient;
use crate::clients::zendesk::custom_objects::{Record, MAX_ITEMS};
use crate::clients::zendesk::ZendeskClient;
use crate::error::AppResult;
use crate::team::batch;
use crate::team::outbox;
use crate::team::schema::Replicated;
use crate::workspace::Workspace;
use serde_json::{json, Value};

/// Pages a bounded pull reads (an audience check's, a heartbeat's): 100 records each.
pub(crate) const BOUNDED_PAGES: u32 = 20;

impl Workspace {
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
                Ok(u32::from(crate::team::campaigns::merge_pulled(tx, r)?))
            })
            .await?;
        let policy = self
            .pull_object(z, Replicated::Policy, None, |tx, r| {
                Ok(u32::from(crate::team::policy::merge_pulled(tx, r)?))
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

    pub(super) async fn pull_object(
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
}
