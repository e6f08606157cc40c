//! Zendesk custom objects (Support API `/api/v2/custom_objects…`, `/api/v2/job_statuses/{id}`):
//! the shared store a team's desktops replicate through. Object types and their fields (created by
//! an admin's credentials), records (a create with a unique name, an upsert by `external_id`),
//! bulk upserts of at most 100 records followed through their job status, a filtered search
//! with a sort, followed by cursor, and the account's record limit.
//!
//! Where the documents are loose the client is right for every reading: a job's per-item
//! results are matched to the items by `external_id` when they carry it, else by `index`, else
//! by position when there is one result per item; an item no result confirms is *unconfirmed*
//! (pushed again: the upsert is idempotent). A sorted search is followed to its end; records that
//! share a sort value may come in any order, so callers merge what they read idempotently.

use super::{Purpose, ZendeskClient};
use crate::error::{AppError, AppResult, ErrorCode};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::time::Duration;

/// The most records a bulk job takes, and a search page holds.
pub const MAX_ITEMS: usize = 100;

/// An object type.
#[derive(Debug, Clone, Deserialize)]
pub struct ObjectType {
    pub key: String,
    #[serde(default)]
    pub title: String,
}

/// A field of an object type, as created.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FieldSpec {
    pub key: String,
    /// `text`, `integer`, `decimal`, `checkbox`, `date`…
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
}

/// A record, as read back.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Record {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub custom_object_fields: Map<String, Value>,
    /// Zendesk's time of the last write (RFC 3339): the order that does not depend on any
    /// desktop's clock.
    pub updated_at: String,
    #[serde(default)]
    pub created_at: String,
}

/// A record to write.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RecordInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub custom_object_fields: Map<String, Value>,
}

/// What became of one item of a bulk job.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemOutcome {
    /// Written: the record's id.
    Written(String),
    /// Refused by Zendesk (its words): pushing it again as it is will not help.
    Failed(String),
    /// No result says what became of it: push it again (the upsert is idempotent).
    Unconfirmed,
}

/// A page of a search.
#[derive(Debug, Clone)]
pub struct RecordPage {
    pub records: Vec<Record>,
    /// The next page's URL, when there is one.
    pub next: Option<String>,
}

/// The account's custom object records: how many, and how many it may hold.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub struct RecordLimit {
    pub count: u64,
    pub limit: u64,
}

/// What creating a record with a unique name gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    Created(Record),
    /// A record of that name exists already: it.
    NameTaken(Record),
}

#[derive(Deserialize)]
struct JobStatus {
    #[serde(default)]
    url: Option<String>,
    id: String,
    status: String,
    #[serde(default)]
    results: Option<Vec<Value>>,
    #[serde(default)]
    message: Option<String>,
}

/// How long a job is followed, and how often: first soon (a job of 100 records is usually done
/// in well under a second), then less often.
const JOB_POLL: [Duration; 4] = [
    Duration::from_millis(100),
    Duration::from_millis(200),
    Duration::from_millis(400),
    Duration::from_millis(800),
];
const JOB_PATIENCE: Duration = Duration::from_secs(120);

impl ZendeskClient {
    fn object_url(&self, key: &str, rest: &str) -> String {
        self.url(&format!("/api/v2/custom_objects/{key}{rest}"))
    }

    /// The account's object types.
    pub async fn object_types(&self) -> AppResult<Vec<ObjectType>> {
        #[derive(Deserialize)]
        struct List {
            custom_objects: Vec<ObjectType>,
        }
        let list: List = self
            .get(&self.url("/api/v2/custom_objects.json"), Purpose::Other)
            .await?;
        Ok(list.custom_objects)
    }

    /// Creates an object type (admins only: an agent gets `forbidden`). `unique_names` makes the
    /// record name unique (what a claim relies on).
    pub async fn create_object_type(
        &self,
        key: &str,
        title: &str,
        title_pluralized: &str,
        description: &str,
        unique_names: bool,
    ) -> AppResult<()> {
        let body = json!({"custom_object": {
            "key": key, "title": title, "title_pluralized": title_pluralized,
            "description": description, "include_in_list_view": false,
            "name_is_unique": unique_names,
        }});
        let _: Value = self
            .call(
                Method::POST,
                &self.url("/api/v2/custom_objects.json"),
                Some(&body),
                Purpose::Record,
            )
            .await?;
        Ok(())
    }

    /// The fields of an object type.
    pub async fn object_fields(&self, key: &str) -> AppResult<Vec<FieldSpec>> {
        #[derive(Deserialize)]
        struct List {
            custom_object_fields: Vec<FieldSpec>,
        }
        let list: List = self
            .get(&self.object_url(key, "/fields.json"), Purpose::Other)
            .await?;
        Ok(list.custom_object_fields)
    }

    /// Adds a field to an object type (admins only).
    pub async fn create_object_field(&self, key: &str, field: &FieldSpec) -> AppResult<()> {
        let body = json!({ "custom_object_field": field });
        let _: Value = self
            .call(
                Method::POST,
                &self.object_url(key, "/fields.json"),
                Some(&body),
                Purpose::Record,
            )
            .await?;
        Ok(())
    }

    /// How many custom object records the account holds, and may.
    pub async fn record_limit(&self) -> AppResult<RecordLimit> {
        self.get(
            &self.url("/api/v2/custom_objects/limits/record_limit.json"),
            Purpose::Other,
        )
        .await
    }

    /// Creates a record whose name is unique; when the name is taken, the record holding it.
    pub async fn create_unique(&self, key: &str, record: &RecordInput) -> AppResult<Created> {
        #[derive(Deserialize)]
        struct One {
            custom_object_record: Record,
        }
        let body = json!({ "custom_object_record": record });
        match self
            .call::<One>(
                Method::POST,
                &self.object_url(key, "/records.json"),
                Some(&body),
                Purpose::Record,
            )
            .await
        {
            Ok(one) => Ok(Created::Created(one.custom_object_record)),
            // Refused: taken if a record of that name exists, else the refusal stands. (A
            // repeated create whose first try went through also lands here, and finds its own.)
            Err(e) if e.code == ErrorCode::Rejected => {
                let name = record.name.clone().unwrap_or_default();
                let found = self
                    .search_page(key, &json!({"name": {"$eq": name}}), "updated_at", 1, None)
                    .await?;
                match found.records.into_iter().next() {
                    Some(r) => Ok(Created::NameTaken(r)),
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Creates or updates the record with this `external_id` (only the attributes given change).
    pub async fn upsert(
        &self,
        key: &str,
        external_id: &str,
        record: &RecordInput,
    ) -> AppResult<Record> {
        #[derive(Deserialize)]
        struct One {
            custom_object_record: Record,
        }
        let url = reqwest::Url::parse_with_params(
            &self.object_url(key, "/records.json"),
            [("external_id", external_id)],
        )
        .map_err(AppError::internal)?;
        let body = json!({ "custom_object_record": record });
        let one: One = self
            .call(Method::PATCH, url.as_str(), Some(&body), Purpose::Record)
            .await?;
        Ok(one.custom_object_record)
    }

    /// A record by id, or None when it no longer exists.
    pub async fn record(&self, key: &str, id: &str) -> AppResult<Option<Record>> {
        #[derive(Deserialize)]
        struct One {
            custom_object_record: Record,
        }
        match self
            .get::<One>(
                &self.object_url(key, &format!("/records/{id}.json")),
                Purpose::Lookup,
            )
            .await
        {
            Ok(one) => Ok(Some(one.custom_object_record)),
            Err(e) if e.code == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Upserts up to 100 records by `external_id` in one bulk job, follows the job to its end,
    /// and says what became of each item (in the items' order).
    pub async fn bulk_upsert(
        &self,
        key: &str,
        items: &[RecordInput],
    ) -> AppResult<Vec<ItemOutcome>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        if items.len() > MAX_ITEMS || items.iter().any(|i| i.external_id.is_none()) {
            return Err(AppError::internal(format!(
                "a bulk upsert takes 1 to {MAX_ITEMS} records, each with an external id"
            )));
        }
        let results = self
            .bulk_job(
                key,
                "create_or_update_by_external_id",
                json!(items),
                items.len(),
            )
            .await?;
        Ok(match results {
            Some(results) => match_results(items, results),
            None => vec![ItemOutcome::Unconfirmed; items.len()],
        })
    }

    /// Deletes up to 100 records by id in one bulk job, follows it to its end, and says what
    /// became of each (in the ids' order; a record already gone counts as deleted).
    pub async fn bulk_delete(&self, key: &str, ids: &[String]) -> AppResult<Vec<ItemOutcome>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        if ids.len() > MAX_ITEMS {
            return Err(AppError::internal(format!(
                "a bulk delete takes 1 to {MAX_ITEMS} ids"
            )));
        }
        let Some(results) = self.bulk_job(key, "delete", json!(ids), ids.len()).await? else {
            return Ok(vec![ItemOutcome::Unconfirmed; ids.len()]);
        };
        let mut out = vec![ItemOutcome::Unconfirmed; ids.len()];
        let positional = results.len() == ids.len();
        for (pos, r) in results.iter().enumerate() {
            let slot = match r["id"].as_str() {
                Some(id) => ids.iter().position(|i| i == id),
                None => r["index"]
                    .as_u64()
                    .map(|i| i as usize)
                    .or(positional.then_some(pos)),
            };
            let Some(slot) = slot.filter(|s| *s < ids.len()) else {
                continue;
            };
            out[slot] = if r["success"].as_bool() == Some(false)
                && r["error"].as_str() != Some("RecordNotFound")
            {
                ItemOutcome::Failed(
                    r["details"]
                        .as_str()
                        .or(r["error"].as_str())
                        .unwrap_or("refused")
                        .to_string(),
                )
            } else {
                ItemOutcome::Written(ids[slot].clone())
            };
        }
        Ok(out)
    }

    /// Queues a bulk job of `action` on `items` (`n` of them), follows it to its end, and gives
    /// its per-item results; None when it is not confirmed in time or did not complete.
    async fn bulk_job(
        &self,
        key: &str,
        action: &str,
        items: Value,
        n: usize,
    ) -> AppResult<Option<Vec<Value>>> {
        #[derive(Deserialize)]
        struct Queued {
            job_status: JobStatus,
        }
        let body = json!({"job": {"action": action, "items": items}});
        let queued: Queued = self
            .call(
                Method::POST,
                &self.object_url(key, "/jobs.json"),
                Some(&body),
                Purpose::Record,
            )
            .await?;
        let url = match &queued.job_status.url {
            Some(u) => self.follow(u)?,
            None => self.url(&format!(
                "/api/v2/job_statuses/{}.json",
                queued.job_status.id
            )),
        };
        let mut waited = Duration::ZERO;
        let mut polls = 0;
        let mut status = queued.job_status;
        while status.status == "queued" || status.status == "working" {
            if waited > JOB_PATIENCE {
                // Still running: nothing is confirmed; the items go again later.
                return Ok(None);
            }
            let pause = JOB_POLL[polls.min(JOB_POLL.len() - 1)];
            polls += 1;
            self.http.sleep(pause).await;
            waited += pause;
            #[derive(Deserialize)]
            struct Polled {
                job_status: JobStatus,
            }
            let polled: Polled = self.get(&url, Purpose::Other).await?;
            status = polled.job_status;
        }
        if status.status != "completed" {
            tracing::warn!(
                items = n,
                "a custom objects job ended {}: {}",
                status.status,
                status.message.unwrap_or_default()
            );
            return Ok(None);
        }
        Ok(Some(status.results.unwrap_or_default()))
    }

    /// One page of the records matching `filter`, sorted by `sort` (`updated_at`, `-name`…;
    /// always given: without a sort Zendesk returns only the first 10,000), after `next` (a
    /// URL a previous page gave).
    pub async fn search_page(
        &self,
        key: &str,
        filter: &Value,
        sort: &str,
        size: usize,
        next: Option<&str>,
    ) -> AppResult<RecordPage> {
        let url = match next {
            Some(n) => self.follow(n)?,
            None => reqwest::Url::parse_with_params(
                &self.object_url(key, "/records/search.json"),
                [
                    ("sort", sort),
                    ("page[size]", &size.clamp(1, MAX_ITEMS).to_string()),
                ],
            )
            .map_err(AppError::internal)?
            .to_string(),
        };
        let body = json!({ "filter": filter });
        let page: Value = self
            .call(Method::POST, &url, Some(&body), Purpose::Other)
            .await?;
        let records: Vec<Record> = serde_json::from_value(page["custom_object_records"].clone())
            .map_err(|e| {
                AppError::new(
                    ErrorCode::Unreachable,
                    crate::text!(
                        "zendesk.list_shape",
                        key = "custom_object_records",
                        detail = e
                    ),
                )
            })?;
        let more = page["meta"]["has_more"].as_bool().unwrap_or(false);
        let next = match page["links"]["next"].as_str() {
            Some(n) if more && !records.is_empty() => Some(n.to_string()),
            _ => None,
        };
        Ok(RecordPage { records, next })
    }
}

/// Matches a job's per-item results to its items: by `external_id`, else by `index`, else by
/// position when there is exactly one result per item. An item nothing matches is unconfirmed.
pub fn match_results(items: &[RecordInput], results: Vec<Value>) -> Vec<ItemOutcome> {
    let mut out = vec![ItemOutcome::Unconfirmed; items.len()];
    let positional = results.len() == items.len();
    for (pos, r) in results.iter().enumerate() {
        let slot = if let Some(e) = r["external_id"].as_str() {
            items
                .iter()
                .position(|i| i.external_id.as_deref() == Some(e))
        } else if let Some(i) = r["index"].as_u64() {
            Some(i as usize).filter(|i| *i < items.len())
        } else if positional {
            Some(pos)
        } else {
            None
        };
        let Some(slot) = slot else { continue };
        let ok = r["success"].as_bool().unwrap_or(r.get("error").is_none());
        out[slot] = match (ok, &r["id"]) {
            (true, Value::String(id)) => ItemOutcome::Written(id.clone()),
            (true, Value::Number(id)) => ItemOutcome::Written(id.to_string()),
            (true, _) => ItemOutcome::Unconfirmed,
            (false, _) => ItemOutcome::Failed(
                [r["error"].as_str(), r["details"].as_str()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(": "),
            ),
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(e: &str) -> RecordInput {
        RecordInput {
            name: None,
            external_id: Some(e.into()),
            custom_object_fields: Map::new(),
        }
    }

    #[test]
    fn results_are_matched_by_external_id_index_or_position_and_the_rest_is_unconfirmed() {
        let items = [item("a"), item("b"), item("c")];
        // Keyed, out of order, one failed.
        let keyed = vec![
            json!({"external_id": "c", "id": "03", "success": true}),
            json!({"external_id": "a", "id": "01", "success": true}),
            json!({"external_id": "b", "success": false, "error": "RecordInvalid", "details": "bad"}),
        ];
        assert_eq!(
            match_results(&items, keyed),
            [
                ItemOutcome::Written("01".into()),
                ItemOutcome::Failed("RecordInvalid: bad".into()),
                ItemOutcome::Written("03".into())
            ]
        );
        // By index (CreateResourceResult: id and index, no success field).
        let indexed = vec![json!({"index": 2, "id": 7}), json!({"index": 0, "id": 5})];
        assert_eq!(
            match_results(&items, indexed),
            [
                ItemOutcome::Written("5".into()),
                ItemOutcome::Unconfirmed,
                ItemOutcome::Written("7".into())
            ]
        );
        // Positional: one result per item, in order.
        let positional = vec![
            json!({"id": "01", "success": true, "status": "Created"}),
            json!({"id": "02", "success": true, "status": "Updated"}),
            json!({"success": false, "error": "RecordInvalid"}),
        ];
        assert_eq!(
            match_results(&items, positional),
            [
                ItemOutcome::Written("01".into()),
                ItemOutcome::Written("02".into()),
                ItemOutcome::Failed("RecordInvalid".into())
            ]
        );
        // Fewer results than items and nothing to match them by: nothing is confirmed.
        let short = vec![json!({"id": "01", "success": true})];
        assert_eq!(
            match_results(&items, short),
            vec![ItemOutcome::Unconfirmed; 3]
        );
    }
}
