//! The state the Tauri shell manages, and the settings backend over `tauri-plugin-store`.

use relay_core::paths::DataDir;
use relay_core::secrets::SecretStore;
use relay_core::settings::SettingsBackend;
use relay_core::workspace::{SandboxConnection, Workspace};
use relay_core::{AppError, AppResult, ErrorCode};
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Runtime};
use tauri_plugin_store::StoreExt;

/// Makes the settings backend of a data folder (the store plugin in the app, a JSON file in tests).
pub type BackendFactory = Box<dyn Fn(&DataDir) -> Box<dyn SettingsBackend> + Send + Sync>;

/// The demo workspace: its own data folder, served by an in-process sandbox.
struct Demo {
    workspace: Arc<Workspace>,
    _sandbox: relay_sandbox::Sandbox,
}

/// What the commands reach. Opening the workspace can fail (a database from a newer Relay, an
/// unwritable folder); the window still opens and shows that error instead of crashing.
pub struct AppState {
    main: Result<Arc<Workspace>, AppError>,
    demo: Mutex<Option<Demo>>,
    data: DataDir,
    secret_store: Arc<dyn SecretStore>,
    backend_for: BackendFactory,
    /// The running audience fetch's cancel flag (one fetch at a time per window).
    fetch_cancel: Mutex<Arc<AtomicBool>>,
}

impl AppState {
    pub fn new(
        data: DataDir,
        secret_store: Arc<dyn SecretStore>,
        backend_for: BackendFactory,
    ) -> Self {
        let main = Workspace::open(data.clone(), secret_store.clone(), backend_for(&data));
        if let Err(e) = &main {
            tracing::error!(
                code = e.code.as_str(),
                "could not open the workspace: {}",
                e.message
            );
        }
        AppState {
            main: main.map(Arc::new),
            demo: Mutex::new(None),
            data,
            secret_store,
            backend_for,
            fetch_cancel: Mutex::new(Arc::new(AtomicBool::new(false))),
        }
    }

    /// A fresh cancel flag for a new fetch (a cancel meant for an earlier fetch does not stop it).
    pub fn begin_fetch(&self) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        *self.fetch_cancel.lock().unwrap_or_else(|e| e.into_inner()) = flag.clone();
        flag
    }

    pub fn cancel_fetch(&self) {
        self.fetch_cancel
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .store(true, Ordering::Relaxed);
    }

    /// The active workspace: the demo while it is open, else the user's own.
    pub fn workspace(&self) -> Result<Arc<Workspace>, AppError> {
        if let Some(demo) = self.demo.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            return Ok(demo.workspace.clone());
        }
        self.main.clone()
    }

    pub fn main(&self) -> Result<Arc<Workspace>, AppError> {
        self.main.clone()
    }

    /// Starts the sandbox on a free loopback port and opens the demo workspace on it (data
    /// folder `demo/` inside the main one; its credentials go to the keychain like real ones).
    pub async fn start_demo(&self) -> AppResult<()> {
        let main = self.main()?;
        if self
            .demo
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
        {
            return Ok(());
        }
        let sandbox = relay_sandbox::Sandbox::start(relay_sandbox::SandboxConfig::default())
            .await
            .map_err(|e| AppError::new(ErrorCode::Io, format!("Could not start the demo's local server: {e}. Check that loopback networking (127.0.0.1) is allowed.")))?;
        let dir = DataDir::at(&self.data.root().join("demo"))?;
        let workspace = Workspace::open(
            dir.clone(),
            self.secret_store.clone(),
            (self.backend_for)(&dir),
        )?
        .into_demo();
        let i = sandbox.info();
        workspace.connect_sandbox(&SandboxConnection {
            base_url: i.base_url.clone(),
            sunshine_url: i.sunshine_url.clone(),
            subdomain: i.subdomain.clone(),
            zendesk_email: i.zendesk_email.clone(),
            zendesk_token: i.zendesk_token.clone(),
            app_id: i.app_id.clone(),
            key_id: i.key_id.clone(),
            key_secret: i.key_secret.clone(),
        })?;
        main.set_key("demo_active", "true")?;
        tracing::info!(base_url = %i.base_url, "demo workspace opened");
        *self.demo.lock().unwrap_or_else(|e| e.into_inner()) = Some(Demo {
            workspace: Arc::new(workspace),
            _sandbox: sandbox,
        });
        Ok(())
    }

    /// Closes the demo (its sandbox stops) and returns to the user's own workspace.
    pub fn leave_demo(&self) -> AppResult<()> {
        let demo = self.demo.lock().unwrap_or_else(|e| e.into_inner()).take();
        self.main()?.set_key("demo_active", "false")?;
        if demo.is_some() {
            tracing::info!("demo workspace closed");
        }
        Ok(())
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
