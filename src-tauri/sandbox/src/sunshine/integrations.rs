//! The app's integrations (v2): the seeded channels, listed by cursor pages and shown one by one.

use super::v1_error;
use crate::server::{error_for, Shared};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

/// The seeded integrations: (id, type, display name, type-specific fields).
fn integrations() -> Vec<Value> {
    vec![
        json!({"id": "5f1e0c3a9b8d7e6f5a4b3c31", "type": "whatsapp", "status": "active", "displayName": "WhatsApp Support",
               "phoneNumber": "15145550100", "hsmFallbackLanguage": "en_US", "accountId": "104996325698741"}),
        json!({"id": "5f1e0c3a9b8d7e6f5a4b3c32", "type": "whatsapp", "status": "active", "displayName": "WhatsApp Marketing",
               "phoneNumber": "33757000123", "hsmFallbackLanguage": "fr", "accountId": "104996325698742"}),
        json!({"id": "5f1e0c3a9b8d7e6f5a4b3c33", "type": "twilio", "status": "active", "displayName": "Twilio SMS",
               "accountSid": "AC0123456789abcdef0123456789abcdef", "phoneNumberSid": "PN0123456789abcdef0123456789abcdef"}),
        json!({"id": "5f1e0c3a9b8d7e6f5a4b3c34", "type": "messagebird", "status": "active", "displayName": "MessageBird SMS",
               "originator": "RelayDemo"}),
        json!({"id": "5f1e0c3a9b8d7e6f5a4b3c35", "type": "web", "status": "active", "displayName": "Web Widget"}),
        json!({"id": "5f1e0c3a9b8d7e6f5a4b3c36", "type": "android", "status": "inactive", "displayName": "Android SDK"}),
    ]
}

pub(super) fn integration(id: &str) -> Option<Value> {
    integrations().into_iter().find(|i| i["id"] == id)
}

pub(super) async fn list_integrations(
    State(s): State<Shared>,
    Path(app): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/sc/v2/apps/{app}/integrations");
    let size: usize = match q.get("page[size]").map(|v| v.parse::<usize>()) {
        None => 25,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        _ => {
            return error_for(
                &path,
                StatusCode::BAD_REQUEST,
                "bad_request",
                "Invalid query parameters",
            )
        }
    };
    if q.contains_key("page[after]") && q.contains_key("page[before]") {
        return error_for(
            &path,
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Invalid query parameters",
        );
    }
    let types: Option<BTreeSet<String>> = q.get("filter[types]").map(|t| {
        t.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    });
    let all: Vec<Value> = integrations()
        .into_iter()
        .filter(|i| {
            types
                .as_ref()
                .is_none_or(|t| t.contains(i["type"].as_str().unwrap_or_default()))
        })
        .collect();
    let start = match q.get("page[after]") {
        Some(after) => match all.iter().position(|i| i["id"] == after.as_str()) {
            Some(p) => p + 1,
            None => {
                return error_for(
                    &path,
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "Invalid query parameters",
                )
            }
        },
        None => 0,
    };
    let page: Vec<Value> = all.iter().skip(start).take(size).cloned().collect();
    let has_more = start + page.len() < all.len();
    let after = page.last().map(|i| i["id"].clone()).unwrap_or(Value::Null);
    let before = page.first().map(|i| i["id"].clone()).unwrap_or(Value::Null);
    let base = format!("{}{path}", s.info.base_url);
    let mut filter = String::new();
    if let Some(t) = q.get("filter[types]") {
        filter = format!("&filter[types]={t}");
    }
    // The v2 spec: cursors and links are "not specified" when there is no such page.
    let mut meta = json!({ "hasMore": has_more });
    let mut links = json!({});
    if has_more {
        meta["afterCursor"] = after.clone();
        links["next"] = json!(format!(
            "{base}?page[size]={size}&page[after]={}{filter}",
            after.as_str().unwrap_or_default()
        ));
    }
    if start > 0 {
        meta["beforeCursor"] = before.clone();
        links["prev"] = json!(format!(
            "{base}?page[size]={size}&page[before]={}{filter}",
            before.as_str().unwrap_or_default()
        ));
    }
    Json(json!({ "integrations": page, "meta": meta, "links": links })).into_response()
}

pub(super) async fn get_integration(Path((app, id)): Path<(String, String)>) -> Response {
    match integration(&id) {
        Some(i) => Json(json!({ "integration": i })).into_response(),
        None => error_for(
            &format!("/sc/v2/apps/{app}"),
            StatusCode::NOT_FOUND,
            "integration_not_found",
            "Integration not found",
        ),
    }
}

pub(super) fn whatsapp_integration(id: &str) -> Result<Value, Response> {
    match integration(id) {
        Some(i) if i["type"] == "whatsapp" => Ok(i),
        Some(_) => Err(v1_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Message templates exist only on WhatsApp integrations",
        )),
        None => Err(v1_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "Integration not found",
        )),
    }
}
