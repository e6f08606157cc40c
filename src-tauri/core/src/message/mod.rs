//! The message: a local template, the integration it goes through, and the mapping of its
//! dynamic values to what each recipient gets (`mapping`); each recipient's message rendered and
//! checked against the channel's rules (`render`); the Sunshine Conversations notification it
//! becomes (`payload`).

pub mod mapping;
pub mod payload;
pub mod render;
pub mod translated;

use mapping::ValueMapping;
use serde::{Deserialize, Serialize};
use specta::Type;

/// The message an audience is checked for: a local template, the integration it goes through,
/// and the mapping of its dynamic values.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Type)]
pub struct MessageSpec {
    /// The template, in its default language (the translation a recipient gets when none of
    /// theirs can be sent).
    pub template_id: String,
    pub integration_id: String,
    /// For the default translation's dynamic values; the other translations take each value
    /// by its name.
    pub mapping: Vec<ValueMapping>,
    /// Which translation each recipient gets.
    #[serde(default)]
    pub language: LanguageChoice,
    /// Static values given in another language (a weekday, a date in words): they change what
    /// that translation says, not which message it is (the blackout's).
    #[serde(default)]
    pub language_values: Vec<LanguageValue>,
}

/// Which translation of the template a campaign sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum LanguageChoice {
    /// The template's language (the one `template_id` names) for everyone.
    #[default]
    One,
    /// Each recipient's, from their Zendesk locale (`template::translations::choose`).
    Each,
}

/// A static value in one language: the value of the dynamic value `name` (its example, as the
/// template writes it) for the recipients who get the translation `language`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct LanguageValue {
    pub language: String,
    pub name: String,
    pub value: String,
}

#[cfg(test)]
mod tests;
