//! What this desktop still has to push to the team's store besides its ledger's entries (the
//! suppression list's changes, its campaigns' summaries): one row per record (its latest value),
//! queued in the transaction that makes the change, removed once the store confirms it.
//! Where each pull stopped. Nothing else writes SQL against these tables.

use crate::error::AppResult;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

/// The kinds of rows queued here (the ledger's entries are not: the ledger says which of them
/// the team has, see [`crate::blackout::unshared`]).
pub(crate) const SUPPRESSED: &str = "suppressed";
pub(crate) const CAMPAIGN: &str = "campaign";

/// Queues a record of `kind` (replacing the queued value of the same record).
pub(crate) fn queue(
    conn: &Connection,
    kind: &str,
    external_id: &str,
    payload: &Value,
    now_ms: i64,
) -> AppResult<()> {
    conn.prepare_cached(
        "INSERT INTO team_outbox (kind, external_id, payload, queued_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (kind, external_id) DO UPDATE SET payload = excluded.payload,
             queued_at = excluded.queued_at, attempts = 0, last_error = NULL",
    )?
    .execute(params![kind, external_id, payload.to_string(), now_ms])?;
    Ok(())
}

/// Queues a number added to (or, `removed`, taken off) the suppression list: the team's list
/// follows the latest change.
pub(crate) fn queue_suppressed(
    conn: &Connection,
    phone: &str,
    note: &str,
    removed: bool,
    reason: crate::suppression::SuppressReason,
    evidence: Option<&crate::text::Text>,
    now_ms: i64,
) -> AppResult<()> {
    let evidence = evidence
        .map(|e| serde_json::to_string(e).unwrap_or_default())
        .unwrap_or_default();
    let payload = json!({"number": phone, "note": note, "removed": removed, "changed_at": now_ms,
                         "reader": crate::phone::READER_VERSION, "reason": reason.as_ref(),
                         "evidence": evidence});
    queue(
        conn,
        SUPPRESSED,
        &format!("suppressed:{phone}"),
        &payload,
        now_ms,
    )
}

/// A queued record: its external id and fields.
#[derive(Debug, Clone)]
pub(crate) struct Queued {
    pub external_id: String,
    pub payload: Value,
}

/// The first `n` queued rows of `kind`, in the order of the table's key (read from its index,
/// never by sorting the queue).
pub(crate) fn next(conn: &Connection, kind: &str, n: usize) -> AppResult<Vec<Queued>> {
    let mut stmt = conn.prepare_cached(
        "SELECT external_id, payload FROM team_outbox WHERE kind = ?1
         ORDER BY kind, external_id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![kind, n as i64], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (external_id, payload) = row?;
        out.push(Queued {
            external_id,
            payload: serde_json::from_str(&payload).unwrap_or(Value::Null),
        });
    }
    Ok(out)
}

/// The store confirmed these: out of the queue (unless a newer value was queued meanwhile).
pub(crate) fn confirmed(conn: &Connection, kind: &str, done: &[Queued]) -> AppResult<()> {
    let mut stmt = conn.prepare_cached(
        "DELETE FROM team_outbox WHERE kind = ?1 AND external_id = ?2 AND payload = ?3",
    )?;
    for q in done {
        stmt.execute(params![kind, q.external_id, q.payload.to_string()])?;
    }
    Ok(())
}

/// These were refused or not confirmed: they stay, counted, with the store's words.
pub(crate) fn retry_later(
    conn: &Connection,
    kind: &str,
    items: &[(Queued, Option<String>)],
) -> AppResult<()> {
    let mut stmt = conn.prepare_cached(
        "UPDATE team_outbox SET attempts = attempts + 1, last_error = COALESCE(?3, last_error)
         WHERE kind = ?1 AND external_id = ?2",
    )?;
    for (q, why) in items {
        stmt.execute(params![kind, q.external_id, why])?;
    }
    Ok(())
}

/// Queued entries, those refused at least once, and the last refusal.
pub(crate) fn counts(conn: &Connection) -> AppResult<(u32, u32, Option<String>)> {
    let (pending, failing): (i64, i64) = conn.query_row(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE last_error IS NOT NULL) FROM team_outbox",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let last_error = conn
        .query_row(
            "SELECT last_error FROM team_outbox WHERE last_error IS NOT NULL ORDER BY attempts DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok((pending as u32, failing as u32, last_error))
}

/// A batch posted to the store, not yet confirmed (its rows marked in the ledger).
pub(crate) fn posted(conn: &Connection, batch: &str, now_ms: i64) -> AppResult<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO team_in_flight (external_id, posted_at) VALUES (?1, ?2)",
    )?
    .execute(params![batch, now_ms])?;
    Ok(())
}

/// The batches posted and not yet confirmed or given up, with when.
pub(crate) fn in_flight(conn: &Connection) -> AppResult<Vec<(String, i64)>> {
    let mut stmt = conn
        .prepare_cached("SELECT external_id, posted_at FROM team_in_flight ORDER BY external_id")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A posted batch is settled (confirmed, refused or given up).
pub(crate) fn landed(conn: &Connection, batch: &str) -> AppResult<()> {
    conn.prepare_cached("DELETE FROM team_in_flight WHERE external_id = ?1")?
        .execute([batch])?;
    Ok(())
}

/// Where the pull of `kind` stopped: Zendesk's `updated_at` of the latest record read.
pub(crate) fn cursor(conn: &Connection, kind: &str) -> AppResult<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT cursor FROM team_sync WHERE kind = ?1",
            [kind],
            |r| r.get(0),
        )
        .optional()?
        .flatten())
}

pub(crate) fn set_pulled(
    conn: &Connection,
    kind: &str,
    cursor: Option<&str>,
    now_ms: i64,
) -> AppResult<()> {
    conn.prepare_cached(
        "INSERT INTO team_sync (kind, cursor, pulled_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (kind) DO UPDATE SET cursor = COALESCE(excluded.cursor, cursor), pulled_at = excluded.pulled_at",
    )?
    .execute(params![kind, cursor, now_ms])?;
    Ok(())
}

pub(crate) fn set_pushed(conn: &Connection, kind: &str, now_ms: i64) -> AppResult<()> {
    conn.prepare_cached(
        "INSERT INTO team_sync (kind, pushed_at) VALUES (?1, ?2)
         ON CONFLICT (kind) DO UPDATE SET pushed_at = excluded.pushed_at",
    )?
    .execute(params![kind, now_ms])?;
    Ok(())
}

/// When `kind` was last pushed and pulled (milliseconds).
pub(crate) fn sync_times(conn: &Connection, kind: &str) -> AppResult<(Option<i64>, Option<i64>)> {
    Ok(conn
        .query_row(
            "SELECT pushed_at, pulled_at FROM team_sync WHERE kind = ?1",
            [kind],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .unwrap_or((None, None)))
}
