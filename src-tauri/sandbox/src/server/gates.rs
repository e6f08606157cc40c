//! The gates in front of each API: Basic authentication (a Zendesk staff token, the Sunshine
//! app's key), and Zendesk's per-minute rate limits with their `X-Rate-Limit` headers.

use super::{error_for, Shared};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde_json::json;

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

/// The authenticated Zendesk user, put in the request by [`zendesk_gate`].
#[derive(Clone)]
pub(crate) struct ZendeskUser(pub u64);

pub(super) async fn zendesk_gate(
    State(s): State<Shared>,
    headers: HeaderMap,
    mut req: Request,
    next: Next,
) -> Response {
    let user = basic_credentials(&headers).and_then(|(user, token)| {
        let email = user.strip_suffix("/token")?;
        (token == s.info.zendesk_token)
            .then(|| s.pop.staff_by_email(email))
            .flatten()
    });
    let Some(user) = user else {
        // Zendesk's exact 401 body.
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "Couldn't authenticate you"})),
        )
            .into_response();
    };
    req.extensions_mut().insert(ZendeskUser(user.index));
    let is_export = req.uri().path().starts_with("/api/v2/search/export");
    let budget = s
        .take(&s.zendesk_window, s.zendesk_rate)
        .and_then(|remaining| {
            if is_export {
                s.take(&s.export_window, s.export_rate).map(|_| remaining)
            } else {
                Ok(remaining)
            }
        });
    let (limit, remaining) = match budget {
        Ok(remaining) => (s.zendesk_rate, remaining),
        Err(wait) => {
            s.open_window("zendesk", wait);
            let mut resp = (
                StatusCode::TOO_MANY_REQUESTS,
                Json(
                    json!({"errors": [{"code": "TooManyRequests", "title": "Too many requests"}]}),
                ),
            )
                .into_response();
            let h = resp.headers_mut();
            h.insert(header::RETRY_AFTER, HeaderValue::from(wait));
            h.insert("x-rate-limit", HeaderValue::from(s.zendesk_rate));
            h.insert("x-rate-limit-remaining", HeaderValue::from(0));
            return resp;
        }
    };
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert("x-rate-limit", HeaderValue::from(limit));
    h.insert("x-rate-limit-remaining", HeaderValue::from(remaining));
    resp
}

pub(super) async fn sunshine_gate(
    State(s): State<Shared>,
    headers: HeaderMap,
    req: Request,
    next: Next,
) -> Response {
    // The router is nested under /sc: the path seen here has no /sc prefix.
    let path = format!("/sc{}", req.uri().path());
    let ok = basic_credentials(&headers)
        .map(|(id, secret)| id == s.info.key_id && secret == s.info.key_secret)
        .unwrap_or(false);
    if !ok {
        return error_for(
            &path,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authorization is required",
        );
    }
    // A key belongs to one app: another app id is forbidden, as for a real app-scoped key.
    let app = path.split('/').nth(4).unwrap_or_default();
    if path.split('/').nth(3) == Some("apps") && app != s.info.app_id {
        return error_for(
            &path,
            StatusCode::FORBIDDEN,
            "forbidden",
            "The API key does not have access to this app",
        );
    }
    next.run(req).await
}
