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
            format!("{service} ({host}) sent an answer larger than {} MB, far more than any page: Relay stopped reading it. Check the address in Settings; if it is right, report this with the log file.", max / (1024 * 1024)),
        ),
        BodyFailure::Html => AppError::new(
            ErrorCode::Unreachable,
            format!("{host} answered with a web page instead of {service}'s data: a proxy, a captive portal or a sign-in page may be in the way, or the address is not {service}'s. Check the address in Settings and your network."),
        ),
        BodyFailure::Read(detail) => AppError::new(
            ErrorCode::Unreachable,
            format!("The connection to {service} broke while its answer was read ({detail}). Try again."),
        ),
    }
}

/// Turns a transport failure into the app's error, naming the service and saying what to do.
pub(crate) fn transport_error(service: &str, host: &str, failure: Failure) -> AppError {
    match failure {
        Failure::Stopped => AppError::new(
            ErrorCode::Internal,
            format!("The request to {service} was not sent: the run stopped first."),
        ),
        Failure::Timeout => AppError::new(
            ErrorCode::Unreachable,
            format!("{service} ({host}) did not answer in time. Check your internet connection and try again."),
        ),
        Failure::Connect(detail) => AppError::new(
            ErrorCode::Unreachable,
            format!("Could not reach {service} at {host} ({detail}). Check the address in Settings and your internet connection."),
        ),
        Failure::Tls(detail) => AppError::new(
            ErrorCode::Unreachable,
            format!("The secure connection to {host} failed ({detail}). A proxy or antivirus may be intercepting HTTPS; check with your IT team."),
        ),
        Failure::Dropped(detail) => AppError::new(
            ErrorCode::Unreachable,
            format!("The connection to {service} broke before it answered ({detail}). Try again."),
        ),
        Failure::Status { status, body, retry_after } if status == StatusCode::TOO_MANY_REQUESTS => AppError::new(
            ErrorCode::RateLimited,
            match retry_after {
                Some(wait) => format!("{service} is limiting requests from this account; it asks to wait {} s. Try again then.", wait.as_secs()),
                None => format!("{service} kept refusing requests as too many ({}). Try again in a minute.", provider_message(&body)),
            },
        ),
        Failure::Status { status, body, .. } if status.is_server_error() => AppError::new(
            ErrorCode::Unreachable,
            format!("{service} failed with {status} several times ({}). It may be having an outage; try again later.", provider_message(&body)),
        ),
        Failure::Status { status, body, .. } => AppError::new(
            ErrorCode::Rejected,
            format!("{service} refused the request ({status}): {}", provider_message(&body)),
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
