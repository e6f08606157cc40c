//! `relay-sandbox`: a local simulator of the Zendesk Support API and Sunshine Conversations API
//! subset Relay uses, on the paths the real hosts use:
//!
//! - Zendesk at `/api/v2/...` (Basic `email/token:TOKEN`);
//! - Sunshine Conversations at `/sc/v2/...` and `/sc/v1.1/...` (Basic `keyId:secret`), the
//!   Zendesk-hosted form `https://{subdomain}.zendesk.com/sc`;
//! - test controls at `/_sandbox/...`: fault knobs (among them Meta's messaging limit and its
//!   pause of marketing to US numbers: accepted notifications Meta then drops), the accepted
//!   notifications (each delivered or dropped), statistics, and the sandbox's clock
//!   (`POST /_sandbox/clock {"advance_ms": N}` moves it on).
//!
//! It is a test double for services that cannot be reached from here, following the shapes of
//! the official specs (`shared/specs`); the real clients must work unchanged against the real
//! services. Start it in-process with [`Sandbox::start`], or with `relay sandbox`.

// Handlers return `Result<_, Response>` so an early error is the HTTP answer itself; those are
// cold paths, and boxing every response would only obscure the handlers.
#![allow(clippy::result_large_err)]

mod conn;
mod custom_objects;
pub mod data;
pub mod search;
mod server;
mod sunshine;
mod tickets;
mod zendesk;

pub use custom_objects::{JobResults, TieOrder, TooLarge};
pub use server::{ExportOrder, Faults, Sandbox, SandboxConfig, SandboxInfo};

use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};

/// The sandbox's notion of now: the system clock, or a manual one tests move forward.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock {
            now: Arc::new(Mutex::new(start)),
        }
    }
    pub fn advance(&self, by: std::time::Duration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now += chrono::Duration::from_std(by).unwrap_or_default();
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}
