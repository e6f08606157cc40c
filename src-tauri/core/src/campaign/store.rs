//! The campaigns' rows: a campaign as created (`creating`, then `ready`), its recipients as
//! frozen, and the summaries the history reads (counts by state, computed in one query).

use super::{CampaignSummary, RecipientState, StateCounts};
use crate::audience::ExclusionReason;
use crate::channel::IntegrationKind;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::message::MessageSpec;
use crate::storage::Database;
use crate::text::Text;
use crate::timing::{QuietHours, ZoneSource};
use rusqlite::{params, Connection, OptionalExtension, Row};

pub(crate) fn not_found(id: &str) -> AppError {
    AppError::new(
        ErrorCode::NotFound,
        crate::text!("campaign.not_found", id = id),
    )
}

pub(crate) fn counts(conn: &Connection, id: &str) -> AppResult<StateCounts> {
    let mut stmt = conn.prepare_cached(
        "SELECT state, COUNT(*) FROM campaign_recipients WHERE campaign_id = ?1 GROUP BY state",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok((r.get::<_, RecipientState>(0)?, r.get::<_, i64>(1)?))
    })?;
    let mut c = StateCounts::default();
    for row in rows {
        let (state, n) = row?;
        c.add(state, n as u32);
    }
    Ok(c)
}

/// The counts a campaign had when it was scheduled, if it was and has started since.
fn scheduled_counts(text: Option<String>) -> Option<StateCounts> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

fn summary_from_row(r: &Row, now_ms: i64) -> rusqlite::Result<CampaignSummary> {
    let ms = |v: Option<i64>| v.map(|x| x.to_string());
    let lease: Option<i64> = r.get("lease_until")?;
    Ok(CampaignSummary {
        id: r.get("id")?,
        template_id: r.get("template_id")?,
        template_name: r.get("template_name")?,
        language: r.get("language")?,
        integration_id: r.get("integration_id")?,
        kind: r.get("channel")?,
        query: r.get("query")?,
        rate: r.get::<_, i64>("rate")? as u32,
        auto_pause_after: r.get::<_, i64>("auto_pause_after")? as u32,
        test: r.get::<_, i64>("test")? != 0,
        status: r.get("status")?,
        pause_reason: r.get("pause_reason")?,
        counts: StateCounts::default(),
        segments: 0,
        created_at: r.get::<_, i64>("created_at")?.to_string(),
        started_at: ms(r.get("started_at")?),
        finished_at: ms(r.get("finished_at")?),
        running: r.get::<_, Option<String>>("runner")?.is_some()
            && lease.is_some_and(|l| l > now_ms),
        desktop_only: r.get::<_, i64>("desktop_only")? != 0,
        team_syncing: false,
        runner_host: r.get("runner_host")?,
        interrupted: false,
        can: Default::default(),
        quiet_hours: r.get("quiet_hours")?,
        waiting: 0,
        next_at: ms(r.get("next_at")?),
        waits_for: r.get("waits_for")?,
        scheduled_at: ms(r.get("scheduled_at")?),
        scheduled_counts: scheduled_counts(r.get("scheduled_counts")?),
    })
}

pub(crate) fn summary(db: &Database, id: &str, now_ms: i64) -> AppResult<CampaignSummary> {
    let mut s = db
        .connection()
        .query_row("SELECT * FROM campaigns WHERE id = ?1", [id], |r| {
            summary_from_row(r, now_ms)
        })
        .optional()?
        .ok_or_else(|| not_found(id))?;
    s.counts = counts(db.connection(), id)?;
    s.waiting = db.connection().query_row(
        "SELECT COUNT(*) FROM campaign_recipients
             WHERE campaign_id = ?1 AND state = 'pending' AND not_before > ?2",
        params![id, now_ms],
        |r| r.get::<_, i64>(0),
    )? as u32;
    if s.status != super::CampaignStatus::Waiting {
        s.next_at = None;
        s.waits_for = None;
    }
    // Its entries still on their way to the team's store (sent "this desktop only", it says so
    // instead: they wait for the store to be reachable).
    if !s.test && !s.desktop_only {
        let fp = fingerprint(db, id)?;
        s.team_syncing = crate::blackout::campaign_unshared(db.connection(), fp, id)?;
    }
    s.segments = db.connection().query_row(
        "SELECT COALESCE(SUM(segments), 0) FROM campaign_recipients
             WHERE campaign_id = ?1 AND state IN ('pending', 'sending', 'sent', 'unknown')",
        [id],
        |r| r.get::<_, i64>(0),
    )? as u32;
    Ok(s)
}

/// The fingerprint of a campaign's message (what the blackout and the team's claim name).
pub(crate) fn fingerprint(db: &Database, id: &str) -> AppResult<i64> {
    db.connection()
        .query_row(
            // Through the alias: a campaign made before translations runs as its message now is.
            "SELECT COALESCE((SELECT current FROM fingerprint_alias WHERE legacy = c.fingerprint), c.fingerprint)
             FROM campaigns c WHERE c.id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| not_found(id))
}

/// Whether a campaign of message `fingerprint` is being sent from this data folder (its lease
/// alive).
pub(crate) fn message_running(db: &Database, fingerprint: i64, now_ms: i64) -> AppResult<bool> {
    Ok(db.connection().query_row(
        "SELECT EXISTS (SELECT 1 FROM campaigns
                         WHERE fingerprint = ?1 AND runner IS NOT NULL AND lease_until > ?2)",
        params![fingerprint, now_ms],
        |r| r.get(0),
    )?)
}

/// A new campaign's timing: its quiet hours, its schedule (none: now) and, for a scheduled one,
/// what it is made of (frozen again at its time).
pub(crate) fn set_timing(
    db: &Database,
    id: &str,
    quiet: Option<QuietHours>,
    at: Option<i64>,
    spec: &MessageSpec,
) -> AppResult<()> {
    let spec = at.map(|_| serde_json::to_string(spec).unwrap_or_default());
    db.write(|tx| {
        tx.execute(
            "UPDATE campaigns SET quiet_hours = ?2, scheduled_at = ?3, spec = ?4 WHERE id = ?1",
            params![id, quiet.map(|q| q.to_string()), at, spec],
        )?;
        Ok(())
    })
}

/// A campaign frozen under earlier rules ([`crate::phone::READER_VERSION`]) has its recipients
/// that may still be sent — `pending`, and `failed` or `unknown` ones a retry would send again —
/// read again before it sends: one whose number as written in Zendesk is not, under the current
/// rules, the number it is to be sent to (a typed letter an earlier Relay read as a keypad digit:
/// a stranger's number), or is a line a message cannot reach, is skipped with the reason and
/// both numbers. A test (to a typed number whose input was not kept) frozen so is not sent: its
/// pending message is skipped, to be sent again. The campaign counts as read once none of its
/// rows can be sent again. Returns how many were skipped.
pub(crate) fn skip_misread(db: &Database, id: &str, now_ms: i64) -> AppResult<u32> {
    let (reader, audience, test, fixed): (i64, Option<String>, bool, bool) =
        db.connection().query_row(
            "SELECT reader, audience_id, test, include_fixed_lines FROM campaigns WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
    if reader >= crate::phone::READER_VERSION {
        return Ok(0);
    }
    let unsettled: Vec<(i64, i64, String)> = {
        let conn = db.connection();
        let mut stmt = conn.prepare(
            "SELECT seq, user_id, phone FROM campaign_recipients
             WHERE campaign_id = ?1 AND state IN ('pending', 'failed', 'unknown') AND phone IS NOT NULL",
        )?;
        let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let skip: Vec<(i64, ExclusionReason, Text)> = match (&audience, test) {
        (_, true) => unsettled
            .iter()
            .map(|(seq, _, _)| {
                (
                    *seq,
                    ExclusionReason::InvalidPhone,
                    crate::text!("phone.test_before"),
                )
            })
            .collect(),
        (Some(audience), false) => {
            crate::audience::store::misread(db, audience, &unsettled, fixed)?
        }
        (None, false) => vec![],
    };
    let mut skipped = 0;
    let settled = db.write(|tx| {
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE campaign_recipients SET state = 'skipped', reason = ?3, error = ?4,
                        updated_at = ?5
                 WHERE campaign_id = ?1 AND seq = ?2 AND state IN ('pending', 'failed', 'unknown')",
            )?;
            for (seq, reason, why) in &skip {
                skipped += stmt.execute(params![id, seq, reason, why, now_ms])? as u32;
            }
        }
        // Rows that may be sent again later (a retry, a resume) are read again then.
        let open: i64 = tx.query_row(
            "SELECT COUNT(*) FROM campaign_recipients
             WHERE campaign_id = ?1 AND state IN ('failed', 'unknown', 'sending')",
            [id],
            |r| r.get(0),
        )?;
        if open == 0 {
            tx.execute(
                "UPDATE campaigns SET reader = ?2 WHERE id = ?1",
                params![id, crate::phone::READER_VERSION],
            )?;
        }
        Ok(open == 0)
    })?;
    if skipped > 0 {
        tracing::warn!(campaign = %id, skipped, settled, "recipients an earlier Relay read otherwise are skipped");
    }
    Ok(skipped)
}

/// Whether a campaign's audience sends to fixed lines too.
pub(crate) fn includes_fixed_lines(db: &Database, id: &str) -> AppResult<bool> {
    db.connection()
        .query_row(
            "SELECT include_fixed_lines FROM campaigns WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| AppError::internal(format!("no campaign {id}")))
}

/// What a waiting campaign waits for (None once it no longer waits).
pub(crate) fn set_waits_for(
    conn: &Connection,
    id: &str,
    why: Option<super::WaitReason>,
) -> AppResult<()> {
    conn.execute(
        "UPDATE campaigns SET waits_for = ?2 WHERE id = ?1",
        params![id, why],
    )?;
    Ok(())
}

/// When a waiting campaign's next recipients may be sent (none: it is not waiting).
pub(crate) fn set_next_at(conn: &Connection, id: &str, next_at: Option<i64>) -> AppResult<()> {
    conn.execute(
        "UPDATE campaigns SET next_at = ?2 WHERE id = ?1",
        params![id, next_at],
    )?;
    Ok(())
}

/// Marks a campaign sent with this desktop's ledger alone.
pub(crate) fn mark_desktop_only(db: &Database, id: &str) -> AppResult<()> {
    db.write(|tx| {
        tx.execute("UPDATE campaigns SET desktop_only = 1 WHERE id = ?1", [id])?;
        Ok(())
    })
}

/// Every campaign, newest first.
pub(crate) fn list(db: &Database, now_ms: i64) -> AppResult<Vec<CampaignSummary>> {
    let ids: Vec<String> = {
        let conn = db.connection();
        let mut stmt = conn.prepare(
            "SELECT id FROM campaigns WHERE status <> 'creating' ORDER BY created_at DESC, id",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    ids.iter().map(|id| summary(db, id, now_ms)).collect()
}

/// What a new campaign is made of.
pub(crate) struct NewCampaign<'a> {
    pub id: &'a str,
    pub spec: &'a MessageSpec,
    pub template_name: &'a str,
    pub language: &'a str,
    pub kind: IntegrationKind,
    pub fingerprint: i64,
    pub audience_id: Option<&'a str>,
    pub query: &'a str,
    pub rate: u32,
    pub auto_pause_after: u32,
    pub test: bool,
    /// The workspace's blackout days when it was created: the window its claims are checked in.
    pub blackout_days: u16,
    /// Its audience sends to fixed lines too (kept for the audience fetched again when a
    /// scheduled campaign starts).
    pub include_fixed_lines: bool,
    pub now_ms: i64,
}

pub(crate) fn insert_campaign(db: &Database, c: &NewCampaign) -> AppResult<()> {
    db.write(|tx| {
        tx.execute(
            "INSERT INTO campaigns (id, template_id, template_name, language, integration_id, channel,
                fingerprint, audience_id, query, rate, auto_pause_after, test, status, created_at, blackout_days,
                include_fixed_lines, reader)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'creating', ?13, ?14, ?15, ?16)",
            params![
                c.id,
                c.spec.template_id,
                c.template_name,
                c.language,
                c.spec.integration_id,
                c.kind,
                c.fingerprint,
                c.audience_id,
                c.query,
                c.rate,
                c.auto_pause_after,
                c.test as i64,
                c.now_ms,
                c.blackout_days,
                c.include_fixed_lines,
                crate::phone::READER_VERSION
            ],
        )
        .map_err(AppError::from)
    })?;
    Ok(())
}

/// A recipient as frozen: `payload` set for those to send, `reason` for those skipped.
pub(crate) struct Frozen {
    pub seq: u32,
    pub user_id: u64,
    pub name: String,
    pub phone: Option<String>,
    pub payload: Option<String>,
    pub segments: u32,
    pub reason: Option<String>,
    /// Their time zone (IANA name) and where it came from.
    pub zone: Option<(String, ZoneSource)>,
    /// The translation they get (Meta's code).
    pub language: Option<String>,
}

pub(crate) fn insert_recipients(
    db: &Database,
    id: &str,
    rows: &[Frozen],
    now_ms: i64,
) -> AppResult<()> {
    db.write(|tx| {
        let mut stmt = tx
            .prepare_cached(
                "INSERT INTO campaign_recipients
                 (campaign_id, seq, user_id, name, phone, payload, segments, state, reason, updated_at,
                  time_zone, zone_source, language)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )
            ?;
        for f in rows {
            let state = if f.payload.is_some() {
                "pending"
            } else {
                "skipped"
            };
            stmt.execute(params![
                id,
                f.seq,
                f.user_id as i64,
                f.name,
                f.phone,
                f.payload,
                f.segments,
                state,
                f.reason,
                now_ms,
                f.zone.as_ref().map(|z| &z.0),
                f.zone.as_ref().map(|z| z.1),
                f.language
            ])
            ?;
        }
        Ok(())
    })
}

/// The overrides made by hand on the audience (user, when) go with the campaign's recipients: a
/// claim lets them through the sends made before the override.
pub(crate) fn set_overrides(db: &Database, id: &str, overrides: &[(u64, i64)]) -> AppResult<()> {
    db.write(|tx| {
        let mut set = tx.prepare_cached(
            "UPDATE campaign_recipients SET override = ?3 WHERE campaign_id = ?1 AND user_id = ?2",
        )?;
        for (user_id, at) in overrides {
            set.execute(params![id, *user_id as i64, at])?;
        }
        Ok(())
    })
}
