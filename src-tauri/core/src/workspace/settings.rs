//! The workspace's settings as the Settings screen and `relay settings` change them: read with
//! only whether each secret is set, saved under the backend's lock (only what changed, entry by
//! entry, so a change made meanwhile elsewhere is kept), secrets to the keychain, and a local
//! sandbox connected like a real account.

use super::AppInfo;
use super::Workspace;
use crate::error::{AppError, AppResult};
use crate::secrets::{parse_sunshine_token, SecretInput, SecretKind, SecretStatus};
use crate::settings::Settings;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use specta::Type;

/// The settings as the UI sees them: values, plus only whether each secret is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct SettingsView {
    pub settings: Settings,
    pub secrets: SecretStatus,
    /// Subdomain, email, app id and key id are filled and both secrets are set.
    pub configured: bool,
    /// The team's policy, when the team has one: `settings` holds its values, and changing
    /// them here is refused (an admin changes them for the team).
    pub team_policy: Option<crate::team::policy::TeamPolicy>,
}

/// Everything about a workspace `relay settings show` prints: where it lives, its settings, and
/// whether each secret is set — or why the keychain could not say (a locked or absent keychain
/// on a server: the rest is shown anyway).
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    #[serde(flatten)]
    pub info: AppInfo,
    pub settings: Settings,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets: Option<SecretStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets_error: Option<AppError>,
    pub configured: bool,
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
                    crate::text!("sandbox.no_answer", url = info_url, detail = e),
                )
            })?;
        if !resp.status().is_success() {
            return Err(AppError::new(
                crate::ErrorCode::NotFound,
                crate::text!(
                    "sandbox.not_sandbox",
                    url = info_url,
                    status = resp.status()
                ),
            ));
        }
        resp.json::<SandboxConnection>().await.map_err(|e| {
            AppError::new(
                crate::ErrorCode::NotFound,
                crate::text!("sandbox.no_description", url = info_url, detail = e),
            )
        })
    }
}

/// Subdomain, email, app id and key id are filled and both secrets are set.
fn configured(settings: &Settings, secrets: &SecretStatus) -> bool {
    settings.is_configured() && secrets.zendesk_api_token && secrets.sunshine_key_secret
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
    /// The settings this desktop applies: its own, under the team's policy when the team has one.
    pub fn settings(&self) -> AppResult<Settings> {
        let own = Settings::from_map(&self.backend.load()?)?;
        Ok(match self.applied_policy() {
            Some(team) => team.policy.apply(own),
            None => own,
        })
    }

    pub fn settings_view(&self) -> AppResult<SettingsView> {
        let settings = self.settings()?;
        let secrets = self.secrets.status()?;
        Ok(SettingsView {
            configured: configured(&settings, &secrets),
            settings,
            secrets,
            team_policy: self.applied_policy(),
        })
    }

    /// The workspace at a glance (see [`Overview`]).
    pub fn overview(&self) -> AppResult<Overview> {
        let settings = self.settings()?;
        let (secrets, secrets_error) = match self.secrets.status() {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(AppError::from(e))),
        };
        Ok(Overview {
            info: self.info()?,
            configured: secrets.is_some_and(|s| configured(&settings, &s)),
            settings,
            secrets,
            secrets_error,
        })
    }

    /// Saves a secret as given (see [`SecretInput`]): the token sets the key id and its secret.
    pub fn give_secret(&self, input: SecretInput, value: &str) -> AppResult<SettingsView> {
        match input {
            SecretInput::ZendeskApiToken => self.set_secret(SecretKind::ZendeskApiToken, value),
            SecretInput::SunshineKeySecret => self.set_secret(SecretKind::SunshineKeySecret, value),
            SecretInput::SunshineToken => self.set_sunshine_token(value),
        }
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

    /// [`Workspace::set_key`], a consent rule checked first against the account's user fields
    /// (when Zendesk answers): nothing changes when refused.
    pub async fn set_key_checked(&self, key: &str, value: &str) -> AppResult<Settings> {
        let next = self.settings()?.with_key(key, value)?;
        self.check_consent_rules(&next).await?;
        self.set_key(key, value)
    }

    /// Sets one key from text (`relay settings set KEY VALUE`). Needs no keychain.
    pub fn set_key(&self, key: &str, value: &str) -> AppResult<Settings> {
        self.change(|current| current.clone().with_key(key, value))?;
        tracing::info!(key, "setting changed");
        self.settings()
    }

    /// Changes the settings under the backend's lock: `f` gets them as they are now and returns
    /// them as they should be (normalized and validated here); only the keys that changed are
    /// written, and keys this version does not know (from a newer Relay) are kept.
    fn change(&self, f: impl Fn(&Settings) -> AppResult<Settings>) -> AppResult<Settings> {
        let team = self.applied_policy();
        // Another account's store may not have Relay's objects yet.
        self.team().forget_schema();
        let mut result = None;
        self.backend.update(&mut |map| {
            let current = Settings::from_map(map)?;
            let new = f(&current)?.normalized();
            if let Some(team) = &team {
                crate::team::policy::refuse_departures(team, &current, &new)?;
            }
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
