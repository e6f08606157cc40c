//! Zendesk custom objects, the subset a team store needs, from the Support API spec
//! (`/api/v2/custom_objects…`, `/api/v2/job_statuses/{id}`): object types and their fields
//! (created by admins only), records (create with unique names, upsert by `external_id`, show,
//! list by cursor), bulk jobs of at most 100 records followed through job statuses with per-item
//! results, filtered search with a sort and cursor pages of at most 100 (without a sort, only the
//! first 10,000 records), and the record limit. Every request counts against the account's rate
//! limit like the rest of the Support API (the gate in `server/gates.rs`).
//!
//! Where the documents are loose the sandbox serves each reading, chosen by a fault knob: ties
//! of the sort (records updated in the same second) in id order, reverse id order or shuffled;
//! per-item job results that name the record's `external_id`, or only their position; items that
//! fail; slow jobs; the record limit reached; custom objects not enabled on the account.

mod filter;
mod jobs;
mod objects;
mod records;
mod search;

pub use jobs::JobResults;
pub use records::TooLarge;
pub use search::TieOrder;

use crate::server::Shared;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, SecondsFormat, Utc};
use jobs::{create_job, run_due, show_job, Job};
use objects::{create_field, create_object, list_fields, list_objects, record_limit, show_object};
use records::{create_record, record_json, show_record, upsert_record};
use search::{list_records, search_records, search_records_filtered};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

type Params = Query<HashMap<String, String>>;

/// The most records a job takes, and a page holds.
pub const MAX_ITEMS: usize = 100;

#[derive(Debug, Clone)]
struct Record {
    id: String,
    name: Option<String>,
    external_id: Option<String>,
    fields: Map<String, Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by: u64,
    updated_by: u64,
}

#[derive(Debug, Default)]
struct Object {
    json: Value,
    fields: Vec<Value>,
    records: BTreeMap<String, Record>,
    by_external: HashMap<String, String>,
    by_name: HashMap<String, String>,
    name_unique: bool,
}

/// Every custom object of the account.
#[derive(Debug, Default)]
pub(crate) struct Store {
    objects: BTreeMap<String, Object>,
    jobs: HashMap<String, Job>,
    next: u64,
}

impl Store {
    fn total_records(&self) -> usize {
        self.objects.values().map(|o| o.records.len()).sum()
    }

    /// A new record id: 26 characters of Crockford base32 that sort by creation, like a ULID.
    fn new_id(&mut self, now: DateTime<Utc>) -> String {
        self.next += 1;
        let value = ((now.timestamp_millis() as u128) << 80) | self.next as u128;
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        (0..26)
            .rev()
            .map(|i| ALPHABET[((value >> (i * 5)) & 31) as usize] as char)
            .collect()
    }
}

pub(crate) fn routes() -> Router<Shared> {
    let mut r = Router::new();
    for (path, handler) in [
        (
            "/api/v2/custom_objects",
            get(list_objects).post(create_object),
        ),
        (
            "/api/v2/custom_objects/limits/record_limit",
            get(record_limit),
        ),
        ("/api/v2/custom_objects/{key}", get(show_object)),
        (
            "/api/v2/custom_objects/{key}/fields",
            get(list_fields).post(create_field),
        ),
        ("/api/v2/custom_objects/{key}/jobs", post(create_job)),
        (
            "/api/v2/custom_objects/{key}/records",
            get(list_records).post(create_record).patch(upsert_record),
        ),
        (
            "/api/v2/custom_objects/{key}/records/search",
            get(search_records).post(search_records_filtered),
        ),
        (
            "/api/v2/custom_objects/{key}/records/{id}",
            get(show_record),
        ),
        ("/api/v2/job_statuses/{id}", get(show_job)),
    ] {
        r = r.route(path, handler.clone());
        // Zendesk serves each path with `.json` too; where the path ends with a parameter the
        // handler strips it (a route cannot put a suffix after a parameter).
        if !path.ends_with('}') {
            r = r.route(&format!("{path}.json"), handler);
        }
    }
    r
}

/// The test's view: every record of every object, as the API would show it (`GET
/// /_sandbox/records`), so a test can read all the account holds.
pub(crate) fn sandbox_routes() -> Router<Shared> {
    Router::new().route("/_sandbox/records", get(all_records))
}

async fn all_records(State(s): State<Shared>) -> Json<Value> {
    let mut st = store(&s);
    run_due(&s, &mut st);
    let base = s.info.base_url.clone();
    let records: Vec<Value> = st
        .objects
        .iter()
        .flat_map(|(key, o)| {
            o.records
                .values()
                .map(|r| record_json(&base, key, r))
                .collect::<Vec<_>>()
        })
        .collect();
    Json(json!({ "records": records }))
}

fn bare(id: &str) -> &str {
    id.strip_suffix(".json").unwrap_or(id)
}

/// The error shape of the custom objects API (JSON:API-like).
fn error(status: StatusCode, code: &str, title: &str, detail: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"errors": [{"code": code, "status": status.as_u16().to_string(), "title": title, "detail": detail.into()}]})),
    )
        .into_response()
}

fn not_found(what: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "RecordNotFound",
        "Not found",
        format!("{what} not found"),
    )
}

fn invalid(detail: impl Into<String>) -> Response {
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "RecordInvalid",
        "Record is invalid",
        detail,
    )
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Refuses everything while custom objects are off on the account (the fault knob).
fn enabled(s: &Shared) -> Result<(), Response> {
    if s.faults().custom_objects_off {
        return Err(error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "Forbidden",
            "Custom objects are not enabled for this account",
        ));
    }
    Ok(())
}

fn admin(s: &Shared, user: u64) -> Result<(), Response> {
    if s.pop.user(user).role == "admin" {
        Ok(())
    } else {
        Err(error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "Forbidden",
            "You do not have access to this page. Please contact the account owner of this help desk for further help.",
        ))
    }
}

fn store(s: &Shared) -> std::sync::MutexGuard<'_, Store> {
    s.custom_objects.lock().unwrap_or_else(|e| e.into_inner())
}
