//! Campaigns at their time. A campaign made with a time is `scheduled`: frozen once (its counts
//! then are kept), and at its time its audience query is fetched and checked again (people
//! change), its values frozen again and the send started. One found more than the lateness
//! setting after its time (no Relay was running) is `missed`: it is not sent on its own, and
//! waits for a decision (send now, reschedule, cancel). A `waiting` campaign (everyone left in
//! their quiet hours) is due again when its next window opens. Whoever runs them — the app in
//! the tray, `relay schedule run` — asks [`Workspace::due_campaigns`].

use super::{CampaignStatus, CampaignSummary};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::message::MessageSpec;
use crate::settings::Settings;
use crate::timing::QuietHours;
use crate::workspace::Workspace;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use specta::Type;

/// When, and how quietly, a campaign is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct CampaignTiming {
    /// `HH:MM-HH:MM` in each recipient's time zone, or `off`; none: the workspace's setting.
    pub quiet_hours: Option<String>,
    /// When to send it (milliseconds since the Unix epoch, as text); none: now.
    pub at: Option<String>,
}

impl CampaignTiming {
    /// The quiet hours it applies and its time (none: now). A time must be in the future.
    pub fn resolve(
        &self,
        settings: &Settings,
        now_ms: i64,
    ) -> AppResult<(Option<QuietHours>, Option<i64>)> {
        let quiet = QuietHours::parse(
            self.quiet_hours.as_deref().unwrap_or(&settings.quiet_hours),
            "quiet_hours",
        )?;
        let at = match self.at.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) => Some(parse_at(t, now_ms)?),
        };
        Ok((quiet, at))
    }
}

/// A time to send at, in milliseconds (as the UI gives it), still ahead of `now_ms`.
pub fn parse_at(text: &str, now_ms: i64) -> AppResult<i64> {
    let at: i64 = text.trim().parse().map_err(|_| {
        AppError::invalid_field("at", crate::text!("schedule.at_format", value = text))
    })?;
    check_ahead(at, now_ms)?;
    Ok(at)
}

/// Refuses a time that has passed.
pub fn check_ahead(at: i64, now_ms: i64) -> AppResult<()> {
    if at <= now_ms {
        return Err(AppError::invalid_field(
            "at",
            crate::text!("schedule.at_past"),
        ));
    }
    Ok(())
}

/// Recipients of a waiting campaign whose window opens at the same time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct WaitingWindow {
    /// When their window opens (milliseconds since the Unix epoch, as text).
    pub at: String,
    pub count: u32,
}

/// A campaign to run now, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    /// Scheduled, and its time has come: to be checked, frozen again and sent.
    Scheduled(String),
    /// Waiting, and its next window has opened.
    Waiting(String),
}

impl Workspace {
    /// The campaigns whose time has come, in the order they became due; first, the scheduled
    /// ones found more than the lateness after their time become `missed` (returned apart).
    pub fn due_campaigns(&self) -> AppResult<(Vec<Due>, Vec<String>)> {
        let now = self.now_ms();
        let late = i64::from(self.settings()?.schedule_lateness_mins) * 60_000;
        let missed = self.db().write(|tx| {
            let ids: Vec<String> = tx
                .prepare(
                    "SELECT id FROM campaigns WHERE status = 'scheduled' AND scheduled_at < ?1
                     ORDER BY scheduled_at, id",
                )?
                .query_map([now - late], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            tx.execute(
                "UPDATE campaigns SET status = 'missed' WHERE status = 'scheduled' AND scheduled_at < ?1",
                [now - late],
            )?;
            Ok(ids)
        })?;
        for id in &missed {
            tracing::warn!(campaign = %id, "a scheduled campaign's time passed with no Relay running: missed");
        }
        let conn = self.db();
        let mut stmt = conn.connection().prepare(
            "SELECT id, status, COALESCE(scheduled_at, next_at) AS due FROM campaigns
             WHERE (status = 'scheduled' AND scheduled_at <= ?1)
                OR (status = 'waiting' AND next_at <= ?1)
             ORDER BY due, id",
        )?;
        let due = stmt
            .query_map([now], |r| {
                let id: String = r.get(0)?;
                let status: CampaignStatus = r.get(1)?;
                Ok(if status == CampaignStatus::Scheduled {
                    Due::Scheduled(id)
                } else {
                    Due::Waiting(id)
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok((due, missed))
    }

    /// When the next scheduled or waiting campaign becomes due (milliseconds), if any is left.
    pub fn next_due_at(&self) -> AppResult<Option<i64>> {
        self.db()
            .connection()
            .query_row(
                "SELECT MIN(CASE status WHEN 'scheduled' THEN scheduled_at ELSE next_at END)
                 FROM campaigns WHERE status IN ('scheduled', 'waiting')",
                [],
                |r| r.get(0),
            )
            .map_err(AppError::from)
    }

    /// A campaign's recipients still waiting for their quiet hours to end, by when their window
    /// opens.
    pub fn waiting_windows(&self, id: &str) -> AppResult<Vec<WaitingWindow>> {
        let db = self.db();
        let mut stmt = db.connection().prepare(
            "SELECT not_before, COUNT(*) FROM campaign_recipients
             WHERE campaign_id = ?1 AND state = 'pending' AND not_before > ?2
             GROUP BY not_before ORDER BY not_before",
        )?;
        let rows = stmt.query_map(params![id, self.now_ms()], |r| {
            Ok(WaitingWindow {
                at: r.get::<_, i64>(0)?.to_string(),
                count: r.get::<_, i64>(1)? as u32,
            })
        })?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(AppError::from)
    }

    /// The scheduled, missed and waiting campaigns, soonest first.
    pub fn scheduled_campaigns(&self) -> AppResult<Vec<CampaignSummary>> {
        let mut all: Vec<CampaignSummary> = self
            .campaigns()?
            .into_iter()
            .filter(|c| {
                matches!(
                    c.status,
                    CampaignStatus::Scheduled | CampaignStatus::Missed | CampaignStatus::Waiting
                )
            })
            .collect();
        all.sort_by_key(|c| {
            c.scheduled_at
                .as_deref()
                .or(c.next_at.as_deref())
                .and_then(|t| t.parse::<i64>().ok())
                .unwrap_or(i64::MAX)
        });
        Ok(all)
    }

    /// Moves a scheduled or missed campaign to another time (and, when given, other quiet
    /// hours); it is `scheduled` again.
    pub fn reschedule_campaign(
        &self,
        id: &str,
        timing: &CampaignTiming,
    ) -> AppResult<CampaignSummary> {
        let c = self.campaign(id)?;
        if !matches!(c.status, CampaignStatus::Scheduled | CampaignStatus::Missed) {
            return Err(not_scheduled(id, c.status));
        }
        // Quiet hours not given: the campaign's own stay (not the workspace's).
        let timing = CampaignTiming {
            quiet_hours: Some(
                timing
                    .quiet_hours
                    .clone()
                    .unwrap_or_else(|| c.quiet_hours.clone().unwrap_or_else(|| "off".into())),
            ),
            at: timing.at.clone(),
        };
        let (quiet, at) = timing.resolve(&self.settings()?, self.now_ms())?;
        let at =
            at.ok_or_else(|| AppError::invalid_field("at", crate::text!("schedule.at_required")))?;
        self.db().write(|tx| {
            tx.execute(
                "UPDATE campaigns SET status = 'scheduled', scheduled_at = ?2, quiet_hours = ?3,
                        pause_reason = NULL
                 WHERE id = ?1 AND status IN ('scheduled', 'missed')",
                params![id, at, quiet.map(|q| q.to_string())],
            )?;
            Ok(())
        })?;
        tracing::info!(campaign = %id, at, "campaign rescheduled");
        self.campaign(id)
    }

    /// Starts a scheduled (or missed) campaign now: its audience query fetched and checked
    /// again, its recipients frozen again — it is then `ready`, for
    /// [`Workspace::run_campaign`]. The counts it had when scheduled are kept. When the fetch or
    /// the check fails it stays as it was, with the error as its reason, and the error is
    /// returned.
    pub async fn start_scheduled(&self, id: &str) -> AppResult<CampaignSummary> {
        let c = self.campaign(id)?;
        if !matches!(c.status, CampaignStatus::Scheduled | CampaignStatus::Missed) {
            return Err(not_scheduled(id, c.status));
        }
        let spec: MessageSpec = {
            let text: Option<String> = self
                .db()
                .connection()
                .query_row("SELECT spec FROM campaigns WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?
                .flatten();
            text.and_then(|t| serde_json::from_str(&t).ok())
                .ok_or_else(|| AppError::internal("a scheduled campaign without its message"))?
        };
        let _lock = super::lease::lock(self, id)?;
        let fresh = self.refreeze(id, &c, &spec).await;
        if let Err(e) = &fresh {
            self.db().write(|tx| {
                tx.execute(
                    "UPDATE campaigns SET pause_reason = ?2 WHERE id = ?1",
                    params![id, e.text],
                )?;
                Ok(())
            })?;
            tracing::warn!(campaign = %id, code = e.code.as_str(), "a scheduled campaign could not start");
        }
        fresh?;
        tracing::info!(campaign = %id, "scheduled campaign started");
        self.campaign(id)
    }

    async fn refreeze(&self, id: &str, c: &CampaignSummary, spec: &MessageSpec) -> AppResult<()> {
        let cancel = std::sync::atomic::AtomicBool::new(false);
        let fetched = self.fetch_audience(&c.query, &cancel, |_| {}).await?;
        // Fixed lines as the campaign was made: included or not.
        let fixed = super::store::includes_fixed_lines(&self.db(), id)?;
        crate::audience::store::set_include_fixed_lines(&self.db(), &fetched.id, fixed)?;
        self.check_sendable(spec).await?;
        let checked = self.check_audience(&fetched.id, Some(spec.clone())).await?;
        if !checked.status.may_send() {
            return Err(AppError::invalid_field(
                "audience",
                crate::text!("audience.partial_unfinished"),
            ));
        }
        let (renderer, _) = self.renderer(&fetched.id, spec).await?;
        // The recipients frozen when it was scheduled give way to those of now; their counts
        // are kept.
        let before = serde_json::to_string(&c.counts).unwrap_or_default();
        self.db().write(|tx| {
            tx.execute(
                "UPDATE campaigns SET status = 'creating', audience_id = ?2,
                        scheduled_counts = COALESCE(scheduled_counts, ?3), pause_reason = NULL
                 WHERE id = ?1",
                params![id, fetched.id, before],
            )?;
            tx.execute(
                "DELETE FROM campaign_recipients WHERE campaign_id = ?1",
                [id],
            )?;
            Ok(())
        })?;
        let built = self.freeze_recipients(id, &fetched.id, spec, &renderer);
        self.db().write(|tx| {
            if built.is_ok() {
                tx.execute(
                    "UPDATE campaigns SET status = 'ready', started_at = NULL WHERE id = ?1",
                    [id],
                )?;
            } else {
                // Back as it was (its counts when scheduled are kept), to be tried again.
                tx.execute(
                    "DELETE FROM campaign_recipients WHERE campaign_id = ?1",
                    [id],
                )?;
                tx.execute(
                    "UPDATE campaigns SET status = ?2 WHERE id = ?1",
                    params![id, c.status],
                )?;
            }
            Ok(())
        })?;
        built
    }
}

fn not_scheduled(id: &str, status: CampaignStatus) -> AppError {
    AppError::new(
        ErrorCode::InvalidInput,
        crate::text!("schedule.not_scheduled", id = id, status => status.label()),
    )
}
