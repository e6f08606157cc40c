//! Audience commands: fields, the search, the fetch, the check, members, previews and the numbers never to message.

use crate::state::AppState;
use relay_core::audience::{
    AudienceSummary, FetchProgress, MemberAction, MemberFilter, MemberPage, RecipientPreview,
    SampleUser,
};
use relay_core::message::mapping::FieldInfo;
use relay_core::message::MessageSpec;
use relay_core::suppression::{ImportReport, Suppressed};
use relay_core::AppError;
use tauri::ipc::Channel;
use tauri::State;

/// The fields a query or a mapping may use: system fields and the account's custom user fields.
#[tauri::command]
#[specta::specta]
pub async fn user_fields(state: State<'_, AppState>) -> Result<Vec<FieldInfo>, AppError> {
    state.workspace()?.user_fields().await
}

/// The fields of a fetched audience (as they were when it was fetched; offline).
#[tauri::command]
#[specta::specta]
pub async fn audience_fields(
    state: State<'_, AppState>,
    audience_id: String,
) -> Result<Vec<FieldInfo>, AppError> {
    state.workspace()?.audience_fields(&audience_id)
}

/// How many users a search matches; an invalid query is refused with Zendesk's description.
#[tauri::command]
#[specta::specta]
pub async fn audience_count(state: State<'_, AppState>, query: String) -> Result<u32, AppError> {
    state.workspace()?.audience_count(&query).await
}

/// A few users a search matches, with their numbers as Relay reads them.
#[tauri::command]
#[specta::specta]
pub async fn audience_sample(
    state: State<'_, AppState>,
    query: String,
) -> Result<Vec<SampleUser>, AppError> {
    state.workspace()?.audience_sample(&query).await
}

/// Fetches every user a search matches into a new audience, reporting each page on
/// `on_progress`; `cancel_fetch` stops it after the current page.
#[tauri::command]
#[specta::specta]
pub async fn fetch_audience(
    state: State<'_, AppState>,
    query: String,
    on_progress: Channel<FetchProgress>,
) -> Result<AudienceSummary, AppError> {
    let workspace = state.workspace()?;
    let cancel = state.begin_fetch();
    workspace
        .fetch_audience(&query, &cancel, |p| {
            if let Err(e) = on_progress.send(p.clone()) {
                tracing::warn!("the window stopped listening to the fetch's progress: {e}");
            }
        })
        .await
}

/// Stops the running fetch after its current page (what was fetched is kept).
#[tauri::command]
#[specta::specta]
pub async fn cancel_fetch(state: State<'_, AppState>) -> Result<(), AppError> {
    state.cancel_fetch();
    Ok(())
}

/// Checks an audience: exclusions, and with a message its blackout and mapping.
#[tauri::command]
#[specta::specta]
pub async fn check_audience(
    state: State<'_, AppState>,
    audience_id: String,
    message: Option<MessageSpec>,
) -> Result<AudienceSummary, AppError> {
    state
        .workspace()?
        .check_audience(&audience_id, message)
        .await
}

/// Checks an audience again as it stands (after the suppression list or the ledger changed).
#[tauri::command]
#[specta::specta]
pub async fn recheck_audience(
    state: State<'_, AppState>,
    audience_id: String,
) -> Result<AudienceSummary, AppError> {
    state.workspace()?.recheck(&audience_id).await
}

/// Sends to the audience's fixed lines too, or leaves them out (the default); returns the new
/// counts.
#[tauri::command]
#[specta::specta]
pub async fn include_fixed_lines(
    state: State<'_, AppState>,
    audience_id: String,
    include: bool,
) -> Result<AudienceSummary, AppError> {
    state
        .workspace()?
        .include_fixed_lines(&audience_id, include)
        .await
}

/// The message an audience was last checked for (to restore the mapping step).
#[tauri::command]
#[specta::specta]
pub async fn audience_message(
    state: State<'_, AppState>,
    audience_id: String,
) -> Result<Option<MessageSpec>, AppError> {
    state.workspace()?.audience_message(&audience_id)
}

/// A page of an audience's members, filtered by reason.
#[tauri::command]
#[specta::specta]
pub async fn audience_members(
    state: State<'_, AppState>,
    audience_id: String,
    filter: MemberFilter,
    offset: u32,
    limit: u32,
) -> Result<MemberPage, AppError> {
    state
        .workspace()?
        .audience_members(&audience_id, filter, offset, limit)
}

/// Overrides, removes or restores members by hand; returns the new counts.
#[tauri::command]
#[specta::specta]
pub async fn set_members(
    state: State<'_, AppState>,
    audience_id: String,
    user_ids: Vec<String>,
    action: MemberAction,
) -> Result<AudienceSummary, AppError> {
    state
        .workspace()?
        .set_members(&audience_id, &user_ids, action)
        .await
}

/// One recipient's rendered message, as the template previews show it.
#[tauri::command]
#[specta::specta]
pub async fn preview_recipient(
    state: State<'_, AppState>,
    audience_id: String,
    user_id: String,
) -> Result<RecipientPreview, AppError> {
    state
        .workspace()?
        .preview_recipient(&audience_id, &user_id)
        .await
}

/// The numbers never to message.
#[tauri::command]
#[specta::specta]
pub async fn suppressed_numbers(state: State<'_, AppState>) -> Result<Vec<Suppressed>, AppError> {
    state.workspace()?.suppressed_numbers()
}

/// Adds numbers to the suppression list (all are checked first); returns the list.
#[tauri::command]
#[specta::specta]
pub async fn suppress_numbers(
    state: State<'_, AppState>,
    phones: Vec<String>,
    note: String,
) -> Result<Vec<Suppressed>, AppError> {
    let ws = state.workspace()?;
    ws.suppress_numbers(&phones, &note)?;
    ws.suppressed_numbers()
}

/// Takes a number off the suppression list; returns the list.
#[tauri::command]
#[specta::specta]
pub async fn unsuppress_number(
    state: State<'_, AppState>,
    phone: String,
) -> Result<Vec<Suppressed>, AppError> {
    let ws = state.workspace()?;
    ws.unsuppress_number(&phone)?;
    ws.suppressed_numbers()
}

/// Imports numbers from CSV text (the first column, or a `phone` column).
#[tauri::command]
#[specta::specta]
pub async fn import_suppressed(
    state: State<'_, AppState>,
    csv: String,
    note: String,
) -> Result<ImportReport, AppError> {
    state.workspace()?.import_suppressed(&csv, &note)
}
