//! Phone numbers of the seeded users: how each is written ([`PhoneKind`]), and the numbers
//! themselves (mobiles and fixed lines per country, other scripts' digits, typos, junk).

use super::Country;

/// How a user's phone number is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneKind {
    /// `user.phone` in E.164 (`+33612345678`), valid.
    E164,
    /// `user.phone` in the national format of the user's country (`06 12 34 56 78`).
    National,
    /// `user.phone` that is no phone number at all (`12345`, `n/a`…).
    Invalid,
    /// No phone anywhere.
    Missing,
    /// `user.phone` in E.164, shared with other users (a family or shop number).
    Shared,
    /// `user.phone` empty; the number exists only as a `phone_number` identity.
    IdentityOnly,
    /// `user.phone` in E.164, a line that cannot receive a message: a fixed line (a toll-free
    /// number in the US and Mexico, where fixed lines and mobiles look alike).
    Landline,
    /// `user.phone`, the user's mobile in E.164 written in another script's digits (full-width,
    /// Arabic-Indic): a valid number.
    OtherScript,
    /// `user.phone`, the user's mobile written nationally with a letter typed for a digit (an `O`
    /// for a `0`, an `l` for a `1`): no number, never read as a keypad digit.
    Typo,
}

fn digits(h: u64, n: usize) -> String {
    let mut out = String::with_capacity(n);
    let mut x = h;
    for _ in 0..n {
        out.push(char::from(b'0' + (x % 10) as u8));
        x /= 10;
        if x == 0 {
            x = h.rotate_left(17) | 1;
        }
    }
    out
}

/// A valid mobile number of `country` from 64 random bits: (E.164, national format).
pub fn mobile(country: &Country, h: u64) -> (String, String) {
    match country.code {
        "FR" => {
            // 06 1x xx xx xx: metropolitan mobiles (06 9x includes overseas ranges).
            let d = digits(h, 7);
            (
                format!("+3361{d}"),
                format!("06 1{} {} {} {}", &d[0..1], &d[1..3], &d[3..5], &d[5..7]),
            )
        }
        "US" => {
            const AREAS: [&str; 6] = ["212", "312", "415", "617", "646", "718"];
            let area = AREAS[(h % AREAS.len() as u64) as usize];
            let ex = 200 + (h >> 8) % 700; // 200..899: a valid exchange
            let line = digits(h >> 20, 4);
            (
                format!("+1{area}{ex}{line}"),
                format!("({area}) {ex}-{line}"),
            )
        }
        "BR" => {
            let d = digits(h, 8);
            (
                format!("+55119{d}"),
                format!("(11) 9{}-{}", &d[0..4], &d[4..8]),
            )
        }
        "DE" => {
            let d = digits(h, 8);
            (format!("+49151{d}"), format!("0151 {d}"))
        }
        "ES" => {
            let d = digits(h, 8);
            (
                format!("+346{d}"),
                format!("6{} {} {} {}", &d[0..2], &d[2..4], &d[4..6], &d[6..8]),
            )
        }
        "GB" => {
            let d = digits(h, 6);
            (format!("+447400{d}"), format!("07400 {d}"))
        }
        "IN" => {
            // 98xxx xxxxx: a national number that does not start with the country code 91.
            let d = digits(h, 8);
            (format!("+9198{d}"), format!("98{} {}", &d[0..3], &d[3..8]))
        }
        _ => {
            // MX: Mexico City mobiles, 10 digits.
            let d = digits(h, 8);
            (format!("+5255{d}"), format!("55 {} {}", &d[0..4], &d[4..8]))
        }
    }
}

/// A number of `country` that cannot receive a message, in E.164, from 64 random bits: a fixed
/// line, or where fixed lines and mobiles look alike (US, Mexico) a toll-free number.
pub fn landline(country: &Country, h: u64) -> String {
    match country.code {
        "FR" => format!("+3314{}", digits(h, 7)),
        "US" => format!("+1800{}{}", 200 + h % 700, digits(h >> 12, 4)),
        "BR" => format!("+55113{}", digits(h, 7)),
        "DE" => format!("+4930{}", digits(h, 8)),
        "ES" => format!("+3491{}", digits(h, 7)),
        "GB" => format!("+44207{}", digits(h, 7)),
        "IN" => format!("+91112{}", digits(h, 7)),
        _ => format!("+52800{}", digits(h, 7)),
    }
}

/// Digits 0–9 of other scripts people type numbers in: full-width, Arabic-Indic.
pub(super) const OTHER_SCRIPTS: [&str; 2] = ["０１２３４５６７８９", "٠١٢٣٤٥٦٧٨٩"];

pub(super) fn in_script(text: &str, script: &str) -> String {
    let digits: Vec<char> = script.chars().collect();
    text.chars()
        .map(|c| c.to_digit(10).map_or(c, |d| digits[d as usize]))
        .collect()
}

/// A number with a letter typed for a digit: its first 0 as an `O`, else its first 1 as an `l`.
pub(super) fn typo(written: &str) -> String {
    if let Some(at) = written.find('0') {
        format!("{}O{}", &written[..at], &written[at + 1..])
    } else if let Some(at) = written.find('1') {
        format!("{}l{}", &written[..at], &written[at + 1..])
    } else {
        format!("{written}O")
    }
}

pub(super) const INVALID_PHONES: [&str; 5] = ["12345", "n/a", "+33 1", "call me", "000"];
