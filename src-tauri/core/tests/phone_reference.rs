//! Relay's reading of phone numbers against Google's libphonenumber, differentially: a corpus of
//! messy inputs generated from a seed (the numbers of 30 countries of every type, written
//! nationally, internationally, with 00, with `(0)`, without their trunk prefix, with dots,
//! dashes, slashes, brackets and no-break spaces, in the digits of other scripts, with
//! extensions, with a letter typed for a digit, too short, too long, and the same number in
//! several writings), read by Relay (`relay_core::phone::read`) and by libphonenumber's Python
//! port `phonenumbers` at the same metadata version (installed by `./x test`, run offline).
//!
//! Every answer must agree — the number in E.164, its type, its extension, or why it is not a
//! number — except where Relay differs on purpose, each counted and said:
//! - **letters**: an input with a letter outside an extension marker is refused as
//!   `contains_letters` (libphonenumber drops such a letter, or dials three or more on a keypad:
//!   a typo would message a stranger). libphonenumber itself says where its extension is.
//! - **extension words**: `poste`, `Durchwahl`… mark an extension for Relay; the reference reads
//!   the input with the word written as its `ext.`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use relay_core::phone::{self, Country, PhoneProblem};
use rlibphonenumber::{enums::Region, PhoneNumberFormat, PhoneNumberType, PHONE_NUMBER_UTIL};
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const CASES: usize = 6000;
/// The corpus's seed: the same inputs every run; `RELAY_PHONE_SEED` explores others.
fn seed() -> u64 {
    std::env::var("RELAY_PHONE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(24)
}

const REGIONS: [&str; 30] = [
    "FR", "IT", "DE", "ES", "GB", "US", "CA", "BR", "MX", "IN", "AU", "NL", "BE", "CH", "PT", "PL",
    "SE", "JP", "CN", "AR", "ZA", "NG", "SA", "AE", "IR", "EG", "RU", "TR", "SG", "KR",
];

const TYPES: [PhoneNumberType; 11] = [
    PhoneNumberType::Mobile,
    PhoneNumberType::Mobile,
    PhoneNumberType::FixedLine,
    PhoneNumberType::FixedLine,
    PhoneNumberType::TollFree,
    PhoneNumberType::PremiumRate,
    PhoneNumberType::SharedCost,
    PhoneNumberType::VoIP,
    PhoneNumberType::PersonalNumber,
    PhoneNumberType::Pager,
    PhoneNumberType::UAN,
];

/// Digits 0–9 of other scripts: full-width, Arabic-Indic, Persian, Devanagari, Bengali, Thai.
const SCRIPTS: [&str; 6] = [
    "０１２３４５６７８９",
    "٠١٢٣٤٥٦٧٨٩",
    "۰۱۲۳۴۵۶۷۸۹",
    "०१२३४५६७८९",
    "০১২৩৪৫৬৭৮৯",
    "๐๑๒๓๔๕๖๗๘๙",
];

const EXTENSIONS: [&str; 20] = [
    " ext. 12",
    " ext 7",
    " x123",
    " X 45",
    "#45",
    ";ext=9",
    " extension 31",
    " ext.12345",
    " poste 22",
    " Poste: 4",
    " Durchwahl 3",
    " interno 210",
    " ramal 5",
    ",,101",
    " доб. 12",
    " anexo 3",
    " int 45",
    "~12",
    "ｅｘｔ12",
    // Too long for any marker: letters.
    " ext 1234567890123456789012",
];

const SEPARATORS: [&str; 8] = [" ", ".", "-", "", " - ", "/", "\u{a0}", "ー"];

/// The Python that runs the reference: `$RELAY_PHONE_REFERENCE_PYTHON`, else the virtual
/// environment `./x test` makes in the target folder.
fn reference_python() -> PathBuf {
    if let Some(p) = std::env::var_os("RELAY_PHONE_REFERENCE_PYTHON") {
        return p.into();
    }
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target folder")
        .to_path_buf();
    let bin = if cfg!(windows) {
        "Scripts/python.exe"
    } else {
        "bin/python"
    };
    target.join("phone-reference").join(bin)
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/phone_reference/reference.py")
}

/// A number's writings, from an example of libphonenumber's metadata.
fn writings(rng: &mut StdRng, region: &str, kind: PhoneNumberType) -> Vec<String> {
    let util = &*PHONE_NUMBER_UTIL;
    let r: Region = region.parse().expect("a region");
    let Ok(n) = util
        .get_example_number_for_type_and_region(r, kind)
        .or_else(|_| util.get_example_number(r))
    else {
        return vec![];
    };
    let national = util.format(&n, PhoneNumberFormat::National).into_owned();
    let international = util
        .format(&n, PhoneNumberFormat::International)
        .into_owned();
    let e164 = util.format(&n, PhoneNumberFormat::E164).into_owned();
    let nsn = rlibphonenumber::get_national_significant_number_owned(&n);
    let cc = n.country_code;
    let all = [
        national,
        international.clone(),
        e164,
        format!("00{cc}{nsn}"),
        format!("00 {}", international.trim_start_matches('+')),
        format!("+{cc} (0) {nsn}"),
        nsn.clone(),
        format!("(+{cc}) {nsn}"),
        format!("＋{cc} {nsn}"),
    ];
    // Two writings of the same number: duplicates, as an audience has them.
    (0..2)
        .map(|_| all[rng.random_range(0..all.len())].clone())
        .collect()
}

/// A digit changed, dropped or added (a number too short, too long, or another one).
fn mutate_digits(rng: &mut StdRng, s: &str) -> String {
    let digits: Vec<usize> = s
        .char_indices()
        .filter(|(_, c)| c.is_ascii_digit())
        .map(|(i, _)| i)
        .collect();
    if digits.is_empty() {
        return s.to_string();
    }
    let at = digits[rng.random_range(0..digits.len())];
    let d = char::from(b'0' + rng.random_range(0..10u8));
    match rng.random_range(0..3) {
        0 => format!("{}{d}{}", &s[..at], &s[at + 1..]),
        1 => format!("{}{}", &s[..at], &s[at + 1..]),
        _ => format!("{}{d}{}", &s[..at], &s[at..]),
    }
}

fn messy(rng: &mut StdRng, mut s: String) -> String {
    if rng.random_bool(0.25) {
        s = mutate_digits(rng, &s);
    }
    if rng.random_bool(0.3) {
        let sep = SEPARATORS[rng.random_range(0..SEPARATORS.len())];
        s = s.split(' ').collect::<Vec<_>>().join(sep);
    }
    if rng.random_bool(0.08) && s.len() > 4 && s.is_char_boundary(3) {
        s = format!("({}) {}", &s[..3], &s[3..]);
    }
    if rng.random_bool(0.12) {
        let script: Vec<char> = SCRIPTS[rng.random_range(0..SCRIPTS.len())]
            .chars()
            .collect();
        s = s
            .chars()
            .map(|c| c.to_digit(10).map_or(c, |d| script[d as usize]))
            .collect();
    }
    if rng.random_bool(0.12) {
        s.push_str(EXTENSIONS[rng.random_range(0..EXTENSIONS.len())]);
    }
    if rng.random_bool(0.08) {
        // A letter typed for a digit.
        let chars: Vec<char> = s.chars().collect();
        let at = rng.random_range(0..chars.len());
        let letter = ['O', 'o', 'l', 'I', 'B', 'S'][rng.random_range(0..6)];
        s = chars
            .iter()
            .enumerate()
            .map(|(i, c)| if i == at { letter } else { *c })
            .collect();
    }
    match rng.random_range(0..100) {
        0 => s = format!("Tel: {s}"),
        1 => s.push_str(" mobile"),
        2 => s = format!("tel:{}", s.replace(' ', "-")),
        3 => s = format!("  {s}  "),
        4 => s = "1-800-FLOWERS".to_string(),
        _ => {}
    }
    s
}

fn corpus() -> Vec<(String, Option<&'static str>)> {
    let mut rng = StdRng::seed_from_u64(seed());
    let mut out = Vec::with_capacity(CASES);
    while out.len() < CASES {
        let region = REGIONS[rng.random_range(0..REGIONS.len())];
        let kind = TYPES[rng.random_range(0..TYPES.len())];
        for w in writings(&mut rng, region, kind) {
            let input = messy(&mut rng, w);
            let default = match rng.random_range(0..20) {
                0..=11 => Some(region),
                12..=14 => None,
                _ => Some(REGIONS[rng.random_range(0..REGIONS.len())]),
            };
            out.push((input, default));
        }
    }
    out.truncate(CASES);
    out
}

/// Relay's reading, in the reference's words.
fn relay(input: &str, region: Option<&str>) -> Value {
    match phone::read(input, region.and_then(Country::parse)) {
        Ok(n) => json!({"e164": n.e164, "kind": n.kind.as_ref(), "extension": n.extension}),
        Err(p) => json!({"problem": p.as_ref()}),
    }
}

/// What the reference says Relay should answer, and why when Relay differs on purpose.
fn expected(input: &str, region: Option<&str>, reference: &Value) -> (Value, Option<&'static str>) {
    if reference["letters"].as_i64().unwrap_or(0) > 0 {
        return (json!({"problem": "contains_letters"}), Some("letters"));
    }
    let mut want = reference.clone();
    want.as_object_mut().map(|o| o.remove("letters"));
    if want["problem"] == "invalid_country_code" && region.is_none() {
        // Written nationally with no country to read it in: Relay says what to do about it.
        let first = input
            .chars()
            .find(|c| *c == '+' || *c == '＋' || c.is_numeric());
        if !matches!(first, Some('+' | '＋')) {
            want = json!({"problem": PhoneProblem::NoCountry.as_ref()});
        }
    }
    let reworded = phone::with_known_extension_words(input) != input;
    (want, reworded.then_some("extension words"))
}

/// What the reference says of each `(input, region)`, in order.
fn ask(python: &std::path::Path, queries: &[(String, Option<&str>)]) -> Vec<Value> {
    let mut child = Command::new(python)
        .arg(script())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the reference");
    let mut stdin = child.stdin.take().expect("stdin");
    let text: String = queries
        .iter()
        .map(|(input, region)| json!({"input": input, "region": region}).to_string() + "\n")
        .collect();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let out = child.wait_with_output().expect("the reference's answers");
    writer.join().expect("writer").expect("write the queries");
    assert!(out.status.success(), "the reference failed");
    let answers: Vec<Value> = String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(answers.len(), queries.len());
    answers
}

/// An input that ends with one of Relay's extension words and digits: what is before the word,
/// and the digits after it (found here by a plain search, not by Relay's pattern).
fn split_at_word(input: &str) -> Option<(String, String)> {
    let lower = input.to_lowercase();
    if lower.len() != input.len() {
        return None;
    }
    let (at, word) = phone::EXTENSION_WORDS
        .iter()
        .filter_map(|w| lower.rfind(w).map(|i| (i, *w)))
        .max()?;
    let after = input[at + word.len()..].trim_start_matches(|c: char| !c.is_numeric());
    let digits = after.trim_end_matches(|c: char| c == '#' || c.is_whitespace());
    (!digits.is_empty() && digits.chars().all(char::is_numeric))
        .then(|| (input[..at].trim_end().to_string(), digits.to_string()))
}

#[test]
fn relay_reads_numbers_as_libphonenumber_does() {
    let python = reference_python();
    let version = Command::new(&python)
        .arg(script())
        .arg("--version")
        .output();
    let version = match version {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => panic!(
            "the libphonenumber reference is not installed at {}: run `./x test` once (it installs \
             it), or: python3 -m venv {} && {} -m pip install phonenumbers=={}",
            python.display(),
            python.parent().and_then(|p| p.parent()).unwrap_or(&python).display(),
            python.display(),
            phone::METADATA_VERSION
        ),
    };
    assert_eq!(
        version,
        phone::METADATA_VERSION,
        "the reference must read with the metadata Relay's reader has"
    );

    let corpus = corpus();
    let countries: std::collections::BTreeSet<_> = corpus.iter().filter_map(|c| c.1).collect();
    assert!(corpus.len() >= 5000 && countries.len() >= 20);

    // The reference reads the inputs with Relay's extension words written as its `ext.`.
    let queries: Vec<(String, Option<&str>)> = corpus
        .iter()
        .map(|(input, region)| {
            (
                phone::with_known_extension_words(input).into_owned(),
                *region,
            )
        })
        .collect();
    let answers = ask(&python, &queries);
    assert_eq!(answers.len(), corpus.len());

    // Relay's extension words, checked without its own rewrite: the number before the word read
    // by the reference alone, and the digits after it read by the reference as an `ext.`.
    let worded: Vec<(usize, String, String)> = corpus
        .iter()
        .enumerate()
        .filter_map(|(i, (input, _))| split_at_word(input).map(|(a, b)| (i, a, b)))
        .collect();
    let checks: Vec<(String, Option<&str>)> = worded
        .iter()
        .flat_map(|(i, before, digits)| {
            [
                (before.clone(), corpus[*i].1),
                (format!("+16502530000 ext. {digits}"), None),
            ]
        })
        .collect();
    let second = ask(&python, &checks);
    for ((i, before, _), pair) in worded.iter().zip(second.chunks(2)) {
        let (input, region) = &corpus[*i];
        let got = relay(input, *region);
        let (number, ext) = (&pair[0], &pair[1]);
        if number["letters"].as_i64().unwrap_or(0) > 0 || got.get("e164").is_none() {
            continue;
        }
        assert_eq!(
            got["e164"], number["e164"],
            "{input:?} in {region:?}: the number before the word ({before:?}) reads otherwise"
        );
        assert_eq!(
            got["extension"], ext["extension"],
            "{input:?}: the digits after the word read otherwise as an extension"
        );
    }

    let mut deliberate: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut disagreements = Vec::new();
    let (mut valid, mut invalid) = (0, 0);
    for ((input, region), reference) in corpus.iter().zip(&answers) {
        let got = relay(input, *region);
        let (want, why) = expected(input, *region, reference);
        if got != want {
            disagreements.push(format!(
                "{input:?} in {region:?}: Relay {got}, libphonenumber {want} ({reference})"
            ));
            continue;
        }
        if let Some(why) = why {
            *deliberate.entry(why).or_default() += 1;
        }
        if got.get("e164").is_some() {
            valid += 1;
        } else {
            invalid += 1;
        }
    }
    println!(
        "{} inputs, {} default countries: {valid} numbers and {invalid} refusals agree with \
         libphonenumber {version}; deliberate differences: {deliberate:?}",
        corpus.len(),
        countries.len()
    );
    assert!(
        disagreements.is_empty(),
        "{} of {} inputs read otherwise than libphonenumber reads them:\n{}",
        disagreements.len(),
        corpus.len(),
        disagreements
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The corpus covers what it is meant to.
    assert!(deliberate.get("letters").copied().unwrap_or(0) > 100);
    assert!(deliberate.get("extension words").copied().unwrap_or(0) > 50);
    assert!(
        valid > 1500 && invalid > 1500,
        "{valid} valid, {invalid} invalid"
    );
}
