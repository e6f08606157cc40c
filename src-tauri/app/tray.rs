//! Relay in the system tray: while a campaign is scheduled, sending or waiting for its
//! recipients' quiet hours, closing the window leaves Relay running there (the schedule is kept
//! by this process, see `scheduler`). Its menu: open Relay, pause every send, quit — a quit
//! while sending pauses first, as any quit does (`AppState::may_exit`). And "open Relay at
//! login" (`tauri-plugin-autostart`), which starts it in the tray (`--in-tray`).

use crate::state::AppState;
use relay_core::text::Lang;
use serde::{Deserialize, Serialize};
use specta::Type;
use std::sync::atomic::Ordering;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

const OPEN: &str = "tray-open";
const PAUSE_ALL: &str = "tray-pause-all";
const QUIT: &str = "tray-quit";

/// The argument Relay is started with at login: its window stays hidden, in the tray.
pub const IN_TRAY_ARG: &str = "--in-tray";

/// Puts Relay's icon in the tray, with its menu in the workspace's language. A desktop without
/// a tray leaves Relay as it was (closing the window then quits, as before).
pub fn install<R: Runtime>(app: &AppHandle<R>, lang: Lang) {
    match build(app, lang) {
        Ok(()) => app
            .state::<AppState>()
            .in_tray
            .store(true, Ordering::Relaxed),
        Err(e) => tracing::warn!("no tray icon: {e}"),
    }
}

fn build<R: Runtime>(app: &AppHandle<R>, lang: Lang) -> tauri::Result<()> {
    let say = |key: &str| relay_core::text::Text::new(key).render(lang);
    let menu = Menu::with_items(
        app,
        &[
            &MenuItem::with_id(app, OPEN, say("tray.open"), true, None::<&str>)?,
            &MenuItem::with_id(app, PAUSE_ALL, say("tray.pause_all"), true, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, QUIT, say("tray.quit"), true, None::<&str>)?,
        ],
    )?;
    let mut tray = TrayIconBuilder::with_id("relay")
        .tooltip("Relay")
        .menu(&menu)
        .on_menu_event(|app, event| match event.id().as_ref() {
            OPEN => show(app),
            PAUSE_ALL => app.state::<AppState>().pause_all(),
            QUIT => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
}

/// Shows the window again, in front.
pub fn show<R: Runtime>(app: &AppHandle<R>) {
    for w in app.webview_windows().values() {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// The window was closed with nothing sending: when campaigns are scheduled or waiting and Relay
/// is in the tray, it hides there (true) instead of quitting; the first time, a notification
/// says so.
pub fn keep_in_tray<R: Runtime>(app: &AppHandle<R>) -> bool {
    let state = app.state::<AppState>();
    if !state.in_tray.load(Ordering::Relaxed) {
        return false;
    }
    let Ok(ws) = state.workspace() else {
        return false;
    };
    if !matches!(ws.next_due_at(), Ok(Some(_))) {
        return false;
    }
    (state.shell.hide)();
    if !state.hidden_once.swap(true, Ordering::Relaxed) {
        let lang = Lang::of(ws.settings().map(|s| s.language).unwrap_or_default());
        (state.shell.notify)(
            &relay_core::text::Text::new("tray.kept_title").render(lang),
            &relay_core::text::Text::new("tray.kept_body").render(lang),
        );
    }
    tracing::info!(
        "window closed while campaigns are scheduled or waiting: Relay stays in the tray"
    );
    true
}

/// Relay in the tray, and whether it opens at login.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
pub struct ShellStatus {
    /// Its icon is in the system tray.
    pub tray: bool,
    /// It opens (in the tray) when the user logs in.
    pub autostart: bool,
}

/// Relay in the tray, and whether it opens at login.
#[tauri::command]
#[specta::specta]
pub async fn shell_status(
    state: tauri::State<'_, AppState>,
) -> Result<ShellStatus, relay_core::AppError> {
    status(&state, None)
}

/// Opens Relay (in the tray) at login, or no more.
#[tauri::command]
#[specta::specta]
pub async fn set_autostart(
    state: tauri::State<'_, AppState>,
    on: bool,
) -> Result<ShellStatus, relay_core::AppError> {
    status(&state, Some(on))
}

fn status(state: &AppState, change: Option<bool>) -> Result<ShellStatus, relay_core::AppError> {
    let autostart = (state.shell.autostart)(change).map_err(|detail| {
        relay_core::AppError::new(
            relay_core::ErrorCode::Io,
            relay_core::text!("tray.autostart_failed", detail = detail),
        )
    })?;
    Ok(ShellStatus {
        tray: state.in_tray.load(Ordering::Relaxed),
        autostart,
    })
}
