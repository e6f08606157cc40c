//! A run's book: the outcomes not yet written, and the one job on the database thread that
//! writes them (with the next claim, or alone after a moment), renewing the lease when due.

use crate::campaign::lease;
use crate::campaign::ledger::{self, Claims, Landed, Outcome, Queued};
use crate::error::{AppError, AppResult};
use crate::storage::Writer;
use rusqlite::Connection;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Times the last outcomes of a run are written again (each after the write patience) before
/// the run gives up on them (they are then `sending`, and `unknown` at the next run).
const FLUSH_ATTEMPTS: u32 = 5;

/// How long a landed outcome may wait in memory for a claim to carry it before it is written
/// alone.
const RECORD_WITHIN: Duration = Duration::from_millis(50);

/// The rows a claim gave to send, and how many it skipped.
pub(super) type Claimed = (Vec<Queued>, u32);

/// What a job on the database thread gives back when it fails: the error, and the outcomes it
/// was to record (kept, to be written again).
type JobResult<T> = Result<T, (AppError, Vec<Outcome>)>;

/// The outcomes not yet written, and the one job on the database thread (a claim, or outcomes
/// written alone): one at a time, so that what lands meanwhile goes with the next one.
pub(super) struct Book {
    claims: Arc<Claims>,
    runner: String,
    unrecorded: Vec<Outcome>,
    /// When the oldest unrecorded outcome must be written at the latest.
    record_by: Option<Instant>,
    job: Option<oneshot::Receiver<JobResult<Claimed>>>,
    /// The heartbeat is due: the next job renews the lease.
    renew_due: bool,
    /// How long a job keeps trying while another program holds the database.
    patience: Duration,
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

    /// No job runs on the database thread.
    pub(super) fn idle(&self) -> bool {
        self.job.is_none()
    }

    /// The heartbeat: the next job renews the lease.
    pub(super) fn renew(&mut self) {
        self.renew_due = true;
    }

    /// The lease is due and no job would renew it soon: write now.
    pub(super) fn renew_now(&self) -> bool {
        self.renew_due && self.job.is_none()
    }

    /// When what has landed must be written alone, if no job runs to carry it.
    pub(super) fn record_due(&self) -> Option<Instant> {
        self.record_by.filter(|_| self.job.is_none())
    }

    /// Outcomes not written yet.
    pub(super) fn unrecorded(&self) -> usize {
        self.unrecorded.len()
    }

    /// One transaction: the unrecorded outcomes written, the lease renewed if due, then `then`
    /// (a claim). The outcomes are facts whoever holds the lease: a lost lease still commits them
    /// (and fails the job, without running `then`).
    fn job(
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

    /// The end of the job that runs (pending forever while none does): the rows to send (none
    /// for a record job); a failed job's outcomes are kept, to be written again.
    pub(super) async fn job_done(&mut self) -> AppResult<Claimed> {
        let done = match &mut self.job {
            Some(rx) => rx.await,
            None => std::future::pending().await,
        };
        self.job = None;
        self.settled(done)
    }

    fn settled(
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
            if let Err(e) = self.job_done().await {
                last = Err(e);
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
