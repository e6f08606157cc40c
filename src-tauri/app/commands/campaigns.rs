//! Campaign commands: creating, sending, pausing, cancelling, reading, exporting, the dry run and the test send, and closing while sending.

use crate::state::AppState;
use relay_core::campaign::budget::BudgetView;
use relay_core::campaign::schedule::WaitingWindow;
use relay_core::campaign::CampaignProgress;
use relay_core::campaign::{CampaignSummary, CampaignTiming, RecipientPage, RecipientState};
use relay_core::message::MessageSpec;
use relay_core::timing::TimingPreview;
use relay_core::AppError;
use std::sync::atomic::Ordering;
use tauri::ipc::Channel;
use tauri::State;

/// Freezes a campaign from a checked audience (nothing is sent yet). `rate` defaults to the
/// integration's rate in the settings; `timing` gives its quiet hours (none: the workspace's)
/// and a time to send it at (then it is `scheduled`).
#[tauri::command]
#[specta::specta]
pub async fn create_campaign(
    state: State<'_, AppState>,
    audience_id: String,
    message: MessageSpec,
    rate: Option<u32>,
    timing: Option<CampaignTiming>,
) -> Result<CampaignSummary, AppError> {
    state
        .workspace()?
        .create_campaign_timed(
            &audience_id,
            message,
            rate,
            None,
            timing.unwrap_or_default(),
        )
        .await
}

/// A campaign's timing before it is sent: where its recipients' time zones come from, how many
/// are in quiet hours when it starts, and its estimated end, waits included. `quiet_hours`
/// none: the workspace's; `at` none: now.
#[tauri::command]
#[specta::specta]
pub async fn timing_preview(
    state: State<'_, AppState>,
    audience_id: String,
    rate: u32,
    timing: CampaignTiming,
) -> Result<TimingPreview, AppError> {
    let ws = state.workspace()?;
    relay_core::campaign::check_rate(rate)?;
    let (quiet, at) = timing.resolve(&ws.settings()?, ws.now_ms())?;
    ws.timing_preview(&audience_id, quiet, rate, at)
}

/// The WhatsApp messaging limit as it stands for a send of an audience through an integration
/// (None for SMS): the review's budget card.
#[tauri::command]
#[specta::specta]
pub async fn whatsapp_budget(
    state: State<'_, AppState>,
    audience_id: String,
    integration_id: String,
) -> Result<Option<BudgetView>, AppError> {
    state
        .workspace()?
        .whatsapp_budget(&audience_id, &integration_id)
        .await
}

/// Moves a scheduled or missed campaign to another time (and quiet hours, when given).
#[tauri::command]
#[specta::specta]
pub async fn reschedule_campaign(
    state: State<'_, AppState>,
    id: String,
    timing: CampaignTiming,
) -> Result<CampaignSummary, AppError> {
    state.workspace()?.reschedule_campaign(&id, &timing)
}

/// A waiting campaign's recipients still in their quiet hours, by when their window opens.
#[tauri::command]
#[specta::specta]
pub async fn waiting_windows(
    state: State<'_, AppState>,
    id: String,
) -> Result<Vec<WaitingWindow>, AppError> {
    state.workspace()?.waiting_windows(&id)
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
    crate::settle_with_team(workspace.clone(), state.campaigns_listener.clone());
    state.quit_if_idle();
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
            relay_core::text!("app.pause_elsewhere", id = id)
        } else {
            relay_core::text!("app.not_sending", id = id, status => c.status.label())
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
    state.quit_if_idle();
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

/// The page listens here for campaigns that change on their own (the app's schedule started a
/// scheduled one, went on with a waiting one, found one missed): it reloads what it shows.
#[tauri::command]
#[specta::specta]
pub async fn watch_campaigns(
    state: State<'_, AppState>,
    on_change: Channel<()>,
) -> Result<(), AppError> {
    *state
        .campaigns_listener
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = Some(on_change);
    Ok(())
}
