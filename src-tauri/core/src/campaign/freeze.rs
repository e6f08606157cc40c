//! Creating campaigns: the template checked as sendable through the integration, the audience
//! checked again for the message, then every recipient's finished notification stored
//! (`pending`) and every excluded member stored as `skipped` with the reason. What is sent, and
//! what a resume sends, is exactly that. Also the test send (one message to a typed number) and
//! the dry run (every message rendered to CSV, nothing stored).

use super::schedule::CampaignTiming;
use super::store::{insert_campaign, insert_recipients, Frozen, NewCampaign};
use super::{CampaignStatus, CampaignSummary};
use crate::audience::AudienceStatus;
use crate::channel::IntegrationKind;
use crate::csv_safe::cell;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::message::MessageSpec;
use crate::template::library::{self, TemplateStatus};
use crate::timing::ZoneResolver;
use crate::workspace::Workspace;

/// Members frozen per database round trip.
const FREEZE_CHUNK: u32 = 5000;

impl Workspace {
    /// Freezes a campaign from a fetched audience: the template must be sendable through the
    /// integration, the audience is checked again for the message, then each recipient's
    /// notification is rendered and stored (`pending`), and each excluded member stored as
    /// `skipped` with its reason. Nothing is sent.
    pub async fn create_campaign(
        &self,
        audience_id: &str,
        spec: MessageSpec,
        rate: Option<u32>,
        auto_pause_after: Option<u32>,
    ) -> AppResult<CampaignSummary> {
        self.create_campaign_timed(
            audience_id,
            spec,
            rate,
            auto_pause_after,
            CampaignTiming::default(),
        )
        .await
    }

    /// [`Workspace::create_campaign`] with its timing: its quiet hours (none: the workspace's),
    /// and a time to send it at — then it is `scheduled`, and checked and frozen again at its
    /// time (`campaign::schedule`).
    pub async fn create_campaign_timed(
        &self,
        audience_id: &str,
        spec: MessageSpec,
        rate: Option<u32>,
        auto_pause_after: Option<u32>,
        timing: CampaignTiming,
    ) -> AppResult<CampaignSummary> {
        let settings = self.settings()?;
        let rate = rate.unwrap_or_else(|| settings.rate_for(&spec.integration_id));
        super::send::check_rate(rate)?;
        let (quiet, at) = timing.resolve(&settings, self.now_ms())?;
        let auto_pause_after = auto_pause_after.unwrap_or(settings.auto_pause_after).max(1);
        self.check_sendable(&spec).await?;
        let checked = self.check_audience(audience_id, Some(spec.clone())).await?;
        if !checked.status.may_send() {
            return Err(AppError::invalid_field(
                "audience",
                if checked.status == AudienceStatus::Failed {
                    crate::text!("audience.partial_failed")
                } else {
                    crate::text!("audience.partial_unfinished")
                },
            ));
        }
        let (renderer, fingerprint) = self.renderer(audience_id, &spec).await?;
        // Held while it is built (`creating`: nobody may run it yet), so a resume elsewhere is
        // refused and a Relay opening meanwhile does not take it for abandoned.
        let id = uuid::Uuid::new_v4().simple().to_string();
        let _lock = super::lease::lock(self, &id)?;
        self.new_campaign(
            &id,
            audience_id,
            &spec,
            fingerprint,
            &checked.query,
            (rate, auto_pause_after),
            false,
        )
        .await?;
        let timed = super::store::set_timing(&self.db(), &id, quiet, at, &spec);
        let built = timed.and_then(|()| self.freeze_recipients(&id, audience_id, &spec, &renderer));
        let status = if at.is_some() {
            CampaignStatus::Scheduled
        } else {
            CampaignStatus::Ready
        };
        self.finish_creating(&id, built, status)?;
        tracing::info!(campaign = %id, rate, %status, "campaign created");
        self.campaign(&id)
    }

    /// Stores the recipients of campaign `id` from the audience: each eligible member's
    /// notification rendered (`pending`, with their time zone), each excluded one `skipped` with
    /// the reason, and the overrides made by hand.
    pub(super) fn freeze_recipients(
        &self,
        id: &str,
        audience_id: &str,
        spec: &MessageSpec,
        renderer: &crate::message::translated::Translated,
    ) -> AppResult<()> {
        let settings = self.settings()?;
        let namespace = settings.whatsapp_namespace;
        let zones = ZoneResolver::new(&settings.time_zone);
        let now = self.now_ms();
        crate::storage::blocking(|| -> AppResult<()> {
            // Those who will receive it, rendered once, now: a resume sends exactly this.
            let mut after = -1;
            loop {
                let chunk = crate::audience::store::eligible_chunk(
                    &self.db(),
                    audience_id,
                    after,
                    FREEZE_CHUNK,
                )?;
                let Some((last, _)) = chunk.last() else {
                    break;
                };
                after = *last;
                let rows: Vec<Frozen> = chunk
                    .into_iter()
                    .map(|(seq, r)| {
                        let phone = r.phone.clone().unwrap_or_default();
                        let (zone, source) = zones.resolve(r.time_zone.as_deref(), Some(&phone));
                        let mut frozen = Frozen {
                            seq: seq as u32,
                            user_id: r.user_id,
                            name: r.name.clone(),
                            phone: Some(phone.clone()),
                            payload: None,
                            segments: 0,
                            reason: None,
                            zone: Some((zone.name().to_string(), source)),
                            language: None,
                        };
                        match renderer.render(&r) {
                            Ok(out) => {
                                frozen.payload = Some(
                                    renderer
                                        .renderer_of(&out)
                                        .notification(
                                            &spec.integration_id,
                                            &namespace,
                                            &phone,
                                            &out,
                                        )
                                        .to_string(),
                                );
                                frozen.segments = out.segments;
                                frozen.language = Some(out.language);
                            }
                            Err((reason, _)) => frozen.reason = Some(reason.as_ref().to_string()),
                        }
                        frozen
                    })
                    .collect();
                insert_recipients(&self.db(), id, &rows, now)?;
            }
            // Those left out, with their reason, a chunk at a time.
            let mut after = -1i64;
            loop {
                let chunk = excluded_chunk(self, audience_id, after)?;
                let Some(last) = chunk.last() else {
                    break;
                };
                after = i64::from(last.seq);
                insert_recipients(&self.db(), id, &chunk, now)?;
            }
            // The overrides made by hand go with the recipients (with their time): a claim lets
            // them through the sends made before the override.
            let overrides = crate::audience::store::overrides(&self.db(), audience_id)?;
            super::store::set_overrides(&self.db(), id, &overrides)
        })
    }

    /// A campaign built in full becomes `ready` (or `scheduled`); one whose building failed is removed, with
    /// whatever of it was stored: a campaign is there whole, or not at all.
    fn finish_creating(
        &self,
        id: &str,
        built: AppResult<()>,
        status: CampaignStatus,
    ) -> AppResult<()> {
        let outcome = self.db().write(|tx| match &built {
            Ok(()) => {
                tx.execute(
                    "UPDATE campaigns SET status = ?2 WHERE id = ?1 AND status = 'creating'",
                    rusqlite::params![id, status],
                )?;
                Ok(())
            }
            Err(_) => discard(tx, id),
        });
        built.and(outcome)
    }

    /// Removes the campaigns a Relay stopped while it was building them (still `creating`, with
    /// nobody holding them): never sent, never whole.
    pub(crate) fn discard_abandoned_campaigns(&self) -> AppResult<u32> {
        let ids: Vec<String> = {
            let db = self.db();
            let mut stmt = db
                .connection()
                .prepare("SELECT id FROM campaigns WHERE status = 'creating'")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut n = 0;
        for id in ids {
            if let Ok(_lock) = super::lease::lock(self, &id) {
                // A scheduled campaign stopped while it was frozen again at its time: scheduled
                // again (due, or missed), its counts when scheduled kept.
                self.db().write(|tx| {
                    let scheduled = tx.execute(
                        "UPDATE campaigns SET status = 'scheduled' WHERE id = ?1 AND scheduled_at IS NOT NULL",
                        [&id],
                    )?;
                    if scheduled == 1 {
                        tx.execute("DELETE FROM campaign_recipients WHERE campaign_id = ?1", [&id])?;
                        Ok(())
                    } else {
                        discard(tx, &id)
                    }
                })?;
                n += 1;
            }
        }
        if n > 0 {
            tracing::warn!(
                campaigns = n,
                "campaigns left half-built by a stopped Relay were removed"
            );
        }
        Ok(n)
    }

    /// Refuses, changing nothing, a template that cannot be sent through the integration: on
    /// WhatsApp until Meta approved it there (its status is refreshed from Sunshine
    /// Conversations first; offline, the last synced status decides), on SMS until it was
    /// submitted to that integration.
    pub async fn check_sendable(&self, spec: &MessageSpec) -> AppResult<()> {
        let kind = self.integration_kind(&spec.integration_id).await?;
        let whatsapp = kind == IntegrationKind::WhatsApp;
        if whatsapp {
            let fresh = match self.sunshine_client() {
                Ok(client) => client.templates(&spec.integration_id).await,
                Err(e) => Err(e),
            };
            match fresh {
                Ok(list) => {
                    library::store_sync(&self.db(), &spec.integration_id, &list, self.now_ms())?
                }
                Err(e) if matches!(e.code, ErrorCode::Unreachable | ErrorCode::RateLimited) => {
                    tracing::warn!(
                        code = e.code.as_str(),
                        "could not refresh the template's status: using the last synced one"
                    );
                }
                Err(e) => return Err(e),
            }
        }
        let lib = library::library(&self.db())?;
        let Some(entry) = lib.local.iter().find(|e| e.draft.id == spec.template_id) else {
            return Err(AppError::new(
                ErrorCode::NotFound,
                crate::text!("template.not_found", id = spec.template_id),
            ));
        };
        let name = &entry.draft.template.name;
        let state = entry
            .states
            .iter()
            .find(|s| s.integration_id == spec.integration_id);
        let integration = state.map_or(spec.integration_id.as_str(), |s| {
            s.integration_name.as_str()
        });
        let status = state.map_or(TemplateStatus::NotSubmitted, |s| s.status);
        if library::sendable(Some(kind), status) {
            return Ok(());
        }
        // Each recipient's language: another translation that may be sent is enough (those it
        // would not reach fall back to the default, or are left out, `no_translation`).
        let another = spec.language == crate::message::LanguageChoice::Each
            && lib.local.iter().any(|e| {
                e.draft.template.name == *name
                    && e.states
                        .iter()
                        .any(|s| s.integration_id == spec.integration_id && s.sendable)
            });
        if another {
            return Ok(());
        }
        let why = match status {
            TemplateStatus::NotSubmitted if whatsapp => crate::text!(
                "template.unsent_whatsapp",
                name = name,
                integration = integration
            ),
            TemplateStatus::NotSubmitted => crate::text!(
                "template.unsent_sms",
                name = name,
                integration = integration
            ),
            TemplateStatus::Pending | TemplateStatus::InAppeal => {
                crate::text!("template.in_review", name = name, integration = integration)
            }
            TemplateStatus::Rejected => match state.and_then(|s| s.reason.as_deref()) {
                Some(reason) => crate::text!(
                    "template.rejected_because",
                    name = name,
                    integration = integration,
                    reason = reason
                ),
                None => crate::text!("template.rejected", name = name, integration = integration),
            },
            TemplateStatus::Missing => {
                crate::text!("template.missing", name = name, integration = integration)
            }
            other => crate::text!(
                "template.unusable",
                name = name,
                status = other,
                integration = integration
            ),
        };
        Err(AppError::invalid_field("template", why))
    }

    /// Stores a new campaign's row (status `creating`, no recipients yet) under `id`. `limits`
    /// is (messages per second, failures in a row before it pauses itself).
    #[allow(clippy::too_many_arguments)]
    async fn new_campaign(
        &self,
        id: &str,
        audience_id: &str,
        spec: &MessageSpec,
        fingerprint: i64,
        query: &str,
        limits: (u32, u32),
        test: bool,
    ) -> AppResult<()> {
        let draft = crate::template::drafts::get(&self.db(), &spec.template_id)?;
        let kind = self.integration_kind(&spec.integration_id).await?;
        let blackout_days = self.settings()?.blackout_days;
        let include_fixed_lines =
            crate::audience::store::include_fixed_lines(&self.db(), audience_id)?;
        insert_campaign(
            &self.db(),
            &NewCampaign {
                id,
                spec,
                template_name: &draft.template.name,
                language: &draft.template.language,
                kind,
                fingerprint,
                audience_id: Some(audience_id),
                query,
                rate: limits.0,
                auto_pause_after: limits.1,
                test,
                blackout_days,
                include_fixed_lines,
                now_ms: self.now_ms(),
            },
        )
    }

    /// Records a test campaign: one message to a typed number, filled with the first eligible
    /// recipient's values (outside the blackout window, and kept out of it too). A number on
    /// the list of numbers never to message is refused. [`Workspace::run_campaign`] sends it.
    pub async fn prepare_test(
        &self,
        audience_id: &str,
        spec: MessageSpec,
        phone: &str,
    ) -> AppResult<CampaignSummary> {
        let settings = self.settings()?;
        let country = crate::phone::Country::parse(&settings.default_country);
        let number = crate::phone::read_typed(phone, country, "phone")?;
        // A line a message cannot reach (the audience's choice on fixed lines applies).
        let include_fixed = crate::audience::store::include_fixed_lines(&self.db(), audience_id)?;
        if !number.kind.can_receive(include_fixed) {
            return Err(AppError::invalid_field(
                "phone",
                crate::text!("phone.cannot_receive", phone = number.e164, kind => number.kind.label()),
            ));
        }
        let phone = number.e164;
        if crate::suppression::is_suppressed(&self.db(), &phone)? {
            return Err(AppError::invalid_field(
                "phone",
                crate::text!("phone.suppressed", phone = phone),
            ));
        }
        self.check_sendable(&spec).await?;
        let (renderer, fingerprint) = self.renderer(audience_id, &spec).await?;
        let chunk = crate::audience::store::eligible_chunk(&self.db(), audience_id, -1, 50)?;
        let Some((recipient, out)) = chunk
            .into_iter()
            .find_map(|(_, r)| renderer.render(&r).ok().map(|out| (r, out)))
        else {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                crate::text!("campaign.test_nobody"),
            ));
        };
        let query = self.audience_summary(audience_id)?.query;
        let now = self.now_ms();
        let id = uuid::Uuid::new_v4().simple().to_string();
        let _lock = super::lease::lock(self, &id)?;
        self.new_campaign(&id, audience_id, &spec, fingerprint, &query, (1, 1), true)
            .await?;
        let payload = renderer
            .renderer_of(&out)
            .notification(
                &spec.integration_id,
                &settings.whatsapp_namespace,
                &phone,
                &out,
            )
            .to_string();
        let built = insert_recipients(
            &self.db(),
            &id,
            &[Frozen {
                seq: 0,
                user_id: recipient.user_id,
                name: recipient.name.clone(),
                phone: Some(phone),
                payload: Some(payload),
                segments: out.segments,
                reason: None,
                zone: None,
                language: Some(out.language.clone()),
            }],
            now,
        );
        self.finish_creating(&id, built, CampaignStatus::Ready)?;
        tracing::info!(campaign = %id, "test message");
        self.campaign(&id)
    }

    /// [`Workspace::prepare_test`], then sends it.
    pub async fn send_test(
        &self,
        audience_id: &str,
        spec: MessageSpec,
        phone: &str,
    ) -> AppResult<CampaignSummary> {
        let test = self.prepare_test(audience_id, spec, phone).await?;
        self.run_campaign(&test.id, &super::send::CampaignControl::default(), |_| {})
            .await
    }

    /// A dry run: the audience checked for the message and every recipient's rendered message
    /// written as CSV (user id, name, phone, the values, the text, SMS segments). Nothing is
    /// sent or stored besides the check. Returns how many messages would go out.
    pub async fn dry_run_csv(
        &self,
        audience_id: &str,
        spec: MessageSpec,
        out: impl std::io::Write,
    ) -> AppResult<u32> {
        self.check_audience(audience_id, Some(spec.clone())).await?;
        let (renderer, _) = self.renderer(audience_id, &spec).await?;
        crate::storage::blocking(|| {
            let mut w = csv::Writer::from_writer(out);
            let io = crate::error::csv_write;
            w.write_record([
                "user_id",
                "name",
                "phone",
                "values",
                "message",
                "sms_segments",
                "language",
            ])
            .map_err(io)?;
            let (mut after, mut n) = (-1, 0);
            loop {
                let chunk = crate::audience::store::eligible_chunk(
                    &self.db(),
                    audience_id,
                    after,
                    FREEZE_CHUNK,
                )?;
                let Some((last, _)) = chunk.last() else {
                    break;
                };
                after = *last;
                for (_, r) in chunk {
                    // Checked just above: every eligible recipient renders.
                    let Ok(out) = renderer.render(&r) else {
                        continue;
                    };
                    w.write_record([
                        r.user_id.to_string(),
                        cell(&r.name).into_owned(),
                        r.phone.clone().unwrap_or_default(),
                        cell(&out.values.join(" | ")).into_owned(),
                        cell(&out.text).into_owned(),
                        out.segments.to_string(),
                        out.language.clone(),
                    ])
                    .map_err(io)?;
                    n += 1;
                }
            }
            w.flush().map_err(crate::error::csv_write)?;
            Ok(n)
        })
    }
}

/// The members an audience leaves out, with their reason, after `after` (seq), as skipped rows.
fn excluded_chunk(ws: &Workspace, audience_id: &str, after: i64) -> AppResult<Vec<Frozen>> {
    Ok(
        crate::audience::store::excluded_chunk(&ws.db(), audience_id, after, FREEZE_CHUNK)?
            .into_iter()
            .map(|m| Frozen {
                seq: m.seq,
                user_id: m.user_id,
                name: m.name,
                phone: m.phone,
                payload: None,
                segments: 0,
                reason: Some(m.reason.as_ref().to_string()),
                zone: None,
                language: None,
            })
            .collect(),
    )
}

/// Deletes a campaign and its recipients.
fn discard(tx: &rusqlite::Connection, id: &str) -> AppResult<()> {
    tx.execute(
        "DELETE FROM campaign_recipients WHERE campaign_id = ?1",
        [id],
    )?;
    tx.execute("DELETE FROM campaigns WHERE id = ?1", [id])?;
    Ok(())
}
