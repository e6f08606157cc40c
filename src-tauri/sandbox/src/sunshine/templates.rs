//! WhatsApp message templates (v1.1): the seeded ones, and those submitted, listed, created and
//! deleted per integration; a submitted template is PENDING, then APPROVED or REJECTED.

use super::integrations::whatsapp_integration;
use super::review::validate_template;
use super::v1_error;
use crate::server::{SandboxConfig, Shared};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::HashMap;

/// A WhatsApp template known to the sandbox.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    id: String,
    pub name: String,
    pub language: String,
    /// Meta's category (MARKETING, UTILITY, AUTHENTICATION, or a legacy one): Meta's rules for
    /// marketing read it.
    pub category: String,
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

pub(super) async fn list_templates(
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

pub(super) async fn create_template(
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

pub(super) async fn delete_template(
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
