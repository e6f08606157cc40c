//! What each setting accepts: every problem found at once, each at its field, saying what to do.

use super::model::*;
use super::urls::{check_loopback_url, check_update_url};
use crate::error::{AppError, AppResult};
use crate::text::Text;
use std::collections::BTreeMap;

impl Settings {
    /// Checks every field; returns all problems at once, keyed by field, each saying what to do.
    pub fn validate(&self) -> AppResult<()> {
        let mut errors: BTreeMap<String, Text> = BTreeMap::new();
        let mut bad = |field: &str, msg: Text| {
            errors.entry(field.to_string()).or_insert(msg);
        };

        let sub = &self.zendesk_subdomain;
        if !sub.is_empty() && !is_valid_subdomain(sub) {
            bad(
                "zendesk_subdomain",
                crate::text!("settings.subdomain", value = sub),
            );
        }
        if !self.zendesk_email.is_empty() && !is_plausible_email(&self.zendesk_email) {
            bad("zendesk_email", crate::text!("settings.email"));
        }
        if !self.zendesk_custom_url.is_empty() {
            if let Err(e) = check_loopback_url(&self.zendesk_custom_url) {
                bad("zendesk_custom_url", e);
            }
        }
        if !self.sunshine_app_id.is_empty() && !is_token_like(&self.sunshine_app_id, 64) {
            bad("sunshine_app_id", crate::text!("settings.app_id"));
        }
        if !self.sunshine_key_id.is_empty() {
            if let Some(why) = key_id_problem(&self.sunshine_key_id) {
                bad("sunshine_key_id", why);
            }
        }
        if !self.sunshine_custom_url.is_empty() {
            if let Err(e) = check_loopback_url(&self.sunshine_custom_url) {
                bad("sunshine_custom_url", e);
            }
        } else if self.sunshine_host == SunshineHost::Custom {
            bad(
                "sunshine_custom_url",
                crate::text!("settings.custom_url_required"),
            );
        }
        if !self.update_url.is_empty() {
            if let Err(e) = check_update_url(&self.update_url) {
                bad("update_url", e);
            }
        }
        if !self.whatsapp_namespace.is_empty() && !is_token_like(&self.whatsapp_namespace, 64) {
            bad("whatsapp_namespace", crate::text!("settings.namespace"));
        }
        if self.blackout_days > MAX_BLACKOUT_DAYS {
            bad(
                "blackout_days",
                crate::text!("settings.blackout_days", max = MAX_BLACKOUT_DAYS),
            );
        }
        if !self.default_country.is_empty()
            && crate::phone::Country::parse(&self.default_country).is_none()
        {
            bad(
                "default_country",
                crate::text!("settings.country", value = self.default_country),
            );
        }
        if !(1..=MAX_SEND_RATE).contains(&self.default_send_rate) {
            bad(
                "default_send_rate",
                crate::text!("settings.rate", max = MAX_SEND_RATE),
            );
        }
        if !(1..=MAX_AUTO_PAUSE).contains(&self.auto_pause_after) {
            bad(
                "auto_pause_after",
                crate::text!("settings.auto_pause", max = MAX_AUTO_PAUSE),
            );
        }
        for (id, rate) in &self.send_rates {
            if id.is_empty() || !is_token_like(id, 64) {
                bad("send_rates", crate::text!("settings.rate_id", id = id));
            } else if !(1..=MAX_SEND_RATE).contains(rate) {
                bad(
                    "send_rates",
                    crate::text!("settings.rate_of", id = id, max = MAX_SEND_RATE),
                );
            }
        }
        if let Err(e) = crate::timing::QuietHours::parse(&self.quiet_hours, "quiet_hours") {
            bad("quiet_hours", e.text);
        }
        if let Err(e) = crate::timing::zone::parse_zone(&self.time_zone, "time_zone") {
            bad("time_zone", e.text);
        }
        if !(1..=MAX_TEAM_SHARE).contains(&self.team_share_per_minute) {
            bad(
                "team_share_per_minute",
                crate::text!("settings.team_share", max = MAX_TEAM_SHARE),
            );
        }
        if !(1..=MAX_LATENESS_MINS).contains(&self.schedule_lateness_mins) {
            bad(
                "schedule_lateness_mins",
                crate::text!("settings.lateness", max = MAX_LATENESS_MINS),
            );
        }
        for role in &self.allowed_roles {
            let ok = role == "admin"
                || role == "agent"
                || (!role.is_empty() && role.chars().all(|c| c.is_ascii_digit()));
            if !ok {
                bad("allowed_roles", crate::text!("settings.role", value = role));
            }
        }
        for group in &self.allowed_groups {
            if group.is_empty() || !group.chars().all(|c| c.is_ascii_digit()) {
                bad(
                    "allowed_groups",
                    crate::text!("settings.group", value = group),
                );
            }
        }
        for (field, rule) in [
            ("consent_whatsapp", &self.consent_whatsapp),
            ("consent_sms", &self.consent_sms),
        ] {
            if let Err(e) = crate::consent::ConsentRule::parse(rule) {
                bad(field, e);
            }
        }
        for (field, words) in [
            ("optout_words", &self.optout_words),
            ("optin_words", &self.optin_words),
        ] {
            if let Err(word) = crate::consent::words::check(words) {
                bad(field, crate::text!("settings.empty_word", value = word));
            }
        }
        if self.optout_words.is_empty() {
            bad("optout_words", crate::text!("settings.no_optout_words"));
        }

        if crate::meta::budget::Limit::parse(&self.whatsapp_limit).is_none() {
            bad(
                "whatsapp_limit",
                crate::text!("budget.bad_limit", value = self.whatsapp_limit.trim()),
            );
        }
        if let Some(id) = self
            .meta_rules_lifted
            .iter()
            .find(|id| !crate::meta::rules::is_rule(id))
        {
            bad(
                "meta_rules_lifted",
                crate::text!(
                    "meta_rule.unknown",
                    value = id,
                    known = crate::meta::rules::RULES
                        .iter()
                        .map(|r| r.id)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        if let Some(e) = self
            .language_rules
            .iter()
            .find_map(|r| crate::template::translations::LanguageRule::parse(r).err())
        {
            bad("language_rules", e);
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
pub fn key_id_problem(value: &str) -> Option<Text> {
    let v = value.trim();
    if crate::secrets::parse_sunshine_token(v).is_ok() {
        return Some(crate::text!("settings.key_id_is_token"));
    }
    let prefixed = ["app_", "act_", "svc_"]
        .iter()
        .any(|p| v.strip_prefix(p).is_some_and(|rest| !rest.is_empty()));
    if !prefixed || !is_token_like(v, 128) {
        return Some(crate::text!("settings.key_id"));
    }
    None
}

fn is_token_like(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}
