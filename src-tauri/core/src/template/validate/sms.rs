//! The SMS a template becomes: its length with the examples filled in, what the conversion drops,
//! and the characters that force UCS-2 (fewer characters per segment).

use super::limits::LIMITS;
use super::{len, IssueCode, Out, Severity};
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
            IssueCode::SmsTooLong,
            "body",
            Some(Channel::Sms),
        )
        .add("length", len(&full))
        .add("max", l.sms_max);
    }
    for code in dropped {
        out.push(Severity::Warning, code, "body", Some(Channel::Sms));
    }
    let info = crate::sms::analyze(&full);
    if info.encoding == crate::sms::SmsEncoding::Ucs2 && !info.non_gsm.is_empty() {
        let chars: Vec<&str> = info.non_gsm.iter().map(|c| c.char.as_str()).collect();
        out.push(
            Severity::Warning,
            IssueCode::SmsUcs2,
            "body",
            Some(Channel::Sms),
        )
        .add("chars", chars.join(" "))
        .add("segments", info.segments);
    }
}
