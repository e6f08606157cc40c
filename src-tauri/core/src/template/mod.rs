//! Templates: the model, Meta's and the carriers' rules (a pure, table-driven validator), dynamic
//! values, Markdown converted per channel, the Meta create payload, and safe preview HTML.
//!
//! A dynamic value is written `{{Example}}`: two braces, an example of the value, two braces. The
//! example is what previews show and what Meta receives as the sample; the template sent to Meta
//! uses positional `{{1}}..{{n}}` in order of appearance.

pub mod convert;
pub mod drafts;
pub mod library;
pub mod preview;
pub mod publish;
pub mod translations;
pub mod validate;

use crate::text::Text;
use serde::{Deserialize, Serialize};
use specta::Type;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Type)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Category {
    #[default]
    Utility,
    Marketing,
    Authentication,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum HeaderKind {
    #[default]
    None,
    Text,
    Image,
    Video,
    Document,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Type)]
#[serde(default)]
pub struct Header {
    pub kind: HeaderKind,
    /// For a text header (at most one dynamic value).
    pub text: String,
    /// For a media header: an https URL.
    pub url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ButtonKind {
    /// Opens a URL (at most one trailing dynamic value).
    Url,
    /// Calls a phone number.
    Phone,
    QuickReply,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Button {
    pub kind: ButtonKind,
    pub text: String,
    /// URL buttons: the https URL; phone buttons: the number in E.164.
    #[serde(default)]
    pub value: String,
}

/// A template as the designer edits it (and as the JSON template file holds it).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Type)]
#[serde(default)]
pub struct Template {
    pub name: String,
    /// Ids of the integrations it is for.
    pub integrations: Vec<String>,
    pub category: Category,
    /// Meta's language code (`en_US`, `fr`, `pt_BR`…).
    pub language: String,
    pub header: Header,
    /// The body, as Markdown, with `{{Example}}` dynamic values.
    pub body: String,
    /// WhatsApp only, no dynamic values.
    pub footer: String,
    pub buttons: Vec<Button>,
}

/// What the designer shows as you type: the problems, both previews, and the sanitized name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct TemplateCheck {
    pub issues: Vec<validate::Issue>,
    pub preview: preview::Preview,
    pub sanitized_name: String,
    pub name_changes: Vec<Text>,
}

/// Validates for both channels and renders both previews with the examples (offline, pure).
pub fn check(t: &Template) -> TemplateCheck {
    let (sanitized_name, name_changes) = sanitize_name(&t.name);
    TemplateCheck {
        issues: validate::validate(t, true, true),
        preview: preview::preview(t, &[], &[]),
        sanitized_name,
        name_changes,
    }
}

/// Meta's language codes (specs/whatsapp_languages.txt).
pub fn languages() -> impl Iterator<Item = &'static str> {
    include_str!("../whatsapp_languages.txt")
        .lines()
        .filter(|l| !l.is_empty())
}

/// A dynamic value found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    pub example: String,
    /// Byte range of `{{…}}` in the text.
    pub start: usize,
    pub end: usize,
}

/// Finds the `{{Example}}` dynamic values of a text; a malformed one is an error with a reason.
pub fn placeholders(text: &str) -> Result<Vec<Placeholder>, Text> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(rel) = text[i..].find("{{") {
        let start = i + rel;
        let after = start + 2;
        let Some(close_rel) = text[after..].find("}}") else {
            return Err(crate::text!("placeholder.unclosed"));
        };
        let end = after + close_rel + 2;
        let example = &text[after..after + close_rel];
        if example.trim().is_empty() {
            return Err(crate::text!("placeholder.empty"));
        }
        if example.contains('{') || example.contains('\n') {
            return Err(crate::text!("placeholder.unfinished", example = example));
        }
        out.push(Placeholder {
            example: example.trim().to_string(),
            start,
            end,
        });
        i = end;
    }
    if text[i..].contains("}}") {
        return Err(crate::text!("placeholder.stray_close"));
    }
    Ok(out)
}

/// Replaces the dynamic values with `{{first}}..` positional numbers.
pub fn positional(text: &str, first: usize) -> Result<(String, Vec<String>), Text> {
    let ps = placeholders(text)?;
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut examples = Vec::new();
    for (n, p) in ps.iter().enumerate() {
        out.push_str(&text[last..p.start]);
        out.push_str(&format!("{{{{{}}}}}", first + n));
        examples.push(p.example.clone());
        last = p.end;
    }
    out.push_str(&text[last..]);
    Ok((out, examples))
}

/// Replaces each dynamic value with the value of the same position (examples, or a recipient's).
pub fn fill(text: &str, values: &[String]) -> String {
    let Ok(ps) = placeholders(text) else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (n, p) in ps.iter().enumerate() {
        out.push_str(&text[last..p.start]);
        out.push_str(values.get(n).map(String::as_str).unwrap_or(&p.example));
        last = p.end;
    }
    out.push_str(&text[last..]);
    out
}

/// Meta's name rules: lowercase letters, digits and `_`, at most 512. Returns the sanitized
/// name and, in words, what was changed.
pub fn sanitize_name(input: &str) -> (String, Vec<Text>) {
    let mut changes = Vec::new();
    let mut out = String::with_capacity(input.len());
    let (mut upper, mut spaces, mut dropped) = (false, false, Vec::new());
    for c in input.trim().chars() {
        match c {
            'a'..='z' | '0'..='9' | '_' => out.push(c),
            'A'..='Z' => {
                upper = true;
                out.push(c.to_ascii_lowercase());
            }
            ' ' | '-' | '.' => {
                spaces = true;
                if !out.ends_with('_') {
                    out.push('_');
                }
            }
            c => {
                let plain = deaccent(c);
                if let Some(p) = plain {
                    out.push(p);
                } else if !dropped.contains(&c) {
                    dropped.push(c);
                }
            }
        }
    }
    if upper {
        changes.push(crate::text!("name_change.lowercase"));
    }
    if spaces {
        changes.push(crate::text!("name_change.spaces"));
    }
    if input.trim().chars().any(|c| deaccent(c).is_some()) {
        changes.push(crate::text!("name_change.accents"));
    }
    if !dropped.is_empty() {
        changes.push(crate::text!(
            "name_change.removed",
            chars = dropped.iter().collect::<String>()
        ));
    }
    if out.len() > 512 {
        out.truncate(512);
        changes.push(crate::text!("name_change.cut", max = 512));
    }
    (out, changes)
}

fn deaccent(c: char) -> Option<char> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'ç' | 'Ç' => 'c',
        'ñ' | 'Ñ' => 'n',
        _ => return None,
    })
}

/// The Meta create payload (through Sunshine Conversations' v1.1 messageTemplates): components
/// with positional `{{n}}` and their examples (`example.header_text`, `example.body_text`, URL
/// `example`). The body is the WhatsApp conversion of the Markdown. Media headers carry no
/// example handle here: Meta's upload handles are not available through Sunshine Conversations.
pub fn meta_payload(t: &Template) -> Result<serde_json::Value, Text> {
    use serde_json::json;
    let mut components = Vec::new();
    match t.header.kind {
        HeaderKind::None => {}
        HeaderKind::Text => {
            let (text, examples) = positional(&t.header.text, 1)?;
            let mut c = json!({"type": "HEADER", "format": "TEXT", "text": text});
            if !examples.is_empty() {
                c["example"] = json!({"header_text": examples});
            }
            components.push(c);
        }
        kind => {
            let format = match kind {
                HeaderKind::Image => "IMAGE",
                HeaderKind::Video => "VIDEO",
                _ => "DOCUMENT",
            };
            components.push(json!({"type": "HEADER", "format": format, "example": {"header_url": [t.header.url]}}));
        }
    }
    let (wa, _) = convert::convert(&t.body, convert::Channel::WhatsApp);
    // The zero-width spaces that keep literal markers literal stay: Meta must receive them.
    let (body, examples) = positional(&wa, 1)?;
    let mut c = json!({"type": "BODY", "text": body});
    if !examples.is_empty() {
        c["example"] = json!({"body_text": [examples]});
    }
    components.push(c);
    if !t.footer.is_empty() {
        components.push(json!({"type": "FOOTER", "text": t.footer}));
    }
    if !t.buttons.is_empty() {
        let buttons: Result<Vec<_>, Text> = t
            .buttons
            .iter()
            .map(|b| {
                Ok(match b.kind {
                    ButtonKind::QuickReply => json!({"type": "QUICK_REPLY", "text": b.text}),
                    ButtonKind::Phone => json!({"type": "PHONE_NUMBER", "text": b.text, "phone_number": b.value.trim()}),
                    ButtonKind::Url => {
                        let (url, examples) = positional(b.value.trim(), 1)?;
                        let mut v = json!({"type": "URL", "text": b.text, "url": url});
                        if !examples.is_empty() {
                            v["example"] = json!(examples);
                        }
                        v
                    }
                })
            })
            .collect();
        components.push(json!({"type": "BUTTONS", "buttons": buttons?}));
    }
    let category = match t.category {
        Category::Marketing => "MARKETING",
        Category::Utility => "UTILITY",
        Category::Authentication => "AUTHENTICATION",
    };
    Ok(json!({
        "name": t.name,
        "language": t.language,
        "category": category,
        "allow_category_change": true,
        "components": components,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_values_become_positional_with_their_examples() {
        let (text, examples) =
            positional("Hi {{Clarice}}, order {{A-1042}} ships {{Monday}}.", 1).unwrap();
        assert_eq!(text, "Hi {{1}}, order {{2}} ships {{3}}.");
        assert_eq!(examples, ["Clarice", "A-1042", "Monday"]);
        assert_eq!(fill("Hi {{Clarice}}!", &["Ann".into()]), "Hi Ann!");
        assert_eq!(
            fill("Hi {{Clarice}}!", &[]),
            "Hi Clarice!",
            "examples by default"
        );
    }

    #[test]
    fn malformed_dynamic_values_are_explained() {
        for (text, needle) in [
            ("Hi {{", "never closed"),
            ("Hi {{}} there", "needs an example"),
            ("a }} b", "never opened"),
            ("{{a {{b}}", "not closed"),
        ] {
            let err = placeholders(text).unwrap_err().english();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn names_are_sanitized_and_the_changes_named() {
        let (name, changes) = sanitize_name("Été Promo-2024!");
        assert_eq!(name, "ete_promo_2024");
        let changes: Vec<String> = changes.iter().map(Text::english).collect();
        assert!(changes.iter().any(|c| c.contains("lowercase")));
        assert!(changes.iter().any(|c| c.contains("accents")));
        assert!(changes.iter().any(|c| c.contains("removed: !")));
        assert_eq!(sanitize_name("order_shipped").1, Vec::<Text>::new());
        assert_eq!(sanitize_name(&"a".repeat(600)).0.len(), 512);
    }

    #[test]
    fn the_meta_payload_keeps_literal_markers_literal() {
        let t = Template {
            body: r"Use code\_name and 5 \* 3 today, {{Ann}}, thanks".into(),
            ..Template::default()
        };
        let body = meta_payload(&t).unwrap()["components"][0]["text"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            body.contains("_\u{200B}") && body.contains("*\u{200B}"),
            "escapes reach Meta: {body:?}"
        );
        assert!(body.contains("{{1}}"));
    }

    #[test]
    fn the_language_list_is_meta_s() {
        let all: Vec<_> = languages().collect();
        assert_eq!(all.len(), 111);
        assert!(all.contains(&"pt_BR") && all.contains(&"en_US") && all.contains(&"fr"));
    }
}
