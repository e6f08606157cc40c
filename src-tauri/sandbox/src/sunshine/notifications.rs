//! The Notification API (v1.1): a WhatsApp template or an SMS text checked against its
//! integration and template, capped and faulted as configured, recorded for tests — with what
//! Meta then did with a WhatsApp one ([`super::meta`]): the API's answer never tells.

use super::integrations::integration;
use super::review::placeholders;
use super::v1_error;
use crate::conn::Connection;
use crate::server::{dropped_connection, Recorded, Shared};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn is_e164(s: &str) -> bool {
    s.len() >= 3
        && s.len() <= 16
        && s.starts_with('+')
        && s[1..].chars().all(|c| c.is_ascii_digit())
        && !s[1..].starts_with('0')
}

/// A template message checked: Ok((kind, the template's category)) or why it is refused.
fn check_template_message(
    s: &Shared,
    integration: &str,
    message: &Value,
) -> Result<(String, String), String> {
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
    Ok((format!("template:{name}:{language}"), tpl.category.clone()))
}

pub(super) async fn notify(
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
    // The template's category for WhatsApp (what Meta's rules read); None for SMS.
    let (kind, category) = match integration["type"].as_str().unwrap_or_default() {
        "whatsapp" => {
            if body["messageSchema"] != "whatsapp" {
                return bad(
                    "messageSchema must be \"whatsapp\" for WhatsApp template notifications".into(),
                );
            }
            match check_template_message(&s, &integration_id, message) {
                Ok((kind, category)) => (kind, Some(category)),
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
            ("text".to_string(), None)
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
    // Accepted: what Meta does next, unseen by the sender.
    let dropped = category.and_then(|c| s.meta_delivery(&destination, &c));
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
            language: kind
                .strip_prefix("template:")
                .and_then(|k| k.rsplit_once(':'))
                .map(|(_, language)| language.to_string()),
            kind,
            dropped,
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
