//! Team commands: where this desktop stands with the team's store, and a sync on demand.

use crate::state::AppState;
use relay_core::team::{SyncReport, TeamStatus};
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
