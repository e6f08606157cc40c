//! A run's bookkeeping: the calls in flight, the outcomes not yet written and the one job on the
//! database thread that writes them (with the next claim, or alone after a moment), and the
//! counts and live rate the progress reports.

use super::ledger::{self, Claims, Landed, Outcome, Queued};
use super::send::{CampaignProgress, JobResult, Stop};
use super::{lease, CampaignSummary, StateCounts};
use crate::clients::http::{Pace, StopSignal};
use crate::clients::sunshine::SunshineClient;
use crate::error::{AppError, AppResult};
use crate::storage::Writer;
use rusqlite::Connection;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Times the last outcomes of a run are written again (each after the write patience) before
/// the run gives up on them (they are then `sending`, and `unknown` at the next run).
const FLUSH_ATTEMPTS: u32 = 5;

/// How long a landed outcome may wait in memory for a claim to carry it before it is written
/// alone.
const RECORD_WITHIN: Duration = Duration::from_millis(50);

/// The calls in flight, and what they need.
pub(super) struct Sends {
    pub(super) inflight: tokio::task::JoinSet<Outcome>,
    pub(super) client: Arc<SunshineClient>,
    pub(super) stop: StopSignal,
    pub(super) pace: Option<Pace>,
}

impl Sends {
    /// Sends the rows a claim gave (they are `sending` now).
    pub(super) fn start(&mut self, (send, skipped): Claimed, counts: &mut StateCounts) {
        counts.pending = counts.pending.saturating_sub(send.len() as u32 + skipped);
        counts.skipped += skipped;
        counts.sending += send.len() as u32;
        for q in send {
            self.inflight.spawn(send_one(
                self.client.clone(),
                q,
                self.stop.clone(),
                self.pace.clone(),
            ));
        }
    }
}

/// Sends one claimed recipient's notification.
pub(super) async fn send_one(
    client: Arc<SunshineClient>,
    q: Queued,
    stop: StopSignal,
    pace: Option<Pace>,
) -> Outcome {
    let landed = match client
        .send_notification(&q.payload, Some(&stop), pace.as_ref())
        .await
    {
        Ok(id) => Landed::Sent(id),
        Err(f) if f.stopped => Landed::NotSent,
        Err(f) if f.maybe_sent => {
            Landed::Unknown(crate::text!("recipient.maybe_sent", error => f.error.text))
        }
        Err(f) => Landed::Failed(f.error.text),
    };
    Outcome {
        seq: q.seq,
        user_id: q.user_id,
        phone: q.phone,
        landed,
    }
}

pub(super) async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// The rows a claim gave to send, and how many it skipped.
pub(super) type Claimed = (Vec<Queued>, u32);

/// The outcomes not yet written, and the one job on the database thread (a claim, or outcomes
/// written alone): one at a time, so that what lands meanwhile goes with the next one.
pub(super) struct Book {
    pub(super) claims: Arc<Claims>,
    pub(super) runner: String,
    pub(super) unrecorded: Vec<Outcome>,
    /// When the oldest unrecorded outcome must be written at the latest.
    pub(super) record_by: Option<Instant>,
    pub(super) job: Option<oneshot::Receiver<JobResult<Claimed>>>,
    /// The heartbeat is due: the next job renews the lease.
    pub(super) renew_due: bool,
    /// How long a job keeps trying while another program holds the database.
    pub(super) patience: Duration,
}

pub(super) async fn wait<T>(
    job: &mut Option<oneshot::Receiver<T>>,
) -> Result<T, oneshot::error::RecvError> {
    match job {
        Some(rx) => rx.await,
        None => std::future::pending().await,
    }
}

impl Book {
    pub(super) fn new(claims: Arc<Claims>, runner: String, patience: Duration) -> Book {
        Book {
            claims,
            runner,
            unrecorded: Vec::new(),
            record_by: None,
            job: None,
            renew_due: false,
            patience,
        }
    }

    pub(super) fn landed(&mut self, o: Outcome) {
        self.record_by
            .get_or_insert_with(|| Instant::now() + RECORD_WITHIN);
        self.unrecorded.push(o);
    }

    /// One transaction: the unrecorded outcomes written, the lease renewed if due, then `then`
    /// (a claim). The outcomes are facts whoever holds the lease: a lost lease still commits them
    /// (and fails the job, without running `then`).
    pub(super) fn job(
        &mut self,
        now: i64,
        then: impl FnOnce(&Connection, &Claims) -> AppResult<Claimed> + Send + 'static,
    ) -> impl FnOnce(&Connection) -> JobResult<Claimed> + Send + 'static {
        let outcomes = std::mem::take(&mut self.unrecorded);
        self.record_by = None;
        let renew = std::mem::take(&mut self.renew_due);
        let (claims, runner, patience) = (self.claims.clone(), self.runner.clone(), self.patience);
        move |conn| {
            let mut lost = None;
            let done = crate::storage::write(conn, patience, |tx| {
                ledger::record(tx, &claims, &outcomes, now)?;
                if renew {
                    if let Err(e) = lease::renew(tx, &claims.campaign_id, &runner, now) {
                        lost = Some(e);
                        return Ok(None);
                    }
                }
                then(tx, &claims).map(Some)
            });
            match (done, lost) {
                (Ok(Some(t)), _) => Ok(t),
                (Ok(None), Some(e)) => Err((e, Vec::new())),
                (Ok(None), None) => Err((
                    AppError::internal("the job ended without a result"),
                    Vec::new(),
                )),
                (Err(e), _) => Err((e, outcomes)),
            }
        }
    }

    /// Starts writing what has landed (and renewing the lease if due); a job must not be running.
    pub(super) fn record(&mut self, writer: &Writer, now: i64) -> AppResult<()> {
        let job = self.job(now, |_, _| Ok((Vec::new(), 0)));
        self.job = Some(writer.submit(job)?);
        Ok(())
    }

    /// Starts claiming `batch`, with what has landed; a job must not be running.
    pub(super) fn claim(&mut self, writer: &Writer, batch: Vec<Queued>, now: i64) -> AppResult<()> {
        let job = self.job(now, move |tx, claims| ledger::claim(tx, claims, batch, now));
        self.job = Some(writer.submit(job)?);
        Ok(())
    }

    /// Takes the result of the job that ended: the rows to send (none for a record job); a
    /// failed job's outcomes are kept, to be written again.
    pub(super) fn settled(
        &mut self,
        done: Result<JobResult<Claimed>, oneshot::error::RecvError>,
    ) -> AppResult<Claimed> {
        match done {
            Ok(Ok(claimed)) => Ok(claimed),
            Ok(Err((e, outcomes))) => {
                if !outcomes.is_empty() {
                    self.record_by.get_or_insert_with(Instant::now);
                }
                self.unrecorded.splice(0..0, outcomes);
                Err(e)
            }
            Err(_) => Err(AppError::internal("the database thread stopped")),
        }
    }

    /// Rows a claim committed after the run stopped go back to `pending` (never sent; the
    /// counts never saw them leave).
    pub(super) fn hand_back(&mut self, rows: Vec<Queued>) {
        for q in rows {
            self.landed(Outcome {
                seq: q.seq,
                user_id: q.user_id,
                phone: q.phone,
                landed: Landed::NotSent,
            });
        }
    }

    /// Writes every outcome left, trying again after a failure (a lock held past the patience).
    pub(super) async fn flush(&mut self, writer: &Writer, now: i64) -> AppResult<()> {
        let mut last = Ok(());
        for _ in 0..FLUSH_ATTEMPTS {
            if self.unrecorded.is_empty() {
                return last;
            }
            self.record(writer, now)?;
            if let Some(rx) = self.job.take() {
                if let Err(e) = self.settled(rx.await) {
                    last = Err(e);
                }
            }
        }
        if self.unrecorded.is_empty() {
            last
        } else {
            Err(last
                .err()
                .unwrap_or_else(|| AppError::internal("outcomes left unrecorded")))
        }
    }
}

pub(super) struct LoopState {
    /// How long the provider asked to wait (a 429's window), while it does.
    pub(super) provider_wait: Option<Duration>,
    pub(super) consecutive: u32,
    /// When each of the recent messages was accepted (for the live rate).
    pub(super) accepted: VecDeque<Instant>,
    pub(super) last_progress: Instant,
    pub(super) stop: Option<Stop>,
}

impl LoopState {
    /// Counts an outcome; pauses the run after too many failures in a row.
    pub(super) fn tally(
        &mut self,
        campaign: &CampaignSummary,
        o: &Outcome,
        counts: &mut StateCounts,
    ) {
        counts.sending = counts.sending.saturating_sub(1);
        let why = match &o.landed {
            Landed::NotSent => {
                counts.pending += 1;
                return;
            }
            Landed::Sent(_) => {
                counts.sent += 1;
                self.consecutive = 0;
                self.accepted.push_back(Instant::now());
                return;
            }
            Landed::Failed(why) => {
                counts.failed += 1;
                why
            }
            Landed::Unknown(why) => {
                counts.unknown += 1;
                why
            }
        };
        self.consecutive += 1;
        if self.consecutive >= campaign.auto_pause_after && self.stop.is_none() {
            self.stop = Some(Stop::Paused(Some(crate::text!(
                "campaign.auto_paused",
                count = self.consecutive,
                error => why.clone()
            ))));
        }
    }

    pub(super) fn report(
        &mut self,
        id: &str,
        rate: u32,
        counts: &StateCounts,
        progress: &mut impl FnMut(&CampaignProgress),
        force: bool,
    ) {
        if !force && self.last_progress.elapsed() < Duration::from_millis(200) {
            return;
        }
        self.last_progress = Instant::now();
        let window = Duration::from_secs(5);
        while self.accepted.front().is_some_and(|t| t.elapsed() > window) {
            self.accepted.pop_front();
        }
        let live = match self.accepted.front() {
            Some(first) if self.accepted.len() > 1 => {
                self.accepted.len() as f64 / first.elapsed().as_secs_f64().max(0.001)
            }
            _ => 0.0,
        };
        let left = counts.pending + counts.sending;
        progress(&CampaignProgress {
            campaign_id: id.to_string(),
            counts: counts.clone(),
            rate: live,
            eta_secs: (rate > 0).then(|| left.div_ceil(rate)),
            status: super::CampaignStatus::Running,
            provider_wait_secs: self.provider_wait.map(|d| d.as_secs_f64().ceil() as u32),
        });
    }
}

/// The calls that have landed: `first` (if given) and every other one already finished. A send
/// task that panicked (a bug) leaves its row `sending`: the next run makes it `unknown`.
pub(super) fn landed(
    inflight: &mut tokio::task::JoinSet<Outcome>,
    first: Option<Result<Outcome, tokio::task::JoinError>>,
) -> Vec<Outcome> {
    let mut out = Vec::new();
    let mut take = |done: Result<Outcome, tokio::task::JoinError>| match done {
        Ok(o) => out.push(o),
        Err(e) => tracing::error!("a send task failed: {e}"),
    };
    if let Some(done) = first {
        take(done);
    }
    while let Some(done) = inflight.try_join_next() {
        take(done);
    }
    out
}
