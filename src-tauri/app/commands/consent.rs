//! Consent commands: opt-out capture (Relay's trigger, the replies read, decisions on the
//! doubtful ones) and an admin's leave to send to a member without consent.

use crate::state::AppState;
use relay_core::audience::AudienceSummary;
use relay_core::consent::optouts::{OptoutRead, OptoutStatus};
use relay_core::AppError;
use tauri::State;

/// Where opt-out capture stands: the trigger, the last read, the opt-outs, the maybes.
#[tauri::command]
#[specta::specta]
pub async fn optouts_status(state: State<'_, AppState>) -> Result<OptoutStatus, AppError> {
    state.workspace()?.optouts_status().await
}

/// Makes or updates Relay's trigger (an admin only), then reads the replies.
#[tauri::command]
#[specta::specta]
pub async fn setup_optouts(state: State<'_, AppState>) -> Result<OptoutStatus, AppError> {
    state.workspace()?.setup_optouts().await
}

/// Removes Relay's trigger (an admin only).
#[tauri::command]
#[specta::specta]
pub async fn remove_optouts(state: State<'_, AppState>) -> Result<OptoutStatus, AppError> {
    state.workspace()?.remove_optouts().await
}

/// Reads the replies tagged since the last read, now.
#[tauri::command]
#[specta::specta]
pub async fn read_optouts(state: State<'_, AppState>) -> Result<OptoutRead, AppError> {
    state.workspace()?.read_optouts(true).await
}

/// Confirms (its numbers opted out) or dismisses a reply that only holds an opt-out word.
#[tauri::command]
#[specta::specta]
pub async fn decide_reply(
    state: State<'_, AppState>,
    comment_id: String,
    confirm: bool,
) -> Result<OptoutStatus, AppError> {
    state.workspace()?.decide_reply(&comment_id, confirm).await
}

/// The channel kind an audience is for (its integration's), before its message is mapped.
#[tauri::command]
#[specta::specta]
pub async fn set_audience_channel(
    state: State<'_, AppState>,
    audience_id: String,
    integration_id: String,
) -> Result<AudienceSummary, AppError> {
    state
        .workspace()?
        .set_audience_channel(&audience_id, &integration_id)
        .await
}

/// Lets one member without consent be sent to (an admin only, with a note).
#[tauri::command]
#[specta::specta]
pub async fn allow_without_consent(
    state: State<'_, AppState>,
    audience_id: String,
    user_id: String,
    note: String,
) -> Result<AudienceSummary, AppError> {
    state
        .workspace()?
        .allow_without_consent(&audience_id, &user_id, &note)
        .await
}

/// What the review says of consent for a message (the rule applied, or that there is none — said
/// plainly for a marketing template).
#[tauri::command]
#[specta::specta]
pub async fn consent_note(
    state: State<'_, AppState>,
    message: relay_core::message::MessageSpec,
) -> Result<relay_core::text::Text, AppError> {
    state.workspace()?.consent_note(&message).await
}
