//! The template validator: pure, table-driven, every number in [`LIMITS`]. It returns errors
//! (which block submission) and warnings, each with a stable code and the field it concerns, so
//! the designer can point at the field. Sources: research/formats.md §1 (Meta) and §4 (SMS).

use super::convert::{convert, Channel};
use super::{
    languages, placeholders, positional, sanitize_name, ButtonKind, Category, HeaderKind, Template,
};
use serde::{Deserialize, Serialize};
use specta::Type;

/// Every limit the validator applies, in one place (Meta changes them: keep them here).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub name_max: usize,
    pub header_text_max: usize,
    pub header_values_max: usize,
    pub body_max: usize,
    pub footer_max: usize,
    pub button_text_max: usize,
    pub url_max: usize,
    pub phone_max: usize,
    pub url_buttons_max: usize,
    pub phone_buttons_max: usize,
    pub quick_replies_max: usize,
    pub buttons_max: usize,
    pub body_newlines_max: usize,
    pub spaces_max: usize,
    pub marketing_body_warn: usize,
    pub sms_max: usize,
}

pub const LIMITS: Limits = Limits {
    name_max: 512,
    header_text_max: 60,
    header_values_max: 1,
    body_max: 1024,
    footer_max: 60,
    button_text_max: 25,
    url_max: 2000,
    phone_max: 20,
    url_buttons_max: 2,
    phone_buttons_max: 1,
    quick_replies_max: 10,
    buttons_max: 10,
    body_newlines_max: 2,
    spaces_max: 4,
    marketing_body_warn: 550,
    sms_max: 1600,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Issue {
    /// Stable code (`body_too_long`…), for the UI and tests.
    pub code: String,
    /// The field: `name`, `category`, `language`, `integrations`, `header.text`, `header.url`,
    /// `body`, `footer`, `buttons`, `buttons[0].text`, `buttons[0].value`.
    pub field: String,
    pub severity: Severity,
    pub message: String,
    /// The channel the issue is about, when it concerns only one (`whatsapp` or `sms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[specta(optional)]
    pub channel: Option<String>,
}

struct Out(Vec<Issue>);

impl Out {
    fn push(
        &mut self,
        severity: Severity,
        code: &str,
        field: &str,
        channel: Option<&str>,
        message: String,
    ) {
        self.0.push(Issue {
            code: code.into(),
            field: field.into(),
            severity,
            message,
            channel: channel.map(str::to_string),
        });
    }
    fn err(&mut self, code: &str, field: &str, message: String) {
        self.push(Severity::Error, code, field, None, message);
    }
    fn warn(&mut self, code: &str, field: &str, message: String) {
        self.push(Severity::Warning, code, field, None, message);
    }
}

fn len(s: &str) -> usize {
    s.chars().count()
}

/// Validates a template for WhatsApp (when `whatsapp`) and SMS (when `sms`).
pub fn validate(t: &Template, whatsapp: bool, sms: bool) -> Vec<Issue> {
    let mut out = Out(Vec::new());
    let l = LIMITS;

    // Name.
    let (clean, changes) = sanitize_name(&t.name);
    if clean.is_empty() {
        out.err(
            "name_required",
            "name",
            "Give the template a name (lowercase letters, digits and _).".into(),
        );
    } else if clean != t.name {
        out.err(
            "name_not_sanitized",
            "name",
            format!(
                "Meta accepts only lowercase letters, digits and _: use \"{clean}\" ({}).",
                changes.join(", ")
            ),
        );
    }
    if len(&t.name) > l.name_max {
        out.err(
            "name_too_long",
            "name",
            format!("At most {} characters.", l.name_max),
        );
    }
    if t.integrations.is_empty() {
        out.err(
            "integrations_required",
            "integrations",
            "Choose at least one integration to send this template through.".into(),
        );
    }

    if whatsapp {
        if t.category == Category::Authentication {
            out.err(
                "category_authentication",
                "category",
                "Relay does not send authentication templates: one-time codes need Meta's preset text and a copy-code button, and are sent by your sign-in system, not as campaigns. Choose Utility or Marketing.".into(),
            );
        }
        if t.language.is_empty() {
            out.err(
                "language_required",
                "language",
                "Choose the template's language.".into(),
            );
        } else if !languages().any(|c| c == t.language) {
            out.err(
                "language_unknown",
                "language",
                format!("\"{}\" is not one of Meta's language codes (they are case-sensitive, with an underscore: en_US, pt_BR).", t.language),
            );
        }
    }

    // Header.
    match t.header.kind {
        HeaderKind::None => {}
        HeaderKind::Text => {
            let text = &t.header.text;
            if text.trim().is_empty() {
                out.err(
                    "header_text_required",
                    "header.text",
                    "Write the header text, or choose no header.".into(),
                );
            }
            match placeholders(text) {
                Err(e) => out.err("header_value_malformed", "header.text", e),
                Ok(ps) => {
                    if ps.len() > l.header_values_max {
                        out.err(
                            "header_too_many_values",
                            "header.text",
                            format!(
                                "A header may have at most {} dynamic value.",
                                l.header_values_max
                            ),
                        );
                    }
                    let positional_len = positional(text, 1)
                        .map(|(p, _)| len(&p))
                        .unwrap_or(len(text));
                    if positional_len > l.header_text_max {
                        out.err(
                            "header_too_long",
                            "header.text",
                            format!(
                                "{positional_len} characters: a header holds at most {}.",
                                l.header_text_max
                            ),
                        );
                    }
                }
            }
            if text.contains('\n') {
                out.err(
                    "header_multiline",
                    "header.text",
                    "A header is a single line.".into(),
                );
            }
            if text.contains(['*', '_', '~', '`']) {
                out.err(
                    "header_formatting",
                    "header.text",
                    "Headers cannot be formatted: remove * _ ~ and `.".into(),
                );
            }
        }
        HeaderKind::Image | HeaderKind::Video | HeaderKind::Document => {
            let url = t.header.url.trim();
            match url::Url::parse(url) {
                Ok(u) if u.scheme() == "https" => {
                    let path = u.path().to_ascii_lowercase();
                    let expected: &[&str] = match t.header.kind {
                        HeaderKind::Image => &[".jpg", ".jpeg", ".png"],
                        HeaderKind::Video => &[".mp4", ".3gp"],
                        _ => &[".pdf"],
                    };
                    if !expected.iter().any(|e| path.ends_with(e)) {
                        out.warn(
                            "header_media_type",
                            "header.url",
                            format!("WhatsApp expects {} for this header; check that the link serves such a file.", expected.join(", ")),
                        );
                    }
                }
                _ => out.err(
                    "header_url_invalid",
                    "header.url",
                    "Give the media as an https:// link that anyone can open.".into(),
                ),
            }
        }
    }

    // Body.
    let body = &t.body;
    if body.trim().is_empty() {
        out.err("body_required", "body", "Write the message body.".into());
    }
    match placeholders(body) {
        Err(e) => out.err("body_value_malformed", "body", e),
        Ok(ps) => {
            let trimmed = body.trim();
            if let Some(first) = ps.first() {
                if body[..first.start].trim().is_empty() {
                    out.err(
                        "body_starts_with_value",
                        "body",
                        "The body may not start with a dynamic value: add words before it.".into(),
                    );
                }
            }
            if let Some(last) = ps.last() {
                let after = body[last.end..].trim();
                if after.chars().all(|c| c.is_ascii_punctuation()) && !trimmed.is_empty() {
                    out.err("body_ends_with_value", "body", "The body may not end with a dynamic value (punctuation after it does not count): add words after it.".into());
                }
            }
            for pair in ps.windows(2) {
                if body[pair[0].end..pair[1].start].trim().is_empty() {
                    out.err(
                        "body_adjacent_values",
                        "body",
                        format!(
                            "{{{{{}}}}} and {{{{{}}}}} are side by side: put words between them.",
                            pair[0].example, pair[1].example
                        ),
                    );
                }
            }
            let words = positional(body, 1)
                .map(|(p, _)| p.split_whitespace().filter(|w| !w.contains("{{")).count())
                .unwrap_or(0);
            if !ps.is_empty() && words < 2 * ps.len() + 1 {
                out.warn(
                    "body_too_many_values",
                    "body",
                    format!("{} dynamic values for {words} other words: Meta often rejects templates with fewer than {} words around the values.", ps.len(), 2 * ps.len() + 1),
                );
            }
        }
    }
    if body.contains('\t') {
        out.err(
            "body_tab",
            "body",
            "Tabs are not allowed: use spaces.".into(),
        );
    }
    if body.contains(&" ".repeat(l.spaces_max + 1)) {
        out.err(
            "body_spaces",
            "body",
            format!(
                "More than {} spaces in a row are not allowed.",
                l.spaces_max
            ),
        );
    }
    if body.contains(&"\n".repeat(l.body_newlines_max + 1)) {
        out.err(
            "body_blank_lines",
            "body",
            "At most one empty line between paragraphs.".into(),
        );
    }
    if whatsapp {
        let (wa, dropped) = convert(body, Channel::WhatsApp);
        // What Meta receives, escapes of literal markers included.
        let wa_len = positional(&wa, 1).map(|(p, _)| len(&p)).unwrap_or(len(&wa));
        if wa_len > l.body_max {
            out.push(
                Severity::Error,
                "body_too_long",
                "body",
                Some("whatsapp"),
                format!(
                    "{wa_len} characters: a WhatsApp body holds at most {}.",
                    l.body_max
                ),
            );
        }
        if t.category == Category::Marketing && wa_len > l.marketing_body_warn {
            out.push(
                Severity::Warning,
                "body_long_marketing",
                "body",
                Some("whatsapp"),
                format!(
                    "WhatsApp folds long marketing messages; keep them under {} characters.",
                    l.marketing_body_warn
                ),
            );
        }
        for d in dropped {
            out.push(
                Severity::Warning,
                &format!("body_{}_dropped", d.what),
                "body",
                Some("whatsapp"),
                d.message,
            );
        }
    }
    if sms {
        let (text, dropped) = convert(body, Channel::Sms);
        let full = super::fill(
            &format!("{}{}", text, super::preview::sms_buttons(&t.buttons)),
            &[],
        );
        if len(&full) > l.sms_max {
            out.push(Severity::Error, "sms_too_long", "body", Some("sms"), format!("{} characters with the examples: an SMS holds at most {} (Twilio error 21617).", len(&full), l.sms_max));
        }
        for d in dropped {
            out.push(
                Severity::Warning,
                &format!("body_{}_dropped", d.what),
                "body",
                Some("sms"),
                d.message,
            );
        }
        let info = crate::sms::analyze(&full);
        if info.encoding == crate::sms::SmsEncoding::Ucs2 && !info.non_gsm.is_empty() {
            let chars: Vec<&str> = info.non_gsm.iter().map(|c| c.char.as_str()).collect();
            out.push(
                Severity::Warning,
                "sms_ucs2",
                "body",
                Some("sms"),
                format!(
                    "{} force UCS-2: {} segment(s) of 67 characters instead of 153.",
                    chars.join(" "),
                    info.segments
                ),
            );
        }
    }

    // Footer.
    if !t.footer.is_empty() {
        if len(&t.footer) > l.footer_max {
            out.err(
                "footer_too_long",
                "footer",
                format!(
                    "{} characters: a footer holds at most {}.",
                    len(&t.footer),
                    l.footer_max
                ),
            );
        }
        if t.footer.contains("{{") {
            out.err(
                "footer_values",
                "footer",
                "A footer cannot have dynamic values.".into(),
            );
        }
        if t.footer.contains('\n') {
            out.err(
                "footer_multiline",
                "footer",
                "A footer is a single line.".into(),
            );
        }
    }

    // Buttons.
    let count = |k: ButtonKind| t.buttons.iter().filter(|b| b.kind == k).count();
    let (urls, phones, replies) = (
        count(ButtonKind::Url),
        count(ButtonKind::Phone),
        count(ButtonKind::QuickReply),
    );
    if replies > 0 && urls + phones > 0 {
        out.err(
            "buttons_mixed",
            "buttons",
            "Use calls to action (links, a phone call) or quick replies, not both in one template."
                .into(),
        );
    }
    if urls > l.url_buttons_max {
        out.err(
            "buttons_too_many_urls",
            "buttons",
            format!("At most {} link buttons.", l.url_buttons_max),
        );
    }
    if phones > l.phone_buttons_max {
        out.err(
            "buttons_too_many_phones",
            "buttons",
            format!("At most {} phone button.", l.phone_buttons_max),
        );
    }
    if replies > l.quick_replies_max {
        out.err(
            "buttons_too_many_replies",
            "buttons",
            format!("At most {} quick replies.", l.quick_replies_max),
        );
    }
    if t.buttons.len() > l.buttons_max {
        out.err(
            "buttons_too_many",
            "buttons",
            format!("At most {} buttons.", l.buttons_max),
        );
    }
    for (i, b) in t.buttons.iter().enumerate() {
        let field = format!("buttons[{i}].text");
        if b.text.trim().is_empty() {
            out.err(
                "button_text_required",
                &field,
                "Give the button a label.".into(),
            );
        } else if len(&b.text) > l.button_text_max {
            out.err(
                "button_text_too_long",
                &field,
                format!(
                    "{} characters: a button label holds at most {}.",
                    len(&b.text),
                    l.button_text_max
                ),
            );
        }
        if b.text.contains("{{") || b.text.contains('\n') {
            out.err(
                "button_text_invalid",
                &field,
                "A button label is one line without dynamic values.".into(),
            );
        }
        let vfield = format!("buttons[{i}].value");
        match b.kind {
            ButtonKind::Url => {
                let v = b.value.trim();
                if !v.starts_with("https://")
                    || url::Url::parse(v.replace("{{", "").replace("}}", "").as_str()).is_err()
                {
                    out.err(
                        "button_url_invalid",
                        &vfield,
                        "Give an https:// link.".into(),
                    );
                }
                if len(v) > l.url_max {
                    out.err(
                        "button_url_too_long",
                        &vfield,
                        format!("At most {} characters.", l.url_max),
                    );
                }
                match placeholders(v) {
                    Ok(ps) if ps.len() > 1 => out.err("button_url_values", &vfield, "A link may have one dynamic value, at its end.".into()),
                    Ok(ps) if ps.len() == 1 && ps[0].end != v.len() => {
                        out.err("button_url_value_not_last", &vfield, "The dynamic value of a link must be at its very end (https://example.com/track/{{A-1042}}).".into())
                    }
                    Err(e) => out.err("button_url_values", &vfield, e),
                    _ => {}
                }
            }
            ButtonKind::Phone => {
                let v = b.value.trim();
                let valid = phonenumber::parse(None, v)
                    .map(|p| phonenumber::is_valid(&p))
                    .unwrap_or(false);
                if !v.starts_with('+') || !valid {
                    out.err(
                        "button_phone_invalid",
                        &vfield,
                        "Give a phone number with + and the country code, e.g. +33612345678."
                            .into(),
                    );
                } else if len(v) > l.phone_max {
                    out.err(
                        "button_phone_too_long",
                        &vfield,
                        format!("At most {} characters.", l.phone_max),
                    );
                }
            }
            ButtonKind::QuickReply => {}
        }
    }
    out.0
}

/// Whether any issue blocks submission.
pub fn has_errors(issues: &[Issue]) -> bool {
    issues.iter().any(|i| i.severity == Severity::Error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::{Button, Header};

    fn ok() -> Template {
        Template {
            name: "order_shipped".into(),
            integrations: vec!["wa1".into()],
            category: Category::Utility,
            language: "en_US".into(),
            header: Header::default(),
            body: "Hi {{Clarice}}, your order {{A-1042}} has shipped. Track it any time.".into(),
            footer: String::new(),
            buttons: vec![],
        }
    }

    fn with(f: impl FnOnce(&mut Template)) -> Template {
        let mut t = ok();
        f(&mut t);
        t
    }

    fn button(kind: ButtonKind, text: &str, value: &str) -> Button {
        Button {
            kind,
            text: text.into(),
            value: value.into(),
        }
    }

    /// (case, template, expected code or None for valid, severity)
    #[test]
    fn the_validation_table() {
        let s = |n: usize| "a".repeat(n);
        let words = |n: usize| vec!["word"; n].join(" ");
        let cases: Vec<(&str, Template, Option<&str>)> = vec![
            ("valid", ok(), None),
            (
                "name empty",
                with(|t| t.name = "".into()),
                Some("name_required"),
            ),
            (
                "name capitals",
                with(|t| t.name = "Order".into()),
                Some("name_not_sanitized"),
            ),
            (
                "name space",
                with(|t| t.name = "order shipped".into()),
                Some("name_not_sanitized"),
            ),
            (
                "name accent",
                with(|t| t.name = "été".into()),
                Some("name_not_sanitized"),
            ),
            ("name 512", with(|t| t.name = s(512)), None),
            ("name 513", with(|t| t.name = s(513)), Some("name_too_long")),
            (
                "no integration",
                with(|t| t.integrations.clear()),
                Some("integrations_required"),
            ),
            (
                "authentication",
                with(|t| t.category = Category::Authentication),
                Some("category_authentication"),
            ),
            (
                "marketing",
                with(|t| t.category = Category::Marketing),
                None,
            ),
            (
                "language empty",
                with(|t| t.language = "".into()),
                Some("language_required"),
            ),
            (
                "language en-US",
                with(|t| t.language = "en-US".into()),
                Some("language_unknown"),
            ),
            (
                "language pt_BR",
                with(|t| t.language = "pt_BR".into()),
                None,
            ),
            (
                "language xx",
                with(|t| t.language = "xx".into()),
                Some("language_unknown"),
            ),
            (
                "header text 60",
                with(|t| {
                    t.header.kind = HeaderKind::Text;
                    t.header.text = s(60)
                }),
                None,
            ),
            (
                "header text 61",
                with(|t| {
                    t.header.kind = HeaderKind::Text;
                    t.header.text = s(61)
                }),
                Some("header_too_long"),
            ),
            (
                "header 55 + value",
                with(|t| {
                    t.header.kind = HeaderKind::Text;
                    t.header.text = format!("{} {{{{Long example value}}}}", s(54))
                }),
                None,
            ),
            (
                "header 56 + value",
                with(|t| {
                    t.header.kind = HeaderKind::Text;
                    t.header.text = format!("{} {{{{x}}}}", s(55))
                }),
                Some("header_too_long"),
            ),
            (
                "header two values",
                with(|t| {
                    t.header.kind = HeaderKind::Text;
                    t.header.text = "{{A}} and {{B}}".into()
                }),
                Some("header_too_many_values"),
            ),
            (
                "header empty",
                with(|t| t.header.kind = HeaderKind::Text),
                Some("header_text_required"),
            ),
            (
                "header newline",
                with(|t| {
                    t.header.kind = HeaderKind::Text;
                    t.header.text = "a\nb".into()
                }),
                Some("header_multiline"),
            ),
            (
                "header bold",
                with(|t| {
                    t.header.kind = HeaderKind::Text;
                    t.header.text = "*Sale*".into()
                }),
                Some("header_formatting"),
            ),
            (
                "header image",
                with(|t| {
                    t.header.kind = HeaderKind::Image;
                    t.header.url = "https://cdn.example.com/a.jpg".into()
                }),
                None,
            ),
            (
                "header image http",
                with(|t| {
                    t.header.kind = HeaderKind::Image;
                    t.header.url = "http://cdn.example.com/a.jpg".into()
                }),
                Some("header_url_invalid"),
            ),
            (
                "header image not url",
                with(|t| {
                    t.header.kind = HeaderKind::Image;
                    t.header.url = "a.jpg".into()
                }),
                Some("header_url_invalid"),
            ),
            (
                "header image gif",
                with(|t| {
                    t.header.kind = HeaderKind::Image;
                    t.header.url = "https://x.com/a.gif".into()
                }),
                Some("header_media_type"),
            ),
            (
                "header document pdf",
                with(|t| {
                    t.header.kind = HeaderKind::Document;
                    t.header.url = "https://x.com/a.pdf".into()
                }),
                None,
            ),
            (
                "header video mp4",
                with(|t| {
                    t.header.kind = HeaderKind::Video;
                    t.header.url = "https://x.com/a.mp4".into()
                }),
                None,
            ),
            (
                "body empty",
                with(|t| t.body = " ".into()),
                Some("body_required"),
            ),
            (
                "body 1024",
                with(|t| t.body = format!("Hi {}", s(1021))),
                None,
            ),
            (
                "body 1025",
                with(|t| t.body = format!("Hi {}", s(1022))),
                Some("body_too_long"),
            ),
            (
                "body starts with value",
                with(|t| t.body = "{{Clarice}}, your order is ready to collect today.".into()),
                Some("body_starts_with_value"),
            ),
            (
                "body ends with value",
                with(|t| t.body = "Your order is ready to collect today, {{Clarice}}".into()),
                Some("body_ends_with_value"),
            ),
            (
                "body ends with value.",
                with(|t| t.body = "Your order is ready to collect today, {{Clarice}}.".into()),
                Some("body_ends_with_value"),
            ),
            (
                "body adjacent",
                with(|t| t.body = "Hi {{Clarice}} {{Martin}}, your order is ready today.".into()),
                Some("body_adjacent_values"),
            ),
            (
                "body unclosed",
                with(|t| t.body = "Hi {{Clarice, your order.".into()),
                Some("body_value_malformed"),
            ),
            (
                "body empty value",
                with(|t| t.body = "Hi {{}} there you go.".into()),
                Some("body_value_malformed"),
            ),
            (
                "body ratio",
                with(|t| t.body = "Hi {{A}} and {{B}} ok".into()),
                Some("body_too_many_values"),
            ),
            (
                "body ratio ok",
                with(|t| t.body = format!("Hi {{{{A}}}} {}", words(3))),
                None,
            ),
            (
                "body tab",
                with(|t| t.body = "Hi\tthere".into()),
                Some("body_tab"),
            ),
            (
                "body 4 spaces",
                with(|t| t.body = "Hi    there".into()),
                None,
            ),
            (
                "body 5 spaces",
                with(|t| t.body = "Hi     there".into()),
                Some("body_spaces"),
            ),
            (
                "body 1 blank line",
                with(|t| t.body = "Hi\n\nthere".into()),
                None,
            ),
            (
                "body 2 blank lines",
                with(|t| t.body = "Hi\n\n\nthere".into()),
                Some("body_blank_lines"),
            ),
            (
                "body table",
                with(|t| t.body = "Hi\n\n| a | b |\n|---|---|\n| 1 | 2 |".into()),
                Some("body_table_dropped"),
            ),
            (
                "body image",
                with(|t| t.body = "Hi ![x](https://x/y.png) there".into()),
                Some("body_image_dropped"),
            ),
            (
                "body marketing long",
                with(|t| {
                    t.category = Category::Marketing;
                    t.body = format!("Hi {}", s(600))
                }),
                Some("body_long_marketing"),
            ),
            ("footer 60", with(|t| t.footer = s(60)), None),
            (
                "footer 61",
                with(|t| t.footer = s(61)),
                Some("footer_too_long"),
            ),
            (
                "footer value",
                with(|t| t.footer = "Bye {{Clarice}}".into()),
                Some("footer_values"),
            ),
            (
                "footer newline",
                with(|t| t.footer = "a\nb".into()),
                Some("footer_multiline"),
            ),
            (
                "button text 25",
                with(|t| t.buttons = vec![button(ButtonKind::QuickReply, &s(25), "")]),
                None,
            ),
            (
                "button text 26",
                with(|t| t.buttons = vec![button(ButtonKind::QuickReply, &s(26), "")]),
                Some("button_text_too_long"),
            ),
            (
                "button text empty",
                with(|t| t.buttons = vec![button(ButtonKind::QuickReply, " ", "")]),
                Some("button_text_required"),
            ),
            (
                "button text value",
                with(|t| t.buttons = vec![button(ButtonKind::QuickReply, "{{x}}", "")]),
                Some("button_text_invalid"),
            ),
            (
                "10 quick replies",
                with(|t| {
                    t.buttons = (0..10)
                        .map(|i| button(ButtonKind::QuickReply, &format!("R{i}"), ""))
                        .collect()
                }),
                None,
            ),
            (
                "11 quick replies",
                with(|t| {
                    t.buttons = (0..11)
                        .map(|i| button(ButtonKind::QuickReply, &format!("R{i}"), ""))
                        .collect()
                }),
                Some("buttons_too_many_replies"),
            ),
            (
                "mixed",
                with(|t| {
                    t.buttons = vec![
                        button(ButtonKind::QuickReply, "Yes", ""),
                        button(ButtonKind::Url, "Go", "https://x.com"),
                    ]
                }),
                Some("buttons_mixed"),
            ),
            (
                "2 urls",
                with(|t| {
                    t.buttons = vec![
                        button(ButtonKind::Url, "A", "https://a.com"),
                        button(ButtonKind::Url, "B", "https://b.com"),
                    ]
                }),
                None,
            ),
            (
                "3 urls",
                with(|t| {
                    t.buttons = (0..3)
                        .map(|_| button(ButtonKind::Url, "A", "https://a.com"))
                        .collect()
                }),
                Some("buttons_too_many_urls"),
            ),
            (
                "2 phones",
                with(|t| {
                    t.buttons = (0..2)
                        .map(|_| button(ButtonKind::Phone, "Call", "+33612345678"))
                        .collect()
                }),
                Some("buttons_too_many_phones"),
            ),
            (
                "url http",
                with(|t| t.buttons = vec![button(ButtonKind::Url, "Go", "http://x.com")]),
                Some("button_url_invalid"),
            ),
            (
                "url trailing value",
                with(|t| {
                    t.buttons = vec![button(
                        ButtonKind::Url,
                        "Track",
                        "https://x.com/t/{{A-1042}}",
                    )]
                }),
                None,
            ),
            (
                "url value in middle",
                with(|t| {
                    t.buttons = vec![button(ButtonKind::Url, "Track", "https://x.com/{{A}}/t")]
                }),
                Some("button_url_value_not_last"),
            ),
            (
                "url two values",
                with(|t| {
                    t.buttons = vec![button(
                        ButtonKind::Url,
                        "Track",
                        "https://x.com/{{A}}/{{B}}",
                    )]
                }),
                Some("button_url_values"),
            ),
            (
                "url 2000",
                with(|t| {
                    t.buttons = vec![button(
                        ButtonKind::Url,
                        "Go",
                        &format!("https://x.com/{}", s(1986)),
                    )]
                }),
                None,
            ),
            (
                "url 2001",
                with(|t| {
                    t.buttons = vec![button(
                        ButtonKind::Url,
                        "Go",
                        &format!("https://x.com/{}", s(1987)),
                    )]
                }),
                Some("button_url_too_long"),
            ),
            (
                "phone ok",
                with(|t| t.buttons = vec![button(ButtonKind::Phone, "Call", "+33612345678")]),
                None,
            ),
            (
                "phone no plus",
                with(|t| t.buttons = vec![button(ButtonKind::Phone, "Call", "0612345678")]),
                Some("button_phone_invalid"),
            ),
            (
                "phone invalid",
                with(|t| t.buttons = vec![button(ButtonKind::Phone, "Call", "+12")]),
                Some("button_phone_invalid"),
            ),
        ];
        assert!(cases.len() >= 60, "{} cases", cases.len());
        for (case, t, expected) in cases {
            let issues = validate(&t, true, false);
            match expected {
                None => assert!(
                    !has_errors(&issues) && issues.iter().all(|i| i.code != "header_media_type"),
                    "{case}: expected valid, got {issues:#?}"
                ),
                Some(code) => assert!(
                    issues.iter().any(|i| i.code == code),
                    "{case}: expected {code}, got {issues:#?}"
                ),
            }
        }
    }

    #[test]
    fn sms_checks_the_rendered_length_and_encoding() {
        let long = with(|t| t.body = format!("Hi {}", "a".repeat(1600)));
        assert!(validate(&long, false, true)
            .iter()
            .any(|i| i.code == "sms_too_long"));
        let accented = with(|t| t.body = "Ça coûte 5 € seulement, à bientôt.".into());
        let issues = validate(&accented, false, true);
        let ucs = issues
            .iter()
            .find(|i| i.code == "sms_ucs2")
            .expect("UCS-2 warning");
        assert_eq!(ucs.severity, Severity::Warning);
        assert_eq!(ucs.channel.as_deref(), Some("sms"));
        // An AUTHENTICATION category and a bad language are WhatsApp concerns only.
        let sms_only = with(|t| {
            t.category = Category::Authentication;
            t.language = "xx".into()
        });
        assert!(!has_errors(&validate(&sms_only, false, true)));
    }

    #[test]
    fn every_issue_names_its_field() {
        let bad = with(|t| {
            t.name = "Bad Name".into();
            t.footer = "{{x}}".into();
            t.buttons = vec![button(ButtonKind::Url, "", "ftp://x")];
        });
        let fields: Vec<String> = validate(&bad, true, true)
            .into_iter()
            .map(|i| i.field)
            .collect();
        for f in ["name", "footer", "buttons[0].text", "buttons[0].value"] {
            assert!(fields.contains(&f.to_string()), "{f} in {fields:?}");
        }
    }
}
