//! Fault injection: the knobs ([`Faults`], [`ExportOrder`]), the layer that plays them on the
//! API's requests (latency, 429s, 5xx, dropped connections, a sign-in page), and errors in the
//! shape of the API a path belongs to.

use super::limits::limit_of;
use super::{AppState, Shared};
use crate::conn::Connection;
use crate::custom_objects::{JobResults, TieOrder};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::time::Duration;

/// The order the search export returns users in. Zendesk documents the export as "ordered only
/// by the `created_at` attribute", without saying which way, and promises nothing about ties:
/// each reading is a variant a client must work with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportOrder {
    /// Oldest first.
    #[default]
    Asc,
    /// Newest first.
    Desc,
    /// No order at all (a fixed shuffle of the users).
    Unordered,
}

impl ExportOrder {
    /// The user at `position` of the export, out of `count`: a bijection of 0..count.
    pub fn index(self, position: u64, count: u64) -> u64 {
        match self {
            ExportOrder::Asc => position,
            ExportOrder::Desc => count - 1 - position,
            ExportOrder::Unordered => {
                // position × a (mod count), with a coprime with count: every user once.
                let mut a = 0x9E37_79B9 % count.max(1);
                while gcd(a, count) != 1 {
                    a += 1;
                }
                (position % count).wrapping_mul(a) % count
            }
        }
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl std::str::FromStr for ExportOrder {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "asc" => Ok(ExportOrder::Asc),
            "desc" => Ok(ExportOrder::Desc),
            "unordered" => Ok(ExportOrder::Unordered),
            other => Err(format!(
                "\"{other}\" is not an export order: asc, desc or unordered"
            )),
        }
    }
}

/// Fault knobs, settable at start and at run time (`PUT /_sandbox/faults`: the whole set, each
/// knob left out at its default; a knob the sandbox does not know is refused, not ignored).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Probability (0..1) that an API request gets `429` with `Retry-After`.
    pub rate_429: f64,
    /// Probability that an API request gets `500` or `503`.
    pub rate_5xx: f64,
    /// Probability that the connection is dropped, after the request was read, without a byte
    /// of response (before processing: nothing was done).
    pub rate_drop: f64,
    /// Probability that a notification is accepted and recorded, then the connection dropped
    /// before the response: the case where the sender cannot know it was sent.
    pub rate_drop_after: f64,
    /// Probability that a notification is refused with `400` (as for a number the channel does
    /// not know): certainly not sent.
    pub rate_refused: f64,
    /// Probability that an API request is answered `200` with a web page (`text/html`) instead of
    /// the API's JSON, as a proxy's sign-in page or a captive portal does; the request never
    /// reaches the API (nothing is done).
    pub rate_html: f64,
    /// When not empty, the `rate_*` faults above apply only to requests whose path starts with
    /// it (`/sc/v1.1/apps/` for Sunshine Conversations' templates and notifications, say).
    pub only_path: String,
    /// Added latency per API request, in milliseconds.
    pub latency_ms: u64,
    /// The `Retry-After` value of injected 429s and of the notification cap's, in seconds.
    pub retry_after_secs: u64,
    /// At most this many notifications accepted per second (429 beyond); None = no cap.
    pub notifications_per_second: Option<u32>,
    /// The order of the search export (see [`ExportOrder`]).
    pub export_order: ExportOrder,
    /// Share (0..1) of the matching users the search export leaves out while `search/count`
    /// still counts them (Zendesk's search index lags by up to a few minutes): the same users
    /// every time.
    pub export_missing: f64,
    /// Custom objects are not enabled on the account: every custom objects request gets 403.
    pub custom_objects_off: bool,
    /// A custom objects bulk job runs this long after it was queued (slow jobs).
    pub job_delay_ms: u64,
    /// Probability (0..1) that an item of a bulk job fails (the others go on).
    pub job_item_failure: f64,
    /// How a bulk job reports each item (see [`JobResults`]).
    pub job_results: JobResults,
    /// The order of records whose sort values are equal (see [`TieOrder`]).
    pub search_tie_order: TieOrder,
    /// The account's custom object record limit (1,000,000 when not set).
    pub record_limit: Option<u64>,
    /// How a custom object record over Zendesk's 32 KB is refused (the documents give the size,
    /// not the status): `422` (the default, as any invalid record) or `413`.
    pub record_too_large: crate::custom_objects::TooLarge,
    /// A ticket is found by the search this long after its last update (Zendesk's search index
    /// lags behind the tickets).
    pub ticket_index_delay_ms: u64,
    /// The WhatsApp messaging limit of the business portfolio every WhatsApp integration of the
    /// app belongs to: at most this many unique numbers reached with templates in a moving 24
    /// hours (Meta's tiers: 250, 2,000, 10,000, 100,000); None = unlimited. A notification to a
    /// number not reached in the window once it is full is accepted (`201`) and dropped.
    pub whatsapp_limit: Option<u64>,
    /// Meta delivers MARKETING templates to US numbers again (paused since 1 April 2025: such a
    /// notification is accepted, then dropped).
    pub marketing_us_delivered: bool,
}

impl Faults {
    /// The first fault set out of its range: its name (as in `PUT /_sandbox/faults`) and why.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        for (name, p) in [
            ("rate_429", self.rate_429),
            ("rate_5xx", self.rate_5xx),
            ("rate_drop", self.rate_drop),
            ("rate_drop_after", self.rate_drop_after),
            ("rate_refused", self.rate_refused),
            ("rate_html", self.rate_html),
            ("export_missing", self.export_missing),
            ("job_item_failure", self.job_item_failure),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err((name, format!("a probability between 0 and 1, not {p}.")));
            }
        }
        if self.whatsapp_limit == Some(0) {
            return Err((
                "whatsapp_limit",
                "at least 1 unique number in 24 hours (Meta's tiers: 250, 2000, 10000, 100000), or null for unlimited.".into(),
            ));
        }
        Ok(())
    }
}

impl AppState {
    pub fn should_drop_after(&self) -> bool {
        self.roll(self.faults().rate_drop_after)
    }

    pub fn should_refuse(&self) -> bool {
        self.roll(self.faults().rate_refused)
    }
}

/// Cuts the connection the request came on: the client, which wrote its whole request, gets no
/// byte of response (the returned value is never written).
pub(crate) fn dropped_connection(conn: &Connection) -> Response {
    conn.kill();
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

pub(super) async fn faults_layer(
    State(s): State<Shared>,
    ConnectInfo(conn): ConnectInfo<Connection>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    let limit = limit_of(&path);
    *s.requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(limit.into())
        .or_insert(0) += 1;
    let _in_flight = s.enter(limit);
    let f = s.faults();
    // The latency is the way there: a request on it was sent, and arrives after it.
    if f.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(f.latency_ms)).await;
    }
    if let Some(left) = s.inside_window(limit) {
        return too_many(&path, left);
    }
    if !path.starts_with(&f.only_path) {
        return next.run(req).await;
    }
    if s.roll(f.rate_html) {
        return sign_in_page();
    }
    if s.roll(f.rate_drop) {
        return dropped_connection(&conn);
    }
    if s.roll(f.rate_429) {
        let retry = f.retry_after_secs.max(1);
        s.open_window(limit, retry);
        return too_many(&path, retry);
    }
    if s.roll(f.rate_5xx) {
        let status = if s.roll(0.5) {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        return error_for(
            &path,
            status,
            "internal_error",
            "Internal server error (sandbox fault)",
        );
    }
    next.run(req).await
}

/// A 429 with `Retry-After`, in the shape of the API the path belongs to.
/// A proxy's sign-in page, answered `200` where the API's JSON was expected.
fn sign_in_page() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!doctype html><html><head><title>Sign in</title></head><body><form action=\"/login\"><input name=\"user\"></form></body></html>",
    )
        .into_response()
}

pub(crate) fn too_many(path: &str, retry_after_secs: u64) -> Response {
    let mut resp = error_for(
        path,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
        "Too many requests (sandbox)",
    );
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    resp
}

/// An error in the shape of the API the path belongs to.
pub(crate) fn error_for(path: &str, status: StatusCode, code: &str, text: &str) -> Response {
    let body = if path.starts_with("/sc/v2") {
        json!({"errors": [{"code": code, "title": text}]})
    } else if path.starts_with("/sc/") {
        json!({"error": {"code": code, "description": text}})
    } else {
        json!({"error": code, "description": text})
    };
    (status, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::ExportOrder;

    #[test]
    fn every_export_order_returns_every_user_once() {
        for count in [1u64, 2, 7, 1000, 1001, 9995] {
            for order in [ExportOrder::Asc, ExportOrder::Desc, ExportOrder::Unordered] {
                let mut seen: Vec<u64> = (0..count).map(|p| order.index(p, count)).collect();
                seen.sort();
                assert_eq!(seen, (0..count).collect::<Vec<_>>(), "{order:?} of {count}");
            }
        }
        let shuffled: Vec<u64> = (0..10)
            .map(|p| ExportOrder::Unordered.index(p, 1000))
            .collect();
        assert!(
            shuffled.windows(2).any(|w| w[0] > w[1]),
            "unordered is neither ascending {shuffled:?}"
        );
        assert!(shuffled.windows(2).any(|w| w[0] < w[1]), "nor descending");
    }
}
