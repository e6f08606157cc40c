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
    /// The campaign's default language (its index).
    default: usize,
    each: bool,
    rules: Vec<LanguageRule>,
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
        let chosen: Vec<usize> = if each {
            (0..group.len()).collect()
        } else {
            vec![default]
        };
        check_language_values(
            spec,
            main,
            &by_name,
            &chosen.iter().map(|&i| &group[i]).collect::<Vec<_>>(),
        )?;
        let any_sendable = chosen
            .iter()
            .any(|&i| sendable.get(i).copied().unwrap_or(false));
        let mut translations = Vec::with_capacity(chosen.len());
        let mut legacy = Vec::with_capacity(chosen.len());
        for &i in &chosen {
            let t = &group[i];
            if translations
                .iter()
                .any(|x: &Translation| x.language == t.language)
            {
                return Err(AppError::invalid_field(
                    "template",
                    crate::text!("translation.twice", name = t.name, language = t.language),
                ));
            }
            if let Some(first) = value_differences(t, main).into_iter().next() {
                return Err(AppError::invalid_field(
                    "template",
                    crate::text!("translation.differs", problem => first),
                ));
            }
            let m = mapping_for(t, main, &by_name, spec);
            legacy.push(mapping::fingerprint(t, channel, &m));
            translations.push(Translation {
                language: t.language.clone(),
                renderer: Renderer::new(t, channel, m, custom.to_vec()),
                sendable: !any_sendable || sendable.get(i).copied().unwrap_or(false),
            });
        }
        let current = mapping::message_fingerprint(main, channel, &by_name);
        legacy.retain(|f| *f != current);
        let default = chosen.iter().position(|&i| i == default).unwrap_or(0);
        Ok((
            Translated {
                translations,
                default,
                each,
                rules,
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
        let codes: Vec<&str> = self
            .translations
            .iter()
            .map(|t| t.language.as_str())
            .collect();
        match choose(r.locale.as_deref(), &codes, &self.rules) {
            Some((i, how)) if self.translations[i].sendable => Ok((i, how)),
            Some(_) if default.sendable => Ok((self.default, LanguageMatch::NotApproved)),
            None if default.sendable => Ok((self.default, LanguageMatch::Default)),
            Some((i, _)) => Err(self.none(Some(i))),
            None => Err(self.none(None)),
        }
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
    sent: &[&Template],
) -> AppResult<()> {
    let main_slots = slots(main);
    for v in &spec.language_values {
        if !sent.iter().any(|t| t.language == v.language) {
            return Err(AppError::invalid_field(
                "language_values",
                crate::text!(
                    "language_value.language",
                    language = v.language,
                    languages = sent
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
