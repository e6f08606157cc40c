//! Ticket search: `type:ticket` queries parsed and matched, through `search` (offset pages) and
//! `search/export` (cursor pages); a ticket is found only once indexed.

use super::ticket::ticket_json;
use super::{error, store, Ticket};
use crate::server::Shared;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::HashMap;

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
