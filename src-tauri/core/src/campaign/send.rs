//! The send engine: a campaign's pending recipients sent at its rate (a `governor` limiter),
//! with bounded concurrency, under one runner (`lease`).
//!
//! Every state is written before and after the call (`ledger`): the claim (`pending →
//! sending`, with the blackout checked in the same transaction) is committed — durably — before
//! the request leaves; the outcome and its blackout entry after it lands. The database work runs
//! on the database thread (`storage::Writer`), never on the async runtime: a busy disk or another
//! writer holding the lock stalls new claims, not the requests in flight, whose outcomes wait in
//! memory until they are written. When the run must stop — paused, cancelled, auto-paused after
//! consecutive failures, or on a database error — the requests in flight land first and their
//! outcomes are recorded; only a run killed mid-call leaves rows `sending`, which the next run
//! turns `unknown`.

use super::book::{landed, sleep_until, wait, Book, LoopState, Sends};
use super::ledger::{self, Claims, Outcome, Queued};
use super::{lease, store, CampaignStatus, CampaignSummary, StateCounts};
use crate::clients::http::{Pace, StopSignal};
use crate::clients::sunshine::SunshineClient;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::Writer;
use crate::workspace::Workspace;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use specta::Type;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The fastest a campaign may send (messages per second).
pub const MAX_RATE: u32 = crate::settings::MAX_SEND_RATE;
/// Pending recipients read per database round trip.
const QUEUE_CHUNK: u32 = 500;
/// The most messages claimed in one transaction and sent together.
const BATCH: usize = 256;
/// Pause and cancel, from the UI or a signal, read by the runner between sends.
#[derive(Debug, Default)]
pub struct CampaignControl {
    pause: AtomicBool,
    cancel: AtomicBool,
}

impl CampaignControl {
    pub fn pause(&self) {
        self.pause.store(true, Ordering::Relaxed);
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn is_paused(&self) -> bool {
        self.pause.load(Ordering::Relaxed)
    }
}

/// Where a running campaign stands, sent after every few results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct CampaignProgress {
    pub campaign_id: String,
    pub counts: StateCounts,
    /// Messages accepted per second over the last 5 seconds.
    pub rate: f64,
    /// Seconds left at the configured rate.
    pub eta_secs: Option<u32>,
    pub status: CampaignStatus,
    /// The provider asked to wait (a 429's `Retry-After`): nothing is sent for this many more
    /// seconds ("waiting for the provider").
    pub provider_wait_secs: Option<u32>,
}

/// Why the loop stopped.
pub(super) enum Stop {
    Done,
    Paused(Option<crate::text::Text>),
    Cancelled,
    /// The database (or the lease) failed: paused, resumable.
    Failed(AppError),
}

/// What a job on the database thread gives back when it fails: the error, and the outcomes it
/// was to record (kept, to be written again).
pub(super) type JobResult<T> = Result<T, (AppError, Vec<Outcome>)>;

impl Workspace {
    /// Sends a campaign until every recipient is done, or it is paused or cancelled. Refused
    /// while another window or process runs it.
    pub async fn run_campaign(
        &self,
        id: &str,
        control: &CampaignControl,
        mut progress: impl FnMut(&CampaignProgress),
    ) -> AppResult<CampaignSummary> {
        let finished = |c: &CampaignSummary| {
            c.status.is_finished().then(|| {
                AppError::new(
                    ErrorCode::InvalidInput,
                    if c.status == CampaignStatus::Cancelled {
                        crate::text!("campaign.finished_cancelled", id = id)
                    } else {
                        crate::text!("campaign.finished_completed", id = id)
                    },
                )
            })
        };
        let mut before = self.campaign(id)?;
        if let Some(e) = finished(&before) {
            return Err(e);
        }
        // Scheduled or missed, sent now: checked and frozen again first.
        if matches!(
            before.status,
            CampaignStatus::Scheduled | CampaignStatus::Missed
        ) {
            before = self.start_scheduled(id).await?;
        }
        if before.status == CampaignStatus::Creating {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                crate::text!("campaign.creating", id = id),
            ));
        }
        self.verify_access().await?;
        // The team's ledger, as of now: this desktop's entries pushed, the others' pulled.
        let fingerprint = super::store::fingerprint(&self.db(), id)?;
        let claim = self.team_before_send(id, fingerprint).await?;
        if claim.is_none() {
            super::store::mark_desktop_only(&self.db(), id)?;
        }
        // Held until this function returns; the OS releases it if the process dies. Refused
        // while another run of this campaign holds it — and the message's claim with it.
        let _lock = lease::lock(self, id)?;
        let started = async {
            // Frozen by an earlier Relay: its numbers read again, a misread one never sent.
            super::store::skip_misread(&self.db(), id, self.now_ms())?;
            let client = Arc::new(self.sunshine_client()?);
            let runner_id = uuid::Uuid::new_v4().simple().to_string();
            // Read again under the lock: another process may have ended it meanwhile.
            let campaign = self.campaign(id)?;
            if let Some(e) = finished(&campaign) {
                return Err(e);
            }
            let writer = self.writer()?;
            let (cid, rid, host, now) = (
                id.to_string(),
                runner_id.clone(),
                lease::this_host(),
                self.now_ms(),
            );
            let patience = self.write_patience();
            let (claims, recovered) = writer
                .run(move |conn| {
                    crate::storage::write(conn, patience, |tx| {
                        let recovered = lease::acquire(tx, &cid, &rid, &host, now)?;
                        Ok((Claims::read(tx, &cid)?, recovered))
                    })
                })
                .await?;
            Ok((client, runner_id, campaign, writer, claims, recovered))
        };
        // Refused here (ended meanwhile, run on another machine…): the message's claim is given
        // back unless another run of the message holds it.
        let (client, runner_id, campaign, writer, claims, recovered) = match started.await {
            Ok(started) => started,
            Err(e) => {
                let still_sent =
                    super::store::message_running(&self.db(), fingerprint, self.now_ms())?;
                self.team_after_send(claim, still_sent);
                return Err(e);
            }
        };
        if recovered > 0 {
            tracing::warn!(campaign = %id, recovered, "rows left sending by an earlier runner are now unknown");
        }
        tracing::info!(campaign = %id, rate = campaign.rate, "campaign sending");
        let sending = self.send_loop(
            &campaign,
            claims,
            &runner_id,
            &client,
            &writer,
            control,
            &mut progress,
        );
        // While it sends, the team's claim of the message is kept alive.
        let stop = match &claim {
            Some(held) => {
                tokio::select! {
                    stop = sending => stop,
                    _ = self.team_keep(held, || control.pause()) => unreachable!("the heartbeat never ends"),
                }
            }
            // With no claim (this desktop only), the opt-outs are still read as it sends.
            None => {
                tokio::select! {
                    stop = sending => stop,
                    _ = self.optouts_keep() => unreachable!("the reads never end"),
                }
            }
        };
        let end = self.finish(&writer, id, &runner_id, stop).await;
        // Done when its last message is: its entries go to the team — for a moment here (a
        // small send's all go), the rest in the background — the claim given back once they
        // are confirmed (`team_settle`).
        let still_sent = super::store::message_running(&self.db(), fingerprint, self.now_ms())?;
        self.team_after_send(claim, still_sent);
        let running =
            |fp| super::store::message_running(&self.db(), fp, self.now_ms()).unwrap_or(true);
        self.team_settle_for(self.team().settle_at_end, &running)
            .await;
        let summary = self.campaign(id)?;
        progress(&CampaignProgress {
            campaign_id: id.to_string(),
            counts: summary.counts.clone(),
            rate: 0.0,
            eta_secs: None,
            status: summary.status,
            provider_wait_secs: None,
        });
        end.map(|_| summary)
    }

    /// Settles the sends that ended here with the team's store: their entries confirmed, their
    /// claims given back ([`Workspace::team_settle`]) — not the claim of a message being sent
    /// again here meanwhile. The app runs it in the background after a send; `relay send`
    /// before it exits ("syncing with the team").
    pub async fn team_settled(&self) {
        let running =
            |fp| super::store::message_running(&self.db(), fp, self.now_ms()).unwrap_or(true);
        self.team_settled_with(&running).await;
    }

    #[allow(clippy::too_many_arguments)]
    async fn send_loop(
        &self,
        campaign: &CampaignSummary,
        claims: Claims,
        runner: &str,
        client: &Arc<SunshineClient>,
        writer: &Writer,
        control: &CampaignControl,
        progress: &mut impl FnMut(&CampaignProgress),
    ) -> Stop {
        let claims = Arc::new(claims);
        let id = campaign.id.clone();
        let pacer = self.pacer(campaign.rate.clamp(1, MAX_RATE));
        let max_in_flight = (campaign.rate / 2).clamp(4, 256) as usize;
        let counts = {
            let id = id.clone();
            writer.run(move |c| store::counts(c, &id)).await
        };
        let mut counts = match counts {
            Ok(c) => c,
            Err(e) => return Stop::Failed(e),
        };
        let (raise_stop, stop_signal) = StopSignal::channel();
        let mut sends = Sends {
            inflight: tokio::task::JoinSet::new(),
            client: client.clone(),
            stop: stop_signal,
            // A request tried again (after a 429's window) waits for its turn at the campaign's
            // rate, as a new one does.
            pace: Some(Pace(pacer.clone())),
        };
        let mut queue: VecDeque<Queued> = VecDeque::new();
        let mut cursor = ledger::QUEUE_START;
        // Nobody is left pending: the run ends once the calls in flight have landed.
        let mut exhausted = false;
        let mut heartbeat =
            tokio::time::interval(Duration::from_millis((lease::LEASE_MS / 3) as u64));
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        heartbeat.tick().await; // the first tick is immediate: the lease was just taken
        let mut book = Book::new(claims.clone(), runner.to_string(), self.write_patience());
        let mut state = LoopState {
            consecutive: 0,
            accepted: VecDeque::new(),
            last_progress: Instant::now(),
            stop: None,
            provider_wait: None,
        };
        loop {
            for o in landed(&mut sends.inflight, None) {
                state.tally(campaign, &o, &mut counts);
                book.landed(o);
            }
            if book.renew_due && book.job.is_none() {
                if let Err(e) = book.record(writer, self.now_ms()) {
                    state.stop.get_or_insert(Stop::Failed(e));
                }
            }
            // After a 429 nothing of this client leaves until its window ends (see the rate gate
            // in `clients::http`); then the limiter resumes its pace.
            let provider_wait = client.waiting_for();
            let wait_began = provider_wait.is_some() && state.provider_wait.is_none();
            state.provider_wait = provider_wait;
            state.report(&id, campaign.rate, &counts, progress, wait_began);
            if state.stop.is_none() {
                if control.cancel.load(Ordering::Relaxed) {
                    state.stop = Some(Stop::Cancelled);
                } else if control.pause.load(Ordering::Relaxed) {
                    state.stop = Some(Stop::Paused(None));
                }
            }
            if state.stop.is_some() {
                break;
            }
            if queue.is_empty() && book.job.is_none() && !exhausted {
                let next = {
                    let (claims, patience, now) =
                        (claims.clone(), self.write_patience(), self.now_ms());
                    writer
                        .run(move |c| {
                            crate::storage::write(c, patience, |tx| {
                                ledger::next_due(tx, &claims, cursor, QUEUE_CHUNK, now)
                            })
                        })
                        .await
                };
                (queue, cursor) = match next {
                    Ok(q) => q,
                    Err(e) => {
                        state.stop = Some(Stop::Failed(e));
                        break;
                    }
                };
                // Nobody due now: those in quiet hours wait (the campaign is then `waiting`).
                exhausted = queue.is_empty();
            }
            if exhausted && sends.inflight.is_empty() && book.job.is_none() {
                break;
            }
            // A claim starts when the database thread is free: while one commits, the calls
            // that land make room, and the next claim takes all of it (one commit for many).
            let can_claim = book.job.is_none()
                && !queue.is_empty()
                && sends.inflight.len() < max_in_flight
                && provider_wait.is_none();
            tokio::select! {
                done = wait(&mut book.job) => {
                    book.job = None;
                    match book.settled(done) {
                        Ok(claimed) => sends.start(claimed, &mut counts),
                        Err(e) => {
                            state.stop.get_or_insert(Stop::Failed(e));
                        }
                    }
                    continue;
                }
                Some(done) = sends.inflight.join_next() => {
                    for o in landed(&mut sends.inflight, Some(done)) {
                        state.tally(campaign, &o, &mut counts);
                        book.landed(o);
                    }
                    continue;
                }
                _ = heartbeat.tick() => {
                    book.renew_due = true;
                    continue;
                }
                // Outcomes are written with the next claim, or alone after a moment.
                _ = sleep_until(book.record_by), if book.job.is_none() && book.record_by.is_some() => {
                    if let Err(e) = book.record(writer, self.now_ms()) {
                        state.stop.get_or_insert(Stop::Failed(e));
                    }
                    continue;
                }
                _ = tokio::time::sleep(provider_wait.unwrap_or_default()), if provider_wait.is_some() => {
                    continue;
                }
                _ = pacer.ready(), if can_claim => {}
            }
            // The limiter allowed one message; take any others it allows at once (a burst is
            // 100 ms of messages), up to the free slots.
            let room = max_in_flight
                .saturating_sub(sends.inflight.len())
                .clamp(1, BATCH);
            let mut batch = Vec::with_capacity(room);
            while batch.len() < room {
                if !batch.is_empty() && !pacer.try_take() {
                    break;
                }
                match queue.pop_front() {
                    Some(next) => batch.push(next),
                    None => break,
                }
            }
            // Claimed — durably — before the calls, which leave once it has committed: a crash
            // from then on leaves them `sending`, then `unknown`. The same transaction records
            // what has landed since the last one.
            if let Err(e) = book.claim(writer, batch, self.now_ms()) {
                state.stop = Some(Stop::Failed(e));
                break;
            }
        }
        // Stopping: the calls still waiting to leave give up (pending again), those on the wire
        // land (they were sent, or may have been); outcomes keep being written meanwhile, and a
        // claim being committed hands its rows back.
        let _ = raise_stop.send(true);
        while !sends.inflight.is_empty() || book.job.is_some() {
            tokio::select! {
                done = wait(&mut book.job) => {
                    book.job = None;
                    match book.settled(done) {
                        Ok((rows, _)) => book.hand_back(rows),
                        Err(e) => {
                            state.stop.get_or_insert(Stop::Failed(e));
                        }
                    }
                }
                Some(done) = sends.inflight.join_next() => {
                    for o in landed(&mut sends.inflight, Some(done)) {
                        state.tally(campaign, &o, &mut counts);
                        book.landed(o);
                    }
                }
                _ = sleep_until(book.record_by), if book.job.is_none() && book.record_by.is_some() => {
                    if let Err(e) = book.record(writer, self.now_ms()) {
                        state.stop.get_or_insert(Stop::Failed(e));
                        break;
                    }
                }
            }
            state.report(&id, campaign.rate, &counts, progress, false);
        }
        if let Err(e) = book.flush(writer, self.now_ms()).await {
            tracing::error!(campaign = %id, left = book.unrecorded.len(), "could not record the last outcomes: {}", e.message);
            state.stop.get_or_insert(Stop::Failed(e));
        }
        state.provider_wait = None;
        state.report(&id, campaign.rate, &counts, progress, true);
        state.stop.unwrap_or(Stop::Done)
    }

    /// Ends a run: the campaign's status, the lease released; a cancelled one's rows still in
    /// flight (their outcome could not be written) become `unknown` and its pending ones
    /// `skipped` — only while this runner still holds it. A run stopped by an error is paused,
    /// with the error as its reason.
    async fn finish(&self, writer: &Writer, id: &str, runner: &str, stop: Stop) -> AppResult<()> {
        // `None`: done — completed, or paused if recipients are left (taken back, say).
        let (status, reason, error) = match stop {
            Stop::Done => (None, None, None),
            Stop::Paused(reason) => (Some(CampaignStatus::Paused), reason, None),
            Stop::Cancelled => (Some(CampaignStatus::Cancelled), None, None),
            Stop::Failed(e) => (Some(CampaignStatus::Paused), Some(e.text.clone()), Some(e)),
        };
        let (cid, rid, now) = (id.to_string(), runner.to_string(), self.now_ms());
        let patience = self.write_patience();
        let ended = writer
            .run(move |conn| {
                crate::storage::write(conn, patience, |tx| {
                    // Done with recipients left: waiting when they wait for their quiet hours to end
                    // (and nobody is in flight), paused otherwise (taken back meanwhile, say).
                    let next_at = match status {
                        None if left(tx, &cid)? > 0 && waits(tx, &cid)? => {
                            ledger::next_opening(tx, &cid)?
                        }
                        _ => None,
                    };
                    let status = match status {
                        Some(s) => s,
                        None if next_at.is_some() => CampaignStatus::Waiting,
                        None if left(tx, &cid)? == 0 => CampaignStatus::Completed,
                        None => CampaignStatus::Paused,
                    };
                    if !lease::release(tx, &cid, &rid, status, reason.as_ref(), now)? {
                        return Ok(None); // taken over: the new runner says how it ends
                    }
                    store::set_next_at(tx, &cid, next_at)?;
                    if status == CampaignStatus::Cancelled {
                        ledger::recover_in_flight(tx, &cid, now)?;
                        ledger::cancel_pending(tx, &cid, now)?;
                    }
                    Ok(Some(status))
                })
            })
            .await?;
        let status = ended.map_or("taken over".to_string(), |s| s.to_string());
        tracing::info!(campaign = %id, status, "campaign run ended");
        match error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// Recipients still pending or in flight.
fn left(conn: &Connection, id: &str) -> AppResult<i64> {
    conn.query_row(
        "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = ?1 AND state IN ('pending', 'sending')",
        [id],
        |r| r.get(0),
    )
    .map_err(AppError::from)
}

/// A campaign with quiet hours and nobody in flight: its recipients left wait for their window.
fn waits(conn: &Connection, id: &str) -> AppResult<bool> {
    conn.query_row(
        "SELECT quiet_hours IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM campaign_recipients WHERE campaign_id = ?1 AND state = 'sending')
         FROM campaigns WHERE id = ?1",
        [id],
        |r| r.get(0),
    )
    .map_err(AppError::from)
}

/// How long sending `count` messages takes at `rate` a second (whole seconds, rounded up).
pub fn estimate_secs(count: u32, rate: u32) -> u32 {
    count.div_ceil(rate.max(1))
}

/// Refuses a rate outside 1..=[`MAX_RATE`] messages per second, saying what to choose.
pub fn check_rate(rate: u32) -> AppResult<()> {
    if !(1..=MAX_RATE).contains(&rate) {
        return Err(AppError::invalid_field(
            "rate",
            crate::text!("campaign.rate_range", max = MAX_RATE, rate = rate),
        ));
    }
    Ok(())
}
