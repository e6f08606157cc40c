//! The body: where its dynamic values may stand, its spacing, and on WhatsApp its length and what
//! the conversion drops.

use super::limits::LIMITS;
use super::{len, Out, Severity};
use crate::template::convert::{convert, Channel};
use crate::template::{placeholders, positional, Category, Template};

/// Checks the body (for WhatsApp too when `whatsapp`).
pub(super) fn check(t: &Template, whatsapp: bool, out: &mut Out) {
    let l = LIMITS;
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
                Some(Channel::WhatsApp),
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
                Some(Channel::WhatsApp),
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
                Some(Channel::WhatsApp),
                d.message,
            );
        }
    }
}
