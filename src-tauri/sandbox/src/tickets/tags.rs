//! Tags added to and removed from tickets and users (a user's changes kept over the generated
//! population, and seen by the user search).

use super::ticket::ticket_id;
use super::{invalid, not_found, store};
use crate::server::Shared;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeSet;

/// The tags added to and removed from a generated user.
#[derive(Debug, Clone, Default)]
pub struct TagChanges {
    pub added: BTreeSet<String>,
    pub removed: BTreeSet<String>,
}

impl TagChanges {
    /// A user's tags with the changes applied.
    pub fn apply(&self, tags: &mut Vec<String>) {
        tags.retain(|t| !self.removed.contains(t));
        for t in &self.added {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
    }
}

#[derive(Deserialize, Default)]
pub(super) struct TagsBody {
    #[serde(default)]
    tags: Vec<String>,
}

fn body_tags(body: Option<Json<TagsBody>>) -> Result<Vec<String>, Response> {
    let tags: Vec<String> = body
        .map(|Json(b)| b.tags)
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    if tags.is_empty() {
        return Err(invalid("Tags: cannot be blank"));
    }
    Ok(tags)
}

pub(super) async fn ticket_tags(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let Some(id) = ticket_id(&id) else {
        return not_found();
    };
    match store(&s).tickets.get(&id) {
        Some(t) => Json(json!({"tags": t.tags.iter().collect::<Vec<_>>()})).into_response(),
        None => not_found(),
    }
}

pub(super) async fn add_ticket_tags(
    State(s): State<Shared>,
    Path(id): Path<String>,
    body: Option<Json<TagsBody>>,
) -> Response {
    change_ticket_tags(&s, &id, body, true)
}

pub(super) async fn remove_ticket_tags(
    State(s): State<Shared>,
    Path(id): Path<String>,
    body: Option<Json<TagsBody>>,
) -> Response {
    change_ticket_tags(&s, &id, body, false)
}

fn change_ticket_tags(s: &Shared, id: &str, body: Option<Json<TagsBody>>, add: bool) -> Response {
    let Some(id) = ticket_id(id) else {
        return not_found();
    };
    let tags = match body_tags(body) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let now = s.now();
    let mut st = store(s);
    let Some(t) = st.tickets.get_mut(&id) else {
        return not_found();
    };
    for tag in tags {
        if add {
            t.tags.insert(tag);
        } else {
            t.tags.remove(&tag);
        }
    }
    t.updated_at = now;
    if add {
        Json(json!({"tags": t.tags.iter().collect::<Vec<_>>()})).into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    }
}

fn user_index(s: &Shared, id: &str) -> Option<u64> {
    s.pop.index_of(id.trim_end_matches(".json").parse().ok()?)
}

pub(super) async fn user_tags(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    match user_index(&s, &id) {
        Some(i) => Json(json!({"tags": s.user(i).tags})).into_response(),
        None => not_found(),
    }
}

pub(super) async fn add_user_tags(
    State(s): State<Shared>,
    Path(id): Path<String>,
    body: Option<Json<TagsBody>>,
) -> Response {
    change_user_tags(&s, &id, body, true)
}

pub(super) async fn remove_user_tags(
    State(s): State<Shared>,
    Path(id): Path<String>,
    body: Option<Json<TagsBody>>,
) -> Response {
    change_user_tags(&s, &id, body, false)
}

fn change_user_tags(s: &Shared, id: &str, body: Option<Json<TagsBody>>, add: bool) -> Response {
    let Some(index) = user_index(s, id) else {
        return not_found();
    };
    let tags = match body_tags(body) {
        Ok(t) => t,
        Err(e) => return e,
    };
    {
        let mut st = store(s);
        let changes = st.user_tags.entry(s.pop.id_of(index)).or_default();
        for tag in tags {
            if add {
                changes.removed.remove(&tag);
                changes.added.insert(tag);
            } else {
                changes.added.remove(&tag);
                changes.removed.insert(tag);
            }
        }
    }
    s.tags_changed();
    if add {
        Json(json!({"tags": s.user(index).tags})).into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    }
}
