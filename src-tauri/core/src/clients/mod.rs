//! The API clients, written for the real services (`https://{subdomain}.zendesk.com`, the
//! Sunshine Conversations hosts) from their documented shapes; the sandbox is only one server
//! they are tested against. Base URLs are configuration.

pub mod gate;
pub mod http;
pub mod sunshine;
pub mod zendesk;

use crate::error::{AppError, ErrorCode};
use http::{BodyFailure, Failure};
use reqwest::StatusCode;
use serde_json::Value;

/// The error text a service put in its body, whatever its shape: Zendesk's
/// `{"error", "description"}`, `{"error": {"title", "message"}}` or `{"errors": [{"title",
/// "detail"}]}`, Sunshine's v1.1 `{"error": {"code", "description"}}` or v2 `{"errors": [{"code",
/// "title"}]}`, or plain text.
pub fn provider_message(body: &str) -> String {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        let t = body.trim();
        return if t.len() > 300 {
            format!(
                "{}…",
                &t[..t.char_indices().nth(300).map(|(i, _)| i).unwrap_or(t.len())]
            )
        } else {
            t.to_string()
        };
    };
    let s = |v: &Value| v.as_str().map(str::to_string);
    if let Some(d) = s(&v["description"]) {
        return d;
    }
    if let Some(e) = v.get("error") {
        if let Some(text) = s(&e["description"])
            .or_else(|| s(&e["message"]))
            .or_else(|| s(&e["title"]))
        {
            return text;
        }
        if let Some(text) = s(e) {
            return text;
        }
    }
    if let Some(first) = v["errors"].get(0) {
        let title = s(&first["title"]).unwrap_or_default();
        return match s(&first["detail"]) {
            Some(detail) if !detail.is_empty() => format!("{title}: {detail}"),
            _ => title,
        };
    }
    body.trim().to_string()
}

/// Turns a body that could not be taken into the app's error, naming the service.
pub(crate) fn body_error(service: &str, host: &str, failure: BodyFailure) -> AppError {
    match failure {
        BodyFailure::TooLarge(max) => AppError::new(
            ErrorCode::Unreachable,
            crate::text!(
                "net.too_large",
                service = service,
                host = host,
                mb = max / (1024 * 1024)
            ),
        ),
        BodyFailure::Html => AppError::new(
            ErrorCode::Unreachable,
            crate::text!("net.web_page", service = service, host = host),
        ),
        BodyFailure::Read(detail) => AppError::new(
            ErrorCode::Unreachable,
            crate::text!("net.read_broken", service = service, detail = detail),
        ),
    }
}

/// Turns a transport failure into the app's error, naming the service and saying what to do.
pub(crate) fn transport_error(service: &str, host: &str, failure: Failure) -> AppError {
    match failure {
        Failure::Stopped => AppError::new(
            ErrorCode::Internal,
            crate::text!("net.stopped", service = service),
        ),
        Failure::Timeout => AppError::new(
            ErrorCode::Unreachable,
            crate::text!("net.timeout", service = service, host = host),
        ),
        Failure::Connect(detail) => AppError::new(
            ErrorCode::Unreachable,
            crate::text!(
                "net.connect",
                service = service,
                host = host,
                detail = detail
            ),
        ),
        Failure::Tls(detail) => AppError::new(
            ErrorCode::Unreachable,
            crate::text!("net.tls", host = host, detail = detail),
        ),
        Failure::Dropped(detail) => AppError::new(
            ErrorCode::Unreachable,
            crate::text!("net.dropped", service = service, detail = detail),
        ),
        Failure::Status {
            status,
            body,
            retry_after,
        } if status == StatusCode::TOO_MANY_REQUESTS => AppError::new(
            ErrorCode::RateLimited,
            match retry_after {
                Some(wait) => crate::text!(
                    "net.rate_limited_wait",
                    service = service,
                    seconds = wait.as_secs()
                ),
                None => crate::text!(
                    "net.rate_limited",
                    service = service,
                    provider = provider_message(&body)
                ),
            },
        ),
        Failure::Status { status, body, .. } if status.is_server_error() => AppError::new(
            ErrorCode::Unreachable,
            crate::text!(
                "net.server_error",
                service = service,
                status = status,
                provider = provider_message(&body)
            ),
        ),
        Failure::Status { status, body, .. } => AppError::new(
            ErrorCode::Rejected,
            crate::text!(
                "net.refused",
                service = service,
                status = status,
                provider = provider_message(&body)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_messages_in_every_documented_shape() {
        assert_eq!(
            provider_message(r#"{"error":"invalid","description":"Invalid search: bad date"}"#),
            "Invalid search: bad date"
        );
        assert_eq!(
            provider_message(r#"{"error":"Couldn't authenticate you"}"#),
            "Couldn't authenticate you"
        );
        assert_eq!(
            provider_message(
                r#"{"error":{"title":"Invalid attribute","message":"page must be an integer"}}"#
            ),
            "page must be an integer"
        );
        assert_eq!(
            provider_message(
                r#"{"errors":[{"code":"QueryError","title":"Invalid type","detail":"x"}]}"#
            ),
            "Invalid type: x"
        );
        assert_eq!(
            provider_message(
                r#"{"error":{"code":"unauthorized","description":"Authorization is required"}}"#
            ),
            "Authorization is required"
        );
        assert_eq!(
            provider_message(r#"{"errors":[{"code":"forbidden","title":"No access"}]}"#),
            "No access"
        );
        assert_eq!(
            provider_message("Service Unavailable"),
            "Service Unavailable"
        );
    }
}
