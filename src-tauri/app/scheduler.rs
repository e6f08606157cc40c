//! The app sends campaigns at their time: every few seconds it asks the workspace which are due
//! — a scheduled one whose time has come, a waiting one whose recipients' quiet hours ended —
//! and sends each as the window's Send does (one runner per campaign; pause, cancel and the
//! close/quit questions apply to them alike). A desktop notification says when a scheduled
//! campaign starts and ends, and when one was missed. The window is told to reload (through
//! the channel it gave `watch_campaigns`).

use crate::state::AppState;
use relay_core::campaign::{CampaignStatus, Due};
use std::time::Duration;
use tauri::{AppHandle, Manager, Runtime};

/// How often the schedule is looked at.
const LOOK_EVERY: Duration = Duration::from_secs(10);

/// Tells the window the campaigns changed on their own (a window gone: nobody to tell).
fn changed(state: &AppState) {
    if let Some(c) = state
        .campaigns_listener
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
    {
        let _ = c.send(());
    }
}

pub async fn keep<R: Runtime>(app: AppHandle<R>) {
    let mut tick = tokio::time::interval(LOOK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        look(&app);
        // The opt-outs replied in Zendesk, read every few minutes while Relay runs (window or
        // tray): every desktop honours a STOP soon, sending or not.
        if let Ok(ws) = app.state::<AppState>().workspace() {
            ws.optouts_refresh(false).await;
            // And the team's store: what waits here pushed, what is new there pulled (every
            // two minutes at most).
            ws.team_background().await;
        }
        // Closed while a send's entries still went to the team's store: quits once they have.
        app.state::<AppState>().quit_if_idle();
    }
}

/// Starts what is due (each in its own task) and says what was missed.
fn look<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let Ok(ws) = state.workspace() else {
        return;
    };
    let (due, missed) = match ws.due_campaigns() {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(
                code = e.code.as_str(),
                "could not read the schedule: {}",
                e.message
            );
            return;
        }
    };
    let lang = relay_core::text::Lang::of(ws.settings().map(|s| s.language).unwrap_or_default());
    for id in &missed {
        let name = ws.campaign(id).map(|c| c.template_name).unwrap_or_default();
        (state.shell.notify)(
            &relay_core::text!("notify.missed_title", name = name).render(lang),
            &relay_core::text!("notify.missed_body").render(lang),
        );
    }
    if !missed.is_empty() {
        changed(&state);
    }
    for d in due {
        let (id, scheduled) = match d {
            Due::Scheduled(id) => (id, true),
            Due::Waiting(id) => (id, false),
        };
        if state.run_control(&id).is_some() {
            continue;
        }
        let app = app.clone();
        tauri::async_runtime::spawn(async move { send(app, id, scheduled).await });
    }
}

async fn send<R: Runtime>(app: AppHandle<R>, id: String, scheduled: bool) {
    let state = app.state::<AppState>();
    let Ok(ws) = state.workspace() else {
        return;
    };
    let lang = relay_core::text::Lang::of(ws.settings().map(|s| s.language).unwrap_or_default());
    let result = {
        let Ok(run) = state.begin_run(&id) else {
            return; // the window started it meanwhile
        };
        if scheduled {
            let name = ws
                .campaign(&id)
                .map(|c| c.template_name)
                .unwrap_or_default();
            (state.shell.notify)(
                &relay_core::text!("notify.scheduled_started", name = name).render(lang),
                &relay_core::text!("notify.scheduled_started_body").render(lang),
            );
        }
        changed(&state);
        ws.run_campaign(&id, &run.control, |_| {}).await
    };
    // Waiting again (more windows to open): no notification until it ends.
    let waiting = matches!(&result, Ok(c) if c.status == CampaignStatus::Waiting);
    if !waiting {
        crate::notify_campaign_end(&state.shell, &ws, &id, &result);
    }
    if let Err(e) = &result {
        tracing::warn!(campaign = %id, code = e.code.as_str(), "a campaign due could not be sent: {}", e.message);
    }
    crate::settle_with_team(ws.clone(), state.campaigns_listener.clone());
    changed(&state);
    state.quit_if_idle();
}
