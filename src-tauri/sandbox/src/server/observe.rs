//! The sandbox's own endpoints for tests (`/_sandbox/...`): the fault knobs, the accepted
//! notifications, statistics, and how to connect.
//!
//! Every notification the API accepted is recorded and counted (`notifications`), whether Meta
//! then delivered it or dropped it (`dropped`): the sender saw the same `201` for both.

use super::{Faults, SandboxInfo, Shared};
use crate::sunshine::Dropped;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;

/// One notification the API accepted, as recorded for tests.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    pub seq: u64,
    pub id: String,
    pub received_at: String,
    pub integration_id: String,
    pub destination_id: String,
    /// `template:{name}:{language}` for WhatsApp, `text` for SMS.
    pub kind: String,
    /// The template's language code exactly as the notification gave it (WhatsApp); null for SMS.
    pub language: Option<String>,
    /// Null when delivered; why Meta dropped it otherwise (`messaging_limit`, `marketing_us`).
    pub dropped: Option<Dropped>,
    pub body: Value,
}

/// A request to a `/_sandbox` endpoint refused: `400 {"error": "invalid", "description"}`, the
/// description naming the knob.
pub(super) fn invalid(description: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": "invalid", "description": description})),
    )
        .into_response()
}

pub(super) async fn get_faults(State(s): State<Shared>) -> Json<Faults> {
    Json(s.faults())
}

pub(super) async fn put_faults(
    State(s): State<Shared>,
    f: Result<Json<Faults>, JsonRejection>,
) -> Response {
    // A knob of the wrong type or unknown is refused as one out of range is: 400, nothing set.
    let f = match f {
        Ok(Json(f)) => f,
        Err(e) => return invalid(e.body_text()),
    };
    if let Err((name, why)) = f.check() {
        return invalid(format!("{name}: {why}"));
    }
    *s.faults.write().unwrap_or_else(|e| e.into_inner()) = f.clone();
    Json(f).into_response()
}

#[derive(Deserialize)]
pub(super) struct Since {
    since: Option<u64>,
}

pub(super) async fn list_notifications(
    State(s): State<Shared>,
    axum::extract::Query(q): axum::extract::Query<Since>,
) -> Json<Value> {
    let all = s.notifications.lock().unwrap_or_else(|e| e.into_inner());
    let since = q.since.unwrap_or(0);
    let list: Vec<&Recorded> = all.iter().filter(|n| n.seq > since).collect();
    Json(json!({ "notifications": list, "count": list.len() }))
}

pub(super) async fn clear_notifications(State(s): State<Shared>) -> StatusCode {
    s.notifications
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clear();
    StatusCode::NO_CONTENT
}

pub(super) async fn stats(State(s): State<Shared>) -> Json<Value> {
    let all = s.notifications.lock().unwrap_or_else(|e| e.into_inner());
    let mut per: HashMap<(String, String, String), u64> = HashMap::new();
    let mut by_integration: HashMap<String, u64> = HashMap::new();
    let mut dropped_by_integration: HashMap<String, u64> = HashMap::new();
    let mut dropped_by_reason: HashMap<&str, u64> = HashMap::new();
    let mut reached = std::collections::HashSet::new();
    for n in all.iter() {
        match n.dropped {
            Some(why) => {
                *dropped_by_integration
                    .entry(n.integration_id.clone())
                    .or_insert(0) += 1;
                *dropped_by_reason.entry(why.as_str()).or_insert(0) += 1;
            }
            None => {
                reached.insert(n.destination_id.as_str());
            }
        }
        *per.entry((
            n.integration_id.clone(),
            n.destination_id.clone(),
            n.kind.clone(),
        ))
        .or_insert(0) += 1;
        *by_integration.entry(n.integration_id.clone()).or_insert(0) += 1;
    }
    let mut duplicates: Vec<Value> = per
        .iter()
        .filter(|(_, c)| **c > 1)
        .map(|((i, d, k), c)| json!({"integration_id": i, "destination_id": d, "kind": k, "count": c}))
        .collect();
    duplicates.sort_by_key(|v| v["destination_id"].as_str().unwrap_or_default().to_string());
    let requests = s.requests.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let windows = s.window_stats();
    Json(json!({
        "rate_windows": windows,
        "notifications": all.len(),
        "by_integration": by_integration,
        "delivered": all.len() as u64 - dropped_by_integration.values().sum::<u64>(),
        "delivered_destinations": reached.len(),
        "dropped": dropped_by_integration.values().sum::<u64>(),
        "dropped_by_integration": dropped_by_integration,
        "dropped_by_reason": dropped_by_reason,
        "distinct_destinations": per.keys().map(|(_, d, _)| d).collect::<std::collections::HashSet<_>>().len(),
        "duplicate_count": duplicates.iter().map(|d| d["count"].as_u64().unwrap_or(0) - 1).sum::<u64>(),
        "duplicates": duplicates,
        "requests": requests,
    }))
}

/// How to connect: the demo credentials of this local sandbox (it only listens on loopback).
pub(super) async fn sandbox_info(State(s): State<Shared>) -> Json<SandboxInfo> {
    Json(s.info.clone())
}
