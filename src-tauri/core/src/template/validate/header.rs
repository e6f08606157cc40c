//! The header: none, a single line of text (at most one dynamic value, no formatting), or media
//! given by an https link.

use super::limits::LIMITS;
use super::{len, IssueCode, Out};
use crate::template::{placeholders, positional, HeaderKind, Template};

pub(super) fn check(t: &Template, out: &mut Out) {
    let l = LIMITS;
    match t.header.kind {
        HeaderKind::None => {}
        HeaderKind::Text => {
            let text = &t.header.text;
            if text.trim().is_empty() {
                out.err(IssueCode::HeaderTextRequired, "header.text");
            }
            match placeholders(text) {
                Err(e) => {
                    out.err(IssueCode::HeaderValueMalformed, "header.text")
                        .add_text("problem", e);
                }
                Ok(ps) => {
                    if ps.len() > l.header_values_max {
                        out.err(IssueCode::HeaderTooManyValues, "header.text")
                            .add("max", l.header_values_max);
                    }
                    let positional_len = positional(text, 1)
                        .map(|(p, _)| len(&p))
                        .unwrap_or(len(text));
                    if positional_len > l.header_text_max {
                        out.err(IssueCode::HeaderTooLong, "header.text")
                            .add("length", positional_len)
                            .add("max", l.header_text_max);
                    }
                }
            }
            if text.contains('\n') {
                out.err(IssueCode::HeaderMultiline, "header.text");
            }
            if text.contains(['*', '_', '~', '`']) {
                out.err(IssueCode::HeaderFormatting, "header.text");
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
                        out.warn(IssueCode::HeaderMediaType, "header.url")
                            .add("expected", expected.join(", "));
                    }
                }
                _ => {
                    out.err(IssueCode::HeaderUrlInvalid, "header.url");
                }
            }
        }
    }
}
