//! The template validator: pure, table-driven, every number in [`LIMITS`]. It returns errors
//! (which block submission) and warnings, each with a stable [`IssueCode`], the field it
//! concerns (so the designer can point at it) and its text by code. Each part of a template has
//! its file: `header`, `body` (with what each channel drops), `sms`, `buttons`; `limits` holds
//! the numbers.

mod body;
mod buttons;
mod header;
mod limits;
mod sms;

pub use limits::{Limits, LIMITS};

use super::{languages, sanitize_name, Category, Template};
use crate::channel::Channel;
use crate::text::Text;
use serde::{Deserialize, Serialize};
use specta::Type;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// What a validation problem is; its text is `issue.{code}` in the catalogs.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Type,
    strum::AsRefStr,
    strum::Display,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum IssueCode {
    NameRequired,
    NameNotSanitized,
    NameTooLong,
    IntegrationsRequired,
    CategoryAuthentication,
    LanguageRequired,
    LanguageUnknown,
    HeaderTextRequired,
    HeaderValueMalformed,
    HeaderTooManyValues,
    HeaderTooLong,
    HeaderMultiline,
    HeaderFormatting,
    HeaderMediaType,
    HeaderUrlInvalid,
    BodyRequired,
    BodyValueMalformed,
    BodyStartsWithValue,
    BodyEndsWithValue,
    BodyAdjacentValues,
    BodyTooManyValues,
    BodyTab,
    BodySpaces,
    BodyBlankLines,
    BodyTooLong,
    BodyLongMarketing,
    BodyHeadingDropped,
    BodyLinkDropped,
    BodyImageDropped,
    BodyTableDropped,
    BodyHtmlDropped,
    SmsTooLong,
    SmsUcs2,
    SmsOptOutMissing,
    FooterTooLong,
    FooterValues,
    FooterMultiline,
    ButtonsMixed,
    ButtonsTooManyUrls,
    ButtonsTooManyPhones,
    ButtonsTooManyReplies,
    ButtonsTooMany,
    ButtonTextRequired,
    ButtonTextTooLong,
    ButtonTextInvalid,
    ButtonUrlInvalid,
    ButtonUrlTooLong,
    ButtonUrlValues,
    ButtonUrlValueMalformed,
    ButtonUrlValueNotLast,
    ButtonPhoneInvalid,
    ButtonPhoneTooLong,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Issue {
    pub code: IssueCode,
    /// The field: `name`, `category`, `language`, `integrations`, `header.text`, `header.url`,
    /// `body`, `footer`, `buttons`, `buttons[0].text`, `buttons[0].value`.
    pub field: String,
    pub severity: Severity,
    /// What is wrong and what to do (`issue.{code}` with its values).
    pub text: Text,
    /// The channel the issue is about, when it concerns only one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[specta(optional)]
    pub channel: Option<Channel>,
}

pub(super) struct Out(Vec<Issue>);

impl Out {
    /// Adds an issue; the text it returns takes the values of its placeholders.
    pub(super) fn push(
        &mut self,
        severity: Severity,
        code: IssueCode,
        field: &str,
        channel: Option<Channel>,
    ) -> &mut Text {
        self.0.push(Issue {
            code,
            field: field.into(),
            severity,
            text: Text::new(&format!("issue.{code}")),
            channel,
        });
        &mut self.0.last_mut().expect("just pushed").text
    }
    pub(super) fn err(&mut self, code: IssueCode, field: &str) -> &mut Text {
        self.push(Severity::Error, code, field, None)
    }
    pub(super) fn warn(&mut self, code: IssueCode, field: &str) -> &mut Text {
        self.push(Severity::Warning, code, field, None)
    }
}

pub(super) fn len(s: &str) -> usize {
    s.chars().count()
}

/// Validates a template for WhatsApp (when `whatsapp`) and SMS (when `sms`).
pub fn validate(t: &Template, whatsapp: bool, sms: bool) -> Vec<Issue> {
    let mut out = Out(Vec::new());
    let l = LIMITS;

    let (clean, changes) = sanitize_name(&t.name);
    if clean.is_empty() {
        out.err(IssueCode::NameRequired, "name");
    } else if clean != t.name {
        out.err(IssueCode::NameNotSanitized, "name")
            .add("clean", &clean)
            .add_text("changes", Text::list(changes));
    }
    if len(&t.name) > l.name_max {
        out.err(IssueCode::NameTooLong, "name")
            .add("max", l.name_max);
    }
    if t.integrations.is_empty() {
        out.err(IssueCode::IntegrationsRequired, "integrations");
    }

    if whatsapp {
        if t.category == Category::Authentication {
            out.err(IssueCode::CategoryAuthentication, "category");
        }
        if t.language.is_empty() {
            out.err(IssueCode::LanguageRequired, "language");
        } else if !languages().any(|c| c == t.language) {
            out.err(IssueCode::LanguageUnknown, "language")
                .add("value", &t.language);
        }
    }

    header::check(t, &mut out);
    body::check(t, whatsapp, &mut out);
    if sms {
        sms::check(t, &mut out);
    }
    if !t.footer.is_empty() {
        if len(&t.footer) > l.footer_max {
            out.err(IssueCode::FooterTooLong, "footer")
                .add("length", len(&t.footer))
                .add("max", l.footer_max);
        }
        if t.footer.contains("{{") {
            out.err(IssueCode::FooterValues, "footer");
        }
        if t.footer.contains('\n') {
            out.err(IssueCode::FooterMultiline, "footer");
        }
    }

    buttons::check(t, &mut out);
    out.0
}

/// Whether any issue blocks submission.
pub fn has_errors(issues: &[Issue]) -> bool {
    issues.iter().any(|i| i.severity == Severity::Error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::{Button, ButtonKind, Header, HeaderKind};

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
            for i in &issues {
                assert_eq!(i.text.unfilled(), Vec::<String>::new(), "{case}: {i:?}");
                assert_eq!(i.text.key, format!("issue.{}", i.code));
            }
            match expected {
                None => assert!(
                    !has_errors(&issues)
                        && issues
                            .iter()
                            .all(|i| i.code.as_ref() != "header_media_type"),
                    "{case}: expected valid, got {issues:#?}"
                ),
                Some(code) => assert!(
                    issues.iter().any(|i| i.code.as_ref() == code),
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
            .any(|i| i.code.as_ref() == "sms_too_long"));
        let accented = with(|t| t.body = "Ça coûte 5 € seulement, à bientôt.".into());
        let issues = validate(&accented, false, true);
        let ucs = issues
            .iter()
            .find(|i| i.code.as_ref() == "sms_ucs2")
            .expect("UCS-2 warning");
        assert_eq!(ucs.severity, Severity::Warning);
        assert_eq!(ucs.channel, Some(crate::channel::Channel::Sms));
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
