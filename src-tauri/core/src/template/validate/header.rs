//! The header: none, a single line of text (at most one dynamic value, no formatting), or media
//! given by an https link.

use super::limits::LIMITS;
use super::{len, Out};
use crate::template::{placeholders, positional, HeaderKind, Template};

/// Checks the header.
pub(super) fn check(t: &Template, out: &mut Out) {
    let l = LIMITS;
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
}
