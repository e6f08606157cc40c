//! One team, many desktops: the blackout ledger shared through the Zendesk account's custom
//! objects, the store the team already has (no server of our own).
//!
//! The local ledger stays the one Relay checks (fast, offline). Each entry this desktop records
//! is queued in the same transaction ([`outbox`]); a sync pushes the queue to the store in bulk
//! jobs and pulls the other desktops' entries incrementally, by Zendesk's `updated_at` (never a
//! desktop's clock), merging them as a grow-only set ([`replicate`]). The object types are made
//! when missing, by an admin's credentials ([`schema`]).

pub mod campaigns;
pub mod claim;
pub(crate) mod outbox;
pub mod policy;
pub mod replicate;
pub mod schema;

use crate::blackout::Reach;
use crate::error::{AppError, AppResult};
use crate::workspace::Workspace;
use serde::Serialize;
use specta::Type;

pub use replicate::SyncReport;

/// A ledger entry as the team's store holds it: the message (`fingerprint`) reached `number`
/// (Zendesk user `user_id`) at `sent_at_ms`, `sent` or maybe (`unknown`), in `campaign`, from
/// `desktop` (None: this one, filled in when pushed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub fingerprint: i64,
    pub number: String,
    pub user_id: u64,
    pub sent_at_ms: i64,
    pub state: Reach,
    pub campaign: Option<String>,
    pub desktop: Option<String>,
}

impl Entry {
    /// The record's `external_id`: one record per message and number.
    pub fn external_id(&self) -> String {
        format!("{}:{}", self.fingerprint, self.number)
    }
}

/// Where this desktop stands with the team's store.
#[derive(Debug, Clone, Serialize, Type)]
pub struct TeamStatus {
    /// This desktop, as the store names it (`host/abcd1234`).
    pub desktop: String,
    /// Entries waiting to be pushed (including those that failed and go again).
    pub pending: u32,
    /// Of those, the ones the store refused at least once, and its last words.
    pub failing: u32,
    pub last_error: Option<String>,
    /// The last push and pull that completed (RFC 3339), if any.
    pub last_push: Option<String>,
    pub last_pull: Option<String>,
    /// Entries pulled from other desktops, in all.
    pub pulled_entries: u32,
}

fn rfc3339(ms: Option<i64>) -> Option<String> {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

impl Workspace {
    /// Before a send: this desktop's queue pushed and the others' entries pulled, so each claim
    /// checks the team's ledger; then the message claimed for this campaign. While another
    /// desktop sends it (its claim alive) the send is refused, saying who sends it, from where,
    /// since when. When the store cannot be reached the send is refused — another desktop may
    /// have sent this message — unless "this desktop only" is on: then it goes on with this
    /// desktop's ledger, and the campaign says so.
    pub(crate) async fn team_before_send(
        &self,
        campaign_id: &str,
    ) -> AppResult<Option<claim::Held>> {
        // The "no"s replied in Zendesk lately, read before the claim (refused when they cannot
        // be and the last read is not recent, "this desktop only" or not).
        self.optouts_before_send().await?;
        let taken = async {
            self.team_sync().await?;
            let z = self.team_client()?;
            let fingerprint = crate::campaign::store::fingerprint(&self.db(), campaign_id)?;
            self.team_claim(&z, fingerprint, campaign_id).await
        };
        let e = match taken.await {
            Ok(held) => return Ok(Some(held)),
            // Another desktop sends it: never overridden, not even by "this desktop only".
            Err(e) if e.code == crate::error::ErrorCode::Busy => return Err(e),
            Err(e) => e,
        };
        if self.settings()?.desktop_only {
            tracing::warn!(campaign = %campaign_id, code = e.code.as_str(), "the team's store cannot be reached; sending with this desktop's ledger alone: {}", e.message);
            crate::campaign::store::mark_desktop_only(&self.db(), campaign_id)?;
            return Ok(None);
        }
        Err(AppError::new(
            e.code,
            crate::text!("team.unreachable", reason => e.text),
        ))
    }

    /// Beats the claim every quarter of its life while the send runs, pushing its entries. When the store cannot be
    /// reached for half its life, the send pauses: past the TTL another desktop could take the
    /// message over, and nobody must get it twice.
    pub(crate) async fn team_keep(
        &self,
        held: &claim::Held,
        control: &crate::campaign::CampaignControl,
    ) {
        let every = self.claim_ttl / 4;
        let mut last_ok = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(every).await;
            // The beat, and what the send recorded so far pushed: should this desktop die, the
            // one that takes the message over after the TTL finds all but the last moments.
            // The beat itself does not wait behind the pushes' pace (a backlog must not let the
            // claim expire); it still honours the account's 429s like every request.
            let beat = async {
                let (_, z) = self.zendesk_client()?;
                self.team_beat(&z, held).await?;
                let z = self.team_client()?;
                self.team_push(&z).await?;
                // Keeps up with the team while a long campaign runs: numbers suppressed on
                // another desktop meanwhile are left out of the rest of this send.
                self.team_pull(&z).await?;
                AppResult::Ok(())
            };
            let beat = beat.await;
            // So are the opt-outs replied meanwhile (read at most every READ_EVERY), whether
            // the store answered or not.
            self.optouts_refresh(false).await;
            match beat {
                Ok(()) => last_ok = tokio::time::Instant::now(),
                Err(e) => {
                    tracing::warn!(
                        code = e.code.as_str(),
                        "the claim's heartbeat failed: {}",
                        e.message
                    );
                    if last_ok.elapsed() > self.claim_ttl / 2 {
                        tracing::warn!("the team's store unreachable for half the claim's life: pausing the send");
                        control.pause();
                    }
                }
            }
        }
    }

    /// Syncs when the store can be reached; says why not in the log otherwise (drafting and
    /// checking go on offline).
    pub(crate) async fn team_refresh(&self) {
        if let Err(e) = self.team_sync().await {
            tracing::info!(
                code = e.code.as_str(),
                "the team's store was not synced: {}",
                e.message
            );
        }
    }

    /// After a send: what it recorded pushed (what cannot be stays queued for the next sync),
    /// then the claim released — only once the push is confirmed, so the desktop that takes the
    /// message next finds every entry. Unreleased, the claim expires after its TTL. The claim
    /// is the message's, not the campaign's: while another campaign of the same message still
    /// runs on this desktop (or another run of the same one, refused), it stays with that one,
    /// whose heartbeat keeps it and whose end releases it.
    pub(crate) async fn team_after_send(&self, held: Option<&claim::Held>) {
        let done = async {
            let z = self.team_client()?;
            self.team_push(&z).await?;
            if let Some(held) = held {
                let waiting = outbox::counts(self.db().connection())?.0;
                let still_sent = crate::campaign::store::message_running(
                    &self.db(),
                    held.fingerprint,
                    self.now_ms(),
                )?;
                if still_sent {
                    tracing::info!("another campaign of this message runs on this desktop: the claim stays with it");
                } else if waiting == 0 {
                    self.team_release(&z, held).await?;
                } else {
                    tracing::info!(waiting, "entries still wait for the team's store: the claim is kept until it expires");
                }
            }
            AppResult::Ok(())
        };
        if let Err(e) = done.await {
            tracing::info!(
                code = e.code.as_str(),
                "the send's entries stay queued for the team's store: {}",
                e.message
            );
        }
    }

    /// This desktop's name in the team's store: the host and the data folder's workspace id.
    pub fn desktop_id(&self) -> AppResult<String> {
        let id = self.db().workspace_id()?;
        Ok(format!(
            "{}/{}",
            crate::campaign::lease::this_host(),
            id.chars().take(8).collect::<String>()
        ))
    }

    /// The queue, and when this desktop last pushed and pulled.
    pub fn team_status(&self) -> AppResult<TeamStatus> {
        let db = self.db();
        let conn = db.connection();
        let (pending, failing, last_error) = outbox::counts(conn)?;
        let (last_push, last_pull) = outbox::sync_times(conn, schema::ENTRY)?;
        let pulled_entries: i64 = conn.query_row(
            "SELECT COUNT(*) FROM blackout WHERE origin IS NOT NULL",
            [],
            |r| r.get(0),
        )?;
        drop(db);
        Ok(TeamStatus {
            desktop: self.desktop_id()?,
            pending,
            failing,
            last_error,
            last_push: rfc3339(last_push),
            last_pull: rfc3339(last_pull),
            pulled_entries: pulled_entries as u32,
        })
    }
}
