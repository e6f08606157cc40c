//! The Tauri commands: thin adapters over `relay_core::workspace::Workspace`.
//!
//! Each command is listed three times, on purpose: in `specta_builder` (bindings + handler), in
//! build.rs (its generated `allow-*` permission) and in tauri.conf.json's capability. A test
//! checks the three lists agree.

use crate::state::AppState;
use relay_core::connect::{ConnectionReport, IntegrationView};
use relay_core::secrets::SecretKind;
use relay_core::settings::Settings;
use relay_core::template::drafts::Draft;
use relay_core::template::library::{Library, LocalEntry};
use relay_core::template::{Template, TemplateCheck};
use relay_core::workspace::{AppInfo, GroupView, SettingsView};
use relay_core::AppError;
use tauri::State;

/// Version, data folder, files and schema version.
#[tauri::command]
#[specta::specta]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, AppError> {
    state.workspace()?.info()
}

/// The settings, and whether each secret is set (never the secrets themselves).
#[tauri::command]
#[specta::specta]
pub async fn get_settings(state: State<'_, AppState>) -> Result<SettingsView, AppError> {
    crate::log_ui_ready();
    state.workspace()?.settings_view()
}

/// Validates and saves every non-secret setting; invalid input changes nothing.
#[tauri::command]
#[specta::specta]
pub async fn save_settings(
    state: State<'_, AppState>,
    settings: Settings,
) -> Result<SettingsView, AppError> {
    state.workspace()?.save_settings(settings)
}

/// Stores a secret in the OS keychain.
#[tauri::command]
#[specta::specta]
pub async fn set_secret(
    state: State<'_, AppState>,
    kind: SecretKind,
    value: String,
) -> Result<SettingsView, AppError> {
    state.workspace()?.set_secret(kind, &value)
}

/// Removes a secret from the OS keychain.
#[tauri::command]
#[specta::specta]
pub async fn clear_secret(
    state: State<'_, AppState>,
    kind: SecretKind,
) -> Result<SettingsView, AppError> {
    state.workspace()?.clear_secret(kind)
}

/// Accepts the base64 `keyId:secret` token: key id to the settings, secret to the keychain.
#[tauri::command]
#[specta::specta]
pub async fn set_sunshine_token(
    state: State<'_, AppState>,
    token: String,
) -> Result<SettingsView, AppError> {
    state.workspace()?.set_sunshine_token(&token)
}

/// Opens the demo workspace: a local simulator of Zendesk and Sunshine Conversations with
/// sample users, in its own data folder. Call `get_settings`/`app_info` again afterwards.
#[tauri::command]
#[specta::specta]
pub async fn start_demo(state: State<'_, AppState>) -> Result<(), AppError> {
    state.start_demo().await
}

/// Leaves the demo workspace and returns to the user's own.
#[tauri::command]
#[specta::specta]
pub async fn leave_demo(state: State<'_, AppState>) -> Result<(), AppError> {
    state.leave_demo()
}

/// Checks Zendesk and Sunshine Conversations separately and lists the integrations found.
#[tauri::command]
#[specta::specta]
pub async fn test_connection(state: State<'_, AppState>) -> Result<ConnectionReport, AppError> {
    state.workspace()?.test_connection().await
}

/// The WhatsApp, Twilio and MessageBird integrations, with their send rates.
#[tauri::command]
#[specta::specta]
pub async fn list_integrations(
    state: State<'_, AppState>,
) -> Result<Vec<IntegrationView>, AppError> {
    state.workspace()?.integrations().await
}

/// Zendesk's groups, to choose who may send.
#[tauri::command]
#[specta::specta]
pub async fn zendesk_groups(state: State<'_, AppState>) -> Result<Vec<GroupView>, AppError> {
    state.workspace()?.zendesk_groups().await
}

/// The template list: local templates (most recently edited first) with their state on each
/// integration, and WhatsApp templates made elsewhere, as last synced. Works offline.
#[tauri::command]
#[specta::specta]
pub async fn template_library(state: State<'_, AppState>) -> Result<Library, AppError> {
    state.workspace()?.template_library()
}

/// Fetches the WhatsApp templates of every WhatsApp integration (statuses, rejection reasons).
#[tauri::command]
#[specta::specta]
pub async fn sync_templates(state: State<'_, AppState>) -> Result<Library, AppError> {
    state.workspace()?.sync_templates().await
}

/// Submits a local template to integrations (none given: the ones it is for).
#[tauri::command]
#[specta::specta]
pub async fn submit_template(
    state: State<'_, AppState>,
    id: String,
    integrations: Vec<String>,
) -> Result<LocalEntry, AppError> {
    state.workspace()?.submit_template(&id, &integrations).await
}

/// Deletes a WhatsApp template name on an integration (Meta blocks the name for 30 days).
#[tauri::command]
#[specta::specta]
pub async fn delete_remote_template(
    state: State<'_, AppState>,
    integration_id: String,
    name: String,
) -> Result<Library, AppError> {
    state
        .workspace()?
        .delete_remote_template(&integration_id, &name)
        .await
}

/// Saves a draft as the designer types (a new one when `id` is null). Works offline.
#[tauri::command]
#[specta::specta]
pub async fn save_template(
    state: State<'_, AppState>,
    id: Option<String>,
    template: Template,
) -> Result<Draft, AppError> {
    state.workspace()?.save_template(id.as_deref(), &template)
}

#[tauri::command]
#[specta::specta]
pub async fn delete_template(state: State<'_, AppState>, id: String) -> Result<(), AppError> {
    state.workspace()?.delete_template(&id)
}

#[tauri::command]
#[specta::specta]
pub async fn duplicate_template(state: State<'_, AppState>, id: String) -> Result<Draft, AppError> {
    state.workspace()?.duplicate_template(&id)
}

/// Validation (both channels) and both previews, offline.
#[tauri::command]
#[specta::specta]
pub async fn check_template(template: Template) -> Result<TemplateCheck, AppError> {
    Ok(relay_core::template::check(&template))
}
