//! Campaigns: an audience checked for a message, frozen into a per-recipient ledger
//! (`freeze.rs`), then sent by the engine (`engine.rs`) under one runner (`runner.rs`), each
//! recipient's transitions kept by `ledger.rs`. This file: the read side (the history, the report,
//! its CSV).
//!
//! Recipient states: `pending` → `sending` → `sent` | `failed`; `skipped` (excluded, with the
//! audience's reason, blacked out when it came to be sent, or cancelled); `unknown` (the call may
//! have delivered it: a timeout, a dropped connection, a 5xx, or a runner that died while the call
//! was in flight). `unknown` counts as reached — it writes a blackout entry — and is never sent
//! again on its own: the report shows it and the user decides.

pub mod engine;
pub mod freeze;
pub(crate) mod ledger;
pub(crate) mod runner;

use crate::audience::run::MessageSpec;
use crate::csv_safe::cell;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::{Database, StorageError};
use crate::workspace::Workspace;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use specta::Type;

fn sql(e: rusqlite::Error) -> AppError {
    StorageError::Sql(e).into()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum RecipientState {
    Pending,
    Sending,
    Sent,
    Failed,
    Skipped,
    Unknown,
}

impl RecipientState {
    pub const ALL: [RecipientState; 6] = [
        RecipientState::Pending,
        RecipientState::Sending,
        RecipientState::Sent,
        RecipientState::Failed,
        RecipientState::Skipped,
        RecipientState::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecipientState::Pending => "pending",
            RecipientState::Sending => "sending",
            RecipientState::Sent => "sent",
            RecipientState::Failed => "failed",
            RecipientState::Skipped => "skipped",
            RecipientState::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<RecipientState> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// How many recipients are in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct StateCounts {
    pub pending: u32,
    pub sending: u32,
    pub sent: u32,
    pub failed: u32,
    pub skipped: u32,
    pub unknown: u32,
}

impl StateCounts {
    pub fn total(&self) -> u32 {
        self.pending + self.sending + self.sent + self.failed + self.skipped + self.unknown
    }

    fn add(&mut self, state: RecipientState, n: u32) {
        match state {
            RecipientState::Pending => self.pending += n,
            RecipientState::Sending => self.sending += n,
            RecipientState::Sent => self.sent += n,
            RecipientState::Failed => self.failed += n,
            RecipientState::Skipped => self.skipped += n,
            RecipientState::Unknown => self.unknown += n,
        }
    }
}

/// A campaign as the history and the report show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct CampaignSummary {
    pub id: String,
    pub template_id: String,
    pub template_name: String,
    pub language: String,
    pub integration_id: String,
    /// `whatsapp`, `twilio` or `messagebird`.
    pub channel: String,
    pub query: String,
    /// Messages per second.
    pub rate: u32,
    pub auto_pause_after: u32,
    pub test: bool,
    /// `ready`, `running`, `paused`, `cancelled` or `completed`.
    pub status: String,
    /// Why it paused on its own (consecutive failures), if it did.
    pub pause_reason: Option<String>,
    pub counts: StateCounts,
    /// SMS segments of every message to send or sent (0 for WhatsApp).
    pub segments: u32,
    /// Milliseconds since the Unix epoch, as text.
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// A runner holds it now (this or another window or process).
    pub running: bool,
    /// The computer its runner is on, while one holds it.
    pub runner_host: Option<String>,
}

/// One recipient of a campaign, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct CampaignRecipient {
    pub seq: u32,
    pub user_id: String,
    pub name: String,
    pub phone: Option<String>,
    pub state: RecipientState,
    /// Why it was skipped (an audience reason, or `cancelled`).
    pub reason: Option<String>,
    pub error: Option<String>,
    pub notification_id: Option<String>,
    pub attempts: u32,
    /// Milliseconds since the Unix epoch, as text.
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct RecipientPage {
    pub total: u32,
    pub rows: Vec<CampaignRecipient>,
}

fn not_found(id: &str) -> AppError {
    AppError::new(
        ErrorCode::NotFound,
        format!("There is no campaign {id}. `relay campaigns list` shows them."),
    )
}

pub(crate) fn counts(conn: &Connection, id: &str) -> AppResult<StateCounts> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT state, COUNT(*) FROM campaign_recipients WHERE campaign_id = ?1 GROUP BY state",
        )
        .map_err(sql)?;
    let rows = stmt
        .query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .map_err(sql)?;
    let mut c = StateCounts::default();
    for row in rows {
        let (state, n) = row.map_err(sql)?;
        if let Some(s) = RecipientState::parse(&state) {
            c.add(s, n as u32);
        }
    }
    Ok(c)
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
        channel: r.get("channel")?,
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
        runner_host: r.get("runner_host")?,
    })
}

pub(crate) fn summary(db: &Database, id: &str, now_ms: i64) -> AppResult<CampaignSummary> {
    let mut s = db
        .connection()
        .query_row("SELECT * FROM campaigns WHERE id = ?1", [id], |r| {
            summary_from_row(r, now_ms)
        })
        .optional()
        .map_err(sql)?
        .ok_or_else(|| not_found(id))?;
    s.counts = counts(db.connection(), id)?;
    s.segments = db
        .connection()
        .query_row(
            "SELECT COALESCE(SUM(segments), 0) FROM campaign_recipients
             WHERE campaign_id = ?1 AND state IN ('pending', 'sending', 'sent', 'unknown')",
            [id],
            |r| r.get::<_, i64>(0),
        )
        .map_err(sql)? as u32;
    Ok(s)
}

/// Every campaign, newest first.
pub(crate) fn list(db: &Database, now_ms: i64) -> AppResult<Vec<CampaignSummary>> {
    let ids: Vec<String> = {
        let conn = db.connection();
        let mut stmt = conn
            .prepare(
                "SELECT id FROM campaigns WHERE status <> 'creating' ORDER BY created_at DESC, id",
            )
            .map_err(sql)?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(sql)?;
        rows.collect::<rusqlite::Result<_>>().map_err(sql)?
    };
    ids.iter().map(|id| summary(db, id, now_ms)).collect()
}

pub(crate) fn recipients(
    db: &Database,
    id: &str,
    state: Option<RecipientState>,
    offset: u32,
    limit: u32,
) -> AppResult<RecipientPage> {
    let conn = db.connection();
    let filter = state.map(|s| s.as_str());
    let total: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = ?1 AND (?2 IS NULL OR state = ?2)",
            params![id, filter],
            |r| r.get(0),
        )
        .map_err(sql)?;
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, user_id, name, phone, state, reason, error, notification_id, attempts, updated_at
             FROM campaign_recipients WHERE campaign_id = ?1 AND (?2 IS NULL OR state = ?2)
             ORDER BY seq LIMIT ?3 OFFSET ?4",
        )
        .map_err(sql)?;
    let rows = stmt
        .query_map(params![id, filter, limit, offset], recipient_from_row)
        .map_err(sql)?;
    Ok(RecipientPage {
        total: total as u32,
        rows: rows.collect::<rusqlite::Result<_>>().map_err(sql)?,
    })
}

fn recipient_from_row(r: &Row) -> rusqlite::Result<CampaignRecipient> {
    Ok(CampaignRecipient {
        seq: r.get::<_, i64>(0)? as u32,
        user_id: r.get::<_, i64>(1)?.to_string(),
        name: r.get(2)?,
        phone: r.get(3)?,
        state: RecipientState::parse(&r.get::<_, String>(4)?).unwrap_or(RecipientState::Unknown),
        reason: r.get(5)?,
        error: r.get(6)?,
        notification_id: r.get(7)?,
        attempts: r.get::<_, i64>(8)? as u32,
        updated_at: r.get::<_, Option<i64>>(9)?.map(|v| v.to_string()),
    })
}

/// The recipients after `after` (seq), in order, by key (a report of a million rows is read in
/// pages without counting past the rows before each).
fn recipients_after(
    db: &Database,
    id: &str,
    after: i64,
    limit: u32,
) -> AppResult<Vec<CampaignRecipient>> {
    let conn = db.connection();
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, user_id, name, phone, state, reason, error, notification_id, attempts, updated_at
             FROM campaign_recipients WHERE campaign_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )
        .map_err(sql)?;
    let rows = stmt
        .query_map(params![id, after, limit], recipient_from_row)
        .map_err(sql)?;
    rows.collect::<rusqlite::Result<_>>().map_err(sql)
}

/// What a new campaign is made of.
pub(crate) struct NewCampaign<'a> {
    pub id: &'a str,
    pub spec: &'a MessageSpec,
    pub template_name: &'a str,
    pub language: &'a str,
    pub channel: &'a str,
    pub fingerprint: i64,
    pub audience_id: Option<&'a str>,
    pub query: &'a str,
    pub rate: u32,
    pub auto_pause_after: u32,
    pub test: bool,
    /// The workspace's blackout days when it was created: the window its claims are checked in.
    pub blackout_days: u16,
    pub now_ms: i64,
}

pub(crate) fn insert_campaign(db: &Database, c: &NewCampaign) -> AppResult<()> {
    db.write(|tx| {
        tx.execute(
            "INSERT INTO campaigns (id, template_id, template_name, language, integration_id, channel,
                fingerprint, audience_id, query, rate, auto_pause_after, test, status, created_at, blackout_days)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'creating', ?13, ?14)",
            params![
                c.id,
                c.spec.template_id,
                c.template_name,
                c.language,
                c.spec.integration_id,
                c.channel,
                c.fingerprint,
                c.audience_id,
                c.query,
                c.rate,
                c.auto_pause_after,
                c.test as i64,
                c.now_ms,
                c.blackout_days
            ],
        )
        .map_err(sql)
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
                 (campaign_id, seq, user_id, name, phone, payload, segments, state, reason, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .map_err(sql)?;
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
                now_ms
            ])
            .map_err(sql)?;
        }
        Ok(())
    })
}

/// Failed recipients (and, when asked, unknown ones) back to `pending`; returns how many.
pub(crate) fn requeue(db: &Database, id: &str, unknown_too: bool, now_ms: i64) -> AppResult<u32> {
    db.write(|tx| {
        let n = tx
            .execute(
                "UPDATE campaign_recipients SET state = 'pending', error = NULL, updated_at = ?3
                 WHERE campaign_id = ?1 AND (state = 'failed' OR (?2 AND state = 'unknown'))",
                params![id, unknown_too, now_ms],
            )
            .map_err(sql)?;
        if n > 0 {
            tx.execute(
                "UPDATE campaigns SET status = 'paused', finished_at = NULL, pause_reason = NULL
                 WHERE id = ?1 AND status IN ('completed', 'cancelled')",
                [id],
            )
            .map_err(sql)?;
        }
        Ok(n as u32)
    })
}

/// Writes the per-recipient report as CSV.
pub(crate) fn export_csv(db: &Database, id: &str, out: impl std::io::Write) -> AppResult<u32> {
    let mut w = csv::Writer::from_writer(out);
    let io = |e: csv::Error| AppError::new(ErrorCode::Io, format!("Could not write the CSV: {e}."));
    w.write_record([
        "seq",
        "user_id",
        "name",
        "phone",
        "state",
        "reason",
        "error",
        "notification_id",
        "attempts",
        "updated_at",
    ])
    .map_err(io)?;
    let mut after = -1i64;
    let mut n = 0;
    loop {
        let rows = recipients_after(db, id, after, 5000)?;
        let Some(last) = rows.last() else {
            break;
        };
        after = i64::from(last.seq);
        for r in rows {
            let when = r
                .updated_at
                .as_deref()
                .and_then(|v| v.parse::<i64>().ok())
                .and_then(chrono::DateTime::from_timestamp_millis)
                .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                .unwrap_or_default();
            let cell = |t: Option<String>| cell(&t.unwrap_or_default()).into_owned();
            w.write_record([
                r.seq.to_string(),
                r.user_id,
                cell(Some(r.name)),
                r.phone.unwrap_or_default(),
                r.state.as_str().to_string(),
                cell(r.reason),
                cell(r.error),
                cell(r.notification_id),
                r.attempts.to_string(),
                when,
            ])
            .map_err(io)?;
            n += 1;
        }
    }
    w.flush()
        .map_err(|e| AppError::new(ErrorCode::Io, format!("Could not write the CSV: {e}.")))?;
    Ok(n)
}

impl Workspace {
    pub fn campaign(&self, id: &str) -> AppResult<CampaignSummary> {
        let mut c = summary(&self.db(), id, self.now_ms())?;
        c.running = c.running && runner::held(self, id, c.runner_host.as_deref());
        Ok(c)
    }

    /// Every campaign, newest first.
    pub fn campaigns(&self) -> AppResult<Vec<CampaignSummary>> {
        let mut all = list(&self.db(), self.now_ms())?;
        for c in all.iter_mut().filter(|c| c.running) {
            c.running = runner::held(self, &c.id, c.runner_host.as_deref());
        }
        Ok(all)
    }

    pub fn campaign_recipients(
        &self,
        id: &str,
        state: Option<RecipientState>,
        offset: u32,
        limit: u32,
    ) -> AppResult<RecipientPage> {
        recipients(&self.db(), id, state, offset, limit.min(1000))
    }

    /// Campaigns a runner left behind (a crash, a closed app): running, with no live runner.
    pub fn interrupted_campaigns(&self) -> AppResult<Vec<CampaignSummary>> {
        Ok(self
            .campaigns()?
            .into_iter()
            .filter(|c| c.status == "running" && !c.running)
            .collect())
    }

    /// Puts failed recipients (and unknown ones only when `unknown_too`: they may have been
    /// delivered) back in the queue; the campaign can then be resumed. Each is checked against
    /// the blackout again when it comes to be sent.
    pub fn requeue_recipients(&self, id: &str, unknown_too: bool) -> AppResult<u32> {
        self.campaign(id)?;
        requeue(&self.db(), id, unknown_too, self.now_ms())
    }

    pub fn export_campaign_csv(&self, id: &str, out: impl std::io::Write) -> AppResult<u32> {
        self.campaign(id)?;
        crate::storage::blocking(|| export_csv(&self.db(), id, out))
    }
}
