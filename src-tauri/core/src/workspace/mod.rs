//! A workspace: one data folder (database, settings, logs) and its keychain entries, with the
//! time, the host names and the database thread it works with. Everything a user can do is a
//! method of it, each in the module of its idea (`audience::fetch`, `campaign::send`…); the
//! Tauri commands and the CLI subcommands are thin adapters over them. Here: opening one, what
//! it is made of, and the clients it signs in with; its settings in `settings`.

mod settings;

pub use settings::{Overview, SandboxConnection, SettingsView};

use crate::error::AppResult;
use crate::paths::DataDir;
use crate::secrets::{SecretKind, SecretStore, Secrets};
use crate::settings::{Settings, SettingsBackend};
use crate::storage::Database;
use serde::{Deserialize, Serialize};
use specta::Type;
use std::sync::{Arc, Mutex, MutexGuard};

/// Facts about this installation, for the About panel and `relay settings show`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct AppInfo {
    pub version: String,
    /// This is the demo workspace, served by the local sandbox.
    pub demo: bool,
    pub data_dir: String,
    pub database: String,
    pub settings_file: String,
    pub log_file: String,
    pub schema_version: u32,
}

pub struct Workspace {
    data: DataDir,
    demo: bool,
    db: Mutex<Database>,
    secrets: Secrets,
    backend: Box<dyn SettingsBackend>,
    clock: Clock,
    /// Host names resolved without the system's resolver (see [`Workspace::resolve_host`]).
    hosts: Mutex<Vec<(String, std::net::SocketAddr)>>,
    /// The database thread, started on first use (see `storage::Writer`).
    writer: Mutex<Option<Arc<crate::storage::Writer>>>,
    /// How long the send engine keeps trying a write another program holds the lock for.
    write_patience: std::time::Duration,
    /// Where this desktop stands with the team's store (see `team`).
    team: crate::team::TeamState,
    /// Makes the pacer a campaign sends at, from its rate (messages a second).
    pacing: Pacing,
}

/// Makes the pacer a campaign keeps its rate with (see [`Workspace::with_pacing`]).
pub type Pacing = Arc<dyn Fn(u32) -> Arc<dyn crate::clients::http::Pacer> + Send + Sync>;

/// Where a workspace reads the time (milliseconds since the Unix epoch).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// This machine's name, as a campaign's lease and the team's store name it.
pub fn this_host() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

fn system_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Workspace {
    /// Opens the workspace of a data folder: migrates its database and binds its keychain entries.
    pub fn open(
        data: DataDir,
        store: Arc<dyn SecretStore>,
        backend: Box<dyn SettingsBackend>,
    ) -> AppResult<Workspace> {
        let db = Database::open(&data.database())?;
        let workspace_id = db.workspace_id()?;
        let ws = Workspace {
            data,
            demo: false,
            db: Mutex::new(db),
            secrets: Secrets::new(store, workspace_id),
            backend,
            clock: Arc::new(system_clock),
            hosts: Mutex::new(Vec::new()),
            writer: Mutex::new(None),
            write_patience: crate::storage::WRITE_PATIENCE,
            team: crate::team::TeamState::default()
                .with_summaries(|ws| ws.queue_campaign_summaries()),
            pacing: Arc::new(|rate| Arc::new(crate::clients::http::RatePacer::new(rate))),
        };
        ws.reload_team_policy()?;
        if let Err(e) = ws.discard_abandoned_campaigns() {
            tracing::warn!("could not look for half-built campaigns: {}", e.message);
        }
        if let Err(e) = ws.fail_interrupted_fetches() {
            tracing::warn!("could not look for interrupted fetches: {}", e.message);
        }
        Ok(ws)
    }

    /// Marks this workspace as the demo one (shown as "Demo" in the app).
    pub fn into_demo(mut self) -> Workspace {
        self.demo = true;
        self
    }

    pub fn is_demo(&self) -> bool {
        self.demo
    }

    pub fn data_dir(&self) -> &DataDir {
        &self.data
    }

    /// The workspace's connection. Waiting for it (another task holds it for an audience check,
    /// say) happens off the async runtime's workers: their other tasks go on meanwhile.
    pub fn db(&self) -> MutexGuard<'_, Database> {
        match self.db.try_lock() {
            Ok(guard) => guard,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                crate::storage::blocking(|| self.db.lock().unwrap_or_else(|p| p.into_inner()))
            }
        }
    }

    /// The database thread, started on first use.
    pub(crate) fn writer(&self) -> AppResult<Arc<crate::storage::Writer>> {
        let mut slot = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(w) = slot.as_ref() {
            return Ok(w.clone());
        }
        let keys = self.db().number_keys().clone();
        let w = Arc::new(crate::storage::Writer::open(&self.data.database(), &keys)?);
        *slot = Some(w.clone());
        Ok(w)
    }

    /// How each connection that writes the database is set for durability: (which connection,
    /// `synchronous` — 2 is FULL —, `fullfsync`). The send engine's is the database thread's.
    pub async fn durability(&self) -> AppResult<Vec<(String, i64, bool)>> {
        let read = |c: &rusqlite::Connection| -> AppResult<(i64, bool)> {
            let sync = c.pragma_query_value(None, "synchronous", |r| r.get(0))?;
            let full: i64 = c.pragma_query_value(None, "fullfsync", |r| r.get(0))?;
            Ok((sync, full != 0))
        };
        let main = read(self.db().connection())?;
        let engine = self.writer()?.run(move |c| read(c)).await?;
        Ok(vec![
            ("workspace".into(), main.0, main.1),
            ("send engine".into(), engine.0, engine.1),
        ])
    }

    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    pub fn info(&self) -> AppResult<AppInfo> {
        Ok(AppInfo {
            version: crate::VERSION.to_string(),
            demo: self.demo,
            data_dir: self.data.root().display().to_string(),
            database: self.data.database().display().to_string(),
            settings_file: self.backend.location(),
            log_file: self
                .data
                .log_dir()
                .join(crate::logging::LOG_FILE)
                .display()
                .to_string(),
            schema_version: self.db().schema_version()?,
        })
    }

    pub(crate) fn http(&self) -> crate::clients::http::Http {
        crate::clients::http::Http::with_hosts(
            crate::clients::http::RetryPolicy::default(),
            Arc::new(crate::clients::http::TokioSleeper),
            &self.hosts.lock().unwrap_or_else(|p| p.into_inner()),
        )
    }

    /// Resolves `host` to `addr` for every request of this workspace, instead of asking the
    /// system's resolver: a `*.localhost` name for a local server, in tests.
    pub fn resolve_host(&self, host: &str, addr: std::net::SocketAddr) {
        self.hosts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((host.to_string(), addr));
    }

    /// Milliseconds since the Unix epoch, from the workspace's clock.
    pub fn now_ms(&self) -> i64 {
        (self.clock)()
    }

    /// Replaces the clock (tests: blackout at a day boundary, campaigns over days).
    pub fn with_clock(mut self, clock: Clock) -> Workspace {
        self.clock = clock;
        self
    }

    /// How long the send engine keeps trying a write while another program holds the database
    /// (default [`crate::storage::WRITE_PATIENCE`]); past it the run stops, paused.
    pub fn with_write_patience(mut self, patience: std::time::Duration) -> Workspace {
        self.write_patience = patience;
        self
    }

    pub(crate) fn write_patience(&self) -> std::time::Duration {
        self.write_patience
    }

    /// A shorter life for team claims without a heartbeat (tests of a desktop killed mid-send).
    pub fn with_claim_ttl(mut self, ttl: std::time::Duration) -> Workspace {
        self.team.claim_ttl = ttl;
        self
    }

    /// Another wait at the end of a send for its entries to reach the team's store before it
    /// returns (the tests: their small sends' entries all pushed by then).
    pub fn with_settle_at_end(mut self, patience: std::time::Duration) -> Workspace {
        self.team.settle_at_end = patience;
        self
    }

    /// Another share of the account's API limit for the team replicator (the benchmark).
    pub fn with_team_share(mut self, per_minute: u32) -> Workspace {
        self.team.share = Some(per_minute);
        self
    }

    /// How campaigns keep their rate (default: a `governor` limiter at the campaign's rate). A
    /// benchmark that measures the engine against a local server gives one that never waits.
    pub fn with_pacing(mut self, pacing: Pacing) -> Workspace {
        self.pacing = pacing;
        self
    }

    /// The pacer of a campaign sent at `rate` messages a second.
    pub(crate) fn pacer(&self, rate: u32) -> Arc<dyn crate::clients::http::Pacer> {
        (self.pacing)(rate)
    }

    /// The settings and a Zendesk client signed in with the keychain's token.
    pub(crate) fn zendesk_client(
        &self,
    ) -> AppResult<(Settings, crate::clients::zendesk::ZendeskClient)> {
        let settings = self.settings()?;
        let token = self.secrets.require_recent(SecretKind::ZendeskApiToken)?;
        let client = crate::clients::zendesk::ZendeskClient::new(self.http(), &settings, &token)?;
        Ok((settings, client))
    }

    /// A Zendesk client for the team's store: every such request, from a sync, a heartbeat's
    /// push or a send's claim, keeps one pace — the share of the account's limit.
    pub(crate) fn team_client(&self) -> AppResult<crate::clients::zendesk::ZendeskClient> {
        let (settings, z) = self.zendesk_client()?;
        Ok(z.with_pace(self.team.pace(settings.team_share_per_minute)))
    }

    /// Where this desktop stands with the team's store.
    pub(crate) fn team(&self) -> &crate::team::TeamState {
        &self.team
    }

    /// Reads the team's policy again from the database (after a pull, here or by another
    /// process of this data folder).
    pub(crate) fn reload_team_policy(&self) -> AppResult<()> {
        let read = crate::team::policy::local(self.db().connection())?;
        self.team.set_policy(read);
        Ok(())
    }

    /// The team's policy this desktop applies, if the team has one.
    pub(crate) fn applied_policy(&self) -> Option<crate::team::policy::TeamPolicy> {
        self.team.policy()
    }

    pub(crate) fn sunshine_client(&self) -> AppResult<crate::clients::sunshine::SunshineClient> {
        let settings = self.settings()?;
        let secret = self.secrets.require_recent(SecretKind::SunshineKeySecret)?;
        crate::clients::sunshine::SunshineClient::new(self.http(), &settings, &secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::secrets::MemoryStore;
    use crate::settings::JsonFileBackend;
    use base64::Engine;

    fn open(tmp: &tempfile::TempDir) -> Workspace {
        let data = DataDir::at(tmp.path()).unwrap();
        let backend = Box::new(JsonFileBackend::new(&data.settings_file()));
        Workspace::open(data, Arc::new(MemoryStore::new()), backend).unwrap()
    }

    #[test]
    fn save_then_reopen_persists_and_reports_configured() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = open(&tmp);
        let s = Settings {
            zendesk_subdomain: "https://Acme.zendesk.com".into(),
            zendesk_email: "admin@acme.com".into(),
            sunshine_app_id: "5e4af71a81966cfff3ef6550".into(),
            sunshine_key_id: "app_1".into(),
            ..Settings::default()
        };
        let view = ws.save_settings(s).unwrap();
        assert_eq!(view.settings.zendesk_subdomain, "acme");
        assert!(!view.configured, "secrets are missing");
        ws.set_secret(SecretKind::ZendeskApiToken, "tok").unwrap();
        let view = ws.set_secret(SecretKind::SunshineKeySecret, "sec").unwrap();
        assert!(view.configured);
        let text = std::fs::read_to_string(ws.data_dir().settings_file()).unwrap();
        assert!(
            !text.contains("\"tok\"") && !text.contains("\"sec\""),
            "no secret in settings.json"
        );
        assert_eq!(
            ws.info().unwrap().schema_version,
            crate::storage::latest_schema_version()
        );
    }

    #[test]
    fn invalid_settings_change_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = open(&tmp);
        ws.save_settings(Settings {
            blackout_days: 10,
            ..Settings::default()
        })
        .unwrap();
        let before = std::fs::read(ws.data_dir().settings_file()).unwrap();
        let err = ws
            .save_settings(Settings {
                blackout_days: 999,
                zendesk_subdomain: "acme".into(),
                ..Settings::default()
            })
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert_eq!(
            std::fs::read(ws.data_dir().settings_file()).unwrap(),
            before
        );
        assert!(ws.set_key("blackout_days", "999").is_err());
        assert_eq!(
            std::fs::read(ws.data_dir().settings_file()).unwrap(),
            before
        );
    }

    #[test]
    fn sunshine_token_sets_key_id_and_secret_or_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = open(&tmp);
        let token = base64::engine::general_purpose::STANDARD.encode("app_abc:the-secret");
        let view = ws.set_sunshine_token(&token).unwrap();
        assert_eq!(view.settings.sunshine_key_id, "app_abc");
        assert!(view.secrets.sunshine_key_secret);
        assert_eq!(
            ws.secrets()
                .get(SecretKind::SunshineKeySecret)
                .unwrap()
                .as_deref(),
            Some("the-secret")
        );
        let err = ws.set_sunshine_token("garbage").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert_eq!(
            ws.settings().unwrap().sunshine_key_id,
            "app_abc",
            "unchanged after a bad token"
        );
    }

    #[test]
    fn connect_sandbox_fills_the_workspace_and_refuses_remote_urls() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = open(&tmp);
        let conn = SandboxConnection {
            base_url: "http://127.0.0.1:4567".into(),
            sunshine_url: "http://127.0.0.1:4567/sc".into(),
            subdomain: "relay-demo".into(),
            zendesk_email: "admin@relay-demo.test".into(),
            zendesk_token: "tok123".into(),
            app_id: "5f1e0c3a9b8d7e6f5a4b3c2d".into(),
            key_id: "app_5f1e".into(),
            key_secret: "sec456".into(),
        };
        let view = ws.connect_sandbox(&conn).unwrap();
        assert!(view.configured);
        assert_eq!(view.settings.zendesk_custom_url, "http://127.0.0.1:4567");
        assert_eq!(
            view.settings.sunshine_host,
            crate::settings::SunshineHost::Custom
        );
        let remote = SandboxConnection {
            base_url: "https://evil.example.com".into(),
            ..conn
        };
        let err = ws.connect_sandbox(&remote).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert_eq!(
            ws.settings().unwrap().zendesk_custom_url,
            "http://127.0.0.1:4567",
            "unchanged"
        );
    }

    #[test]
    fn keys_from_a_newer_version_survive_a_save() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = open(&tmp);
        std::fs::write(ws.data_dir().settings_file(), r#"{"future_key": {"a": 1}}"#).unwrap();
        ws.set_key("blackout_days", "3").unwrap();
        let text = std::fs::read_to_string(ws.data_dir().settings_file()).unwrap();
        assert!(text.contains("future_key"));
    }
}
