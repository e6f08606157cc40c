//! The end of a send in the window: the desktop notification, and what the send recorded
//! settled with the team's store in the background.

use crate::state;
use relay_core::campaign::CampaignSummary;
use relay_core::workspace::Workspace;
use relay_core::AppResult;

/// After a send: what it recorded goes on to the team's store in the background, its claim of
/// the message given back once the store confirms it (the window says "syncing with the team"
/// meanwhile); then the window is told. (A Relay waiting to quit once idle quits at the
/// scheduler's next look after that.)
pub(crate) fn settle_with_team(
    ws: std::sync::Arc<Workspace>,
    listener: std::sync::Arc<std::sync::Mutex<Option<tauri::ipc::Channel<()>>>>,
) {
    tauri::async_runtime::spawn(async move {
        ws.team_settled().await;
        if let Some(c) = listener.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            let _ = c.send(());
        }
    });
}

/// The desktop notification at the end of a send (when the system has a notification service).
pub(crate) fn notify_campaign_end(
    shell: &state::Shell,
    ws: &Workspace,
    id: &str,
    result: &AppResult<CampaignSummary>,
) {
    let lang = relay_core::text::Lang::of(ws.settings().map(|s| s.language).unwrap_or_default());
    let (title, body) = relay_core::campaign::end_notification(id, result);
    let (title, body) = (title.render(lang), body.render(lang));
    (shell.notify)(&title, &body);
}
