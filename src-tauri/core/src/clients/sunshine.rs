//! The Sunshine Conversations client: integrations (v2), WhatsApp message templates (v1.1) and
//! the Notification API (v1.1). Basic auth with the API key id and secret.

use super::http::{Failure, Http, Idempotency, Pace, StopSignal};
use super::transport_error;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::settings::{Settings, SunshineHost};
use base64::Engine;
use bytes::Bytes;
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

const SERVICE: &str = "Sunshine Conversations";
const MAX_PAGES: usize = 200;
/// The channel types Relay sends through.
pub const MESSAGING_TYPES: &str = "whatsapp,twilio,messagebird";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Integration {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// WhatsApp: the business number (`15144441919`, without `+`).
    #[serde(default)]
    pub phone_number: Option<String>,
    /// MessageBird: the sender number or name.
    #[serde(default)]
    pub originator: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    pub language: String,
    #[serde(default)]
    pub category: Option<String>,
    pub status: String,
    #[serde(default)]
    pub rejected_reason: Option<String>,
    #[serde(default)]
    pub components: Value,
}

/// The base URL of a workspace's Sunshine Conversations API.
pub fn base_url(settings: &Settings) -> AppResult<String> {
    Ok(match settings.sunshine_host {
        SunshineHost::Zendesk => {
            if settings.zendesk_subdomain.is_empty() {
                return Err(AppError::new(
                    ErrorCode::NotConfigured,
                    crate::text!("sunshine.no_subdomain", subdomain = "{subdomain}"),
                ));
            }
            format!("https://{}.zendesk.com/sc", settings.zendesk_subdomain)
        }
        SunshineHost::Us => "https://api.smooch.io".into(),
        SunshineHost::Eu => "https://api.eu-1.smooch.io".into(),
        SunshineHost::Custom => {
            crate::settings::check_loopback_url(&settings.sunshine_custom_url)
                .map_err(|e| AppError::invalid_field("sunshine_custom_url", e))?;
            settings
                .sunshine_custom_url
                .trim_end_matches('/')
                .to_string()
        }
    })
}

#[derive(Clone)]
pub struct SunshineClient {
    http: Http,
    base: String,
    host: String,
    app_id: String,
    key_id: String,
    auth: String,
    page_size: u32,
    /// `{base}/v1.1/apps/{app}/notifications`, parsed once: a campaign posts to it per message.
    notifications: reqwest::Url,
}

impl SunshineClient {
    /// Integrations per page (1..=100; 100 unless a test wants to see the paging).
    pub fn with_page_size(mut self, n: u32) -> Self {
        self.page_size = n.clamp(1, 100);
        self
    }

    pub fn new(http: Http, settings: &Settings, key_secret: &str) -> AppResult<Self> {
        if settings.sunshine_app_id.is_empty() || settings.sunshine_key_id.is_empty() {
            return Err(AppError::new(
                ErrorCode::NotConfigured,
                crate::text!("sunshine.no_app_or_key"),
            ));
        }
        let base = base_url(settings)?;
        let host = base.split("://").nth(1).unwrap_or(&base).to_string();
        let auth = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{key_secret}", settings.sunshine_key_id))
        );
        crate::logging::redact_secret(&auth);
        crate::logging::redact_secret(auth.trim_start_matches("Basic "));
        let notifications = reqwest::Url::parse(&format!(
            "{base}/v1.1/apps/{}/notifications",
            settings.sunshine_app_id
        ))
        .map_err(|e| {
            AppError::invalid_field(
                "sunshine_app_id",
                crate::text!("sunshine.bad_app_id", detail = e),
            )
        })?;
        Ok(SunshineClient {
            notifications,
            http: http.gated(&format!("sunshine {base} {}", settings.sunshine_app_id)),
            base,
            host,
            app_id: settings.sunshine_app_id.clone(),
            key_id: settings.sunshine_key_id.clone(),
            auth,
            page_size: 100,
        })
    }

    /// How long its rate gate stays closed (a 429's window), if it is.
    pub fn waiting_for(&self) -> Option<std::time::Duration> {
        self.http.waiting_for()
    }

    fn error(&self, failure: Failure) -> AppError {
        match &failure {
            Failure::Status { status, .. } if *status == StatusCode::UNAUTHORIZED => AppError::new(
                ErrorCode::AuthFailed,
                crate::text!("sunshine.key_refused", key_id = self.key_id),
            ),
            Failure::Status { status, .. } if *status == StatusCode::FORBIDDEN => AppError::new(
                ErrorCode::Forbidden,
                crate::text!(
                    "sunshine.key_forbidden",
                    key_id = self.key_id,
                    app_id = self.app_id
                ),
            ),
            Failure::Status { status, .. } if *status == StatusCode::NOT_FOUND => AppError::new(
                ErrorCode::NotFound,
                crate::text!(
                    "sunshine.app_unknown",
                    host = self.host,
                    app_id = self.app_id
                ),
            ),
            _ => transport_error(SERVICE, &self.host, failure),
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        idempotency: Idempotency,
    ) -> AppResult<Value> {
        self.call_or(method, path, body, idempotency, |_| None)
            .await
    }

    /// Like `call`, with `special` giving a more precise error for some answers first.
    async fn call_or(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        idempotency: Idempotency,
        special: impl Fn(&Failure) -> Option<AppError>,
    ) -> AppResult<Value> {
        let url = format!("{}{path}", self.base);
        let resp = self
            .http
            .send(idempotency, || {
                let mut r = self
                    .http
                    .request(method.clone(), &url)
                    .header("authorization", &self.auth);
                if let Some(b) = body {
                    r = r.json(b);
                }
                r
            })
            .await
            .map_err(|f| special(&f).unwrap_or_else(|| self.error(f)))?;
        let bytes = self
            .http
            .body(resp)
            .await
            .map_err(|f| super::body_error(SERVICE, &self.host, f))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|e| {
            AppError::new(
                ErrorCode::Unreachable,
                crate::text!("net.not_json", host = self.host, detail = e),
            )
        })
    }

    /// The app's WhatsApp, Twilio and MessageBird integrations (v2, every page).
    pub async fn integrations(&self) -> AppResult<Vec<Integration>> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut path = format!(
                "/v2/apps/{}/integrations?filter[types]={MESSAGING_TYPES}&page[size]={}",
                self.app_id, self.page_size
            );
            if let Some(a) = &after {
                path.push_str(&format!("&page[after]={a}"));
            }
            let page = self
                .call(Method::GET, &path, None, Idempotency::Safe)
                .await?;
            let items: Vec<Integration> = serde_json::from_value(page["integrations"].clone())
                .map_err(|e| {
                    AppError::new(
                        ErrorCode::Unreachable,
                        crate::text!("net.bad_shape", what = "The integrations list", detail = e),
                    )
                })?;
            out.extend(items);
            match (
                page["meta"]["hasMore"].as_bool(),
                page["meta"]["afterCursor"].as_str(),
            ) {
                (Some(true), Some(cursor)) => after = Some(cursor.to_string()),
                _ => break,
            }
        }
        Ok(out)
    }

    /// The WhatsApp templates of an integration (v1.1). The paging of this endpoint is not
    /// documented: a top-level `after`, Graph's `paging.cursors.after` and `paging.next` are all
    /// followed, and the loop stops on a repeated cursor.
    pub async fn templates(&self, integration_id: &str) -> AppResult<Vec<Template>> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        let mut seen = std::collections::HashSet::new();
        for _ in 0..MAX_PAGES {
            let mut path = format!(
                "/v1.1/apps/{}/integrations/{integration_id}/messageTemplates?limit=100",
                self.app_id
            );
            if let Some(a) = &after {
                path.push_str(&format!("&after={a}"));
            }
            let page = self
                .call(Method::GET, &path, None, Idempotency::Safe)
                .await?;
            let items: Vec<Template> = serde_json::from_value(page["messageTemplates"].clone())
                .map_err(|e| {
                    AppError::new(
                        ErrorCode::Unreachable,
                        crate::text!(
                            "net.bad_shape",
                            what = "The message template list",
                            detail = e
                        ),
                    )
                })?;
            out.extend(items);
            let next = page["after"]
                .as_str()
                .or_else(|| page["paging"]["cursors"]["after"].as_str())
                .map(str::to_string);
            match next {
                Some(c) if seen.insert(c.clone()) => after = Some(c),
                _ => break,
            }
        }
        Ok(out)
    }

    /// Creates a WhatsApp template (v1.1); Meta reviews it (PENDING, then APPROVED/REJECTED).
    pub async fn create_template(&self, integration_id: &str, body: &Value) -> AppResult<Template> {
        let path = format!(
            "/v1.1/apps/{}/integrations/{integration_id}/messageTemplates",
            self.app_id
        );
        let name = body["name"].as_str().unwrap_or_default();
        let language = body["language"].as_str().unwrap_or_default();
        let v = self
            .call_or(
                Method::POST,
                &path,
                Some(body),
                Idempotency::Once,
                |f| match f {
                    Failure::Status { status, .. } if *status == StatusCode::CONFLICT => {
                        Some(AppError::new(
                            ErrorCode::Rejected,
                            crate::text!(
                                "sunshine.template_exists",
                                name = name,
                                language = language
                            ),
                        ))
                    }
                    Failure::Status { status, body, .. } if *status == StatusCode::BAD_REQUEST => {
                        Some(AppError::new(
                            ErrorCode::Rejected,
                            crate::text!(
                                "sunshine.template_refused",
                                name = name,
                                provider = super::provider_message(body)
                            ),
                        ))
                    }
                    Failure::Status { status, .. } if *status == StatusCode::NOT_FOUND => {
                        Some(AppError::new(
                            ErrorCode::NotFound,
                            crate::text!("sunshine.not_whatsapp", integration = integration_id),
                        ))
                    }
                    _ => None,
                },
            )
            .await?;
        serde_json::from_value(v["messageTemplate"].clone()).map_err(|e| {
            AppError::new(
                ErrorCode::Unreachable,
                crate::text!("net.bad_shape", what = "The created template", detail = e),
            )
        })
    }

    /// Deletes every translation of a WhatsApp template name (Meta blocks the name 30 days).
    pub async fn delete_template(&self, integration_id: &str, name: &str) -> AppResult<()> {
        let path = format!(
            "/v1.1/apps/{}/integrations/{integration_id}/messageTemplates/{name}",
            self.app_id
        );
        self.call_or(
            Method::DELETE,
            &path,
            None,
            Idempotency::Safe,
            |f| match f {
                Failure::Status { status, .. } if *status == StatusCode::NOT_FOUND => {
                    Some(AppError::new(
                        ErrorCode::NotFound,
                        crate::text!(
                            "sunshine.no_such_template",
                            integration = integration_id,
                            name = name
                        ),
                    ))
                }
                _ => None,
            },
        )
        .await
        .map(|_| ())
    }

    /// Sends a notification (v1.1); returns its id. Never retried where it may have been sent.
    pub async fn notify(&self, body: &Value) -> AppResult<String> {
        let path = format!("/v1.1/apps/{}/notifications", self.app_id);
        let v = self
            .call(Method::POST, &path, Some(body), Idempotency::Once)
            .await?;
        v["notification"]["_id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::Unreachable,
                    crate::text!("sunshine.accepted_no_id"),
                )
            })
    }

    /// Sends one notification of a campaign and returns its id. Unlike `notify`, says whether a
    /// failure may still have delivered it: a timeout, a dropped connection or a 5xx after the
    /// request left — or a success answered with something that is not Sunshine Conversations'
    /// notification (a proxy's web page, a body that breaks off): whoever answered, the request
    /// may have reached the API. The engine records those as `unknown` and never sends them again
    /// on its own. `body` is the notification's JSON, as frozen when the campaign was created
    /// (shared, not copied, by each attempt).
    pub async fn send_notification(
        &self,
        body: &Bytes,
        stop: Option<&StopSignal>,
        pace: Option<&Pace>,
    ) -> Result<String, NotifyFailure> {
        let resp = self
            .http
            .send_paced(
                Idempotency::Once,
                || {
                    self.http
                        .client()
                        .request(Method::POST, self.notifications.clone())
                        .header(reqwest::header::ACCEPT, "application/json")
                        .header("authorization", &self.auth)
                        .header("content-type", "application/json")
                        .body(body.clone())
                },
                stop,
                pace,
            )
            .await
            .map_err(|f| NotifyFailure {
                maybe_sent: matches!(&f, Failure::Timeout | Failure::Dropped(_))
                    || matches!(&f, Failure::Status { status, .. } if status.is_server_error()),
                stopped: matches!(&f, Failure::Stopped),
                error: self.error(f),
            })?;
        // A success: sent, with the id that matches delivery webhooks — if it is the API's answer.
        #[derive(serde::Deserialize)]
        struct Accepted {
            notification: Created,
        }
        #[derive(serde::Deserialize)]
        struct Created {
            #[serde(rename = "_id")]
            id: String,
        }
        let maybe = |error: AppError| NotifyFailure {
            error,
            maybe_sent: true,
            stopped: false,
        };
        let bytes = self
            .http
            .body(resp)
            .await
            .map_err(|f| maybe(super::body_error(SERVICE, &self.host, f)))?;
        serde_json::from_slice::<Accepted>(&bytes)
            .map(|a| a.notification.id)
            .map_err(|_| {
                maybe(AppError::new(
                    ErrorCode::Unreachable,
                    crate::text!("sunshine.success_no_id", host = self.host),
                ))
            })
    }
}

/// Why a notification was not accepted, and whether it may have gone out anyway.
#[derive(Debug)]
pub struct NotifyFailure {
    pub error: AppError,
    pub maybe_sent: bool,
    /// The run stopped before it left: certainly not sent, still to send.
    pub stopped: bool,
}
