//! The words of a reply that mean "no" (opt-out) or "yes again" (opt-in), and Relay's exact rule
//! for them: the whole reply — trimmed, case- and accent-insensitive, punctuation ignored — is
//! one of the words. A reply that only *holds* an opt-out word ("please don't stop the deals")
//! is not an opt-out: it is a *maybe*, for an admin to confirm or dismiss.
//!
//! The default lists follow what carriers and the tools admins compare Relay with honour:
//! Twilio's Advanced Opt-Out (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT; START, YES, UNSTOP to
//! opt back in; Bird adds BEGIN, RESUME and keywords in seven languages; AWS adds REMOVE, TD), the FCC's 2024 order (in force 11 April 2025: REVOKE, OPT OUT… by any reasonable
//! means), the French STOP SMS convention (CNIL, CPCE L34-5), Bird's per-language keywords, and
//! WhatsApp's marketing opt-out button (*Stop promotions*).

use unicode_normalization::UnicodeNormalization;

/// Opt-out words, by language (the team's policy may replace the list).
pub const DEFAULT_OPT_OUT: &[&str] = &[
    // English (Twilio, CTIA, FCC)
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "REVOKE",
    "OPT OUT",
    "OPTOUT",
    // AWS End User Messaging's required keywords add these (TD: Canada's French "texto désabonner")
    "REMOVE",
    "TD",
    // French (STOP SMS: the French carriers' convention)
    "ARRET",
    "ARRÊT",
    "STOP SMS",
    "DESABONNER",
    "DÉSABONNER",
    // Spanish
    "BAJA",
    "DETENER",
    "PARAR",
    "CANCELAR",
    // German
    "STOPP",
    "ABMELDEN",
    "HALT",
    // Portuguese
    "SAIR",
    // Italian
    "FERMA",
    "BASTA",
    "CANCELLA",
    // Polish, Russian (Bird's keywords)
    "ZATRZYMAJ",
    "ОСТАНОВИТЬ",
    // WhatsApp's marketing opt-out button, as Relay's designer writes it per language
    "Stop promotions",
    "Arrêter les promotions",
    "Detener promociones",
    "Werbung stoppen",
    "Parar promoções",
    "Interrompi promozioni",
];

/// The quick-reply button that lets a WhatsApp marketing message's reader say no (Meta's
/// marketing opt-out button), per base language: its reply is an opt-out word.
pub const OPT_OUT_BUTTONS: &[(&str, &str)] = &[
    ("en", "Stop promotions"),
    ("fr", "Arrêter les promotions"),
    ("es", "Detener promociones"),
    ("de", "Werbung stoppen"),
    ("pt", "Parar promoções"),
    ("it", "Interrompi promozioni"),
];

/// Opt-in words: the reply that lifts an opt-out (never a number suppressed by hand).
pub const DEFAULT_OPT_IN: &[&str] = &[
    "START",
    "UNSTOP",
    "BEGIN",
    "RESUME",
    "NONARRET",
    "YES",
    "OUI",
    "ALTA",
    "JA",
    "SIM",
    "SI",
    "SÌ",
    "Resume promotions",
];

/// What a reply says, by Relay's rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The whole reply is this opt-out word.
    OptOut(String),
    /// The whole reply is this opt-in word.
    OptIn(String),
    /// The reply holds this opt-out word among others: an admin decides.
    Maybe(String),
    Nothing,
}

/// A text as the rule compares it: decomposed, accents and other marks dropped, lowercase,
/// every run of characters that are neither letters nor digits one space, trimmed.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.nfkd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// A list of words as the rule uses them: normalized, empty ones left out, each once.
pub fn normalized(words: &[String]) -> Vec<String> {
    let mut out: Vec<String> = words
        .iter()
        .map(|w| normalize(w))
        .filter(|w| !w.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// What `reply` says, given the opt-out and opt-in words (normalized, [`normalized`]).
pub fn verdict(reply: &str, opt_out: &[String], opt_in: &[String]) -> Verdict {
    let text = normalize(reply);
    if text.is_empty() {
        return Verdict::Nothing;
    }
    if let Some(w) = opt_out.iter().find(|w| **w == text) {
        return Verdict::OptOut(w.clone());
    }
    if let Some(w) = opt_in.iter().find(|w| **w == text) {
        return Verdict::OptIn(w.clone());
    }
    // A word (or words) of the reply, whole: " stop " within " please don t stop the deals ".
    let padded = format!(" {text} ");
    match opt_out.iter().find(|w| padded.contains(&format!(" {w} "))) {
        Some(w) => Verdict::Maybe(w.clone()),
        None => Verdict::Nothing,
    }
}

/// A word list, checked: each word has a letter or a digit (an empty or punctuation-only word
/// would match nothing, or a reply of punctuation). Returns the offending word.
pub fn check(words: &[String]) -> Result<(), String> {
    match words.iter().find(|w| normalize(w).is_empty()) {
        Some(w) => Err(w.clone()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists() -> (Vec<String>, Vec<String>) {
        let s = |l: &[&str]| normalized(&l.iter().map(|w| w.to_string()).collect::<Vec<_>>());
        (s(DEFAULT_OPT_OUT), s(DEFAULT_OPT_IN))
    }

    #[test]
    fn the_whole_reply_is_the_word_whatever_its_case_accents_and_punctuation() {
        let (out, inn) = lists();
        for reply in [
            "STOP",
            " stop ",
            "Stop.",
            "stop!!",
            "ARRÊT",
            "arret",
            "Arrêt !",
            "STOP SMS",
            "stop-sms",
            "Opt out",
            "OPT-OUT",
            "Stop promotions",
            "désabonner",
            "STOPP",
        ] {
            assert!(
                matches!(verdict(reply, &out, &inn), Verdict::OptOut(_)),
                "{reply}"
            );
        }
        for reply in ["START", "unstop", "Oui.", "Sí", "si"] {
            assert!(
                matches!(verdict(reply, &out, &inn), Verdict::OptIn(_)),
                "{reply}"
            );
        }
    }

    #[test]
    fn a_reply_that_only_holds_a_word_is_a_maybe() {
        let (out, inn) = lists();
        assert_eq!(
            verdict("please don't stop the deals", &out, &inn),
            Verdict::Maybe("stop".into())
        );
        assert_eq!(
            verdict("Stop sending me these", &out, &inn),
            Verdict::Maybe("stop".into())
        );
        assert_eq!(
            verdict("See you at the weekend", &out, &inn),
            Verdict::Nothing,
            "a word inside a word is no word"
        );
        assert_eq!(verdict("Thanks!", &out, &inn), Verdict::Nothing);
        assert_eq!(verdict("", &out, &inn), Verdict::Nothing);
        assert_eq!(verdict("!!!", &out, &inn), Verdict::Nothing);
    }

    #[test]
    fn lists_are_checked_and_normalized() {
        assert_eq!(check(&["STOP".into(), "  ".into()]), Err("  ".into()));
        assert_eq!(check(&["--".into()]), Err("--".into()));
        assert!(check(&["STOP".into()]).is_ok());
        assert_eq!(
            normalized(&["ARRÊT".into(), "arret".into(), "".into()]),
            vec!["arret"]
        );
    }
}
