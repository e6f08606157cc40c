//! What each setting accepts: every problem found at once, each at its field, saying what to do.

use super::model::*;
use super::urls::check_loopback_url;
use crate::error::{AppError, AppResult};
use std::collections::BTreeMap;
use std::str::FromStr;

impl Settings {
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
}

pub(super) fn normalize_subdomain(input: &str) -> String {
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
