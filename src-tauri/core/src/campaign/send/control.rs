//! What the outside of the send engine sees: pause and cancel, the progress a run reports, and
//! the rate a campaign may have.

use crate::campaign::{CampaignStatus, StateCounts};
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use specta::Type;
use std::sync::atomic::{AtomicBool, Ordering};

/// The fastest a campaign may send (messages per second).
pub const MAX_RATE: u32 = crate::settings::MAX_SEND_RATE;

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

    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
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
