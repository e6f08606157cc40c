//! Non-secret workspace settings (PRODUCT.md §1).
//!
//! They are stored as one flat JSON object, `settings.json` in the data folder, read and written
//! by the app and the CLI alike through [`JsonFileBackend`] (under a lock, written whole then
//! renamed); its keys are the field names of [`Settings`]. Secrets are never fields here: they live in the
//! keychain (see `secrets`).

use crate::error::{AppError, AppResult, ErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use specta::Type;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub const DEFAULT_BLACKOUT_DAYS: u16 = 7;
pub const MAX_BLACKOUT_DAYS: u16 = 365;
pub const DEFAULT_SEND_RATE: u32 = 8;
pub const MAX_SEND_RATE: u32 = 1000;
pub const DEFAULT_AUTO_PAUSE: u32 = 10;
pub const MAX_AUTO_PAUSE: u32 = 10_000;

/// Where the Sunshine Conversations API is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum SunshineHost {
    /// `https://{subdomain}.zendesk.com/sc`, the host for licensed Zendesk customers.
    #[default]
    Zendesk,
    /// `https://api.smooch.io` (legacy Sunshine Conversations, US).
    Us,
    /// `https://api.eu-1.smooch.io` (legacy Sunshine Conversations, EU).
    Eu,
    /// Any other base URL; accepted only on loopback (the local sandbox).
    Custom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// Follow the system language (English unless it is French).
    #[default]
    System,
    En,
    Fr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// Every non-secret setting of a workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(default)]
pub struct Settings {
    /// The Zendesk subdomain: `acme` for `acme.zendesk.com`.
    pub zendesk_subdomain: String,
    /// The email of the Zendesk admin whose API token Relay uses.
    pub zendesk_email: String,
    /// A loopback base URL that replaces `https://{subdomain}.zendesk.com` (the local sandbox).
    pub zendesk_custom_url: String,
    /// The Sunshine Conversations app id.
    pub sunshine_app_id: String,
    /// The Sunshine Conversations API key id (its secret is in the keychain).
    pub sunshine_key_id: String,
    pub sunshine_host: SunshineHost,
    /// Base URL when `sunshine_host` is `custom` (loopback only).
    pub sunshine_custom_url: String,
    /// Optional WhatsApp template namespace.
    pub whatsapp_namespace: String,
    /// Days during which the same message is not sent twice to a recipient (0 disables).
    pub blackout_days: u16,
    /// ISO 3166 country (`FR`, `US`…) for phone numbers written without `+`; empty = none.
    pub default_country: String,
    /// Also read the users' phone identities (one extra request per 100 users without a usable
    /// `user.phone`), not only the user's phone field.
    pub phone_identities: bool,
    /// Messages per second for integrations without their own rate.
    pub default_send_rate: u32,
    /// Integration id → messages per second.
    pub send_rates: BTreeMap<String, u32>,
    /// A campaign pauses itself after this many failures in a row.
    pub auto_pause_after: u32,
    /// Zendesk roles allowed to send: `admin`, `agent`, or a custom role id. Empty = no restriction.
    pub allowed_roles: Vec<String>,
    /// Zendesk group ids whose members may send. Empty = no restriction.
    pub allowed_groups: Vec<String>,
    pub language: Language,
    pub theme: Theme,
    /// The first-run screen was left (set up or skipped).
    pub first_run_done: bool,
    /// The demo workspace was open when the app last closed: it opens again.
    pub demo_active: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            zendesk_subdomain: String::new(),
            zendesk_email: String::new(),
            zendesk_custom_url: String::new(),
            sunshine_app_id: String::new(),
            sunshine_key_id: String::new(),
            sunshine_host: SunshineHost::Zendesk,
            sunshine_custom_url: String::new(),
            whatsapp_namespace: String::new(),
            blackout_days: DEFAULT_BLACKOUT_DAYS,
            default_country: String::new(),
            phone_identities: false,
            default_send_rate: DEFAULT_SEND_RATE,
            send_rates: BTreeMap::new(),
            auto_pause_after: DEFAULT_AUTO_PAUSE,
            allowed_roles: Vec::new(),
            allowed_groups: Vec::new(),
            language: Language::System,
            theme: Theme::System,
            first_run_done: false,
            demo_active: false,
        }
    }
}

/// Keys that name secrets: refused as settings so a secret can never land in the settings file.
pub const SECRET_KEYS: [&str; 3] = ["zendesk_api_token", "sunshine_key_secret", "sunshine_token"];

impl Settings {
    /// The send rate of an integration: its own, else the default (messages per second).
    pub fn rate_for(&self, integration_id: &str) -> u32 {
        self.send_rates
            .get(integration_id)
            .copied()
            .unwrap_or(self.default_send_rate)
    }
    /// The keys of the settings file, in display order.
    pub fn keys() -> Vec<String> {
        match serde_json::to_value(Settings::default()) {
            Ok(Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// True when Relay has what it needs to reach both Zendesk and Sunshine Conversations
    /// (secrets aside).
    pub fn is_configured(&self) -> bool {
        !self.zendesk_subdomain.is_empty()
            && !self.zendesk_email.is_empty()
            && !self.sunshine_app_id.is_empty()
            && !self.sunshine_key_id.is_empty()
    }

    /// Builds settings from the stored JSON object; unknown keys (from newer versions) are kept
    /// out, missing keys take their defaults.
    pub fn from_map(map: &Map<String, Value>) -> AppResult<Settings> {
        let mut obj = Map::new();
        let known = Settings::keys();
        for (k, v) in map {
            if known.iter().any(|x| x == k) && !v.is_null() {
                obj.insert(k.clone(), v.clone());
            }
        }
        serde_json::from_value(Value::Object(obj)).map_err(|e| {
            AppError::new(
                ErrorCode::InvalidInput,
                format!("The settings file holds a value of the wrong type ({e}). Fix it with `relay settings set`, or delete the key from settings.json."),
            )
        })
    }

    pub fn to_map(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }

    /// Cleans what people paste: whitespace, `https://acme.zendesk.com/` for a subdomain,
    /// lower/upper case, duplicate list entries, trailing slashes on URLs.
    pub fn normalized(mut self) -> Settings {
        let trim = |s: &mut String| *s = s.trim().to_string();
        trim(&mut self.zendesk_subdomain);
        self.zendesk_subdomain = normalize_subdomain(&self.zendesk_subdomain);
        trim(&mut self.zendesk_email);
        trim(&mut self.zendesk_custom_url);
        self.zendesk_custom_url = self.zendesk_custom_url.trim_end_matches('/').to_string();
        trim(&mut self.sunshine_app_id);
        trim(&mut self.sunshine_key_id);
        trim(&mut self.sunshine_custom_url);
        self.sunshine_custom_url = self.sunshine_custom_url.trim_end_matches('/').to_string();
        trim(&mut self.whatsapp_namespace);
        self.default_country = self.default_country.trim().to_ascii_uppercase();
        let clean_list = |list: &mut Vec<String>, lower: bool| {
            let mut out: Vec<String> = Vec::new();
            for item in list.iter() {
                let mut v = item.trim().to_string();
                if lower {
                    v = v.to_ascii_lowercase();
                }
                if !v.is_empty() && !out.contains(&v) {
                    out.push(v);
                }
            }
            *list = out;
        };
        clean_list(&mut self.allowed_roles, true);
        clean_list(&mut self.allowed_groups, false);
        self.send_rates = self
            .send_rates
            .into_iter()
            .map(|(k, v)| (k.trim().to_string(), v))
            .collect();
        self
    }

    /// Checks every field; returns all problems at once, keyed by field, each saying what to do.
    pub fn validate(&self) -> AppResult<()> {
        let mut errors: BTreeMap<String, String> = BTreeMap::new();
        let mut bad = |field: &str, msg: String| {
            errors.entry(field.to_string()).or_insert(msg);
        };

        let sub = &self.zendesk_subdomain;
        if !sub.is_empty() && !is_valid_subdomain(sub) {
            bad(
                "zendesk_subdomain",
                format!("\"{sub}\" is not a Zendesk subdomain. Enter the part before .zendesk.com (letters, digits and hyphens), e.g. acme."),
            );
        }
        if !self.zendesk_email.is_empty() && !is_plausible_email(&self.zendesk_email) {
            bad(
                "zendesk_email",
                "Enter the email address the Zendesk admin signs in with, e.g. admin@acme.com."
                    .into(),
            );
        }
        if !self.zendesk_custom_url.is_empty() {
            if let Err(e) = check_loopback_url(&self.zendesk_custom_url) {
                bad("zendesk_custom_url", e);
            }
        }
        if !self.sunshine_app_id.is_empty() && !is_token_like(&self.sunshine_app_id, 64) {
            bad(
                "sunshine_app_id",
                "The app id is letters and digits only (Admin Center → Apps and integrations → Conversations API).".into(),
            );
        }
        if !self.sunshine_key_id.is_empty() {
            if let Some(why) = key_id_problem(&self.sunshine_key_id) {
                bad("sunshine_key_id", why.into());
            }
        }
        if !self.sunshine_custom_url.is_empty() {
            if let Err(e) = check_loopback_url(&self.sunshine_custom_url) {
                bad("sunshine_custom_url", e);
            }
        } else if self.sunshine_host == SunshineHost::Custom {
            bad(
                "sunshine_custom_url",
                "Enter the base URL of the local sandbox, e.g. http://127.0.0.1:8787/sc, or choose another host.".into(),
            );
        }
        if !self.whatsapp_namespace.is_empty() && !is_token_like(&self.whatsapp_namespace, 64) {
            bad(
                "whatsapp_namespace",
                "The namespace is letters, digits, '_' and '-' only (WhatsApp Manager → Message templates → Namespace), or leave it empty.".into(),
            );
        }
        if self.blackout_days > MAX_BLACKOUT_DAYS {
            bad(
                "blackout_days",
                format!("Choose between 0 (no blackout) and {MAX_BLACKOUT_DAYS} days."),
            );
        }
        if !self.default_country.is_empty()
            && phonenumber::country::Id::from_str(&self.default_country).is_err()
        {
            bad(
                "default_country",
                format!(
                    "\"{}\" is not a two-letter country code (ISO 3166), e.g. FR, US or BR; or leave it empty.",
                    self.default_country
                ),
            );
        }
        if !(1..=MAX_SEND_RATE).contains(&self.default_send_rate) {
            bad(
                "default_send_rate",
                format!("Choose a rate between 1 and {MAX_SEND_RATE} messages per second."),
            );
        }
        if !(1..=MAX_AUTO_PAUSE).contains(&self.auto_pause_after) {
            bad(
                "auto_pause_after",
                format!("Choose between 1 and {MAX_AUTO_PAUSE} failures in a row."),
            );
        }
        for (id, rate) in &self.send_rates {
            if id.is_empty() || !is_token_like(id, 64) {
                bad(
                    "send_rates",
                    format!(
                        "\"{id}\" is not an integration id (letters and digits). Remove that row."
                    ),
                );
            } else if !(1..=MAX_SEND_RATE).contains(rate) {
                bad(
                    "send_rates",
                    format!("The rate of {id} must be between 1 and {MAX_SEND_RATE} messages per second."),
                );
            }
        }
        for role in &self.allowed_roles {
            let ok = role == "admin"
                || role == "agent"
                || (!role.is_empty() && role.chars().all(|c| c.is_ascii_digit()));
            if !ok {
                bad(
                    "allowed_roles",
                    format!("\"{role}\" is not a role: use admin, agent, or the number of a custom role."),
                );
            }
        }
        for group in &self.allowed_groups {
            if group.is_empty() || !group.chars().all(|c| c.is_ascii_digit()) {
                bad(
                    "allowed_groups",
                    format!("\"{group}\" is not a group id: group ids are numbers (Admin Center → People → Groups)."),
                );
            }
        }

        if errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::invalid_fields(errors))
        }
    }

    /// Sets one key from text, as `relay settings set KEY VALUE` does. The value is parsed by the
    /// key's type: numbers, `true/false`, comma-separated lists, `id=rate,id=rate` maps.
    /// Nothing is changed when the key or value is refused.
    pub fn with_key(&self, key: &str, value: &str) -> AppResult<Settings> {
        if SECRET_KEYS.contains(&key) {
            return Err(AppError::invalid_field(
                key,
                format!("{key} is a secret: set it with `relay settings set-secret {key}`, which reads it from a prompt or standard input, never from the command line."),
            ));
        }
        let mut map = self.to_map();
        let current = map.get(key).cloned().ok_or_else(|| {
            AppError::invalid_field(
                key,
                format!(
                    "Unknown setting \"{key}\". Known settings: {}.",
                    Settings::keys().join(", ")
                ),
            )
        })?;
        let new = parse_like(&current, key, value)?;
        map.insert(key.to_string(), new);
        let settings = Settings::from_map(&map)?.normalized();
        settings.validate()?;
        Ok(settings)
    }
}

fn parse_like(current: &Value, key: &str, raw: &str) -> AppResult<Value> {
    let raw = raw.trim();
    Ok(match current {
        Value::Bool(_) => match raw.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "on" => Value::Bool(true),
            "false" | "no" | "0" | "off" => Value::Bool(false),
            _ => return Err(AppError::invalid_field(key, "Expected true or false.")),
        },
        Value::Number(_) => {
            let n: u64 = raw.parse().map_err(|_| {
                AppError::invalid_field(key, format!("Expected a whole number, got \"{raw}\"."))
            })?;
            let limit = if key == "blackout_days" {
                u16::MAX as u64
            } else {
                u32::MAX as u64
            };
            if n > limit {
                return Err(AppError::invalid_field(
                    key,
                    format!("{n} is far too large."),
                ));
            }
            Value::from(n)
        }
        Value::Array(_) => Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_string()))
                .collect(),
        ),
        Value::Object(_) => {
            let mut obj = Map::new();
            for pair in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let (id, rate) = pair.split_once('=').ok_or_else(|| {
                    AppError::invalid_field(
                        key,
                        "Write integration rates as ID=RATE,ID=RATE (e.g. 5e4af71a=80).",
                    )
                })?;
                let rate: u32 = rate.trim().parse().map_err(|_| {
                    AppError::invalid_field(
                        key,
                        format!(
                            "\"{}\" is not a whole number of messages per second.",
                            rate.trim()
                        ),
                    )
                })?;
                obj.insert(id.trim().to_string(), Value::from(rate));
            }
            Value::Object(obj)
        }
        _ => Value::String(raw.to_string()),
    })
}

fn normalize_subdomain(input: &str) -> String {
    let mut s = input.trim().to_ascii_lowercase();
    for prefix in ["https://", "http://"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest.to_string();
        }
    }
    let s = s.split('/').next().unwrap_or_default();
    s.strip_suffix(".zendesk.com").unwrap_or(s).to_string()
}

fn is_valid_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@')
        && s.len() <= 254
}

/// Why a value is not a Sunshine Conversations key id, if it is not one. A key id is public
/// (it names the key); the secret, and the base64 `keyId:secret` token that holds it, are not:
/// a value that decodes as a token is refused, so it never lands in the settings file.
pub fn key_id_problem(value: &str) -> Option<&'static str> {
    let v = value.trim();
    if crate::secrets::parse_sunshine_token(v).is_ok() {
        return Some("This is the base64 keyId:secret token, which holds the secret: it does not go here. Paste it where the token is asked for (hidden, kept in the keychain), or enter the key id alone (app_…).");
    }
    let prefixed = ["app_", "act_", "svc_"]
        .iter()
        .any(|p| v.strip_prefix(p).is_some_and(|rest| !rest.is_empty()));
    if !prefixed || !is_token_like(v, 128) {
        return Some("A key id looks like app_5f1a… (app_, act_ or svc_, then letters and digits): copy it again from Admin Center → Apps and integrations → Conversations API.");
    }
    None
}

fn is_token_like(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Accepts `http(s)://` URLs whose host is loopback (127.0.0.0/8, ::1, localhost) only: any
/// other host must be reached over the standard https hosts, never a custom one.
pub fn check_loopback_url(raw: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(raw).map_err(|_| {
        format!("\"{raw}\" is not a URL. Enter something like http://127.0.0.1:8787.")
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err("Only http:// and https:// URLs are accepted.".into());
    }
    let loopback = match url.host() {
        // `localhost` and its subdomains are loopback names (RFC 6761 §6.3).
        Some(url::Host::Domain(d)) => {
            let d = d.to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    };
    if !loopback {
        return Err(
            "Custom base URLs are only for the local sandbox (127.0.0.1, ::1 or localhost). For a real account, use the Zendesk host or the US/EU hosts."
                .into(),
        );
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("Remove the ?query or #fragment from the base URL.".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Do not put credentials in the URL; Relay keeps them in the keychain.".into());
    }
    Ok(url)
}

/// Where non-secret settings are persisted.
pub trait SettingsBackend: Send + Sync {
    fn load(&self) -> AppResult<Map<String, Value>>;
    fn save(&self, map: &Map<String, Value>) -> AppResult<()>;
    /// A path or name shown to the user.
    fn location(&self) -> String;

    /// Reads, changes with `f`, writes back — with no other writer in between where the
    /// backend can promise it (the file one locks).
    fn update(&self, f: &mut dyn FnMut(&mut Map<String, Value>) -> AppResult<()>) -> AppResult<()> {
        let mut map = self.load()?;
        f(&mut map)?;
        self.save(&map)
    }
}

/// The settings file, `settings.json` in the data folder, read and written by the app and the
/// CLI alike: written whole to a temporary file then renamed (a crash never leaves half a file),
/// and changed under a lock (`settings.json.lock`), so the app and the CLI never write over each
/// other's change.
pub struct JsonFileBackend {
    path: PathBuf,
}

impl JsonFileBackend {
    pub fn new(path: &Path) -> Self {
        JsonFileBackend {
            path: path.to_path_buf(),
        }
    }
}

impl SettingsBackend for JsonFileBackend {
    fn load(&self) -> AppResult<Map<String, Value>> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Map::new()),
            Err(e) => {
                return Err(AppError::new(
                    ErrorCode::Io,
                    format!(
                        "Could not read the settings file {}: {e}",
                        self.path.display()
                    ),
                )
                .with_path(&self.path))
            }
        };
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(Map::new());
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(AppError::new(
                ErrorCode::InvalidInput,
                format!(
                    "The settings file {} is not a JSON object. Fix it, or move it away to start from defaults.",
                    self.path.display()
                ),
            )
            .with_path(&self.path)),
        }
    }

    fn save(&self, map: &Map<String, Value>) -> AppResult<()> {
        let io_err = |e: std::io::Error| {
            AppError::new(
                ErrorCode::Io,
                format!(
                    "Could not write the settings file {}: {e}",
                    self.path.display()
                ),
            )
            .with_path(&self.path)
        };
        let text = serde_json::to_vec_pretty(map).map_err(AppError::internal)?;
        // Write, sync, then rename: a crash or a power loss never leaves a half-written
        // settings file (the old one or the new one, whole).
        let tmp = self.path.with_extension("json.tmp");
        let mut file = std::fs::File::create(&tmp).map_err(io_err)?;
        std::io::Write::write_all(&mut file, &text).map_err(io_err)?;
        file.sync_all().map_err(io_err)?;
        drop(file);
        std::fs::rename(&tmp, &self.path).map_err(io_err)?;
        Ok(())
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn update(&self, f: &mut dyn FnMut(&mut Map<String, Value>) -> AppResult<()>) -> AppResult<()> {
        let lock_path = self.path.with_extension("json.lock");
        let io_err = |e: std::io::Error| {
            AppError::new(
                ErrorCode::Io,
                format!(
                    "Could not lock the settings file {}: {e}. Check that the data folder is writable.",
                    lock_path.display()
                ),
            )
            .with_path(&lock_path)
        };
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err)?;
        // Held for a read and a write: milliseconds.
        lock.lock().map_err(io_err)?;
        let mut map = self.load()?;
        f(&mut map)?;
        self.save(&map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> Settings {
        Settings {
            zendesk_subdomain: "acme".into(),
            zendesk_email: "admin@acme.com".into(),
            sunshine_app_id: "5e4af71a81966cfff3ef6550".into(),
            sunshine_key_id: "app_5e4af71a81966cfff3ef6551".into(),
            ..Settings::default()
        }
    }

    fn field_errors(s: &Settings) -> BTreeMap<String, String> {
        s.validate().unwrap_err().details.unwrap().fields
    }

    #[test]
    fn defaults_follow_the_product() {
        let d = Settings::default();
        assert_eq!(d.blackout_days, 7);
        assert_eq!(d.default_send_rate, 8);
        assert_eq!(d.sunshine_host, SunshineHost::Zendesk);
        assert!(!d.is_configured());
        d.validate()
            .expect("an empty workspace is valid, just not configured");
        assert!(valid().is_configured());
        valid().validate().unwrap();
    }

    #[test]
    fn pasted_subdomains_are_normalized() {
        for input in [
            "acme",
            " ACME ",
            "https://acme.zendesk.com/",
            "acme.zendesk.com",
            "http://acme.zendesk.com/agent/",
        ] {
            let s = Settings {
                zendesk_subdomain: input.into(),
                ..valid()
            }
            .normalized();
            assert_eq!(s.zendesk_subdomain, "acme", "{input}");
        }
    }

    #[test]
    fn each_bad_field_is_reported_with_what_to_do() {
        let s = Settings {
            zendesk_subdomain: "ac me!".into(),
            zendesk_email: "not-an-email".into(),
            blackout_days: 366,
            default_country: "XX".into(),
            default_send_rate: 0,
            allowed_roles: vec!["owner".into()],
            allowed_groups: vec!["sales".into()],
            sunshine_host: SunshineHost::Custom,
            ..valid()
        };
        let errs = field_errors(&s);
        for field in [
            "zendesk_subdomain",
            "zendesk_email",
            "blackout_days",
            "default_country",
            "default_send_rate",
            "allowed_roles",
            "allowed_groups",
            "sunshine_custom_url",
        ] {
            assert!(
                errs.contains_key(field),
                "{field} must be reported: {errs:?}"
            );
        }
    }

    #[test]
    fn blackout_and_rate_boundaries() {
        for (days, ok) in [(0, true), (7, true), (365, true), (366, false)] {
            let s = Settings {
                blackout_days: days,
                ..valid()
            };
            assert_eq!(s.validate().is_ok(), ok, "blackout {days}");
        }
        for (rate, ok) in [(0, false), (1, true), (1000, true), (1001, false)] {
            let s = Settings {
                default_send_rate: rate,
                ..valid()
            };
            assert_eq!(s.validate().is_ok(), ok, "rate {rate}");
            let mut rates = BTreeMap::new();
            rates.insert("5e4af71a".to_string(), rate);
            let s = Settings {
                send_rates: rates,
                ..valid()
            };
            assert_eq!(s.validate().is_ok(), ok, "per-integration rate {rate}");
        }
    }

    #[test]
    fn custom_urls_only_on_loopback() {
        for (url, ok) in [
            ("http://127.0.0.1:8787/sc", true),
            ("http://localhost:1234", true),
            ("https://[::1]:9/sc", true),
            ("http://127.8.9.10", true),
            ("https://acme.zendesk.com/sc", false),
            ("http://10.0.0.1/sc", false),
            ("http://192.168.1.2", false),
            ("ftp://127.0.0.1", false),
            ("http://user:pw@127.0.0.1", false),
            ("http://127.0.0.1/?x=1", false),
            ("not a url", false),
        ] {
            let s = Settings {
                sunshine_host: SunshineHost::Custom,
                sunshine_custom_url: url.into(),
                zendesk_custom_url: url.into(),
                ..valid()
            };
            let res = s.validate();
            assert_eq!(res.is_ok(), ok, "{url}: {res:?}");
            if !ok {
                let errs = field_errors(&s);
                assert!(
                    errs.contains_key("sunshine_custom_url")
                        && errs.contains_key("zendesk_custom_url")
                );
            }
        }
    }

    #[test]
    fn a_stored_custom_url_is_checked_whatever_the_host() {
        let s = Settings {
            sunshine_host: SunshineHost::Zendesk,
            sunshine_custom_url: "https://evil.example.com".into(),
            ..valid()
        };
        assert!(field_errors(&s).contains_key("sunshine_custom_url"));
    }

    #[test]
    fn countries_are_iso_codes_known_to_phonenumber() {
        for (c, ok) in [
            ("FR", true),
            ("us", true),
            ("BR", true),
            ("", true),
            ("XX", false),
            ("FRA", false),
        ] {
            let s = Settings {
                default_country: c.into(),
                ..valid()
            }
            .normalized();
            assert_eq!(s.validate().is_ok(), ok, "{c}");
        }
    }

    #[test]
    fn map_round_trip_and_unknown_keys() {
        let s = Settings {
            allowed_roles: vec!["admin".into(), "123".into()],
            allowed_groups: vec!["42".into()],
            ..valid()
        };
        let mut map = s.to_map();
        map.insert("from_a_newer_version".into(), Value::from(1));
        map.insert("blackout_days".into(), Value::Null);
        let back = Settings::from_map(&map).unwrap();
        assert_eq!(back.blackout_days, 7, "null takes the default");
        assert_eq!(
            Settings {
                blackout_days: 7,
                ..back.clone()
            },
            Settings {
                blackout_days: 7,
                ..s
            }
        );
        let mut broken = Map::new();
        broken.insert("blackout_days".into(), Value::from("many"));
        let err = Settings::from_map(&broken).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
    }

    #[test]
    fn no_key_of_the_settings_file_names_a_secret() {
        for k in Settings::keys() {
            assert!(!SECRET_KEYS.contains(&k.as_str()), "{k}");
            assert!(
                !k.contains("secret") && !k.contains("token") && !k.contains("password"),
                "{k}"
            );
        }
    }

    #[test]
    fn with_key_parses_by_type_and_refuses_secrets_and_unknowns() {
        let s = valid();
        assert_eq!(s.with_key("blackout_days", "14").unwrap().blackout_days, 14);
        assert!(s.with_key("first_run_done", "yes").unwrap().first_run_done);
        assert_eq!(
            s.with_key("allowed_roles", "admin, agent,admin")
                .unwrap()
                .allowed_roles,
            vec!["admin", "agent"]
        );
        let rates = s
            .with_key("send_rates", "abc123=80, def456=1000")
            .unwrap()
            .send_rates;
        assert_eq!(rates.get("abc123"), Some(&80));
        assert_eq!(
            s.with_key("sunshine_host", "eu").unwrap().sunshine_host,
            SunshineHost::Eu
        );
        for (k, v) in [
            ("zendesk_api_token", "x"),
            ("nope", "1"),
            ("blackout_days", "-1"),
            ("blackout_days", "400"),
            ("sunshine_host", "mars"),
            ("send_rates", "abc"),
            ("first_run_done", "maybe"),
        ] {
            let err = s.with_key(k, v).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{k}={v}");
        }
        assert!(s
            .with_key("zendesk_api_token", "x")
            .unwrap_err()
            .message
            .contains("set-secret"));
    }

    #[test]
    fn json_file_backend_round_trip_and_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("settings.json");
        let b = JsonFileBackend::new(&path);
        assert!(
            b.load().unwrap().is_empty(),
            "a missing file is an empty workspace"
        );
        b.save(&valid().to_map()).unwrap();
        assert_eq!(Settings::from_map(&b.load().unwrap()).unwrap(), valid());
        std::fs::write(&path, "[1,2]").unwrap();
        let err = b.load().unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert!(err.message.contains("not a JSON object"));
    }
}
