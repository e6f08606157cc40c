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
    // A marketing text must say how to say no (the CTIA's and the French carriers' rules, Twilio's
    // and Bird's advice): one of the opt-out words, in the template's language.
    if t.category == crate::template::Category::Marketing && !has_opt_out(&full) {
        out.push(
            Severity::Warning,
            IssueCode::SmsOptOutMissing,
            "body",
            Some(Channel::Sms),
        )
        .add("example", opt_out_example(&t.language));
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

/// Whether a text holds one of the default opt-out words, whole.
fn has_opt_out(text: &str) -> bool {
    let words = crate::consent::words::normalized(
        &crate::consent::words::DEFAULT_OPT_OUT
            .iter()
            .map(|w| w.to_string())
            .collect::<Vec<_>>(),
    );
    let padded = format!(" {} ", crate::consent::words::normalize(text));
    words.iter().any(|w| padded.contains(&format!(" {w} ")))
}

/// How a message says how to opt out, in a template's language (its base language).
pub fn opt_out_example(language: &str) -> &'static str {
    match language.split(['_', '-']).next().unwrap_or_default() {
        "fr" => "STOP SMS au 36180",
        "es" => "Responde BAJA para no recibir más mensajes",
        "de" => "Antworte STOPP zum Abmelden",
        "pt" => "Responda SAIR para não receber mais mensagens",
        "it" => "Rispondi STOP per non ricevere più messaggi",
        _ => "Reply STOP to opt out",
    }
}

#[cfg(test)]
mod opt_out_tests {
    use super::*;

    #[test]
    fn an_opt_out_instruction_is_found_in_every_language() {
        assert!(has_opt_out("Sale today! Reply STOP to opt out"));
        assert!(has_opt_out("Soldes ! STOP SMS au 36180"));
        assert!(has_opt_out("Oferta. Responde BAJA"));
        assert!(!has_opt_out("Sale today, don't miss it"));
        assert!(!has_opt_out("Unstoppable deals"));
        assert_eq!(opt_out_example("fr_FR"), "STOP SMS au 36180");
        assert_eq!(opt_out_example("en_US"), "Reply STOP to opt out");
    }
}
