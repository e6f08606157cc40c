//! Consent per channel kind: the Zendesk condition that means "agreed to be messaged" — a user
//! tag (`tag:whatsapp_opt_in`) or a user field's value (`field:sms_consent=true`: a checkbox, a
//! dropdown's option value, a text) — set per desktop (`consent_whatsapp`, `consent_sms`) or by the
//! team's policy. Every check of an audience for a message applies the rule of its channel kind,
//! whatever the query says: a member without consent is `no_consent`.

use crate::channel::Channel;
use crate::clients::zendesk::UserField;
use crate::settings::Settings;
use crate::text::Text;
use serde_json::{Map, Value};

/// A consent rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentRule {
    /// The user has this tag (Zendesk tags are lowercase).
    Tag(String),
    /// The user's custom field `key` holds `value` (compared as text, case-insensitive; a
    /// checkbox as `true`/`false`).
    Field { key: String, value: String },
}

impl ConsentRule {
    /// A rule as a setting writes it; None for an empty setting (no rule). Err says what to
    /// write instead.
    pub fn parse(text: &str) -> Result<Option<ConsentRule>, Text> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if let Some(tag) = text.strip_prefix("tag:") {
            let tag = tag.trim().to_lowercase();
            if tag.is_empty() || tag.contains(char::is_whitespace) {
                return Err(crate::text!("consent.bad_tag", value = text));
            }
            return Ok(Some(ConsentRule::Tag(tag)));
        }
        if let Some(rest) = text.strip_prefix("field:") {
            let (key, value) = rest.split_once('=').unwrap_or((rest, ""));
            let key = key.trim();
            let value = value.trim();
            if key.is_empty()
                || value.is_empty()
                || !key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(crate::text!("consent.bad_field", value = text));
            }
            return Ok(Some(ConsentRule::Field {
                key: key.to_string(),
                value: value.to_lowercase(),
            }));
        }
        Err(crate::text!("consent.bad_rule", value = text))
    }

    /// The rule as a setting writes it.
    pub fn to_setting(&self) -> String {
        match self {
            ConsentRule::Tag(t) => format!("tag:{t}"),
            ConsentRule::Field { key, value } => format!("field:{key}={value}"),
        }
    }

    /// The rule in words, for the review and the member's reason.
    pub fn describe(&self) -> Text {
        match self {
            ConsentRule::Tag(t) => crate::text!("consent.rule_tag", tag = t),
            ConsentRule::Field { key, value } => {
                crate::text!("consent.rule_field", key = key, value = value)
            }
        }
    }

    /// Whether a user with these tags and fields agreed (the same test as [`Self::sql`]).
    pub fn holds(&self, tags: &[String], fields: &Map<String, Value>) -> bool {
        match self {
            ConsentRule::Tag(t) => tags.iter().any(|x| x.eq_ignore_ascii_case(t)),
            ConsentRule::Field { key, value } => match fields.get(key) {
                Some(Value::Bool(b)) => b.to_string() == *value,
                Some(Value::String(s)) => s.trim().to_lowercase() == *value,
                Some(Value::Number(n)) => n.to_string() == *value,
                _ => false,
            },
        }
    }

    /// The SQL condition that a member of `audience_members` agreed, with its one parameter
    /// (`?2` is the tag, or the value; the field's key, checked as `[A-Za-z0-9_-]`, is in the
    /// JSON path).
    pub(crate) fn sql(&self) -> (String, String) {
        match self {
            ConsentRule::Tag(t) => (
                "EXISTS (SELECT 1 FROM json_each(audience_members.tags) WHERE lower(value) = ?2)"
                    .to_string(),
                t.clone(),
            ),
            ConsentRule::Field { key, value } => {
                let path = format!("'$.\"{key}\"'");
                (
                    format!(
                        "(CASE json_type(audience_members.user_fields, {path})
                            WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
                            ELSE lower(trim(CAST(json_extract(audience_members.user_fields, {path}) AS TEXT)))
                         END) = ?2"
                    ),
                    value.clone(),
                )
            }
        }
    }

    /// Checks a field rule against the account's user fields: the key exists, and a checkbox
    /// is `true`/`false`, a dropdown one of its options' values. Err says what to do.
    pub fn check_fields(&self, fields: &[UserField]) -> Result<(), Text> {
        let ConsentRule::Field { key, value } = self else {
            return Ok(());
        };
        let Some(f) = fields.iter().find(|f| f.key == *key) else {
            let known: Vec<&str> = fields.iter().map(|f| f.key.as_str()).collect();
            return Err(crate::text!(
                "consent.unknown_field",
                key = key,
                known = known.join(", ")
            ));
        };
        match f.kind.as_str() {
            "checkbox" if value != "true" && value != "false" => Err(crate::text!(
                "consent.checkbox_value",
                key = key,
                value = value
            )),
            "dropdown"
                if !f
                    .custom_field_options
                    .iter()
                    .any(|o| o.value.eq_ignore_ascii_case(value)) =>
            {
                let options: Vec<&str> = f
                    .custom_field_options
                    .iter()
                    .map(|o| o.value.as_str())
                    .collect();
                Err(crate::text!(
                    "consent.dropdown_value",
                    key = key,
                    value = value,
                    options = options.join(", ")
                ))
            }
            _ => Ok(()),
        }
    }
}

/// The consent rule of a channel kind in these settings (the team's policy applied).
pub fn rule_for(settings: &Settings, channel: Channel) -> Option<ConsentRule> {
    let text = match channel {
        Channel::WhatsApp => &settings.consent_whatsapp,
        Channel::Sms => &settings.consent_sms,
    };
    ConsentRule::parse(text).ok().flatten()
}

impl crate::workspace::Workspace {
    /// What the review says of consent for a message: a marketing template sent with no consent
    /// rule for its channel kind (Meta requires an opt-in before any WhatsApp template; the law,
    /// before marketing texts); the rule applied otherwise.
    pub async fn consent_note(
        &self,
        spec: &crate::message::MessageSpec,
    ) -> crate::error::AppResult<Text> {
        let channel = self.integration_kind(&spec.integration_id).await?.channel();
        let draft = crate::template::drafts::get(&self.db(), &spec.template_id)?;
        let marketing = draft.template.category == crate::template::Category::Marketing;
        Ok(match (rule_for(&self.settings()?, channel), marketing) {
            (Some(rule), _) => crate::text!("consent.applied", rule => rule.describe()),
            (None, true) => crate::text!("consent.none_marketing"),
            (None, false) => crate::text!("consent.none"),
        })
    }

    /// Checks the consent rules of `settings` against the account's user fields (a field rule
    /// names a field it has, with a value it can hold): every problem at its field, saying what to
    /// do. Offline, field rules are left as they are (a check for a message says when one cannot
    /// hold).
    pub async fn check_consent_rules(&self, settings: &Settings) -> crate::error::AppResult<()> {
        let rules: Vec<(&str, ConsentRule)> = [
            ("consent_whatsapp", &settings.consent_whatsapp),
            ("consent_sms", &settings.consent_sms),
        ]
        .into_iter()
        .filter_map(|(k, v)| ConsentRule::parse(v).ok().flatten().map(|r| (k, r)))
        .filter(|(_, r)| matches!(r, ConsentRule::Field { .. }))
        .collect();
        if rules.is_empty() {
            return Ok(());
        }
        let fields = match self.zendesk_client() {
            Ok((_, z)) => match z.user_fields().await {
                Ok(f) => f,
                Err(e) => {
                    tracing::info!(
                        code = e.code.as_str(),
                        "consent rules not checked against the user fields: {}",
                        e.message
                    );
                    return Ok(());
                }
            },
            Err(_) => return Ok(()),
        };
        let problems: std::collections::BTreeMap<String, Text> = rules
            .iter()
            .filter_map(|(k, r)| r.check_fields(&fields).err().map(|e| (k.to_string(), e)))
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(crate::error::AppError::invalid_fields(problems))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rules_are_parsed_and_bad_ones_refused() {
        assert_eq!(ConsentRule::parse("").unwrap(), None);
        assert_eq!(
            ConsentRule::parse(" tag:SMS_opt_in ").unwrap(),
            Some(ConsentRule::Tag("sms_opt_in".into()))
        );
        assert_eq!(
            ConsentRule::parse("field:sms_consent=True").unwrap(),
            Some(ConsentRule::Field {
                key: "sms_consent".into(),
                value: "true".into()
            })
        );
        for bad in [
            "tag:",
            "tag:two words",
            "field:",
            "field:x",
            "field:=yes",
            "field:a b=1",
            "opt_in",
            "tags:x",
        ] {
            assert!(ConsentRule::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_rule_holds_on_tags_and_fields_of_every_type() {
        let tag = ConsentRule::Tag("whatsapp_optin".into());
        assert!(tag.holds(&["vip".into(), "whatsapp_optin".into()], &Map::new()));
        assert!(!tag.holds(&["vip".into()], &Map::new()));
        let field = |v: &str| {
            ConsentRule::parse(&format!("field:consent={v}"))
                .unwrap()
                .unwrap()
        };
        let f = |v: Value| json!({ "consent": v }).as_object().unwrap().clone();
        assert!(field("true").holds(&[], &f(json!(true))));
        assert!(!field("true").holds(&[], &f(json!(false))));
        assert!(!field("true").holds(&[], &f(Value::Null)));
        assert!(field("yes_sms").holds(&[], &f(json!("Yes_SMS"))));
        assert!(!field("true").holds(&[], &Map::new()));
    }
}
