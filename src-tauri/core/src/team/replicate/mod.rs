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
//!
//! This module holds a whole sync and what a sync did; `push` and `pull` the two directions,
//! `legacy` the per-entry records of an earlier Relay (folded into the ledger, then deleted by
//! an admin), `prune` the batches past the longest blackout.

mod legacy;
mod prune;
mod pull;
mod push;

pub use prune::KEEP_DAYS;
pub(crate) use pull::BOUNDED_PAGES;

use crate::error::AppResult;
use crate::workspace::Workspace;
use serde::Serialize;
use specta::Type;

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
            let existing = super::schema::ensure(&z).await?;
            // No earlier Relay's records in the account: a send's pull need not ask again
            // (a whole sync or the background's turn does).
            let legacy = super::schema::Replicated::LegacyEntry.object();
            if !existing.iter().any(|k| k == legacy) {
                self.team().set_legacy_absent();
            }
            self.team().set_schema_ready();
        }
        Ok(())
    }
}
