//! Field mapping: each dynamic value of a template gets a static value (the same for everyone in
//! a send) or a user field (system fields and custom ones, type-aware), with an optional fallback.
//! A name is one value: every slot of a name takes what its first slot says. The blackout's "same
//! message" is computed here from the template, the channel and the static values.

use crate::channel::Channel;
use crate::clients::zendesk::UserField;
use crate::template::{self, ButtonKind, HeaderKind, Template};
use crate::text::Text;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use specta::Type;

/// Where a dynamic value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ValueSource {
    /// The same text for everyone in the send.
    Static { value: String },
    /// A user field: a system field (`name`, `first_name`…) or a custom field's key. Dates are
    /// written with `date_format` (chrono's `%d/%m/%Y`…; empty = `2024-03-31`).
    Field {
        key: String,
        #[serde(default)]
        date_format: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct ValueMapping {
    pub source: ValueSource,
    /// Used when the field is empty; empty = none (the recipient is then skipped).
    #[serde(default)]
    pub fallback: String,
}

/// A dynamic value of a template, in mapping order: the header's, the body's, then the link
/// button's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Slot {
    /// `header`, `body` or `button`.
    pub component: SlotComponent,
    /// Position within its component, from 1 (Meta's `{{1}}`).
    pub position: u32,
    pub example: String,
    /// The first slot of the same name (0-based, in mapping order; itself when it is the first):
    /// a name is mapped once, for every slot it names (`{{Clarice}}` in the header and the body).
    pub first: u32,
}

/// A field that can feed a dynamic value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct FieldInfo {
    pub key: String,
    pub title: String,
    /// `text`, `date`, `dropdown`, `checkbox`, `integer`, `decimal`, `textarea`, `regexp`…
    pub kind: String,
    pub system: bool,
}

/// The system fields, in the order the UI offers them.
pub const SYSTEM_FIELDS: [(&str, &str, &str); 10] = [
    ("name", "Name", "text"),
    ("first_name", "First name", "text"),
    ("last_name", "Last name", "text"),
    ("email", "Email", "text"),
    ("phone", "Phone (E.164)", "text"),
    ("locale", "Language (locale)", "text"),
    ("time_zone", "Time zone", "text"),
    ("external_id", "External id", "text"),
    ("organization_id", "Organization id", "text"),
    ("created_at", "Created at", "date"),
];

/// The fields a mapping may use: system fields, then the active custom fields.
pub fn fields(custom: &[UserField]) -> Vec<FieldInfo> {
    SYSTEM_FIELDS
        .iter()
        .map(|(key, title, kind)| FieldInfo {
            key: key.to_string(),
            title: title.to_string(),
            kind: kind.to_string(),
            system: true,
        })
        .chain(custom.iter().filter(|f| f.active).map(|f| FieldInfo {
            key: f.key.clone(),
            title: f.title.clone(),
            kind: f.kind.clone(),
            system: false,
        }))
        .collect()
}

/// Where in a template a dynamic value stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type, strum::Display)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum SlotComponent {
    Header,
    Body,
    /// The trailing value of a link button.
    Button,
}

impl SlotComponent {
    /// Its name, in words.
    pub fn label(self) -> Text {
        match self {
            SlotComponent::Header => crate::text!("slot.header"),
            SlotComponent::Body => crate::text!("slot.body"),
            SlotComponent::Button => crate::text!("slot.button"),
        }
    }
}

/// The dynamic values of a template, in mapping order.
pub fn slots(t: &Template) -> Vec<Slot> {
    let mut out = Vec::new();
    let mut push = |component: SlotComponent, text: &str| {
        for (i, p) in template::placeholders(text)
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let first = out
                .iter()
                .position(|s: &Slot| s.example.eq_ignore_ascii_case(&p.example))
                .unwrap_or(out.len()) as u32;
            out.push(Slot {
                component,
                position: i as u32 + 1,
                example: p.example,
                first,
            });
        }
    };
    if t.header.kind == HeaderKind::Text {
        push(SlotComponent::Header, &t.header.text);
    }
    push(SlotComponent::Body, &t.body);
    for b in t.buttons.iter().filter(|b| b.kind == ButtonKind::Url) {
        push(SlotComponent::Button, &b.value);
    }
    out
}

/// The mapping as sent: every slot of a name takes what its first slot says (`{{Clarice}}` in
/// the header and the body is one value, mapped once), whatever the later slots held.
pub fn by_name(t: &Template, mapping: &[ValueMapping]) -> Vec<ValueMapping> {
    let slots = slots(t);
    if slots.len() != mapping.len() {
        return mapping.to_vec(); // refused by `check_mapping`, with the counts
    }
    slots
        .iter()
        .map(|s| mapping[s.first as usize].clone())
        .collect()
}

/// "The same message", as Relay recorded it before templates had translations: template name
/// and language, channel kind, and the static values (with their positions). What each
/// translation's earlier entries are found by (`message::translated::Fingerprints::legacy`).
pub fn fingerprint(t: &Template, channel: Channel, mapping: &[ValueMapping]) -> i64 {
    let mut h = Sha256::new();
    for part in [t.name.as_str(), t.language.as_str(), channel.as_ref()] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    for (i, m) in mapping.iter().enumerate() {
        if let ValueSource::Static { value } = &m.source {
            h.update(i.to_le_bytes());
            h.update(value.as_bytes());
            h.update([0]);
        }
    }
    let d = h.finalize();
    i64::from_le_bytes(d[..8].try_into().unwrap_or_default())
}

/// "The same message": the template's name, the channel kind, and the static values by the
/// name of the value they fill (per-recipient values, the language and the static values given
/// per language do not make a message different): every translation of a template is one
/// message.
pub fn message_fingerprint(t: &Template, channel: Channel, mapping: &[ValueMapping]) -> i64 {
    let mut statics: Vec<(String, &str)> = slots(t)
        .iter()
        .zip(mapping)
        .filter_map(|(s, m)| match &m.source {
            ValueSource::Static { value } => Some((s.example.to_lowercase(), value.as_str())),
            ValueSource::Field { .. } => None,
        })
        .collect();
    statics.sort();
    statics.dedup();
    let mut h = Sha256::new();
    // The definition's version: never the same hash as an entry of the one before.
    for part in ["message/2", t.name.as_str(), channel.as_ref()] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    for (name, value) in statics {
        h.update(name.as_bytes());
        h.update([0]);
        h.update(value.as_bytes());
        h.update([0]);
    }
    let d = h.finalize();
    i64::from_le_bytes(d[..8].try_into().unwrap_or_default())
}

/// A mapping that cannot work for anyone (wrong count, unknown field, bad date format).
pub fn check_mapping(
    t: &Template,
    mapping: &[ValueMapping],
    available: &[FieldInfo],
) -> Result<(), Text> {
    let slots = slots(t);
    if slots.len() != mapping.len() {
        return Err(crate::text!(
            "mapping.count",
            slots = slots.len(),
            mapped = mapping.len()
        ));
    }
    for (slot, m) in slots.iter().zip(mapping) {
        match &m.source {
            ValueSource::Static { value } if value.trim().is_empty() => {
                return Err(crate::text!(
                    "mapping.empty_static",
                    example = slot.example,
                    component => slot.component.label(),
                    position = slot.position
                ))
            }
            ValueSource::Static { .. } => {}
            ValueSource::Field { key, date_format } => {
                if !available.iter().any(|f| f.key == *key) {
                    return Err(crate::text!(
                        "mapping.no_field",
                        example = slot.example,
                        key = key,
                        known = available
                            .iter()
                            .map(|f| f.key.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                if !date_format.is_empty() {
                    use chrono::format::{Item, StrftimeItems};
                    if StrftimeItems::new(date_format).any(|i| matches!(i, Item::Error)) {
                        return Err(crate::text!(
                            "mapping.date_format",
                            example = slot.example,
                            format = date_format
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}
