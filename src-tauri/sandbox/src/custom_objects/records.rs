//! Custom object records: written (created with unique names and external ids, or upserted by
//! `external_id`) within the size and account limits, shown, deleted.

use super::{bare, enabled, error, invalid, not_found, store, time, Object, Params, Record, Store};
use crate::server::{Shared, ZendeskUser};
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// How a record over [`MAX_RECORD_BYTES`] is refused: the documents say "Each record can be a
/// maximum of 32 KB" and no status, so both readings are served.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TooLarge {
    /// `422 RecordInvalid`, as any record that cannot be written.
    #[default]
    Status422,
    /// `413 Payload Too Large`.
    Status413,
}

/// Zendesk's documented most a record may weigh: 32 KB (its name, external id and fields).
pub const MAX_RECORD_BYTES: usize = 32 * 1024;

pub(super) fn record_json(base: &str, key: &str, r: &Record) -> Value {
    json!({
        "id": r.id,
        "name": r.name,
        "external_id": r.external_id,
        "custom_object_key": key,
        "custom_object_fields": r.fields,
        "created_at": time(r.created_at),
        "updated_at": time(r.updated_at),
        "created_by_user_id": r.created_by.to_string(),
        "updated_by_user_id": r.updated_by.to_string(),
        "url": format!("{base}/api/v2/custom_objects/{key}/records/{}.json", r.id),
    })
}

/// Why a record's fields cannot be written: an unknown key or a value of the wrong type.
fn check_fields(o: &Object, fields: &Map<String, Value>) -> Result<(), String> {
    for (k, v) in fields {
        let Some(f) = o.fields.iter().find(|f| f["key"] == k.as_str()) else {
            return Err(format!("{k} is not a field of this object"));
        };
        let ok = match f["type"].as_str().unwrap_or("") {
            _ if v.is_null() => true,
            "integer" => v.is_i64() || v.is_u64(),
            "decimal" => v.is_number(),
            "checkbox" => v.is_boolean(),
            _ => v.is_string(),
        };
        if !ok {
            return Err(format!("{k} has a value of the wrong type"));
        }
    }
    Ok(())
}

/// Creates a record, or updates the one with the same `external_id` when `upsert` (only the
/// attributes given change). Returns the record and whether it was created.
pub(super) fn write_record(
    s: &Shared,
    st: &mut Store,
    key: &str,
    body: &Value,
    user: u64,
    upsert: Option<&str>,
) -> Result<(Value, bool), Response> {
    let now = s.now();
    let limit = s.faults().record_limit.unwrap_or(1_000_000) as usize;
    let total = st.total_records();
    let id = st.new_id(now);
    let base = s.info.base_url.clone();
    let Some(o) = st.objects.get_mut(key) else {
        return Err(not_found("Custom object"));
    };
    let fields = body["custom_object_fields"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    check_fields(o, &fields).map_err(invalid)?;
    let weight = serde_json::to_string(&json!({
        "name": body["name"], "external_id": body["external_id"], "custom_object_fields": fields,
    }))
    .map_or(0, |t| t.len());
    if weight > MAX_RECORD_BYTES {
        let detail = format!("A record can be at most 32 KB; this one is {weight} bytes");
        return Err(match s.faults().record_too_large {
            TooLarge::Status413 => error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PayloadTooLarge",
                "Payload too large",
                detail,
            ),
            TooLarge::Status422 => invalid(detail),
        });
    }
    let name = body["name"].as_str().map(str::to_string);
    let external_id = upsert
        .map(str::to_string)
        .or_else(|| body["external_id"].as_str().map(str::to_string));
    let staff = s.pop.user(user).id;
    let existing = external_id
        .as_ref()
        .filter(|_| upsert.is_some())
        .and_then(|e| o.by_external.get(e).cloned());
    if let Some(rid) = existing {
        if let Some(n) = &name {
            if o.name_unique && o.by_name.get(n).is_some_and(|x| x != &rid) {
                return Err(invalid(format!("Name {n} has already been taken")));
            }
        }
        let r = o.records.get_mut(&rid).expect("indexed record");
        if let Some(n) = name {
            if let Some(old) = r.name.replace(n.clone()) {
                o.by_name.remove(&old);
            }
            o.by_name.insert(n, rid.clone());
        }
        r.fields.extend(fields);
        r.updated_at = now;
        r.updated_by = staff;
        return Ok((record_json(&base, key, r), false));
    }
    if total >= limit {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "RecordLimitExceeded",
            "Record limit exceeded",
            format!("The account has reached its limit of {limit} custom object records"),
        ));
    }
    if let Some(n) = &name {
        if o.name_unique && o.by_name.contains_key(n) {
            return Err(invalid(format!("Name {n} has already been taken")));
        }
    }
    if let Some(e) = &external_id {
        if o.by_external.contains_key(e) {
            return Err(invalid(format!("External id {e} has already been taken")));
        }
        o.by_external.insert(e.clone(), id.clone());
    }
    if let Some(n) = &name {
        o.by_name.insert(n.clone(), id.clone());
    }
    let r = Record {
        id: id.clone(),
        name,
        external_id,
        fields,
        created_at: now,
        updated_at: now,
        created_by: staff,
        updated_by: staff,
    };
    let json = record_json(&base, key, &r);
    o.records.insert(id, r);
    Ok((json, true))
}

pub(super) async fn create_record(
    State(s): State<Shared>,
    Extension(ZendeskUser(user)): Extension<ZendeskUser>,
    Path(key): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if let Err(e) = enabled(&s) {
        return e;
    }
    let mut st = store(&s);
    match write_record(&s, &mut st, &key, &body["custom_object_record"], user, None) {
        Ok((r, _)) => (
            StatusCode::CREATED,
            Json(json!({"custom_object_record": r})),
        )
            .into_response(),
        Err(e) => e,
    }
}

/// `PATCH …/records?external_id=X`: updates the record with that external id, or creates it.
pub(super) async fn upsert_record(
    State(s): State<Shared>,
    Extension(ZendeskUser(user)): Extension<ZendeskUser>,
    Path(key): Path<String>,
    Query(q): Params,
    Json(body): Json<Value>,
) -> Response {
    if let Err(e) = enabled(&s) {
        return e;
    }
    let Some(external_id) = q.get("external_id").filter(|e| !e.is_empty()) else {
        return invalid("external_id is required");
    };
    let mut st = store(&s);
    match write_record(
        &s,
        &mut st,
        &key,
        &body["custom_object_record"],
        user,
        Some(external_id),
    ) {
        Ok((r, created)) => (
            if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            },
            Json(json!({"custom_object_record": r})),
        )
            .into_response(),
        Err(e) => e,
    }
}

pub(super) async fn show_record(
    State(s): State<Shared>,
    Path((key, id)): Path<(String, String)>,
) -> Response {
    if let Err(e) = enabled(&s) {
        return e;
    }
    let st = store(&s);
    let Some(o) = st.objects.get(&key) else {
        return not_found("Custom object");
    };
    match o.records.get(bare(&id)) {
        Some(r) => Json(json!({"custom_object_record": record_json(&s.info.base_url, &key, r)}))
            .into_response(),
        None => not_found("Custom object record"),
    }
}

/// Deletes a record by id: its id, or None when there is none.
pub(super) fn delete_record(st: &mut Store, key: &str, id: &str) -> Option<Value> {
    let o = st.objects.get_mut(key)?;
    let r = o.records.remove(id)?;
    if let Some(e) = &r.external_id {
        o.by_external.remove(e);
    }
    if let Some(n) = &r.name {
        o.by_name.remove(n);
    }
    Some(json!({"id": r.id}))
}
