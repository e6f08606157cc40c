//! A message in its translations: one renderer per translation of the template, each
//! recipient's chosen from their Zendesk locale (`template::translations::choose`), the default
//! when theirs is not approved on the integration, none when no translation can be sent to them
//! (`no_translation`). Also "the same message" across translations: the blackout's fingerprint,
//! and the fingerprints earlier versions gave each translation.

use super::mapping::{self, slots, ValueMapping, ValueSource};
use super::render::{Recipient, Rendered, Renderer};
use super::{LanguageChoice, MessageSpec};
use crate::audience::ExclusionReason;
use crate::channel::Channel;
use crate::clients::zendesk::UserField;
use crate::error::{AppError, AppResult};
use crate::template::translations::{choose, value_differences, LanguageMatch, LanguageRule};
use crate::template::Template;
use crate::text::Text;
use std::collections::HashMap;

/// One translation, ready to render.
pub struct Translation {
    pub language: String,
    pub renderer: Renderer,
    /// It may be sent through the campaign's integration (approved there, or submitted to SMS).
    pub sendable: bool,
}

/// The message's fingerprints: the one it is recorded under, and those an earlier Relay
/// recorded each of its translations under (the language was part of the message then).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprints {
    pub current: i64,
    pub legacy: Vec<i64>,
}

/// The message's translations and how each recipient's is chosen.
pub struct Translated {
    translations: Vec<Translation>,
    /// Their languages, in order (Meta's codes).
    codes: Vec<String>,
    /// The campaign's default language (its index).
    default: usize,
    each: bool,
    rules: Vec<LanguageRule>,
    /// The translation each locale, as Zendesk wrote it, matched (an audience has few).
    picked: std::sync::Mutex<HashMap<String, Option<(usize, LanguageMatch)>>>,
}

impl Translated {
    /// Builds the message from the template's translations (`group`: every local template of
    /// its name, the default among them) for `spec`; `sendable` says which may be sent through
    /// the integration. While none may (the template is not approved yet), each is rendered as
    /// if it were, so an audience can be checked before the review ends.
    pub fn build(
        group: &[Template],
        default: usize,
        spec: &MessageSpec,
        channel: Channel,
        custom: &[UserField],
        sendable: &[bool],
        rules: Vec<LanguageRule>,
    ) -> AppResult<(Translated, Fingerprints)> {
        let main = &group[default];
        let by_name = mapping::by_name(main, &spec.mapping);
        mapping::check_mapping(main, &by_name, &mapping::fields(custom))
            .map_err(|e| AppError::invalid_field("mapping", e))?;
        let each = spec.language == LanguageChoice::Each;
        check_language_values(spec, main, &by_name, group)?;
        let is_sendable = |i: usize| sendable.get(i).copied().unwrap_or(false);
        // Each recipient's language: every translation that can serve — one still being written
        // (its values not the default's) or a second one in a language is left out unless it
        // could be sent, which would be a real conflict.
        let mut chosen: Vec<usize> = vec![default];
        if each {
            for (i, t) in group.iter().enumerate() {
                if i == default {
                    continue;
                }
                let twice = chosen.iter().any(|&c| group[c].language == t.language);
                let differs = value_differences(t, main).into_iter().next();
                match (twice, differs) {
                    (false, None) => chosen.push(i),
                    (true, _) if is_sendable(i) => {
                        return Err(AppError::invalid_field(
                            "template",
                            crate::text!("translation.twice", name = t.name, language = t.language),
                        ))
                    }
                    (false, Some(first)) if is_sendable(i) => {
                        return Err(AppError::invalid_field(
                            "template",
                            crate::text!("translation.differs", problem => first),
                        ))
                    }
                    _ => tracing::warn!(
                        template = %t.name,
                        language = %t.language,
                        "a translation that cannot be sent and differs from the default is left out"
                    ),
                }
            }
        }
        let any_sendable = chosen.iter().any(|&i| is_sendable(i));
        let translations: Vec<Translation> = chosen
            .iter()
            .map(|&i| Translation {
                language: group[i].language.clone(),
                renderer: Renderer::new(
                    &group[i],
                    channel,
                    mapping_for(&group[i], main, &by_name, spec),
                    custom.to_vec(),
                ),
                sendable: !any_sendable || is_sendable(i),
            })
            .collect();
        // "The same message" whatever the campaign's default: the static values as the
        // template's first translation says them (its value per language when given, else the
        // mapping's), by name.
        let first = &group[0];
        let current = if value_differences(first, main).is_empty() {
            mapping::message_fingerprint(first, channel, &mapping_for(first, main, &by_name, spec))
        } else {
            mapping::message_fingerprint(main, channel, &by_name)
        };
        // What an earlier Relay recorded each translation under, whichever this campaign sends.
        let mut legacy: Vec<i64> = group
            .iter()
            .filter(|t| value_differences(t, main).is_empty())
            .map(|t| mapping::fingerprint(t, channel, &mapping_for(t, main, &by_name, spec)))
            .filter(|f| *f != current)
            .collect();
        legacy.sort_unstable();
        legacy.dedup();
        let codes = translations.iter().map(|t| t.language.clone()).collect();
        Ok((
            Translated {
                translations,
                codes,
                default: 0,
                each,
                rules,
                picked: Default::default(),
            },
            Fingerprints { current, legacy },
        ))
    }

    pub fn translations(&self) -> &[Translation] {
        &self.translations
    }

    /// The default translation's renderer.
    pub fn main(&self) -> &Renderer {
        &self.translations[self.default].renderer
    }

    /// The translation a recipient gets, and how it was chosen.
    pub fn pick(&self, r: &Recipient) -> Result<(usize, LanguageMatch), (ExclusionReason, Text)> {
        let default = &self.translations[self.default];
        if !self.each {
            return if default.sendable {
                Ok((self.default, LanguageMatch::One))
            } else {
                Err(self.none(None))
            };
        }
        match self.choose(r.locale.as_deref()) {
            Some((i, how)) if self.translations[i].sendable => Ok((i, how)),
            Some(_) if default.sendable => Ok((self.default, LanguageMatch::NotApproved)),
            None if default.sendable => Ok((self.default, LanguageMatch::Default)),
            Some((i, _)) => Err(self.none(Some(i))),
            None => Err(self.none(None)),
        }
    }

    /// [`choose`] for a locale, worked out once per locale.
    fn choose(&self, locale: Option<&str>) -> Option<(usize, LanguageMatch)> {
        let locale = locale?;
        let mut picked = self.picked.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = picked.get(locale) {
            return *found;
        }
        let codes: Vec<&str> = self.codes.iter().map(String::as_str).collect();
        let found = choose(Some(locale), &codes, &self.rules);
        picked.insert(locale.to_string(), found);
        found
    }

    fn none(&self, matched: Option<usize>) -> (ExclusionReason, Text) {
        let default = &self.translations[self.default].language;
        (
            ExclusionReason::NoTranslation,
            match matched {
                Some(i) => crate::text!(
                    "render.no_translation",
                    language = self.translations[i].language,
                    default = default
                ),
                None => crate::text!("render.no_default", default = default),
            },
        )
    }

    /// Renders and checks a recipient's message, in their translation.
    pub fn render(&self, r: &Recipient) -> Result<Rendered, (ExclusionReason, Text)> {
        let (i, how) = self.pick(r)?;
        let mut out = self.translations[i].renderer.render(r)?;
        out.matched = how;
        Ok(out)
    }

    /// A recipient's values in their translation (the default's when none can be sent).
    pub fn values(&self, r: &Recipient) -> Result<Vec<String>, (ExclusionReason, Text)> {
        let i = self.pick(r).map_or(self.default, |(i, _)| i);
        self.translations[i].renderer.values(r)
    }

    /// The renderer of a rendered message's translation.
    pub fn renderer_of(&self, out: &Rendered) -> &Renderer {
        self.translations
            .iter()
            .find(|t| t.language == out.language)
            .map_or(self.main(), |t| &t.renderer)
    }
}

/// A translation's mapping: each of its values takes the default translation's mapping of the
/// value of that name, a static value given in its language instead.
fn mapping_for(
    t: &Template,
    main: &Template,
    by_name: &[ValueMapping],
    spec: &MessageSpec,
) -> Vec<ValueMapping> {
    let main_slots = slots(main);
    slots(t)
        .iter()
        .map(|s| {
            let at = main_slots
                .iter()
                .position(|m| m.example.eq_ignore_ascii_case(&s.example))
                .unwrap_or(0);
            let mut m = by_name.get(at).cloned().unwrap_or(ValueMapping {
                source: ValueSource::Static {
                    value: String::new(),
                },
                fallback: String::new(),
            });
            if let ValueSource::Static { value } = &mut m.source {
                if let Some(v) = spec
                    .language_values
                    .iter()
                    .find(|v| v.language == t.language && v.name.eq_ignore_ascii_case(&s.example))
                {
                    *value = v.value.clone();
                }
            }
            m
        })
        .collect()
}

/// A static value per language must name a translation the campaign sends and a value mapped
/// to a static text, and say something.
fn check_language_values(
    spec: &MessageSpec,
    main: &Template,
    by_name: &[ValueMapping],
    group: &[Template],
) -> AppResult<()> {
    let main_slots = slots(main);
    for v in &spec.language_values {
        if !group.iter().any(|t| t.language == v.language) {
            return Err(AppError::invalid_field(
                "language_values",
                crate::text!(
                    "language_value.language",
                    language = v.language,
                    languages = group
                        .iter()
                        .map(|t| t.language.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let at = main_slots
            .iter()
            .position(|s| s.example.eq_ignore_ascii_case(&v.name));
        let is_static = at
            .and_then(|i| by_name.get(i))
            .is_some_and(|m| matches!(m.source, ValueSource::Static { .. }));
        if !is_static {
            return Err(AppError::invalid_field(
                "language_values",
                crate::text!("language_value.not_static", name = v.name),
            ));
        }
        if v.value.trim().is_empty() {
            return Err(AppError::invalid_field(
                "language_values",
                crate::text!("language_value.empty", name = v.name, language = v.language),
            ));
        }
    }
    Ok(())
}
