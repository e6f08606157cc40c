//! The Tauri commands: thin adapters over `relay_core::workspace::Workspace`.
//!
//! Each command is listed three times, on purpose: in `specta_builder` (bindings + handler), in
//! build.rs (its generated `allow-*` permission) and in tauri.conf.json's capability. A test
//! checks the three lists agree.

use crate::state::AppState;
use relay_core::audience::{
    AudienceSummary, FetchProgress, MemberAction, MemberFilter, MemberPage, RecipientPreview,
    SampleUser,
};
use relay_core::campaign::CampaignProgress;
use relay_core::campaign::{CampaignSummary, RecipientPage, RecipientState};
use relay_core::connect::GroupView;
use relay_core::connect::{ConnectionReport, IntegrationView};
use relay_core::message::mapping::{FieldInfo, Slot};
use relay_core::message::MessageSpec;
use relay_core::secrets::SecretKind;
use relay_core::settings::Settings;
use relay_core::suppression::{ImportReport, Suppressed};
use relay_core::template::drafts::Draft;
use relay_core::template::library::{Library, LocalEntry};
use relay_core::template::{Template, TemplateCheck};
use relay_core::workspace::{AppInfo, SettingsView};
use relay_core::AppError;
use std::sync::atomic::Ordering;
use tauri::ipc::Channel;
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

/// The dynamic values of a template, in mapping order (header, body, link button).
#[tauri::command]
#[specta::specta]
pub async fn template_slots(template: Template) -> Result<Vec<Slot>, AppError> {
    Ok(relay_core::message::mapping::slots(&template))
}

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

/// Freezes a campaign from a checked audience (nothing is sent yet). `rate` defaults to the
/// integration's rate in the settings.
#[tauri::command]
#[specta::specta]
pub async fn create_campaign(
    state: State<'_, AppState>,
    audience_id: String,
    message: MessageSpec,
    rate: Option<u32>,
) -> Result<CampaignSummary, AppError> {
    state
        .workspace()?
        .create_campaign(&audience_id, message, rate, None)
        .await
}

/// Sends a campaign (new, paused or interrupted) until it ends, is paused or cancelled,
/// reporting on `on_progress`. The send goes on if the window is closed or reloaded; a desktop
/// notification says when it ends.
#[tauri::command]
#[specta::specta]
pub async fn run_campaign(
    state: State<'_, AppState>,
    id: String,
    on_progress: Channel<CampaignProgress>,
) -> Result<CampaignSummary, AppError> {
    let workspace = state.workspace()?;
    let result = {
        let run = state.begin_run(&id)?;
        workspace
            .run_campaign(&id, &run.control, |p| {
                // The window may be gone: the send goes on without it.
                let _ = on_progress.send(p.clone());
            })
            .await
    };
    crate::notify_campaign_end(&state.shell, &workspace, &id, &result);
    if state.active_runs() == 0 && state.quit_when_idle.load(Ordering::Relaxed) {
        tracing::info!("the last send ended and the window was closed: quitting");
        (state.shell.exit)();
    }
    result
}

/// Pauses a campaign this app is sending (it stops after the messages in flight land).
#[tauri::command]
#[specta::specta]
pub async fn pause_campaign(state: State<'_, AppState>, id: String) -> Result<(), AppError> {
    match state.run_control(&id) {
        Some(control) => {
            control.pause();
            Ok(())
        }
        None => Err(not_sending_here(&state, &id)?),
    }
}

/// Cancels a campaign: the ones not sent yet are skipped (reason `cancelled`).
#[tauri::command]
#[specta::specta]
pub async fn cancel_campaign(
    state: State<'_, AppState>,
    id: String,
) -> Result<CampaignSummary, AppError> {
    let ws = state.workspace()?;
    match state.run_control(&id) {
        Some(control) => {
            control.cancel();
            ws.campaign(&id)
        }
        None => ws.cancel_campaign(&id),
    }
}

fn not_sending_here(state: &AppState, id: &str) -> Result<AppError, AppError> {
    let c = state.workspace()?.campaign(id)?;
    Ok(AppError::new(
        relay_core::ErrorCode::InvalidInput,
        if c.running {
            format!("The campaign {id} is being sent by another Relay window or process: pause it there.")
        } else {
            format!("The campaign {id} is not being sent (it is {}).", c.status)
        },
    ))
}

/// Every campaign, newest first (the history).
#[tauri::command]
#[specta::specta]
pub async fn list_campaigns(state: State<'_, AppState>) -> Result<Vec<CampaignSummary>, AppError> {
    state.workspace()?.campaigns()
}

#[tauri::command]
#[specta::specta]
pub async fn get_campaign(
    state: State<'_, AppState>,
    id: String,
) -> Result<CampaignSummary, AppError> {
    state.workspace()?.campaign(&id)
}

/// Campaigns left running by a crash or a closed app, to offer to resume.
#[tauri::command]
#[specta::specta]
pub async fn interrupted_campaigns(
    state: State<'_, AppState>,
) -> Result<Vec<CampaignSummary>, AppError> {
    state.workspace()?.interrupted_campaigns()
}

/// A page of a campaign's recipients, optionally in one state.
#[tauri::command]
#[specta::specta]
pub async fn campaign_recipients(
    state: State<'_, AppState>,
    id: String,
    filter: Option<RecipientState>,
    offset: u32,
    limit: u32,
) -> Result<RecipientPage, AppError> {
    state
        .workspace()?
        .campaign_recipients(&id, filter, offset, limit)
}

/// Puts the failed recipients (and, when asked, the unknown ones) back in the queue; returns
/// how many. Run the campaign again to send them.
#[tauri::command]
#[specta::specta]
pub async fn requeue_recipients(
    state: State<'_, AppState>,
    id: String,
    unknown_too: bool,
) -> Result<u32, AppError> {
    state.workspace()?.requeue_recipients(&id, unknown_too)
}

/// A CSV file written by Relay.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct SavedFile {
    pub path: String,
    pub rows: u32,
}

/// Writes a campaign's per-recipient report as CSV in the Downloads folder.
#[tauri::command]
#[specta::specta]
pub async fn export_campaign(
    state: State<'_, AppState>,
    id: String,
) -> Result<SavedFile, AppError> {
    let ws = state.workspace()?;
    let c = ws.campaign(&id)?;
    let (path, file) =
        crate::export_file(&state.shell, &ws, &format!("{}-report", c.template_name))?;
    let rows = ws.export_campaign_csv(&id, file)?;
    Ok(SavedFile { path, rows })
}

/// A dry run: every recipient's rendered message as CSV in the Downloads folder; nothing sent.
#[tauri::command]
#[specta::specta]
pub async fn dry_run(
    state: State<'_, AppState>,
    audience_id: String,
    message: MessageSpec,
) -> Result<SavedFile, AppError> {
    let ws = state.workspace()?;
    let name = relay_core::template::drafts::get(&ws.db(), &message.template_id)?
        .template
        .name;
    let (path, file) = crate::export_file(&state.shell, &ws, &format!("{name}-dry-run"))?;
    let rows = ws.dry_run_csv(&audience_id, message, file).await?;
    Ok(SavedFile { path, rows })
}

/// Sends the message once to a typed number, with the first recipient's values (a test
/// campaign: outside the blackout window, and leaving none).
#[tauri::command]
#[specta::specta]
pub async fn send_test(
    state: State<'_, AppState>,
    audience_id: String,
    message: MessageSpec,
    phone: String,
) -> Result<CampaignSummary, AppError> {
    let workspace = state.workspace()?;
    let test = workspace
        .prepare_test(&audience_id, message, &phone)
        .await?;
    // Among the app's sends: closing the window or quitting during it waits for it to land.
    let result = {
        let run = state.begin_run(&test.id)?;
        workspace.run_campaign(&test.id, &run.control, |_| {}).await
    };
    if state.active_runs() == 0 && state.quit_when_idle.load(Ordering::Relaxed) {
        (state.shell.exit)();
    }
    result
}

/// What to do with a window closed while campaigns are sending.
#[derive(Debug, Clone, Copy, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CloseChoice {
    /// Hide the window; quit when the last send ends.
    KeepSending,
    /// Pause the sends (they resume later from where they stopped) and quit.
    PauseAndQuit,
}

/// The answer to the "campaigns are sending" question asked when the window closes.
#[tauri::command]
#[specta::specta]
pub async fn close_while_sending(
    state: State<'_, AppState>,
    choice: CloseChoice,
) -> Result<(), AppError> {
    if state.active_runs() == 0 {
        (state.shell.exit)();
        return Ok(());
    }
    match choice {
        CloseChoice::KeepSending => {
            state.quit_when_idle.store(true, Ordering::Relaxed);
            (state.shell.hide)();
        }
        CloseChoice::PauseAndQuit => {
            // Each run pauses after the messages in flight land, then the last one quits.
            state.quit_when_idle.store(true, Ordering::Relaxed);
            state.pause_all();
        }
    }
    Ok(())
}

/// The page listens here for a close while campaigns are sending (it gets how many are); it
/// then asks the user and answers with `close_while_sending`.
#[tauri::command]
#[specta::specta]
pub async fn watch_close(
    state: State<'_, AppState>,
    on_close: Channel<u32>,
) -> Result<(), AppError> {
    *state
        .close_listener
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = Some(on_close);
    Ok(())
}
