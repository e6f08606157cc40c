//! The state the Tauri shell manages, and the settings backend over `tauri-plugin-store`.

use relay_core::settings::SettingsBackend;
use relay_core::workspace::Workspace;
use relay_core::{AppError, AppResult, ErrorCode};
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::sync::Arc;
use tauri::{AppHandle, Runtime};
use tauri_plugin_store::StoreExt;

/// What the commands reach. Opening the workspace can fail (a database from a newer Relay, an
/// unwritable folder); the window still opens and shows that error instead of crashing.
pub struct AppState {
    workspace: Result<Arc<Workspace>, AppError>,
}

impl AppState {
    pub fn new(workspace: Result<Workspace, AppError>) -> Self {
        AppState {
            workspace: workspace.map(Arc::new),
        }
    }

    pub fn workspace(&self) -> Result<Arc<Workspace>, AppError> {
        self.workspace.clone()
    }
}

/// Settings persisted through `tauri-plugin-store`, in the same `settings.json` the CLI reads.
pub struct StoreBackend<R: Runtime> {
    app: AppHandle<R>,
    path: PathBuf,
}

impl<R: Runtime> StoreBackend<R> {
    pub fn new(app: AppHandle<R>, path: PathBuf) -> Self {
        StoreBackend { app, path }
    }

    fn store(&self) -> AppResult<Arc<tauri_plugin_store::Store<R>>> {
        self.app
            .store_builder(&self.path)
            .disable_auto_save()
            .build()
            .map_err(|e| self.error("open", e))
    }

    fn error(&self, what: &str, e: tauri_plugin_store::Error) -> AppError {
        AppError::new(
            ErrorCode::Io,
            format!(
                "Could not {what} the settings file {}: {e}. Check the data folder, or move the file away to start from defaults.",
                self.path.display()
            ),
        )
        .with_path(&self.path)
    }
}

impl<R: Runtime> SettingsBackend for StoreBackend<R> {
    fn load(&self) -> AppResult<Map<String, Value>> {
        let store = self.store()?;
        if self.path.exists() {
            // Another process (the CLI) may have written it since this store was opened.
            store
                .reload_ignore_defaults()
                .map_err(|e| self.error("read", e))?;
        }
        Ok(store.entries().into_iter().collect())
    }

    fn save(&self, map: &Map<String, Value>) -> AppResult<()> {
        let store = self.store()?;
        store.clear();
        for (k, v) in map {
            store.set(k.clone(), v.clone());
        }
        store.save().map_err(|e| self.error("write", e))
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }
}
