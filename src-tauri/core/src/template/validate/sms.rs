//! The SMS a template becomes: its length with the examples filled in, what the conversion drops,
//! and the characters that force UCS-2 (fewer characters per segment).

use super::limits::LIMITS;
use super::{len, Out, Severity};
use crate::template::convert::{convert, Channel};
use crate::template::Template;

/// Checks the SMS form of the template.
pub(super) fn check(t: &Template, out: &mut Out) {
    let l = LIMITS;
    let body = &t.body;
    let (text, dropped) = convert(body, Channel::Sms);
    let full = crate::template::fill(
        &format!(
            "{}{}",
            text,
            crate::template::preview::sms_buttons(&t.buttons)
        ),
        &[],
    );
    if len(&full) > l.sms_max {
        out.push(
            Severity::Error,
            "sms_too_long",
            "body",
            Some(Channel::Sms),
            format!(
                "{} characters with the examples: an SMS holds at most {} (Twilio error 21617).",
                len(&full),
                l.sms_max
            ),
        );
    }
    for d in dropped {
        out.push(
            Severity::Warning,
            &format!("body_{}_dropped", d.what),
            "body",
            Some(Channel::Sms),
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
            Some(Channel::Sms),
            format!(
                "{} force UCS-2: {} segment(s) of 67 characters instead of 153.",
                chars.join(" "),
                info.segments
            ),
        );
    }
}
