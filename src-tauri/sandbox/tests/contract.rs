//! Contract tests: every sandbox response Relay relies on is checked against the official API
//! descriptions (vendored in `specs/`), two ways:
//!
//! 1. it validates against the spec's schema (types, required fields, nullability), with
//!    OpenAPI's `nullable` translated to JSON Schema;
//! 2. every field the sandbox emits is declared by the schema (a renamed or invented field —
//!    `after_cursor` for `afterCursor`, say — fails even where the schema would allow extras).
//!
//! Where no schema exists (v1.1 message templates), the Postman collection's official examples
//! play that role.

use relay_sandbox::data::{PhoneKind, Population};
use relay_sandbox::{ExportOrder, Faults, Sandbox, SandboxConfig};
use reqwest::Client;
use serde_json::{json, Value};

use crate::support;

use support::spec::{spec_path, Spec};

struct Env {
    sb: Sandbox,
    http: Client,
}

impl Env {
    async fn new() -> Env {
        Env {
            sb: Sandbox::start(SandboxConfig {
                users: 600,
                ..SandboxConfig::default()
            })
            .await
            .unwrap(),
            http: Client::new(),
        }
    }
    async fn zd(&self, path: &str) -> Value {
        let i = self.sb.info();
        self.http
            .get(format!("{}{path}", i.base_url))
            .basic_auth(format!("{}/token", i.zendesk_email), Some(&i.zendesk_token))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
    async fn zd_send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let i = self.sb.info();
        let mut req = self
            .http
            .request(method, format!("{}{path}", i.base_url))
            .basic_auth(format!("{}/token", i.zendesk_email), Some(&i.zendesk_token));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
    async fn sc(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let i = self.sb.info();
        let mut req = self
            .http
            .request(method, format!("{}{path}", i.sunshine_url))
            .basic_auth(&i.key_id, Some(&i.key_secret));
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or(Value::Null)
    }
}

#[tokio::test]
async fn zendesk_responses_match_the_support_api_spec() {
    let spec = Spec::openapi("zendesk-relay-excerpt.yaml");
    let env = Env::new().await;
    let me = env.zd("/api/v2/users/me").await;
    spec.check("CurrentUserResponse", &me);
    let mut user = me["user"].clone();
    user.as_object_mut().unwrap().remove("authenticity_token"); // declared by CurrentUserResponse
    spec.check("UserForAdmin", &user);
    spec.check("GroupsResponse", &env.zd("/api/v2/groups").await);
    let id = me["user"]["id"].as_u64().unwrap();
    spec.check(
        "GroupMembershipsResponse",
        &env.zd(&format!("/api/v2/group_memberships?user_id={id}"))
            .await,
    );
    spec.check("UserFieldsResponse", &env.zd("/api/v2/user_fields").await);
    spec.check(
        "SearchCountResponse",
        &env.zd("/api/v2/search/count?query=tags:vip").await,
    );

    // Every order the documents allow ("ordered by created_at", no direction given) keeps the
    // documented shape, on the first page and on one reached by cursor.
    for order in [ExportOrder::Asc, ExportOrder::Desc, ExportOrder::Unordered] {
        env.http
            .put(format!("{}/_sandbox/faults", env.sb.base_url()))
            .json(&Faults {
                export_order: order,
                ..Faults::default()
            })
            .send()
            .await
            .unwrap();
        let first = env
            .zd("/api/v2/search/export?query=tags:vip&filter[type]=user&page[size]=50")
            .await;
        let next = first["links"]["next"].as_str().unwrap();
        let next = env.zd(next.trim_start_matches(env.sb.base_url())).await;
        for export in [first, next] {
            spec.check(
                "SearchExportResponse",
                &json!({"meta": export["meta"], "links": export["links"], "facets": export["facets"]}),
            );
            for user in export["results"].as_array().unwrap() {
                // Results are users plus `result_type`, which SearchResultObject declares.
                let mut u = user.clone();
                assert_eq!(
                    u.as_object_mut().unwrap().remove("result_type"),
                    Some(json!("user"))
                );
                spec.check("UserForAdmin", &u);
            }
        }
    }
    let page = env
        .zd("/api/v2/search.json?query=tags:vip&per_page=5")
        .await;
    spec.check("SearchResponse", &json!({"count": page["count"], "facets": page["facets"], "next_page": page["next_page"], "previous_page": page["previous_page"]}));

    let pop = Population::new(42, 600);
    let idx = (5..600)
        .find(|i| pop.phone_kind(*i) == PhoneKind::IdentityOnly)
        .unwrap();
    let identities = env
        .zd(&format!("/api/v2/users/{}/identities", pop.id_of(idx)))
        .await;
    spec.check(
        "UserIdentitiesResponse",
        &json!({"identities": identities["identities"]}),
    );
    let many = env
        .zd(&format!(
            "/api/v2/users/show_many?ids={},{}",
            pop.id_of(idx),
            pop.id_of(idx + 1)
        ))
        .await;
    spec.check("UsersResponse", &json!({"users": many["users"]}));
}

#[tokio::test]
async fn zendesk_triggers_tickets_comments_and_tags_match_the_support_api_spec() {
    use reqwest::Method;
    let spec = Spec::openapi("zendesk-relay-excerpt.yaml");
    let env = Env::new().await;
    let body = json!({"trigger": {
        "title": "Tag opt-out replies",
        "description": "contract test",
        "active": true,
        "conditions": {
            "all": [
                {"field": "comment_includes_word", "operator": "includes", "value": "stop \"opt out\""},
                {"field": "role", "operator": "is", "value": "end_user"},
            ],
            "any": [],
        },
        "actions": [{"field": "current_tags", "value": "relay_reply"}],
    }});
    let (status, made) = env
        .zd_send(Method::POST, "/api/v2/triggers", Some(body.clone()))
        .await;
    assert_eq!(status, 201, "{made}");
    spec.check("TriggerResponse", &made);
    let id = made["trigger"]["id"].as_u64().unwrap();
    spec.check("TriggersResponse", &env.zd("/api/v2/triggers").await);
    spec.check(
        "TriggerResponse",
        &env.zd(&format!("/api/v2/triggers/{id}")).await,
    );
    let mut changed = body.clone();
    changed["trigger"]["title"] = json!("Tag opt-out replies (2)");
    let (status, updated) = env
        .zd_send(
            Method::PUT,
            &format!("/api/v2/triggers/{id}"),
            Some(changed),
        )
        .await;
    assert_eq!(status, 200);
    spec.check("TriggerResponse", &updated);

    // An end user replies STOP: a ticket with its comment, tagged by the trigger, found by search.
    let pop = Population::new(42, 600);
    let idx = (5..600)
        .find(|i| pop.phone_kind(*i) == PhoneKind::E164)
        .unwrap();
    let from = pop.user(idx).e164.unwrap();
    let played = env
        .http
        .post(format!("{}/_sandbox/inbound", env.sb.base_url()))
        .json(&json!({"from": from, "text": "STOP", "channel": "whatsapp"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let ticket = played["ticket"]["id"].as_u64().unwrap();
    let shown = env.zd(&format!("/api/v2/tickets/{ticket}")).await;
    spec.check("TicketResponse", &shown);
    assert!(shown["ticket"]["tags"]
        .as_array()
        .unwrap()
        .contains(&json!("relay_reply")));
    spec.check(
        "TicketCommentsResponse",
        &env.zd(&format!("/api/v2/tickets/{ticket}/comments")).await,
    );
    spec.check(
        "TagsByObjectIdResponse",
        &env.zd(&format!("/api/v2/tickets/{ticket}/tags")).await,
    );
    let (status, tagged) = env
        .zd_send(
            Method::PUT,
            &format!("/api/v2/tickets/{ticket}/tags"),
            Some(json!({"tags": ["relay_read"]})),
        )
        .await;
    assert_eq!(status, 200);
    spec.check("TagsByObjectIdResponse", &tagged);
    let found = env
        .zd("/api/v2/search/export?query=tags:relay_reply&filter[type]=ticket&page[size]=100")
        .await;
    spec.check(
        "SearchExportResponse",
        &json!({"meta": found["meta"], "links": found["links"], "facets": found["facets"]}),
    );
    let results = found["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{found}");
    let mut t = results[0].clone();
    assert_eq!(
        t.as_object_mut().unwrap().remove("result_type"),
        Some(json!("ticket"))
    );
    spec.check("TicketObject", &t);

    let (status, _) = env
        .zd_send(Method::DELETE, &format!("/api/v2/triggers/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = env
        .zd_send(Method::GET, &format!("/api/v2/triggers/{id}"), None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn sunshine_v2_integrations_match_the_v2_spec() {
    let spec = Spec::openapi("sunshine-conversations-api-spec_openapi_v17.12.1.yaml");
    let env = Env::new().await;
    let app = env.sb.info().app_id.clone();
    for query in [
        "?page[size]=2",
        "?filter[types]=whatsapp,twilio,messagebird",
        "?page[size]=1&page[after]=5f1e0c3a9b8d7e6f5a4b3c31",
    ] {
        let list = env
            .sc(
                reqwest::Method::GET,
                &format!("/v2/apps/{app}/integrations{query}"),
                None,
            )
            .await;
        spec.check(
            "integrationListResponse",
            &json!({"meta": list["meta"], "links": list["links"]}),
        );
        for i in list["integrations"].as_array().unwrap() {
            let schema = match i["type"].as_str().unwrap() {
                t @ ("whatsapp" | "twilio" | "messagebird" | "web" | "android") => t,
                other => panic!("unexpected integration type {other}"),
            };
            spec.check(schema, i);
        }
    }
    let err = env
        .sc(
            reqwest::Method::GET,
            "/v2/apps/000000000000000000000000/integrations",
            None,
        )
        .await;
    spec.check("errorResponse", &err);
}

#[tokio::test]
async fn sunshine_v1_notifications_match_the_v1_spec_and_postman_examples() {
    let spec = Spec::swagger("sunshine-conversations-api-spec_v1-master_swagger_v5.34.json");
    let env = Env::new().await;
    let app = env.sb.info().app_id.clone();
    let postman: Value = serde_json::from_str(
        &std::fs::read_to_string(spec_path("postman-templates-and-notifications.json")).unwrap(),
    )
    .unwrap();

    // The Postman collection's own request body for Post Notification (SMS text), pointed at a
    // sandbox integration, is accepted; the request is valid against NotificationPost too.
    let item = &postman["items"]["Notifications/Post Notification"];
    let mut request: Value =
        serde_json::from_str(item["request"]["body"]["raw"].as_str().unwrap()).unwrap();
    request["destination"]["integrationId"] = json!("5f1e0c3a9b8d7e6f5a4b3c33");
    request["destination"]["destinationId"] = json!("+14155550123");
    spec.check("NotificationPost", &request);
    let resp = env
        .sc(
            reqwest::Method::POST,
            &format!("/v1.1/apps/{app}/notifications"),
            Some(request),
        )
        .await;
    spec.check("NotificationResponse", &resp);

    // Message templates have no schema: the Postman examples' field names are the contract.
    let create = &postman["items"]["Templates/WhatsApp Message Templates/Create Message Template"];
    let example_request: Value =
        serde_json::from_str(create["request"]["body"]["raw"].as_str().unwrap()).unwrap();
    let example_response: Value =
        serde_json::from_str(create["response"][0]["body"].as_str().unwrap()).unwrap();
    let mut ours = example_request.clone();
    ours["category"] = json!("UTILITY");
    let created = env
        .sc(
            reqwest::Method::POST,
            &format!("/v1.1/apps/{app}/integrations/5f1e0c3a9b8d7e6f5a4b3c31/messageTemplates"),
            Some(ours),
        )
        .await;
    let keys = |v: &Value| {
        v.as_object()
            .map(|o| o.keys().cloned().collect::<std::collections::BTreeSet<_>>())
            .unwrap_or_default()
    };
    assert_eq!(
        keys(&created),
        keys(&example_response),
        "the create response envelope"
    );
    assert_eq!(
        keys(&created["messageTemplate"]),
        keys(&example_response["messageTemplate"]),
        "a template's fields"
    );
    let list = env
        .sc(
            reqwest::Method::GET,
            &format!("/v1.1/apps/{app}/integrations/5f1e0c3a9b8d7e6f5a4b3c31/messageTemplates"),
            None,
        )
        .await;
    for t in list["messageTemplates"].as_array().unwrap() {
        let mut k = keys(t);
        k.remove("rejected_reason"); // Meta's field, passed through for rejected templates
        assert_eq!(k, keys(&example_response["messageTemplate"]));
    }

    // v1.1 errors: {"error": {"code", "description"}}.
    let err = env
        .sc(
            reqwest::Method::POST,
            &format!("/v1.1/apps/{app}/notifications"),
            Some(json!({})),
        )
        .await;
    assert_eq!(keys(&err), ["error".to_string()].into());
    assert_eq!(
        keys(&err["error"]),
        ["code".to_string(), "description".to_string()].into()
    );
}

#[test]
fn the_checker_catches_a_renamed_field() {
    // The contract tests are only worth something if a drifting name fails them.
    let spec = Spec::openapi("sunshine-conversations-api-spec_openapi_v17.12.1.yaml");
    let drifted = json!({"meta": {"hasMore": true, "after_cursor": "x"}, "links": {}});
    let result = std::panic::catch_unwind(|| spec.check("integrationListResponse", &drifted));
    assert!(
        result.is_err(),
        "after_cursor instead of afterCursor must fail"
    );
    let nulled = json!({"meta": {"hasMore": false, "afterCursor": null}, "links": {}});
    assert!(
        std::panic::catch_unwind(|| spec.check("integrationListResponse", &nulled)).is_err(),
        "null where the spec omits"
    );
}
