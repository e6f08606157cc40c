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

use crate::server::{Shared, ZendeskUser};
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

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

/// A reply the demo account has received, played once an active trigger can hear it.
#[derive(Debug, Clone)]
pub struct DemoReply {
    pub user_index: u64,
    pub text: &'static str,
    pub channel: &'static str,
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

const TICKET_BASE: u64 = 4_000;
const COMMENT_BASE: u64 = 360_700_000_000;
const TRIGGER_BASE: u64 = 360_600_000_000;

/// Via ids of the channels replies come in by (the via types reference).
fn via_id(channel: &str) -> i64 {
    match channel {
        "mail" => 4,
        "web_service" => 5,
        _ => 55,
    }
}

fn is_messaging(channel: &str) -> bool {
    !matches!(channel, "mail" | "web_form" | "web_service")
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

// ---- Triggers ----

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
struct TriggerBody {
    trigger: Map<String, Value>,
}

async fn list_triggers(
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

async fn create_trigger(
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

async fn show_trigger(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.trim_end_matches(".json").parse::<u64>() else {
        return not_found();
    };
    match store(&s).triggers.get(&id) {
        Some(t) => Json(json!({"trigger": trigger_json(&s.info.base_url, t)})).into_response(),
        None => not_found(),
    }
}

async fn update_trigger(
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

async fn delete_trigger(
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

/// The words of a `comment_includes_word` value: words, and "quoted phrases".
fn words_of(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in value.chars() {
        match c {
            '"' => {
                if !cur.trim().is_empty() {
                    out.push(cur.trim().to_lowercase());
                }
                cur.clear();
                quoted = !quoted;
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(cur.to_lowercase());
                }
                cur.clear();
            }
            c => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_lowercase());
    }
    out
}

/// Whether a comment holds a word (or phrase) as Zendesk's "contains at least one of the
/// following words" matches it: whole words, case-insensitive.
fn holds(comment: &str, word: &str) -> bool {
    let norm = |t: &str| -> String {
        t.to_lowercase()
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(" {} ", norm(comment)).contains(&format!(" {} ", norm(word)))
}

/// What a trigger's conditions see of an update.
struct Update<'a> {
    ticket: &'a Ticket,
    comment: &'a str,
    author_is_end_user: bool,
    created: bool,
}

fn status_rank(s: &str) -> u8 {
    match s {
        "new" => 0,
        "open" => 1,
        "pending" => 2,
        "hold" => 3,
        "solved" => 4,
        _ => 5,
    }
}

fn condition_holds(c: &Value, u: &Update) -> bool {
    let field = c["field"].as_str().unwrap_or_default();
    let op = c["operator"].as_str().unwrap_or_default();
    let value = match &c["value"] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    };
    let is = |hit: bool| {
        if op.starts_with("is_not") || op.starts_with("not_") {
            !hit
        } else {
            hit
        }
    };
    match field {
        "comment_includes_word" => match op {
            "includes" | "not_includes" => is(words_of(&value).iter().any(|w| holds(u.comment, w))),
            _ => is(u.comment.to_lowercase().contains(&value.to_lowercase())),
        },
        "role" => is((value == "end_user") == u.author_is_end_user),
        "update_type" => is((value.eq_ignore_ascii_case("create")) == u.created),
        "current_via_id" => is(value == via_id(&u.ticket.channel).to_string()),
        "status" => {
            let (have, want) = (status_rank(&u.ticket.status), status_rank(&value));
            match op {
                "less_than" => have < want,
                "greater_than" => have > want,
                _ => is(have == want),
            }
        }
        _ => false,
    }
}

fn trigger_fires(t: &Trigger, u: &Update) -> bool {
    let list = |k: &str| {
        t.conditions
            .get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (all, any) = (list("all"), list("any"));
    all.iter().all(|c| condition_holds(c, u))
        && (any.is_empty() || any.iter().any(|c| condition_holds(c, u)))
}

fn tag_list(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => s.split_whitespace().map(str::to_lowercase).collect(),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_lowercase)
            .collect(),
        _ => vec![],
    }
}

/// Runs the account's active triggers on an update of ticket `id`, in position order, each
/// once (Zendesk runs the cycle until none fires; these actions never make another fire).
fn run_triggers(st: &mut Store, id: u64, comment: &str, author_is_end_user: bool, created: bool) {
    let mut triggers: Vec<Trigger> = st.triggers.values().filter(|t| t.active).cloned().collect();
    triggers.sort_by_key(|t| (t.position, t.id));
    for t in triggers {
        let Some(ticket) = st.tickets.get(&id) else {
            return;
        };
        let fires = trigger_fires(
            &t,
            &Update {
                ticket,
                comment,
                author_is_end_user,
                created,
            },
        );
        if !fires {
            continue;
        }
        let Some(ticket) = st.tickets.get_mut(&id) else {
            return;
        };
        for a in t.actions.as_array().into_iter().flatten() {
            let value = &a["value"];
            match a["field"].as_str().unwrap_or_default() {
                "current_tags" => ticket.tags.extend(tag_list(value)),
                "set_tags" => ticket.tags = tag_list(value).into_iter().collect(),
                "remove_tags" => {
                    for tag in tag_list(value) {
                        ticket.tags.remove(&tag);
                    }
                }
                "status" => {
                    if let Some(v) = value.as_str() {
                        ticket.status = v.to_string();
                    }
                }
                _ => {}
            }
        }
    }
}

// ---- Tickets ----

fn ticket_json(base: &str, t: &Ticket) -> Value {
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

fn ticket_id(raw: &str) -> Option<u64> {
    raw.trim_end_matches(".json").parse().ok()
}

async fn show_ticket(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let Some(id) = ticket_id(&id) else {
        return not_found();
    };
    match store(&s).tickets.get(&id) {
        Some(t) => Json(json!({"ticket": ticket_json(&s.info.base_url, t)})).into_response(),
        None => not_found(),
    }
}

async fn list_comments(
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

#[derive(Deserialize, Default)]
struct TagsBody {
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

async fn ticket_tags(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let Some(id) = ticket_id(&id) else {
        return not_found();
    };
    match store(&s).tickets.get(&id) {
        Some(t) => Json(json!({"tags": t.tags.iter().collect::<Vec<_>>()})).into_response(),
        None => not_found(),
    }
}

async fn add_ticket_tags(
    State(s): State<Shared>,
    Path(id): Path<String>,
    body: Option<Json<TagsBody>>,
) -> Response {
    change_ticket_tags(&s, &id, body, true)
}

async fn remove_ticket_tags(
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

// ---- Users' tags ----

fn user_index(s: &Shared, id: &str) -> Option<u64> {
    s.pop.index_of(id.trim_end_matches(".json").parse().ok()?)
}

async fn user_tags(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    match user_index(&s, &id) {
        Some(i) => Json(json!({"tags": s.user(i).tags})).into_response(),
        None => not_found(),
    }
}

async fn add_user_tags(
    State(s): State<Shared>,
    Path(id): Path<String>,
    body: Option<Json<TagsBody>>,
) -> Response {
    change_user_tags(&s, &id, body, true)
}

async fn remove_user_tags(
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

// ---- Ticket search ----

/// A ticket query: `type:ticket` and its keywords.
#[derive(Debug)]
pub struct TicketQuery {
    terms: Vec<TicketTerm>,
}

/// One keyword: `[-]key<op>value`, with the value read as a time where the key is one.
#[derive(Debug)]
struct TicketTerm {
    negated: bool,
    key: String,
    op: crate::search::Op,
    value: String,
    date: Option<DateTime<Utc>>,
}

/// Parses a ticket query; Err says why, as Zendesk's search does.
pub fn parse_ticket_query(text: &str, now: DateTime<Utc>) -> Result<TicketQuery, String> {
    use crate::search::Op;
    let mut terms = Vec::new();
    for word in text.split_whitespace() {
        let (negated, body) = match word.strip_prefix('-') {
            Some(rest) if !rest.is_empty() => (true, rest),
            _ => (false, word),
        };
        let Some(pos) = body.find([':', '<', '>']) else {
            return Err(format!(
                "Invalid search: \"{word}\" is not a ticket property."
            ));
        };
        let key = body[..pos].to_ascii_lowercase();
        let rest = &body[pos..];
        let (op, len) = if rest.starts_with("<=") {
            (Op::Le, 2)
        } else if rest.starts_with(">=") {
            (Op::Ge, 2)
        } else if rest.starts_with('<') {
            (Op::Lt, 1)
        } else if rest.starts_with('>') {
            (Op::Gt, 1)
        } else {
            (Op::Eq, 1)
        };
        let value = rest[len..].trim_matches('"').to_string();
        if value.is_empty() {
            return Err(format!("Invalid search: \"{key}\" needs a value."));
        }
        let date = match key.as_str() {
            "type" | "tags" | "status" | "requester" | "via" => None,
            "updated" | "created" => Some(crate::search::parse_date(&value, now)?),
            _ => {
                return Err(format!(
                    "Invalid search: \"{key}\" is not a ticket property."
                ))
            }
        };
        terms.push(TicketTerm {
            negated,
            key,
            op,
            value,
            date,
        });
    }
    Ok(TicketQuery { terms })
}

impl TicketQuery {
    fn matches(&self, t: &Ticket) -> bool {
        use crate::search::Op;
        let mut groups: Vec<(&str, bool)> = Vec::new();
        for TicketTerm {
            negated,
            key,
            op,
            value,
            date,
        } in &self.terms
        {
            let hit = match key.as_str() {
                "type" => value == "ticket",
                "tags" => t.tags.contains(&value.to_lowercase()),
                "status" => t.status == *value,
                "requester" => t.requester_id.to_string() == *value,
                "via" => t.channel == *value,
                _ => {
                    let at = if key == "updated" {
                        t.updated_at
                    } else {
                        t.created_at
                    };
                    let d = date.unwrap_or(at);
                    match op {
                        Op::Eq => at.date_naive() == d.date_naive(),
                        Op::Lt => at < d,
                        Op::Le => at <= d,
                        Op::Gt => at > d,
                        Op::Ge => at >= d,
                    }
                }
            };
            if *negated {
                if hit {
                    return false;
                }
                continue;
            }
            match groups.iter_mut().find(|(k, _)| k == key) {
                Some(g) => g.1 |= hit,
                None => groups.push((key, hit)),
            }
        }
        groups.iter().all(|(_, hit)| *hit)
    }
}

/// Whether a query is for tickets (`type:ticket`).
pub fn is_ticket_query(text: &str) -> bool {
    text.split_whitespace()
        .any(|w| w.eq_ignore_ascii_case("type:ticket"))
}

/// The indexed tickets a query matches, oldest update first, as search results.
pub fn search(s: &Shared, query: &TicketQuery) -> Vec<Value> {
    let now = s.now();
    let delay = chrono::Duration::milliseconds(s.faults().ticket_index_delay_ms as i64);
    let st = store(s);
    let mut found: Vec<&Ticket> = st
        .tickets
        .values()
        .filter(|t| t.updated_at + delay <= now && query.matches(t))
        .collect();
    found.sort_by_key(|t| (t.updated_at, t.id));
    found
        .into_iter()
        .map(|t| {
            let mut v = ticket_json(&s.info.base_url, t);
            v["result_type"] = json!("ticket");
            v
        })
        .collect()
}

/// `search/export` of tickets (`filter[type]=ticket`): cursor pages of `page[size]` (≤ 1,000).
pub(crate) fn export(s: &Shared, q: &HashMap<String, String>) -> Response {
    use base64::Engine;
    let text = q.get("query").cloned().unwrap_or_default();
    if is_ticket_query(&text) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid",
            "Invalid search: searches with type in the query string are not supported by the export endpoint; use filter[type].",
        );
    }
    let query = match parse_ticket_query(&text, s.now()) {
        Ok(q) => q,
        Err(e) => return error(StatusCode::BAD_REQUEST, "invalid", &e),
    };
    let size: usize = match q.get("page[size]").map(|v| v.parse::<usize>()) {
        None => 100,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid",
                "page[size] must be a number from 1 to 1000",
            )
        }
    };
    let start: usize = match q.get("page[after]") {
        None => 0,
        Some(c) => match base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(c)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|t| t.strip_prefix("tickets:").and_then(|n| n.parse().ok()))
        {
            Some(n) => n,
            None => {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"errors": [{"code": "InvalidPaginationParameter", "title": "Invalid pagination parameter", "detail": "page[after] is not a cursor of this search."}]})),
                )
                    .into_response()
            }
        },
    };
    let all = search(s, &query);
    let more = all.len() > start + size;
    let page: Vec<Value> = all.into_iter().skip(start).take(size).collect();
    let cursor = more.then(|| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("tickets:{}", start + size))
    });
    let next = cursor.as_ref().map(|c| {
        let mut u = url::Url::parse(&format!("{}/api/v2/search/export.json", s.info.base_url))
            .expect("the sandbox's own URL");
        u.query_pairs_mut()
            .append_pair("query", &text)
            .append_pair("filter[type]", "ticket")
            .append_pair("page[size]", &size.to_string())
            .append_pair("page[after]", c);
        u.to_string()
    });
    Json(json!({
        "results": page,
        "facets": null,
        "meta": {"has_more": more, "after_cursor": cursor, "before_cursor": null},
        "links": {"next": next, "prev": null},
    }))
    .into_response()
}

/// `search` of tickets (`type:ticket` in the query): offset pages.
pub(crate) fn search_page(s: &Shared, q: &HashMap<String, String>) -> Response {
    let text = q.get("query").cloned().unwrap_or_default();
    let query = match parse_ticket_query(&text, s.now()) {
        Ok(q) => q,
        Err(e) => return error(StatusCode::BAD_REQUEST, "invalid", &e),
    };
    let page: usize = q
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let per_page: usize = q
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(100)
        .clamp(1, 100);
    let all = search(s, &query);
    let count = all.len();
    let results: Vec<Value> = all
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    Json(json!({"results": results, "count": count, "facets": null, "next_page": null, "previous_page": null}))
        .into_response()
}

// ---- Replies ----

#[derive(Deserialize)]
struct Inbound {
    from: String,
    text: String,
    #[serde(default = "default_channel")]
    channel: String,
}

fn default_channel() -> String {
    "whatsapp".into()
}

/// The via type of a reply's channel.
fn via_of(channel: &str) -> Option<&'static str> {
    match channel {
        "whatsapp" => Some("whatsapp"),
        "sms" => Some("native_messaging"),
        "email" => Some("mail"),
        _ => None,
    }
}

async fn inbound(State(s): State<Shared>, Json(b): Json<Inbound>) -> Response {
    let Some(channel) = via_of(&b.channel) else {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidChannel",
            "channel is whatsapp, sms or email",
        );
    };
    if b.text.trim().is_empty() {
        return error(StatusCode::BAD_REQUEST, "InvalidText", "text is empty");
    }
    let Some(index) =
        (0..s.pop.count).find(|i| s.pop.user(*i).e164.as_deref() == Some(b.from.trim()))
    else {
        return error(
            StatusCode::NOT_FOUND,
            "UnknownNumber",
            "No user of the account has this number (E.164, as the user's phone or a phone identity).",
        );
    };
    let ticket = receive(&s, index, &b.text, channel);
    Json(json!({"ticket": ticket})).into_response()
}

/// A reply from user `index` on `channel` (a via type): added to their open ticket of that
/// channel, or a new one; then the triggers run. Returns the ticket.
pub(crate) fn receive(s: &Shared, index: u64, text: &str, channel: &str) -> Value {
    let now = s.now();
    let user_id = s.pop.id_of(index);
    let mut st = store(s);
    st.next_comment += 1;
    let comment = Comment {
        id: COMMENT_BASE + st.next_comment,
        author_id: user_id,
        body: text.to_string(),
        public: true,
        channel: channel.to_string(),
        created_at: now,
    };
    let open = st
        .tickets
        .values()
        .find(|t| t.requester_id == user_id && t.channel == channel && status_rank(&t.status) < 4)
        .map(|t| t.id);
    let (id, created) = match open {
        Some(id) => {
            if let Some(t) = st.tickets.get_mut(&id) {
                t.comments.push(comment);
                t.updated_at = now;
                t.status = "open".into();
            }
            (id, false)
        }
        None => {
            st.next_ticket += 1;
            let id = TICKET_BASE + st.next_ticket;
            let name = s.pop.user(index).name;
            st.tickets.insert(
                id,
                Ticket {
                    id,
                    requester_id: user_id,
                    subject: format!("Conversation with {name}"),
                    status: "new".into(),
                    tags: BTreeSet::new(),
                    channel: channel.to_string(),
                    created_at: now,
                    updated_at: now,
                    comments: vec![comment],
                },
            );
            (id, true)
        }
    };
    run_triggers(&mut st, id, text, true, created);
    st.tickets
        .get(&id)
        .map(|t| ticket_json(&s.info.base_url, t))
        .unwrap_or(Value::Null)
}

/// The demo's replies: the first end users with a mobile in E.164 answered a campaign — STOP on
/// WhatsApp, ARRÊT by SMS, WhatsApp's opt-out button, and a reply that only holds the word.
pub fn demo_replies(pop: &crate::data::Population) -> Vec<DemoReply> {
    const REPLIES: [(&str, &str); 4] = [
        ("STOP", "whatsapp"),
        ("Arrêt", "native_messaging"),
        ("Stop promotions", "whatsapp"),
        ("please don't stop the deals, they're great", "whatsapp"),
    ];
    (crate::data::AGENTS + 1..pop.count)
        .filter(|i| pop.phone_kind(*i) == crate::data::PhoneKind::E164)
        .zip(REPLIES)
        .map(|(user_index, (text, channel))| DemoReply {
            user_index,
            text,
            channel,
        })
        .collect()
}

/// Plays the demo's replies, once, when an active trigger exists to hear them.
fn play_demo_replies(s: &Shared) {
    let replies = {
        let mut st = store(s);
        if !st.triggers.values().any(|t| t.active) {
            return;
        }
        std::mem::take(&mut st.demo_replies)
    };
    for r in replies {
        receive(s, r.user_index, r.text, r.channel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_phrases_match_whole_words() {
        assert_eq!(
            words_of("stop arret \"opt out\" baja"),
            vec!["stop", "arret", "opt out", "baja"]
        );
        assert!(holds("Please STOP.", "stop"));
        assert!(holds("I want to opt-out", "opt out"));
        assert!(!holds("unstoppable", "stop"));
    }

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
