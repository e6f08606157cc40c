//! The per-entry records of an earlier Relay: folded into the ledger once the account has them,
//! counted for an admin, and deleted by an admin after their entries and the suppression list
//! went again in the new format.

use super::prune::delete_matching;
use super::SyncReport;
use crate::blackout::{Reach, Recipient};
use crate::clients::zendesk::custom_objects::{ItemOutcome, Record, MAX_ITEMS};
use crate::clients::zendesk::ZendeskClient;
use crate::error::AppResult;
use crate::team::outbox;
use crate::team::schema::{Replicated, SUPPRESSED};
use crate::workspace::Workspace;
use serde_json::{json, Value};
use std::str::FromStr;

/// Where the folding of an earlier Relay's records is noted (as a pull).
const LEGACY_FOLDED: &str = "relay_entry:folded";

impl Workspace {
    /// The per-entry records of an earlier Relay: read once, when the account has them
    /// (resuming where a read stopped), folded into the ledger, then left alone — read `again`
    /// from where that read stopped before they are deleted.
    pub(super) async fn fold_legacy_entries(
        &self,
        z: &ZendeskClient,
        again: bool,
    ) -> AppResult<SyncReport> {
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
