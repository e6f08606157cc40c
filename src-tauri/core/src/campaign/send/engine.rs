//! The loop of a run: recipients read from the queue, claimed in batches at the campaign's rate
//! (a `governor` limiter) with bounded concurrency, sent, and their outcomes written; pause,
//! cancel, the heartbeat and the provider's waits heeded between turns; on a stop, the calls on
//! the wire land and every outcome is written before it returns.

use super::book::Book;
use super::calls::{Calls, Done};
use super::control::{CampaignControl, CampaignProgress, MAX_RATE};
use super::tally::{Stop, Tally};
use crate::campaign::ledger::{self, Claims, Queued};
use crate::campaign::{lease, store, CampaignSummary};
use crate::clients::http::{Pace, StopSignal};
use crate::clients::sunshine::SunshineClient;
use crate::storage::Writer;
use crate::workspace::Workspace;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Pending recipients read per database round trip.
const QUEUE_CHUNK: u32 = 500;
/// The most messages claimed in one transaction and sent together.
const BATCH: usize = 256;

/// What a run sends with.
pub(super) struct Run<'a> {
    pub(super) ws: &'a Workspace,
    pub(super) campaign: &'a CampaignSummary,
    pub(super) claims: Claims,
    pub(super) runner: &'a str,
    pub(super) client: &'a Arc<SunshineClient>,
    pub(super) writer: &'a Writer,
    pub(super) control: &'a CampaignControl,
}

/// The calls in flight, the book and the tally, kept between turns.
struct Turns {
    calls: Calls,
    book: Book,
    tally: Tally,
}

impl Turns {
    /// The one path of the calls that landed (`first` and the others done): counted, then kept
    /// to be written.
    fn land(&mut self, first: Option<Done>) {
        for o in self.calls.landed(first) {
            self.tally.count(&o);
            self.book.landed(o);
        }
    }

    /// Starts writing what has landed; a failure stops the run. Says whether it started.
    fn record(&mut self, writer: &Writer, now: i64) -> bool {
        match self.book.record(writer, now) {
            Ok(()) => true,
            Err(e) => {
                self.tally.fail(e);
                false
            }
        }
    }

    /// Nothing in flight and no job on the database thread.
    fn settled(&self) -> bool {
        self.calls.is_empty() && self.book.idle()
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// Sends until nobody is due, or the run must stop; says why it stopped.
pub(super) async fn send(run: Run<'_>, progress: &mut impl FnMut(&CampaignProgress)) -> Stop {
    let Run {
        ws,
        campaign,
        claims,
        runner,
        client,
        writer,
        control,
    } = run;
    let claims = Arc::new(claims);
    let pacer = ws.pacer(campaign.rate.clamp(1, MAX_RATE));
    let max_in_flight = (campaign.rate / 2).clamp(4, 256) as usize;
    let counts = {
        let id = campaign.id.clone();
        writer.run(move |c| store::counts(c, &id)).await
    };
    let counts = match counts {
        Ok(c) => c,
        Err(e) => return Stop::Failed(e),
    };
    let (raise_stop, stop_signal) = StopSignal::channel();
    let mut t = Turns {
        // A request tried again (after a 429's window) waits for its turn at the campaign's
        // rate, as a new one does.
        calls: Calls::new(client.clone(), stop_signal, Some(Pace(pacer.clone()))),
        book: Book::new(claims.clone(), runner.to_string(), ws.write_patience()),
        tally: Tally::new(campaign, counts),
    };
    let mut queue: VecDeque<Queued> = VecDeque::new();
    let mut cursor = ledger::QUEUE_START;
    // Nobody is left pending: the run ends once the calls in flight have landed.
    let mut exhausted = false;
    let mut heartbeat = tokio::time::interval(Duration::from_millis((lease::LEASE_MS / 3) as u64));
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    heartbeat.tick().await; // the first tick is immediate: the lease was just taken
    loop {
        t.land(None);
        if t.book.renew_now() {
            t.record(writer, ws.now_ms());
        }
        // After a 429 nothing of this client leaves until its window ends (see the rate gate
        // in `clients::http`); then the limiter resumes its pace.
        let provider_wait = client.waiting_for();
        let wait_began = t.tally.provider_waits(provider_wait);
        t.tally.report(progress, wait_began);
        if control.is_cancelled() {
            t.tally.stop(Stop::Cancelled);
        } else if control.is_paused() {
            t.tally.stop(Stop::Paused(None));
        }
        if t.tally.stopping() {
            break;
        }
        if queue.is_empty() && t.book.idle() && !exhausted {
            let next = {
                let (claims, patience, now) = (claims.clone(), ws.write_patience(), ws.now_ms());
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
                    t.tally.fail(e);
                    break;
                }
            };
            // Nobody due now: those in quiet hours wait (the campaign is then `waiting`).
            exhausted = queue.is_empty();
        }
        if exhausted && t.settled() {
            break;
        }
        // A claim starts when the database thread is free: while one commits, the calls
        // that land make room, and the next claim takes all of it (one commit for many).
        let can_claim = t.book.idle()
            && !queue.is_empty()
            && t.calls.len() < max_in_flight
            && provider_wait.is_none();
        let record_due = t.book.record_due();
        tokio::select! {
            done = t.book.job_done() => {
                match done {
                    Ok((send, skipped)) => {
                        t.tally.claimed(send.len(), skipped);
                        t.calls.start(send);
                    }
                    Err(e) => t.tally.fail(e),
                }
                continue;
            }
            Some(done) = t.calls.next() => {
                t.land(Some(done));
                continue;
            }
            _ = heartbeat.tick() => {
                t.book.renew();
                continue;
            }
            // Outcomes are written with the next claim, or alone after a moment.
            _ = sleep_until(record_due), if record_due.is_some() => {
                t.record(writer, ws.now_ms());
                continue;
            }
            _ = tokio::time::sleep(provider_wait.unwrap_or_default()), if provider_wait.is_some() => {
                continue;
            }
            _ = pacer.ready(), if can_claim => {}
        }
        // The limiter allowed one message; take any others it allows at once (a burst is
        // 100 ms of messages), up to the free slots.
        let room = max_in_flight.saturating_sub(t.calls.len()).clamp(1, BATCH);
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
        if let Err(e) = t.book.claim(writer, batch, ws.now_ms()) {
            t.tally.fail(e);
            break;
        }
    }
    // Stopping: the calls still waiting to leave give up (pending again), those on the wire
    // land (they were sent, or may have been); outcomes keep being written meanwhile, and a
    // claim being committed hands its rows back.
    let _ = raise_stop.send(true);
    while !t.settled() {
        let record_due = t.book.record_due();
        tokio::select! {
            done = t.book.job_done() => {
                match done {
                    Ok((rows, _)) => t.book.hand_back(rows),
                    Err(e) => t.tally.fail(e),
                }
            }
            Some(done) = t.calls.next() => t.land(Some(done)),
            _ = sleep_until(record_due), if record_due.is_some() => {
                if !t.record(writer, ws.now_ms()) {
                    break;
                }
            }
        }
        t.tally.report(progress, false);
    }
    if let Err(e) = t.book.flush(writer, ws.now_ms()).await {
        tracing::error!(campaign = %campaign.id, left = t.book.unrecorded(), "could not record the last outcomes: {}", e.message);
        t.tally.fail(e);
    }
    t.tally.report_last(progress);
    t.tally.into_stop()
}
