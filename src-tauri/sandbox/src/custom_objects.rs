//! Zendesk custom objects, the subset a team store needs, from the Support API spec
//! (`/api/v2/custom_objects…`, `/api/v2/job_statuses/{id}`): object types and their fields
//! (created by admins only), records (create with unique names, upsert by `external_id`, show,
//! list by cursor), bulk jobs of at most 100 records followed through job statuses with per-item
//! results, filtered search with a sort and cursor pages of at most 100 (without a sort, only the
//! first 10,000 records), and the record limit. Every request counts against the account's rate
//! limit like the rest of the Support API (the gate in `server.rs`).
//!
//! Where the documents are loose the sandbox serves each reading, chosen by a fault knob: ties
//! of the sort (records updated in the same second) in id order, reverse id order or shuffled;
//! per-item job results that name the record's `external_id`, or only their position; items that
//! fail; slow jobs; the record limit reached; custom objects not enabled on the account.

use crate::server::{Shared, ZendeskUser};
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

type Params = Query<HashMap<String, String>>;

/// How records whose sort values are equal come out of a sorted search.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TieOrder {
    /// By record id, ascending.
    #[default]
    Id,
    /// By record id, descending.
    IdDesc,
    /// In an order that looks random (fixed per record).
    Shuffled,
}

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

/// The most records a job takes, and a page holds.
pub const MAX_ITEMS: usize = 100;
/// What a search without a sort returns at most.
pub const UNSORTED_CAP: usize = 10_000;
/// Jobs queued or running at once, per account.
pub const MAX_JOBS: usize = 30;

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

#[derive(Debug, Clone)]
struct Job {
    status: Value,
    /// Not before this, the job runs (slow jobs).
    due: DateTime<Utc>,
    key: String,
    action: String,
    items: Vec<Value>,
    user: u64,
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

async fn list_objects(State(s): State<Shared>) -> Response {
    if let Err(e) = enabled(&s) {
        return e;
    }
    let list: Vec<Value> = store(&s).objects.values().map(|o| o.json.clone()).collect();
    Json(json!({ "custom_objects": list })).into_response()
}

async fn show_object(State(s): State<Shared>, Path(key): Path<String>) -> Response {
    if let Err(e) = enabled(&s) {
        return e;
    }
    match store(&s).objects.get(bare(&key)) {
        Some(o) => Json(json!({ "custom_object": o.json })).into_response(),
        None => not_found("Custom object"),
    }
}

async fn create_object(
    State(s): State<Shared>,
    Extension(ZendeskUser(user)): Extension<ZendeskUser>,
    Json(body): Json<Value>,
) -> Response {
    if let Err(e) = enabled(&s).and_then(|_| admin(&s, user)) {
        return e;
    }
    let o = &body["custom_object"];
    let (Some(key), Some(title), Some(plural)) = (
        o["key"].as_str(),
        o["title"].as_str(),
        o["title_pluralized"].as_str(),
    ) else {
        return invalid("key, title and title_pluralized are required");
    };
    let key_ok = !key.is_empty()
        && key.len() <= 32
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !key_ok {
        return invalid("Key can only contain lowercase letters, numbers and underscores");
    }
    let now = s.now();
    let base = s.info.base_url.clone();
    let mut st = store(&s);
    if st.objects.contains_key(key) {
        return invalid(format!("Key {key} has already been taken"));
    }
    let json = json!({
        "key": key,
        "title": title,
        "title_pluralized": plural,
        "raw_title": title,
        "raw_title_pluralized": plural,
        "description": o["description"].as_str().unwrap_or(""),
        "raw_description": o["description"].as_str().unwrap_or(""),
        "include_in_list_view": o["include_in_list_view"].as_bool().unwrap_or(false),
        "allows_photos": false,
        "created_at": time(now),
        "updated_at": time(now),
        "created_by_user_id": s.pop.user(user).id.to_string(),
        "updated_by_user_id": s.pop.user(user).id.to_string(),
        "url": format!("{base}/api/v2/custom_objects/{key}.json"),
    });
    // The standard fields every object has.
    let standard = |k: &str, t: &str, id: u64| {
        json!({"id": id, "key": k, "type": "text", "title": t, "raw_title": t, "description": "", "raw_description": "",
               "position": 0, "active": true, "system": true, "regexp_for_validation": null,
               "created_at": time(now), "updated_at": time(now),
               "url": format!("{base}/api/v2/custom_objects/{key}/fields/{id}.json")})
    };
    let name_unique = o["name_is_unique"].as_bool().unwrap_or(false);
    let mut name = standard("standard::name", "Name", 1);
    name["properties"] = json!({"is_unique": name_unique, "autoincrement_enabled": false});
    st.objects.insert(
        key.to_string(),
        Object {
            json: json.clone(),
            fields: vec![name, standard("standard::external_id", "External id", 2)],
            name_unique,
            ..Object::default()
        },
    );
    (StatusCode::CREATED, Json(json!({ "custom_object": json }))).into_response()
}

async fn list_fields(State(s): State<Shared>, Path(key): Path<String>) -> Response {
    if let Err(e) = enabled(&s) {
        return e;
    }
    match store(&s).objects.get(&key) {
        Some(o) => Json(json!({ "custom_object_fields": o.fields })).into_response(),
        None => not_found("Custom object"),
    }
}

const FIELD_TYPES: [&str; 10] = [
    "checkbox",
    "date",
    "decimal",
    "dropdown",
    "integer",
    "lookup",
    "multiselect",
    "regexp",
    "text",
    "textarea",
];

async fn create_field(
    State(s): State<Shared>,
    Extension(ZendeskUser(user)): Extension<ZendeskUser>,
    Path(key): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if let Err(e) = enabled(&s).and_then(|_| admin(&s, user)) {
        return e;
    }
    let f = &body["custom_object_field"];
    let (Some(fkey), Some(ftype), Some(title)) =
        (f["key"].as_str(), f["type"].as_str(), f["title"].as_str())
    else {
        return invalid("key, type and title are required");
    };
    if !FIELD_TYPES.contains(&ftype) {
        return invalid(format!("Type {ftype} is not a field type"));
    }
    let now = s.now();
    let base = s.info.base_url.clone();
    let mut st = store(&s);
    st.next += 1;
    let id = 1000 + st.next;
    let Some(o) = st.objects.get_mut(&key) else {
        return not_found("Custom object");
    };
    if o.fields.iter().any(|x| x["key"] == fkey) {
        return invalid(format!("Key {fkey} has already been taken"));
    }
    if o.fields.len() >= 100 {
        return invalid("An object has at most 100 fields");
    }
    let field = json!({
        "id": id, "key": fkey, "type": ftype, "title": title, "raw_title": title,
        "description": f["description"].as_str().unwrap_or(""), "raw_description": f["description"].as_str().unwrap_or(""),
        "position": o.fields.len(), "active": true, "system": false, "regexp_for_validation": null,
        "created_at": time(now), "updated_at": time(now),
        "url": format!("{base}/api/v2/custom_objects/{key}/fields/{id}.json"),
    });
    o.fields.push(field.clone());
    (
        StatusCode::CREATED,
        Json(json!({ "custom_object_field": field })),
    )
        .into_response()
}

async fn record_limit(State(s): State<Shared>) -> Response {
    if let Err(e) = enabled(&s) {
        return e;
    }
    let count = store(&s).total_records();
    Json(json!({"count": count, "limit": s.faults().record_limit.unwrap_or(1_000_000)}))
        .into_response()
}

fn record_json(base: &str, key: &str, r: &Record) -> Value {
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
fn write_record(
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

async fn create_record(
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
async fn upsert_record(
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

async fn show_record(State(s): State<Shared>, Path((key, id)): Path<(String, String)>) -> Response {
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

/// The position of a record in a search: the sort value, then the tie-break.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct Position {
    value: String,
    tie: String,
}

fn position(r: &Record, sort: &str, ties: TieOrder) -> Position {
    let value = match sort.trim_start_matches('-') {
        "name" => r.name.clone().unwrap_or_default(),
        "created_at" => time(r.created_at),
        "updated_at" => time(r.updated_at),
        _ => r.id.clone(),
    };
    let tie = match ties {
        TieOrder::Id => r.id.clone(),
        // Reversed by complementing each character of the (fixed-length) id.
        TieOrder::IdDesc => r.id.bytes().map(|b| (255 - b) as char).collect(),
        TieOrder::Shuffled => {
            let mut h: u64 = 0xcbf29ce484222325;
            for b in r.id.bytes() {
                h = (h ^ b as u64).wrapping_mul(0x100000001b3);
            }
            format!("{h:016x}")
        }
    };
    Position { value, tie }
}

fn compare(a: &Value, op: &str, b: &Value) -> bool {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match op {
        "$eq" => text(a) == text(b),
        "$noteq" => text(a) != text(b),
        "$in" => b
            .as_array()
            .is_some_and(|l| l.iter().any(|x| text(x) == text(a))),
        "$exists" => a.is_null() != b.as_bool().unwrap_or(true),
        "$gt" | "$gte" | "$lt" | "$lte" => {
            if a.is_null() {
                return false;
            }
            let ord = match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
                _ => text(a).cmp(&text(b)),
            };
            match op {
                "$gt" => ord.is_gt(),
                "$gte" => ord.is_ge(),
                "$lt" => ord.is_lt(),
                _ => ord.is_le(),
            }
        }
        _ => false,
    }
}

/// Whether a record matches a filter (`{ATTRIBUTE: {OP: VALUE}}`, `$and`, `$or`).
fn matches(r: &Record, filter: &Value) -> Result<bool, String> {
    let Some(obj) = filter.as_object() else {
        return Err("the filter must be an object".into());
    };
    for (k, cond) in obj {
        let ok = match k.as_str() {
            "$and" | "$or" => {
                let list = cond.as_array().ok_or(format!("{k} takes an array"))?;
                let mut results = list.iter().map(|f| matches(r, f));
                if k == "$and" {
                    results.try_fold(true, |acc, x| x.map(|x| acc && x))?
                } else {
                    results.try_fold(false, |acc, x| x.map(|x| acc || x))?
                }
            }
            attr => {
                let value = match attr {
                    "name" => json!(r.name),
                    "external_id" => json!(r.external_id),
                    "created_at" => json!(time(r.created_at)),
                    "updated_at" => json!(time(r.updated_at)),
                    "created_by_user" => json!(r.created_by.to_string()),
                    "updated_by_user" => json!(r.updated_by.to_string()),
                    other => match other.strip_prefix("custom_object_fields.") {
                        Some(f) => r.fields.get(f).cloned().unwrap_or(Value::Null),
                        None => return Err(format!("{other} cannot be filtered on")),
                    },
                };
                let ops = cond
                    .as_object()
                    .ok_or(format!("{attr} takes a comparison object"))?;
                let mut all = true;
                for (op, v) in ops {
                    if ![
                        "$eq", "$noteq", "$in", "$exists", "$gt", "$gte", "$lt", "$lte",
                    ]
                    .contains(&op.as_str())
                    {
                        return Err(format!("{op} is not a supported operator"));
                    }
                    all &= compare(&value, op, v);
                }
                all
            }
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

fn encode_cursor(p: &Position) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(p).unwrap_or_default())
}

fn decode_cursor(c: &str) -> Option<Position> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// One page of the records matching `filter`, in `sort` order (ties per the fault knob), after
/// the cursor. Without a sort, relevance: here the id order, and only the first 10,000.
fn page(
    s: &Shared,
    key: &str,
    q: &HashMap<String, String>,
    filter: Option<&Value>,
    path: &str,
) -> Response {
    if let Err(e) = enabled(s) {
        return e;
    }
    let sort = q.get("sort").cloned().unwrap_or_default();
    if !sort.is_empty()
        && !["name", "created_at", "updated_at", "id"].contains(&sort.trim_start_matches('-'))
    {
        return invalid(format!(
            "sort must be one of name, created_at, updated_at, not {sort}"
        ));
    }
    let size = match q.get("page[size]").map(|v| v.parse::<usize>()) {
        None => MAX_ITEMS,
        Some(Ok(n)) if (1..=MAX_ITEMS).contains(&n) => n,
        _ => return invalid("page[size] must be between 1 and 100"),
    };
    let after = match q.get("page[after]") {
        None => None,
        Some(c) => match decode_cursor(c) {
            Some(p) => Some(p),
            None => return invalid("page[after] is not a cursor of this search"),
        },
    };
    let external_ids: Option<Vec<&str>> = q.get("filter[external_ids]").map(|l| {
        l.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .collect()
    });
    let ties = s.faults().search_tie_order;
    let mut st = store(s);
    run_due(s, &mut st);
    let Some(o) = st.objects.get(key) else {
        return not_found("Custom object");
    };
    let mut hits: Vec<(Position, &Record)> = Vec::new();
    for r in o.records.values() {
        if let Some(ids) = &external_ids {
            if !r.external_id.as_deref().is_some_and(|e| ids.contains(&e)) {
                continue;
            }
        }
        if let Some(f) = filter {
            match matches(r, f) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(why) => return invalid(why),
            }
        }
        hits.push((
            position(r, if sort.is_empty() { "id" } else { &sort }, ties),
            r,
        ));
    }
    let desc = sort.starts_with('-');
    hits.sort_by(|a, b| if desc { b.0.cmp(&a.0) } else { a.0.cmp(&b.0) });
    if sort.is_empty() {
        hits.truncate(UNSORTED_CAP);
    }
    let count = hits.len();
    let start = match &after {
        None => 0,
        Some(p) => hits
            .iter()
            .position(|(x, _)| if desc { x < p } else { x > p })
            .unwrap_or(count),
    };
    let page: Vec<&(Position, &Record)> = hits.iter().skip(start).take(size).collect();
    let has_more = start + page.len() < count;
    let after_cursor = page
        .last()
        .filter(|_| has_more)
        .map(|(p, _)| encode_cursor(p));
    let base = &s.info.base_url;
    let next = after_cursor.as_ref().map(|c| {
        let mut url = url::Url::parse(&format!("{base}{path}")).expect("base url");
        {
            let mut qp = url.query_pairs_mut();
            for (k, v) in q.iter().filter(|(k, _)| k.as_str() != "page[after]") {
                qp.append_pair(k, v);
            }
            qp.append_pair("page[after]", c);
        }
        url.to_string()
    });
    Json(json!({
        "custom_object_records": page.iter().map(|(_, r)| record_json(base, key, r)).collect::<Vec<_>>(),
        "meta": {"has_more": has_more, "after_cursor": after_cursor, "before_cursor": null},
        "links": {"next": next, "prev": null},
        "count": count,
    }))
    .into_response()
}

async fn list_records(
    State(s): State<Shared>,
    Path(key): Path<String>,
    Query(q): Params,
) -> Response {
    let path = format!("/api/v2/custom_objects/{key}/records");
    page(&s, &key, &q, None, &path)
}

async fn search_records(
    State(s): State<Shared>,
    Path(key): Path<String>,
    Query(q): Params,
) -> Response {
    let path = format!("/api/v2/custom_objects/{key}/records/search");
    page(&s, &key, &q, None, &path)
}

/// `POST …/records/search {"filter": …}`. The next page is asked with the same body.
async fn search_records_filtered(
    State(s): State<Shared>,
    Path(key): Path<String>,
    Query(q): Params,
    Json(body): Json<Value>,
) -> Response {
    let path = format!("/api/v2/custom_objects/{key}/records/search");
    page(&s, &key, &q, body.get("filter"), &path)
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

async fn create_job(
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

/// Deletes a record by id: its id, or None when there is none.
fn delete_record(st: &mut Store, key: &str, id: &str) -> Option<Value> {
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
fn run_due(s: &Shared, st: &mut Store) {
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

async fn show_job(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let mut st = store(&s);
    run_due(&s, &mut st);
    match st.jobs.get(bare(&id)) {
        Some(job) => Json(json!({ "job_status": job.status })).into_response(),
        None => not_found("Job status"),
    }
}
