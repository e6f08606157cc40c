//! A workspace: one data folder (database, settings, logs) and its keychain entries.
//! Everything the Settings screen and `relay settings` do is a method here; the Tauri commands and
//! the CLI subcommands are thin adapters over it.

use crate::error::{AppError, AppResult};
use crate::paths::DataDir;
use crate::secrets::{parse_sunshine_token, SecretKind, SecretStatus, SecretStore, Secrets};
use crate::settings::{Settings, SettingsBackend};
use crate::storage::Database;
use crate::template::library;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use specta::Type;
use std::sync::{Arc, Mutex, MutexGuard};

/// The settings as the UI sees them: values, plus only whether each secret is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct SettingsView {
    pub settings: Settings,
    pub secrets: SecretStatus,
    /// Subdomain, email, app id and key id are filled and both secrets are set.
    pub configured: bool,
}

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

/// A Zendesk group, for the "who may send" picker (ids as text: they exceed JavaScript's
/// safe integers in large accounts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct GroupView {
    pub id: String,
    pub name: String,
}

/// Where a local sandbox listens and how to sign in to it (what `relay sandbox --json` prints).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxConnection {
    /// Base URL of the Zendesk API (`/api/v2` lives under it).
    pub base_url: String,
    /// Base URL of the Sunshine Conversations API (`{base_url}/sc`).
    pub sunshine_url: String,
    pub subdomain: String,
    pub zendesk_email: String,
    pub zendesk_token: String,
    pub app_id: String,
    pub key_id: String,
    pub key_secret: String,
}

impl SandboxConnection {
    /// Asks a running sandbox (`relay sandbox`) how to connect: `GET {url}/_sandbox/info`.
    /// Only loopback URLs are accepted.
    pub async fn fetch(url: &str) -> AppResult<SandboxConnection> {
        let base = crate::settings::check_loopback_url(url.trim().trim_end_matches('/'))
            .map_err(|e| AppError::invalid_field("sandbox", e))?;
        let info_url = format!("{}/_sandbox/info", base.as_str().trim_end_matches('/'));
        let resp = reqwest::Client::new()
            .get(&info_url)
            .timeout(std::time::Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| {
                AppError::new(
                    crate::ErrorCode::NotFound,
                    format!("No Relay sandbox answered at {info_url} ({e}). Start one with `relay sandbox` and pass the URL it prints."),
                )
            })?;
        if !resp.status().is_success() {
            return Err(AppError::new(
                crate::ErrorCode::NotFound,
                format!("{info_url} answered {}: this is not a Relay sandbox. Start one with `relay sandbox`.", resp.status()),
            ));
        }
        resp.json::<SandboxConnection>().await.map_err(|e| {
            AppError::new(
                crate::ErrorCode::NotFound,
                format!("{info_url} did not describe a Relay sandbox ({e}). Start one with `relay sandbox`."),
            )
        })
    }
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
}

/// Where a workspace reads the time (milliseconds since the Unix epoch).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

fn system_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Applies to `current` what changed from `before` to `after`, entry by entry inside objects,
/// so that a change made meanwhile elsewhere to another entry (another setting, another
/// integration's rate) is kept.
fn apply_changes(current: &mut Value, before: &Value, after: &Value) {
    match (current, before, after) {
        (Value::Object(cur), Value::Object(b), Value::Object(a)) => {
            for (k, av) in a {
                match (cur.get_mut(k), b.get(k)) {
                    (Some(cv), Some(bv)) => apply_changes(cv, bv, av),
                    (_, bv) if bv != Some(av) => {
                        cur.insert(k.clone(), av.clone());
                    }
                    _ => {}
                }
            }
            for gone in b.keys().filter(|k| !a.contains_key(*k)) {
                cur.remove(gone);
            }
        }
        (cur, b, a) => {
            if b != a {
                *cur = a.clone();
            }
        }
    }
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
        };
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
        let w = Arc::new(crate::storage::Writer::open(&self.data.database())?);
        *slot = Some(w.clone());
        Ok(w)
    }

    /// How each connection that writes the database is set for durability: (which connection,
    /// `synchronous` — 2 is FULL —, `fullfsync`). The send engine's is the database thread's.
    pub async fn durability(&self) -> AppResult<Vec<(String, i64, bool)>> {
        let read = |c: &rusqlite::Connection| -> AppResult<(i64, bool)> {
            let sync = c
                .pragma_query_value(None, "synchronous", |r| r.get(0))
                .map_err(crate::storage::StorageError::Sql)?;
            let full: i64 = c
                .pragma_query_value(None, "fullfsync", |r| r.get(0))
                .map_err(crate::storage::StorageError::Sql)?;
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

    pub fn settings(&self) -> AppResult<Settings> {
        Settings::from_map(&self.backend.load()?)
    }

    pub fn settings_view(&self) -> AppResult<SettingsView> {
        let settings = self.settings()?;
        let secrets = self.secrets.status()?;
        let configured =
            settings.is_configured() && secrets.zendesk_api_token && secrets.sunshine_key_secret;
        Ok(SettingsView {
            settings,
            secrets,
            configured,
        })
    }

    /// Normalizes and validates, then saves every setting. On any error nothing is written.
    pub fn save_settings(&self, settings: Settings) -> AppResult<SettingsView> {
        self.change(|_| Ok(settings.clone()))?;
        tracing::info!("settings saved");
        self.settings_view()
    }

    /// Saves what a page changed: the settings it was given (`base`) and what the user made of
    /// them (`edited`). Only the keys that differ are written, into the settings as they are now:
    /// a change made meanwhile elsewhere (the CLI, another window) is kept. Validated as merged;
    /// on any error nothing is written.
    pub fn save_changes(&self, base: &Settings, edited: Settings) -> AppResult<SettingsView> {
        let (before, after) = (
            base.clone().normalized().to_map(),
            edited.normalized().to_map(),
        );
        let (before, after) = (Value::Object(before), Value::Object(after));
        self.change(|current| {
            let mut merged = Value::Object(current.to_map());
            apply_changes(&mut merged, &before, &after);
            match merged {
                Value::Object(map) => Settings::from_map(&map),
                _ => Err(AppError::internal("the settings are not an object")),
            }
        })?;
        tracing::info!("settings saved");
        self.settings_view()
    }

    /// Sets one key from text (`relay settings set KEY VALUE`). Needs no keychain.
    pub fn set_key(&self, key: &str, value: &str) -> AppResult<Settings> {
        let settings = self.change(|current| current.clone().with_key(key, value))?;
        tracing::info!(key, "setting changed");
        Ok(settings)
    }

    /// Changes the settings under the backend's lock: `f` gets them as they are now and returns
    /// them as they should be (normalized and validated here); only the keys that changed are
    /// written, and keys this version does not know (from a newer Relay) are kept.
    fn change(&self, f: impl Fn(&Settings) -> AppResult<Settings>) -> AppResult<Settings> {
        let mut result = None;
        self.backend.update(&mut |map| {
            let current = Settings::from_map(map)?;
            let new = f(&current)?.normalized();
            new.validate()?;
            let before = current.to_map();
            for (k, v) in new.to_map() {
                if before.get(&k) != Some(&v) || !map.contains_key(&k) {
                    map.insert(k, v);
                }
            }
            result = Some(new);
            Ok(())
        })?;
        result.ok_or_else(|| AppError::internal("the settings were not changed"))
    }

    pub fn set_secret(&self, kind: SecretKind, value: &str) -> AppResult<SettingsView> {
        self.secrets.set(kind, value)?;
        self.settings_view()
    }

    pub fn clear_secret(&self, kind: SecretKind) -> AppResult<SettingsView> {
        self.secrets.clear(kind)?;
        self.settings_view()
    }

    /// Points this workspace at a local sandbox: loopback base URLs, its demo account, and its
    /// credentials in the keychain like real ones. Non-loopback URLs are refused.
    pub fn connect_sandbox(&self, conn: &SandboxConnection) -> AppResult<SettingsView> {
        let connected = |current: &Settings| {
            Ok(Settings {
                zendesk_subdomain: conn.subdomain.clone(),
                zendesk_email: conn.zendesk_email.clone(),
                zendesk_custom_url: conn.base_url.clone(),
                sunshine_app_id: conn.app_id.clone(),
                sunshine_key_id: conn.key_id.clone(),
                sunshine_host: crate::settings::SunshineHost::Custom,
                sunshine_custom_url: conn.sunshine_url.clone(),
                first_run_done: true,
                ..current.clone()
            })
        };
        // Checked before any secret is stored: bad input changes nothing.
        let check = connected(&self.settings()?)?.normalized();
        check.validate()?;
        self.secrets
            .set(SecretKind::ZendeskApiToken, &conn.zendesk_token)?;
        self.secrets
            .set(SecretKind::SunshineKeySecret, &conn.key_secret)?;
        self.change(connected)?;
        tracing::info!(base_url = %conn.base_url, "workspace connected to a local sandbox");
        self.settings_view()
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

    /// Checks each side of the connection (see `connect::test_connection`).
    pub async fn test_connection(&self) -> AppResult<crate::connect::ConnectionReport> {
        let settings = self.settings()?;
        Ok(crate::connect::test_connection(&settings, &self.secrets, self.http()).await)
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

    pub fn save_template(
        &self,
        id: Option<&str>,
        t: &crate::template::Template,
    ) -> AppResult<crate::template::drafts::Draft> {
        crate::template::drafts::save(&self.db(), id, t, self.now_ms())
    }

    pub fn delete_template(&self, id: &str) -> AppResult<()> {
        crate::template::drafts::delete(&self.db(), id)
    }

    pub fn duplicate_template(&self, id: &str) -> AppResult<crate::template::drafts::Draft> {
        crate::template::drafts::duplicate(&self.db(), id, self.now_ms())
    }

    /// The settings and a Zendesk client signed in with the keychain's token.
    pub(crate) fn zendesk_client(
        &self,
    ) -> AppResult<(Settings, crate::clients::zendesk::ZendeskClient)> {
        let settings = self.settings()?;
        let token = self.secrets.require(SecretKind::ZendeskApiToken)?;
        let client = crate::clients::zendesk::ZendeskClient::new(self.http(), &settings, &token)?;
        Ok((settings, client))
    }

    /// Checks that the signed-in Zendesk user may send (role/group restriction), from
    /// `users/me` and the user's group memberships. Called before every send.
    pub async fn verify_access(&self) -> AppResult<()> {
        let (settings, client) = self.zendesk_client()?;
        let me = client.me().await?;
        let groups: Vec<u64> = client
            .memberships(me.id)
            .await?
            .into_iter()
            .map(|m| m.group_id)
            .collect();
        crate::connect::check_access(&settings, &me, &groups)
    }

    /// The WhatsApp, Twilio and MessageBird integrations of the Sunshine Conversations app.
    pub async fn integrations(&self) -> AppResult<Vec<crate::connect::IntegrationView>> {
        let settings = self.settings()?;
        let secret = self.secrets.require(SecretKind::SunshineKeySecret)?;
        let client =
            crate::clients::sunshine::SunshineClient::new(self.http(), &settings, &secret)?;
        let list: Vec<_> = client
            .integrations()
            .await?
            .iter()
            .map(|i| crate::connect::integration_view(i, &settings))
            .collect();
        library::remember_integrations(&self.db(), &list)?;
        Ok(list)
    }

    pub(crate) fn sunshine_client(&self) -> AppResult<crate::clients::sunshine::SunshineClient> {
        let settings = self.settings()?;
        let secret = self.secrets.require(SecretKind::SunshineKeySecret)?;
        crate::clients::sunshine::SunshineClient::new(self.http(), &settings, &secret)
    }

    /// Local templates with their states, and WhatsApp-only templates, as last synced (offline).
    pub fn template_library(&self) -> AppResult<library::Library> {
        library::library(&self.db())
    }

    /// Fetches the templates of every WhatsApp integration and stores them.
    pub async fn sync_templates(&self) -> AppResult<library::Library> {
        let integrations = self.integrations().await?;
        let client = self.sunshine_client()?;
        for i in integrations.iter().filter(|i| i.kind == "whatsapp") {
            let templates = client.templates(&i.id).await.map_err(|e| {
                AppError::new(
                    e.code,
                    format!("Syncing the templates of {}: {}", i.name, e.message),
                )
            })?;
            library::store_sync(&self.db(), &i.id, &templates, self.now_ms())?;
            tracing::info!(integration = %i.id, count = templates.len(), "templates synced");
        }
        self.template_library()
    }

    /// Finds a local template by its name (the CLI's way of naming one).
    pub fn template_by_name(&self, name: &str) -> AppResult<crate::template::drafts::Draft> {
        let all = crate::template::drafts::list(&self.db())?;
        let mut found = all.into_iter().filter(|d| d.template.name == name);
        match (found.next(), found.next()) {
            (Some(d), None) => Ok(d),
            (Some(_), Some(_)) => Err(AppError::invalid_field(
                "name",
                format!("Several local templates are named {name}. Rename one in the designer."),
            )),
            (None, _) => Err(AppError::new(
                crate::ErrorCode::NotFound,
                format!(
                    "There is no local template named {name}. `relay template list` shows them."
                ),
            )),
        }
    }

    /// Submits a local template to integrations (by default, the ones it is for): WhatsApp
    /// templates are created through Sunshine Conversations for Meta's review; SMS ones are ready
    /// at once. A template with errors for a channel is refused for it, and nothing is sent.
    pub async fn submit_template(
        &self,
        id: &str,
        integration_ids: &[String],
    ) -> AppResult<library::LocalEntry> {
        let draft = crate::template::drafts::get(&self.db(), id)?;
        let targets: Vec<String> = if integration_ids.is_empty() {
            draft.template.integrations.clone()
        } else {
            integration_ids.to_vec()
        };
        if targets.is_empty() {
            return Err(AppError::invalid_field(
                "integrations",
                "Choose at least one integration to submit the template to.",
            ));
        }
        let known = self.integrations().await?;
        let mut chosen = Vec::new();
        for target in &targets {
            match known.iter().find(|i| i.id == *target) {
                Some(i) => chosen.push(i.clone()),
                None => {
                    return Err(AppError::invalid_field(
                        "integrations",
                        format!("This app has no WhatsApp or SMS integration {target}. `relay integrations list` shows them."),
                    ))
                }
            }
        }
        // Every problem first, so that nothing is submitted when anything would be refused.
        let whatsapp = chosen.iter().any(|i| i.kind == "whatsapp");
        let sms = chosen.iter().any(|i| i.kind != "whatsapp");
        let errors: Vec<_> = crate::template::validate::validate(&draft.template, whatsapp, sms)
            .into_iter()
            .filter(|i| i.severity == crate::template::validate::Severity::Error)
            .collect();
        if !errors.is_empty() {
            let mut fields = std::collections::BTreeMap::<String, String>::new();
            for i in &errors {
                let entry = fields.entry(i.field.clone()).or_default();
                if !entry.is_empty() {
                    entry.push(' ');
                }
                entry.push_str(&i.message);
            }
            let list: Vec<String> = fields.iter().map(|(f, m)| format!("{f}: {m}")).collect();
            return Err(AppError {
                code: crate::ErrorCode::InvalidInput,
                message: format!(
                    "The template {} cannot be submitted until this is fixed (nothing was sent). {}",
                    draft.template.name,
                    list.join(" ")
                ),
                details: Some(crate::error::ErrorDetails { fields, path: None }),
            });
        }
        let client = self.sunshine_client()?;
        for i in &chosen {
            if i.kind == "whatsapp" {
                let payload = crate::template::meta_payload(&draft.template)
                    .map_err(|e| AppError::invalid_field("body", e))?;
                let created = client.create_template(&i.id, &payload).await.map_err(|e| {
                    AppError::new(e.code, format!("Submitting to {}: {}", i.name, e.message))
                })?;
                library::record_submission(
                    &self.db(),
                    &draft,
                    &i.id,
                    Some(&created),
                    self.now_ms(),
                )?;
            } else {
                library::record_submission(&self.db(), &draft, &i.id, None, self.now_ms())?;
            }
            tracing::info!(template = %draft.template.name, integration = %i.id, "template submitted");
        }
        let lib = self.template_library()?;
        lib.local
            .into_iter()
            .find(|e| e.draft.id == draft.id)
            .ok_or_else(|| AppError::internal("the submitted template vanished"))
    }

    /// Deletes a WhatsApp template name (every language) on an integration. Meta then blocks
    /// the name for 30 days; the UI and the CLI warn before calling this.
    pub async fn delete_remote_template(
        &self,
        integration_id: &str,
        name: &str,
    ) -> AppResult<library::Library> {
        self.sunshine_client()?
            .delete_template(integration_id, name)
            .await?;
        library::forget_remote(&self.db(), integration_id, name)?;
        tracing::info!(template = %name, integration = %integration_id, "template deleted on WhatsApp");
        self.template_library()
    }

    /// Zendesk's groups, to choose who may send.
    pub async fn zendesk_groups(&self) -> AppResult<Vec<GroupView>> {
        let (_, client) = self.zendesk_client()?;
        Ok(client
            .groups()
            .await?
            .into_iter()
            .filter(|g| !g.deleted)
            .map(|g| GroupView {
                id: g.id.to_string(),
                name: g.name,
            })
            .collect())
    }

    /// Accepts the base64 `keyId:secret` token of the Relay instructions: the key id goes to the
    /// settings, the secret to the keychain. A bad token changes nothing.
    pub fn set_sunshine_token(&self, token: &str) -> AppResult<SettingsView> {
        let parsed = parse_sunshine_token(token).map_err(AppError::from)?;
        crate::logging::redact_secret(token.trim());
        let with_key = |current: &Settings| {
            Ok(Settings {
                sunshine_key_id: parsed.key_id.clone(),
                ..current.clone()
            })
        };
        with_key(&self.settings()?)?.normalized().validate()?;
        self.secrets
            .set(SecretKind::SunshineKeySecret, &parsed.secret)?;
        self.change(with_key)?;
        self.settings_view()
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
