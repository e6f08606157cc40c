//! Bulk jobs: up to 100 records created, upserted or deleted in one job, queued (a few at once),
//! run when due, each item on its own, and followed through its job status.

use super::records::{delete_record, write_record};
use super::{bare, enabled, error, invalid, not_found, store, time, Store, MAX_ITEMS};
use crate::server::{Shared, ZendeskUser};
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// How a bulk job reports each item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobResults {
    /// Each result names the record (`id`, `external_id`), in the items' order.
    #[default]
    Keyed,
    /// Each result carries only `id`, `success` and `status`: an item is known by its position.
    Positional,
}

/// Jobs queued or running at once, per account.
pub const MAX_JOBS: usize = 30;

#[derive(Debug, Clone)]
pub(super) struct Job {
    status: Value,
    /// Not before this, the job runs (slow jobs).
    due: DateTime<Utc>,
    key: String,
    action: String,
    items: Vec<Value>,
    user: u64,
}

fn job_json(
    base: &str,
    id: &str,
    status: &str,
    total: usize,
    progress: Option<usize>,
    results: Option<Vec<Value>>,
    message: Option<String>,
) -> Value {
    json!({
        "id": id,
        "status": status,
        "total": total,
        "progress": progress,
        "results": results,
        "message": message,
        "url": format!("{base}/api/v2/job_statuses/{id}.json"),
    })
}

const JOB_ACTIONS: [&str; 6] = [
    "create",
    "update",
    "delete",
    "delete_by_external_id",
    "create_or_update_by_external_id",
    "create_or_update_by_name",
];

pub(super) async fn create_job(
    State(s): State<Shared>,
    Extension(ZendeskUser(user)): Extension<ZendeskUser>,
    Path(key): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if let Err(e) = enabled(&s) {
        return e;
    }
    let job = &body["job"];
    let action = job["action"].as_str().unwrap_or("");
    if !JOB_ACTIONS.contains(&action) {
        return invalid(format!("action must be one of {}", JOB_ACTIONS.join(", ")));
    }
    let Some(items) = job["items"].as_array() else {
        return invalid("items is required");
    };
    if items.is_empty() || items.len() > MAX_ITEMS {
        return invalid(format!(
            "A job takes 1 to {MAX_ITEMS} items, not {}",
            items.len()
        ));
    }
    let now = s.now();
    let delay = chrono::Duration::milliseconds(s.faults().job_delay_ms as i64);
    let mut st = store(&s);
    run_due(&s, &mut st);
    if !st.objects.contains_key(&key) {
        return not_found("Custom object");
    }
    let pending = st
        .jobs
        .values()
        .filter(|j| matches!(j.status["status"].as_str(), Some("queued" | "working")))
        .count();
    if pending >= MAX_JOBS {
        let mut resp = error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyJobs",
            "Too many jobs",
            format!("At most {MAX_JOBS} jobs may be queued or running"),
        );
        resp.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from(5),
        );
        return resp;
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let status = job_json(
        &s.info.base_url,
        &id,
        "queued",
        items.len(),
        None,
        None,
        None,
    );
    st.jobs.insert(
        id.clone(),
        Job {
            status: status.clone(),
            due: now + delay,
            key,
            action: action.to_string(),
            items: items.clone(),
            user,
        },
    );
    (StatusCode::OK, Json(json!({ "job_status": status }))).into_response()
}

/// Runs a job whose time has come: each item on its own (one may fail, the others go on).
fn run_job(s: &Shared, st: &mut Store, id: &str) {
    let Some(job) = st.jobs.get(id).cloned() else {
        return;
    };
    let faults = s.faults();
    let mut results = Vec::new();
    for (index, item) in job.items.iter().enumerate() {
        let external_id = item["external_id"].as_str();
        let outcome = if s.roll(faults.job_item_failure) {
            Err("Record validation errors".to_string())
        } else {
            match job.action.as_str() {
                "create_or_update_by_external_id" => match external_id {
                    Some(e) => write_record(s, st, &job.key, item, job.user, Some(e))
                        .map_err(|_| "Record validation errors".to_string()),
                    None => Err("external_id is required".to_string()),
                },
                "create" => write_record(s, st, &job.key, item, job.user, None)
                    .map_err(|_| "Record validation errors".to_string()),
                "delete" => match item.as_str() {
                    Some(id) => delete_record(st, &job.key, id)
                        .map(|r| (r, false))
                        .ok_or_else(|| "RecordNotFound".to_string()),
                    None => Err("a delete takes record ids".to_string()),
                },
                _ => Err(format!("{} is not simulated", job.action)),
            }
        };
        let mut result = match outcome {
            Ok((record, _)) if job.action == "delete" => json!({
                "id": record["id"],
                "success": true,
                "status": "Deleted",
                "action": job.action,
            }),
            Ok((record, created)) => json!({
                "id": record["id"],
                "success": true,
                "status": if created { "Created" } else { "Updated" },
                "action": job.action,
            }),
            Err(why) => {
                json!({"success": false, "error": if why == "RecordNotFound" { "RecordNotFound" } else { "RecordInvalid" }, "details": why, "action": job.action})
            }
        };
        if faults.job_results == JobResults::Keyed {
            result["external_id"] = json!(external_id);
            result["index"] = json!(index);
        }
        results.push(result);
    }
    let total = job.items.len();
    let message = format!("Completed at {}", time(s.now()));
    if let Some(j) = st.jobs.get_mut(id) {
        j.status = job_json(
            &s.info.base_url,
            id,
            "completed",
            total,
            Some(total),
            Some(results),
            Some(message),
        );
    }
}

/// Runs every job whose time has come (the account's job queue, advanced on each request so a
/// test's clock decides), and marks the others `working`.
pub(super) fn run_due(s: &Shared, st: &mut Store) {
    let now = s.now();
    let mut due: Vec<(DateTime<Utc>, String)> = Vec::new();
    for (id, j) in st.jobs.iter_mut() {
        if matches!(j.status["status"].as_str(), Some("queued" | "working")) {
            if j.due <= now {
                due.push((j.due, id.clone()));
            } else {
                j.status["status"] = json!("working");
                j.status["progress"] = json!(0);
            }
        }
    }
    due.sort();
    for (_, id) in due {
        run_job(s, st, &id);
    }
}

pub(super) async fn show_job(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let mut st = store(&s);
    run_due(&s, &mut st);
    match st.jobs.get(bare(&id)) {
        Some(job) => Json(json!({ "job_status": job.status })).into_response(),
        None => not_found("Job status"),
    }
}
