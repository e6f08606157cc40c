//! The `relay` app: the Tauri shell and the command line, both thin adapters over `relay-core`.

mod bindings;
mod campaign_end;
pub mod cli;
pub mod commands;
mod exports;
mod menu;
pub mod scheduler;
mod shell;
mod signals;
pub mod state;
pub mod tray;
pub mod updates;

pub use bindings::{export_bindings, specta_builder, BINDINGS_PATH};
pub(crate) use campaign_end::{notify_campaign_end, settle_with_team};
pub(crate) use exports::export_file;
pub use shell::{build_app, run_gui, DemoMode};
pub(crate) use signals::quit_signal;
pub use state::BackendFactory;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

static STARTED: OnceLock<Instant> = OnceLock::new();
static UI_READY_LOGGED: AtomicBool = AtomicBool::new(false);

/// Marks the process start (called first thing in `main`).
pub fn mark_process_start() {
    let _ = STARTED.set(Instant::now());
}

/// Logs, once, how long the window took from process start to the UI's first request: the
/// figure behind "the app opens in about a second".
pub(crate) fn log_ui_ready() {
    if !UI_READY_LOGGED.swap(true, Ordering::Relaxed) {
        if let Some(start) = STARTED.get() {
            tracing::info!(
                ms = start.elapsed().as_millis() as u64,
                "ui ready (first request from the window)"
            );
        }
    }
}
