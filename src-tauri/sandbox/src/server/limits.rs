//! Rate limits: the per-minute budgets, the notification cap, and the `Retry-After` windows with
//! what arrived inside them (requests in flight counted).

use super::AppState;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;

pub(super) struct Window {
    pub(super) minute: i64,
    pub(super) used: u32,
}

/// A `Retry-After` the sandbox issued, and what arrived while it ran. Sunshine Conversations and
/// Zendesk limit the app or the account, not the request: while a window is open every request of
/// that limit is refused (429, with what is left of the window), and counted. A client that
/// honours `Retry-After` sends nothing inside a window, but for what it had in flight when the
/// 429 left (a request on its way cannot be called back).
#[derive(Debug, Clone, Default)]
pub(super) struct RateWindow {
    until: Option<chrono::DateTime<chrono::Utc>>,
    /// When the window open now (or the last one) opened.
    opened_at: Option<chrono::DateTime<chrono::Utc>>,
    stats: WindowStats,
}

/// How long after a window opens a request may still arrive from a client that had sent it before
/// the 429 reached it, beyond the injected latency: a loopback round trip and a busy scheduler
/// take far less.
const IN_FLIGHT_GRACE_MS: i64 = 100;

/// What `/_sandbox/stats` reports of a limit's windows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WindowStats {
    /// 429s that opened a window (or extended the one open).
    pub issued: u64,
    /// Requests that arrived while a window was open.
    pub inside: u64,
    /// Requests being handled when each window opened, summed (for comparison with `inside`).
    pub in_flight_at_issue: u64,
    /// Requests that arrived inside a window later than the injected latency plus
    /// [`IN_FLIGHT_GRACE_MS`] after it opened: sent by a client that already had the 429. A
    /// client that honours `Retry-After` for all its requests sends none.
    pub late: u64,
    /// The latest arrival inside a window, in milliseconds after it opened.
    pub latest_inside_ms: u64,
}

/// The limit a request counts against: the Sunshine Conversations app, or the Zendesk account.
pub(super) fn limit_of(path: &str) -> &'static str {
    if path.starts_with("/sc/") {
        "sunshine"
    } else {
        "zendesk"
    }
}

/// Counts a request as being handled until dropped.
pub(crate) struct InFlight<'a> {
    state: &'a AppState,
    limit: &'static str,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut m = self
            .state
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(n) = m.get_mut(self.limit) {
            *n = n.saturating_sub(1);
        }
    }
}

impl AppState {
    /// Takes one request from a per-minute budget: Ok(remaining) or Err(seconds to wait).
    pub(super) fn take(&self, window: &Mutex<Window>, limit: u32) -> Result<u32, u64> {
        let now = self.now().timestamp();
        let minute = now.div_euclid(60);
        let mut w = window.lock().unwrap_or_else(|e| e.into_inner());
        if w.minute != minute {
            w.minute = minute;
            w.used = 0;
        }
        if w.used >= limit {
            return Err((60 - now.rem_euclid(60)).max(1) as u64);
        }
        w.used += 1;
        Ok(limit - w.used)
    }

    /// Takes one notification from the per-second cap, if any.
    pub fn take_notification_slot(&self) -> bool {
        let Some(cap) = self.faults().notifications_per_second else {
            return true;
        };
        let second = self.now().timestamp();
        let mut w = self.notif_window.lock().unwrap_or_else(|e| e.into_inner());
        if w.0 != second {
            *w = (second, 0);
        }
        if w.1 >= cap {
            return false;
        }
        w.1 += 1;
        true
    }

    pub(super) fn enter(&self, limit: &'static str) -> InFlight<'_> {
        *self
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(limit.into())
            .or_insert(0) += 1;
        InFlight { state: self, limit }
    }

    /// Seconds left of the open window of `limit`, counting the request as arrived inside it.
    pub(super) fn inside_window(&self, limit: &str) -> Option<u64> {
        let now = self.now();
        let latency = self.faults().latency_ms as i64;
        let mut w = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let win = w.entry(limit.into()).or_default();
        let until = win.until.filter(|u| *u > now)?;
        win.stats.inside += 1;
        if let Some(opened) = win.opened_at {
            let after = (now - opened).num_milliseconds().max(0);
            win.stats.latest_inside_ms = win.stats.latest_inside_ms.max(after as u64);
            if after > latency + IN_FLIGHT_GRACE_MS {
                win.stats.late += 1;
            }
        }
        Some(((until - now).num_milliseconds().max(1) as u64).div_ceil(1000))
    }

    /// Opens (or extends) a window of `limit` for `secs`; the 429 that does so is being handled.
    pub(crate) fn open_window(&self, limit: &str, secs: u64) {
        let now = self.now();
        let in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(limit)
            .copied()
            .unwrap_or(1);
        let mut w = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let win = w.entry(limit.into()).or_default();
        let until = now + chrono::Duration::seconds(secs as i64);
        match win.until {
            Some(u) if u > now => win.until = Some(u.max(until)),
            _ => {
                win.until = Some(until);
                win.opened_at = Some(now);
            }
        }
        win.stats.issued += 1;
        win.stats.in_flight_at_issue += in_flight.saturating_sub(1);
    }

    pub(super) fn window_stats(&self) -> HashMap<String, WindowStats> {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.stats.clone()))
            .collect()
    }
}
