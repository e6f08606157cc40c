//! The Zendesk Support API subset: current user, groups, memberships, user fields, search
//! (count, offset pages, cursor export), users with identities.

use crate::data::{self, SeedUser, GROUPS, GROUP_BASE, MEMBERSHIPS};
use crate::search;
use crate::server::{Shared, ZendeskUser};
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};
use std::collections::HashMap;

type Params = Query<HashMap<String, String>>;

pub(crate) fn routes() -> Router<Shared> {
    let mut r = Router::new();
    // Zendesk serves every endpoint with and without the `.json` suffix.
    for (path, handler) in [
        ("/api/v2/users/me", get(me)),
        ("/api/v2/groups", get(groups)),
        ("/api/v2/group_memberships", get(memberships)),
        ("/api/v2/user_fields", get(user_fields)),
        ("/api/v2/search/count", get(search_count)),
        ("/api/v2/search", get(search_page)),
        ("/api/v2/search/export", get(search_export)),
        ("/api/v2/users/show_many", get(show_many)),
    ] {
        r = r
            .route(path, handler.clone())
            .route(&format!("{path}.json"), handler);
    }
    r.route("/api/v2/users/{id}/identities", get(identities))
        .route("/api/v2/users/{id}/identities.json", get(identities))
        .route("/api/v2/users/{id}", get(show_user))
}

fn invalid(status: StatusCode, description: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"error": "invalid", "description": description.into()})),
    )
        .into_response()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": "RecordNotFound", "description": "Not found"})),
    )
        .into_response()
}

async fn me(
    State(s): State<Shared>,
    Extension(ZendeskUser(index)): Extension<ZendeskUser>,
) -> Json<Value> {
    let mut user = s.user(index).to_json(&s.info.base_url);
    user["authenticity_token"] = json!("sandbox-authenticity-token");
    Json(json!({ "user": user }))
}

fn group_json(base: &str, i: usize) -> Value {
    let (name, description) = GROUPS[i];
    let id = GROUP_BASE + i as u64;
    json!({
        "id": id, "url": format!("{base}/api/v2/groups/{id}.json"), "name": name,
        "description": description, "default": i == 0, "deleted": false, "is_public": true,
        "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z",
    })
}

async fn groups(State(s): State<Shared>) -> Json<Value> {
    let list: Vec<Value> = (0..GROUPS.len())
        .map(|i| group_json(&s.info.base_url, i))
        .collect();
    Json(json!({"groups": list, "next_page": null, "previous_page": null, "count": GROUPS.len()}))
}

async fn memberships(State(s): State<Shared>, Query(q): Params) -> Response {
    let user_filter = match q.get("user_id").map(|v| v.parse::<u64>()) {
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => return invalid(StatusCode::BAD_REQUEST, "user_id must be a number"),
        None => None,
    };
    let list: Vec<Value> = MEMBERSHIPS
        .iter()
        .enumerate()
        .filter(|(_, (u, _))| user_filter.is_none_or(|id| s.pop.id_of(*u) == id))
        .map(|(n, (u, g))| {
            let id = 360_500_000_000 + n as u64;
            json!({
                "id": id, "url": format!("{}/api/v2/group_memberships/{id}.json", s.info.base_url),
                "user_id": s.pop.id_of(*u), "group_id": GROUP_BASE + g, "default": n == 0 || *g == 0,
                "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z",
            })
        })
        .collect();
    let count = list.len();
    Json(json!({"group_memberships": list, "next_page": null, "previous_page": null, "count": count})).into_response()
}

async fn user_fields(State(s): State<Shared>) -> Json<Value> {
    let list = data::user_fields(&s.info.base_url);
    let count = list.len();
    Json(json!({"user_fields": list, "next_page": null, "previous_page": null, "count": count}))
}

fn parse_query(s: &Shared, q: &HashMap<String, String>) -> Result<search::Query, Response> {
    let text = q.get("query").map(String::as_str).unwrap_or_default();
    if text.trim().is_empty() {
        return Err(invalid(
            StatusCode::BAD_REQUEST,
            "Invalid search: the query parameter is required.",
        ));
    }
    search::parse(text, s.now()).map_err(|e| invalid(StatusCode::BAD_REQUEST, e))
}

/// Counts the users matching a query (cached per query: counting scans every user).
fn count_matches(s: &Shared, text: &str, query: &search::Query) -> u64 {
    if let Some(n) = s
        .count_cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(text)
    {
        return *n;
    }
    let n = (0..s.pop.count)
        .filter(|i| query.matches(&s.user(*i)))
        .count() as u64;
    s.count_cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(text.to_string(), n);
    n
}

async fn search_count(State(s): State<Shared>, Query(q): Params) -> Response {
    let query = match parse_query(&s, &q) {
        Ok(query) => query,
        Err(resp) => return resp,
    };
    let text = q.get("query").cloned().unwrap_or_default();
    let n = tokio::task::spawn_blocking(move || count_matches(&s, &text, &query))
        .await
        .unwrap_or(0);
    Json(json!({ "count": n })).into_response()
}

fn result(u: &SeedUser, base: &str) -> Value {
    let mut v = u.to_json(base);
    v["result_type"] = json!("user");
    v
}

fn encode_query(q: &HashMap<String, String>, overrides: &[(&str, String)]) -> String {
    let mut pairs: Vec<(&str, &str)> = q.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    pairs.retain(|(k, _)| !overrides.iter().any(|(o, _)| o == k));
    pairs.extend(overrides.iter().map(|(k, v)| (*k, v.as_str())));
    pairs.sort();
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// `GET /api/v2/search.json`: offset pages of at most 100, and at most 1,000 results in all.
async fn search_page(State(s): State<Shared>, Query(q): Params) -> Response {
    if crate::tickets::is_ticket_query(q.get("query").map(String::as_str).unwrap_or_default()) {
        return crate::tickets::search_page(&s, &q);
    }
    let query = match parse_query(&s, &q) {
        Ok(query) => query,
        Err(resp) => return resp,
    };
    if q.contains_key("page[size]") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"title": "Invalid attribute", "message": "You passed an invalid value for the page attribute. Invalid parameter: page must be an integer from api/v2/search/index"}})),
        )
            .into_response();
    }
    let page: u64 = q
        .get("page")
        .and_then(|p| p.parse().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let per_page: u64 = q
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(100)
        .clamp(1, 100);
    if page * per_page > 1000 {
        return invalid(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid search: Requested response size was greater than Search Response Limits",
        );
    }
    let text = q.get("query").cloned().unwrap_or_default();
    let base = s.info.base_url.clone();
    let q2 = q.clone();
    tokio::task::spawn_blocking(move || {
        let total = count_matches(&s, &text, &query);
        let skip = (page - 1) * per_page;
        let results: Vec<Value> = (0..s.pop.count)
            .map(|i| s.user(i))
            .filter(|u| query.matches(u))
            .skip(skip as usize)
            .take(per_page as usize)
            .map(|u| result(&u, &base))
            .collect();
        let next = (skip + per_page < total.min(1000))
            .then(|| format!("{base}/api/v2/search.json?{}", encode_query(&q2, &[("page", (page + 1).to_string())])));
        let prev = (page > 1).then(|| format!("{base}/api/v2/search.json?{}", encode_query(&q2, &[("page", (page - 1).to_string())])));
        Json(json!({"results": results, "facets": null, "next_page": next, "previous_page": prev, "count": total})).into_response()
    })
    .await
    .unwrap_or_else(|_| invalid(StatusCode::INTERNAL_SERVER_ERROR, "search failed"))
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Cursor {
    /// Next user index to scan.
    p: u64,
    /// Hash of the query it belongs to.
    h: u64,
    /// Issued at (ms since epoch).
    t: i64,
}

fn hash(text: &str) -> u64 {
    // FNV-1a: stable across runs, enough to bind a cursor to its query.
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

/// `GET /api/v2/search/export`: cursor pages of up to 1,000 users, by created_at oldest first,
/// newest first, or in no order (`Faults::export_order`).
async fn search_export(State(s): State<Shared>, Query(q): Params) -> Response {
    match q.get("filter[type]").map(String::as_str) {
        Some("user") => {}
        Some(other) if ["ticket", "organization", "group"].contains(&other) => {}
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "InvalidPaginationParameter", "description": "filter[type] is required: one of ticket, organization, user, group"})),
            )
                .into_response()
        }
    }
    if q.get("filter[type]").map(String::as_str) == Some("ticket") {
        return crate::tickets::export(&s, &q);
    }
    let query = match parse_query(&s, &q) {
        Ok(query) => query,
        Err(resp) => return resp,
    };
    if query.result_type.is_some() {
        return invalid(
            StatusCode::BAD_REQUEST,
            "Invalid search: searches with type in the query string are not supported by the export endpoint; use filter[type].",
        );
    }
    let size: u64 = match q.get("page[size]").map(|v| v.parse::<u64>()) {
        None => 100,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        _ => {
            return invalid(
                StatusCode::BAD_REQUEST,
                "page[size] must be a number from 1 to 1000",
            )
        }
    };
    let text = q.get("query").cloned().unwrap_or_default();
    let qhash = hash(&text);
    let now = s.now();
    let start = match q.get("page[after]") {
        None => 0,
        Some(c) => {
            let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|b| serde_json::from_slice::<Cursor>(&b).ok());
            match cursor {
                Some(cur) if cur.h == qhash => {
                    if now.timestamp_millis() - cur.t > s.cursor_ttl.num_milliseconds() {
                        return (
                            StatusCode::BAD_REQUEST,
                            Json(json!({"errors": [{"code": "InvalidPaginationParameter", "title": "Invalid pagination parameter", "detail": "The cursor has expired. Restart the export from the first page."}]})),
                        )
                            .into_response();
                    }
                    cur.p
                }
                _ => {
                    return (
                        StatusCode::BAD_REQUEST,
                        Json(json!({"errors": [{"code": "InvalidPaginationParameter", "title": "Invalid pagination parameter", "detail": "page[after] is not a cursor of this search."}]})),
                    )
                        .into_response()
                }
            }
        }
    };
    if q.get("filter[type]").map(String::as_str) != Some("user") {
        // Only users are seeded: other types export nothing.
        return Json(json!({"results": [], "facets": null, "meta": {"has_more": false, "after_cursor": null, "before_cursor": null}, "links": {"next": null, "prev": null}})).into_response();
    }
    let base = s.info.base_url.clone();
    let order = s.faults().export_order;
    let missing = s.faults().export_missing;
    tokio::task::spawn_blocking(move || {
        let mut results = Vec::with_capacity(size as usize);
        // `i` is a position in the export's order; the cursor carries it.
        let mut i = start;
        while i < s.pop.count && (results.len() as u64) < size {
            let u = s.user(order.index(i, s.pop.count));
            if query.matches(&u) && !lagging(u.id, missing) {
                results.push(result(&u, &base));
            }
            i += 1;
        }
        // Like Zendesk, has_more can be true on a page that turns out to be the last one.
        let has_more = i < s.pop.count;
        let cursor = has_more.then(|| {
            let c = Cursor {
                p: i,
                h: qhash,
                t: now.timestamp_millis(),
            };
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(serde_json::to_vec(&c).unwrap_or_default())
        });
        let next = cursor.as_ref().map(|c| {
            format!(
                "{base}/api/v2/search/export.json?{}",
                encode_query(
                    &q,
                    &[("page[after]", c.clone()), ("page[size]", size.to_string())]
                )
            )
        });
        let mut body = json!({
            "facets": null,
            "meta": {"has_more": has_more, "after_cursor": cursor, "before_cursor": null},
            "links": {"next": next, "prev": null},
        });
        // Moved in, not through json! (which would copy every user once more).
        body["results"] = Value::Array(results);
        Json(body).into_response()
    })
    .await
    .unwrap_or_else(|_| invalid(StatusCode::INTERNAL_SERVER_ERROR, "export failed"))
}

/// Whether the export leaves this user out (not indexed yet), for a share `missing` of users.
fn lagging(id: u64, missing: f64) -> bool {
    missing > 0.0 && (hash(&id.to_string()) % 10_000) < (missing * 10_000.0) as u64
}

fn user_by_id(s: &Shared, id: &str) -> Option<SeedUser> {
    let id = id.trim_end_matches(".json").parse::<u64>().ok()?;
    s.pop.index_of(id).map(|i| s.user(i))
}

async fn show_user(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    match user_by_id(&s, &id) {
        Some(u) => Json(json!({"user": u.to_json(&s.info.base_url)})).into_response(),
        None => not_found(),
    }
}

async fn identities(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    match user_by_id(&s, &id) {
        Some(u) => {
            let list = u.identities(&s.info.base_url);
            let count = list.len();
            Json(json!({"identities": list, "next_page": null, "previous_page": null, "count": count})).into_response()
        }
        None => not_found(),
    }
}

/// `GET /api/v2/users/show_many?ids=1,2&include=identities` (at most 100 ids).
async fn show_many(State(s): State<Shared>, Query(q): Params) -> Response {
    let Some(ids) = q.get("ids") else {
        return invalid(
            StatusCode::BAD_REQUEST,
            "ids is required (comma-separated user ids)",
        );
    };
    let ids: Vec<&str> = ids
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .collect();
    if ids.len() > 100 {
        return invalid(StatusCode::BAD_REQUEST, "show_many accepts at most 100 ids");
    }
    let users: Vec<SeedUser> = ids.iter().filter_map(|id| user_by_id(&s, id)).collect();
    let with_identities = q
        .get("include")
        .is_some_and(|i| i.split(',').any(|x| x == "identities"));
    let base = &s.info.base_url;
    let mut body = json!({
        "users": users.iter().map(|u| u.to_json(base)).collect::<Vec<_>>(),
        "next_page": null, "previous_page": null, "count": users.len(),
    });
    if with_identities {
        body["identities"] = Value::Array(users.iter().flat_map(|u| u.identities(base)).collect());
    }
    Json(body).into_response()
}
