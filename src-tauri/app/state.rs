//! The state the Tauri shell manages.

use relay_core::campaign::CampaignControl;
use relay_core::paths::DataDir;
use relay_core::secrets::SecretStore;
use relay_core::settings::SettingsBackend;
use relay_core::workspace::{SandboxConnection, Workspace};
use relay_core::{AppError, AppResult, ErrorCode};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Makes the settings backend of a data folder (its settings file).
pub type BackendFactory = Box<dyn Fn(&DataDir) -> Box<dyn SettingsBackend> + Send + Sync>;

/// Shows a desktop notification (title, body).
pub type Notify = Box<dyn Fn(&str, &str) + Send + Sync>;

/// What the commands need of the window system, captured at setup so that the commands stay
/// free of the runtime type (tauri-specta cannot list generic commands).
pub struct Shell {
    /// A desktop notification (title, body).
    pub notify: Notify,
    /// Hides every window (the app keeps running).
    pub hide: Box<dyn Fn() + Send + Sync>,
    pub exit: Box<dyn Fn() + Send + Sync>,
    /// The user's Downloads folder, if there is one.
    pub downloads: Box<dyn Fn() -> Option<PathBuf> + Send + Sync>,
    /// Makes the updater for a manifest address (`None`: the one this build was released with).
    pub updater: crate::updates::MakeUpdater,
    /// Restarts Relay (after an update is installed).
    pub restart: Box<dyn Fn() + Send + Sync>,
    /// Whether Relay opens at login; `Some(on)` changes it first. The error says why not.
    pub autostart: Box<dyn Fn(Option<bool>) -> Result<bool, String> + Send + Sync>,
}

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
    /// The campaigns this process is sending, by id.
    runs: Mutex<HashMap<String, Arc<CampaignControl>>>,
    /// The window was closed while sending, with "quit when the sends end".
    pub quit_when_idle: AtomicBool,
    pub shell: Shell,
    /// Where the window listens for "closing while sending" (it asks the user what to do).
    pub close_listener: Mutex<Option<tauri::ipc::Channel<u32>>>,
    /// The last update check, and the release it found.
    pub updates: crate::updates::Updates,
    /// Where the window listens for campaigns that change on their own (`scheduler`).
    pub campaigns_listener: Arc<Mutex<Option<tauri::ipc::Channel<()>>>>,
    /// Relay's icon is in the system tray (the window may be closed while campaigns wait).
    pub in_tray: AtomicBool,
    /// The window was hidden to the tray once already (its notification is said once).
    pub hidden_once: AtomicBool,
}

/// Unregisters a run when its command ends, however it ends.
pub struct RunGuard<'a> {
    state: &'a AppState,
    id: String,
    pub control: Arc<CampaignControl>,
}

impl Drop for RunGuard<'_> {
    fn drop(&mut self) {
        self.state
            .runs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
    }
}

impl AppState {
    pub fn new(
        data: DataDir,
        secret_store: Arc<dyn SecretStore>,
        backend_for: BackendFactory,
        shell: Shell,
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
            runs: Mutex::new(HashMap::new()),
            quit_when_idle: AtomicBool::new(false),
            shell,
            close_listener: Mutex::new(None),
            updates: Default::default(),
            in_tray: AtomicBool::new(false),
            campaigns_listener: Arc::new(Mutex::new(None)),
            hidden_once: AtomicBool::new(false),
        }
    }

    /// Registers a run of campaign `id` in this process (the lock file keeps other processes
    /// out; this keeps a second window of this one from starting it twice).
    pub fn begin_run(&self, id: &str) -> AppResult<RunGuard<'_>> {
        let mut runs = self.runs.lock().unwrap_or_else(|e| e.into_inner());
        if runs.contains_key(id) {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                relay_core::text!("app.already_sending", id = id),
            ));
        }
        let control = Arc::new(CampaignControl::default());
        runs.insert(id.to_string(), control.clone());
        Ok(RunGuard {
            state: self,
            id: id.to_string(),
            control,
        })
    }

    /// The control of a campaign this process sends.
    pub fn run_control(&self, id: &str) -> Option<Arc<CampaignControl>> {
        self.runs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    /// A send ended: when it was the last and the window was closed meanwhile ("quit when the
    /// sends end"), Relay quits.
    pub fn quit_if_idle(&self) {
        // A send that ended but whose entries still go to the team's store keeps Relay running
        // until they are confirmed (its claim is given back then).
        let settling = self.workspace().map_or(0, |w| w.team_settling());
        if self.active_runs() == 0 && settling == 0 && self.quit_when_idle.load(Ordering::Relaxed) {
            tracing::info!("the last send ended and the window was closed: quitting");
            (self.shell.exit)();
        }
    }

    /// How many campaigns this process is sending.
    pub fn active_runs(&self) -> usize {
        self.runs.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// The window was asked to close: true when it may. While campaigns are sending it stays
    /// open and the page asks what to do; with no page listening, the window hides and the app
    /// quits when the sends end (a send is never dropped by a close).
    pub fn may_close(&self) -> bool {
        let sending = self.active_runs();
        if sending == 0 || self.quit_when_idle.load(Ordering::Relaxed) {
            return true;
        }
        let asked = self
            .close_listener
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_some_and(|c| c.send(sending as u32).is_ok());
        if !asked {
            tracing::info!(
                sending,
                "window closed while sending: hidden until the sends end"
            );
            self.quit_when_idle.store(true, Ordering::Relaxed);
            (self.shell.hide)();
        }
        false
    }

    /// The app was asked to quit — Cmd+Q, the app menu, SIGTERM, the session logging out.
    /// With campaigns sending, it gets the care a closed window gets: each pauses after the
    /// requests in flight land and are recorded, and the app quits when the last one has
    /// stopped (nothing is left `sending`). Returns whether it may quit now.
    pub fn may_exit(&self) -> bool {
        let sending = self.active_runs();
        if sending == 0 {
            return true;
        }
        tracing::info!(
            sending,
            "quit requested while sending: pausing, then quitting"
        );
        self.quit_when_idle.store(true, Ordering::Relaxed);
        self.pause_all();
        (self.shell.hide)();
        false
    }

    /// Pauses every send and waits, at most `limit`, for them to have stopped (their requests in
    /// flight landed and recorded): the last resort of an exit that could not be asked first.
    pub fn pause_and_wait(&self, limit: std::time::Duration) {
        if self.active_runs() == 0 {
            return;
        }
        tracing::warn!("exiting while sending: pausing the sends first");
        self.pause_all();
        let start = std::time::Instant::now();
        while self.active_runs() > 0 && start.elapsed() < limit {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Pauses every campaign this process sends (before quitting).
    pub fn pause_all(&self) {
        for c in self.runs.lock().unwrap_or_else(|e| e.into_inner()).values() {
            c.pause();
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
        let sandbox = relay_sandbox::Sandbox::start(relay_sandbox::SandboxConfig {
            demo_replies: true,
            ..relay_sandbox::SandboxConfig::default()
        })
        .await
        .map_err(|e| {
            AppError::new(
                ErrorCode::Io,
                relay_core::text!("app.demo_server", detail = e),
            )
        })?;
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
        // The demo account hears "no": its few STOP replies are read at once.
        if let Err(e) = workspace.setup_optouts().await {
            tracing::warn!(
                code = e.code.as_str(),
                "the demo's opt-out capture was not set up: {}",
                e.message
            );
        }
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
        if self.active_runs() > 0 {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                relay_core::text!("app.demo_busy"),
            ));
        }
        let demo = self.demo.lock().unwrap_or_else(|e| e.into_inner()).take();
        self.main()?.set_key("demo_active", "false")?;
        if demo.is_some() {
            tracing::info!("demo workspace closed");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn state(dir: &std::path::Path, hides: Arc<AtomicUsize>) -> AppState {
        let data = DataDir::at(dir).unwrap();
        AppState::new(
            data,
            Arc::new(relay_core::secrets::MemoryStore::new()),
            Box::new(|d: &DataDir| {
                Box::new(relay_core::settings::JsonFileBackend::new(
                    &d.settings_file(),
                ))
            }),
            Shell {
                notify: Box::new(|_, _| {}),
                hide: Box::new(move || {
                    hides.fetch_add(1, Ordering::Relaxed);
                }),
                exit: Box::new(|| {}),
                downloads: Box::new(|| None),
                updater: Box::new(|_| Err(tauri_plugin_updater::Error::EmptyEndpoints)),
                restart: Box::new(|| {}),
                autostart: Box::new(|_| Ok(false)),
            },
        )
    }

    #[test]
    fn closing_while_sending_asks_the_page_or_hides_and_never_drops_the_send() {
        let tmp = tempfile::tempdir().unwrap();
        let hides = Arc::new(AtomicUsize::new(0));
        let s = state(tmp.path(), hides.clone());
        assert!(s.may_close(), "nothing sending: close at once");

        let run = s.begin_run("c1").unwrap();
        assert!(
            s.begin_run("c1").is_err(),
            "one run of a campaign per window"
        );
        // The page listens: it is told how many are sending, and the window stays.
        let asked = Arc::new(Mutex::new(Vec::new()));
        let seen = asked.clone();
        *s.close_listener.lock().unwrap() = Some(tauri::ipc::Channel::new(move |body| {
            if let tauri::ipc::InvokeResponseBody::Json(j) = body {
                seen.lock().unwrap().push(j);
            }
            Ok(())
        }));
        assert!(!s.may_close());
        assert_eq!(asked.lock().unwrap().as_slice(), ["1".to_string()]);
        assert_eq!(hides.load(Ordering::Relaxed), 0);

        // No page to ask: the window hides, and the app quits when the send ends.
        *s.close_listener.lock().unwrap() = None;
        assert!(!s.may_close());
        assert_eq!(hides.load(Ordering::Relaxed), 1);
        assert!(s.quit_when_idle.load(Ordering::Relaxed));
        assert!(s.may_close(), "a second close goes through");

        // Pause-and-quit reaches the run; the run ends and unregisters.
        s.pause_all();
        assert_eq!(s.active_runs(), 1);
        drop(run);
        assert_eq!(s.active_runs(), 0);
        assert!(s.run_control("c1").is_none());
    }

    #[test]
    fn quitting_while_sending_pauses_first_then_quits() {
        let tmp = tempfile::tempdir().unwrap();
        let hides = Arc::new(AtomicUsize::new(0));
        let s = state(tmp.path(), hides.clone());
        assert!(s.may_exit(), "nothing sending: quit at once");
        let run = s.begin_run("c1").unwrap();
        assert!(!s.may_exit(), "a send is under way: not yet");
        assert!(
            s.run_control("c1").unwrap().is_paused(),
            "the run is told to pause (its requests in flight land first)"
        );
        assert!(
            s.quit_when_idle.load(Ordering::Relaxed),
            "then the app quits"
        );
        assert_eq!(
            hides.load(Ordering::Relaxed),
            1,
            "the window goes meanwhile"
        );
        drop(run);
        assert!(s.may_exit(), "once it has stopped");
    }
}
