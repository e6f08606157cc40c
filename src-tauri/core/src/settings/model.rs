//! The workspace settings, their defaults and their JSON form (one flat object whose keys are the
//! fields' names; keys a newer Relay wrote are kept, not dropped).

use super::validate::normalize_subdomain;
use crate::error::{AppError, AppResult, ErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use specta::Type;
use std::collections::BTreeMap;

pub const DEFAULT_BLACKOUT_DAYS: u16 = 7;
pub const MAX_BLACKOUT_DAYS: u16 = 365;
pub const DEFAULT_SEND_RATE: u32 = 8;
pub const MAX_SEND_RATE: u32 = 1000;
pub const DEFAULT_AUTO_PAUSE: u32 = 10;
pub const MAX_AUTO_PAUSE: u32 = 10_000;
pub const DEFAULT_LATENESS_MINS: u32 = 60;
pub const MAX_LATENESS_MINS: u32 = 7 * 24 * 60;
/// The team replicator's share of the account's API limit (requests a minute): by default a
/// quarter of Suite Professional's 400; at most Enterprise Plus with the High Volume add-on.
pub const DEFAULT_TEAM_SHARE: u32 = 100;
pub const MAX_TEAM_SHARE: u32 = 2500;

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
    /// Send with this desktop's ledger alone when the team's store (Zendesk custom objects)
    /// cannot be reached; off, such a send is refused. Each campaign it affects says so.
    pub desktop_only: bool,
    /// Requests a minute the team's store may use of the account's API limit (shared with the
    /// team's other apps and Relay's own searches).
    pub team_share_per_minute: u32,
    /// Quiet hours, `HH:MM-HH:MM` in each recipient's own time zone: nobody is sent a message
    /// then (a campaign may choose otherwise). Empty = off.
    pub quiet_hours: String,
    /// The time zone (IANA name) of recipients whose own is not known; empty = the desktop's.
    pub time_zone: String,
    /// A scheduled campaign found this many minutes after its time (no Relay was running) is
    /// not sent on its own: it is `missed`, and waits for a decision.
    pub schedule_lateness_mins: u32,
    /// Zendesk roles allowed to send: `admin`, `agent`, or a custom role id. Empty = no restriction.
    pub allowed_roles: Vec<String>,
    /// Zendesk group ids whose members may send. Empty = no restriction.
    pub allowed_groups: Vec<String>,
    /// The Zendesk condition that means "agreed to be messaged on WhatsApp": `tag:NAME` or
    /// `field:KEY=VALUE`; empty = no rule. Every campaign applies it (`no_consent`).
    pub consent_whatsapp: String,
    /// The same for SMS.
    pub consent_sms: String,
    /// The replies that opt out: the whole reply is one of these (case, accents and punctuation
    /// ignored).
    pub optout_words: Vec<String>,
    /// The replies that opt back in (lifting an opt-out, never a number suppressed by hand).
    pub optin_words: Vec<String>,
    /// The messaging limit of the WhatsApp business portfolio (unique numbers in 24 hours):
    /// `250`, `2000`, `10000`, `100000` or `unlimited`; empty = not set (Relay cannot keep it).
    pub whatsapp_limit: String,
    /// The WhatsApp integrations of that portfolio (they share the limit); empty = all of them.
    pub whatsapp_portfolio: Vec<String>,
    /// Meta's silent rules (`meta::rules`) the team lifted, by id, once Meta did.
    pub meta_rules_lifted: Vec<String>,
    /// Each recipient's language: the translation a locale gets when neither its region nor its
    /// language is one of the template's (`LOCALE=CODE`: `pt=pt_BR`, `es-419=es_MX`).
    pub language_rules: Vec<String>,
    pub language: Language,
    pub theme: Theme,
    /// The address of the update manifest (`latest.json`); empty = the one this build was
    /// released with. `https`, or `http` on loopback only.
    pub update_url: String,
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
            desktop_only: false,
            team_share_per_minute: DEFAULT_TEAM_SHARE,
            quiet_hours: String::new(),
            time_zone: String::new(),
            schedule_lateness_mins: DEFAULT_LATENESS_MINS,
            allowed_roles: Vec::new(),
            allowed_groups: Vec::new(),
            consent_whatsapp: String::new(),
            consent_sms: String::new(),
            optout_words: crate::consent::words::DEFAULT_OPT_OUT
                .iter()
                .map(|w| w.to_string())
                .collect(),
            optin_words: crate::consent::words::DEFAULT_OPT_IN
                .iter()
                .map(|w| w.to_string())
                .collect(),
            whatsapp_limit: String::new(),
            whatsapp_portfolio: Vec::new(),
            meta_rules_lifted: Vec::new(),
            language_rules: crate::template::translations::DEFAULT_RULES
                .iter()
                .map(|r| r.to_string())
                .collect(),
            language: Language::System,
            theme: Theme::System,
            update_url: String::new(),
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
                crate::text!("settings.wrong_type", detail = e),
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
        trim(&mut self.update_url);
        trim(&mut self.time_zone);
        self.quiet_hours = match crate::timing::QuietHours::parse(&self.quiet_hours, "quiet_hours")
        {
            Ok(Some(q)) => q.to_string(),
            Ok(None) => String::new(),
            Err(_) => self.quiet_hours.trim().to_string(),
        };
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
        clean_list(&mut self.optout_words, false);
        clean_list(&mut self.optin_words, false);
        clean_list(&mut self.whatsapp_portfolio, false);
        clean_list(&mut self.meta_rules_lifted, true);
        for rule in &mut self.language_rules {
            if let Ok(r) = crate::template::translations::LanguageRule::parse(rule) {
                *rule = format!("{}={}", r.locale, r.code);
            }
        }
        clean_list(&mut self.language_rules, false);
        if let Some(limit) = crate::meta::budget::Limit::parse(&self.whatsapp_limit) {
            self.whatsapp_limit = limit.to_setting();
        }
        trim(&mut self.consent_whatsapp);
        trim(&mut self.consent_sms);
        self.send_rates = self
            .send_rates
            .into_iter()
            .map(|(k, v)| (k.trim().to_string(), v))
            .collect();
        self
    }
}
