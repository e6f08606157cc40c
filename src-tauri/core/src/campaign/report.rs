//! What the history and the report read: campaigns with whether a live runner holds them, the
//! recipients page by page (by key, never by OFFSET past the first page), their CSV, and putting
//! failed (or, asked explicitly, unknown) recipients back in the queue.

use super::ledger::CANCELLED;
use super::store::{list, summary};
use super::{lease, CampaignRecipient, CampaignSummary, RecipientPage, RecipientState};
use crate::csv_safe::cell;
use crate::error::{AppError, AppResult};
use crate::storage::Database;
use crate::text::Text;
use crate::workspace::Workspace;
use rusqlite::{params, Row};

pub(crate) fn recipients(
    db: &Database,
    id: &str,
    state: Option<RecipientState>,
    offset: u32,
    limit: u32,
) -> AppResult<RecipientPage> {
    let conn = db.connection();
    let filter = state;
    let total: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = ?1 AND (?2 IS NULL OR state = ?2)",
            params![id, filter],
            |r| r.get(0),
        )
        ?;
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, user_id, name, phone, state, reason, error, notification_id, attempts, updated_at, language
             FROM campaign_recipients WHERE campaign_id = ?1 AND (?2 IS NULL OR state = ?2)
             ORDER BY seq LIMIT ?3 OFFSET ?4",
        )
        ?;
    let rows = stmt.query_map(params![id, filter, limit, offset], recipient_from_row)?;
    Ok(RecipientPage {
        total: total as u32,
        rows: rows.collect::<rusqlite::Result<_>>()?,
    })
}

fn recipient_from_row(r: &Row) -> rusqlite::Result<CampaignRecipient> {
    // The reason column holds an exclusion reason, or `cancelled`.
    let reason: Option<String> = r.get(5)?;
    Ok(CampaignRecipient {
        seq: r.get::<_, i64>(0)? as u32,
        user_id: r.get::<_, i64>(1)?.to_string(),
        name: r.get(2)?,
        phone: r.get(3)?,
        state: r.get(4)?,
        cancelled: reason.as_deref() == Some(CANCELLED),
        reason: reason.and_then(|r| r.parse().ok()),
        error: r.get(6)?,
        notification_id: r.get(7)?,
        attempts: r.get::<_, i64>(8)? as u32,
        updated_at: r.get::<_, Option<i64>>(9)?.map(|v| v.to_string()),
        language: r.get(10)?,
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
            "SELECT seq, user_id, name, phone, state, reason, error, notification_id, attempts, updated_at, language
             FROM campaign_recipients WHERE campaign_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )
        ?;
    let rows = stmt.query_map(params![id, after, limit], recipient_from_row)?;
    rows.collect::<rusqlite::Result<_>>()
        .map_err(AppError::from)
}

/// Failed recipients (and, when asked, unknown ones) back to `pending`; returns how many.
pub(crate) fn requeue(db: &Database, id: &str, unknown_too: bool, now_ms: i64) -> AppResult<u32> {
    db.write(|tx| {
        let n = tx.execute(
            "UPDATE campaign_recipients SET state = 'pending', error = NULL, updated_at = ?3
                 WHERE campaign_id = ?1 AND (state = 'failed' OR (?2 AND state = 'unknown'))",
            params![id, unknown_too, now_ms],
        )?;
        if n > 0 {
            tx.execute(
                "UPDATE campaigns SET status = 'paused', finished_at = NULL, pause_reason = NULL
                 WHERE id = ?1 AND status IN ('completed', 'cancelled')",
                [id],
            )?;
        }
        Ok(n as u32)
    })
}

/// Writes the per-recipient report as CSV.
pub(crate) fn export_csv(db: &Database, id: &str, out: impl std::io::Write) -> AppResult<u32> {
    let mut w = csv::Writer::from_writer(out);
    let io = crate::error::csv_write;
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
        "language",
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
                r.state.as_ref().to_string(),
                cell(if r.cancelled {
                    Some(CANCELLED.to_string())
                } else {
                    r.reason.map(|x| x.to_string())
                }),
                cell(r.error.as_ref().map(Text::english)),
                cell(r.notification_id),
                r.attempts.to_string(),
                when,
                r.language.unwrap_or_default(),
            ])
            .map_err(io)?;
            n += 1;
        }
    }
    w.flush().map_err(crate::error::csv_write)?;
    Ok(n)
}

impl Workspace {
    pub fn campaign(&self, id: &str) -> AppResult<CampaignSummary> {
        let mut c = summary(&self.db(), id, self.now_ms())?;
        c.running = c.running && lease::held(self, id, c.runner_host.as_deref());
        Ok(c.judged())
    }

    /// Every campaign, newest first.
    pub fn campaigns(&self) -> AppResult<Vec<CampaignSummary>> {
        let mut all = list(&self.db(), self.now_ms())?;
        for c in all.iter_mut().filter(|c| c.running) {
            c.running = lease::held(self, &c.id, c.runner_host.as_deref());
        }
        Ok(all.into_iter().map(CampaignSummary::judged).collect())
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
            .filter(|c| c.interrupted)
            .collect())
    }

    /// Why this desktop must not be updated now, if it must not: a campaign is being sent from
    /// this data folder (by the app or the CLI). An update replaces the binary and restarts it.
    pub fn update_blocker(&self) -> AppResult<Option<Text>> {
        let sending: Vec<CampaignSummary> = self
            .campaigns()?
            .into_iter()
            .filter(|c| c.running)
            .collect();
        Ok(match sending.as_slice() {
            [] => None,
            [one] => Some(crate::text!("update.busy_one", name = one.template_name)),
            many => Some(crate::text!("update.busy_many", count = many.len())),
        })
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
