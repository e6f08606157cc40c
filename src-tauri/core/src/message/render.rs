//! Rendering: a recipient's values from their user record (type-aware: dates in a chosen format,
//! dropdowns by option name, checkboxes as Yes/No), with fallbacks; the message checked against
//! the channel's per-message rules — what fails leaves that recipient out with the reason
//! (`missing_value`, `render_error`).

use super::mapping::slots;
use super::mapping::{Slot, SlotComponent, ValueMapping, ValueSource};
use crate::audience::ExclusionReason;
use crate::channel::Channel;
use crate::clients::zendesk::UserField;
use crate::template::translations::LanguageMatch;
use crate::template::validate::LIMITS;
use crate::template::{self, ButtonKind};
use crate::template::{convert, Template};
use crate::text::Text;
use serde::{Deserialize, Serialize};
use specta::Type;

/// A user's data as fetched, for rendering.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Recipient {
    pub user_id: u64,
    pub name: String,
    pub email: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    pub external_id: Option<String>,
    pub organization_id: Option<u64>,
    pub created_at: Option<String>,
    pub user_fields: serde_json::Map<String, serde_json::Value>,
}

/// A recipient's message, rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Rendered {
    /// One per slot.
    pub values: Vec<String>,
    /// WhatsApp: the body text; SMS: the whole text.
    pub text: String,
    /// SMS segments (0 for WhatsApp).
    pub segments: u32,
    /// The translation it is in (Meta's code).
    pub language: String,
    /// How that translation was chosen for the recipient.
    pub matched: crate::template::translations::LanguageMatch,
}

/// Renders recipients quickly: the template converted once, each recipient only filled in.
pub struct Renderer {
    pub(super) template: Template,
    mapping: Vec<ValueMapping>,
    pub(super) slots: Vec<Slot>,
    custom: Vec<UserField>,
    pub(super) sms: bool,
    /// The body converted for the channel, with its `{{…}}` values.
    body: String,
    /// SMS: the buttons as text.
    sms_buttons: String,
}

impl Renderer {
    /// `channel`: `whatsapp`, or an SMS kind (`twilio`, `messagebird`).
    pub fn new(
        t: &Template,
        channel: Channel,
        mapping: Vec<ValueMapping>,
        custom: Vec<UserField>,
    ) -> Renderer {
        let sms = channel == Channel::Sms;
        Renderer {
            body: convert::convert(&t.body, channel).0,
            sms_buttons: crate::template::preview::sms_buttons(&t.buttons),
            slots: slots(t),
            template: t.clone(),
            mapping,
            custom,
            sms,
        }
    }

    fn field(&self, r: &Recipient, key: &str, date_format: &str) -> String {
        let date = |s: &str| format_date(s, date_format);
        let (first, last) = r.name.split_once(' ').unwrap_or((r.name.as_str(), ""));
        match key {
            "name" => r.name.clone(),
            "first_name" => first.to_string(),
            "last_name" => last.to_string(),
            "email" => r.email.clone().unwrap_or_default(),
            "phone" => r.phone.clone().unwrap_or_default(),
            "locale" => r.locale.clone().unwrap_or_default(),
            "time_zone" => r.time_zone.clone().unwrap_or_default(),
            "external_id" => r.external_id.clone().unwrap_or_default(),
            "organization_id" => r.organization_id.map(|o| o.to_string()).unwrap_or_default(),
            "created_at" => r.created_at.as_deref().map(date).unwrap_or_default(),
            custom => {
                let v = r.user_fields.get(custom).cloned().unwrap_or_default();
                let def = self.custom.iter().find(|f| f.key == custom);
                match (v, def.map(|d| d.kind.as_str())) {
                    (serde_json::Value::Null, _) => String::new(),
                    (serde_json::Value::String(s), Some("date")) => date(&s),
                    (serde_json::Value::String(s), Some("dropdown" | "tagger")) => def
                        .and_then(|d| d.custom_field_options.iter().find(|o| o.value == s))
                        .map(|o| o.name.clone())
                        .unwrap_or(s),
                    (serde_json::Value::Bool(b), _) => if b { "Yes" } else { "No" }.into(),
                    (serde_json::Value::String(s), _) => s,
                    (other, _) => other.to_string(),
                }
            }
        }
    }

    /// The values of a recipient, one per slot; a missing one is an error naming it.
    pub fn values(&self, r: &Recipient) -> Result<Vec<String>, (ExclusionReason, Text)> {
        let mut out = Vec::with_capacity(self.slots.len());
        for (slot, m) in self.slots.iter().zip(&self.mapping) {
            let v = match &m.source {
                ValueSource::Static { value } => value.clone(),
                ValueSource::Field { key, date_format } => self.field(r, key, date_format),
            };
            let v = if v.trim().is_empty() {
                if m.fallback.is_empty() {
                    return Err((
                        ExclusionReason::MissingValue,
                        match &m.source {
                            ValueSource::Field { key, .. } => crate::text!(
                                "render.missing_field",
                                field = key,
                                example = slot.example
                            ),
                            ValueSource::Static { .. } => {
                                crate::text!("render.missing_static", example = slot.example)
                            }
                        },
                    ));
                }
                m.fallback.clone()
            } else {
                v
            };
            out.push(v);
        }
        Ok(out)
    }

    /// Renders and checks a recipient's message.
    pub fn render(&self, r: &Recipient) -> Result<Rendered, (ExclusionReason, Text)> {
        let values = self.values(r)?;
        let (mut header, mut body, mut button) = (Vec::new(), Vec::new(), Vec::new());
        for (slot, v) in self.slots.iter().zip(&values) {
            match slot.component {
                SlotComponent::Header => header.push(v.clone()),
                SlotComponent::Body => body.push(v.clone()),
                SlotComponent::Button => button.push(v.clone()),
            }
        }
        if self.sms {
            let buttons = template::fill(&self.sms_buttons, &button);
            let text = format!("{}{}", template::fill(&self.body, &body), buttons);
            let chars = text.chars().count();
            if chars > LIMITS.sms_max {
                return Err((
                    ExclusionReason::RenderError,
                    crate::text!("render.sms_too_long", length = chars, max = LIMITS.sms_max),
                ));
            }
            let segments = crate::sms::analyze(&text).segments;
            return Ok(Rendered {
                values,
                text,
                segments,
                language: self.template.language.clone(),
                matched: LanguageMatch::One,
            });
        }
        for (slot, v) in self.slots.iter().zip(&values) {
            let problem = if v.contains('\n') || v.contains('\r') {
                Some(crate::text!("render.line_break", example = slot.example))
            } else if v.contains('\t') {
                Some(crate::text!("render.tab", example = slot.example))
            } else if v.contains(&" ".repeat(LIMITS.spaces_max)) {
                Some(crate::text!(
                    "render.spaces",
                    example = slot.example,
                    count = LIMITS.spaces_max
                ))
            } else {
                None
            };
            if let Some(p) = problem {
                return Err((ExclusionReason::RenderError, p));
            }
            if slot.component == SlotComponent::Header
                && template::fill(&self.template.header.text, &header)
                    .chars()
                    .count()
                    > LIMITS.header_text_max
            {
                return Err((
                    ExclusionReason::RenderError,
                    crate::text!(
                        "render.header_too_long",
                        max = LIMITS.header_text_max,
                        example = slot.example
                    ),
                ));
            }
        }
        let text = template::fill(&self.body, &body);
        let chars = text.chars().count();
        if chars > LIMITS.body_max {
            return Err((
                ExclusionReason::RenderError,
                crate::text!(
                    "render.body_too_long",
                    length = chars,
                    max = LIMITS.body_max
                ),
            ));
        }
        Ok(Rendered {
            values,
            text,
            segments: 0,
            language: self.template.language.clone(),
            matched: LanguageMatch::One,
        })
    }

    pub fn preview(&self, values: &[String]) -> crate::template::preview::Preview {
        let (mut header, mut body, mut button) = (Vec::new(), Vec::new(), Vec::new());
        for (slot, v) in self.slots.iter().zip(values) {
            match slot.component {
                SlotComponent::Header => header.push(v.clone()),
                SlotComponent::Body => body.push(v.clone()),
                SlotComponent::Button => button.push(v.clone()),
            }
        }
        let mut t = self.template.clone();
        let mut next = button.into_iter();
        for b in t.buttons.iter_mut().filter(|b| b.kind == ButtonKind::Url) {
            let n = template::placeholders(&b.value)
                .map(|p| p.len())
                .unwrap_or(0);
            let vals: Vec<String> = next.by_ref().take(n).collect();
            b.value = template::fill(&b.value, &vals);
        }
        crate::template::preview::preview(&t, &header, &body)
    }
}

/// A Zendesk date (`2024-03-31`, or an ISO datetime) in a chosen format; unparsable dates are
/// kept as they are.
pub fn format_date(s: &str, format: &str) -> String {
    // The first ten characters (not bytes: a value may be any text).
    let head: String = s.chars().take(10).collect();
    let date = chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| d.date_naive())
        .or_else(|_| chrono::NaiveDate::parse_from_str(&head, "%Y-%m-%d"));
    match date {
        Ok(d) if format.is_empty() => d.format("%Y-%m-%d").to_string(),
        Ok(d) => d.format(format).to_string(),
        Err(_) => s.to_string(),
    }
}
