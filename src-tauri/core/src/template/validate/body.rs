//! The body: where its dynamic values may stand, its spacing, and on WhatsApp its length and what
//! the conversion drops.

use super::limits::LIMITS;
use super::{len, IssueCode, Out, Severity};
use crate::template::convert::{convert, Channel};
use crate::template::{placeholders, positional, Category, Template};

pub(super) fn check(t: &Template, whatsapp: bool, out: &mut Out) {
    let l = LIMITS;
    let body = &t.body;
    if body.trim().is_empty() {
        out.err(IssueCode::BodyRequired, "body");
    }
    match placeholders(body) {
        Err(e) => {
            out.err(IssueCode::BodyValueMalformed, "body")
                .add_text("problem", e);
        }
        Ok(ps) => {
            let trimmed = body.trim();
            if let Some(first) = ps.first() {
                if body[..first.start].trim().is_empty() {
                    out.err(IssueCode::BodyStartsWithValue, "body");
                }
            }
            if let Some(last) = ps.last() {
                let after = body[last.end..].trim();
                if after.chars().all(|c| c.is_ascii_punctuation()) && !trimmed.is_empty() {
                    out.err(IssueCode::BodyEndsWithValue, "body");
                }
            }
            for pair in ps.windows(2) {
                if body[pair[0].end..pair[1].start].trim().is_empty() {
                    out.err(IssueCode::BodyAdjacentValues, "body")
                        .add("first", &pair[0].example)
                        .add("second", &pair[1].example);
                }
            }
            let words = positional(body, 1)
                .map(|(p, _)| p.split_whitespace().filter(|w| !w.contains("{{")).count())
                .unwrap_or(0);
            if !ps.is_empty() && words < 2 * ps.len() + 1 {
                out.warn(IssueCode::BodyTooManyValues, "body")
                    .add("values", ps.len())
                    .add("words", words)
                    .add("needed", 2 * ps.len() + 1);
            }
        }
    }
    if body.contains('\t') {
        out.err(IssueCode::BodyTab, "body");
    }
    if body.contains(&" ".repeat(l.spaces_max + 1)) {
        out.err(IssueCode::BodySpaces, "body")
            .add("max", l.spaces_max);
    }
    if body.contains(&"\n".repeat(l.body_newlines_max + 1)) {
        out.err(IssueCode::BodyBlankLines, "body");
    }
    if whatsapp {
        let (wa, dropped) = convert(body, Channel::WhatsApp);
        let wa_len = positional(&wa, 1).map(|(p, _)| len(&p)).unwrap_or(len(&wa));
        if wa_len > l.body_max {
            out.push(
                Severity::Error,
                IssueCode::BodyTooLong,
                "body",
                Some(Channel::WhatsApp),
            )
            .add("length", wa_len)
            .add("max", l.body_max);
        }
        if t.category == Category::Marketing && wa_len > l.marketing_body_warn {
            out.push(
                Severity::Warning,
                IssueCode::BodyLongMarketing,
                "body",
                Some(Channel::WhatsApp),
            )
            .add("max", l.marketing_body_warn);
        }
        for code in dropped {
            out.push(Severity::Warning, code, "body", Some(Channel::WhatsApp));
        }
    }
}
