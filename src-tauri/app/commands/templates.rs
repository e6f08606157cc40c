//! Template commands: the library, drafts, checks and submission.

use crate::state::AppState;
use relay_core::message::mapping::Slot;
use relay_core::template::drafts::{Draft, TranslationSet};
use relay_core::template::library::{Library, LocalEntry};
use relay_core::template::{Template, TemplateCheck};
use relay_core::AppError;
use tauri::State;

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

/// Saves a draft as the designer types (a new one when `id` is null), giving its name to the
/// drafts `translations` (its template's other translations) in the same transaction. Works
/// offline.
#[tauri::command]
#[specta::specta]
pub async fn save_template(
    state: State<'_, AppState>,
    id: Option<String>,
    template: Template,
    translations: Vec<String>,
) -> Result<Draft, AppError> {
    state
        .workspace()?
        .save_template_renaming(id.as_deref(), &template, &translations)
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

/// The dynamic values of a template, in mapping order (header, body, link button).
#[tauri::command]
#[specta::specta]
pub async fn template_slots(template: Template) -> Result<Vec<Slot>, AppError> {
    Ok(relay_core::message::mapping::slots(&template))
}

/// The translations of a template (every local template of its name), side by side: each with
/// its problems and previews, and what differs between their values. Works offline.
#[tauri::command]
#[specta::specta]
pub async fn template_translations(
    state: State<'_, AppState>,
    id: String,
) -> Result<TranslationSet, AppError> {
    state.workspace()?.template_translations(&id)
}

/// Adds a translation to a template: a copy of it in `language` (Meta's code), to translate.
#[tauri::command]
#[specta::specta]
pub async fn add_translation(
    state: State<'_, AppState>,
    id: String,
    language: String,
) -> Result<Draft, AppError> {
    state.workspace()?.add_translation(&id, &language)
}
