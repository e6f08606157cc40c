//! Team commands: where this desktop stands with the team's store, and a sync on demand.

use crate::state::AppState;
use relay_core::team::campaigns::TeamCampaign;
use relay_core::team::policy::Policy;
use relay_core::team::{SyncReport, TeamStatus};
use relay_core::workspace::SettingsView;
use relay_core::AppError;
use tauri::State;

/// This desktop's queue for the team's store, and its last push and pull.
#[tauri::command]
#[specta::specta]
pub async fn team_status(state: State<'_, AppState>) -> Result<TeamStatus, AppError> {
    state.workspace()?.team_status()
}

/// Makes the store's object types if missing, pushes this desktop's queue, pulls the others'.
#[tauri::command]
#[specta::specta]
pub async fn sync_team(state: State<'_, AppState>) -> Result<SyncReport, AppError> {
    state.workspace()?.team_sync().await
}

/// Deletes the per-entry records of an earlier Relay from the store (after folding them into
/// this desktop's ledger); an admin's credentials only. Returns how many were deleted.
#[tauri::command]
#[specta::specta]
pub async fn delete_legacy_team_records(state: State<'_, AppState>) -> Result<u32, AppError> {
    state.workspace()?.team_delete_legacy().await
}

/// The other desktops' campaigns, as last pulled from the store.
#[tauri::command]
#[specta::specta]
pub async fn team_campaigns(state: State<'_, AppState>) -> Result<Vec<TeamCampaign>, AppError> {
    state.workspace()?.team_campaigns()
}

/// Publishes the team's policy (an admin's credentials only); every desktop applies it from its
/// next sync. Returns the settings as they now apply here.
#[tauri::command]
#[specta::specta]
pub async fn set_team_policy(
    state: State<'_, AppState>,
    policy: Policy,
) -> Result<SettingsView, AppError> {
    let ws = state.workspace()?;
    ws.set_team_policy(policy).await?;
    ws.settings_view()
}
