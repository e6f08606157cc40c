//! The object types the team's store is made of, and their creation when missing (an admin's
//! credentials can; an agent's are told to ask an admin).

use crate::clients::zendesk::custom_objects::FieldSpec;
use crate::clients::zendesk::ZendeskClient;
use crate::error::{AppError, AppResult, ErrorCode};

/// One record per message reached per number (`external_id` = fingerprint:number).
pub const ENTRY: &str = "relay_entry";
/// The team's numbers never to message (`external_id` = suppressed:number; `removed` when taken
/// off the list).
pub const SUPPRESSED: &str = "relay_suppressed";
/// One claim per message being sent (name = fingerprint, unique).
pub const CLAIM: &str = "relay_claim";
/// One summary per campaign (`external_id` = campaign:id): who, from which desktop, counts.
pub const CAMPAIGN: &str = "relay_campaign";
/// The team's policy (`external_id` = policy): one record.
pub const POLICY: &str = "relay_policy";

/// An object type Relay needs: its key, titles, description, whether record names are unique,
/// and its fields (key, type).
pub struct ObjectSpec {
    pub key: &'static str,
    pub title: &'static str,
    pub plural: &'static str,
    pub description: &'static str,
    pub unique_names: bool,
    pub fields: &'static [(&'static str, &'static str)],
}

pub const OBJECTS: &[ObjectSpec] = &[ObjectSpec {
    key: ENTRY,
    title: "Relay message sent",
    plural: "Relay messages sent",
    description: "Kept by Relay: which message reached which number, when, from which desktop (the team's blackout ledger).",
    unique_names: false,
    fields: &[
        ("fingerprint", "text"),
        ("number", "text"),
        ("user_id", "text"),
        ("sent_at", "integer"),
        ("state", "text"),
        ("campaign", "text"),
        ("desktop", "text"),
    ],
},
ObjectSpec {
    key: SUPPRESSED,
    title: "Relay number never to message",
    plural: "Relay numbers never to message",
    description: "Kept by Relay: the team's numbers never to message.",
    unique_names: false,
    fields: &[("number", "text"), ("note", "text"), ("removed", "checkbox"), ("changed_at", "integer"), ("desktop", "text"), ("reader", "integer"), ("reason", "text"), ("evidence", "text")],
},
ObjectSpec {
    key: CLAIM,
    title: "Relay message being sent",
    plural: "Relay messages being sent",
    description: "Kept by Relay: which desktop sends which message now (one sender per message).",
    unique_names: true,
    fields: &[("holder", "text"), ("campaign", "text"), ("state", "text")],
},
ObjectSpec {
    key: CAMPAIGN,
    title: "Relay campaign",
    plural: "Relay campaigns",
    description: "Kept by Relay: each desktop's campaigns, who sends them and how far they got.",
    unique_names: false,
    fields: &[
        ("template", "text"),
        ("channel", "text"),
        ("sender", "text"),
        ("desktop", "text"),
        ("status", "text"),
        ("pending", "integer"),
        ("sent", "integer"),
        ("failed", "integer"),
        ("skipped", "integer"),
        ("unknown", "integer"),
        ("created_at", "integer"),
        ("finished_at", "integer"),
        ("scheduled_at", "integer"),
        ("desktop_only", "checkbox"),
    ],
},
ObjectSpec {
    key: POLICY,
    title: "Relay team policy",
    plural: "Relay team policies",
    description: "Kept by Relay: the settings every desktop of the team applies (blackout days, default country, quiet hours, who may send, consent, opt-out words).",
    unique_names: false,
    fields: &[
        ("blackout_days", "integer"),
        ("default_country", "text"),
        ("quiet_hours", "text"),
        ("allowed_roles", "text"),
        ("allowed_groups", "text"),
        ("consent_whatsapp", "text"),
        ("consent_sms", "text"),
        ("optout_words", "text"),
        ("optin_words", "text"),
        ("changed_by", "text"),
        ("desktop", "text"),
    ],
}];

/// Makes the object types and fields that are missing. Creating them needs an admin: an agent's
/// credentials get a message saying to ask one (nothing else is tried).
pub async fn ensure(z: &ZendeskClient) -> AppResult<()> {
    let existing: Vec<String> = z.object_types().await?.into_iter().map(|t| t.key).collect();
    for spec in OBJECTS {
        if !existing.iter().any(|k| k == spec.key) {
            z.create_object_type(
                spec.key,
                spec.title,
                spec.plural,
                spec.description,
                spec.unique_names,
            )
            .await
            .map_err(|e| admin_needed(e, spec.key))?;
        }
        let fields: Vec<String> = z
            .object_fields(spec.key)
            .await?
            .into_iter()
            .map(|f| f.key)
            .collect();
        for (key, kind) in spec.fields {
            if !fields.iter().any(|f| f == key) {
                let field = FieldSpec {
                    key: key.to_string(),
                    kind: kind.to_string(),
                    title: key.replace('_', " "),
                };
                z.create_object_field(spec.key, &field)
                    .await
                    .map_err(|e| admin_needed(e, spec.key))?;
            }
        }
    }
    Ok(())
}

/// What Test connection says of the store: reachable, Relay's types there (or creatable by this
/// admin), room left under the account's record limit.
pub async fn probe(z: &ZendeskClient, admin: bool) -> AppResult<crate::text::Text> {
    let existing: Vec<String> = z.object_types().await?.into_iter().map(|t| t.key).collect();
    let missing: Vec<&str> = OBJECTS
        .iter()
        .map(|o| o.key)
        .filter(|k| !existing.iter().any(|e| e == k))
        .collect();
    if !missing.is_empty() && !admin {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            crate::text!("team.admin_needed", object = missing[0]),
        ));
    }
    let limit = z.record_limit().await?;
    if limit.count >= limit.limit {
        return Err(AppError::new(
            ErrorCode::Rejected,
            crate::text!(
                "team.record_limit",
                count = limit.count,
                limit = limit.limit
            ),
        ));
    }
    Ok(if missing.is_empty() {
        crate::text!("check.team_ready", count = limit.count, limit = limit.limit)
    } else {
        crate::text!(
            "check.team_creatable",
            count = limit.count,
            limit = limit.limit
        )
    })
}

fn admin_needed(e: AppError, key: &str) -> AppError {
    if e.code == ErrorCode::Forbidden {
        AppError::new(
            ErrorCode::Forbidden,
            crate::text!("team.admin_needed", object = key),
        )
    } else {
        e
    }
}
