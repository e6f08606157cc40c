//! The buttons: calls to action (links with at most one trailing dynamic value, one phone
//! call) or quick replies — never both — and their labels.

use super::limits::LIMITS;
use super::{len, IssueCode, Out};
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
        out.err(IssueCode::ButtonsMixed, "buttons");
    }
    if urls > l.url_buttons_max {
        out.err(IssueCode::ButtonsTooManyUrls, "buttons")
            .add("max", l.url_buttons_max);
    }
    if phones > l.phone_buttons_max {
        out.err(IssueCode::ButtonsTooManyPhones, "buttons")
            .add("max", l.phone_buttons_max);
    }
    if replies > l.quick_replies_max {
        out.err(IssueCode::ButtonsTooManyReplies, "buttons")
            .add("max", l.quick_replies_max);
    }
    if t.buttons.len() > l.buttons_max {
        out.err(IssueCode::ButtonsTooMany, "buttons")
            .add("max", l.buttons_max);
    }
    for (i, b) in t.buttons.iter().enumerate() {
        let field = format!("buttons[{i}].text");
        if b.text.trim().is_empty() {
            out.err(IssueCode::ButtonTextRequired, &field);
        } else if len(&b.text) > l.button_text_max {
            out.err(IssueCode::ButtonTextTooLong, &field)
                .add("length", len(&b.text))
                .add("max", l.button_text_max);
        }
        if b.text.contains("{{") || b.text.contains('\n') {
            out.err(IssueCode::ButtonTextInvalid, &field);
        }
        let vfield = format!("buttons[{i}].value");
        match b.kind {
            ButtonKind::Url => {
                let v = b.value.trim();
                if !v.starts_with("https://")
                    || url::Url::parse(v.replace("{{", "").replace("}}", "").as_str()).is_err()
                {
                    out.err(IssueCode::ButtonUrlInvalid, &vfield);
                }
                if len(v) > l.url_max {
                    out.err(IssueCode::ButtonUrlTooLong, &vfield)
                        .add("max", l.url_max);
                }
                match placeholders(v) {
                    Ok(ps) if ps.len() > 1 => {
                        out.err(IssueCode::ButtonUrlValues, &vfield);
                    }
                    Ok(ps) if ps.len() == 1 && ps[0].end != v.len() => {
                        out.err(IssueCode::ButtonUrlValueNotLast, &vfield);
                    }
                    Err(e) => {
                        out.err(IssueCode::ButtonUrlValueMalformed, &vfield)
                            .add_text("problem", e);
                    }
                    _ => {}
                }
            }
            ButtonKind::Phone => {
                let v = b.value.trim();
                // Read as every typed number is: a letter is never a keypad digit here either.
                let valid = crate::phone::read(v, None).is_ok_and(|n| n.extension.is_none());
                if !v.starts_with('+') || !valid {
                    out.err(IssueCode::ButtonPhoneInvalid, &vfield);
                } else if len(v) > l.phone_max {
                    out.err(IssueCode::ButtonPhoneTooLong, &vfield)
                        .add("max", l.phone_max);
                }
            }
            ButtonKind::QuickReply => {}
        }
    }
}
