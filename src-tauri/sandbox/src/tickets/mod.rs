//! Tickets, their comments, the account's ticket triggers, and the tags of users: what an end
//! user's reply to a campaign becomes in Zendesk (Zendesk messaging makes a ticket of it, and
//! the account's triggers run on it), as the Support API serves them (the shapes of the official
//! spec: `TriggerResponse`, `TicketResponse`, `TicketCommentsResponse`, `TagsByObjectIdResponse`).
//!
//! - Triggers: list (offset pages of at most 100, `active` filter), create, show, update
//!   (conditions and actions replaced together, as Zendesk documents), delete; admins only (an
//!   agent gets 403). Conditions understood: `comment_includes_word` (`includes`, `not_includes`,
//!   `is`, `is_not`: words, or "quoted phrases"), `role` (`is`/`is_not` `end_user`/`agent`),
//!   `update_type` (`Create`/`Change`), `status` (`is`, `is_not`, `less_than`, `greater_than`),
//!   `current_via_id` (`is`/`is_not`); actions: `current_tags` (add), `set_tags`, `remove_tags`,
//!   `status`. Anything else is refused (422) saying which.
//! - Tickets: show, their comments (oldest first), add and remove their tags.
//! - Ticket search (`type:ticket`, `tags:`, `-tags:`, `status:`, `updated>`/`>=`/`<`, `created…`,
//!   `requester:ID`) through `search` and `search/export` (`filter[type]=ticket`), oldest
//!   update first. A ticket is found only once indexed: `ticket_index_delay_ms` after its last
//!   update (Zendesk's index lags).
//! - Users' tags: `PUT`/`DELETE /api/v2/users/{id}/tags` add and remove (kept over the generated
//!   population, and seen by the user search).
//! - `POST /_sandbox/inbound {"from", "text", "channel"}` plays an end user's reply: the ticket of
//!   the user with that number (open, on that channel) gets the comment, or a new ticket is
//!   made, then the account's active triggers run on it as Zendesk runs them.

mod firing;
mod replies;
mod search;
mod tags;
mod ticket;
mod triggers;

pub use replies::demo_replies;
pub(crate) use search::{export, is_ticket_query, search_page};

use crate::server::Shared;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use replies::{inbound, DemoReply};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tags::{
    add_ticket_tags, add_user_tags, remove_ticket_tags, remove_user_tags, ticket_tags, user_tags,
    TagChanges,
};
use ticket::{list_comments, show_ticket};
use triggers::{create_trigger, delete_trigger, list_triggers, show_trigger, update_trigger};

/// A ticket of the store.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub id: u64,
    pub requester_id: u64,
    pub subject: String,
    pub status: String,
    pub tags: BTreeSet<String>,
    /// The via type the ticket came in by (`whatsapp`, `native_messaging`, `mail`…).
    pub channel: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub comments: Vec<Comment>,
}

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: u64,
    pub author_id: u64,
    pub body: String,
    pub public: bool,
    pub channel: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct Trigger {
    id: u64,
    title: String,
    description: String,
    active: bool,
    position: u64,
    conditions: Value,
    actions: Value,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// The tickets, triggers and users' tag changes of an account.
#[derive(Debug, Default)]
pub struct Store {
    next_ticket: u64,
    next_comment: u64,
    next_trigger: u64,
    tickets: BTreeMap<u64, Ticket>,
    triggers: BTreeMap<u64, Trigger>,
    pub user_tags: HashMap<u64, TagChanges>,
    /// Demo replies not played yet.
    pub demo_replies: Vec<DemoReply>,
}

impl Store {
    pub fn with_demo_replies(demo_replies: Vec<DemoReply>) -> Store {
        Store {
            demo_replies,
            ..Store::default()
        }
    }
}

fn ts(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn store(s: &Shared) -> std::sync::MutexGuard<'_, Store> {
    s.tickets.lock().unwrap_or_else(|e| e.into_inner())
}

fn error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "description": description})),
    )
        .into_response()
}

fn invalid(description: impl Into<String>) -> Response {
    let description = description.into();
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({
            "error": "RecordInvalid",
            "description": "Record validation errors",
            "details": {"base": [{"description": description}]}
        })),
    )
        .into_response()
}

fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "RecordNotFound", "Not found")
}

fn admin(s: &Shared, user: u64) -> Result<(), Response> {
    if s.pop.user(user).role == "admin" {
        Ok(())
    } else {
        Err(error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "You do not have access to this page. Please contact the account owner of this help desk for further help.",
        ))
    }
}

pub(crate) fn routes() -> Router<Shared> {
    let mut r = Router::new();
    for (path, handler) in [
        ("/api/v2/triggers", get(list_triggers).post(create_trigger)),
        (
            "/api/v2/triggers/{id}",
            get(show_trigger).put(update_trigger).delete(delete_trigger),
        ),
        ("/api/v2/tickets/{id}", get(show_ticket)),
        ("/api/v2/tickets/{id}/comments", get(list_comments)),
        (
            "/api/v2/tickets/{id}/tags",
            get(ticket_tags)
                .put(add_ticket_tags)
                .delete(remove_ticket_tags),
        ),
        (
            "/api/v2/users/{id}/tags",
            get(user_tags).put(add_user_tags).delete(remove_user_tags),
        ),
    ] {
        // A trailing `{id}` takes `12.json` as it is (the handlers read the id before `.json`).
        r = if path.ends_with('}') {
            r.route(path, handler)
        } else {
            r.route(path, handler.clone())
                .route(&format!("{path}.json"), handler)
        };
    }
    r
}

/// The sandbox's own: plays an end user's reply.
pub(crate) fn sandbox_routes() -> Router<Shared> {
    Router::new().route("/_sandbox/inbound", post(inbound))
}
