//! Custom object types and their fields (created by admins only), and the account's record limit.

use super::{admin, bare, enabled, invalid, not_found, store, time, Object};
use crate::server::{Shared, ZendeskUser};
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

pub(super) async fn list_objects(State(s): State<Shared>) -> Response {
    if let Err(e) = enabled(&s) {
        return e;
    }
    let list: Vec<Value> = store(&s).objects.values().map(|o| o.json.clone()).collect();
    Json(json!({ "custom_objects": list })).into_response()
}

pub(super) async fn show_object(State(s): State<Shared>, Path(key): Path<String>) -> Response {
    if let Err(e) = enabled(&s) {
        return e;
    }
    match store(&s).objects.get(bare(&key)) {
        Some(o) => Json(json!({ "custom_object": o.json })).into_response(),
        None => not_found("Custom object"),
    }
}

pub(super) async fn create_object(
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

pub(super) async fn list_fields(State(s): State<Shared>, Path(key): Path<String>) -> Response {
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

pub(super) async fn create_field(
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

pub(super) async fn record_limit(State(s): State<Shared>) -> Response {
    if let Err(e) = enabled(&s) {
        return e;
    }
    let count = store(&s).total_records();
    Json(json!({"count": count, "limit": s.faults().record_limit.unwrap_or(1_000_000)}))
        .into_response()
}
