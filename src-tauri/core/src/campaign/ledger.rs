//! The per-recipient ledger's transitions, each inside one write transaction:
//!
//! - **claim** (`pending → sending`), committed before the request leaves. A row is claimed only
//!   if it is still `pending` (the change count says so), and only if the same message has not
//!   reached the recipient — by user or by number, `sent` or `unknown`, in any other campaign,
//!   within the campaign's blackout days — and is not being sent to them by another campaign
//!   right now. Otherwise it is `skipped` with reason `blackout`. The check runs inside the
//!   transaction that claims, so two runners (two windows, two processes) cannot both claim one
//!   number: the second sees the first's `sending`. An override recorded on the member lets a
//!   reached recipient through (not one in flight elsewhere); blackout days 0 turns it all off.
//!   A row skipped this way may cost its campaign a tick of the rate limiter: it was let go.
//! - **record**: `sent` (with the notification id), `failed` (certainly not sent) or `unknown`
//!   (may have been delivered). `sent` and `unknown` write the recipient's blackout entry in the
//!   same transaction: a message that may have been delivered counts as reached.
//! - **recover**: rows a runner left `sending` (it died, or was cancelled mid-call) become
//!   `unknown`, with their blackout entry.

use crate::audience::Reached;
use crate::error::AppResult;
use crate::storage::StorageError;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::VecDeque;

fn sql(e: rusqlite::Error) -> crate::error::AppError {
    StorageError::Sql(e).into()
}

/// Why a row left `sending` by a runner that stopped is `unknown`.
pub(crate) const INTERRUPTED: &str = "Relay stopped while this message was being sent: it may have been delivered. Re-send it only if you are sure it was not.";

/// A recipient waiting to be sent, as frozen.
#[derive(Debug, Clone)]
pub(crate) struct Queued {
    pub seq: u32,
    pub user_id: u64,
    pub phone: String,
    /// The notification's JSON, as frozen.
    pub payload: bytes::Bytes,
}

/// What the claims of one campaign are checked against.
#[derive(Debug, Clone)]
pub(crate) struct Claims {
    pub campaign_id: String,
    pub fingerprint: i64,
    /// A test send: no blackout applies to it, and it blocks nobody.
    pub test: bool,
    /// The campaign's blackout days (0: the check is off).
    pub blackout_days: u16,
}

impl Claims {
    pub fn read(conn: &Connection, campaign_id: &str) -> AppResult<Claims> {
        conn.query_row(
            "SELECT fingerprint, test, blackout_days FROM campaigns WHERE id = ?1",
            [campaign_id],
            |r| {
                Ok(Claims {
                    campaign_id: campaign_id.to_string(),
                    fingerprint: r.get(0)?,
                    test: r.get::<_, i64>(1)? != 0,
                    blackout_days: r.get::<_, i64>(2)?.clamp(0, i64::from(u16::MAX)) as u16,
                })
            },
        )
        .map_err(sql)
    }
}

/// What a call ended as.
#[derive(Debug, Clone)]
pub(crate) enum Landed {
    /// Accepted, with the notification id when the provider gave one.
    Sent(Option<String>),
    /// Certainly not sent (a refusal, a connection never made), with why.
    Failed(String),
    /// May have been delivered (a timeout, a dropped connection, a 5xx), with why.
    Unknown(String),
}

#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub seq: u32,
    pub user_id: u64,
    pub phone: String,
    pub landed: Landed,
}

/// The next `limit` pending recipients after `after` (seq), in order.
pub(crate) fn next_pending(
    conn: &Connection,
    campaign_id: &str,
    after: i64,
    limit: u32,
) -> AppResult<VecDeque<Queued>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, user_id, phone, payload FROM campaign_recipients
             WHERE campaign_id = ?1 AND state = 'pending' AND seq > ?2 ORDER BY seq LIMIT ?3",
        )
        .map_err(sql)?;
    let rows = stmt
        .query_map(params![campaign_id, after, limit], |r| {
            Ok(Queued {
                seq: r.get::<_, i64>(0)? as u32,
                user_id: r.get::<_, i64>(1)? as u64,
                phone: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                payload: r.get::<_, Option<String>>(3)?.unwrap_or_default().into(),
            })
        })
        .map_err(sql)?;
    rows.collect::<rusqlite::Result<_>>().map_err(sql)
}

/// Claims what may be sent of `batch`: each row still `pending` becomes `sending`, or `skipped`
/// (blackout) when the message reached them or is being sent to them elsewhere. Returns the
/// rows to send now and how many were skipped; rows no longer pending are left alone. Each
/// statement is prepared once for the batch: this runs for every message of every campaign.
pub(crate) fn claim(
    conn: &Connection,
    c: &Claims,
    batch: Vec<Queued>,
    now_ms: i64,
) -> AppResult<(Vec<Queued>, u32)> {
    let mut take = conn
        .prepare_cached(
            "UPDATE campaign_recipients SET state = 'sending', attempts = attempts + 1, updated_at = ?3
             WHERE campaign_id = ?1 AND seq = ?2 AND state = 'pending'",
        )
        .map_err(sql)?;
    let checked = !c.test && c.blackout_days > 0;
    let mut send = Vec::with_capacity(batch.len());
    let mut skipped = 0;
    if !checked {
        for q in batch {
            // Only a row still pending is claimed (cancelled, or claimed by another runner: left).
            if take
                .execute(params![c.campaign_id, q.seq, now_ms])
                .map_err(sql)?
                == 1
            {
                send.push(q);
            }
        }
        return Ok((send, skipped));
    }
    let since = now_ms - i64::from(c.blackout_days) * 86_400_000;
    // Another campaign of the message has this number in flight (one message per number: the
    // number is what a claim in flight is matched on).
    let mut in_flight = conn
        .prepare_cached(
            "SELECT r.campaign_id FROM campaign_recipients r JOIN campaigns k ON k.id = r.campaign_id
             WHERE r.state = 'sending' AND r.phone = ?1 AND k.fingerprint = ?2 AND k.id <> ?3 AND k.test = 0
             LIMIT 1",
        )
        .map_err(sql)?;
    // The message reached the user or the number in another campaign within the window.
    let mut reached = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM blackout WHERE fingerprint = ?1 AND user_id = ?2
                              AND sent_at >= ?4 AND campaign_id IS NOT ?5)
                 OR EXISTS (SELECT 1 FROM blackout WHERE fingerprint = ?1 AND phone = ?3
                              AND sent_at >= ?4 AND campaign_id IS NOT ?5)",
        )
        .map_err(sql)?;
    let mut skip = conn
        .prepare_cached(
            "UPDATE campaign_recipients SET state = 'skipped', reason = 'blackout', error = ?3, updated_at = ?4
             WHERE campaign_id = ?1 AND seq = ?2 AND state = 'pending'",
        )
        .map_err(sql)?;
    for q in batch {
        let other: Option<String> = in_flight
            .query_row(params![q.phone, c.fingerprint, c.campaign_id], |r| r.get(0))
            .optional()
            .map_err(sql)?;
        let why = match other {
            Some(other) => Some(format!(
                "The campaign {other} is sending the same message to this number right now: blacked out."
            )),
            None if reached
                .query_row(
                    params![c.fingerprint, q.user_id as i64, q.phone, since, c.campaign_id],
                    |r| r.get::<_, bool>(0),
                )
                .map_err(sql)? =>
            {
                // Rare: reached. An override made by hand lets them through.
                let overridden: bool = conn
                    .query_row(
                        "SELECT override FROM campaign_recipients WHERE campaign_id = ?1 AND seq = ?2",
                        params![c.campaign_id, q.seq],
                        |r| Ok(r.get::<_, i64>(0)? != 0),
                    )
                    .map_err(sql)?;
                match overridden {
                    true => None,
                    false => Reached::find(conn, c.fingerprint, q.user_id, &q.phone, since, &c.campaign_id)?
                        .map(|r| r.describe()),
                }
            }
            None => None,
        };
        if let Some(why) = why {
            skipped += skip
                .execute(params![c.campaign_id, q.seq, why, now_ms])
                .map_err(sql)? as u32;
            continue;
        }
        if take
            .execute(params![c.campaign_id, q.seq, now_ms])
            .map_err(sql)?
            == 1
        {
            send.push(q);
        }
    }
    Ok((send, skipped))
}

/// Records landed calls: `sent`, `failed` or `unknown`, with the blackout entry of each `sent`
/// and `unknown` one (not for a test).
pub(crate) fn record(
    conn: &Connection,
    c: &Claims,
    outcomes: &[Outcome],
    now_ms: i64,
) -> AppResult<()> {
    let mut sent = conn
        .prepare_cached(
            "UPDATE campaign_recipients SET state = 'sent', notification_id = ?3, error = NULL, updated_at = ?4
             WHERE campaign_id = ?1 AND seq = ?2 AND state = 'sending'",
        )
        .map_err(sql)?;
    let mut not_sent = conn
        .prepare_cached(
            "UPDATE campaign_recipients SET state = ?3, error = ?4, updated_at = ?5
             WHERE campaign_id = ?1 AND seq = ?2 AND state = 'sending'",
        )
        .map_err(sql)?;
    let mut ledger = conn
        .prepare_cached(
            "INSERT INTO blackout (user_id, phone, fingerprint, sent_at, campaign_id, state)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(sql)?;
    for o in outcomes {
        let (changed, reached) = match &o.landed {
            Landed::Sent(id) => (
                sent.execute(params![c.campaign_id, o.seq, id, now_ms])
                    .map_err(sql)?,
                Some("sent"),
            ),
            Landed::Failed(why) => (
                not_sent
                    .execute(params![c.campaign_id, o.seq, "failed", why, now_ms])
                    .map_err(sql)?,
                None,
            ),
            Landed::Unknown(why) => (
                not_sent
                    .execute(params![c.campaign_id, o.seq, "unknown", why, now_ms])
                    .map_err(sql)?,
                Some("unknown"),
            ),
        };
        if let (1, Some(state), false) = (changed, reached, c.test) {
            ledger
                .execute(params![
                    o.user_id as i64,
                    o.phone,
                    c.fingerprint,
                    now_ms,
                    c.campaign_id,
                    state
                ])
                .map_err(sql)?;
        }
    }
    Ok(())
}

/// Rows left `sending` become `unknown` (they may have been delivered), each with its blackout
/// entry (at the time it was claimed); returns how many.
pub(crate) fn recover_in_flight(
    conn: &Connection,
    campaign_id: &str,
    now_ms: i64,
) -> AppResult<u32> {
    conn.execute(
        "INSERT INTO blackout (user_id, phone, fingerprint, sent_at, campaign_id, state)
         SELECT r.user_id, r.phone, k.fingerprint, COALESCE(r.updated_at, ?2), r.campaign_id, 'unknown'
         FROM campaign_recipients r JOIN campaigns k ON k.id = r.campaign_id
         WHERE r.campaign_id = ?1 AND r.state = 'sending' AND k.test = 0 AND r.phone IS NOT NULL",
        params![campaign_id, now_ms],
    )
    .map_err(sql)?;
    let n = conn
        .execute(
            "UPDATE campaign_recipients SET state = 'unknown', updated_at = ?2, error = ?3
             WHERE campaign_id = ?1 AND state = 'sending'",
            params![campaign_id, now_ms, INTERRUPTED],
        )
        .map_err(sql)?;
    Ok(n as u32)
}

/// Fills `temp.elsewhere` with the recipients still to be sent (pending or in flight) by the
/// unfinished campaigns of a message: an audience checked for that message leaves them to those
/// campaigns (reason `in_other_campaign`).
pub(crate) fn fill_elsewhere(conn: &Connection, fingerprint: i64) -> AppResult<()> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS elsewhere (phone TEXT, user_id INTEGER, campaign_id TEXT NOT NULL);
         CREATE INDEX IF NOT EXISTS temp.elsewhere_by_phone ON elsewhere (phone);
         CREATE INDEX IF NOT EXISTS temp.elsewhere_by_user ON elsewhere (user_id);
         DELETE FROM temp.elsewhere;",
    )
    .map_err(sql)?;
    conn.execute(
        "INSERT INTO temp.elsewhere (phone, user_id, campaign_id)
         SELECT r.phone, r.user_id, r.campaign_id FROM campaign_recipients r
         WHERE r.campaign_id IN (SELECT id FROM campaigns WHERE fingerprint = ?1 AND test = 0
                                 AND status NOT IN ('completed', 'cancelled'))
           AND r.state IN ('pending', 'sending')",
        [fingerprint],
    )
    .map_err(sql)?;
    Ok(())
}

/// Everyone still `pending` becomes `skipped` (reason `cancelled`).
pub(crate) fn cancel_pending(conn: &Connection, campaign_id: &str, now_ms: i64) -> AppResult<()> {
    conn.execute(
        "UPDATE campaign_recipients SET state = 'skipped', reason = 'cancelled', updated_at = ?2
         WHERE campaign_id = ?1 AND state = 'pending'",
        params![campaign_id, now_ms],
    )
    .map_err(sql)?;
    Ok(())
}
