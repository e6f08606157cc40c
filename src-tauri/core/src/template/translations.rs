//! A template's translations: the local templates of one name, one per language. Each is its own
//! template at Meta (approved or rejected on its own), and they share the names of their dynamic
//! values, so one field mapping serves them all. Also each recipient's language: their Zendesk
//! locale matched to a translation (exact region, base language, the workspace's rules, another
//! region of the same language), else the campaign's default.

use super::{languages, placeholders, Template};
use crate::text::Text;
use serde::{Deserialize, Serialize};
use specta::Type;

/// The workspace's rules as they are first written: a locale whose language Meta has only with
/// a region (or under another code), and the translation it gets. From Meta's list
/// (`specs/whatsapp_languages.txt`): Portuguese and Chinese exist only per region, Latin American
/// Spanish (`es-419`) is Mexico's, and the codes Zendesk may still use for Norwegian, Filipino,
/// Hebrew and Indonesian are Meta's `nb`, `fil`, `he`, `id`.
pub const DEFAULT_RULES: [&str; 13] = [
    "pt=pt_BR",
    "zh=zh_CN",
    "es-419=es_MX",
    "be=be_BY",
    "rw=rw_RW",
    "ky=ky_KG",
    "si=si_LK",
    "ps=ps_AF",
    "prs=prs_AF",
    "no=nb",
    "tl=fil",
    "iw=he",
    "in=id",
];

/// Meta's code for a language as people write it (`en-us`, `EN_US`, `pt-BR`): the code of Meta's
/// list it names, ignoring case and the separator; None when Meta has no such language.
pub fn meta_code(input: &str) -> Option<&'static str> {
    let wanted = input.trim().replace('-', "_");
    languages().find(|c| c.eq_ignore_ascii_case(&wanted))
}

/// A Zendesk locale in one form: lowercase language, `-`, the rest as written in upper case
/// (`fr-ca` → `fr-CA`, `es_419` → `es-419`).
pub fn normalize_locale(locale: &str) -> String {
    let l = locale.trim().replace('_', "-");
    match l.split_once('-') {
        Some((base, rest)) => format!(
            "{}-{}",
            base.to_ascii_lowercase(),
            rest.to_ascii_uppercase()
        ),
        None => l.to_ascii_lowercase(),
    }
}

/// A rule of the workspace: a locale (`pt`, `es-419`) and Meta's code it gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguageRule {
    pub locale: String,
    pub code: &'static str,
}

impl LanguageRule {
    /// `LOCALE=CODE`; an error says what is wrong.
    pub fn parse(s: &str) -> Result<LanguageRule, Text> {
        let Some((locale, code)) = s.split_once('=') else {
            return Err(crate::text!("language_rule.form", value = s.trim()));
        };
        let locale = normalize_locale(locale);
        let well_formed = !locale.is_empty()
            && locale
                .split('-')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()));
        if !well_formed {
            return Err(crate::text!("language_rule.locale", value = s.trim()));
        }
        let Some(code) = meta_code(code) else {
            return Err(crate::text!(
                "language_rule.code",
                value = s.trim(),
                code = code.trim()
            ));
        };
        Ok(LanguageRule { locale, code })
    }

    /// The rules of the settings that read (the settings refuse the others).
    pub fn all(list: &[String]) -> Vec<LanguageRule> {
        list.iter()
            .filter_map(|s| LanguageRule::parse(s).ok())
            .collect()
    }
}

/// How a recipient's language was chosen.
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
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum LanguageMatch {
    /// The locale's language and region (`fr-CA` → `fr_CA`).
    Exact,
    /// The locale's language (`fr-CA` → `fr`).
    Base,
    /// A rule of the workspace (`pt` → `pt_BR`).
    Rule,
    /// Another region of the locale's language (`en-GB` → `en_US`).
    Region,
    /// Nothing matched (no locale, or a language the template lacks): the default.
    Default,
    /// The translation matched is not approved on the integration: the default instead.
    NotApproved,
    /// One language for everyone.
    One,
}

/// The translation (by its index in `languages`, Meta's codes) for a Zendesk locale, and how:
/// the exact region first, then the base language, then the rules, then another region of the
/// same language; None when nothing matches (the default then applies).
pub fn choose(
    locale: Option<&str>,
    languages: &[&str],
    rules: &[LanguageRule],
) -> Option<(usize, LanguageMatch)> {
    let locale = normalize_locale(locale?);
    if locale.is_empty() {
        return None;
    }
    let find = |code: &str| {
        languages
            .iter()
            .position(|l| l.eq_ignore_ascii_case(&code.replace('-', "_")))
    };
    let base = locale.split('-').next().unwrap_or_default().to_string();
    if locale.contains('-') {
        if let Some(i) = find(&locale) {
            return Some((i, LanguageMatch::Exact));
        }
    }
    if let Some(i) = find(&base) {
        return Some((
            i,
            if locale == base {
                LanguageMatch::Exact
            } else {
                LanguageMatch::Base
            },
        ));
    }
    for key in [&locale, &base] {
        if let Some(i) = rules
            .iter()
            .filter(|r| r.locale == *key)
            .find_map(|r| find(r.code))
        {
            return Some((i, LanguageMatch::Rule));
        }
    }
    languages
        .iter()
        .position(|l| {
            l.split('_')
                .next()
                .is_some_and(|b| b.eq_ignore_ascii_case(&base))
        })
        .map(|i| (i, LanguageMatch::Region))
}

/// The names of a template's dynamic values (as first written, each once), in order.
pub fn value_names(t: &Template) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    // Where dynamic values are: a text header, the body, link buttons (as the mapping's slots).
    let header = (t.header.kind == super::HeaderKind::Text).then_some(t.header.text.as_str());
    let texts = header.into_iter().chain([t.body.as_str()]).chain(
        t.buttons
            .iter()
            .filter(|b| b.kind == super::ButtonKind::Url)
            .map(|b| b.value.as_str()),
    );
    for text in texts {
        for p in placeholders(text).unwrap_or_default() {
            if !out.iter().any(|n| n.eq_ignore_ascii_case(&p.example)) {
                out.push(p.example);
            }
        }
    }
    out
}

/// What differs between a translation's dynamic values and another's (`reference`): one problem
/// per value it lacks and per value it adds.
pub fn value_differences(t: &Template, reference: &Template) -> Vec<Text> {
    let (mine, theirs) = (value_names(t), value_names(reference));
    let has = |list: &[String], n: &str| list.iter().any(|m| m.eq_ignore_ascii_case(n));
    let mut out: Vec<Text> = theirs
        .iter()
        .filter(|n| !has(&mine, n))
        .map(|n| {
            crate::text!(
                "translation.lacks",
                language = t.language,
                value = n,
                other = reference.language
            )
        })
        .collect();
    out.extend(mine.iter().filter(|n| !has(&theirs, n)).map(|n| {
        crate::text!(
            "translation.adds",
            language = t.language,
            value = n,
            other = reference.language
        )
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Vec<LanguageRule> {
        LanguageRule::all(&DEFAULT_RULES.map(String::from))
    }

    #[test]
    fn the_default_rules_name_meta_s_codes() {
        assert_eq!(
            rules().len(),
            DEFAULT_RULES.len(),
            "every default rule reads"
        );
        for r in rules() {
            assert!(
                meta_code(&r.locale).is_none() || r.locale.contains('-'),
                "{}: a rule for a language Meta has bare would never apply",
                r.locale
            );
        }
    }

    #[test]
    fn codes_and_locales_are_read_in_any_form() {
        assert_eq!(meta_code("en-us"), Some("en_US"));
        assert_eq!(meta_code(" PT_br "), Some("pt_BR"));
        assert_eq!(meta_code("fr"), Some("fr"));
        assert_eq!(meta_code("xx_YY"), None);
        assert_eq!(normalize_locale("fr_ca"), "fr-CA");
        assert_eq!(normalize_locale("es-419"), "es-419");
        assert!(LanguageRule::parse("pt").is_err());
        assert!(LanguageRule::parse("pt=pt-XX").is_err());
        assert_eq!(LanguageRule::parse("PT = pt-br").unwrap().code, "pt_BR");
    }

    #[test]
    fn the_chain_exact_base_rule_region_then_nothing() {
        let langs = ["fr", "en_US", "es", "pt_BR", "fr_CA"];
        let pick = |l: &str| choose(Some(l), &langs, &rules()).map(|(i, how)| (langs[i], how));
        use LanguageMatch::*;
        assert_eq!(pick("fr-CA"), Some(("fr_CA", Exact)));
        assert_eq!(pick("fr-BE"), Some(("fr", Base)));
        assert_eq!(pick("fr"), Some(("fr", Exact)));
        assert_eq!(pick("en-US"), Some(("en_US", Exact)));
        assert_eq!(pick("en-GB"), Some(("en_US", Region)));
        assert_eq!(pick("pt-PT"), Some(("pt_BR", Rule)), "pt → pt_BR");
        assert_eq!(
            pick("es-419"),
            Some(("es", Base)),
            "the base before the rules"
        );
        assert_eq!(pick("de"), None);
        assert_eq!(choose(None, &langs, &rules()), None);
        let langs = ["en_US", "es_MX"];
        assert_eq!(
            choose(Some("es-419"), &langs, &rules()),
            Some((1, Rule)),
            "es-419 → es_MX"
        );
        assert_eq!(choose(Some("es-AR"), &langs, &rules()), Some((1, Region)));
    }

    #[test]
    fn translations_are_compared_by_value_names() {
        let en = Template {
            language: "en_US".into(),
            body: "Hi {{Ann}}, order {{A-1}} ships {{Monday}}.".into(),
            ..Template::default()
        };
        let fr = Template {
            language: "fr".into(),
            body: "Bonjour {{ann}}, la commande {{A-1}} part {{Monday}}.".into(),
            ..Template::default()
        };
        assert!(
            value_differences(&fr, &en).is_empty(),
            "case and order aside"
        );
        let es = Template {
            language: "es".into(),
            body: "Hola {{Ann}}, pedido {{Pedido}}.".into(),
            ..Template::default()
        };
        let d: Vec<String> = value_differences(&es, &en)
            .iter()
            .map(Text::english)
            .collect();
        assert_eq!(d.len(), 3, "{d:?}");
        assert!(d[0].contains("A-1") && d[2].contains("Pedido"), "{d:?}");
    }
}
