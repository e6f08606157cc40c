//! The account's ticket triggers through the API: listed, created, shown, updated and deleted
//! (admins only), their conditions and actions checked as Zendesk checks them.

use super::replies::play_demo_replies;
use super::{admin, invalid, not_found, store, ts, Trigger};
use crate::server::{Shared, ZendeskUser};
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

const TRIGGER_BASE: u64 = 360_600_000_000;

fn trigger_json(base: &str, t: &Trigger) -> Value {
    json!({
        "id": t.id,
        "url": format!("{base}/api/v2/triggers/{}.json", t.id),
        "title": t.title,
        "raw_title": t.title,
        "description": t.description,
        "active": t.active,
        "position": t.position,
        "default": false,
        "category_id": "1",
        "conditions": t.conditions,
        "actions": t.actions,
        "created_at": ts(&t.created_at),
        "updated_at": ts(&t.updated_at),
    })
}

const CONDITIONS: &[(&str, &[&str])] = &[
    (
        "comment_includes_word",
        &["includes", "not_includes", "is", "is_not"],
    ),
    ("role", &["is", "is_not"]),
    ("update_type", &["is", "is_not"]),
    ("status", &["is", "is_not", "less_than", "greater_than"]),
    ("current_via_id", &["is", "is_not"]),
];
const ACTIONS: &[&str] = &["current_tags", "set_tags", "remove_tags", "status"];

/// Checks a trigger's conditions and actions as Zendesk does: a known field, a known operator, a
/// value; at least one action.
fn check_trigger(conditions: &Value, actions: &Value) -> Result<(), String> {
    for group in ["all", "any"] {
        let Some(list) = conditions.get(group) else {
            continue;
        };
        if list.is_null() {
            continue;
        }
        let Some(list) = list.as_array() else {
            return Err(format!("Conditions \"{group}\" must be a list"));
        };
        for c in list {
            let field = c["field"].as_str().unwrap_or_default();
            let Some((_, ops)) = CONDITIONS.iter().find(|(f, _)| *f == field) else {
                return Err(format!("Condition field \"{field}\" is not valid"));
            };
            let op = c["operator"].as_str().unwrap_or_default();
            if !ops.contains(&op) {
                return Err(format!(
                    "Condition operator \"{op}\" is not valid for \"{field}\""
                ));
            }
            if c.get("value").is_none_or(Value::is_null) {
                return Err(format!("Condition \"{field}\" needs a value"));
            }
        }
    }
    let Some(list) = actions.as_array().filter(|a| !a.is_empty()) else {
        return Err("A trigger needs at least one action".into());
    };
    for a in list {
        let field = a["field"].as_str().unwrap_or_default();
        if !ACTIONS.contains(&field) {
            return Err(format!("Action field \"{field}\" is not valid"));
        }
    }
    Ok(())
}

#[derive(Deserialize)]
pub(super) struct TriggerBody {
    trigger: Map<String, Value>,
}

pub(super) async fn list_triggers(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let per_page: usize = q
        .get("per_page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
        .clamp(1, 100);
    let page: usize = q
        .get("page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let active = q.get("active").map(|v| v == "true");
    let st = store(&s);
    let mut all: Vec<&Trigger> = st
        .triggers
        .values()
        .filter(|t| active.is_none_or(|a| t.active == a))
        .collect();
    all.sort_by_key(|t| (t.position, t.id));
    let count = all.len();
    let items: Vec<Value> = all
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|t| trigger_json(&s.info.base_url, t))
        .collect();
    let next = (page * per_page < count).then(|| {
        format!(
            "{}/api/v2/triggers.json?page={}&per_page={per_page}",
            s.info.base_url,
            page + 1
        )
    });
    Json(json!({"triggers": items, "count": count, "next_page": next, "previous_page": null}))
        .into_response()
}

pub(super) async fn create_trigger(
    State(s): State<Shared>,
    Extension(ZendeskUser(user)): Extension<ZendeskUser>,
    Json(body): Json<TriggerBody>,
) -> Response {
    if let Err(e) = admin(&s, user) {
        return e;
    }
    let t = &body.trigger;
    let title = t.get("title").and_then(Value::as_str).unwrap_or_default();
    if title.trim().is_empty() {
        return invalid("Title: cannot be blank");
    }
    let conditions = t.get("conditions").cloned().unwrap_or(json!({}));
    let actions = t.get("actions").cloned().unwrap_or(json!([]));
    if let Err(e) = check_trigger(&conditions, &actions) {
        return invalid(e);
    }
    let now = s.now();
    let created = {
        let mut st = store(&s);
        st.next_trigger += 1;
        let id = TRIGGER_BASE + st.next_trigger;
        let position = t
            .get("position")
            .and_then(Value::as_u64)
            .unwrap_or(st.triggers.len() as u64 + 1);
        let trigger = Trigger {
            id,
            title: title.to_string(),
            description: t
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            active: t.get("active").and_then(Value::as_bool).unwrap_or(true),
            position,
            conditions,
            actions,
            created_at: now,
            updated_at: now,
        };
        st.triggers.insert(id, trigger.clone());
        trigger
    };
    // The demo's replies arrive once a trigger can hear them.
    play_demo_replies(&s);
    (
        StatusCode::CREATED,
        Json(json!({"trigger": trigger_json(&s.info.base_url, &created)})),
    )
        .into_response()
}

pub(super) async fn show_trigger(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.trim_end_matches(".json").parse::<u64>() else {
        return not_found();
    };
    match store(&s).triggers.get(&id) {
        Some(t) => Json(json!({"trigger": trigger_json(&s.info.base_url, t)})).into_response(),
        None => not_found(),
    }
}

pub(super) async fn update_trigger(
    State(s): State<Shared>,
    Extension(ZendeskUser(user)): Extension<ZendeskUser>,
    Path(id): Path<String>,
    Json(body): Json<TriggerBody>,
) -> Response {
    if let Err(e) = admin(&s, user) {
        return e;
    }
    let Ok(id) = id.trim_end_matches(".json").parse::<u64>() else {
        return not_found();
    };
    let now = s.now();
    let mut st = store(&s);
    let Some(t) = st.triggers.get_mut(&id) else {
        return not_found();
    };
    let b = &body.trigger;
    // Conditions and actions are replaced together (Zendesk: "Include all your conditions and
    // actions when updating any condition or action").
    if b.contains_key("conditions") || b.contains_key("actions") {
        let conditions = b.get("conditions").cloned().unwrap_or(json!({}));
        let actions = b.get("actions").cloned().unwrap_or(json!([]));
        if let Err(e) = check_trigger(&conditions, &actions) {
            return invalid(e);
        }
        t.conditions = conditions;
        t.actions = actions;
    }
    if let Some(title) = b.get("title").and_then(Value::as_str) {
        if title.trim().is_empty() {
            return invalid("Title: cannot be blank");
        }
        t.title = title.to_string();
    }
    if let Some(d) = b.get("description").and_then(Value::as_str) {
        t.description = d.to_string();
    }
    if let Some(a) = b.get("active").and_then(Value::as_bool) {
        t.active = a;
    }
    t.updated_at = now;
    Json(json!({"trigger": trigger_json(&s.info.base_url, t)})).into_response()
}

pub(super) async fn delete_trigger(
    State(s): State<Shared>,
    Extension(ZendeskUser(user)): Extension<ZendeskUser>,
    Path(id): Path<String>,
) -> Response {
    if let Err(e) = admin(&s, user) {
        return e;
    }
    let Ok(id) = id.trim_end_matches(".json").parse::<u64>() else {
        return not_found();
    };
    match store(&s).triggers.remove(&id) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_and_actions_are_checked() {
        assert!(check_trigger(
            &json!({"all": [{"field": "comment_includes_word", "operator": "includes", "value": "stop"}]}),
            &json!([{"field": "current_tags", "value": "x"}])
        )
        .is_ok());
        assert!(check_trigger(
            &json!({"all": [{"field": "colour", "operator": "is", "value": "x"}]}),
            &json!([{"field": "current_tags", "value": "x"}])
        )
        .unwrap_err()
        .contains("colour"));
        assert!(check_trigger(&json!({}), &json!([])).is_err());
        assert!(check_trigger(
            &json!({"all": [{"field": "role", "operator": "includes", "value": "end_user"}]}),
            &json!([{"field": "current_tags", "value": "x"}])
        )
        .is_err());
    }
}
