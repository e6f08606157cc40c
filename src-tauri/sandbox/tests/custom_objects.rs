//! The sandbox's custom objects against the Support API spec (shapes) and the behaviour a team
//! store relies on: admins create types and fields, agents do not; unique names; upsert by
//! external id; bulk jobs of at most 100, followed through job statuses, with per-item results
//! in each documented reading and items that fail; search with a filter on `updated_at`, a sort,
//! ties in each order, cursor pages of at most 100 that miss nothing; the 10,000 cap without a
//! sort; the record limit; the job queue limit; custom objects off.

use relay_sandbox::data::Population;
use relay_sandbox::{Faults, JobResults, Sandbox, SandboxConfig, TieOrder};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;

use crate::support;

use support::spec::Spec;

struct Env {
    sb: Sandbox,
    http: Client,
}

impl Env {
    async fn new() -> Env {
        Env {
            sb: Sandbox::start(SandboxConfig {
                users: 50,
                ..SandboxConfig::default()
            })
            .await
            .unwrap(),
            http: Client::new(),
        }
    }

    /// As the admin the sandbox's credentials belong to.
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let i = self.sb.info();
        self.call_as(&i.zendesk_email, method, path, body).await
    }

    async fn call_as(
        &self,
        email: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let i = self.sb.info();
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", i.base_url)
        };
        let mut req = self
            .http
            .request(method, url)
            .basic_auth(format!("{email}/token"), Some(&i.zendesk_token));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn faults(&self, f: Faults) {
        self.http
            .put(format!("{}/_sandbox/faults", self.sb.base_url()))
            .json(&f)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
    }

    /// An object type `key` with a text field `number` and an integer `sent_at`.
    async fn object(&self, key: &str, unique_names: bool) {
        let (st, _) = self
            .call(
                Method::POST,
                "/api/v2/custom_objects",
                Some(json!({"custom_object": {"key": key, "title": "Entry", "title_pluralized": "Entries", "include_in_list_view": false, "name_is_unique": unique_names}})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED);
        for (f, t) in [("number", "text"), ("sent_at", "integer")] {
            let (st, body) = self
                .call(
                    Method::POST,
                    &format!("/api/v2/custom_objects/{key}/fields"),
                    Some(json!({"custom_object_field": {"key": f, "type": t, "title": f}})),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "{body}");
        }
    }

    /// Runs a bulk upsert job to completion and returns its final status.
    async fn job(&self, key: &str, items: Vec<Value>) -> Value {
        let (st, created) = self
            .call(
                Method::POST,
                &format!("/api/v2/custom_objects/{key}/jobs"),
                Some(json!({"job": {"action": "create_or_update_by_external_id", "items": items}})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{created}");
        let url = created["job_status"]["url"].as_str().unwrap().to_string();
        for _ in 0..200 {
            let (_, status) = self.call(Method::GET, &url, None).await;
            if status["job_status"]["status"] == "completed" {
                return status;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the job never completed");
    }

    /// Every record a sorted, filtered search returns, page after page.
    async fn search_all(&self, key: &str, sort: &str, filter: Value, size: u32) -> Vec<Value> {
        let mut out = Vec::new();
        let mut url =
            format!("/api/v2/custom_objects/{key}/records/search?sort={sort}&page[size]={size}");
        loop {
            let (st, page) = self
                .call(Method::POST, &url, Some(json!({"filter": filter})))
                .await;
            assert_eq!(st, StatusCode::OK, "{page}");
            let records = page["custom_object_records"].as_array().unwrap();
            assert!(records.len() <= size as usize);
            out.extend(records.iter().cloned());
            match page["links"]["next"].as_str() {
                Some(next) if page["meta"]["has_more"] == true => url = next.to_string(),
                _ => return out,
            }
        }
    }
}

fn entry(i: usize) -> Value {
    json!({"external_id": format!("fp1:+3361234{i:04}"), "name": format!("fp1:+3361234{i:04}"),
           "custom_object_fields": {"number": format!("+3361234{i:04}"), "sent_at": 1_764_720_000 + i as i64}})
}

#[tokio::test]
async fn custom_objects_responses_match_the_support_api_spec() {
    let spec = Spec::openapi("zendesk-relay-excerpt.yaml");
    let env = Env::new().await;
    let (_, created) = env
        .call(
            Method::POST,
            "/api/v2/custom_objects",
            Some(json!({"custom_object": {"key": "relay_entry", "title": "Entry", "title_pluralized": "Entries", "include_in_list_view": false}})),
        )
        .await;
    spec.check("CustomObjectResponse", &created);
    let (_, list) = env.call(Method::GET, "/api/v2/custom_objects", None).await;
    spec.check("CustomObjectsResponse", &list);
    let (_, field) = env
        .call(
            Method::POST,
            "/api/v2/custom_objects/relay_entry/fields",
            Some(json!({"custom_object_field": {"key": "number", "type": "text", "title": "Number"}})),
        )
        .await;
    spec.check("CustomObjectFieldResponse", &field);
    let (_, fields) = env
        .call(
            Method::GET,
            "/api/v2/custom_objects/relay_entry/fields",
            None,
        )
        .await;
    spec.check("CustomObjectFieldsResponse", &fields);
    let (_, record) = env
        .call(
            Method::PATCH,
            "/api/v2/custom_objects/relay_entry/records?external_id=x1",
            Some(json!({"custom_object_record": {"name": "x1", "custom_object_fields": {"number": "+33612340000"}}})),
        )
        .await;
    spec.check("CustomObjectRecordResponse", &record);
    let (_, job) = env
        .call(
            Method::POST,
            "/api/v2/custom_objects/relay_entry/jobs",
            Some(json!({"job": {"action": "create_or_update_by_external_id", "items": [{"external_id": "x2", "name": "x2", "custom_object_fields": {"number": "+33612340001"}}]}})),
        )
        .await;
    spec.check("CustomObjectRecordsJobsResponse", &job);
    let (_, status) = env
        .call(
            Method::GET,
            job["job_status"]["url"].as_str().unwrap(),
            None,
        )
        .await;
    // The per-item results are loosely specified (integer ids for string record ids): the
    // envelope is checked here, both readings of the results by the client's tests.
    let mut envelope = status.clone();
    envelope["job_status"]
        .as_object_mut()
        .unwrap()
        .remove("results");
    spec.check("JobStatusResponse", &envelope);
    let (_, page) = env
        .call(
            Method::POST,
            "/api/v2/custom_objects/relay_entry/records/search?sort=updated_at&page[size]=1",
            Some(json!({"filter": {"updated_at": {"$gte": "2000-01-01T00:00:00Z"}}})),
        )
        .await;
    spec.check("CustomObjectRecordsResponse", &page);
    let (_, limit) = env
        .call(
            Method::GET,
            "/api/v2/custom_objects/limits/record_limit",
            None,
        )
        .await;
    spec.check("CustomObjectLimitsResponse", &limit);
}

#[tokio::test]
async fn admins_create_types_and_fields_agents_are_refused_and_records_are_unique() {
    let env = Env::new().await;
    let info = env.sb.info();
    let agent = Population::new(info.seed, info.users).user(1);
    assert_eq!(agent.role, "agent");
    let agent = agent.email;
    let (st, body) = env
        .call_as(
            &agent,
            Method::POST,
            "/api/v2/custom_objects",
            Some(json!({"custom_object": {"key": "relay_claim", "title": "Claim", "title_pluralized": "Claims", "include_in_list_view": false}})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    env.object("relay_claim", true).await;
    let (st, _) = env
        .call(Method::POST, "/api/v2/custom_objects", Some(json!({"custom_object": {"key": "relay_claim", "title": "Claim", "title_pluralized": "Claims", "include_in_list_view": false}})))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "the key is taken");

    // A unique name: the second claim of the same message is refused (agents may write records).
    let claim = json!({"custom_object_record": {"name": "fp1", "custom_object_fields": {"number": "desk A"}}});
    let (st, first) = env
        .call_as(
            &agent,
            Method::POST,
            "/api/v2/custom_objects/relay_claim/records",
            Some(claim.clone()),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{first}");
    let (st, err) = env
        .call(
            Method::POST,
            "/api/v2/custom_objects/relay_claim/records",
            Some(claim),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["errors"][0]["code"], "RecordInvalid");

    // Upsert by external id: created once, then updated in place (only what is given changes).
    let path = "/api/v2/custom_objects/relay_claim/records?external_id=e1";
    let (st, a) = env
        .call(Method::PATCH, path, Some(json!({"custom_object_record": {"name": "fp2", "custom_object_fields": {"number": "x", "sent_at": 1}}})))
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, b) = env
        .call(
            Method::PATCH,
            path,
            Some(json!({"custom_object_record": {"custom_object_fields": {"sent_at": 2}}})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        a["custom_object_record"]["id"],
        b["custom_object_record"]["id"]
    );
    assert_eq!(
        b["custom_object_record"]["custom_object_fields"],
        json!({"number": "x", "sent_at": 2})
    );
    // A value of the wrong type or an unknown field is refused.
    let (st, _) = env
        .call(
            Method::PATCH,
            path,
            Some(json!({"custom_object_record": {"custom_object_fields": {"sent_at": "soon"}}})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn bulk_jobs_report_each_item_in_both_readings_and_items_can_fail() {
    let env = Env::new().await;
    env.object("relay_entry", false).await;
    let (st, _) = env
        .call(
            Method::POST,
            "/api/v2/custom_objects/relay_entry/jobs",
            Some(json!({"job": {"action": "create_or_update_by_external_id", "items": (0..101).map(entry).collect::<Vec<_>>()}})),
        )
        .await;
    assert_eq!(
        st,
        StatusCode::UNPROCESSABLE_ENTITY,
        "at most 100 items a job"
    );

    let done = env.job("relay_entry", (0..100).map(entry).collect()).await;
    let results = done["job_status"]["results"].as_array().unwrap();
    assert_eq!(results.len(), 100);
    assert!(results.iter().enumerate().all(|(i, r)| r["success"] == true
        && r["external_id"] == entry(i)["external_id"]
        && r["status"] == "Created"));
    // The same again: updated, not duplicated.
    let again = env.job("relay_entry", (0..100).map(entry).collect()).await;
    assert!(again["job_status"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["status"] == "Updated"));
    let (_, limit) = env
        .call(
            Method::GET,
            "/api/v2/custom_objects/limits/record_limit",
            None,
        )
        .await;
    assert_eq!(limit["count"], 100);

    // The positional reading: results name no external id, only their place.
    env.faults(Faults {
        job_results: JobResults::Positional,
        job_item_failure: 0.5,
        ..Faults::default()
    })
    .await;
    let mixed = env
        .job("relay_entry", (100..200).map(entry).collect())
        .await;
    let results = mixed["job_status"]["results"].as_array().unwrap();
    assert_eq!(results.len(), 100);
    assert!(results.iter().all(|r| r.get("external_id").is_none()));
    let failed = results.iter().filter(|r| r["success"] == false).count();
    assert!((20..80).contains(&failed), "about half fail: {failed}");
    let (_, limit) = env
        .call(
            Method::GET,
            "/api/v2/custom_objects/limits/record_limit",
            None,
        )
        .await;
    assert_eq!(
        limit["count"],
        200 - failed as u64,
        "a failed item wrote nothing"
    );

    // Slow jobs are `working` until their time; the queue takes at most 30.
    env.faults(Faults {
        job_delay_ms: 60_000,
        ..Faults::default()
    })
    .await;
    let mut refused = 0;
    for i in 0..31 {
        let (st, _) = env
            .call(Method::POST, "/api/v2/custom_objects/relay_entry/jobs", Some(json!({"job": {"action": "create_or_update_by_external_id", "items": [entry(1000 + i)]}})))
            .await;
        if st == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
        }
    }
    assert_eq!(refused, 1, "the 31st job waits");
}

#[tokio::test]
async fn a_sorted_search_by_updated_at_pages_through_every_record_whatever_the_ties() {
    let env = Env::new().await;
    env.object("relay_entry", false).await;
    // 250 records written within a second or two: many share their `updated_at`.
    for chunk in (0..250).collect::<Vec<_>>().chunks(100) {
        env.job("relay_entry", chunk.iter().map(|i| entry(*i)).collect())
            .await;
    }
    let all: BTreeSet<String> = (0..250)
        .map(|i| entry(i)["external_id"].as_str().unwrap().to_string())
        .collect();
    for ties in [TieOrder::Id, TieOrder::IdDesc, TieOrder::Shuffled] {
        env.faults(Faults {
            search_tie_order: ties,
            ..Faults::default()
        })
        .await;
        for sort in ["updated_at", "-updated_at"] {
            let got = env
                .search_all(
                    "relay_entry",
                    sort,
                    json!({"updated_at": {"$gte": "2000-01-01T00:00:00Z"}}),
                    37,
                )
                .await;
            assert_eq!(got.len(), 250, "{ties:?} {sort}: every record once");
            let ids: BTreeSet<String> = got
                .iter()
                .map(|r| r["external_id"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(ids, all, "{ties:?} {sort}");
            let times: Vec<&str> = got
                .iter()
                .map(|r| r["updated_at"].as_str().unwrap())
                .collect();
            let mut sorted = times.clone();
            sorted.sort();
            if sort.starts_with('-') {
                sorted.reverse();
            }
            assert_eq!(times, sorted, "in {sort} order");
        }
    }
    // A filter after a time leaves out what came before.
    let (_, page) = env
        .call(
            Method::POST,
            "/api/v2/custom_objects/relay_entry/records/search?sort=updated_at",
            Some(json!({"filter": {"updated_at": {"$gt": "2999-01-01T00:00:00Z"}}})),
        )
        .await;
    assert_eq!(page["custom_object_records"], json!([]));
    assert_eq!(page["meta"]["has_more"], false);
    // A page larger than 100 or a made-up cursor is refused.
    let (st, _) = env
        .call(
            Method::POST,
            "/api/v2/custom_objects/relay_entry/records/search?sort=updated_at&page[size]=101",
            Some(json!({"filter": {}})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = env
        .call(Method::POST, "/api/v2/custom_objects/relay_entry/records/search?sort=updated_at&page[after]=nonsense", Some(json!({"filter": {}})))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_record_limit_and_custom_objects_off_are_said() {
    let env = Env::new().await;
    env.object("relay_entry", false).await;
    env.faults(Faults {
        record_limit: Some(5),
        ..Faults::default()
    })
    .await;
    let done = env.job("relay_entry", (0..8).map(entry).collect()).await;
    let ok = done["job_status"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["success"] == true)
        .count();
    assert_eq!(ok, 5, "the records past the limit fail");
    let (_, limit) = env
        .call(
            Method::GET,
            "/api/v2/custom_objects/limits/record_limit",
            None,
        )
        .await;
    assert_eq!(limit, json!({"count": 5, "limit": 5}));
    env.faults(Faults {
        custom_objects_off: true,
        ..Faults::default()
    })
    .await;
    let (st, body) = env.call(Method::GET, "/api/v2/custom_objects", None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(body["errors"][0]["code"], "Forbidden");
}
