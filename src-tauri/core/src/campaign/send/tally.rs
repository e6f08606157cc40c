//! A run's tally: the counts by state as outcomes land, the live rate, failures in a row (which
//! pause the run), and why the run stops.

use super::control::CampaignProgress;
use crate::campaign::ledger::{Landed, Outcome};
use crate::campaign::{CampaignStatus, CampaignSummary, StateCounts};
use crate::error::AppError;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Why the loop stopped.
pub(super) enum Stop {
    Done,
    Paused(Option<crate::text::Text>),
    Cancelled,
    /// The database (or the lease) failed: paused, resumable.
    Failed(AppError),
}

pub(super) struct Tally {
    id: String,
    rate: u32,
    auto_pause_after: u32,
    counts: StateCounts,
    /// How long the provider asked to wait (a 429's window), while it does.
    provider_wait: Option<Duration>,
    consecutive: u32,
    /// When each of the recent messages was accepted (for the live rate).
    accepted: VecDeque<Instant>,
    last_progress: Instant,
    stop: Option<Stop>,
}

impl Tally {
    pub(super) fn new(campaign: &CampaignSummary, counts: StateCounts) -> Tally {
        Tally {
            id: campaign.id.clone(),
            rate: campaign.rate,
            auto_pause_after: campaign.auto_pause_after,
            counts,
            provider_wait: None,
            consecutive: 0,
            accepted: VecDeque::new(),
            last_progress: Instant::now(),
            stop: None,
        }
    }

    /// A claim's rows left (`sending`), and those it skipped.
    pub(super) fn claimed(&mut self, sending: usize, skipped: u32) {
        let c = &mut self.counts;
        c.pending = c.pending.saturating_sub(sending as u32 + skipped);
        c.skipped += skipped;
        c.sending += sending as u32;
    }

    /// Counts an outcome; pauses the run after too many failures in a row.
    pub(super) fn count(&mut self, o: &Outcome) {
        let counts = &mut self.counts;
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
        if self.consecutive >= self.auto_pause_after && self.stop.is_none() {
            self.stop = Some(Stop::Paused(Some(crate::text!(
                "campaign.auto_paused",
                count = self.consecutive,
                error => why.clone()
            ))));
        }
    }

    /// The run stops for `why`, unless it stops already.
    pub(super) fn stop(&mut self, why: Stop) {
        self.stop.get_or_insert(why);
    }

    /// The database (or the lease) failed: the run stops, paused.
    pub(super) fn fail(&mut self, e: AppError) {
        self.stop(Stop::Failed(e));
    }

    pub(super) fn stopping(&self) -> bool {
        self.stop.is_some()
    }

    /// Why the run stopped: done when nothing stopped it.
    pub(super) fn into_stop(self) -> Stop {
        self.stop.unwrap_or(Stop::Done)
    }

    /// How long the provider asks to wait now; says whether a wait began.
    pub(super) fn provider_waits(&mut self, wait: Option<Duration>) -> bool {
        let began = wait.is_some() && self.provider_wait.is_none();
        self.provider_wait = wait;
        began
    }

    /// Reports the progress, every 200 ms at most unless `force`d.
    pub(super) fn report(&mut self, progress: &mut impl FnMut(&CampaignProgress), force: bool) {
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
        let left = self.counts.pending + self.counts.sending;
        progress(&CampaignProgress {
            campaign_id: self.id.clone(),
            counts: self.counts.clone(),
            rate: live,
            eta_secs: (self.rate > 0).then(|| left.div_ceil(self.rate)),
            status: CampaignStatus::Running,
            provider_wait_secs: self.provider_wait.map(|d| d.as_secs_f64().ceil() as u32),
        });
    }

    /// The last report: the provider's wait is over for this run.
    pub(super) fn report_last(&mut self, progress: &mut impl FnMut(&CampaignProgress)) {
        self.provider_wait = None;
        self.report(progress, true);
    }
}
