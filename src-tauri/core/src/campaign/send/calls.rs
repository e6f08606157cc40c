//! The calls in flight: each claimed recipient's notification sent on its own task, and the
//! outcomes of those that have landed.

use crate::campaign::ledger::{Landed, Outcome, Queued};
use crate::clients::http::{Pace, StopSignal};
use crate::clients::sunshine::SunshineClient;
use std::sync::Arc;
use tokio::task::{JoinError, JoinSet};

/// A call that ended: its outcome, or the task's failure (a bug).
pub(super) type Done = Result<Outcome, JoinError>;

pub(super) struct Calls {
    inflight: JoinSet<Outcome>,
    client: Arc<SunshineClient>,
    stop: StopSignal,
    pace: Option<Pace>,
}

impl Calls {
    /// `pace`: a request tried again (after a 429's window) waits for its turn at the campaign's
    /// rate, as a new one does; `stop` makes those still waiting to leave give up.
    pub(super) fn new(client: Arc<SunshineClient>, stop: StopSignal, pace: Option<Pace>) -> Calls {
        Calls {
            inflight: JoinSet::new(),
            client,
            stop,
            pace,
        }
    }

    /// Sends the rows a claim gave (they are `sending` now).
    pub(super) fn start(&mut self, send: Vec<Queued>) {
        for q in send {
            self.inflight.spawn(send_one(
                self.client.clone(),
                q,
                self.stop.clone(),
                self.pace.clone(),
            ));
        }
    }

    pub(super) fn len(&self) -> usize {
        self.inflight.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.inflight.is_empty()
    }

    /// The next call to land (pending forever while none is in flight, as `JoinSet` is).
    pub(super) async fn next(&mut self) -> Option<Done> {
        self.inflight.join_next().await
    }

    /// The calls that have landed: `first` (if given) and every other one already finished. A
    /// send task that panicked (a bug) leaves its row `sending`: the next run makes it `unknown`.
    pub(super) fn landed(&mut self, first: Option<Done>) -> Vec<Outcome> {
        let mut out = Vec::new();
        let mut take = |done: Done| match done {
            Ok(o) => out.push(o),
            Err(e) => tracing::error!("a send task failed: {e}"),
        };
        if let Some(done) = first {
            take(done);
        }
        while let Some(done) = self.inflight.try_join_next() {
            take(done);
        }
        out
    }
}

/// Sends one claimed recipient's notification.
async fn send_one(
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
