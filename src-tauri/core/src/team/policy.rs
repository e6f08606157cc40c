//! The team's policy: the settings that decide who may be sent what — blackout days, the
//! default country, quiet hours, the roles and groups allowed to send, the consent rules and the
//! words that opt out and back in, the WhatsApp portfolio's messaging limit and the Meta rules
//! lifted, the language rules that choose a recipient's translation — kept in one record of the
//! store, changed by an admin, and applied on every desktop over its own settings. Credentials,
//! rates and appearance stay each desktop's.
//!
//! Until an admin publishes a policy, each desktop uses its own settings. Once one is pulled, a
//! desktop applies the last one it has read (offline too), shows where it came from, and refuses
//! a local change of those settings.

use super::schema::POLICY;
use crate::clients::zendesk::custom_objects::{Record, RecordInput};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::settings::Settings;
use crate::workspace::Workspace;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use specta::Type;

/// The settings that are the team's once it has a policy.
pub const POLICY_KEYS: [&str; 13] = [
    "blackout_days",
    "default_country",
    "quiet_hours",
    "allowed_roles",
    "allowed_groups",
    "consent_whatsapp",
    "consent_sms",
    "optout_words",
    "optin_words",
    "whatsapp_limit",
    "whatsapp_portfolio",
    "meta_rules_lifted",
    "language_rules",
];

/// The record's external id: one policy per account.
const EXTERNAL_ID: &str = "policy";

/// The values of a policy. A desktop keeps the last one it read (`team_policy`, as JSON): the
/// fields added since the first policy have defaults, so that a policy kept by an earlier Relay
/// is still read after an upgrade, as `of_record` reads the store's (the publishing desktop never
/// pulls its own record again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Policy {
    pub blackout_days: u16,
    pub default_country: String,
    pub quiet_hours: String,
    pub allowed_roles: Vec<String>,
    pub allowed_groups: Vec<String>,
    #[serde(default)]
    pub consent_whatsapp: String,
    #[serde(default)]
    pub consent_sms: String,
    #[serde(default = "default_optout_words")]
    pub optout_words: Vec<String>,
    #[serde(default = "default_optin_words")]
    pub optin_words: Vec<String>,
    #[serde(default)]
    pub whatsapp_limit: String,
    #[serde(default)]
    pub whatsapp_portfolio: Vec<String>,
    #[serde(default)]
    pub meta_rules_lifted: Vec<String>,
    /// `LOCALE=CODE` rules: with them every desktop gives a recipient the same translation.
    #[serde(default = "default_language_rules")]
    pub language_rules: Vec<String>,
}

fn owned(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

fn default_optout_words() -> Vec<String> {
    owned(crate::consent::words::DEFAULT_OPT_OUT)
}

fn default_optin_words() -> Vec<String> {
    owned(crate::consent::words::DEFAULT_OPT_IN)
}

fn default_language_rules() -> Vec<String> {
    owned(&crate::template::translations::DEFAULT_RULES)
}

impl Policy {
    /// The policy these settings make.
    pub fn of(s: &Settings) -> Policy {
        Policy {
            blackout_days: s.blackout_days,
            default_country: s.default_country.clone(),
            quiet_hours: s.quiet_hours.clone(),
            allowed_roles: s.allowed_roles.clone(),
            allowed_groups: s.allowed_groups.clone(),
            consent_whatsapp: s.consent_whatsapp.clone(),
            consent_sms: s.consent_sms.clone(),
            optout_words: s.optout_words.clone(),
            optin_words: s.optin_words.clone(),
            whatsapp_limit: s.whatsapp_limit.clone(),
            whatsapp_portfolio: s.whatsapp_portfolio.clone(),
            meta_rules_lifted: s.meta_rules_lifted.clone(),
            language_rules: s.language_rules.clone(),
        }
    }

    /// `s` with this policy applied.
    pub fn apply(&self, s: Settings) -> Settings {
        Settings {
            blackout_days: self.blackout_days,
            default_country: self.default_country.clone(),
            quiet_hours: self.quiet_hours.clone(),
            allowed_roles: self.allowed_roles.clone(),
            allowed_groups: self.allowed_groups.clone(),
            consent_whatsapp: self.consent_whatsapp.clone(),
            consent_sms: self.consent_sms.clone(),
            optout_words: self.optout_words.clone(),
            optin_words: self.optin_words.clone(),
            whatsapp_limit: self.whatsapp_limit.clone(),
            whatsapp_portfolio: self.whatsapp_portfolio.clone(),
            meta_rules_lifted: self.meta_rules_lifted.clone(),
            language_rules: self.language_rules.clone(),
            ..s
        }
    }
}

/// The team's policy and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct TeamPolicy {
    pub policy: Policy,
    /// The admin who published it (their Zendesk email, else name) and from which desktop.
    pub changed_by: String,
    pub desktop: String,
    /// When (Zendesk's clock, RFC 3339).
    pub changed_at: String,
}

fn split(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_str)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn words_or(v: Option<&Value>, defaults: &[&str]) -> Vec<String> {
    match v.and_then(Value::as_str) {
        Some(_) => split(v),
        None => owned(defaults),
    }
}

/// The policy a record holds; None when it is not one (written by hand, incomplete, or with
/// values this desktop would refuse in its own settings).
fn of_record(r: &Record) -> Option<TeamPolicy> {
    let f = &r.custom_object_fields;
    let text = |k: &str| f.get(k).and_then(Value::as_str).map(str::to_string);
    let days = f.get("blackout_days").and_then(|v| {
        v.as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    })?;
    let policy = Policy {
        blackout_days: u16::try_from(days).ok()?,
        default_country: text("default_country").unwrap_or_default(),
        quiet_hours: text("quiet_hours").unwrap_or_default(),
        allowed_roles: split(f.get("allowed_roles")),
        allowed_groups: split(f.get("allowed_groups")),
        consent_whatsapp: text("consent_whatsapp").unwrap_or_default(),
        consent_sms: text("consent_sms").unwrap_or_default(),
        // A policy published before the words were the team's keeps the defaults.
        optout_words: words_or(
            f.get("optout_words"),
            crate::consent::words::DEFAULT_OPT_OUT,
        ),
        optin_words: words_or(f.get("optin_words"), crate::consent::words::DEFAULT_OPT_IN),
        // A policy published before Relay kept the messaging limit says it is not set (the
        // review says so): an admin publishes it again with the limit.
        whatsapp_limit: text("whatsapp_limit").unwrap_or_default(),
        whatsapp_portfolio: split(f.get("whatsapp_portfolio")),
        meta_rules_lifted: split(f.get("meta_rules_lifted")),
        // A policy published before the rules were the team's keeps Relay's defaults.
        language_rules: words_or(
            f.get("language_rules"),
            &crate::template::translations::DEFAULT_RULES,
        ),
    };
    if let Err(e) = policy.apply(Settings::default()).validate() {
        tracing::warn!(error = %e, "the team's policy record is not valid: left alone");
        return None;
    }
    Some(TeamPolicy {
        policy,
        changed_by: text("changed_by").unwrap_or_default(),
        desktop: text("desktop").unwrap_or_default(),
        changed_at: r.updated_at.clone(),
    })
}

/// The policy this desktop last read from the store, if any.
pub(crate) fn local(conn: &Connection) -> AppResult<Option<TeamPolicy>> {
    Ok(conn
        .query_row("SELECT value FROM team_policy WHERE id = 1", [], |r| {
            r.get::<_, String>(0)
        })
        .optional()?
        .and_then(|v| serde_json::from_str(&v).ok()))
}

fn store_local(conn: &Connection, p: &TeamPolicy) -> AppResult<bool> {
    let value = serde_json::to_string(p).map_err(AppError::internal)?;
    Ok(conn
        .prepare_cached(
            "INSERT INTO team_policy (id, value, changed_at) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET value = excluded.value, changed_at = excluded.changed_at
             WHERE excluded.changed_at >= team_policy.changed_at AND excluded.value <> team_policy.value",
        )?
        .execute(params![value, p.changed_at])?
        > 0)
}

/// Merges a policy record pulled from the store (the latest wins).
pub(crate) fn merge_pulled(tx: &Transaction, r: &Record) -> AppResult<bool> {
    if r.external_id.as_deref() != Some(EXTERNAL_ID) {
        return Ok(false);
    }
    match of_record(r) {
        Some(p) => store_local(tx, &p),
        None => Ok(false),
    }
}

/// The settings keys a change moves away from the team's policy.
pub(crate) fn departures(policy: &Policy, new: &Settings) -> Vec<&'static str> {
    let mine = Policy::of(new);
    let mut out = Vec::new();
    if mine.blackout_days != policy.blackout_days {
        out.push(POLICY_KEYS[0]);
    }
    if mine.default_country != policy.default_country {
        out.push(POLICY_KEYS[1]);
    }
    if mine.quiet_hours != policy.quiet_hours {
        out.push(POLICY_KEYS[2]);
    }
    if mine.allowed_roles != policy.allowed_roles {
        out.push(POLICY_KEYS[3]);
    }
    if mine.allowed_groups != policy.allowed_groups {
        out.push(POLICY_KEYS[4]);
    }
    if mine.consent_whatsapp != policy.consent_whatsapp {
        out.push(POLICY_KEYS[5]);
    }
    if mine.consent_sms != policy.consent_sms {
        out.push(POLICY_KEYS[6]);
    }
    if mine.optout_words != policy.optout_words {
        out.push(POLICY_KEYS[7]);
    }
    if mine.optin_words != policy.optin_words {
        out.push(POLICY_KEYS[8]);
    }
    if mine.whatsapp_limit != policy.whatsapp_limit {
        out.push(POLICY_KEYS[9]);
    }
    if mine.whatsapp_portfolio != policy.whatsapp_portfolio {
        out.push(POLICY_KEYS[10]);
    }
    if mine.meta_rules_lifted != policy.meta_rules_lifted {
        out.push(POLICY_KEYS[11]);
    }
    if mine.language_rules != policy.language_rules {
        out.push(POLICY_KEYS[12]);
    }
    out
}

/// Refuses a local change (`current` to `new`) of a setting that moves it away from the team's
/// policy: each such field says whose it is.
pub(crate) fn refuse_departures(
    team: &TeamPolicy,
    current: &Settings,
    new: &Settings,
) -> AppResult<()> {
    let changed = departures(&Policy::of(current), new);
    let mut keys = departures(&team.policy, new);
    keys.retain(|k| changed.contains(k));
    if keys.is_empty() {
        return Ok(());
    }
    let why = crate::text!(
        "team.policy_field",
        who = team.changed_by,
        desktop = team.desktop,
        at = team.changed_at
    );
    Err(AppError::invalid_fields(
        keys.into_iter()
            .map(|k| (k.to_string(), why.clone()))
            .collect(),
    ))
}

impl Workspace {
    /// The team's policy as this desktop last read it.
    pub fn team_policy(&self) -> AppResult<Option<TeamPolicy>> {
        local(self.db().connection())
    }

    /// Publishes `policy` as the team's, applied on every desktop at its next sync. An admin's
    /// credentials only; checked like the settings (each problem at its field); nothing changes
    /// when refused.
    pub async fn set_team_policy(&self, policy: Policy) -> AppResult<TeamPolicy> {
        let policy = Policy::of(&policy.apply(self.settings()?).normalized());
        let applied = policy.apply(self.settings()?);
        applied.validate()?;
        self.check_consent_rules(&applied).await?;
        let z = self.team_client()?;
        let me = z.me().await?;
        if me.role != "admin" {
            return Err(AppError::new(
                ErrorCode::Forbidden,
                crate::text!("team.policy_admin", who = me.email.unwrap_or(me.name)),
            ));
        }
        self.ensure_team_schema().await?;
        let mut fields = Map::new();
        fields.insert("blackout_days".into(), json!(policy.blackout_days));
        fields.insert("default_country".into(), json!(policy.default_country));
        fields.insert("quiet_hours".into(), json!(policy.quiet_hours));
        fields.insert(
            "allowed_roles".into(),
            json!(policy.allowed_roles.join(",")),
        );
        fields.insert(
            "allowed_groups".into(),
            json!(policy.allowed_groups.join(",")),
        );
        fields.insert("consent_whatsapp".into(), json!(policy.consent_whatsapp));
        fields.insert("consent_sms".into(), json!(policy.consent_sms));
        fields.insert("optout_words".into(), json!(policy.optout_words.join(",")));
        fields.insert("optin_words".into(), json!(policy.optin_words.join(",")));
        fields.insert("whatsapp_limit".into(), json!(policy.whatsapp_limit));
        fields.insert(
            "whatsapp_portfolio".into(),
            json!(policy.whatsapp_portfolio.join(",")),
        );
        fields.insert(
            "meta_rules_lifted".into(),
            json!(policy.meta_rules_lifted.join(",")),
        );
        fields.insert(
            "language_rules".into(),
            json!(policy.language_rules.join(",")),
        );
        fields.insert(
            "changed_by".into(),
            json!(me.email.clone().unwrap_or(me.name.clone())),
        );
        fields.insert("desktop".into(), json!(self.desktop_id()?));
        let record = z
            .upsert(
                POLICY,
                EXTERNAL_ID,
                &RecordInput {
                    name: Some("Relay team policy".into()),
                    external_id: Some(EXTERNAL_ID.into()),
                    custom_object_fields: fields,
                },
            )
            .await?;
        let team = of_record(&record)
            .ok_or_else(|| AppError::internal("the store did not return the policy written"))?;
        self.db().write(|tx| store_local(tx, &team).map(|_| ()))?;
        self.reload_team_policy()?;
        tracing::info!(by = %team.changed_by, "the team's policy published");
        Ok(team)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_kept_by_an_earlier_relay_is_still_read() {
        // As the first team policy was kept (no consent, words, limit or language rules yet).
        let tmp = tempfile::tempdir().unwrap();
        let db = crate::storage::Database::open(&tmp.path().join("t.sqlite3")).unwrap();
        let kept = json!({"policy": {"blackout_days": 3, "default_country": "FR",
            "quiet_hours": "", "allowed_roles": ["admin"], "allowed_groups": []},
            "changed_by": "ana@x", "desktop": "d1", "changed_at": "2026-12-04T00:00:00Z"});
        db.connection()
            .execute(
                "INSERT INTO team_policy (id, value, changed_at) VALUES (1, ?1, ?2)",
                params![kept.to_string(), "2026-12-04T00:00:00Z"],
            )
            .unwrap();
        let read = local(db.connection())
            .unwrap()
            .expect("the kept policy is read");
        assert_eq!(read.policy.blackout_days, 3);
        assert_eq!(read.policy.optout_words, default_optout_words());
        assert_eq!(read.policy.language_rules, default_language_rules());
        assert_eq!(read.policy.whatsapp_limit, "");
    }

    #[test]
    fn only_the_policy_keys_depart_and_a_record_by_hand_is_left_alone() {
        let s = Settings::default();
        let p = Policy::of(&s);
        assert!(departures(&p, &s).is_empty());
        let changed = Settings {
            blackout_days: 3,
            allowed_groups: vec!["12".into()],
            default_send_rate: 50,
            ..s.clone()
        };
        assert_eq!(
            departures(&p, &changed),
            vec!["blackout_days", "allowed_groups"]
        );
        let r = |fields: Value| Record {
            id: "1".into(),
            name: Some("p".into()),
            external_id: Some("policy".into()),
            custom_object_fields: fields.as_object().cloned().unwrap(),
            created_at: "t".into(),
            updated_at: "2026-12-04T00:00:00Z".into(),
        };
        let read = of_record(&r(json!({"blackout_days": 3, "allowed_roles": "admin, 77",
            "default_country": "FR", "changed_by": "ana@x"})))
        .unwrap();
        assert_eq!(read.policy.allowed_roles, vec!["admin", "77"]);
        assert_eq!(read.policy.blackout_days, 3);
        // Published before the language rules were the team's: Relay's defaults, not empty.
        assert_eq!(
            read.policy.language_rules,
            crate::template::translations::DEFAULT_RULES.map(String::from)
        );
        let rules = of_record(&r(
            json!({"blackout_days": 3, "language_rules": "pt=pt_PT, es-419=es_MX"}),
        ))
        .unwrap();
        assert_eq!(rules.policy.language_rules, ["pt=pt_PT", "es-419=es_MX"]);
        // A rule no desktop would accept: the record is left alone.
        assert!(of_record(&r(json!({"blackout_days": 3, "language_rules": "spanish"}))).is_none());
        assert!(of_record(&r(json!({"default_country": "FR"}))).is_none());
        // Values no desktop would accept in its own settings are not applied either.
        assert!(of_record(&r(json!({"blackout_days": 3, "default_country": "XX"}))).is_none());
        assert!(of_record(&r(
            json!({"blackout_days": 3, "quiet_hours": "25:00-07:00"})
        ))
        .is_none());
    }
}
