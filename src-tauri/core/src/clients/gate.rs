//! Waiting, shared: the [`RateGate`] of each service and credential (a 429 closes it for every
//! request of that client; a low `X-Rate-Limit-Remaining` for a moment), the [`Pace`] a run keeps
//! its rate with, and the [`Sleeper`] waits go through — the real one sleeps, the test ones
//! record and move their own time, so tests assert waits instead of sleeping them.

use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

/// Waits, and tells the time waits are measured in; the real one sleeps, the test ones record
/// (and move their own time by what they were asked to wait).
pub trait Sleeper: Send + Sync {
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()>;

    fn now(&self) -> Instant {
        Instant::now()
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// Records every wait and returns at once; its time moves by the waits (for tests).
#[derive(Debug, Clone)]
pub struct RecordingSleeper {
    pub waits: Arc<Mutex<Vec<Duration>>>,
    origin: Instant,
}

impl Default for RecordingSleeper {
    fn default() -> Self {
        RecordingSleeper {
            waits: Arc::default(),
            origin: Instant::now(),
        }
    }
}

impl RecordingSleeper {
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        self.waits.lock().unwrap_or_else(|e| e.into_inner()).push(d);
        Box::pin(async {})
    }

    fn now(&self) -> Instant {
        self.origin + self.waits().iter().sum::<Duration>()
    }
}

/// Where the requests of one service and credential wait together (see the module's doc).
#[derive(Debug, Default)]
pub struct RateGate {
    /// Closed until then.
    open_at: Mutex<Option<Instant>>,
}

impl RateGate {
    fn open_at(&self) -> Option<Instant> {
        *self.open_at.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How long it stays closed after `now`, if it is closed.
    pub fn closed_for(&self, now: Instant) -> Option<Duration> {
        self.open_at()
            .and_then(|t| t.checked_duration_since(now))
            .filter(|d| !d.is_zero())
    }

    /// Closes it until `now + d` (a later time already set wins).
    pub fn close_until(&self, now: Instant, d: Duration) {
        let until = now + d;
        let mut open_at = self.open_at.lock().unwrap_or_else(|e| e.into_inner());
        if open_at.is_none_or(|t| t < until) {
            *open_at = Some(until);
        }
    }

    /// Waits until it is open (again, if a later 429 closed it meanwhile).
    pub(crate) async fn pass(&self, sleeper: &dyn Sleeper) {
        let mut waited_for = None;
        while let Some(until) = self.open_at() {
            let now = sleeper.now();
            if until <= now || waited_for == Some(until) {
                return;
            }
            waited_for = Some(until);
            sleeper.sleep(until - now).await;
        }
    }
}

/// The gates of this process, by service and credential.
static GATES: LazyLock<Mutex<HashMap<String, Arc<RateGate>>>> = LazyLock::new(Default::default);

/// The one gate of `key` (a service, its base URL and the credential it limits: the Zendesk
/// account, the Sunshine Conversations app).
pub fn gate_for(key: &str) -> Arc<RateGate> {
    GATES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key.to_string())
        .or_default()
        .clone()
}

/// How a run keeps its rate: a turn to wait for, and whether another may go at once.
pub trait Pacer: Send + Sync {
    /// Waits for a turn, and takes it.
    fn ready(&self) -> BoxFuture<'_, ()>;
    /// Takes a turn if one is free now.
    fn try_take(&self) -> bool;
}

/// The pacer of a campaign: a `governor` rate limiter of `rate` messages a second, in bursts of
/// 100 ms worth (at least 1) — timers of 1 ms suffice at 1,000 a second, and a commit that
/// stalls for a moment (the disk syncing) is caught up on, so the rate holds over the campaign.
pub struct RatePacer(governor::DefaultDirectRateLimiter);

impl RatePacer {
    pub fn new(rate: u32) -> RatePacer {
        let per_second =
            std::num::NonZeroU32::new(rate.max(1)).unwrap_or(std::num::NonZeroU32::MIN);
        let burst =
            std::num::NonZeroU32::new((rate / 10).max(1)).unwrap_or(std::num::NonZeroU32::MIN);
        RatePacer(governor::RateLimiter::direct(
            governor::Quota::per_second(per_second).allow_burst(burst),
        ))
    }
}

impl RatePacer {
    /// `per_minute` a minute, evenly (no burst).
    pub fn per_minute(per_minute: u32) -> RatePacer {
        Self::per_minute_with_burst(per_minute, 1)
    }

    /// `per_minute` a minute on average, `burst` of them at once after a quiet moment: over
    /// any minute, at most `per_minute + burst`.
    pub fn per_minute_with_burst(per_minute: u32, burst: u32) -> RatePacer {
        let n = std::num::NonZeroU32::new(per_minute.max(1)).unwrap_or(std::num::NonZeroU32::MIN);
        let b = std::num::NonZeroU32::new(burst.max(1)).unwrap_or(std::num::NonZeroU32::MIN);
        RatePacer(governor::RateLimiter::direct(
            governor::Quota::per_minute(n).allow_burst(b),
        ))
    }
}

impl Pacer for RatePacer {
    fn ready(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.0.until_ready())
    }

    fn try_take(&self) -> bool {
        self.0.check().is_ok()
    }
}

/// The pace a run keeps, shared by its requests. A request tried again — after a 429's window,
/// or a connection never made — waits for its turn like a new one, so the run's rate holds after
/// the window too instead of every held request leaving at once.
#[derive(Clone)]
pub struct Pace(pub Arc<dyn Pacer>);

impl Pace {
    pub(crate) async fn ready(&self) {
        self.0.ready().await
    }
}
