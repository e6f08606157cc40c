//! The sandbox over HTTP, as a client sees it: auth, shapes, paging, limits, review, faults.

use chrono::TimeZone;
use relay_sandbox::data::{PhoneKind, Population};
use relay_sandbox::{Faults, ManualClock, Sandbox, SandboxConfig};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

struct T {
    sb: Sandbox,
    http: Client,
}

impl T {
    async fn start(config: SandboxConfig) -> T {
        T {
            sb: Sandbox::start(config).await.unwrap(),
            http: Client::new(),
        }
    }
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sb.base_url())
    }
    fn zd(&self, path: &str) -> reqwest::RequestBuilder {
        let i = self.sb.info();
        self.http
            .get(self.url(path))
            .basic_auth(format!("{}/token", i.zendesk_email), Some(&i.zendesk_token))
    }
    fn sc(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let i = self.sb.info();
        self.http
            .request(method, self.url(&format!("/sc{path}")))
            .basic_auth(&i.key_id, Some(&i.key_secret))
    }
    fn app(&self) -> String {
        self.sb.info().app_id.clone()
    }
}

async fn body(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

const WA: &str = "5f1e0c3a9b8d7e6f5a4b3c31";
const TWILIO: &str = "5f1e0c3a9b8d7e6f5a4b3c33";

#[tokio::test]
async fn zendesk_refuses_bad_credentials_with_its_exact_401() {
    let t = T::start(SandboxConfig::default()).await;
    for req in [
        t.http.get(t.url("/api/v2/users/me")),
        t.http
            .get(t.url("/api/v2/users/me"))
            .basic_auth("admin@relay-demo.test/token", Some("wrong")),
        t.http
            .get(t.url("/api/v2/users/me"))
            .basic_auth("nobody@example.com/token", Some(&t.sb.info().zendesk_token)),
    ] {
        let (status, b) = body(req.send().await.unwrap()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(b, json!({"error": "Couldn't authenticate you"}));
    }
    let (status, me) = body(t.zd("/api/v2/users/me").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["role"], "admin");
    assert_eq!(me["user"]["email"], "admin@relay-demo.test");
    // API tokens are account-wide: an agent's email with the same token is that agent.
    let agent = t
        .http
        .get(t.url("/api/v2/users/me.json"))
        .basic_auth(
            "agent2@relay-demo.test/token",
            Some(&t.sb.info().zendesk_token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(body(agent).await.1["user"]["role"], "agent");
}

#[tokio::test]
async fn groups_memberships_and_user_fields() {
    let t = T::start(SandboxConfig::default()).await;
    let (_, g) = body(t.zd("/api/v2/groups").send().await.unwrap()).await;
    assert_eq!(g["groups"].as_array().unwrap().len(), 3);
    let me = body(t.zd("/api/v2/users/me").send().await.unwrap()).await.1;
    let id = me["user"]["id"].as_u64().unwrap();
    let (_, m) = body(
        t.zd(&format!("/api/v2/group_memberships?user_id={id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let groups: Vec<u64> = m["group_memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["group_id"].as_u64().unwrap())
        .collect();
    assert_eq!(groups.len(), 2, "the admin is in Support and Marketing");
    let (_, f) = body(t.zd("/api/v2/user_fields").send().await.unwrap()).await;
    let keys: Vec<&str> = f["user_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "plan",
            "signup_date",
            "loyalty_points",
            "city",
            "delivery_note"
        ]
    );
    assert_eq!(
        f["user_fields"][0]["custom_field_options"][2]["value"],
        "gold"
    );
}

#[tokio::test]
async fn search_count_pages_and_the_1000_result_limit() {
    let t = T::start(SandboxConfig {
        users: 3000,
        ..SandboxConfig::default()
    })
    .await;
    let (_, c) = body(
        t.zd("/api/v2/search/count?query=type:user%20role:end-user")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(c["count"], 3000 - 5);
    let (status, p) = body(
        t.zd("/api/v2/search.json?query=role:end-user&per_page=100&page=2")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(p["results"].as_array().unwrap().len(), 100);
    assert_eq!(p["results"][0]["result_type"], "user");
    assert_eq!(p["count"], 3000 - 5);
    assert!(p["next_page"].as_str().unwrap().contains("page=3"));
    let (status, e) = body(
        t.zd("/api/v2/search.json?query=role:end-user&per_page=100&page=11")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "past 1,000 results, as the real one"
    );
    assert!(e["description"]
        .as_str()
        .unwrap()
        .contains("Search Response Limits"));
    let (status, e) = body(
        t.zd("/api/v2/search/count?query=created>whenever")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"], "invalid");
    assert!(e["description"].as_str().unwrap().contains("not a date"));
}

#[tokio::test]
async fn export_pages_with_cursors_until_the_end_and_refuses_type_in_the_query() {
    let t = T::start(SandboxConfig {
        users: 2500,
        ..SandboxConfig::default()
    })
    .await;
    let query = "tags:whatsapp_optin";
    let (_, c) = body(
        t.zd(&format!("/api/v2/search/count?query={query}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let expected = c["count"].as_u64().unwrap();
    let mut url = t.url(&format!(
        "/api/v2/search/export?query={query}&filter[type]=user&page[size]=500"
    ));
    let (mut seen, mut pages, mut last_created) =
        (std::collections::HashSet::new(), 0, String::new());
    loop {
        let i = t.sb.info();
        let r = t
            .http
            .get(&url)
            .basic_auth(format!("{}/token", i.zendesk_email), Some(&i.zendesk_token))
            .send()
            .await
            .unwrap();
        let (status, page) = body(r).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        pages += 1;
        for u in page["results"].as_array().unwrap() {
            assert!(seen.insert(u["id"].as_u64().unwrap()), "no user twice");
            let created = u["created_at"].as_str().unwrap().to_string();
            assert!(created > last_created, "ordered by created_at");
            last_created = created;
            assert!(u["tags"]
                .as_array()
                .unwrap()
                .contains(&json!("whatsapp_optin")));
        }
        if !page["meta"]["has_more"].as_bool().unwrap() {
            assert!(page["links"]["next"].is_null());
            break;
        }
        url = page["links"]["next"].as_str().unwrap().to_string();
    }
    assert_eq!(
        seen.len() as u64,
        expected,
        "the export returns exactly the counted users"
    );
    assert!(pages >= 3);

    let (status, e) = body(
        t.zd("/api/v2/search/export?query=type:user%20tags:vip&filter[type]=user")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(e["description"].as_str().unwrap().contains("filter[type]"));
    let (status, _) = body(
        t.zd("/api/v2/search/export?query=tags:vip")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "filter[type] is required");
    let (status, _) = body(
        t.zd("/api/v2/search/export?query=tags:vip&filter[type]=user&page[size]=1001")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn export_cursors_expire() {
    let clock = ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
    let t = T::start(SandboxConfig {
        users: 500,
        cursor_ttl: Duration::from_secs(3600),
        clock: Arc::new(clock.clone()),
        ..SandboxConfig::default()
    })
    .await;
    let (_, first) = body(
        t.zd("/api/v2/search/export?query=role:end-user&filter[type]=user&page[size]=100")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let cursor = first["meta"]["after_cursor"].as_str().unwrap().to_string();
    clock.advance(Duration::from_secs(3601));
    let (status, e) = body(
        t.zd(&format!("/api/v2/search/export?query=role:end-user&filter[type]=user&page[size]=100&page[after]={cursor}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(e["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("expired"));
}

#[tokio::test]
async fn show_many_with_identities_and_phone_only_in_identities() {
    let t = T::start(SandboxConfig {
        users: 400,
        ..SandboxConfig::default()
    })
    .await;
    let pop = Population::new(42, 400);
    let idx = (5..400)
        .find(|i| pop.phone_kind(*i) == PhoneKind::IdentityOnly)
        .unwrap();
    let ids: Vec<String> = (idx..idx + 3).map(|i| pop.id_of(i).to_string()).collect();
    let (_, b) = body(
        t.zd(&format!(
            "/api/v2/users/show_many?ids={}&include=identities",
            ids.join(",")
        ))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(b["users"].as_array().unwrap().len(), 3);
    assert!(
        b["users"][0]["phone"].is_null(),
        "identity-only users have no user.phone"
    );
    let phone = b["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["user_id"] == b["users"][0]["id"] && i["type"] == "phone_number")
        .expect("a phone_number identity");
    assert!(phone["value"].as_str().unwrap().starts_with('+'));
    let too_many: Vec<String> = (0..101).map(|i| pop.id_of(i).to_string()).collect();
    let (status, _) = body(
        t.zd(&format!(
            "/api/v2/users/show_many?ids={}",
            too_many.join(",")
        ))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, nf) = body(t.zd("/api/v2/users/1/identities").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        nf,
        json!({"error": "RecordNotFound", "description": "Not found"})
    );
}

#[tokio::test]
async fn rate_limit_headers_and_429_with_retry_after() {
    let t = T::start(SandboxConfig {
        zendesk_rate_per_minute: 3,
        ..SandboxConfig::default()
    })
    .await;
    for remaining in [2, 1, 0] {
        let r = t.zd("/api/v2/groups").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["x-rate-limit"], "3");
        assert_eq!(
            r.headers()["x-rate-limit-remaining"],
            remaining.to_string().as_str()
        );
    }
    let r = t.zd("/api/v2/groups").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
}

#[tokio::test]
async fn sunshine_auth_error_shapes_and_app_scope() {
    let t = T::start(SandboxConfig::default()).await;
    let app = t.app();
    let r = t
        .http
        .get(t.url(&format!("/sc/v2/apps/{app}/integrations")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        body(r).await,
        (
            StatusCode::UNAUTHORIZED,
            json!({"errors": [{"code": "unauthorized", "title": "Authorization is required"}]})
        )
    );
    let r = t
        .http
        .post(t.url(&format!("/sc/v1.1/apps/{app}/notifications")))
        .basic_auth("app_x", Some("nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        body(r).await,
        (
            StatusCode::UNAUTHORIZED,
            json!({"error": {"code": "unauthorized", "description": "Authorization is required"}})
        )
    );
    let (status, b) = body(
        t.sc(
            reqwest::Method::GET,
            "/v2/apps/000000000000000000000000/integrations",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(b["errors"][0]["code"], "forbidden");
}

#[tokio::test]
async fn integrations_page_and_filter_by_type() {
    let t = T::start(SandboxConfig::default()).await;
    let app = t.app();
    let mut path = format!(
        "/v2/apps/{app}/integrations?filter[types]=whatsapp,twilio,messagebird&page[size]=1"
    );
    let mut types = Vec::new();
    loop {
        let (status, b) = body(t.sc(reqwest::Method::GET, &path).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        types.extend(
            b["integrations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["type"].as_str().unwrap().to_string()),
        );
        if !b["meta"]["hasMore"].as_bool().unwrap() {
            break;
        }
        let after = b["meta"]["afterCursor"].as_str().unwrap();
        path = format!("/v2/apps/{app}/integrations?filter[types]=whatsapp,twilio,messagebird&page[size]=1&page[after]={after}");
    }
    assert_eq!(
        types,
        ["whatsapp", "whatsapp", "twilio", "messagebird"],
        "4 pages of one, web and android filtered out"
    );
}

fn template_notification(name: &str, lang: &str, params: &[&str], header: Option<&str>) -> Value {
    let mut components = vec![
        json!({"type": "body", "parameters": params.iter().map(|p| json!({"type": "text", "text": p})).collect::<Vec<_>>()}),
    ];
    if let Some(h) = header {
        components.insert(
            0,
            json!({"type": "header", "parameters": [{"type": "text", "text": h}]}),
        );
    }
    json!({
        "destination": {"integrationId": WA, "destinationId": "+33612345678"},
        "author": {"role": "appMaker"},
        "messageSchema": "whatsapp",
        "message": {"type": "template", "template": {"name": name, "language": {"policy": "deterministic", "code": lang}, "components": components}},
    })
}

#[tokio::test]
async fn templates_go_pending_then_approved_or_rejected_and_can_be_deleted() {
    let clock = ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
    let t = T::start(SandboxConfig {
        approve_after: Duration::from_secs(30),
        clock: Arc::new(clock.clone()),
        ..SandboxConfig::default()
    })
    .await;
    let base = format!("/v1.1/apps/{}/integrations/{WA}/messageTemplates", t.app());
    let (_, list) = body(t.sc(reqwest::Method::GET, &base).send().await.unwrap()).await;
    let statuses: Vec<&str> = list["messageTemplates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["APPROVED", "APPROVED", "PENDING", "REJECTED"]);
    assert_eq!(
        list["messageTemplates"][3]["rejected_reason"],
        "PROMOTIONAL"
    );

    let create = |name: &str| {
        json!({"name": name, "language": "en_US", "category": "UTILITY", "components": [
            {"type": "BODY", "text": "Hello {{1}}, your parcel {{2}} is ready.", "example": {"body_text": [["Ann", "P-1"]]}}]})
    };
    let (status, c) = body(
        t.sc(reqwest::Method::POST, &base)
            .json(&create("parcel_ready"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(c["messageTemplate"]["status"], "PENDING");
    let (status, _) = body(
        t.sc(reqwest::Method::POST, &base)
            .json(&create("parcel_ready"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "same name and language twice");
    body(
        t.sc(reqwest::Method::POST, &base)
            .json(&create("please_reject_me"))
            .send()
            .await
            .unwrap(),
    )
    .await;

    // Not yet approved: sending it is refused like WhatsApp's 132001.
    let (status, e) = body(
        t.sc(
            reqwest::Method::POST,
            &format!("/v1.1/apps/{}/notifications", t.app()),
        )
        .json(&template_notification(
            "parcel_ready",
            "en_US",
            &["Ann", "P-1"],
            None,
        ))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(e["error"]["description"]
        .as_str()
        .unwrap()
        .contains("PENDING"));

    clock.advance(Duration::from_secs(31));
    let (_, one) = body(
        t.sc(reqwest::Method::GET, &format!("{base}?name=parcel_ready"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(one["messageTemplates"][0]["status"], "APPROVED");
    let (_, rej) = body(
        t.sc(
            reqwest::Method::GET,
            &format!("{base}?name=please_reject_me"),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(rej["messageTemplates"][0]["status"], "REJECTED");
    assert!(rej["messageTemplates"][0]["rejected_reason"].is_string());

    for bad in [
        json!({"name": "Bad Name", "language": "en_US", "category": "UTILITY", "components": [{"type": "BODY", "text": "x"}]}),
        json!({"name": "ok", "language": "xx_XX", "category": "UTILITY", "components": [{"type": "BODY", "text": "x"}]}),
        json!({"name": "ok", "language": "en_US", "category": "UTILITY", "components": [{"type": "FOOTER", "text": "x"}]}),
        json!({"name": "ok", "language": "en_US", "category": "UTILITY", "components": [{"type": "BODY", "text": "Hi {{1}} and {{3}} ok", "example": {"body_text": [["a", "b"]]}}]}),
        json!({"name": "ok", "language": "en_US", "category": "UTILITY", "components": [{"type": "BODY", "text": "Hi {{1}} there"}]}),
    ] {
        let (status, e) = body(
            t.sc(reqwest::Method::POST, &base)
                .json(&bad)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(e["error"]["description"]
            .as_str()
            .unwrap()
            .starts_with("Invalid template"));
    }

    let (status, b) = body(
        t.sc(reqwest::Method::DELETE, &format!("{base}/parcel_ready"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, b), (StatusCode::OK, json!({})));
    let (status, _) = body(
        t.sc(reqwest::Method::DELETE, &format!("{base}/parcel_ready"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn notifications_are_validated_recorded_and_counted() {
    let t = T::start(SandboxConfig::default()).await;
    let url = format!("/v1.1/apps/{}/notifications", t.app());
    let ok = template_notification(
        "order_shipped",
        "en_US",
        &["Ann", "A-1", "Monday"],
        Some("A-1"),
    );
    for _ in 0..2 {
        let (status, b) = body(
            t.sc(reqwest::Method::POST, &url)
                .json(&ok)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
        assert_eq!(
            b["notification"]["_id"].as_str().unwrap().len(),
            36,
            "a UUID"
        );
    }
    let sms = json!({"destination": {"integrationId": TWILIO, "destinationId": "+14155550123"}, "author": {"role": "appMaker"},
                     "message": {"type": "text", "text": "Your order shipped"}});
    assert_eq!(
        t.sc(reqwest::Method::POST, &url)
            .json(&sms)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::CREATED
    );

    let mut wrong_count = ok.clone();
    wrong_count["message"]["template"]["components"][1]["parameters"]
        .as_array_mut()
        .unwrap()
        .pop();
    let mut bad_dest = ok.clone();
    bad_dest["destination"]["destinationId"] = json!("0612345678");
    let mut bad_author = ok.clone();
    bad_author["author"]["role"] = json!("appUser");
    let mut newline = ok.clone();
    newline["message"]["template"]["components"][1]["parameters"][0]["text"] = json!("two\nlines");
    let mut sms_template = ok.clone();
    sms_template["destination"]["integrationId"] = json!(TWILIO);
    for (bad, needle) in [
        (wrong_count, "132000"),
        (bad_dest, "E.164"),
        (bad_author, "appMaker"),
        (newline, "new-line"),
        (
            template_notification("nope", "en_US", &["a"], None),
            "does not exist",
        ),
        (
            template_notification("summer_sale", "en_US", &["a", "b"], None),
            "PENDING",
        ),
        (sms_template, "text"),
    ] {
        let (status, e) = body(
            t.sc(reqwest::Method::POST, &url)
                .json(&bad)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(
            e["error"]["description"].as_str().unwrap().contains(needle),
            "{needle}: {e}"
        );
    }

    let (_, log) = body(
        t.http
            .get(t.url("/_sandbox/notifications"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(log["count"], 3, "only accepted notifications are recorded");
    let (_, stats) = body(t.http.get(t.url("/_sandbox/stats")).send().await.unwrap()).await;
    assert_eq!(stats["notifications"], 3);
    assert_eq!(
        stats["duplicate_count"], 1,
        "the same template twice to the same number"
    );
    assert_eq!(stats["duplicates"][0]["destination_id"], "+33612345678");
}

#[tokio::test]
async fn fault_knobs_at_run_time() {
    let clock = relay_sandbox::ManualClock::new(chrono::Utc::now());
    let t = T::start(SandboxConfig {
        clock: std::sync::Arc::new(clock.clone()),
        ..SandboxConfig::default()
    })
    .await;
    let set = |f: Faults| t.http.put(t.url("/_sandbox/faults")).json(&f).send();
    // A probability out of range is refused, and changes nothing.
    let bad = set(Faults {
        rate_5xx: 2.0,
        ..Faults::default()
    })
    .await
    .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(bad.text().await.unwrap().contains("rate_5xx"));
    assert_eq!(
        t.zd("/api/v2/groups").send().await.unwrap().status(),
        StatusCode::OK
    );
    set(Faults {
        rate_429: 1.0,
        retry_after_secs: 7,
        ..Faults::default()
    })
    .await
    .unwrap();
    let r = t.zd("/api/v2/groups").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "7");
    // The limit is the account's: inside the window every request is refused, and counted.
    set(Faults::default()).await.unwrap();
    clock.advance(std::time::Duration::from_secs(3));
    let r = t.zd("/api/v2/users/me").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        r.headers()["retry-after"],
        "4",
        "what is left of the window"
    );
    let stats: serde_json::Value = t
        .http
        .get(t.url("/_sandbox/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["rate_windows"]["zendesk"]["issued"], 1);
    assert_eq!(stats["rate_windows"]["zendesk"]["inside"], 1);
    clock.advance(std::time::Duration::from_secs(4));
    set(Faults {
        rate_5xx: 1.0,
        ..Faults::default()
    })
    .await
    .unwrap();
    let status = t.zd("/api/v2/groups").send().await.unwrap().status();
    assert!(
        status == StatusCode::INTERNAL_SERVER_ERROR || status == StatusCode::SERVICE_UNAVAILABLE
    );
    set(Faults {
        rate_drop: 1.0,
        ..Faults::default()
    })
    .await
    .unwrap();
    let dropped = t.zd("/api/v2/groups").send().await;
    assert!(
        dropped.as_ref().is_err_and(|e| !e.is_connect()),
        "a dropped connection gives the client, which sent its request, not a byte of response: {dropped:?}"
    );
    set(Faults::default()).await.unwrap();
    assert_eq!(
        t.zd("/api/v2/groups").send().await.unwrap().status(),
        StatusCode::OK
    );
    // The control endpoints themselves are never faulted.
    set(Faults {
        rate_5xx: 1.0,
        ..Faults::default()
    })
    .await
    .unwrap();
    assert_eq!(
        t.http
            .get(t.url("/_sandbox/stats"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[test]
fn generated_phone_numbers_are_what_they_claim() {
    // Independent check with libphonenumber's rules: E.164 users are valid mobiles, national
    // ones are valid in their own country, landlines are lines a message cannot reach, numbers
    // in other scripts read as the user's number, typos hold a letter, invalid ones are not
    // phone numbers.
    use rlibphonenumber::{
        enums::Region, PhoneNumberFormat, PhoneNumberType, PHONE_NUMBER_UTIL as U,
    };
    let pop = Population::new(9, 5000);
    let mut seen = std::collections::HashMap::new();
    for i in 0..pop.count {
        let u = pop.user(i);
        let country: Region = u.country.code.parse().unwrap();
        let phone = u.phone.as_deref();
        let e164 =
            |p: &rlibphonenumber::PhoneNumber| U.format(p, PhoneNumberFormat::E164).into_owned();
        match u.phone_kind {
            PhoneKind::E164 | PhoneKind::Shared => {
                let p = U.parse(phone.unwrap(), None).unwrap();
                assert!(U.is_valid_number(&p), "{phone:?} {:?}", u.country.code);
                assert!(
                    matches!(
                        U.get_number_type(&p),
                        PhoneNumberType::Mobile | PhoneNumberType::FixedLineOrMobile
                    ),
                    "{phone:?} is a mobile"
                );
            }
            PhoneKind::National => {
                let p = U.parse(phone.unwrap(), Some(country)).unwrap();
                assert!(U.is_valid_number(&p), "{phone:?} in {}", u.country.code);
                assert_eq!(e164(&p), u.e164.clone().unwrap());
            }
            PhoneKind::Landline => {
                let p = U.parse(phone.unwrap(), None).unwrap();
                assert!(U.is_valid_number(&p), "{phone:?} {:?}", u.country.code);
                assert!(
                    matches!(
                        U.get_number_type(&p),
                        PhoneNumberType::FixedLine | PhoneNumberType::TollFree
                    ),
                    "{phone:?} cannot receive a message: {:?}",
                    U.get_number_type(&p)
                );
            }
            PhoneKind::OtherScript => {
                let written = phone.unwrap();
                assert!(!written.chars().any(|c| c.is_ascii_digit()), "{written}");
                let p = U.parse(written, None).unwrap();
                assert_eq!(e164(&p), u.e164.clone().unwrap());
            }
            PhoneKind::Typo => {
                let written = phone.unwrap();
                assert_eq!(
                    written.chars().filter(|c| c.is_alphabetic()).count(),
                    1,
                    "{written}"
                );
                assert!(u.e164.is_none());
            }
            PhoneKind::Invalid => {
                let valid = U
                    .parse(phone.unwrap(), Some(country))
                    .map(|p| U.is_valid_number(&p))
                    .unwrap_or(false);
                assert!(!valid, "{phone:?} should be invalid");
            }
            PhoneKind::Missing | PhoneKind::IdentityOnly => assert!(u.phone.is_none()),
        }
        *seen.entry(format!("{:?}", u.phone_kind)).or_insert(0) += 1;
    }
    for (kind, at_least) in [
        ("E164", 2200),
        ("National", 300),
        ("Invalid", 80),
        ("Landline", 80),
        ("OtherScript", 50),
        ("Typo", 50),
    ] {
        assert!(seen[kind] >= at_least, "{kind}: {seen:?}");
    }
}

#[tokio::test]
async fn triggers_are_validated_admin_only_and_run_on_a_played_reply() {
    let t = T::start(SandboxConfig {
        users: 200,
        ..SandboxConfig::default()
    })
    .await;
    let i = t.sb.info();
    let post = |body: Value, email: String| {
        t.http
            .post(t.url("/api/v2/triggers"))
            .basic_auth(format!("{email}/token"), Some(&i.zendesk_token))
            .json(&body)
            .send()
    };
    let trigger = |field: &str, value: &str| {
        json!({"trigger": {
            "title": "t",
            "conditions": {"all": [
                {"field": "comment_includes_word", "operator": "includes", "value": "stop"},
                {"field": field, "operator": "is", "value": value},
            ]},
            "actions": [{"field": "current_tags", "value": "heard"}],
        }})
    };
    // An unknown condition is refused as Zendesk refuses it, with its details.
    let (status, e) = body(
        post(trigger("mood", "happy"), i.zendesk_email.clone())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(
        e["details"]["base"][0]["description"]
            .as_str()
            .unwrap()
            .contains("mood"),
        "{e}"
    );
    // An agent may not manage triggers.
    let pop = Population::new(i.seed, i.users);
    let (status, _) = body(
        post(trigger("current_via_id", "4"), pop.user(1).email)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Only replies by email (via id 4): a WhatsApp STOP is not tagged, an emailed one is.
    let (status, _) = body(
        post(trigger("current_via_id", "4"), i.zendesk_email.clone())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let phones: Vec<String> = (5..pop.count)
        .filter(|x| pop.phone_kind(*x) == PhoneKind::E164)
        .take(2)
        .map(|x| pop.user(x).e164.unwrap())
        .collect();
    let play = |from: &str, channel: &str, text: &str| {
        t.http
            .post(t.url("/_sandbox/inbound"))
            .json(&json!({"from": from, "text": text, "channel": channel}))
            .send()
    };
    let (_, wa) = body(play(&phones[0], "whatsapp", "Stop").await.unwrap()).await;
    assert_eq!(wa["ticket"]["tags"], json!([]), "{wa}");
    let (_, sms) = body(play(&phones[1], "email", "STOP please").await.unwrap()).await;
    assert_eq!(sms["ticket"]["tags"], json!(["heard"]), "{sms}");
    // A second reply of the same user joins their open ticket of that channel.
    let (_, again) = body(play(&phones[1], "email", "stop").await.unwrap()).await;
    assert_eq!(again["ticket"]["id"], sms["ticket"]["id"]);
    // Bad plays: an unknown number, an unknown channel, an empty text.
    assert_eq!(
        play("+15550000000", "sms", "STOP").await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        play(&phones[0], "fax", "STOP").await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        play(&phones[0], "sms", "  ").await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
}
