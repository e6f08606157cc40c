//! Record search: the records a filter matches, in a sort order (ties per the fault knob), by
//! cursor pages; without a sort, only the first 10,000.

use super::filter::matches;
use super::jobs::run_due;
use super::records::record_json;
use super::{enabled, invalid, not_found, store, time, Params, Record, MAX_ITEMS};
use crate::server::Shared;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;

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

/// What a search without a sort returns at most.
pub const UNSORTED_CAP: usize = 10_000;

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

pub(super) async fn list_records(
    State(s): State<Shared>,
    Path(key): Path<String>,
    Query(q): Params,
) -> Response {
    let path = format!("/api/v2/custom_objects/{key}/records");
    page(&s, &key, &q, None, &path)
}

pub(super) async fn search_records(
    State(s): State<Shared>,
    Path(key): Path<String>,
    Query(q): Params,
) -> Response {
    let path = format!("/api/v2/custom_objects/{key}/records/search");
    page(&s, &key, &q, None, &path)
}

/// `POST …/records/search {"filter": …}`. The next page is asked with the same body.
pub(super) async fn search_records_filtered(
    State(s): State<Shared>,
    Path(key): Path<String>,
    Query(q): Params,
    Json(body): Json<Value>,
) -> Response {
    let path = format!("/api/v2/custom_objects/{key}/records/search");
    page(&s, &key, &q, body.get("filter"), &path)
}
