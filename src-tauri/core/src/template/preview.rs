//! Previews: the message exactly as each channel shows it, with the examples or a recipient's
//! values. WhatsApp formatting is rendered by our own tokenizer to escaped HTML and then passed
//! through an `ammonia` whitelist: no input can put markup or script into the web view.

use super::convert::{convert, Channel};
use super::{fill, Button, ButtonKind, HeaderKind, Template};
use crate::sms::{analyze, SmsInfo};
use serde::{Deserialize, Serialize};
use specta::Type;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// The only elements a preview may contain.
pub const ALLOWED_TAGS: [&str; 11] = [
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "br",
    "p",
];

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.tags(ALLOWED_TAGS.iter().copied().collect::<HashSet<_>>())
        .tag_attributes(HashMap::new())
        .generic_attributes(HashSet::new())
        .url_schemes(HashSet::new())
        .link_rel(None)
        .strip_comments(true);
    b
});

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const ZWSP: char = '\u{200B}';

/// Inline WhatsApp formatting of one line: `*bold*`, `_italic_`, `~strike~`, `` `code` ``,
/// ```` ```mono``` ````. A marker opens only before a non-space and closes only after one, on
/// the same line; a marker followed by a zero-width space is literal.
fn inline(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '`' && chars[i..].starts_with(&['`', '`', '`']) {
            if let Some(end) = find_seq(&chars, i + 3, &['`', '`', '`']) {
                out.push_str("<code>");
                out.push_str(&escape(&chars[i + 3..end].iter().collect::<String>()));
                out.push_str("</code>");
                i = end + 3;
                continue;
            }
        }
        if matches!(c, '*' | '_' | '~' | '`') {
            let opens = chars
                .get(i + 1)
                .is_some_and(|n| !n.is_whitespace() && *n != ZWSP && *n != c);
            if opens {
                if let Some(end) = (i + 2..chars.len()).find(|&j| {
                    chars[j] == c
                        && !chars[j - 1].is_whitespace()
                        && chars.get(j + 1) != Some(&ZWSP)
                }) {
                    let inner: String = chars[i + 1..end].iter().collect();
                    let (open, close, body) = match c {
                        '*' => ("<strong>", "</strong>", inline(&inner)),
                        '_' => ("<em>", "</em>", inline(&inner)),
                        '~' => ("<del>", "</del>", inline(&inner)),
                        _ => ("<code>", "</code>", escape(&inner)),
                    };
                    out.push_str(open);
                    out.push_str(&body);
                    out.push_str(close);
                    i = end + 1;
                    continue;
                }
            }
        }
        if c != ZWSP {
            out.push_str(&escape(&c.to_string()));
        }
        i += 1;
    }
    out
}

fn find_seq(chars: &[char], from: usize, seq: &[char]) -> Option<usize> {
    (from..chars.len().saturating_sub(seq.len() - 1)).find(|&j| chars[j..].starts_with(seq))
}

/// WhatsApp-formatted text → safe HTML (lists, quotes, line breaks, inline styles).
pub fn whatsapp_html(text: &str) -> String {
    let mut html = String::new();
    let mut list: Option<&str> = None;
    let mut in_pre = false;
    for line in text.split('\n') {
        if let Some(rest) = line
            .trim()
            .strip_prefix("```")
            .filter(|r| !r.contains("```"))
        {
            // A fenced block over several lines.
            if in_pre {
                html.push_str("</pre>");
            } else {
                close_list(&mut html, &mut list);
                html.push_str("<pre>");
            }
            in_pre = !in_pre;
            if !rest.is_empty() {
                html.push_str(&escape(rest));
            }
            continue;
        }
        if in_pre {
            html.push_str(&escape(line));
            html.push_str("<br>");
            continue;
        }
        let trimmed = line.trim_start();
        let item = if let Some(rest) = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "))
        {
            Some(("ul", rest))
        } else {
            let digits = trimmed.chars().take_while(|c| c.is_ascii_digit()).count();
            (digits > 0 && trimmed[digits..].starts_with(". "))
                .then(|| ("ol", &trimmed[digits + 2..]))
        };
        match item {
            Some((kind, rest)) => {
                if list != Some(kind) {
                    close_list(&mut html, &mut list);
                    html.push_str(&format!("<{kind}>"));
                    list = Some(kind);
                }
                html.push_str("<li>");
                html.push_str(&inline(rest));
                html.push_str("</li>");
            }
            None => {
                close_list(&mut html, &mut list);
                if let Some(rest) = trimmed
                    .strip_prefix("> ")
                    .or_else(|| trimmed.strip_prefix("&gt; "))
                {
                    html.push_str("<blockquote>");
                    html.push_str(&inline(rest));
                    html.push_str("</blockquote>");
                } else {
                    html.push_str(&inline(line));
                    html.push_str("<br>");
                }
            }
        }
    }
    if in_pre {
        html.push_str("</pre>");
    }
    close_list(&mut html, &mut list);
    let html = html.trim_end_matches("<br>").to_string();
    SANITIZER.clean(&html).to_string()
}

fn close_list(html: &mut String, list: &mut Option<&str>) {
    if let Some(kind) = list.take() {
        html.push_str(&format!("</{kind}>"));
    }
}

/// Buttons as SMS text: calls to action as "Label: link", quick replies as "Reply A, B or C".
pub fn sms_buttons(buttons: &[Button]) -> String {
    let mut out = String::new();
    let replies: Vec<&str> = buttons
        .iter()
        .filter(|b| b.kind == ButtonKind::QuickReply)
        .map(|b| b.text.as_str())
        .collect();
    for b in buttons.iter().filter(|b| b.kind != ButtonKind::QuickReply) {
        out.push_str(&format!("\n{}: {}", b.text, b.value));
    }
    if !replies.is_empty() {
        let list = match replies.len() {
            1 => replies[0].to_string(),
            n => format!("{} or {}", replies[..n - 1].join(", "), replies[n - 1]),
        };
        out.push_str(&format!("\nReply {list}"));
    }
    if out.is_empty() {
        out
    } else {
        format!("\n{out}")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct PreviewButton {
    pub kind: ButtonKind,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct WhatsAppPreview {
    pub header_kind: HeaderKind,
    /// Text header, filled (plain text: the UI shows it as text).
    pub header_text: String,
    /// Media header: the https URL (images load under the CSP's `img-src https:`).
    pub header_url: String,
    /// The body as sanitized HTML (only [`ALLOWED_TAGS`], no attributes).
    pub body_html: String,
    /// The body as WhatsApp receives it (formatting markers included).
    pub body_text: String,
    pub footer: String,
    pub buttons: Vec<PreviewButton>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct SmsPreview {
    pub text: String,
    pub info: SmsInfo,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Preview {
    pub whatsapp: WhatsAppPreview,
    pub sms: SmsPreview,
}

/// Both previews of a template, with these values for its dynamic values (header first, then
/// body, in order; examples where a value is missing).
pub fn preview(t: &Template, header_values: &[String], body_values: &[String]) -> Preview {
    let (wa, _) = convert(&t.body, Channel::WhatsApp);
    let body_text = fill(&wa, body_values);
    let (sms, _) = convert(&t.body, Channel::Sms);
    // A link button's dynamic value is a parameter of its own: the preview shows its example.
    let sms_text = format!(
        "{}{}",
        fill(&sms, body_values),
        fill(&sms_buttons(&t.buttons), &[])
    );
    Preview {
        whatsapp: WhatsAppPreview {
            header_kind: t.header.kind,
            header_text: if t.header.kind == HeaderKind::Text {
                fill(&t.header.text, header_values)
            } else {
                String::new()
            },
            header_url: if matches!(
                t.header.kind,
                HeaderKind::Image | HeaderKind::Video | HeaderKind::Document
            ) {
                t.header.url.clone()
            } else {
                String::new()
            },
            body_html: whatsapp_html(&body_text),
            body_text,
            footer: t.footer.clone(),
            buttons: t
                .buttons
                .iter()
                .map(|b| PreviewButton {
                    kind: b.kind,
                    text: b.text.clone(),
                })
                .collect(),
        },
        sms: SmsPreview {
            info: analyze(&sms_text),
            text: sms_text,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whatsapp_formatting_to_html() {
        assert_eq!(
            whatsapp_html("Hi *Ann*, _welcome_ ~old~ `x`"),
            "Hi <strong>Ann</strong>, <em>welcome</em> <del>old</del> <code>x</code>"
        );
        assert_eq!(
            whatsapp_html("- a\n- b\nafter"),
            "<ul><li>a</li><li>b</li></ul>after"
        );
        assert_eq!(whatsapp_html("1. a\n2. b"), "<ol><li>a</li><li>b</li></ol>");
        assert_eq!(whatsapp_html("> said"), "<blockquote>said</blockquote>");
        assert_eq!(
            whatsapp_html("5 * 3 * 2"),
            "5 * 3 * 2",
            "markers must touch the text"
        );
        assert_eq!(whatsapp_html("*\u{200B}literal*"), "*literal*");
        assert_eq!(whatsapp_html("line\nnext"), "line<br>next");
    }

    #[test]
    fn fences_after_multibyte_spaces_do_not_split_characters() {
        assert_eq!(
            whatsapp_html("\u{00A0}\u{00A0}```\ncode\n```"),
            "<pre>code<br></pre>"
        );
    }

    #[test]
    fn markup_in_the_text_stays_text() {
        let html =
            whatsapp_html("<script>alert(1)</script> <img src=x onerror=alert(1)> *<b>bold</b>*");
        assert!(
            !html.contains("<script") && !html.contains("<img") && !html.contains("<b>"),
            "{html}"
        );
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn sms_buttons_as_text() {
        let b = |kind, text: &str, value: &str| Button {
            kind,
            text: text.into(),
            value: value.into(),
        };
        assert_eq!(
            sms_buttons(&[b(ButtonKind::Url, "Track", "https://x.com/t")]),
            "\n\nTrack: https://x.com/t"
        );
        assert_eq!(
            sms_buttons(&[
                b(ButtonKind::QuickReply, "Yes", ""),
                b(ButtonKind::QuickReply, "No", ""),
                b(ButtonKind::QuickReply, "Later", "")
            ]),
            "\n\nReply Yes, No or Later"
        );
        assert_eq!(sms_buttons(&[]), "");
    }

    #[test]
    fn preview_fills_values_for_both_channels() {
        let t = Template {
            body: "Hi **{{Clarice}}**, order {{A-1}} shipped.".into(),
            footer: "Reply STOP to stop".into(),
            ..Template::default()
        };
        let p = preview(&t, &[], &["Ann".into()]);
        assert_eq!(
            p.whatsapp.body_text, "Hi *Ann*, order A-1 shipped.",
            "examples where no value is given"
        );
        assert_eq!(
            p.whatsapp.body_html,
            "Hi <strong>Ann</strong>, order A-1 shipped."
        );
        assert_eq!(p.sms.text, "Hi Ann, order A-1 shipped.");
        assert_eq!(p.sms.info.segments, 1);
    }
}
