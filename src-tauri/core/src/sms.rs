//! SMS encoding and segments, as carriers bill them (the algorithm of Twilio's public segment
//! calculator):
//!
//! - GSM-7 when every character is in the GSM 03.38 basic set (7 bits) or its extension table
//!   (`^ { } \ [ ~ ] | €` and form feed: escape + char, 14 bits); else UCS-2 for the whole message,
//!   where every UTF-16 unit is 16 bits (an emoji is 2 or more units);
//! - one message holds 1,120 bits (160 GSM characters, 70 UCS-2 units); a longer one is split
//!   into segments of 1,072 bits each (a 48-bit header: 153 / 67), and a character — a whole
//!   grapheme, or an escape pair — is never split across two segments.

use serde::{Deserialize, Serialize};
use specta::Type;
use unicode_segmentation::UnicodeSegmentation;

const SEGMENT_BITS: u32 = 1120;
const UDH_BITS: u32 = 48;

const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENSION: &str = "^{}\\[~]|€\u{000C}";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
pub enum SmsEncoding {
    #[serde(rename = "GSM-7")]
    Gsm7,
    #[serde(rename = "UCS-2")]
    Ucs2,
}

/// A character that forces UCS-2, with what to write instead to stay in GSM-7, if anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct NonGsmChar {
    pub char: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[specta(optional)]
    pub replacement: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct SmsInfo {
    pub encoding: SmsEncoding,
    pub segments: u32,
    /// GSM-7: septets (an extension character counts 2); UCS-2: characters (graphemes).
    pub characters: u32,
    pub unicode_scalars: u32,
    /// Bits of the message text, without headers.
    pub message_bits: u32,
    /// Bits including the 48-bit header of each segment of a multi-part message.
    pub total_bits: u32,
    /// The characters that force UCS-2, each once, in order of appearance.
    pub non_gsm: Vec<NonGsmChar>,
}

fn gsm_septets(c: char) -> Option<u32> {
    if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// A GSM-7 way to write a character that is not in the GSM set (Twilio "smart encoding" style).
pub fn gsm_replacement(c: &str) -> Option<&'static str> {
    Some(match c {
        "\u{2018}" | "\u{2019}" | "\u{201A}" | "\u{2032}" | "\u{00B4}" | "`" => "'",
        "\u{201C}" | "\u{201D}" | "\u{201E}" | "\u{00AB}" | "\u{00BB}" | "\u{2033}" => "\"",
        "\u{2013}" | "\u{2014}" | "\u{2212}" => "-",
        "\u{2026}" => "...",
        "\u{00A0}" | "\u{2009}" | "\u{202F}" | "\t" => " ",
        "\u{2022}" => "-",
        "á" | "â" | "ã" | "ā" => "a",
        "Á" | "Â" | "Ã" | "À" => "A",
        "ê" | "ë" | "ē" => "e",
        "Ê" | "È" | "Ë" => "E",
        "í" | "î" | "ï" => "i",
        "Í" | "Î" | "Ï" | "Ì" => "I",
        "ó" | "ô" | "õ" => "o",
        "Ó" | "Ô" | "Õ" | "Ò" => "O",
        "ú" | "û" => "u",
        "Ú" | "Û" | "Ù" => "U",
        "ç" => "Ç",
        "œ" => "oe",
        "Œ" => "OE",
        "ÿ" => "y",
        "½" => "1/2",
        "¼" => "1/4",
        "©" => "(c)",
        "®" => "(r)",
        "™" => "TM",
        _ => return None,
    })
}

/// The graphemes of a text, with CRLF counted as two characters (as carriers do).
fn graphemes(text: &str) -> Vec<&str> {
    let mut out = Vec::with_capacity(text.len());
    for g in text.graphemes(true) {
        if g == "\r\n" {
            out.push("\r");
            out.push("\n");
        } else {
            out.push(g);
        }
    }
    out
}

/// Encoding, segments and characters of an SMS body.
pub fn analyze(text: &str) -> SmsInfo {
    let gs = graphemes(text);
    let mut non_gsm: Vec<NonGsmChar> = Vec::new();
    let mut gsm = true;
    for g in &gs {
        let single = g.encode_utf16().count() == 1;
        let septets = g.chars().next().and_then(gsm_septets).filter(|_| single);
        if septets.is_none() {
            gsm = false;
            if !non_gsm.iter().any(|n| n.char == *g) {
                non_gsm.push(NonGsmChar {
                    char: g.to_string(),
                    replacement: gsm_replacement(g).map(str::to_string),
                });
            }
        }
    }
    // Bits of each unit that may not be split.
    let units: Vec<u32> = gs
        .iter()
        .map(|g| {
            if gsm {
                7 * g.chars().next().and_then(gsm_septets).unwrap_or(1)
            } else {
                16 * g.encode_utf16().count() as u32
            }
        })
        .collect();
    let message_bits: u32 = units.iter().sum();
    let segments = if message_bits <= SEGMENT_BITS {
        1
    } else {
        let capacity = SEGMENT_BITS - UDH_BITS;
        let (mut count, mut used) = (1u32, 0u32);
        for u in &units {
            if used + u > capacity {
                count += 1;
                used = 0;
            }
            used += u;
        }
        count
    };
    let total_bits = if segments > 1 {
        message_bits + segments * UDH_BITS
    } else {
        message_bits
    };
    let characters = if gsm {
        message_bits / 7
    } else {
        gs.len() as u32
    };
    SmsInfo {
        encoding: if gsm {
            SmsEncoding::Gsm7
        } else {
            SmsEncoding::Ucs2
        },
        segments: if text.is_empty() { 0 } else { segments },
        characters,
        unicode_scalars: text.chars().count() as u32,
        message_bits,
        total_bits,
        non_gsm,
    }
}

/// The text with every non-GSM character that has a GSM-7 equivalent replaced by it.
/// What `relay sms-segments` and the previews tell about a text: its encoding and segments, how
/// many characters a segment holds, the segments once the characters that force UCS-2 are
/// replaced (when that saves any), and whether carriers refuse it as too long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct SmsReport {
    #[serde(flatten)]
    pub info: SmsInfo,
    /// Characters per segment: 160 / 70 for one, 153 / 67 each for several.
    pub segment_size: u32,
    /// Segments with the suggested replacements, when they save segments.
    pub segments_with_replacements: Option<u32>,
    /// Longer than carriers accept (Twilio error 21617).
    pub too_long: bool,
}

/// The report of a text (see [`SmsReport`]).
pub fn report(text: &str) -> SmsReport {
    let info = analyze(text);
    let segment_size = match (info.encoding, info.segments) {
        (SmsEncoding::Gsm7, 0 | 1) => 160,
        (SmsEncoding::Gsm7, _) => 153,
        (SmsEncoding::Ucs2, 0 | 1) => 70,
        (SmsEncoding::Ucs2, _) => 67,
    };
    let segments_with_replacements = (!info.non_gsm.is_empty())
        .then(|| analyze(&to_gsm(text)).segments)
        .filter(|n| *n < info.segments);
    SmsReport {
        too_long: text.chars().count() > crate::template::validate::LIMITS.sms_max,
        info,
        segment_size,
        segments_with_replacements,
    }
}

pub fn to_gsm(text: &str) -> String {
    graphemes(text)
        .into_iter()
        .map(|g| {
            let in_gsm =
                g.encode_utf16().count() == 1 && g.chars().next().and_then(gsm_septets).is_some();
            if in_gsm {
                g.to_string()
            } else {
                gsm_replacement(g)
                    .map(str::to_string)
                    .unwrap_or_else(|| g.to_string())
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(n: usize) -> String {
        "1234567890".chars().cycle().take(n).collect()
    }

    /// (text, encoding, segments, (message bits, total bits), characters)
    type Vector = (String, SmsEncoding, u32, Option<(u32, u32)>, Option<u32>);

    /// The published test vectors (the test suite of Twilio's segment calculator).
    #[test]
    fn published_vectors() {
        let cases: Vec<Vector> = vec![
            (
                digits(160),
                SmsEncoding::Gsm7,
                1,
                Some((1120, 1120)),
                Some(160),
            ),
            (
                digits(161),
                SmsEncoding::Gsm7,
                2,
                Some((1127, 1223)),
                Some(161),
            ),
            (
                digits(307),
                SmsEncoding::Gsm7,
                3,
                Some((2149, 2293)),
                Some(307),
            ),
            (
                format!("😜{}", digits(68)),
                SmsEncoding::Ucs2,
                1,
                Some((1120, 1120)),
                Some(69),
            ),
            (
                format!("😜{}", digits(69)),
                SmsEncoding::Ucs2,
                2,
                Some((1136, 1232)),
                Some(70),
            ),
            (
                format!("😜{}", digits(133)),
                SmsEncoding::Ucs2,
                3,
                Some((2160, 2304)),
                Some(134),
            ),
            (
                format!("🇮🇹{}", digits(66)),
                SmsEncoding::Ucs2,
                1,
                Some((1120, 1120)),
                Some(67),
            ),
            (
                format!("🇮🇹{}", digits(67)),
                SmsEncoding::Ucs2,
                2,
                Some((1136, 1232)),
                Some(68),
            ),
            (
                format!("🏳️‍🌈{}", digits(64)),
                SmsEncoding::Ucs2,
                1,
                Some((1120, 1120)),
                Some(65),
            ),
            (
                format!("🏳️‍🌈{}", digits(65)),
                SmsEncoding::Ucs2,
                2,
                Some((1136, 1232)),
                Some(66),
            ),
            (
                format!("😀{}", "]".repeat(68)),
                SmsEncoding::Ucs2,
                1,
                None,
                None,
            ),
            (
                format!("😀{}", "]".repeat(69)),
                SmsEncoding::Ucs2,
                2,
                None,
                None,
            ),
        ];
        for (text, enc, segs, bits, chars) in cases {
            let info = analyze(&text);
            assert_eq!(info.encoding, enc, "{text}");
            assert_eq!(info.segments, segs, "{text}");
            if let Some((m, t)) = bits {
                assert_eq!((info.message_bits, info.total_bits), (m, t), "{text}");
            }
            if let Some(c) = chars {
                assert_eq!(info.characters, c, "{text}");
            }
        }
        for esc in ["|", "^", "€", "{", "}", "[", "]", "~", "\\"] {
            assert_eq!(
                analyze(&format!("{esc}{}", digits(158))).segments,
                1,
                "{esc}"
            );
            let two = analyze(&format!("{esc}{}", digits(159)));
            assert_eq!(
                (two.encoding, two.segments, two.message_bits, two.total_bits),
                (SmsEncoding::Gsm7, 2, 1127, 1223),
                "{esc}"
            );
        }
        for c in ["Á", "Ú", "ú", "ç", "í", "Í", "ó", "Ó"] {
            assert_eq!(analyze(&c.repeat(70)).segments, 1, "{c}");
            assert_eq!(analyze(&c.repeat(71)).segments, 2, "{c}");
            assert_eq!(analyze(&c.repeat(70)).encoding, SmsEncoding::Ucs2);
        }
        let combining = analyze("e\u{0301}\u{0301}\u{0301}");
        assert_eq!(
            (
                combining.encoding,
                combining.characters,
                combining.unicode_scalars
            ),
            (SmsEncoding::Ucs2, 1, 4)
        );
        assert_eq!(analyze("\rabcde\r\n123").characters, 11);
        assert_eq!(
            analyze("más").non_gsm,
            vec![NonGsmChar {
                char: "á".into(),
                replacement: Some("a".into())
            }]
        );
    }

    #[test]
    fn a_grapheme_is_never_split_across_segments() {
        // 66 digits then a 4-unit flag: 66 + 4 = 70 units > 67 per segment: the flag moves whole.
        let info = analyze(&format!("{}🇮🇹{}", digits(66), digits(10)));
        assert_eq!(info.segments, 2);
    }

    #[test]
    fn capital_c_cedilla_is_gsm_but_small_is_not_and_replacements_fix_it() {
        assert_eq!(analyze("Ç").encoding, SmsEncoding::Gsm7);
        assert_eq!(analyze("ç").encoding, SmsEncoding::Ucs2);
        let fixed = to_gsm("L’été « chaud » — ça va…");
        assert_eq!(fixed, "L'été \" chaud \" - Ça va...");
        assert_eq!(analyze(&fixed).encoding, SmsEncoding::Gsm7);
        assert_eq!(analyze("").segments, 0);
    }
}
