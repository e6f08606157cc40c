//! Phone numbers as people type them, read as Google's libphonenumber reads them — through
//! `rlibphonenumber`, a port of its C++ code with the same metadata, checked against the
//! reference on thousands of generated inputs (`tests/phone_reference.rs`) — with Relay's own
//! rules on top:
//!
//! - **Never guess.** An input that holds a letter is not a number ([`PhoneProblem::ContainsLetters`]):
//!   libphonenumber reads three letters or more as a telephone keypad (`1-800-FLOWERS`) and drops
//!   fewer, but for a campaign a letter is a typo (an `O` typed for a `0`), and reading it would
//!   message a stranger. The one exception is an extension marker at the end (`ext. 12`, `x12`,
//!   `#12` as libphonenumber knows them, and the words [`EXTENSION_WORDS`] it does not): the
//!   extension is dropped — a message cannot dial it — and said ([`Number::extension`]).
//! - Every digit libphonenumber reads is read: the decimal digits of any script (full-width,
//!   Arabic-Indic, Persian, Devanagari…) and the punctuation it accepts.
//! - The number in E.164 exactly as libphonenumber formats it (Italy's leading 0 kept), valid or
//!   not as libphonenumber says, with its type ([`NumberKind`]): the types it knows for certain
//!   cannot receive a message are left out of campaigns ([`NumberKind::can_receive`]).
//!
//! Nothing here decides from an error's text: the library's error kinds map to [`PhoneProblem`].

use crate::error::{AppError, AppResult};
use crate::text::Text;
use regex::Regex;
use rlibphonenumber::{
    enums::Region, ParseError, PhoneNumberFormat, PhoneNumberType, ValidationError,
    PHONE_NUMBER_UTIL,
};
use serde::{Deserialize, Serialize};
use specta::Type;
use std::borrow::Cow;
use std::sync::LazyLock;

/// The version of these rules. An audience read under an earlier one is read again at its next
/// check (`audience::store::reread`).
pub const READER_VERSION: i64 = 2;

/// The libphonenumber metadata the reading uses (the reference test pins the same).
pub const METADATA_VERSION: &str = "9.0.42";

/// Extension markers libphonenumber does not know, in the languages Relay's users write (French
/// `poste`, German `Durchwahl`, Italian and Spanish `interno`, Portuguese `ramal`, Dutch
/// `toestel`, Turkish `dahili`, Polish `wewn.`): read as its `ext`.
pub const EXTENSION_WORDS: &[&str] = &[
    "poste",
    "durchwahl",
    "interno",
    "ramal",
    "toestel",
    "dahili",
    "wewn",
];

/// A country numbers are written in nationally (a region libphonenumber has metadata for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Country(Region);

impl Country {
    /// Its ISO code (`FR`).
    pub fn code(self) -> String {
        self.0.to_string()
    }

    /// Its country calling code (`1` for the US and Canada).
    pub fn calling_code(self) -> Option<u32> {
        PHONE_NUMBER_UTIL
            .get_country_code_for_region(self.0)
            .and_then(|c| u32::try_from(c).ok())
    }

    /// The country of an ISO 3166 code (`fr`, `FR`), when libphonenumber knows its numbers (None
    /// for an empty or unknown setting).
    pub fn parse(code: &str) -> Option<Country> {
        let region: Region = code.trim().parse().ok()?;
        PHONE_NUMBER_UTIL
            .get_country_code_for_region(region)
            .is_some()
            .then_some(Country(region))
    }
}

/// What kind of line a number is, as libphonenumber's metadata says.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Type,
    strum::AsRefStr,
    strum::Display,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum NumberKind {
    Mobile,
    /// A number that may be either (the metadata cannot tell, as in North America).
    FixedLineOrMobile,
    FixedLine,
    TollFree,
    PremiumRate,
    SharedCost,
    Voip,
    PersonalNumber,
    Pager,
    Uan,
    Voicemail,
    Unknown,
}

crate::sql_text!(NumberKind);

impl NumberKind {
    /// Whether a message can reach a number of this kind: fixed lines, toll-free, premium-rate,
    /// shared-cost, pager, UAN and voicemail numbers cannot (a text to a fixed line is paid for and
    /// never arrives); mobiles, VoIP and personal numbers can, and so can numbers the metadata
    /// cannot tell from a mobile. Fixed lines can when the campaign includes them on purpose
    /// (WhatsApp Business runs on landlines).
    pub fn can_receive(self, include_fixed_lines: bool) -> bool {
        match self {
            NumberKind::Mobile
            | NumberKind::FixedLineOrMobile
            | NumberKind::Voip
            | NumberKind::PersonalNumber
            | NumberKind::Unknown => true,
            NumberKind::FixedLine => include_fixed_lines,
            NumberKind::TollFree
            | NumberKind::PremiumRate
            | NumberKind::SharedCost
            | NumberKind::Pager
            | NumberKind::Uan
            | NumberKind::Voicemail => false,
        }
    }

    pub fn label(self) -> Text {
        Text::new(&format!("phone.kind.{}", self.as_ref()))
    }

    fn of(t: PhoneNumberType) -> NumberKind {
        match t {
            PhoneNumberType::Mobile => NumberKind::Mobile,
            PhoneNumberType::FixedLineOrMobile => NumberKind::FixedLineOrMobile,
            PhoneNumberType::FixedLine => NumberKind::FixedLine,
            PhoneNumberType::TollFree => NumberKind::TollFree,
            PhoneNumberType::PremiumRate => NumberKind::PremiumRate,
            PhoneNumberType::SharedCost => NumberKind::SharedCost,
            PhoneNumberType::VoIP => NumberKind::Voip,
            PhoneNumberType::PersonalNumber => NumberKind::PersonalNumber,
            PhoneNumberType::Pager => NumberKind::Pager,
            PhoneNumberType::UAN => NumberKind::Uan,
            PhoneNumberType::VoiceMail => NumberKind::Voicemail,
            PhoneNumberType::Unknown => NumberKind::Unknown,
        }
    }
}

/// Why an input is not a number a message can be sent to.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Type,
    strum::AsRefStr,
    strum::Display,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PhoneProblem {
    /// A letter outside an extension marker: a typo, never read as a keypad digit.
    ContainsLetters,
    /// Not a phone number at all (no digits, or characters no number holds).
    NotANumber,
    /// Written nationally (no `+`) and no default country is set to read it in.
    NoCountry,
    /// A `+` followed by no country's calling code.
    InvalidCountryCode,
    TooShort,
    TooLong,
    /// Between its country's shortest and longest numbers, but of no length they have.
    InvalidLength,
    /// Of a possible length, but no number of its country has these digits.
    Invalid,
}

crate::sql_text!(PhoneProblem);

impl PhoneProblem {
    pub fn text(self) -> Text {
        Text::new(&format!("phone.problem.{}", self.as_ref()))
    }
}

/// A number as read: E.164, its kind, and the extension dropped from what was typed, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number {
    pub e164: String,
    pub kind: NumberKind,
    pub extension: Option<String>,
}

/// The extension words libphonenumber does not know, at the end of an input before digits.
static EXTENSION_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)(?:^|[^\p{{L}}])({})\.?[\s:.\-]*(\d{{1,20}})\s*#?\s*$",
        EXTENSION_WORDS.join("|")
    ))
    .unwrap_or_else(|e| panic!("the extension words' pattern: {e}"))
});

/// An extension at the end, as libphonenumber marks one (its `EXTN_PATTERNS_FOR_PARSING`: `ext`,
/// `extension`, `extensión`, `xtn`, full-width `ｅｘｔ`, Russian `доб`, Spanish `anexo`, `x`, `#`,
/// `~`, `int`, RFC 3966's `;ext=`, the auto-dialling `,,` and `;`): the only place a letter may
/// be. libphonenumber confirms it (the number it reads has that extension), else its letters
/// count.
static EXTENSION_SUFFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)[\s\u{A0},]*(?:;ext=|e?xt(?:ensi(?:o\u{301}?|ó))?n?|ｅ?ｘｔｎ?|доб|anexo|[xｘ#＃~～]|int|ｉｎｔ|,,|;)[:\.．]?[\s\u{A0},\-]*\d{1,20}\s*#?\s*$",
    )
    .unwrap_or_else(|e| panic!("the extension pattern: {e}"))
});

fn letters(s: &str) -> usize {
    s.chars().filter(|c| is_letter(*c)).count()
}

/// What libphonenumber counts as punctuation although Unicode calls it a letter: the Japanese
/// prolonged sound mark, typed as a dash.
const LETTER_PUNCTUATION: &[char] = &['\u{30FC}'];

fn is_letter(c: char) -> bool {
    c.is_alphabetic() && !LETTER_PUNCTUATION.contains(&c)
}

/// The input with the extension words libphonenumber does not know written as its `ext.`.
pub fn with_known_extension_words(raw: &str) -> Cow<'_, str> {
    let found = EXTENSION_WORD
        .captures(raw)
        .and_then(|c| Some((c.get(1)?, c.get(2)?)));
    match found {
        Some((word, digits)) => Cow::Owned(format!(
            "{} ext. {}",
            raw[..word.start()].trim_end(),
            digits.as_str()
        )),
        None => Cow::Borrowed(raw),
    }
}

/// Reads what was typed as a phone number, national numbers in `country` (see the module's
/// doc). Empty input is `NotANumber`; callers that treat empty as "no number" check first.
pub fn read(raw: &str, country: Option<Country>) -> Result<Number, PhoneProblem> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(PhoneProblem::NotANumber);
    }
    let text = with_known_extension_words(raw);
    let util = &*PHONE_NUMBER_UTIL;
    // A letter anywhere but in an extension's marker at the end is a typo.
    let (body, marker_letters) = match EXTENSION_SUFFIX.find(&text) {
        Some(m) => (&text[..m.start()], letters(m.as_str())),
        None => (&text[..], 0),
    };
    // An RFC 3966 URI of a global number (`tel:+33…`), not a label someone typed (`Tel: 06…`).
    let scheme_letters = if body.starts_with("tel:+") { 3 } else { 0 };
    if letters(body) > scheme_letters {
        return Err(PhoneProblem::ContainsLetters);
    }
    let region = country.map(|c| c.0);
    let number = util.parse(&text, region).map_err(|e| match e {
        ParseError::InvalidCountryCode if region.is_none() && !starts_international(&text) => {
            PhoneProblem::NoCountry
        }
        ParseError::InvalidCountryCode => PhoneProblem::InvalidCountryCode,
        ParseError::NotANumber(_) => PhoneProblem::NotANumber,
        ParseError::TooShortAfterIdd | ParseError::TooShortNsn => PhoneProblem::TooShort,
        ParseError::TooLongNsn => PhoneProblem::TooLong,
    })?;
    // A marker libphonenumber did not take for an extension's is letters it read as a keypad.
    if marker_letters > 0 && number.extension.as_deref().is_none_or(str::is_empty) {
        return Err(PhoneProblem::ContainsLetters);
    }
    if !util.is_valid_number(&number) {
        return Err(match util.is_possible_number_with_reason(&number) {
            Err(ValidationError::InvalidCountryCode) => PhoneProblem::InvalidCountryCode,
            Err(ValidationError::TooShort) => PhoneProblem::TooShort,
            Err(ValidationError::TooLong) => PhoneProblem::TooLong,
            Err(ValidationError::InvalidLength) => PhoneProblem::InvalidLength,
            Ok(_) => PhoneProblem::Invalid,
        });
    }
    Ok(Number {
        e164: util.format(&number, PhoneNumberFormat::E164).into_owned(),
        kind: NumberKind::of(util.get_number_type(&number)),
        extension: number.extension.clone().filter(|e| !e.is_empty()),
    })
}

/// Whether an input starts as an international number would (a `+` of any width before its
/// first digit).
fn starts_international(text: &str) -> bool {
    text.chars()
        .find(|c| *c == '+' || *c == '＋' || c.is_numeric())
        .is_some_and(|c| c == '+' || c == '＋')
}

/// Reads a number a person typed for `field`: a problem is an invalid-input error that says
/// what was typed, what is wrong and what to do.
pub fn read_typed(raw: &str, country: Option<Country>, field: &str) -> AppResult<Number> {
    read(raw, country).map_err(|problem| {
        AppError::invalid_field(
            field,
            crate::text!("phone.typed_invalid", value = raw.trim(), problem => problem.text()),
        )
    })
}

/// The country (ISO code) of a number in E.164, when it belongs to one.
pub fn region_of(e164: &str) -> Option<String> {
    let n = PHONE_NUMBER_UTIL.parse(e164, None).ok()?;
    let region = PHONE_NUMBER_UTIL.get_region_for_number(&n)?;
    Some(region.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fr() -> Option<Country> {
        Country::parse("fr")
    }

    fn e164(raw: &str, c: Option<Country>) -> Option<String> {
        read(raw, c).ok().map(|n| n.e164)
    }

    #[test]
    fn national_and_international_numbers_are_read() {
        assert_eq!(
            e164("06 12 34 56 78", fr()).as_deref(),
            Some("+33612345678")
        );
        assert_eq!(
            e164("+1 (514) 555-0100", fr()).as_deref(),
            Some("+15145550100")
        );
        assert_eq!(
            e164("0033 6 12 34 56 78", fr()).as_deref(),
            Some("+33612345678")
        );
        assert_eq!(
            read("06 12 34 56 78", None),
            Err(PhoneProblem::NoCountry),
            "national needs a country"
        );
        assert_eq!(
            read("+999 1234 5678", None),
            Err(PhoneProblem::InvalidCountryCode)
        );
        assert_eq!(read("12345", fr()), Err(PhoneProblem::TooShort));
        for bad in ["n/a", "000", "+33 1"] {
            assert!(read(bad, fr()).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_letter_is_never_read_as_a_digit() {
        // An O typed for a 0: libphonenumber would drop it (or, with three letters, dial it on
        // a keypad); Relay refuses the number.
        assert_eq!(
            read("O6 12 34 56 78", fr()),
            Err(PhoneProblem::ContainsLetters)
        );
        assert_eq!(
            read("+34 - 81B123456", fr()),
            Err(PhoneProblem::ContainsLetters)
        );
        assert_eq!(
            read("1-800-FLOWERS", Country::parse("US")),
            Err(PhoneProblem::ContainsLetters)
        );
        assert_eq!(read("call me", fr()), Err(PhoneProblem::ContainsLetters));
        assert_eq!(
            read("Tel: 06 12 34 56 78", fr()),
            Err(PhoneProblem::ContainsLetters)
        );
        assert_eq!(
            read("06x12x34x56x78", fr()),
            Err(PhoneProblem::ContainsLetters)
        );
        // An extension marker libphonenumber does not take for one (too many digits) is letters.
        assert_eq!(
            read("06 12 34 56 78 ext 123456789012345678901", fr()),
            Err(PhoneProblem::ContainsLetters)
        );
        // An RFC 3966 URI's scheme is not a letter typed.
        assert_eq!(
            read("tel:+33-6-12-34-56-78;ext=5", None).map(|n| (n.e164, n.extension)),
            Ok(("+33612345678".to_string(), Some("5".to_string())))
        );
        assert_eq!(
            read("Tel:0612345678", fr()),
            Err(PhoneProblem::ContainsLetters)
        );
    }

    #[test]
    fn an_extension_is_dropped_and_said() {
        for (raw, ext) in [
            ("06 12 34 56 78 ext. 12", "12"),
            ("06 12 34 56 78 x12", "12"),
            ("06 12 34 56 78 #12", "12"),
            ("06 12 34 56 78 poste 12", "12"),
            ("06 12 34 56 78 Poste: 4", "4"),
            ("06 12 34 56 78 Durchwahl 301", "301"),
            ("06 12 34 56 78 ramal 7", "7"),
        ] {
            let n = read(raw, fr()).unwrap_or_else(|e| panic!("{raw}: {e:?}"));
            assert_eq!(n.e164, "+33612345678", "{raw}");
            assert_eq!(n.extension.as_deref(), Some(ext), "{raw}");
        }
        assert_eq!(read("06 12 34 56 78", fr()).unwrap().extension, None);
        // A marker word inside the number is still a letter.
        assert_eq!(
            read("06 12 poste 34 56 78", fr()),
            Err(PhoneProblem::ContainsLetters)
        );
    }

    #[test]
    fn italian_fixed_lines_keep_their_leading_zero() {
        let it = Country::parse("IT");
        let n = read("06 1234 5678", it).unwrap();
        assert_eq!(n.e164, "+390612345678");
        assert_eq!(n.kind, NumberKind::FixedLine);
        assert_eq!(
            e164("+39 06 1234 5678", None).as_deref(),
            Some("+390612345678")
        );
    }

    #[test]
    fn digits_of_every_script_are_read() {
        for raw in [
            "０６１２３４５６７８",
            "٠٦١٢٣٤٥٦٧٨",
            "۰۶۱۲۳۴۵۶۷۸",
            "०६१२३४५६७८",
            "06ー12ー34ー56ー78",
        ] {
            assert_eq!(e164(raw, fr()).as_deref(), Some("+33612345678"), "{raw}");
        }
    }

    #[test]
    fn kinds_that_cannot_receive_a_message() {
        let kind = |raw: &str| read(raw, fr()).unwrap().kind;
        assert_eq!(kind("06 12 34 56 78"), NumberKind::Mobile);
        assert_eq!(kind("01 42 68 53 00"), NumberKind::FixedLine);
        assert_eq!(kind("0800 12 34 56"), NumberKind::TollFree);
        assert!(NumberKind::Mobile.can_receive(false));
        assert!(!NumberKind::FixedLine.can_receive(false));
        assert!(NumberKind::FixedLine.can_receive(true));
        assert!(
            !NumberKind::TollFree.can_receive(true),
            "only fixed lines may be included"
        );
        let us = read("+1 212 555 2368", None).unwrap();
        assert_eq!(us.kind, NumberKind::FixedLineOrMobile);
        assert!(
            us.kind.can_receive(false),
            "not known for certain to be a fixed line"
        );
    }

    #[test]
    fn countries_are_those_libphonenumber_knows() {
        assert!(Country::parse("fr").is_some());
        assert!(Country::parse(" GB ").is_some());
        assert!(Country::parse("ZZ").is_none());
        assert!(Country::parse("").is_none());
        assert!(Country::parse("FRA").is_none());
        assert_eq!(region_of("+33612345678").as_deref(), Some("FR"));
    }

    #[test]
    fn every_kind_and_problem_is_said_in_both_languages() {
        use strum::VariantArray;
        let texts = NumberKind::VARIANTS
            .iter()
            .map(|k| k.label())
            .chain(PhoneProblem::VARIANTS.iter().map(|p| p.text()));
        for t in texts {
            assert_eq!(t.unfilled(), Vec::<String>::new(), "{}", t.key);
        }
    }

    #[test]
    fn a_typed_number_says_what_is_wrong() {
        let e = read_typed("O6 12 34 56 78", fr(), "phone").unwrap_err();
        assert_eq!(e.code, crate::ErrorCode::InvalidInput);
        assert!(e.message.contains("O6 12 34 56 78"), "{}", e.message);
        assert!(e.message.contains("letter"), "{}", e.message);
    }
}
