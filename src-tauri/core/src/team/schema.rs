//! The object types the team's store is made of, and their creation when missing (an admin's
//! credentials can; an agent's are told to ask an admin).

use crate::clients::zendesk::custom_objects::FieldSpec;
use crate::clients::zendesk::ZendeskClient;
use crate::error::{AppError, AppResult, ErrorCode};

/// Batches of ledger entries, each written once by one desktop (see [`super::batch`]).
pub const BATCH: &str = "relay_batch";
/// One record per message reached per number (`external_id` = fingerprint:number), the number
/// and user id in clear: written by an earlier Relay, read once and folded into the ledger, never
/// made or written again (an admin can delete its records).
pub const LEGACY_ENTRY: &str = "relay_entry";
/// The team's numbers never to message, by their keyed hash (`external_id` =
/// suppressed:number key; `removed` when taken
/// off the list).
pub const SUPPRESSED: &str = "relay_suppressed";
/// One claim per message being sent (name = fingerprint, unique); the team's number key (one
/// record of its own name, see [`super::key`]); and one per WhatsApp portfolio with a messaging
/// limit, the runs' reservations of it (name = `budget:…`, see [`super::budget`]).
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

/// What the team's store holds, replicated between desktops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replicated {
    /// Ledger entries, in batches (pushed from the ledger's own unshared rows).
    Batch,
    /// The per-entry records of an earlier Relay (pulled once).
    LegacyEntry,
    /// The suppression list's changes (queued in the outbox).
    Suppressed,
    /// This desktop's campaigns' summaries (queued in the outbox).
    Campaign,
    /// The team's policy.
    Policy,
}

impl Replicated {
    /// The object type that holds it.
    pub fn object(self) -> &'static str {
        match self {
            Replicated::Batch => BATCH,
            Replicated::LegacyEntry => LEGACY_ENTRY,
            Replicated::Suppressed => SUPPRESSED,
            Replicated::Campaign => CAMPAIGN,
            Replicated::Policy => POLICY,
        }
    }

    /// Its rows' kind in the outbox, for those queued there.
    pub fn outbox_kind(self) -> Option<&'static str> {
        match self {
            Replicated::Suppressed => Some("suppressed"),
            Replicated::Campaign => Some("campaign"),
            _ => None,
        }
    }
}

pub const OBJECTS: &[ObjectSpec] = &[ObjectSpec {
    key: BATCH,
    title: "Relay messages sent",
    plural: "Relay batches of messages sent",
    description: "Kept by Relay: which message reached which number (as a keyed hash), when, from which desktop — the team's blackout ledger, in batches.",
    unique_names: false,
    fields: &[
        ("desktop", "text"),
        ("campaigns", "textarea"),
        ("first_at", "integer"),
        ("last_at", "integer"),
        ("count", "integer"),
        ("format", "integer"),
        ("entries", "textarea"),
    ],
},
ObjectSpec {
    key: SUPPRESSED,
    title: "Relay number never to message",
    plural: "Relay numbers never to message",
    description: "Kept by Relay: the team's numbers never to message.",
    unique_names: false,
    fields: &[("number", "text"), ("number_key", "text"), ("note", "text"), ("removed", "checkbox"), ("changed_at", "integer"), ("desktop", "text"), ("reader", "integer"), ("reason", "text"), ("evidence", "text")],
},
ObjectSpec {
    key: CLAIM,
    title: "Relay message being sent",
    plural: "Relay messages being sent",
    description: "Kept by Relay: which desktop sends which message now (one sender per message), the key the team's numbers are hashed with, and the sends reserved under the WhatsApp messaging limit.",
    unique_names: true,
    fields: &[("holder", "text"), ("campaign", "text"), ("state", "text"), ("reservations", "textarea")],
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
        ("integration", "text"),
    ],
},
ObjectSpec {
    key: POLICY,
    title: "Relay team policy",
    plural: "Relay team policies",
    description: "Kept by Relay: the settings every desktop of the team applies (blackout days, default country, quiet hours, who may send, consent, opt-out words, the WhatsApp messaging limit).",
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
        ("whatsapp_limit", "text"),
        ("whatsapp_portfolio", "text"),
        ("meta_rules_lifted", "text"),
        ("language_rules", "text"),
        ("changed_by", "text"),
        ("desktop", "text"),
    ],
}];

/// Makes the object types and fields that are missing. Creating them needs an admin: an agent's
/// credentials get a message saying to ask one (nothing else is tried). Returns the keys of the
/// object types the account had.
pub async fn ensure(z: &ZendeskClient) -> AppResult<Vec<String>> {
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
    Ok(existing)
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
