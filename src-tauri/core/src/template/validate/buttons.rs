//! The buttons: calls to action (links with at most one trailing dynamic value, one phone
//! call) or quick replies — never both — and their labels.

use super::limits::LIMITS;
use super::{len, Out};
use crate::template::{placeholders, ButtonKind, Template};

/// Checks the buttons.
pub(super) fn check(t: &Template, out: &mut Out) {
    let l = LIMITS;
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
}
