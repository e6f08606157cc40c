//! Field mapping: each dynamic value of a template gets a static value (the same for everyone in
//! a send) or a user field (system fields and custom ones, type-aware), with an optional fallback.
//! Rendering a recipient checks the channel's per-message rules; what fails excludes that
//! recipient with the reason (`missing_value`, `render_error`).

use super::Reason;
use crate::clients::zendesk::UserField;
use crate::template::{self, convert, ButtonKind, HeaderKind, Template};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
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
    pub component: String,
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

/// The dynamic values of a template, in mapping order.
pub fn slots(t: &Template) -> Vec<Slot> {
    let mut out = Vec::new();
    let mut push = |component: &str, text: &str| {
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
                component: component.into(),
                position: i as u32 + 1,
                example: p.example,
                first,
            });
        }
    };
    if t.header.kind == HeaderKind::Text {
        push("header", &t.header.text);
    }
    push("body", &t.body);
    for b in t.buttons.iter().filter(|b| b.kind == ButtonKind::Url) {
        push("button", &b.value);
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

/// "The same message": template name and language, channel kind, and the static values (with
/// their positions). Per-recipient values do not make a message different.
pub fn fingerprint(t: &Template, channel: &str, mapping: &[ValueMapping]) -> i64 {
    let mut h = Sha256::new();
    for part in [t.name.as_str(), t.language.as_str(), channel] {
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

/// A recipient's message, rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Rendered {
    /// One per slot.
    pub values: Vec<String>,
    /// WhatsApp: the body text; SMS: the whole text.
    pub text: String,
    /// SMS segments (0 for WhatsApp).
    pub segments: u32,
}

/// Renders recipients quickly: the template converted once, each recipient only filled in.
pub struct Renderer {
    template: Template,
    mapping: Vec<ValueMapping>,
    slots: Vec<Slot>,
    custom: Vec<UserField>,
    sms: bool,
    /// The body converted for the channel, with its `{{…}}` values.
    body: String,
    /// SMS: the buttons as text.
    sms_buttons: String,
}

/// A mapping that cannot work for anyone (wrong count, unknown field, bad date format).
pub fn check_mapping(
    t: &Template,
    mapping: &[ValueMapping],
    available: &[FieldInfo],
) -> Result<(), String> {
    let slots = slots(t);
    if slots.len() != mapping.len() {
        return Err(format!(
            "The template has {} dynamic value(s) and the mapping {}: map each one.",
            slots.len(),
            mapping.len()
        ));
    }
    for (slot, m) in slots.iter().zip(mapping) {
        match &m.source {
            ValueSource::Static { value } if value.trim().is_empty() => {
                return Err(format!(
                    "{{{{{}}}}} ({} {}) has an empty static value: type the text, or map a field.",
                    slot.example, slot.component, slot.position
                ))
            }
            ValueSource::Static { .. } => {}
            ValueSource::Field { key, date_format } => {
                if !available.iter().any(|f| f.key == *key) {
                    return Err(format!(
                        "{{{{{}}}}}: there is no user field \"{key}\". Choose one of: {}.",
                        slot.example,
                        available
                            .iter()
                            .map(|f| f.key.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                if !date_format.is_empty() {
                    use chrono::format::{Item, StrftimeItems};
                    if StrftimeItems::new(date_format).any(|i| matches!(i, Item::Error)) {
                        return Err(format!(
                            "{{{{{}}}}}: \"{date_format}\" is not a date format (use %d/%m/%Y, %Y-%m-%d, %B %-d, %Y…).",
                            slot.example
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Builds a mapping from command-line arguments: `VAR=field:KEY` or `VAR=static:TEXT` for each
/// dynamic value, optional `VAR=TEXT` fallbacks and `VAR=FORMAT` date formats. VAR is the dynamic
/// value's name as written in the template (`{{First name}}` → `First name`, case-insensitive)
/// or its position in mapping order (`1`, `2`…).
pub fn mapping_from_args(
    slots: &[Slot],
    maps: &[String],
    fallbacks: &[String],
    date_formats: &[String],
) -> Result<Vec<ValueMapping>, String> {
    let names = || {
        slots
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{} ({})", s.example, i + 1))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // A position names one slot; a name, every slot of that name.
    let find = |arg: &str| -> Result<(Vec<usize>, String), String> {
        let (var, rest) = arg.split_once('=').ok_or_else(|| {
            format!("\"{arg}\" is not VAR=VALUE (for example --map 'First name=field:first_name').")
        })?;
        let var = var.trim();
        let indices: Vec<usize> = match var.parse::<usize>() {
            Ok(n) if (1..=slots.len()).contains(&n) => vec![n - 1],
            _ => slots
                .iter()
                .enumerate()
                .filter(|(_, s)| s.example.eq_ignore_ascii_case(var))
                .map(|(i, _)| i)
                .collect(),
        };
        if indices.is_empty() {
            return Err(format!(
                "The template has no dynamic value \"{var}\". Its values: {}.",
                names()
            ));
        }
        Ok((indices, rest.to_string()))
    };
    let mut out: Vec<Option<ValueMapping>> = vec![None; slots.len()];
    for arg in maps {
        let (indices, rest) = find(arg)?;
        let source = match rest.split_once(':') {
            Some(("field", key)) if !key.trim().is_empty() => ValueSource::Field {
                key: key.trim().to_string(),
                date_format: String::new(),
            },
            Some(("static", value)) => ValueSource::Static {
                value: value.to_string(),
            },
            _ => {
                return Err(format!(
                    "\"{arg}\": write field:KEY (a user field) or static:TEXT (the same text for everyone)."
                ))
            }
        };
        for i in indices {
            out[i] = Some(ValueMapping {
                source: source.clone(),
                fallback: String::new(),
            });
        }
    }
    let missing: Vec<String> = slots
        .iter()
        .zip(&out)
        .filter(|(_, m)| m.is_none())
        .map(|(s, _)| s.example.clone())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "Map every dynamic value with --map (field:KEY or static:TEXT); not mapped yet: {}.",
            missing.join(", ")
        ));
    }
    let mut out: Vec<ValueMapping> = out.into_iter().flatten().collect();
    for arg in fallbacks {
        let (indices, rest) = find(arg)?;
        for i in indices {
            out[i].fallback = rest.clone();
        }
    }
    for arg in date_formats {
        let (indices, rest) = find(arg)?;
        for i in indices {
            match &mut out[i].source {
                ValueSource::Field { date_format, .. } => *date_format = rest.clone(),
                ValueSource::Static { .. } => {
                    return Err(format!(
                        "\"{arg}\": a date format applies to a field, and this value is static."
                    ))
                }
            }
        }
    }
    Ok(out)
}

impl Renderer {
    /// `channel`: `whatsapp`, or an SMS kind (`twilio`, `messagebird`).
    pub fn new(
        t: &Template,
        channel: &str,
        mapping: Vec<ValueMapping>,
        custom: Vec<UserField>,
    ) -> Renderer {
        let sms = channel != "whatsapp";
        let kind = if sms {
            convert::Channel::Sms
        } else {
            convert::Channel::WhatsApp
        };
        Renderer {
            body: convert::convert(&t.body, kind).0,
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
    pub fn values(&self, r: &Recipient) -> Result<Vec<String>, (Reason, String)> {
        let mut out = Vec::with_capacity(self.slots.len());
        for (slot, m) in self.slots.iter().zip(&self.mapping) {
            let v = match &m.source {
                ValueSource::Static { value } => value.clone(),
                ValueSource::Field { key, date_format } => self.field(r, key, date_format),
            };
            let v = if v.trim().is_empty() {
                if m.fallback.is_empty() {
                    let field = match &m.source {
                        ValueSource::Field { key, .. } => key.as_str(),
                        ValueSource::Static { .. } => "static value",
                    };
                    return Err((
                        Reason::MissingValue,
                        format!(
                            "{field} is empty for {{{{{}}}}} and there is no fallback",
                            slot.example
                        ),
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
    pub fn render(&self, r: &Recipient) -> Result<Rendered, (Reason, String)> {
        let values = self.values(r)?;
        let (mut header, mut body, mut button) = (Vec::new(), Vec::new(), Vec::new());
        for (slot, v) in self.slots.iter().zip(&values) {
            match slot.component.as_str() {
                "header" => header.push(v.clone()),
                "body" => body.push(v.clone()),
                _ => button.push(v.clone()),
            }
        }
        if self.sms {
            let buttons = template::fill(&self.sms_buttons, &button);
            let text = format!("{}{}", template::fill(&self.body, &body), buttons);
            let chars = text.chars().count();
            if chars > crate::sms::MAX_SMS_CHARS {
                return Err((
                    Reason::RenderError,
                    format!(
                        "the SMS would be {chars} characters (at most {})",
                        crate::sms::MAX_SMS_CHARS
                    ),
                ));
            }
            let segments = crate::sms::analyze(&text).segments;
            return Ok(Rendered {
                values,
                text,
                segments,
            });
        }
        for (slot, v) in self.slots.iter().zip(&values) {
            let problem = if v.contains('\n') || v.contains('\r') {
                Some("a line break")
            } else if v.contains('\t') {
                Some("a tab")
            } else if v.contains("    ") {
                Some("4 spaces in a row")
            } else {
                None
            };
            if let Some(p) = problem {
                return Err((
                    Reason::RenderError,
                    format!("the value of {{{{{}}}}} contains {p}, which WhatsApp refuses in a parameter", slot.example),
                ));
            }
            if slot.component == "header" && v.chars().count() > 60 {
                return Err((
                    Reason::RenderError,
                    format!(
                        "the header would be longer than 60 characters with {{{{{}}}}}",
                        slot.example
                    ),
                ));
            }
        }
        let text = template::fill(&self.body, &body);
        let chars = text.chars().count();
        if chars > 1024 {
            return Err((
                Reason::RenderError,
                format!("the WhatsApp body would be {chars} characters (at most 1,024)"),
            ));
        }
        Ok(Rendered {
            values,
            text,
            segments: 0,
        })
    }

    /// The designer's previews of a recipient's message.
    /// The Notification API body (v1.1) of a rendered message to `phone`: a WhatsApp template
    /// with its header, body and link-button parameters, or an SMS text.
    pub fn notification(
        &self,
        integration_id: &str,
        namespace: &str,
        phone: &str,
        rendered: &Rendered,
    ) -> serde_json::Value {
        use serde_json::json;
        let destination = json!({ "integrationId": integration_id, "destinationId": phone });
        if self.sms {
            return json!({
                "destination": destination,
                "author": { "role": "appMaker" },
                "message": { "type": "text", "text": rendered.text },
            });
        }
        let text = |v: &String| json!({ "type": "text", "text": v });
        let of = |component: &str| -> Vec<&String> {
            self.slots
                .iter()
                .zip(&rendered.values)
                .filter(|(s, _)| s.component == component)
                .map(|(_, v)| v)
                .collect()
        };
        let mut components = Vec::new();
        let h = &self.template.header;
        match h.kind {
            HeaderKind::Text => {
                let values = of("header");
                if !values.is_empty() {
                    components.push(json!({
                        "type": "header",
                        "parameters": values.into_iter().map(text).collect::<Vec<_>>(),
                    }));
                }
            }
            HeaderKind::Image | HeaderKind::Video | HeaderKind::Document => {
                let kind = match h.kind {
                    HeaderKind::Image => "image",
                    HeaderKind::Video => "video",
                    _ => "document",
                };
                components.push(json!({
                    "type": "header",
                    "parameters": [{ "type": kind, kind: { "link": h.url } }],
                }));
            }
            HeaderKind::None => {}
        }
        let body = of("body");
        if !body.is_empty() {
            components.push(json!({
                "type": "body",
                "parameters": body.into_iter().map(text).collect::<Vec<_>>(),
            }));
        }
        // Each link button with a dynamic value gets it, by the button's index.
        let mut button_values = of("button").into_iter();
        for (index, b) in self.template.buttons.iter().enumerate() {
            if b.kind != ButtonKind::Url || !b.value.contains("{{") {
                continue;
            }
            if let Some(v) = button_values.next() {
                components.push(json!({
                    "type": "button",
                    "sub_type": "url",
                    "index": index.to_string(),
                    "parameters": [text(v)],
                }));
            }
        }
        let mut template = json!({
            "name": self.template.name,
            "language": { "policy": "deterministic", "code": self.template.language },
            "components": components,
        });
        if !namespace.trim().is_empty() {
            template["namespace"] = json!(namespace.trim());
        }
        json!({
            "destination": destination,
            "author": { "role": "appMaker" },
            "messageSchema": "whatsapp",
            "message": { "type": "template", "template": template },
        })
    }

    pub fn preview(&self, values: &[String]) -> crate::template::preview::Preview {
        let (mut header, mut body, mut button) = (Vec::new(), Vec::new(), Vec::new());
        for (slot, v) in self.slots.iter().zip(values) {
            match slot.component.as_str() {
                "header" => header.push(v.clone()),
                "body" => body.push(v.clone()),
                _ => button.push(v.clone()),
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
    let date = chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| d.date_naive())
        .or_else(|_| chrono::NaiveDate::parse_from_str(&s[..s.len().min(10)], "%Y-%m-%d"));
    match date {
        Ok(d) if format.is_empty() => d.format("%Y-%m-%d").to_string(),
        Ok(d) => d.format(format).to_string(),
        Err(_) => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::zendesk::FieldOption;
    use crate::template::{Button, Header};

    #[test]
    fn mapping_from_args_by_name_or_position_with_fallbacks() {
        let slots = vec![
            Slot {
                component: "body".into(),
                position: 1,
                example: "First name".into(),
                first: 0,
            },
            Slot {
                component: "body".into(),
                position: 2,
                example: "Date".into(),
                first: 1,
            },
        ];
        let m = mapping_from_args(
            &slots,
            &[
                "first NAME=field:first_name".into(),
                "2=field:renewal".into(),
            ],
            &["1=there".into()],
            &["Date=%d/%m/%Y".into()],
        )
        .unwrap();
        assert_eq!(m[0].fallback, "there");
        assert_eq!(
            m[1].source,
            ValueSource::Field {
                key: "renewal".into(),
                date_format: "%d/%m/%Y".into()
            }
        );
        let e = mapping_from_args(&slots, &["1=static:Hi".into()], &[], &[]).unwrap_err();
        assert!(e.contains("not mapped yet: Date."), "{e}");
        let e = mapping_from_args(&slots, &["3=static:x".into()], &[], &[]).unwrap_err();
        assert!(e.contains("First name (1), Date (2)"), "{e}");
        let e = mapping_from_args(&slots, &["1=name".into()], &[], &[]).unwrap_err();
        assert!(e.contains("field:KEY"), "{e}");
    }

    #[test]
    fn one_map_by_name_maps_every_slot_of_that_name() {
        let t = Template {
            header: crate::template::Header {
                kind: HeaderKind::Text,
                text: "For {{Clarice}}".into(),
                url: String::new(),
            },
            body: "Hi {{Clarice}}, your order ships {{Monday}} to you.".into(),
            buttons: Vec::new(),
            ..t()
        };
        let s = slots(&t);
        assert_eq!(
            s.iter()
                .map(|s| (s.example.as_str(), s.first))
                .collect::<Vec<_>>(),
            vec![("Clarice", 0), ("Clarice", 0), ("Monday", 2)],
            "the body's Clarice is the header's"
        );
        let m = mapping_from_args(
            &s,
            &[
                "clarice=field:first_name".into(),
                "Monday=static:today".into(),
            ],
            &["Clarice=there".into()],
            &[],
        )
        .unwrap();
        assert_eq!(m[0], m[1], "both Clarice slots mapped, with the fallback");
        assert_eq!(m[1].fallback, "there");
        // A position still names one slot.
        let e = mapping_from_args(
            &s,
            &["1=field:first_name".into(), "3=static:x".into()],
            &[],
            &[],
        )
        .unwrap_err();
        assert!(e.contains("not mapped yet: Clarice"), "{e}");
        // Whatever a later slot of a name holds (an app that sent it stale), the first decides,
        // in the rendering and in the blackout's fingerprint alike.
        let mut stale = m.clone();
        stale[1] = ValueMapping {
            source: ValueSource::Static {
                value: "someone else".into(),
            },
            fallback: String::new(),
        };
        assert_eq!(by_name(&t, &stale), m);
        assert_eq!(
            fingerprint(&t, "whatsapp", &by_name(&t, &stale)),
            fingerprint(&t, "whatsapp", &m)
        );
    }

    fn t() -> Template {
        Template {
            name: "order".into(),
            language: "en_US".into(),
            header: Header {
                kind: HeaderKind::Text,
                text: "Order {{A-1}}".into(),
                url: String::new(),
            },
            body: "Hi **{{Ann}}**, your {{Gold}} plan renews on {{31/03/2024}}.".into(),
            buttons: vec![Button {
                kind: ButtonKind::Url,
                text: "Open".into(),
                value: "https://x.test/o/{{A-1}}".into(),
            }],
            ..Template::default()
        }
    }

    fn custom() -> Vec<UserField> {
        vec![
            UserField {
                id: 1,
                key: "plan".into(),
                title: "Plan".into(),
                kind: "dropdown".into(),
                active: true,
                custom_field_options: vec![FieldOption {
                    name: "Gold".into(),
                    value: "gold".into(),
                }],
            },
            UserField {
                id: 2,
                key: "renewal".into(),
                title: "Renewal".into(),
                kind: "date".into(),
                active: true,
                custom_field_options: vec![],
            },
            UserField {
                id: 3,
                key: "note".into(),
                title: "Note".into(),
                kind: "textarea".into(),
                active: true,
                custom_field_options: vec![],
            },
        ]
    }

    fn field(key: &str) -> ValueMapping {
        ValueMapping {
            source: ValueSource::Field {
                key: key.into(),
                date_format: String::new(),
            },
            fallback: String::new(),
        }
    }

    fn recipient() -> Recipient {
        let mut fields = serde_json::Map::new();
        fields.insert("plan".into(), "gold".into());
        fields.insert("renewal".into(), "2024-03-31T00:00:00+00:00".into());
        fields.insert("note".into(), "Ring\nTwice".into());
        Recipient {
            user_id: 7,
            name: "Ann Smith".into(),
            external_id: Some("A-77".into()),
            user_fields: fields,
            ..Recipient::default()
        }
    }

    #[test]
    fn slots_come_in_header_body_button_order() {
        let s = slots(&t());
        let names: Vec<_> = s
            .iter()
            .map(|s| format!("{}{}:{}", s.component, s.position, s.example))
            .collect();
        assert_eq!(
            names,
            [
                "header1:A-1",
                "body1:Ann",
                "body2:Gold",
                "body3:31/03/2024",
                "button1:A-1"
            ]
        );
    }

    #[test]
    fn fields_are_type_aware_with_fallbacks_and_checks() {
        let mut mapping = vec![
            field("external_id"),
            field("first_name"),
            field("plan"),
            ValueMapping {
                source: ValueSource::Field {
                    key: "renewal".into(),
                    date_format: "%d/%m/%Y".into(),
                },
                fallback: String::new(),
            },
            field("external_id"),
        ];
        let r = Renderer::new(&t(), "whatsapp", mapping.clone(), custom());
        let out = r.render(&recipient()).unwrap();
        assert_eq!(out.values, ["A-77", "Ann", "Gold", "31/03/2024", "A-77"]);
        assert_eq!(out.text, "Hi *Ann*, your Gold plan renews on 31/03/2024.");
        let p = r.preview(&out.values);
        assert_eq!(p.whatsapp.header_text, "Order A-77");
        assert!(
            p.sms.text.contains("https://x.test/o/A-77"),
            "{}",
            p.sms.text
        );

        // Empty without a fallback: missing_value, naming the field; with one: the fallback.
        let mut empty = recipient();
        empty.user_fields.remove("plan");
        let (reason, detail) = r.render(&empty).unwrap_err();
        assert_eq!(reason, Reason::MissingValue);
        assert!(detail.contains("plan"), "{detail}");
        mapping[2].fallback = "Standard".into();
        let r = Renderer::new(&t(), "whatsapp", mapping.clone(), custom());
        assert_eq!(r.render(&empty).unwrap().values[2], "Standard");

        // A line break is refused by WhatsApp, fine in an SMS.
        mapping[1] = field("note");
        let wa = Renderer::new(&t(), "whatsapp", mapping.clone(), custom());
        let (reason, detail) = wa.render(&recipient()).unwrap_err();
        assert_eq!(reason, Reason::RenderError);
        assert!(detail.contains("line break"), "{detail}");
        let sms = Renderer::new(&t(), "twilio", mapping, custom());
        let out = sms.render(&recipient()).unwrap();
        assert!(
            out.text.starts_with("Hi Ring\nTwice, your Gold"),
            "{}",
            out.text
        );
        assert_eq!(out.segments, 1);
    }

    #[test]
    fn rendered_limits_are_checked() {
        let long = ValueMapping {
            source: ValueSource::Static {
                value: "x".repeat(1000),
            },
            fallback: String::new(),
        };
        let mapping = vec![
            field("external_id"),
            long.clone(),
            field("plan"),
            field("renewal"),
            field("external_id"),
        ];
        let (reason, detail) = Renderer::new(&t(), "whatsapp", mapping.clone(), custom())
            .render(&recipient())
            .unwrap_err();
        assert_eq!(reason, Reason::RenderError);
        assert!(detail.contains("1,024"), "{detail}");
        let mut huge = mapping.clone();
        huge[1].source = ValueSource::Static {
            value: "y".repeat(1700),
        };
        let (_, detail) = Renderer::new(&t(), "messagebird", huge, custom())
            .render(&recipient())
            .unwrap_err();
        assert!(detail.contains("1600"), "{detail}");
        let ok = Renderer::new(&t(), "twilio", mapping, custom())
            .render(&recipient())
            .unwrap();
        assert_eq!(ok.segments, 7, "1,000+ GSM characters: 7 segments of 153");
    }

    #[test]
    fn the_fingerprint_ignores_per_recipient_values_only() {
        let m = |v: &str| {
            vec![
                field("external_id"),
                ValueMapping {
                    source: ValueSource::Static { value: v.into() },
                    fallback: String::new(),
                },
            ]
        };
        let base = fingerprint(&t(), "whatsapp", &m("A"));
        assert_eq!(base, fingerprint(&t(), "whatsapp", &m("A")));
        assert_ne!(
            base,
            fingerprint(&t(), "whatsapp", &m("B")),
            "static values count"
        );
        assert_ne!(
            base,
            fingerprint(&t(), "sms", &m("A")),
            "the channel counts"
        );
        let mut other = t();
        other.language = "fr".into();
        assert_ne!(
            base,
            fingerprint(&other, "whatsapp", &m("A")),
            "the language counts"
        );
        let mut fallback = m("A");
        fallback[0].fallback = "x".into();
        assert_eq!(
            base,
            fingerprint(&t(), "whatsapp", &fallback),
            "per-recipient values do not"
        );
    }

    #[test]
    fn mappings_that_cannot_work_are_refused_up_front() {
        let available = fields(&custom());
        assert!(check_mapping(&t(), &[field("name")], &available)
            .unwrap_err()
            .contains("5 dynamic value(s) and the mapping 1"));
        let mut m = vec![field("name"); 5];
        m[2] = field("nope");
        assert!(check_mapping(&t(), &m, &available)
            .unwrap_err()
            .contains("no user field \"nope\""));
        m[2] = ValueMapping {
            source: ValueSource::Field {
                key: "renewal".into(),
                date_format: "%Q".into(),
            },
            fallback: String::new(),
        };
        assert!(check_mapping(&t(), &m, &available)
            .unwrap_err()
            .contains("not a date format"));
        m[2] = field("plan");
        assert!(check_mapping(&t(), &m, &available).is_ok());
        assert_eq!(format_date("2024-03-31", "%d %B %Y"), "31 March 2024");
        assert_eq!(format_date("soon", "%d"), "soon");
    }
}
