//! The Sunshine Conversations subset: integrations (v2), WhatsApp message templates (v1.1) with
//! Meta-like review, and the Notification API (v1.1).

use crate::conn::Connection;
use crate::server::{dropped_connection, error_for, Recorded, SandboxConfig, Shared};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

const LANGUAGES: &str = include_str!("languages.txt");

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/v2/apps/{app}/integrations", get(list_integrations))
        .route("/v2/apps/{app}/integrations/{id}", get(get_integration))
        .route(
            "/v1.1/apps/{app}/integrations/{id}/messageTemplates",
            get(list_templates).post(create_template),
        )
        .route(
            "/v1.1/apps/{app}/integrations/{id}/messageTemplates/{name}",
            delete(delete_template),
        )
        .route("/v1.1/apps/{app}/notifications", post(notify))
}

/// The seeded integrations: (id, type, display name, type-specific fields).
fn integrations() -> Vec<Value> {
    vec![
        json!({"id": "5f1e0c3a9b8d7e6f5a4b3c31", "type": "whatsapp", "status": "active", "displayName": "WhatsApp Support",
               "phoneNumber": "15145550100", "hsmFallbackLanguage": "en_US", "accountId": "104996325698741"}),
        json!({"id": "5f1e0c3a9b8d7e6f5a4b3c32", "type": "whatsapp", "status": "active", "displayName": "WhatsApp Marketing",
               "phoneNumber": "33757000123", "hsmFallbackLanguage": "fr", "accountId": "104996325698742"}),
        json!({"id": "5f1e0c3a9b8d7e6f5a4b3c33", "type": "twilio", "status": "active", "displayName": "Twilio SMS",
               "accountSid": "AC0123456789abcdef0123456789abcdef", "phoneNumberSid": "PN0123456789abcdef0123456789abcdef"}),
        json!({"id": "5f1e0c3a9b8d7e6f5a4b3c34", "type": "messagebird", "status": "active", "displayName": "MessageBird SMS",
               "originator": "RelayDemo"}),
        json!({"id": "5f1e0c3a9b8d7e6f5a4b3c35", "type": "web", "status": "active", "displayName": "Web Widget"}),
        json!({"id": "5f1e0c3a9b8d7e6f5a4b3c36", "type": "android", "status": "inactive", "displayName": "Android SDK"}),
    ]
}

fn integration(id: &str) -> Option<Value> {
    integrations().into_iter().find(|i| i["id"] == id)
}

async fn list_integrations(
    State(s): State<Shared>,
    Path(app): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/sc/v2/apps/{app}/integrations");
    let size: usize = match q.get("page[size]").map(|v| v.parse::<usize>()) {
        None => 25,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        _ => {
            return error_for(
                &path,
                StatusCode::BAD_REQUEST,
                "bad_request",
                "Invalid query parameters",
            )
        }
    };
    if q.contains_key("page[after]") && q.contains_key("page[before]") {
        return error_for(
            &path,
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Invalid query parameters",
        );
    }
    let types: Option<BTreeSet<String>> = q.get("filter[types]").map(|t| {
        t.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    });
    let all: Vec<Value> = integrations()
        .into_iter()
        .filter(|i| {
            types
                .as_ref()
                .is_none_or(|t| t.contains(i["type"].as_str().unwrap_or_default()))
        })
        .collect();
    let start = match q.get("page[after]") {
        Some(after) => match all.iter().position(|i| i["id"] == after.as_str()) {
            Some(p) => p + 1,
            None => {
                return error_for(
                    &path,
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "Invalid query parameters",
                )
            }
        },
        None => 0,
    };
    let page: Vec<Value> = all.iter().skip(start).take(size).cloned().collect();
    let has_more = start + page.len() < all.len();
    let after = page.last().map(|i| i["id"].clone()).unwrap_or(Value::Null);
    let before = page.first().map(|i| i["id"].clone()).unwrap_or(Value::Null);
    let base = format!("{}{path}", s.info.base_url);
    let mut filter = String::new();
    if let Some(t) = q.get("filter[types]") {
        filter = format!("&filter[types]={t}");
    }
    // The v2 spec: cursors and links are "not specified" when there is no such page.
    let mut meta = json!({ "hasMore": has_more });
    let mut links = json!({});
    if has_more {
        meta["afterCursor"] = after.clone();
        links["next"] = json!(format!(
            "{base}?page[size]={size}&page[after]={}{filter}",
            after.as_str().unwrap_or_default()
        ));
    }
    if start > 0 {
        meta["beforeCursor"] = before.clone();
        links["prev"] = json!(format!(
            "{base}?page[size]={size}&page[before]={}{filter}",
            before.as_str().unwrap_or_default()
        ));
    }
    Json(json!({ "integrations": page, "meta": meta, "links": links })).into_response()
}

async fn get_integration(Path((app, id)): Path<(String, String)>) -> Response {
    match integration(&id) {
        Some(i) => Json(json!({ "integration": i })).into_response(),
        None => error_for(
            &format!("/sc/v2/apps/{app}"),
            StatusCode::NOT_FOUND,
            "integration_not_found",
            "Integration not found",
        ),
    }
}

/// A WhatsApp template known to the sandbox.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    id: String,
    pub name: String,
    pub language: String,
    category: String,
    pub components: Value,
    created_at: DateTime<Utc>,
    /// Seeded templates keep their status; submitted ones go PENDING → APPROVED/REJECTED.
    fixed: Option<(&'static str, Option<&'static str>)>,
}

impl Template {
    pub fn status(
        &self,
        now: DateTime<Utc>,
        approve_after: chrono::Duration,
    ) -> (&'static str, Option<&'static str>) {
        if let Some(f) = self.fixed {
            return f;
        }
        if now < self.created_at + approve_after {
            ("PENDING", None)
        } else if self.name.contains("reject") {
            ("REJECTED", Some("INVALID_FORMAT"))
        } else {
            ("APPROVED", None)
        }
    }

    fn to_json(&self, now: DateTime<Utc>, approve_after: chrono::Duration) -> Value {
        let (status, reason) = self.status(now, approve_after);
        let mut v = json!({
            "id": self.id, "name": self.name, "language": self.language, "category": self.category,
            "status": status, "components": self.components,
        });
        if let Some(r) = reason {
            v["rejected_reason"] = json!(r);
        }
        v
    }
}

/// Templates per WhatsApp integration.
pub(crate) struct Templates {
    by_integration: HashMap<String, Vec<Template>>,
    next_id: u64,
}

fn seed_template(
    id: u64,
    name: &str,
    language: &str,
    category: &str,
    components: Value,
    fixed: (&'static str, Option<&'static str>),
) -> Template {
    Template {
        id: id.to_string(),
        name: name.into(),
        language: language.into(),
        category: category.into(),
        components,
        created_at: DateTime::<Utc>::MIN_UTC,
        fixed: Some(fixed),
    }
}

impl Templates {
    pub fn seeded(_config: &SandboxConfig, _now: DateTime<Utc>) -> Self {
        let support = vec![
            seed_template(
                642_365_629_708_001,
                "order_shipped",
                "en_US",
                "UTILITY",
                json!([
                    {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["A-1042"]}},
                    {"type": "BODY", "text": "Hi {{1}}, your order {{2}} has shipped and arrives on {{3}}. Track it any time.",
                     "example": {"body_text": [["Clarice", "A-1042", "Monday"]]}},
                    {"type": "FOOTER", "text": "Reply STOP to unsubscribe"},
                    {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Track order", "url": "https://example.com/track/{{1}}", "example": ["A-1042"]}]}
                ]),
                ("APPROVED", None),
            ),
            seed_template(
                642_365_629_708_002,
                "appointment_reminder",
                "fr",
                "UTILITY",
                json!([
                    {"type": "BODY", "text": "Bonjour {{1}}, nous vous attendons demain à {{2}}. Répondez OUI pour confirmer.",
                     "example": {"body_text": [["Camille", "10h30"]]}},
                    {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "OUI"}, {"type": "QUICK_REPLY", "text": "NON"}]}
                ]),
                ("APPROVED", None),
            ),
            seed_template(
                642_365_629_708_003,
                "summer_sale",
                "en_US",
                "MARKETING",
                json!([{"type": "BODY", "text": "Hello {{1}}, our summer sale starts now: {{2}} off everything in store.",
                        "example": {"body_text": [["Clarice", "20%"]]}}]),
                ("PENDING", None),
            ),
            seed_template(
                642_365_629_708_004,
                "free_money_now",
                "en_US",
                "MARKETING",
                json!([{"type": "BODY", "text": "Claim your free money now!"}]),
                ("REJECTED", Some("PROMOTIONAL")),
            ),
        ];
        let marketing = vec![seed_template(
            642_365_629_708_005,
            "welcome_offer",
            "en_US",
            "MARKETING",
            json!([{"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW1hZ2U="]}},
                   {"type": "BODY", "text": "Welcome {{1}}! Enjoy {{2}} off your first order with us.",
                    "example": {"body_text": [["Clarice", "10%"]]}}]),
            ("APPROVED", None),
        )];
        let mut by_integration = HashMap::new();
        by_integration.insert("5f1e0c3a9b8d7e6f5a4b3c31".to_string(), support);
        by_integration.insert("5f1e0c3a9b8d7e6f5a4b3c32".to_string(), marketing);
        Templates {
            by_integration,
            next_id: 642_365_629_709_000,
        }
    }

    pub fn find(&self, integration: &str, name: &str, language: &str) -> Option<&Template> {
        self.by_integration
            .get(integration)?
            .iter()
            .find(|t| t.name == name && t.language == language)
    }
}

fn v1_error(status: StatusCode, code: &str, description: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "description": description.into()}})),
    )
        .into_response()
}

fn whatsapp_integration(id: &str) -> Result<Value, Response> {
    match integration(id) {
        Some(i) if i["type"] == "whatsapp" => Ok(i),
        Some(_) => Err(v1_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Message templates exist only on WhatsApp integrations",
        )),
        None => Err(v1_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "Integration not found",
        )),
    }
}

async fn list_templates(
    State(s): State<Shared>,
    Path((_app, id)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(resp) = whatsapp_integration(&id) {
        return resp;
    }
    let limit: usize = match q.get("limit").map(|v| v.parse::<usize>()) {
        None => 25,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        _ => {
            return v1_error(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "limit must be a number from 1 to 1000",
            )
        }
    };
    let now = s.now();
    let templates = s.templates.lock().unwrap_or_else(|e| e.into_inner());
    let all: Vec<&Template> = templates
        .by_integration
        .get(&id)
        .map(|v| {
            v.iter()
                .filter(|t| q.get("name").is_none_or(|n| &t.name == n))
                .collect()
        })
        .unwrap_or_default();
    let start = match q.get("after") {
        Some(after) => match all.iter().position(|t| &t.id == after) {
            Some(p) => p + 1,
            None => {
                return v1_error(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "Invalid after cursor",
                )
            }
        },
        None => 0,
    };
    let page: Vec<Value> = all
        .iter()
        .skip(start)
        .take(limit)
        .map(|t| t.to_json(now, s.approve_after))
        .collect();
    let has_more = start + page.len() < all.len();
    let after = page
        .last()
        .and_then(|t| t["id"].as_str())
        .map(str::to_string);
    let mut body = json!({ "messageTemplates": page });
    // Graph-style paging, as the v1.1 API passes Meta's through (`after`/`before` cursors).
    if has_more {
        body["paging"] =
            json!({"cursors": {"before": all.get(start).map(|t| t.id.clone()), "after": after}});
    }
    Json(body).into_response()
}

fn placeholders(text: &str) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or("A {{ is not closed with }}")?;
        let inner = &after[..end];
        let n: u32 = inner
            .parse()
            .map_err(|_| format!("Invalid parameter {{{{{inner}}}}}: use {{{{1}}}}, {{{{2}}}}…"))?;
        out.push(n);
        rest = &after[end + 2..];
    }
    Ok(out)
}

fn check_sequential(ns: &[u32], what: &str) -> Result<u32, String> {
    let distinct: BTreeSet<u32> = ns.iter().copied().collect();
    for (i, n) in distinct.iter().enumerate() {
        if *n != i as u32 + 1 {
            return Err(format!(
                "{what} parameters must be numbered {{{{1}}}} to {{{{n}}}} without gaps"
            ));
        }
    }
    Ok(distinct.len() as u32)
}

/// Validates a create request like Meta does; returns a reason on refusal.
fn validate_template(body: &Value) -> Result<(), String> {
    let name = body["name"].as_str().ok_or("name is required")?;
    if name.is_empty()
        || name.len() > 512
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err("name must be 1 to 512 lowercase letters, digits and underscores".into());
    }
    let language = body["language"].as_str().ok_or("language is required")?;
    if !LANGUAGES.lines().any(|l| l == language) {
        return Err(format!("language {language} is not supported by WhatsApp"));
    }
    let category = body["category"].as_str().ok_or("category is required")?;
    const CATEGORIES: [&str; 14] = [
        "MARKETING",
        "UTILITY",
        "AUTHENTICATION",
        "ACCOUNT_UPDATE",
        "PAYMENT_UPDATE",
        "PERSONAL_FINANCE_UPDATE",
        "SHIPPING_UPDATE",
        "RESERVATION_UPDATE",
        "ISSUE_RESOLUTION",
        "APPOINTMENT_UPDATE",
        "TRANSPORTATION_UPDATE",
        "TICKET_UPDATE",
        "ALERT_UPDATE",
        "AUTO_REPLY",
    ];
    if !CATEGORIES.contains(&category) {
        return Err(format!("category {category} is not valid"));
    }
    let components = body["components"]
        .as_array()
        .ok_or("components is required")?;
    let count = |t: &str| components.iter().filter(|c| c["type"] == t).count();
    if count("BODY") != 1 {
        return Err("exactly one BODY component is required".into());
    }
    if count("HEADER") > 1 || count("FOOTER") > 1 || count("BUTTONS") > 1 {
        return Err("at most one HEADER, FOOTER and BUTTONS component".into());
    }
    for c in components {
        match c["type"].as_str().unwrap_or_default() {
            "BODY" => {
                let text = c["text"].as_str().ok_or("BODY text is required")?;
                if text.chars().count() > 1024 {
                    return Err("BODY text is longer than 1024 characters".into());
                }
                let n = check_sequential(&placeholders(text)?, "BODY")?;
                if n > 0 {
                    let examples = c["example"]["body_text"][0]
                        .as_array()
                        .map(|a| a.len())
                        .unwrap_or(0);
                    if examples as u32 != n {
                        return Err(format!(
                            "BODY has {n} parameters but example.body_text has {examples} values"
                        ));
                    }
                    let t = text.trim();
                    if t.starts_with("{{") || t.trim_end_matches(['.', '!', '?']).ends_with("}}") {
                        return Err("BODY may not start or end with a parameter".into());
                    }
                }
            }
            "HEADER" => match c["format"].as_str().unwrap_or_default() {
                "TEXT" => {
                    let text = c["text"].as_str().ok_or("HEADER text is required")?;
                    if text.chars().count() > 60 || text.contains('\n') {
                        return Err("HEADER text must be one line of at most 60 characters".into());
                    }
                    let n = check_sequential(&placeholders(text)?, "HEADER")?;
                    if n > 1 {
                        return Err("HEADER may have at most one parameter".into());
                    }
                    if n == 1 && c["example"]["header_text"].as_array().map(|a| a.len()) != Some(1)
                    {
                        return Err("HEADER parameter needs example.header_text".into());
                    }
                }
                "IMAGE" | "VIDEO" | "DOCUMENT" | "LOCATION" => {}
                other => return Err(format!("HEADER format {other} is not valid")),
            },
            "FOOTER" => {
                let text = c["text"].as_str().ok_or("FOOTER text is required")?;
                if text.chars().count() > 60 || text.contains("{{") {
                    return Err("FOOTER must be at most 60 characters without parameters".into());
                }
            }
            "BUTTONS" => {
                let buttons = c["buttons"].as_array().ok_or("BUTTONS needs buttons")?;
                if buttons.is_empty() || buttons.len() > 10 {
                    return Err("1 to 10 buttons".into());
                }
                let kind = |k: &str| buttons.iter().filter(|b| b["type"] == k).count();
                if kind("URL") > 2 || kind("PHONE_NUMBER") > 1 {
                    return Err("at most 2 URL buttons and 1 PHONE_NUMBER button".into());
                }
                for b in buttons {
                    if b["text"]
                        .as_str()
                        .is_none_or(|t| t.is_empty() || t.chars().count() > 25)
                    {
                        return Err("button text must be 1 to 25 characters".into());
                    }
                    if b["type"] == "URL" {
                        let url = b["url"].as_str().unwrap_or_default();
                        if !url.starts_with("https://") || url.len() > 2000 {
                            return Err(
                                "URL buttons need an https URL of at most 2000 characters".into()
                            );
                        }
                        let params = placeholders(url)?;
                        if params.len() > 1 || (params.len() == 1 && !url.ends_with("{{1}}")) {
                            return Err("a URL button may have one parameter, at the end".into());
                        }
                    }
                }
            }
            other => return Err(format!("component type {other} is not valid")),
        }
    }
    Ok(())
}

async fn create_template(
    State(s): State<Shared>,
    Path((_app, id)): Path<(String, String)>,
    body: Option<Json<Value>>,
) -> Response {
    if let Err(resp) = whatsapp_integration(&id) {
        return resp;
    }
    let Some(Json(body)) = body else {
        return v1_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The body must be JSON",
        );
    };
    if let Err(reason) = validate_template(&body) {
        return v1_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("Invalid template: {reason}"),
        );
    }
    let now = s.now();
    let mut templates = s.templates.lock().unwrap_or_else(|e| e.into_inner());
    let name = body["name"].as_str().unwrap_or_default().to_string();
    let language = body["language"].as_str().unwrap_or_default().to_string();
    if templates.find(&id, &name, &language).is_some() {
        return v1_error(
            StatusCode::CONFLICT,
            "conflict",
            "A template with this name and language already exists",
        );
    }
    templates.next_id += 1;
    let t = Template {
        id: templates.next_id.to_string(),
        name,
        language,
        category: body["category"].as_str().unwrap_or_default().to_string(),
        components: body["components"].clone(),
        created_at: now,
        fixed: None,
    };
    let json = t.to_json(now, s.approve_after);
    templates.by_integration.entry(id).or_default().push(t);
    (
        StatusCode::CREATED,
        Json(json!({ "messageTemplate": json })),
    )
        .into_response()
}

async fn delete_template(
    State(s): State<Shared>,
    Path((_app, id, name)): Path<(String, String, String)>,
) -> Response {
    if let Err(resp) = whatsapp_integration(&id) {
        return resp;
    }
    let mut templates = s.templates.lock().unwrap_or_else(|e| e.into_inner());
    let list = templates.by_integration.entry(id).or_default();
    let before = list.len();
    // Deleting a name deletes all of its translations, as Meta does.
    list.retain(|t| t.name != name);
    if list.len() == before {
        return v1_error(StatusCode::NOT_FOUND, "not_found", "Template not found");
    }
    Json(json!({})).into_response()
}

fn is_e164(s: &str) -> bool {
    s.len() >= 3
        && s.len() <= 16
        && s.starts_with('+')
        && s[1..].chars().all(|c| c.is_ascii_digit())
        && !s[1..].starts_with('0')
}

fn check_template_message(
    s: &Shared,
    integration: &str,
    message: &Value,
) -> Result<String, String> {
    if message["type"] != "template" {
        return Err("WhatsApp notifications need message.type \"template\"".into());
    }
    let t = &message["template"];
    let name = t["name"]
        .as_str()
        .ok_or("message.template.name is required")?;
    let language = t["language"]["code"]
        .as_str()
        .ok_or("message.template.language.code is required")?;
    let templates = s.templates.lock().unwrap_or_else(|e| e.into_inner());
    let tpl = templates.find(integration, name, language).ok_or_else(|| {
        format!("Template {name} does not exist in language {language} (WhatsApp error 132001)")
    })?;
    let (status, _) = tpl.status(s.now(), s.approve_after);
    if status != "APPROVED" {
        return Err(format!(
            "Template {name} ({language}) is {status}, not APPROVED (WhatsApp error 132001)"
        ));
    }
    let comps = t["components"].as_array().cloned().unwrap_or_default();
    let params_of = |kind: &str| -> usize {
        comps
            .iter()
            .filter(|c| {
                c["type"]
                    .as_str()
                    .is_some_and(|x| x.eq_ignore_ascii_case(kind))
            })
            .map(|c| c["parameters"].as_array().map(|p| p.len()).unwrap_or(0))
            .sum()
    };
    for c in tpl.components.as_array().into_iter().flatten() {
        match c["type"].as_str().unwrap_or_default() {
            "BODY" => {
                let want = placeholders(c["text"].as_str().unwrap_or_default())
                    .map(|p| p.into_iter().collect::<BTreeSet<_>>().len())
                    .unwrap_or(0);
                let got = params_of("body");
                if want != got {
                    return Err(format!("The template body has {want} parameters but {got} were given (WhatsApp error 132000)"));
                }
                for p in comps
                    .iter()
                    .filter(|c| c["type"] == "body")
                    .flat_map(|c| c["parameters"].as_array().cloned().unwrap_or_default())
                {
                    let text = p["text"].as_str().unwrap_or_default();
                    if text.contains('\n') || text.contains('\t') || text.contains("     ") {
                        return Err("Param text cannot have new-line/tab characters or more than 4 consecutive spaces (WhatsApp error 132018)".into());
                    }
                }
            }
            "HEADER" => {
                let want = match c["format"].as_str().unwrap_or_default() {
                    "TEXT" => placeholders(c["text"].as_str().unwrap_or_default())
                        .map(|p| p.len())
                        .unwrap_or(0),
                    "LOCATION" => 0,
                    _ => 1,
                };
                let got = params_of("header");
                if want != got {
                    return Err(format!("The template header needs {want} parameter(s) but {got} were given (WhatsApp error 132000)"));
                }
            }
            _ => {}
        }
    }
    Ok(format!("template:{name}:{language}"))
}

async fn notify(
    State(s): State<Shared>,
    ConnectInfo(conn): ConnectInfo<Connection>,
    Path(_app): Path<String>,
    body: Option<Json<Value>>,
) -> Response {
    let bad = |d: String| v1_error(StatusCode::BAD_REQUEST, "bad_request", d);
    let Some(Json(body)) = body else {
        return bad("The body must be JSON".into());
    };
    let integration_id = body["destination"]["integrationId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let destination = body["destination"]["destinationId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let Some(integration) = integration(&integration_id) else {
        return bad(format!(
            "destination.integrationId {integration_id:?} is not an integration of this app"
        ));
    };
    if !is_e164(&destination) {
        return bad(format!("destination.destinationId {destination:?} must be a phone number in E.164 format (+ and country code)"));
    }
    if body["author"]["role"] != "appMaker" {
        return bad("author.role must be \"appMaker\"".into());
    }
    let message = &body["message"];
    let kind = match integration["type"].as_str().unwrap_or_default() {
        "whatsapp" => {
            if body["messageSchema"] != "whatsapp" {
                return bad(
                    "messageSchema must be \"whatsapp\" for WhatsApp template notifications".into(),
                );
            }
            match check_template_message(&s, &integration_id, message) {
                Ok(kind) => kind,
                Err(reason) => return bad(reason),
            }
        }
        "twilio" | "messagebird" => {
            if message["type"] != "text"
                || message["text"].as_str().is_none_or(|t| t.trim().is_empty())
            {
                return bad(
                    "SMS notifications need message.type \"text\" and a non-empty message.text"
                        .into(),
                );
            }
            if message["text"]
                .as_str()
                .map(|t| t.chars().count())
                .unwrap_or(0)
                > 1600
            {
                return bad(
                    "message.text is longer than 1600 characters (Twilio error 21617)".into(),
                );
            }
            "text".to_string()
        }
        other => {
            return bad(format!(
                "Notifications cannot be sent through {other} integrations"
            ))
        }
    };
    if !s.take_notification_slot() {
        let retry = s.faults().retry_after_secs.max(1);
        s.open_window("sunshine", retry);
        return crate::server::too_many("/sc/v1.1", retry);
    }
    if s.should_refuse() {
        return bad(format!(
            "destinationId {destination} cannot receive messages on this channel (sandbox fault)"
        ));
    }
    let id = uuid::Uuid::new_v4().to_string();
    {
        let mut log = s.notifications.lock().unwrap_or_else(|e| e.into_inner());
        let seq = log.len() as u64 + 1;
        log.push(Recorded {
            seq,
            id: id.clone(),
            received_at: s.now().to_rfc3339(),
            integration_id,
            destination_id: destination,
            kind,
            body: if s.keep_bodies { body } else { Value::Null },
        });
    }
    if s.should_drop_after() {
        return dropped_connection(&conn);
    }
    (
        StatusCode::CREATED,
        Json(json!({"notification": {"_id": id}})),
    )
        .into_response()
}
