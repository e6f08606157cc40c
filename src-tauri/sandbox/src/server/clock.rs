//! The sandbox's time, moved by tests over HTTP: `POST /_sandbox/clock {"advance_ms": N}` puts
//! the sandbox N milliseconds further on, `GET /_sandbox/clock` tells where it is.
//!
//! The sandbox reads the time from its [`Clock`](crate::Clock) (the system's, or a
//! [`ManualClock`](crate::ManualClock) an in-process test moves) plus this offset. Everything
//! that reads the sandbox's time moves with it: Meta's 24-hour messaging window, template review,
//! export cursors, `Retry-After` windows, jobs and the search index's lag. Invariants: time only
//! moves forward (an advance is a whole, non-negative number of milliseconds), by at most
//! [`MAX_OFFSET_MS`] in all; a refused advance changes nothing.

use super::observe::invalid;
use super::{AppState, Shared};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use std::sync::atomic::Ordering;

/// How far tests may move the sandbox on, in all: 100 years.
pub const MAX_OFFSET_MS: u64 = 100 * 365 * 24 * 3600 * 1000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Advance {
    advance_ms: u64,
}

impl AppState {
    /// The sandbox's now: its clock, moved on by the tests' advances.
    pub fn now(&self) -> DateTime<Utc> {
        let base = self.clock.now();
        let offset = self.clock_offset_ms.load(Ordering::Relaxed);
        if offset == 0 {
            return base;
        }
        // The offset is at most MAX_OFFSET_MS, far below i64::MAX.
        base.checked_add_signed(chrono::Duration::milliseconds(offset as i64))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    fn clock_json(&self) -> serde_json::Value {
        json!({"now": self.now().to_rfc3339(), "offset_ms": self.clock_offset_ms.load(Ordering::Relaxed)})
    }
}

pub(super) async fn get_clock(State(s): State<Shared>) -> Json<serde_json::Value> {
    Json(s.clock_json())
}

pub(super) async fn advance_clock(
    State(s): State<Shared>,
    body: Result<Json<Advance>, JsonRejection>,
) -> Response {
    let advance = match body {
        Ok(Json(a)) => a.advance_ms,
        Err(e) => {
            return invalid(format!(
                "advance_ms: a whole number of milliseconds ≥ 0 is expected ({})",
                e.body_text()
            ))
        }
    };
    let moved = s
        .clock_offset_ms
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
            now.checked_add(advance).filter(|t| *t <= MAX_OFFSET_MS)
        });
    if moved.is_err() {
        return invalid(format!(
            "advance_ms: {advance} would move the sandbox more than {MAX_OFFSET_MS} ms (100 years) on in all"
        ));
    }
    Json(s.clock_json()).into_response()
}
