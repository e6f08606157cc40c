//! The blackout ledger: who received which message when (`sent`, or `unknown`: may have been
//! delivered), by Zendesk user and by number. A recipient the same message reached within the
//! blackout days is left out — when an audience is checked and again when a recipient is claimed
//! for sending. Nothing else writes SQL against its table.

use crate::error::{AppError, AppResult};
use rusqlite::{params, OptionalExtension};

/// How a message reached a recipient: accepted (`sent`), or may have been (`unknown`: a timeout,
/// a dropped connection, a 5xx, a runner that died mid-call). Both count as reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::AsRefStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Reach {
    Sent,
    Unknown,
}

crate::sql_text!(Reach);

/// The blackout check of a message: its fingerprint, and the time before which a send no longer
/// counts (now − blackout days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlackoutCheck {
    pub fingerprint: i64,
    pub since_ms: i64,
}

impl BlackoutCheck {
    /// None when blackout is off (0 days).
    pub fn new(fingerprint: i64, days: u16, now_ms: i64) -> Option<BlackoutCheck> {
        (days > 0).then(|| BlackoutCheck {
            fingerprint,
            since_ms: now_ms - i64::from(days) * 86_400_000,
        })
    }
}

/// Writes a blackout ledger entry: the message reached the user's number (`state` `sent`) or
/// may have (`unknown`). The send engine does it in the transaction that records the outcome.
/// The entry is the team's to learn (`shared` NULL): whoever shares the ledger reads it with
/// [`unshared`].
pub fn record_blackout(
    conn: &rusqlite::Connection,
    user_id: u64,
    phone: &str,
    fingerprint: i64,
    sent_at_ms: i64,
    campaign_id: Option<&str>,
    state: Reach,
) -> AppResult<()> {
    conn.prepare_cached(
        "INSERT INTO blackout (user_id, phone, fingerprint, sent_at, campaign_id, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut s| s.execute(params![user_id as i64, phone, fingerprint, sent_at_ms, campaign_id, state]))
    ?;
    Ok(())
}

/// An entry of this desktop's ledger the team does not have yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unshared {
    /// Its row, to mark it shared.
    pub row: i64,
    pub fingerprint: i64,
    pub phone: String,
    pub sent_at_ms: i64,
    pub state: Reach,
    pub campaign: Option<String>,
}

/// The next `n` entries still to share and not in flight, in the order of their index (by
/// message, campaign, then as recorded) — those of message `first` before the others: one indexed
/// read, never a sort of the whole queue.
pub fn unshared(
    conn: &rusqlite::Connection,
    n: usize,
    first: Option<i64>,
) -> AppResult<Vec<Unshared>> {
    let read = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> AppResult<Vec<Unshared>> {
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map(p, |r| {
            Ok(Unshared {
                row: r.get(0)?,
                fingerprint: r.get(1)?,
                phone: r.get(2)?,
                sent_at_ms: r.get(3)?,
                state: r.get(4)?,
                campaign: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    let mut out = match first {
        Some(fp) => read(
            "SELECT rowid, fingerprint, phone, sent_at, state, campaign_id FROM blackout
             INDEXED BY blackout_unshared WHERE shared IS NULL AND fingerprint = ?1
               AND in_flight IS NULL ORDER BY fingerprint, campaign_id, rowid LIMIT ?2",
            &[&fp, &(n as i64)],
        )?,
        None => Vec::new(),
    };
    if out.len() < n {
        let more = read(
            "SELECT rowid, fingerprint, phone, sent_at, state, campaign_id FROM blackout
             INDEXED BY blackout_unshared WHERE shared IS NULL AND in_flight IS NULL
               AND fingerprint IS NOT ?1 ORDER BY fingerprint, campaign_id, rowid LIMIT ?2",
            &[&first, &((n - out.len()) as i64)],
        )?;
        out.extend(more);
    }
    Ok(out)
}

/// These rows are in batch `batch`, written and not yet confirmed: not read again until the
/// batch is confirmed ([`confirm_in_flight`]) or given up ([`release_in_flight`]).
pub fn mark_in_flight(
    conn: &rusqlite::Connection,
    rows: impl IntoIterator<Item = i64>,
    batch: &str,
) -> AppResult<()> {
    let mut stmt = conn.prepare_cached("UPDATE blackout SET in_flight = ?2 WHERE rowid = ?1")?;
    for row in rows {
        stmt.execute(params![row, batch])?;
    }
    Ok(())
}

/// The team has batch `batch`: its rows are shared.
pub fn confirm_in_flight(conn: &rusqlite::Connection, batch: &str) -> AppResult<u32> {
    Ok(conn
        .prepare_cached("UPDATE blackout SET shared = 1, in_flight = NULL WHERE in_flight = ?1")?
        .execute([batch])? as u32)
}

/// Batch `batch` was refused, or never written: its rows are to share again.
pub fn release_in_flight(conn: &rusqlite::Connection, batch: &str) -> AppResult<u32> {
    Ok(conn
        .prepare_cached("UPDATE blackout SET in_flight = NULL WHERE in_flight = ?1")?
        .execute([batch])? as u32)
}

/// The entries the team has only in the per-entry records of an earlier Relay, to share again
/// in batches (before those records are deleted). Returns how many.
pub fn reshare_legacy(conn: &rusqlite::Connection) -> AppResult<u32> {
    Ok(conn.execute(
        "UPDATE blackout SET shared = NULL WHERE shared = 2 AND phone <> ''",
        [],
    )? as u32)
}

/// How many entries the team does not have yet (in flight included).
pub fn unshared_count(conn: &rusqlite::Connection) -> AppResult<u32> {
    Ok(conn
        .prepare_cached(
            "SELECT COUNT(*) FROM blackout INDEXED BY blackout_unshared WHERE shared IS NULL",
        )?
        .query_row([], |r| r.get::<_, i64>(0))? as u32)
}

/// Whether campaign `campaign_id` of message `fingerprint` has entries the team does not have.
pub fn campaign_unshared(
    conn: &rusqlite::Connection,
    fingerprint: i64,
    campaign_id: &str,
) -> AppResult<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM blackout INDEXED BY blackout_unshared
                            WHERE shared IS NULL AND fingerprint = ?1 AND campaign_id = ?2)",
        )?
        .query_row(params![fingerprint, campaign_id], |r| r.get(0))?)
}

/// Whether message `fingerprint` has entries (of any campaign) the team does not have.
pub fn message_unshared(conn: &rusqlite::Connection, fingerprint: i64) -> AppResult<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM blackout INDEXED BY blackout_unshared
                            WHERE shared IS NULL AND fingerprint = ?1)",
        )?
        .query_row([fingerprint], |r| r.get(0))?)
}

/// Entries this desktop holds from the others.
pub fn pulled_count(conn: &rusqlite::Connection) -> AppResult<u32> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM blackout WHERE origin IS NOT NULL")?
        .query_row([], |r| r.get::<_, i64>(0))? as u32)
}

/// The other desktops' entries since `since_ms`: who (the number's keyed hash as `#KEY`, or an
/// earlier Relay's number in clear), when, and in which campaign — for the messaging limit's
/// budget (`campaign/budget.rs`).
pub(crate) fn pulled_since(
    conn: &rusqlite::Connection,
    since_ms: i64,
) -> AppResult<Vec<(String, i64, Option<String>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT COALESCE('#' || number_key, '#' || relay_number_key(phone), phone), sent_at, campaign_id
         FROM blackout INDEXED BY blackout_pulled_by_time
         WHERE origin IS NOT NULL AND sent_at >= ?1",
    )?;
    let rows = stmt.query_map([since_ms], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Who an entry from another desktop reached: a number's keyed hash (the team's store holds
/// nothing else), or — in the records of an earlier Relay — the user and the number in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Keyed(i64),
    Clear { user_id: u64, phone: String },
}

/// Makes a message's entries of before its own: those recorded under the fingerprints an
/// earlier Relay gave its translations (`legacy`, the language part of the message then) are
/// rewritten to its fingerprint (`current`), here and in the campaigns, and the aliases kept so
/// that entries pulled later from desktops of an earlier version are rewritten as they come. A
/// campaign of an old fingerprint being sent right now (its lease live at `now_ms`) keeps it
/// until its run ends: its runner checks and records under it; the next use rewrites them.
pub fn adopt(
    tx: &rusqlite::Connection,
    current: i64,
    legacy: &[i64],
    now_ms: i64,
) -> AppResult<()> {
    for old in legacy {
        tx.prepare_cached(
            "INSERT INTO fingerprint_alias (legacy, current) VALUES (?1, ?2)
             ON CONFLICT (legacy) DO UPDATE SET current = excluded.current",
        )?
        .execute(params![old, current])?;
        let running: bool = tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM campaigns WHERE fingerprint = ?1
                                AND runner IS NOT NULL AND lease_until > ?2)",
            )?
            .query_row(params![old, now_ms], |r| r.get(0))?;
        if running {
            continue;
        }
        tx.prepare_cached("UPDATE blackout SET fingerprint = ?2 WHERE fingerprint = ?1")?
            .execute(params![old, current])?;
        tx.prepare_cached("UPDATE campaigns SET fingerprint = ?2 WHERE fingerprint = ?1")?
            .execute(params![old, current])?;
    }
    Ok(())
}

/// Whether [`adopt`] has anything to do: an alias not kept yet, or entries or campaigns still
/// under an old fingerprint (read first, so that a check, a preview or a dry run takes the write
/// lock only the first time a message is used after the upgrade).
pub fn to_adopt(conn: &rusqlite::Connection, current: i64, legacy: &[i64]) -> AppResult<bool> {
    for old in legacy {
        let pending: bool = conn
            .prepare_cached(
                "SELECT NOT EXISTS (SELECT 1 FROM fingerprint_alias WHERE legacy = ?1 AND current = ?2)
                     OR EXISTS (SELECT 1 FROM blackout WHERE fingerprint = ?1)
                     OR EXISTS (SELECT 1 FROM campaigns WHERE fingerprint = ?1)",
            )?
            .query_row(params![old, current], |r| r.get(0))?;
        if pending {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The fingerprint an entry is kept under: its message's, when it was recorded under one of
/// its translations' fingerprints of before ([`adopt`]).
fn adopted(conn: &rusqlite::Connection, fingerprint: i64) -> AppResult<i64> {
    Ok(conn
        .prepare_cached("SELECT current FROM fingerprint_alias WHERE legacy = ?1")?
        .query_row([fingerprint], |r| r.get(0))
        .optional()?
        .unwrap_or(fingerprint))
}

/// An entry another desktop shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    pub fingerprint: i64,
    pub recipient: Recipient,
    pub sent_at_ms: i64,
    pub state: Reach,
    pub campaign: Option<String>,
    pub desktop: Option<String>,
}

/// Merges an entry another desktop pushed to the team's store: added to the ledger unless it is
/// there already (a grow-only set: nothing is ever removed by a pull). True when it was new.
pub fn merge_pulled(conn: &rusqlite::Connection, e: &Pulled) -> AppResult<bool> {
    let fingerprint = adopted(conn, e.fingerprint)?;
    let added = match &e.recipient {
        Recipient::Keyed(key) => conn
            .prepare_cached(
                "INSERT INTO blackout (user_id, phone, number_key, fingerprint, sent_at, campaign_id, state, origin, shared)
                 SELECT 0, '', ?1, ?2, ?3, ?4, ?5, ?6, 1
                 WHERE NOT EXISTS (SELECT 1 FROM blackout WHERE fingerprint = ?2 AND number_key = ?1 AND sent_at >= ?3)",
            )?
            .execute(params![key, fingerprint, e.sent_at_ms, e.campaign, e.state, e.desktop])?,
        Recipient::Clear { user_id, phone } => conn
            .prepare_cached(
                "INSERT INTO blackout (user_id, phone, fingerprint, sent_at, campaign_id, state, origin, shared)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, 2
                 WHERE NOT EXISTS (SELECT 1 FROM blackout WHERE fingerprint = ?3 AND phone = ?2 AND sent_at >= ?4)",
            )?
            .execute(params![*user_id as i64, phone, fingerprint, e.sent_at_ms, e.campaign, e.state, e.desktop])?,
    };
    Ok(added > 0)
}

/// Whether the message reached the user or the number since `since_ms`, in a campaign other than
/// `except` (its own re-sends are the user's decision). Runs for every recipient claimed.
pub(crate) fn reached_since(
    conn: &rusqlite::Connection,
    fingerprint: i64,
    user_id: u64,
    phone: &str,
    since_ms: i64,
    except: &str,
) -> AppResult<bool> {
    let mut stmt = conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM blackout WHERE fingerprint = ?1 AND user_id = ?2
                              AND sent_at >= ?4 AND campaign_id IS NOT ?5)
                 OR EXISTS (SELECT 1 FROM blackout WHERE fingerprint = ?1 AND phone = ?3
                              AND sent_at >= ?4 AND campaign_id IS NOT ?5)
                 OR EXISTS (SELECT 1 FROM blackout WHERE fingerprint = ?1 AND number_key = relay_number_key(?3)
                              AND sent_at >= ?4 AND campaign_id IS NOT ?5)",
    )?;
    Ok(stmt.query_row(
        params![fingerprint, user_id as i64, phone, since_ms, except],
        |r| r.get(0),
    )?)
}

/// The SQL condition, for the set-based audience check, that the member in scope
/// (`audience_members`) was reached by the message `?2` since `?3` or its override, whichever is
/// later: an override lets through the sends made before it, not those after.
pub(crate) const MEMBER_REACHED: &str = "(
    EXISTS (SELECT 1 FROM blackout b WHERE b.fingerprint = ?2
            AND b.user_id = audience_members.user_id AND b.sent_at >= MAX(?3, audience_members.override))
    OR EXISTS (SELECT 1 FROM blackout b WHERE b.fingerprint = ?2
            AND b.phone = audience_members.phone AND b.sent_at >= MAX(?3, audience_members.override))
    OR EXISTS (SELECT 1 FROM blackout b WHERE b.fingerprint = ?2
            AND b.number_key = relay_number_key(audience_members.phone)
            AND b.sent_at >= MAX(?3, audience_members.override)))";

/// The latest time a message reached a recipient (by user or by number), from the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    pub campaign_id: Option<String>,
    pub sent_at_ms: i64,
    pub state: Reach,
}

impl Reached {
    /// The latest entry of `fingerprint` for the user or the number since `since_ms`, leaving
    /// out the entries of campaign `except` (its own re-sends are the user's decision).
    pub fn find(
        conn: &rusqlite::Connection,
        fingerprint: i64,
        user_id: u64,
        phone: &str,
        since_ms: i64,
        except: &str,
    ) -> AppResult<Option<Reached>> {
        conn.prepare_cached(
            "SELECT campaign_id, sent_at, state FROM (
                SELECT campaign_id, sent_at, state FROM blackout
                WHERE fingerprint = ?1 AND user_id = ?2 AND sent_at >= ?4 AND campaign_id IS NOT ?5
                UNION ALL
                SELECT campaign_id, sent_at, state FROM blackout
                WHERE fingerprint = ?1 AND phone = ?3 AND sent_at >= ?4 AND campaign_id IS NOT ?5
                UNION ALL
                SELECT campaign_id, sent_at, state FROM blackout
                WHERE fingerprint = ?1 AND number_key = relay_number_key(?3) AND sent_at >= ?4
                  AND campaign_id IS NOT ?5)
             ORDER BY sent_at DESC LIMIT 1",
        )
        .and_then(|mut s| {
            s.query_row(
                params![fingerprint, user_id as i64, phone, since_ms, except],
                |r| {
                    Ok(Reached {
                        campaign_id: r.get(0)?,
                        sent_at_ms: r.get(1)?,
                        state: r.get(2)?,
                    })
                },
            )
            .optional()
        })
        .map_err(AppError::from)
    }

    /// Why a recipient it names is skipped.
    pub fn describe(&self) -> crate::text::Text {
        let when = chrono::DateTime::from_timestamp_millis(self.sent_at_ms)
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
        let campaign = self.campaign_id.as_deref().unwrap_or("?");
        if self.state == Reach::Unknown {
            crate::text!("blackout.maybe_reached", when = when, campaign = campaign)
        } else {
            crate::text!("blackout.reached", when = when, campaign = campaign)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(conn: &rusqlite::Connection, fingerprint: i64) -> i64 {
        conn.query_row(
            "SELECT COUNT(*) FROM blackout WHERE fingerprint = ?1",
            [fingerprint],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn entries_of_a_translation_s_fingerprint_of_before_become_the_message_s() {
        let tmp = tempfile::tempdir().unwrap();
        let db = crate::storage::Database::open(&tmp.path().join("t.sqlite3")).unwrap();
        let conn = db.connection();
        let (old_fr, old_en, current, other) = (11, 12, 99, 7);
        record_blackout(conn, 1, "+33612345678", old_fr, 1_000, None, Reach::Sent).unwrap();
        record_blackout(conn, 2, "+447700900123", other, 1_000, None, Reach::Sent).unwrap();
        adopt(conn, current, &[old_fr, old_en], 0).unwrap();
        assert_eq!((count(conn, current), count(conn, old_fr)), (1, 0));
        assert_eq!(count(conn, other), 1, "another message's entries are left");
        // Pulled later from a desktop of an earlier version: kept under the message's.
        let pulled = Pulled {
            fingerprint: old_en,
            recipient: Recipient::Keyed(42),
            sent_at_ms: 2_000,
            state: Reach::Sent,
            campaign: None,
            desktop: Some("older".into()),
        };
        assert!(merge_pulled(conn, &pulled).unwrap());
        assert!(!merge_pulled(conn, &pulled).unwrap(), "once");
        assert_eq!((count(conn, current), count(conn, old_en)), (2, 0));
        assert!(
            !to_adopt(conn, current, &[old_fr, old_en]).unwrap(),
            "nothing left"
        );
        // Adopting again changes nothing.
        adopt(conn, current, &[old_fr, old_en], 0).unwrap();
        assert_eq!(count(conn, current), 2);
    }
}
