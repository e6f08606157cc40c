//! Checking an audience for a message: the exclusions (phone, suppression, duplicates, blackout,
//! other campaigns of the message), then every recipient's message rendered (missing values,
//! broken channel rules); managing members by hand; previewing a recipient.

use super::{store, AudienceSummary, ExclusionReason, MemberAction, MemberFilter, MemberPage};
use crate::blackout::BlackoutCheck;
use crate::channel::IntegrationKind;
use crate::clients::zendesk::UserField;
use crate::consent::rule::rule_for;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::message::mapping::{self, FieldInfo};
use crate::message::translated::Translated;
use crate::message::MessageSpec;
use crate::template::preview::Preview;
use crate::template::translations::LanguageRule;
use crate::text::Text;
use crate::workspace::Workspace;
use serde::{Deserialize, Serialize};
use specta::Type;

/// The settings, or the defaults when they cannot be read (a check without a message then
/// applies no consent rule it cannot know).
fn settings_or_default(ws: &Workspace) -> crate::settings::Settings {
    ws.settings().unwrap_or_default()
}

/// Members rendered per database round trip when checking a mapping.
const RENDER_CHUNK: u32 = 5000;

/// A recipient's message as the previews show it, or why they are skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct RecipientPreview {
    pub user_id: String,
    pub name: String,
    pub values: Vec<String>,
    pub preview: Option<Preview>,
    /// The translation they get (Meta's code), and how it was chosen.
    pub language: Option<String>,
    pub matched: Option<crate::template::translations::LanguageMatch>,
    /// SMS segments of this recipient's message.
    pub segments: u32,
    pub problem: Option<Text>,
    pub reason: Option<ExclusionReason>,
}

impl Workspace {
    /// The fields a mapping may use: system fields and the account's custom user fields.
    pub async fn user_fields(&self) -> AppResult<Vec<FieldInfo>> {
        let (_, client) = self.zendesk_client()?;
        Ok(mapping::fields(&client.user_fields().await?))
    }

    /// The fields a mapping may use on a fetched audience (the custom fields as they were when
    /// it was fetched: works offline).
    pub fn audience_fields(&self, audience_id: &str) -> AppResult<Vec<FieldInfo>> {
        let (fields, _) = store::stored(&self.db(), audience_id)?;
        let custom: Vec<UserField> = serde_json::from_str(&fields).unwrap_or_default();
        Ok(mapping::fields(&custom))
    }

    /// The message an audience was last checked for, if any.
    pub fn audience_message(&self, audience_id: &str) -> AppResult<Option<MessageSpec>> {
        let (_, stored) = store::stored(&self.db(), audience_id)?;
        Ok(stored.and_then(|j| serde_json::from_str(&j).ok()))
    }

    /// Checks an audience: exclusions, and with a message its blackout and field mapping. The
    /// message is remembered, so later changes (overrides, removals) are checked the same way;
    /// without one, the audience is checked for its contacts only (a message kept from before is
    /// forgotten: the template or integration changed).
    pub async fn check_audience(
        &self,
        audience_id: &str,
        message: Option<MessageSpec>,
    ) -> AppResult<AudienceSummary> {
        let json = match &message {
            Some(m) => {
                // Refuse a mapping that cannot work for anyone, before changing anything.
                self.renderer(audience_id, m).await?;
                // The blackout as the team knows it (offline, this desktop's; the send itself
                // refuses to go on without the team's), and the opt-outs replied lately.
                self.team_refresh().await;
                self.optouts_refresh(true).await;
                Some(serde_json::to_string(m).map_err(AppError::internal)?)
            }
            None => None,
        };
        store::store_message(&self.db(), audience_id, json.as_deref())?;
        self.recheck(audience_id).await
    }

    /// Applies the stored message (if any) again: after overrides, removals, a new ledger entry…
    pub async fn recheck(&self, audience_id: &str) -> AppResult<AudienceSummary> {
        // The team's entries name numbers by their hash: compared once the key is known here.
        self.known_number_key();
        let (_, stored) = store::stored(&self.db(), audience_id)?;
        let Some(json) = stored else {
            // No message yet: consent as the channel kind it is for, when known.
            let channel = store::channel(&self.db(), audience_id)?;
            let consent = channel.and_then(|c| rule_for(&settings_or_default(self), c));
            return crate::storage::blocking(|| {
                super::classify::classify(&self.db(), audience_id, None, consent.as_ref(), &[])?;
                store::set_segments(&self.db(), audience_id, 0, &[])?;
                store::summary(&self.db(), audience_id)
            });
        };
        let spec: MessageSpec = serde_json::from_str(&json).map_err(AppError::internal)?;
        let (renderer, fingerprint) = self.renderer(audience_id, &spec).await?;
        let settings = self.settings()?;
        let channel = self.integration_kind(&spec.integration_id).await?.channel();
        let consent = rule_for(&settings, channel);
        let check = BlackoutCheck::new(fingerprint, settings.blackout_days, self.now_ms());
        let category = crate::template::drafts::get(&self.db(), &spec.template_id)?
            .template
            .category;
        let meta = crate::meta::rules::applying(channel, category, &settings.meta_rules_lifted);
        crate::storage::blocking(|| {
            super::classify::classify(&self.db(), audience_id, check, consent.as_ref(), &meta)?;
            // Members are numbered from 0.
            let (mut after, mut segments) = (-1, 0u64);
            let mut languages = Vec::new();
            loop {
                let chunk = store::eligible_chunk(&self.db(), audience_id, after, RENDER_CHUNK)?;
                let Some((last, _)) = chunk.last() else {
                    break;
                };
                after = *last;
                let mut failures: Vec<(u64, ExclusionReason, Text)> = Vec::new();
                for (_, r) in &chunk {
                    match renderer.render(r) {
                        Ok(out) => {
                            segments += u64::from(out.segments);
                            super::LanguageCount::tally(&mut languages, &out);
                        }
                        Err((reason, detail)) => failures.push((r.user_id, reason, detail)),
                    }
                }
                store::set_failures(&self.db(), audience_id, &failures)?;
            }
            store::set_segments(&self.db(), audience_id, segments, &languages)?;
            store::summary(&self.db(), audience_id)
        })
    }

    /// The message on an audience, in its translations, and its blackout fingerprints: the
    /// template's translations (all of them when each recipient gets theirs, else the one the
    /// campaign names), which of them may be sent through the integration, the mapping checked.
    pub(crate) async fn renderer(
        &self,
        audience_id: &str,
        spec: &MessageSpec,
    ) -> AppResult<(Translated, i64)> {
        let (fields, _) = store::stored(&self.db(), audience_id)?;
        let custom: Vec<UserField> = serde_json::from_str(&fields).unwrap_or_default();
        let draft = crate::template::drafts::get(&self.db(), &spec.template_id)?;
        let kind = self.integration_kind(&spec.integration_id).await?;
        let group = crate::template::drafts::translations_of(&self.db(), &draft)?;
        let lib = crate::template::library::library(&self.db())?;
        let sendable: Vec<bool> = group
            .iter()
            .map(|d| {
                lib.local.iter().any(|e| {
                    e.draft.id == d.id
                        && e.states
                            .iter()
                            .any(|s| s.integration_id == spec.integration_id && s.sendable)
                })
            })
            .collect();
        let default = group.iter().position(|d| d.id == draft.id).unwrap_or(0);
        let templates: Vec<_> = group.into_iter().map(|d| d.template).collect();
        let rules = LanguageRule::all(&settings_or_default(self).language_rules);
        let (translated, prints) = Translated::build(
            &templates,
            default,
            spec,
            kind.channel(),
            &custom,
            &sendable,
            rules,
        )?;
        let now = self.now_ms();
        if crate::blackout::to_adopt(self.db().connection(), prints.current, &prints.legacy)? {
            self.db()
                .write(|tx| crate::blackout::adopt(tx, prints.current, &prints.legacy, now))?;
        }
        Ok((translated, prints.current))
    }

    /// An integration's kind: from what is known locally, else asked.
    pub async fn integration_kind(&self, integration_id: &str) -> AppResult<IntegrationKind> {
        if let Some(kind) = crate::template::library::integration_kind(&self.db(), integration_id)?
        {
            return Ok(kind);
        }
        self.integrations()
            .await?
            .into_iter()
            .find(|i| i.id == integration_id)
            .map(|i| i.kind)
            .ok_or_else(|| {
                AppError::invalid_field(
                    "integration",
                    crate::text!("integration.not_found", id = integration_id),
                )
            })
    }

    /// The channel kind an audience is for, before its message is mapped (the wizard knows the
    /// integration when it fetches): its consent rule applies from then on. Checks it again.
    pub async fn set_audience_channel(
        &self,
        audience_id: &str,
        integration_id: &str,
    ) -> AppResult<AudienceSummary> {
        let channel = self.integration_kind(integration_id).await?.channel();
        store::set_channel(&self.db(), audience_id, channel)?;
        self.recheck(audience_id).await
    }

    /// Lets an admin send to one member the consent rule leaves out, with a note saying why
    /// (kept with the member, and in the log). Refused for an agent, without a note, or for a
    /// member not left out for consent; nothing changes then. Checks the audience again.
    pub async fn allow_without_consent(
        &self,
        audience_id: &str,
        user_id: &str,
        note: &str,
    ) -> AppResult<AudienceSummary> {
        let id: u64 = user_id.trim().parse().map_err(|_| {
            AppError::invalid_field(
                "user_id",
                crate::text!("audience.bad_user_id", value = user_id),
            )
        })?;
        if note.trim().is_empty() {
            return Err(AppError::invalid_field(
                "note",
                crate::text!("consent.note_needed"),
            ));
        }
        if store::member_reason(&self.db(), audience_id, id)? != Some(ExclusionReason::NoConsent) {
            return Err(AppError::invalid_field(
                "user_id",
                crate::text!("consent.not_without", id = id),
            ));
        }
        let (_, z) = self.zendesk_client()?;
        let me = z.me().await?;
        let who = me.email.clone().unwrap_or(me.name.clone());
        if me.role != "admin" {
            return Err(AppError::new(
                ErrorCode::Forbidden,
                crate::text!("consent.admin", who = who),
            ));
        }
        let note = format!("{} — {who}", note.trim());
        store::allow_without_consent(&self.db(), audience_id, id, &note, self.now_ms())?;
        tracing::info!(audience = %audience_id, user = id, by = %who, "sent to without consent, by an admin's leave");
        self.recheck(audience_id).await
    }

    /// Includes the audience's fixed lines (WhatsApp Business runs on landlines) or leaves them
    /// out as lines that cannot receive a message (the default), then checks it again.
    pub async fn include_fixed_lines(
        &self,
        audience_id: &str,
        include: bool,
    ) -> AppResult<AudienceSummary> {
        store::set_include_fixed_lines(&self.db(), audience_id, include)?;
        tracing::info!(audience = %audience_id, include, "fixed lines included or not");
        self.recheck(audience_id).await
    }

    pub fn audience_summary(&self, audience_id: &str) -> AppResult<AudienceSummary> {
        store::summary(&self.db(), audience_id)
    }

    pub fn audience_members(
        &self,
        audience_id: &str,
        filter: MemberFilter,
        offset: u32,
        limit: u32,
    ) -> AppResult<MemberPage> {
        store::members(&self.db(), audience_id, filter, offset, limit.min(1000))
    }

    /// Overrides or removes members by hand (or undoes it), then checks the audience again.
    pub async fn set_members(
        &self,
        audience_id: &str,
        user_ids: &[String],
        action: MemberAction,
    ) -> AppResult<AudienceSummary> {
        let ids = user_ids
            .iter()
            .map(|s| {
                s.parse::<u64>().map_err(|_| {
                    AppError::invalid_field(
                        "user_ids",
                        crate::text!("audience.bad_user_id", value = s),
                    )
                })
            })
            .collect::<AppResult<Vec<u64>>>()?;
        store::set_flags(&self.db(), audience_id, &ids, action, self.now_ms())?;
        tracing::info!(audience = %audience_id, count = ids.len(), ?action, "audience members changed by hand");
        self.recheck(audience_id).await
    }

    /// One member's message with the stored mapping, as the previews show it.
    pub async fn preview_recipient(
        &self,
        audience_id: &str,
        user_id: &str,
    ) -> AppResult<RecipientPreview> {
        let (_, stored) = store::stored(&self.db(), audience_id)?;
        let spec: MessageSpec = stored
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::InvalidInput,
                    crate::text!("audience.preview_unmapped"),
                )
            })?;
        let id: u64 = user_id.parse().map_err(|_| {
            AppError::invalid_field(
                "user_id",
                crate::text!("audience.bad_user_id", value = user_id),
            )
        })?;
        let r = store::recipient(&self.db(), audience_id, id)?;
        let (renderer, _) = self.renderer(audience_id, &spec).await?;
        Ok(match renderer.render(&r) {
            Ok(out) => RecipientPreview {
                user_id: user_id.to_string(),
                name: r.name.clone(),
                preview: Some(renderer.renderer_of(&out).preview(&out.values)),
                language: Some(out.language.clone()),
                matched: Some(out.matched),
                values: out.values,
                segments: out.segments,
                problem: None,
                reason: None,
            },
            Err((reason, detail)) => RecipientPreview {
                user_id: user_id.to_string(),
                name: r.name.clone(),
                values: renderer.values(&r).unwrap_or_default(),
                preview: None,
                language: None,
                matched: None,
                segments: 0,
                problem: Some(detail),
                reason: Some(reason),
            },
        })
    }
}
