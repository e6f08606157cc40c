//! The Tauri commands: thin adapters over `relay_core::workspace::Workspace`.
//!
//! Each command is listed three times, on purpose: in `specta_builder` (bindings + handler), in
//! build.rs (its generated `allow-*` permission) and in tauri.conf.json's capability. A test
//! checks the three lists agree.

use crate::state::AppState;
use crate::updates::UpdateCheck;
use relay_core::connect::GroupView;
use relay_core::connect::{ConnectionReport, IntegrationView};
use relay_core::secrets::SecretKind;
use relay_core::settings::Settings;
use relay_core::workspace::{AppInfo, SettingsView};
use relay_core::AppError;
use tauri::State;

pub mod audience;
pub mod campaigns;
pub mod consent;
pub mod team;
pub mod templates;

/// Version, data folder, files and schema version.
#[tauri::command]
#[specta::specta]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, AppError> {
    state.workspace()?.info()
}

/// What the last update check found (at start, or on demand), if one was made.
#[tauri::command]
#[specta::specta]
pub async fn update_status(state: State<'_, AppState>) -> Result<Option<UpdateCheck>, AppError> {
    Ok(state.updates.last())
}

/// Asks the update address whether a newer signed Relay exists.
#[tauri::command]
#[specta::specta]
pub async fn check_update(state: State<'_, AppState>) -> Result<UpdateCheck, AppError> {
    crate::updates::check(&state).await
}

/// Downloads the release found, verifies its signature, installs it and restarts Relay; refused
/// while a campaign is being sent.
#[tauri::command]
#[specta::specta]
pub async fn install_update(state: State<'_, AppState>) -> Result<(), AppError> {
    crate::updates::install(&state).await
}

/// The settings, and whether each secret is set (never the secrets themselves).
#[tauri::command]
#[specta::specta]
pub async fn get_settings(state: State<'_, AppState>) -> Result<SettingsView, AppError> {
    crate::log_ui_ready();
    state.workspace()?.settings_view()
}

/// Validates and saves the non-secret settings; invalid input changes nothing. With `base`
/// (the settings the page was showing), only what the page changed is written, over what the
/// settings are now: a change made meanwhile elsewhere (the CLI) is kept.
#[tauri::command]
#[specta::specta]
pub async fn save_settings(
    state: State<'_, AppState>,
    settings: Settings,
    base: Option<Settings>,
) -> Result<SettingsView, AppError> {
    let ws = state.workspace()?;
    // A consent rule names a user field the account has (asked of Zendesk when it answers).
    ws.check_consent_rules(&settings).await?;
    match base {
        Some(base) => ws.save_changes(&base, settings),
        None => ws.save_settings(settings),
    }
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
