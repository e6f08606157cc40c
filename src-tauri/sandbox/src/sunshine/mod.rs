//! The Sunshine Conversations subset: integrations (v2), WhatsApp message templates (v1.1) with
//! Meta-like review, the Notification API (v1.1), and what Meta does with an accepted WhatsApp
//! notification (delivered, or dropped past the messaging limit or as marketing to the US).

mod integrations;
mod meta;
mod notifications;
mod review;
mod templates;

pub use meta::Dropped;
pub(crate) use meta::Portfolio;
pub(crate) use templates::Templates;

use crate::server::Shared;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use integrations::{get_integration, list_integrations};
use notifications::notify;
use serde_json::json;
use templates::{create_template, delete_template, list_templates};

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

fn v1_error(status: StatusCode, code: &str, description: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "description": description.into()}})),
    )
        .into_response()
}
