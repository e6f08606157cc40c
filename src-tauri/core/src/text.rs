//! Messages by code. What Relay says to people — an error, a validation problem, a connection
//! check, why a campaign paused, why a recipient was left out — is a [`Text`]: a key of the
//! catalogs (`i18n/en.json`, `i18n/fr.json`, beside this crate) and the values of its
//! placeholders. The window says it in the user's language from the same catalogs; the command
//! line and the log print its English ([`Text::english`]); the desktop notification picks the
//! language the window uses.
//!
//! Words that come from outside (a provider's message, a value, a file's name) are parameters,
//! never keys; a parameter may itself be a text (`name => other` in [`text!`]), said in the same
//! language; a text that has no key (a message stored before texts had keys) is
//! [`Text::verbatim`], shown as it is.

use serde::{Deserialize, Serialize};
use specta::Type;
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

/// A message by code (see the module's doc).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Text {
    /// A key of the catalogs.
    pub key: String,
    /// The values of its placeholders (`{name}` in the catalogs).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[specta(optional)]
    pub params: BTreeMap<String, Param>,
}

/// The value of a placeholder: words as they are, or a text said in the same language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(untagged)]
pub enum Param {
    Plain(String),
    Text(Text),
}

/// The languages of the catalogs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Fr,
}

/// The key of a text shown as it is (its `text` parameter).
pub const VERBATIM: &str = "verbatim";

fn parse(json: &str) -> HashMap<String, String> {
    serde_json::from_str(json).unwrap_or_default()
}

static EN: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| parse(include_str!("../i18n/en.json")));
static FR: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| parse(include_str!("../i18n/fr.json")));

fn catalog(lang: Lang) -> &'static HashMap<String, String> {
    match lang {
        Lang::En => &EN,
        Lang::Fr => &FR,
    }
}

impl Lang {
    /// The language a setting asks for: English or French, or for "system" the system's
    /// (French when its locale is, English otherwise).
    pub fn of(setting: crate::settings::Language) -> Lang {
        use crate::settings::Language;
        match setting {
            Language::En => Lang::En,
            Language::Fr => Lang::Fr,
            Language::System => match sys_locale::get_locale() {
                Some(l) if l.to_ascii_lowercase().starts_with("fr") => Lang::Fr,
                _ => Lang::En,
            },
        }
    }
}

impl Text {
    pub fn new(key: &str) -> Text {
        Text {
            key: key.to_string(),
            params: BTreeMap::new(),
        }
    }

    /// Gives a placeholder its value.
    pub fn with(mut self, name: &str, value: impl std::fmt::Display) -> Text {
        self.add(name, value);
        self
    }

    /// Gives a placeholder a text as its value.
    pub fn with_text(mut self, name: &str, value: Text) -> Text {
        self.params.insert(name.to_string(), Param::Text(value));
        self
    }

    /// Gives a placeholder a text as its value, in place.
    pub fn add_text(&mut self, name: &str, value: Text) -> &mut Text {
        self.params.insert(name.to_string(), Param::Text(value));
        self
    }

    /// Texts said one after the other, separated by commas.
    pub fn list(mut parts: Vec<Text>) -> Text {
        match parts.len() {
            0 => Text::verbatim(""),
            1 => parts.remove(0),
            _ => {
                let first = parts.remove(0);
                Text::new("list")
                    .with_text("first", first)
                    .with_text("rest", Text::list(parts))
            }
        }
    }

    /// Placeholders of its catalog text (English) that it gives no value, at any depth: a text
    /// made without all its values (tests check none is).
    pub fn unfilled(&self) -> Vec<String> {
        let mut out: Vec<String> = EN
            .get(&self.key)
            .map(|t| placeholder_names(t))
            .unwrap_or_default()
            .into_iter()
            .filter(|p| !self.params.contains_key(p))
            .map(|p| format!("{}.{p}", self.key))
            .collect();
        for v in self.params.values() {
            if let Param::Text(t) = v {
                out.extend(t.unfilled());
            }
        }
        if !EN.contains_key(&self.key) {
            out.push(format!("{} (no such key)", self.key));
        }
        out
    }

    /// Gives a placeholder its value, in place.
    pub fn add(&mut self, name: &str, value: impl std::fmt::Display) -> &mut Text {
        self.params
            .insert(name.to_string(), Param::Plain(value.to_string()));
        self
    }

    /// Words with no key, shown as they are in every language: a message stored before texts
    /// had keys, a line only the command line prints.
    pub fn verbatim(text: impl Into<String>) -> Text {
        Text::new(VERBATIM).with("text", text.into())
    }

    /// The text in `lang` (English when the catalog has no such key).
    pub fn render(&self, lang: Lang) -> String {
        let template = catalog(lang)
            .get(&self.key)
            .or_else(|| EN.get(&self.key))
            .map(String::as_str)
            .unwrap_or(&self.key);
        fill(template, &self.params, lang)
    }

    pub fn english(&self) -> String {
        self.render(Lang::En)
    }

    /// A stored text: its JSON form, or words stored before texts had keys.
    pub fn from_stored(stored: &str) -> Text {
        serde_json::from_str(stored).unwrap_or_else(|_| Text::verbatim(stored))
    }

    /// What is stored of it (see [`Text::from_stored`]).
    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| self.english())
    }
}

/// Stored as [`Text::to_stored`], read as [`Text::from_stored`] (words stored before texts had
/// keys read as they are).
impl rusqlite::types::ToSql for Text {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::from(self.to_stored()))
    }
}

impl rusqlite::types::FromSql for Text {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        value.as_str().map(Text::from_stored)
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.english())
    }
}

/// Placeholder names are lowercase (`{id}`, `{max_rate}`): `{{Clarice}}` in a text is an example
/// of a dynamic value, written as it is.
fn is_name_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'
}

/// The `{name}` placeholders of a catalog text.
fn placeholder_names(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close)
                if !after[..close].is_empty() && after[..close].chars().all(is_name_char) =>
            {
                out.push(after[..close].to_string());
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

/// `{name}` placeholders replaced by their values; one with no value is left as it is.
fn fill(template: &str, params: &BTreeMap<String, Param>, lang: Lang) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close)
                if !after[..close].is_empty() && after[..close].chars().all(is_name_char) =>
            {
                match params.get(&after[..close]) {
                    Some(Param::Plain(v)) => out.push_str(v),
                    Some(Param::Text(t)) => out.push_str(&t.render(lang)),
                    None => out.push_str(&rest[open..open + close + 2]),
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A [`Text`]: `text!("campaign.not_found", id = id)`; `name => text` gives a placeholder a
/// text said in the same language.
#[macro_export]
macro_rules! text {
    ($key:literal $(, $($rest:tt)*)?) => {
        $crate::__text_params!($crate::text::Text::new($key); $($($rest)*)?)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __text_params {
    ($t:expr;) => { $t };
    ($t:expr; $name:ident = $value:expr $(, $($rest:tt)*)?) => {
        $crate::__text_params!($t.with(stringify!($name), &$value); $($($rest)*)?)
    };
    ($t:expr; $name:ident => $value:expr $(, $($rest:tt)*)?) => {
        $crate::__text_params!($t.with_text(stringify!($name), $value); $($($rest)*)?)
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The placeholders of a template.
    fn placeholders(t: &str) -> BTreeSet<String> {
        placeholder_names(t).into_iter().collect()
    }

    #[test]
    fn both_catalogs_have_every_key_with_the_same_placeholders() {
        assert!(!EN.is_empty(), "i18n/en.json parses");
        let en: BTreeSet<_> = EN.keys().collect();
        let fr: BTreeSet<_> = FR.keys().collect();
        assert_eq!(
            en.symmetric_difference(&fr).collect::<Vec<_>>(),
            Vec::<&&String>::new(),
            "keys in one catalog only"
        );
        for (k, v) in EN.iter() {
            assert_eq!(placeholders(v), placeholders(&FR[k]), "{k}");
        }
    }

    /// Every call of [`text!`](crate::text!) in the sources names a key of the catalogs, with exactly the
    /// placeholders it gives.
    #[test]
    fn every_text_the_code_makes_is_in_the_catalogs() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let app = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../app");
        let mut files = Vec::new();
        let mut stack = vec![src, app];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    files.push(p);
                }
            }
        }
        let mut seen = 0;
        for f in files {
            let s = std::fs::read_to_string(&f).unwrap();
            let mut rest = s.as_str();
            while let Some(at) = rest.find("text!(\"") {
                let call = &rest[at + 7..];
                let end = call.find('"').unwrap();
                let key = &call[..end];
                // The arguments up to the closing parenthesis of the call.
                let mut depth = 1;
                let mut args_end = end;
                for (i, c) in call[end..].char_indices() {
                    match c {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                args_end = end + i;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let given: BTreeSet<String> = call[end + 1..args_end]
                    .split(',')
                    .filter_map(|a| {
                        let (name, _) = a.split_once('=')?;
                        let name = name.trim();
                        (!name.is_empty() && name.chars().all(is_name_char))
                            .then(|| name.to_string())
                    })
                    .collect();
                let template = EN
                    .get(key)
                    .unwrap_or_else(|| panic!("{}: \"{key}\" is not in i18n/en.json", f.display()));
                assert_eq!(
                    placeholders(template),
                    given,
                    "{}: the placeholders of \"{key}\"",
                    f.display()
                );
                seen += 1;
                rest = &call[end..];
            }
        }
        assert!(seen > 0);
    }

    /// The deliverable of messages by code: every code the UI switches on has its words in
    /// both languages.
    #[test]
    fn every_code_has_a_text_in_both_languages() {
        use strum::VariantArray;
        let keys = crate::error::ErrorCode::ALL
            .iter()
            .map(|c| format!("error.code.{}", c.as_str()))
            .chain(
                crate::template::validate::IssueCode::VARIANTS
                    .iter()
                    .map(|c| format!("issue.{c}")),
            )
            .chain(
                crate::audience::ExclusionReason::VARIANTS
                    .iter()
                    .map(|r| format!("reason.{r}")),
            );
        let mut n = 0;
        for k in keys {
            for (lang, catalog) in [("en", &*EN), ("fr", &*FR)] {
                assert!(
                    catalog.get(&k).is_some_and(|t| !t.trim().is_empty()),
                    "{k} has no text in i18n/{lang}.json"
                );
            }
            n += 1;
        }
        assert!(n > 70, "{n} codes");
    }

    /// The window has no command line: what the core says names no `relay` command nor flag
    /// (the CLI adds its own hint).
    #[test]
    fn no_text_names_a_command() {
        for (k, v) in EN.iter().chain(FR.iter()) {
            assert!(
                !v.contains("`relay") && !v.contains("relay settings") && !v.contains(" --"),
                "{k}: {v}"
            );
        }
    }

    #[test]
    fn placeholders_are_filled_and_unknown_ones_left() {
        let t = Text::new(VERBATIM).with("text", "a {b} c");
        assert_eq!(
            t.english(),
            "a {b} c",
            "a value is never read as a template"
        );
        let mut p = BTreeMap::new();
        p.insert("id".to_string(), Param::Plain("c1".to_string()));
        assert_eq!(
            fill("Campaign {id}, {missing}, {not a name}", &p, Lang::En),
            "Campaign c1, {missing}, {not a name}"
        );
        assert_eq!(fill("é{id}€", &p, Lang::En), "éc1€");
    }

    #[test]
    fn a_text_given_as_a_value_is_said_in_the_same_language() {
        let inner = crate::text!("secret.zendesk_api_token");
        let t = crate::text!("secret.empty", label => inner.clone(),);
        assert_eq!(t.params["label"], Param::Text(inner));
        assert!(t.english().contains("Zendesk API token"), "{}", t.english());
        assert!(
            t.render(Lang::Fr).contains("jeton d’API Zendesk"),
            "{}",
            t.render(Lang::Fr)
        );
        assert_eq!(
            Text::from_stored(&t.to_stored()),
            t,
            "stored and read back whole"
        );
    }

    #[test]
    fn stored_texts_of_before_read_as_they_are() {
        let t = Text::new("error.internal").with("what", "x");
        assert_eq!(Text::from_stored(&t.to_stored()), t);
        assert_eq!(
            Text::from_stored("Paused after 10 failures in a row.").english(),
            "Paused after 10 failures in a row."
        );
    }
}
