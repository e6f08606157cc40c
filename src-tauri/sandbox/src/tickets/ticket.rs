//! A ticket and its comments as the API shows them: `GET /api/v2/tickets/{id}` and its comments,
//! oldest first, by offset pages.

use super::{not_found, store, ts, Comment, Ticket};
use crate::server::Shared;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;

fn is_messaging(channel: &str) -> bool {
    !matches!(channel, "mail" | "web_form" | "web_service")
}

pub(super) fn ticket_json(base: &str, t: &Ticket) -> Value {
    json!({
        "id": t.id,
        "url": format!("{base}/api/v2/tickets/{}.json", t.id),
        "subject": t.subject,
        "raw_subject": t.subject,
        "description": t.comments.first().map(|c| c.body.clone()).unwrap_or_default(),
        "status": t.status,
        // `type` and `priority` unset: left out (the spec declares them non-null strings).
        "requester_id": t.requester_id,
        "submitter_id": t.requester_id,
        "tags": t.tags.iter().collect::<Vec<_>>(),
        "via": {"channel": t.channel, "source": {"from": {}, "to": {}, "rel": null}},
        "from_messaging_channel": is_messaging(&t.channel),
        "is_public": true,
        "created_at": ts(&t.created_at),
        "updated_at": ts(&t.updated_at),
    })
}

fn comment_json(c: &Comment) -> Value {
    json!({
        "id": c.id,
        "type": "Comment",
        "author_id": c.author_id,
        "body": c.body,
        "plain_body": c.body,
        "html_body": format!("<div class=\"zd-comment\"><p>{}</p></div>", html_escape(&c.body)),
        "public": c.public,
        "via": {"channel": c.channel, "source": {"from": {}, "to": {}, "rel": null}},
        "created_at": ts(&c.created_at),
        "attachments": [],
        "metadata": {},
    })
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub(super) fn ticket_id(raw: &str) -> Option<u64> {
    raw.trim_end_matches(".json").parse().ok()
}

pub(super) async fn show_ticket(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let Some(id) = ticket_id(&id) else {
        return not_found();
    };
    match store(&s).tickets.get(&id) {
        Some(t) => Json(json!({"ticket": ticket_json(&s.info.base_url, t)})).into_response(),
        None => not_found(),
    }
}

pub(super) async fn list_comments(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(id) = ticket_id(&id) else {
        return not_found();
    };
    let st = store(&s);
    let Some(t) = st.tickets.get(&id) else {
        return not_found();
    };
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
    let mut comments: Vec<&Comment> = t.comments.iter().collect();
    if q.get("sort_order").map(String::as_str) == Some("desc") {
        comments.reverse();
    }
    let items: Vec<Value> = comments
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|c| comment_json(c))
        .collect();
    let next = (page * per_page < comments.len()).then(|| {
        format!(
            "{}/api/v2/tickets/{id}/comments.json?page={}&per_page={per_page}",
            s.info.base_url,
            page + 1
        )
    });
    Json(json!({"comments": items, "count": comments.len(), "next_page": next, "previous_page": null}))
        .into_response()
}
