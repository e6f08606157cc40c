//! One team, many desktops: the blackout ledger shared through the Zendesk account's custom
//! objects, the store the team already has (no server of our own).
//!
//! The local ledger stays the one Relay checks (fast, offline). The entries this desktop records
//! and the team does not have yet are the ledger's unshared rows; a push sends them in batches
//! ([`batch`]: about 2,000 entries a record, written once), numbers as keyed hashes under the
//! team's key ([`key`]), and pulls the other desktops' batches incrementally, by Zendesk's
//! `updated_at` (never a desktop's clock), merging them as a grow-only set ([`replicate`]). A
//! send is never in the store's way: its entries go at its heartbeats and, after its last
//! message, in the background, its claim given back once they are confirmed. The object types
//! are made when missing, by an admin's credentials ([`schema`]).

pub mod batch;
pub mod budget;
pub mod campaigns;
pub mod claim;
pub mod key;
pub(crate) mod outbox;
pub mod policy;
pub mod replicate;
pub mod schema;

use crate::clients::http::Pace;
use crate::error::{AppError, AppResult};
use crate::workspace::Workspace;
use serde::Serialize;
use specta::Type;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use replicate::SyncReport;

/// Batches a heartbeat pushes at most (a send at 1,000 messages a second records 30,000
/// entries between two beats: 15 batches), so the beat itself is never late.
const PUSH_PER_BEAT: usize = 25;

/// How often the app (and `relay schedule run`) pushes what waits and pulls what is new, in the
/// background: entries of a send the store could not take then, the suppression list's changes,
/// the campaigns' summaries.
pub const BACKGROUND_EVERY: Duration = Duration::from_secs(120);

/// How long the end of a send waits for its entries to reach the team before it returns (the
/// rest go in the background: [`Workspace::team_settled`]).
pub const SETTLE_AT_END: Duration = Duration::from_millis(500);

/// Where this desktop stands with the team's store, in this process: the pace its requests
/// keep, whether the object types are there, the policy it applies, the claims of ended sends
/// still settling, and the last push's refusal.
pub struct TeamState {
    /// How long a claim lives without a heartbeat (see [`claim`]).
    pub(crate) claim_ttl: Duration,
    /// The replicator's share of the account's API limit, requests a minute, when not the
    /// setting's (a benchmark lifts it).
    pub(crate) share: Option<u32>,
    /// How long the end of a send waits for its entries to reach the store ([`SETTLE_AT_END`]).
    pub(crate) settle_at_end: Duration,
    pace: Mutex<Option<(u32, Pace)>>,
    schema: AtomicBool,
    /// The store's record of the number key was read (or made) by this process.
    key: AtomicBool,
    /// The keychain was asked for the number key by this process.
    key_looked: AtomicBool,
    /// This process found no object of an earlier Relay's per-entry records since the last
    /// whole sync or background turn (which look again): a send's pull does not ask.
    legacy_absent: AtomicBool,
    policy: Mutex<Option<policy::TeamPolicy>>,
    /// Queues this desktop's campaigns' summaries that changed (given by the workspace: the
    /// campaigns are theirs to describe) before each push.
    summaries: fn(&Workspace) -> AppResult<u32>,
    settling: Mutex<Vec<claim::Held>>,
    settle_turn: tokio::sync::Mutex<()>,
    /// One push of the ledger's entries at a time in this process (a heartbeat, a settle, the
    /// background's): two would read the same entries.
    pub(crate) push_turn: tokio::sync::Mutex<()>,
    /// When this process last pushed and pulled in the background ([`BACKGROUND_EVERY`]).
    background: Mutex<Option<tokio::time::Instant>>,
    refusal: Mutex<(u32, Option<String>)>,
}

impl Default for TeamState {
    fn default() -> Self {
        TeamState {
            claim_ttl: claim::CLAIM_TTL,
            share: None,
            settle_at_end: SETTLE_AT_END,
            pace: Mutex::new(None),
            schema: AtomicBool::new(false),
            key: AtomicBool::new(false),
            key_looked: AtomicBool::new(false),
            legacy_absent: AtomicBool::new(false),
            policy: Mutex::new(None),
            summaries: |_| Ok(0),
            settling: Mutex::new(Vec::new()),
            settle_turn: tokio::sync::Mutex::new(()),
            push_turn: tokio::sync::Mutex::new(()),
            background: Mutex::new(None),
            refusal: Mutex::new((0, None)),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl TeamState {
    /// The one pace every request to the store keeps: the share (the setting's, `setting`,
    /// unless lifted), a tenth of it at once (a send's sync and claim go without waiting).
    pub(crate) fn pace(&self, setting: u32) -> Pace {
        let share = self.share.unwrap_or(setting);
        let mut slot = lock(&self.pace);
        match &*slot {
            Some((s, pace)) if *s == share => pace.clone(),
            _ => {
                let pace = Pace(Arc::new(
                    crate::clients::http::RatePacer::per_minute_with_burst(share, share / 10),
                ));
                *slot = Some((share, pace.clone()));
                pace
            }
        }
    }

    pub(crate) fn schema_ready(&self) -> bool {
        self.schema.load(Ordering::Relaxed)
    }

    /// The team pushes the summaries `queue` queues (the campaigns').
    pub(crate) fn with_summaries(mut self, queue: fn(&Workspace) -> AppResult<u32>) -> Self {
        self.summaries = queue;
        self
    }

    pub(crate) fn queue_summaries(&self, ws: &Workspace) -> AppResult<u32> {
        (self.summaries)(ws)
    }

    pub(crate) fn set_schema_ready(&self) {
        self.schema.store(true, Ordering::Relaxed);
    }

    pub(crate) fn legacy_absent(&self) -> bool {
        self.legacy_absent.load(Ordering::Relaxed)
    }

    pub(crate) fn set_legacy_absent(&self) {
        self.legacy_absent.store(true, Ordering::Relaxed);
    }

    /// The next pull looks for an earlier Relay's records again.
    pub(crate) fn look_for_legacy(&self) {
        self.legacy_absent.store(false, Ordering::Relaxed);
    }

    /// Another account's store may not have Relay's objects yet.
    pub(crate) fn forget_schema(&self) {
        self.schema.store(false, Ordering::Relaxed);
        self.key.store(false, Ordering::Relaxed);
        self.legacy_absent.store(false, Ordering::Relaxed);
    }

    /// True the first time only: whether to ask the keychain for the key.
    pub(crate) fn look_for_key(&self) -> bool {
        !self.key_looked.swap(true, Ordering::Relaxed)
    }

    pub(crate) fn key_checked(&self) -> bool {
        self.key.load(Ordering::Relaxed)
    }

    pub(crate) fn set_key_checked(&self) {
        self.key.store(true, Ordering::Relaxed);
    }

    pub(crate) fn policy(&self) -> Option<policy::TeamPolicy> {
        lock(&self.policy).clone()
    }

    pub(crate) fn set_policy(&self, p: Option<policy::TeamPolicy>) {
        *lock(&self.policy) = p;
    }

    /// What the last round of a push could not get confirmed (entries), and the store's words.
    pub(crate) fn note_push(&self, again: u32, refused: Option<String>) {
        let mut r = lock(&self.refusal);
        *r = (
            again,
            refused.or_else(|| (again > 0).then(|| r.1.clone()).flatten()),
        );
    }
}

/// Where this desktop stands with the team's store.
#[derive(Debug, Clone, Serialize, Type)]
pub struct TeamStatus {
    /// This desktop, as the store names it (`host/abcd1234`).
    pub desktop: String,
    /// Entries and changes waiting to be pushed (including those that failed and go again).
    pub pending: u32,
    /// Of those, the ones the store refused at least once, and its last words.
    pub failing: u32,
    pub last_error: Option<String>,
    /// The last push and pull that completed (RFC 3339), if any.
    pub last_push: Option<String>,
    pub last_pull: Option<String>,
    /// Entries pulled from other desktops, in all.
    pub pulled_entries: u32,
    /// Sends that ended and whose entries are still being pushed (their claims kept meanwhile).
    pub settling: u32,
    /// Records of an earlier Relay (one per entry, numbers in clear) folded into this desktop's
    /// ledger and still in the store: an admin may delete them.
    pub legacy_records: u32,
}

fn rfc3339(ms: Option<i64>) -> Option<String> {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

impl Workspace {
    /// Before a send of the message `fingerprint`: the others' entries pulled, so each claim
    /// checks the team's ledger (this desktop's own go in the background: they are already in
    /// its ledger); then the message claimed for this campaign. While another desktop sends it
    /// (its claim alive) the send is refused, saying who sends it, from where, since when. When
    /// the store cannot be reached the send is refused — another desktop may have sent this
    /// message — unless "this desktop only" is on: then it goes on with this desktop's ledger
    /// (None: the caller marks the campaign so).
    pub(crate) async fn team_before_send(
        &self,
        campaign_id: &str,
        fingerprint: i64,
    ) -> AppResult<Option<claim::Held>> {
        // The "no"s replied in Zendesk lately, read before the claim (refused when they cannot
        // be and the last read is not recent, "this desktop only" or not).
        self.optouts_before_send().await?;
        let taken = async {
            self.ensure_team_schema().await?;
            let z = self.team_client()?;
            self.team_pull(&z, None).await?;
            // Not while a settle round runs: a claim of this message kept for an ended send is
            // this send's now (its heartbeat keeps it, its end gives it back).
            let _turn = self.team().settle_turn.lock().await;
            let held = self.team_claim(&z, fingerprint, campaign_id).await?;
            lock(&self.team().settling).retain(|s| s.fingerprint != fingerprint);
            AppResult::Ok(held)
        };
        let e = match taken.await {
            Ok(held) => return Ok(Some(held)),
            // Another desktop sends it: never overridden, not even by "this desktop only".
            Err(e) if e.code == crate::error::ErrorCode::Busy => return Err(e),
            Err(e) => e,
        };
        // Offline, the hashed entries pulled earlier are still compared (the keychain's key).
        self.known_number_key();
        if self.settings()?.desktop_only {
            tracing::warn!(campaign = %campaign_id, code = e.code.as_str(), "the team's store cannot be reached; sending with this desktop's ledger alone: {}", e.message);
            return Ok(None);
        }
        Err(AppError::new(
            e.code,
            crate::text!("team.unreachable", reason => e.text),
        ))
    }

    /// Beats the claim every quarter of its life while the send runs, pushing its entries (a
    /// bounded number of batches a beat, so the beat is never late) and pulling the others'.
    /// When the store cannot be reached for half its life, the send is paused (`pause`): past the
    /// TTL another desktop could take the message over, and nobody must get it twice.
    pub(crate) async fn team_keep(&self, held: &claim::Held, pause: impl Fn()) {
        let every = self.team().claim_ttl / 4;
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
                self.team_push(&z, Some(PUSH_PER_BEAT), Some(held.fingerprint))
                    .await?;
                // Keeps up with the team while a long campaign runs: numbers suppressed on
                // another desktop meanwhile are left out of the rest of this send.
                self.team_pull(&z, Some(replicate::BOUNDED_PAGES)).await?;
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
                    if last_ok.elapsed() > self.team().claim_ttl / 2 {
                        tracing::warn!("the team's store unreachable for half the claim's life: pausing the send");
                        pause();
                    }
                }
            }
        }
    }

    /// An audience check's look at the team: what the others recorded since the last pull
    /// (bounded: the rest comes at the next one), never a push first. When the store cannot be
    /// reached it says why in the log (drafting and checking go on offline).
    pub(crate) async fn team_refresh(&self) {
        let pulled = async {
            self.ensure_team_schema().await?;
            let z = self.team_client()?;
            self.team_pull(&z, Some(replicate::BOUNDED_PAGES)).await
        };
        if let Err(e) = pulled.await {
            self.known_number_key();
            tracing::info!(
                code = e.code.as_str(),
                "the team's store was not read: {}",
                e.message
            );
        }
    }

    /// The background's turn, at most every [`BACKGROUND_EVERY`]: a bounded push (this
    /// desktop's backlog goes a few batches at a time) and a bounded pull. Says why not in the
    /// log when the store cannot be reached.
    pub async fn team_background(&self) {
        {
            let mut last = lock(&self.team().background);
            if last.is_some_and(|l| l.elapsed() < BACKGROUND_EVERY) {
                return;
            }
            *last = Some(tokio::time::Instant::now());
        }
        let turn = async {
            self.ensure_team_schema().await?;
            let z = self.team_client()?;
            self.team().look_for_legacy();
            self.team_push(&z, Some(PUSH_PER_BEAT), None).await?;
            self.team_pull(&z, Some(replicate::BOUNDED_PAGES)).await
        };
        if let Err(e) = turn.await {
            tracing::info!(
                code = e.code.as_str(),
                "the team's store was not synced in the background: {}",
                e.message
            );
        }
    }

    /// After a send: its claim is given back once the store has confirmed every entry of the
    /// message ([`Workspace::team_settle`], in the background), so the desktop that takes the
    /// message next finds them all; until then it is kept. Unreleased, the claim expires after
    /// its TTL. The claim is the message's, not the campaign's: while another campaign of the
    /// same message still runs on this desktop (`still_sent`), it stays with that one, whose
    /// heartbeat keeps it and whose end releases it.
    pub(crate) fn team_after_send(&self, held: Option<claim::Held>, still_sent: bool) {
        let Some(held) = held else { return };
        if still_sent {
            tracing::info!(
                "another campaign of this message runs on this desktop: the claim stays with it"
            );
            return;
        }
        lock(&self.team().settling).push(held);
    }

    /// One round of settling the sends that ended: their entries pushed (a bounded number of
    /// batches, theirs first), each claim whose message has none left unconfirmed given back, the
    /// others kept alive; a claim whose message is being sent again here (`still_sent`) is left
    /// to that send. Returns how many claims still wait, and whether the round got anything
    /// confirmed.
    pub(crate) async fn team_settle(
        &self,
        still_sent: &(dyn Fn(i64) -> bool + Sync),
    ) -> AppResult<(usize, bool)> {
        let _turn = self.team().settle_turn.lock().await;
        let held: Vec<claim::Held> = lock(&self.team().settling).clone();
        let Some(first) = held.first().map(|h| h.fingerprint) else {
            return Ok((0, false));
        };
        let z = self.team_client()?;
        let mut progressed = self
            .team_push(&z, Some(PUSH_PER_BEAT), Some(first))
            .await?
            .pushed
            > 0;
        let (_, beat) = self.zendesk_client()?;
        for h in held {
            let done = |settling: &mut Vec<claim::Held>| {
                settling.retain(|s| s.fingerprint != h.fingerprint)
            };
            if still_sent(h.fingerprint) {
                done(&mut lock(&self.team().settling));
                continue;
            }
            let waiting = crate::blackout::message_unshared(self.db().connection(), h.fingerprint)?;
            if waiting {
                self.team_beat(&beat, &h).await?;
            } else {
                self.team_release(&z, &h).await?;
                done(&mut lock(&self.team().settling));
                progressed = true;
            }
        }
        Ok((lock(&self.team().settling).len(), progressed))
    }

    /// Settles for at most `patience`. What is cut short is safe: a batch posted and not
    /// confirmed is in flight, and looked for in the store at the next round.
    pub(crate) async fn team_settle_for(
        &self,
        patience: Duration,
        still_sent: &(dyn Fn(i64) -> bool + Sync),
    ) {
        let rounds = async {
            while let Ok((waiting, progressed)) = self.team_settle(still_sent).await {
                if waiting == 0 || !progressed {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(patience, rounds).await;
    }

    /// Settles until every ended send's claim is given back — or until nothing could be
    /// confirmed for half a claim's life (the store unreachable, or refusing): then the claims
    /// expire by themselves and the entries go at the next sync.
    pub(crate) async fn team_settled_with(&self, still_sent: &(dyn Fn(i64) -> bool + Sync)) {
        let mut last_progress = tokio::time::Instant::now();
        loop {
            match self.team_settle(still_sent).await {
                Ok((0, _)) => return,
                Ok((_, true)) => {
                    last_progress = tokio::time::Instant::now();
                    continue;
                }
                Ok((_, false)) => {
                    tracing::info!(
                        "the send's entries were not confirmed by the team's store this round"
                    );
                }
                Err(e) => {
                    tracing::info!(
                        code = e.code.as_str(),
                        "the send's entries wait for the team's store: {}",
                        e.message
                    );
                }
            }
            if last_progress.elapsed() > self.team().claim_ttl / 2 {
                lock(&self.team().settling).clear();
                return;
            }
            tokio::time::sleep(self.team().claim_ttl / 8).await;
        }
    }

    /// Sends that ended here whose claims are kept until their entries are confirmed.
    pub fn team_settling(&self) -> usize {
        lock(&self.team().settling).len()
    }

    /// This desktop's name in the team's store: the host and the data folder's workspace id.
    pub fn desktop_id(&self) -> AppResult<String> {
        let id = self.db().workspace_id()?;
        Ok(format!(
            "{}/{}",
            crate::workspace::this_host(),
            id.chars().take(8).collect::<String>()
        ))
    }

    /// The queue, and when this desktop last pushed and pulled.
    pub fn team_status(&self) -> AppResult<TeamStatus> {
        let pending = self.team_pending()?;
        let db = self.db();
        let conn = db.connection();
        let (_, outbox_failing, outbox_error) = outbox::counts(conn)?;
        let (last_push, last_pull) = outbox::sync_times(conn, schema::BATCH)?;
        let pulled_entries = crate::blackout::pulled_count(conn)?;
        drop(db);
        let (refused, refusal) = lock(&self.team().refusal).clone();
        Ok(TeamStatus {
            desktop: self.desktop_id()?,
            pending,
            failing: (refused + outbox_failing).min(pending),
            last_error: refusal.or(outbox_error),
            last_push: rfc3339(last_push),
            last_pull: rfc3339(last_pull),
            pulled_entries,
            settling: lock(&self.team().settling).len() as u32,
            legacy_records: self.legacy_records()?,
        })
    }
}
