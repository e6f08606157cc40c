//! The per-recipient ledger's transitions, each inside one write transaction:
//!
//! - **claim** (`pending → sending`), committed before the request leaves. A row is claimed only
//!   if it is still `pending` (the change count says so), and only if the same message has not
//!   reached the recipient — by user or by number, `sent` or `unknown`, in any other campaign,
//!   within the campaign's blackout days — and is not being sent to them by another campaign
//!   right now. Otherwise it is `skipped` with reason `blackout`. The check runs inside the
//!   transaction that claims, so two runners (two windows, two processes) cannot both claim one
//!   user or number: the second sees the first's `sending`. An override recorded on the member
//!   (with its time) lets through the sends made before it, not those after, nor one in flight
//!   elsewhere; blackout days 0 turns it all off. A row skipped this way may cost its campaign a
//!   tick of the rate limiter: it was let go.
//! - **record**: `sent` (with the notification id), `failed` (certainly not sent) or `unknown`
//!   (may have been delivered). `sent` and `unknown` write the recipient's blackout entry in the
//!   same transaction: a message that may have been delivered counts as reached.
//! - **recover**: rows a runner left `sending` (it died, or was cancelled mid-call) become
//!   `unknown`, with their blackout entry.
//! - **defer**: a row whose recipient is in the campaign's quiet hours (in their own time zone)
//!   stays `pending`, its `not_before` set to when their window opens; the queue is read in
//!   `not_before` order, so those whose window opens together go in their turn. It is checked
//!   when the queue is read and again in the claim's transaction (a window may begin meanwhile).
//! - **budget**: a WhatsApp campaign kept to its portfolio's messaging limit (`meta::budget`)
//!   claims a number not reached in the last 24 hours only while the budget has room; the others
//!   stay `pending`, their `not_before` set to when a slot frees — read ahead in `next_due`
//!   (counting nothing), taken in the claim's transaction (on the one database thread: claims
//!   are counted one after another).
//! - **requeue**: a claimed row whose call never left (the run stopped while it waited for a
//!   429's window) goes back to `pending`.

use crate::blackout::{self, Reach, Reached};
use crate::error::AppError;
use crate::error::AppResult;
use crate::meta::budget::{Budget, Take};
use crate::text::Text;
use crate::timing::QuietHours;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::VecDeque;

/// Why a row left `sending` by a runner that stopped is `unknown`.
/// Why a message left in flight by a run that stopped is `unknown`.
pub(crate) fn interrupted() -> Text {
    crate::text!("recipient.interrupted")
}

/// A recipient waiting to be sent, as frozen.
#[derive(Debug, Clone)]
pub(crate) struct Queued {
    pub seq: u32,
    pub user_id: u64,
    pub phone: String,
    /// The notification's JSON, as frozen.
    pub payload: bytes::Bytes,
    /// Their time zone, as frozen (none in campaigns made before Relay knew it).
    pub zone: Option<chrono_tz::Tz>,
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
    /// The campaign's quiet hours, in each recipient's time zone.
    pub quiet: Option<QuietHours>,
    /// The portfolio's messaging limit, when one applies to the campaign's integration.
    pub budget: Option<std::sync::Arc<std::sync::Mutex<Budget>>>,
}

impl Claims {
    pub fn read(conn: &Connection, campaign_id: &str) -> AppResult<Claims> {
        conn.query_row(
            "SELECT COALESCE((SELECT current FROM fingerprint_alias WHERE legacy = c.fingerprint), c.fingerprint),
                    test, blackout_days, quiet_hours FROM campaigns c WHERE c.id = ?1",
            [campaign_id],
            |r| {
                Ok(Claims {
                    campaign_id: campaign_id.to_string(),
                    fingerprint: r.get(0)?,
                    test: r.get::<_, i64>(1)? != 0,
                    blackout_days: r.get::<_, i64>(2)?.clamp(0, i64::from(u16::MAX)) as u16,
                    quiet: r
                        .get::<_, Option<String>>(3)?
                        .and_then(|q| QuietHours::parse(&q, "quiet_hours").ok().flatten()),
                    budget: None,
                })
            },
        )
        .map_err(AppError::from)
    }

    /// When `q` may be sent, if not now: the end of their quiet hours.
    pub fn deferred(&self, q: &Queued, now_ms: i64) -> Option<i64> {
        let open = self.quiet?.opens_at(q.zone?, now_ms);
        (open > now_ms).then_some(open)
    }

    /// Sets aside the rows of `batch` the budget has no room for (`not_before` set to when a
    /// slot frees); returns the others. `take`: they are claimed now (counted), else read ahead.
    fn defer_over_budget(
        &self,
        conn: &Connection,
        batch: Vec<Queued>,
        now_ms: i64,
        take: bool,
    ) -> AppResult<Vec<Queued>> {
        let Some(budget) = &self.budget else {
            return Ok(batch);
        };
        let mut budget = budget.lock().unwrap_or_else(|p| p.into_inner());
        let mut defer = conn.prepare_cached(
            "UPDATE campaign_recipients SET not_before = ?3
                 WHERE campaign_id = ?1 AND seq = ?2 AND state = 'pending'",
        )?;
        let mut keep = Vec::with_capacity(batch.len());
        let mut new_before = 0;
        for q in batch {
            let verdict = if take {
                budget.take(&q.phone, now_ms)
            } else {
                budget.peek(&q.phone, now_ms, &mut new_before)
            };
            match verdict {
                Take::Go => keep.push(q),
                Take::Wait(at) => {
                    defer.execute(params![self.campaign_id, q.seq, at])?;
                }
            }
        }
        Ok(keep)
    }

    /// Sets aside the rows of `batch` in quiet hours (`not_before` set to when their window
    /// opens); returns the others.
    fn defer_quiet(
        &self,
        conn: &Connection,
        batch: Vec<Queued>,
        now_ms: i64,
    ) -> AppResult<Vec<Queued>> {
        if self.quiet.is_none() {
            return Ok(batch);
        }
        let mut defer = conn.prepare_cached(
            "UPDATE campaign_recipients SET not_before = ?3
                 WHERE campaign_id = ?1 AND seq = ?2 AND state = 'pending'",
        )?;
        let mut keep = Vec::with_capacity(batch.len());
        for q in batch {
            match self.deferred(&q, now_ms) {
                Some(open) => {
                    defer.execute(params![self.campaign_id, q.seq, open])?;
                }
                None => keep.push(q),
            }
        }
        Ok(keep)
    }
}

/// Where the reading of a campaign's queue stands: the last row read, by (`not_before`, seq).
pub(crate) type Cursor = (i64, i64);

/// The queue's start.
pub(crate) const QUEUE_START: Cursor = (i64::MIN, -1);

/// What a call ended as.
#[derive(Debug, Clone)]
pub(crate) enum Landed {
    /// Accepted, with the notification id.
    Sent(String),
    /// Certainly not sent (a refusal, a connection never made), with why.
    Failed(Text),
    /// May have been delivered (a timeout, a dropped connection, a 5xx), with why.
    Unknown(Text),
    /// Never sent: the run stopped while the call waited to leave (a 429's window). Pending
    /// again.
    NotSent,
}

#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub seq: u32,
    pub user_id: u64,
    pub phone: String,
    pub landed: Landed,
}

/// The next (up to) `limit` pending recipients that may be sent now, after `cursor`, in the order
/// they may be sent (`not_before`, then seq); those found in quiet hours are deferred on the way
/// (a write: run it in a transaction). Returns them and where the reading stopped.
pub(crate) fn next_due(
    conn: &Connection,
    c: &Claims,
    mut cursor: Cursor,
    limit: u32,
    now_ms: i64,
) -> AppResult<(VecDeque<Queued>, Cursor)> {
    let mut stmt = conn.prepare_cached(
        "SELECT not_before, seq, user_id, phone, payload, time_zone FROM campaign_recipients
             WHERE campaign_id = ?1 AND state = 'pending' AND not_before <= ?4
               AND (not_before, seq) > (?2, ?3)
             ORDER BY not_before, seq LIMIT ?5",
    )?;
    let mut out = VecDeque::new();
    loop {
        let rows = stmt
            .query_map(
                params![c.campaign_id, cursor.0, cursor.1, now_ms, limit],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        Queued {
                            seq: r.get::<_, i64>(1)? as u32,
                            user_id: r.get::<_, i64>(2)? as u64,
                            phone: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                            payload: r.get::<_, Option<String>>(4)?.unwrap_or_default().into(),
                            zone: r.get::<_, Option<String>>(5)?.and_then(|z| z.parse().ok()),
                        },
                    ))
                },
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let read = rows.len();
        if let Some((not_before, q)) = rows.last() {
            cursor = (*not_before, i64::from(q.seq));
        }
        let batch = rows.into_iter().map(|(_, q)| q).collect();
        let batch = c.defer_quiet(conn, batch, now_ms)?;
        out.extend(c.defer_over_budget(conn, batch, now_ms, false)?);
        // A chunk all in quiet hours (or past the budget): read on, so an empty queue means nobody is due.
        if !out.is_empty() || read < limit as usize {
            return Ok((out, cursor));
        }
    }
}

/// When the first deferred recipient's window opens, if any is pending.
pub(crate) fn next_opening(conn: &Connection, campaign_id: &str) -> AppResult<Option<i64>> {
    conn.query_row(
        "SELECT MIN(not_before) FROM campaign_recipients WHERE campaign_id = ?1 AND state = 'pending'",
        [campaign_id],
        |r| r.get(0),
    )
    .map_err(AppError::from)
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
    let mut take = conn.prepare_cached(
        "UPDATE campaign_recipients SET state = 'sending', attempts = attempts + 1, updated_at = ?3
             WHERE campaign_id = ?1 AND seq = ?2 AND state = 'pending'",
    )?;
    let batch = c.defer_quiet(conn, batch, now_ms)?;
    let batch = c.defer_over_budget(conn, batch, now_ms, true)?;
    let checked = !c.test && c.blackout_days > 0;
    let mut send = Vec::with_capacity(batch.len());
    let mut skipped = 0;
    if !checked {
        for q in batch {
            // Only a row still pending is claimed (cancelled, or claimed by another runner: left).
            if take.execute(params![c.campaign_id, q.seq, now_ms])? == 1 {
                send.push(q);
            }
        }
        return Ok((send, skipped));
    }
    let since = now_ms - i64::from(c.blackout_days) * 86_400_000;
    // Another campaign of the message has this user or this number in flight (claimed within the
    // window: a row left `sending` longer ago blacks out no longer than a send would).
    let mut in_flight = conn
        .prepare_cached(
            "SELECT r.campaign_id FROM campaign_recipients r JOIN campaigns k ON k.id = r.campaign_id
             WHERE r.state = 'sending' AND r.phone = ?1 AND r.updated_at >= ?5
               AND k.fingerprint = ?2 AND k.id <> ?3 AND k.test = 0
             UNION ALL
             SELECT r.campaign_id FROM campaign_recipients r JOIN campaigns k ON k.id = r.campaign_id
             WHERE r.state = 'sending' AND r.user_id = ?4 AND r.updated_at >= ?5
               AND k.fingerprint = ?2 AND k.id <> ?3 AND k.test = 0
             LIMIT 1",
        )
        ?;
    let mut skip = conn.prepare_cached(
        "UPDATE campaign_recipients SET state = 'skipped', reason = ?5, error = ?3, updated_at = ?4
             WHERE campaign_id = ?1 AND seq = ?2 AND state = 'pending'",
    )?;
    for q in batch {
        let other: Option<String> = in_flight
            .query_row(
                params![
                    q.phone,
                    c.fingerprint,
                    c.campaign_id,
                    q.user_id as i64,
                    since
                ],
                |r| r.get(0),
            )
            .optional()?;
        use crate::audience::ExclusionReason::{Blackout, OptedOut, Suppressed};
        use crate::suppression::SuppressReason;
        let listed = crate::suppression::suppression_in(conn, &q.phone)?;
        let why = match other {
            // Put on the list of numbers never to message since the campaign was made (here, or
            // on another desktop and pulled while this send runs): by a reply, with it.
            _ if listed.is_some() => match listed {
                Some((SuppressReason::OptedOut, evidence)) => Some((
                    evidence.unwrap_or_else(|| crate::text!("blackout.suppressed_since")),
                    OptedOut,
                )),
                _ => Some((crate::text!("blackout.suppressed_since"), Suppressed)),
            },
            Some(other) => Some((
                crate::text!("blackout.sending_now", campaign = other),
                Blackout,
            )),
            // The message reached the user or the number in another campaign within the window.
            None if blackout::reached_since(
                conn,
                c.fingerprint,
                q.user_id,
                &q.phone,
                since,
                &c.campaign_id,
            )? =>
            {
                // Rare: reached. An override made by hand lets through what was sent before it.
                let overridden_at: i64 = conn.query_row(
                    "SELECT override FROM campaign_recipients WHERE campaign_id = ?1 AND seq = ?2",
                    params![c.campaign_id, q.seq],
                    |r| r.get(0),
                )?;
                Reached::find(
                    conn,
                    c.fingerprint,
                    q.user_id,
                    &q.phone,
                    since.max(overridden_at),
                    &c.campaign_id,
                )?
                .map(|r| (r.describe(), Blackout))
            }
            None => None,
        };
        if let Some((why, reason)) = why {
            skipped += skip.execute(params![c.campaign_id, q.seq, why, now_ms, reason])? as u32;
            continue;
        }
        if take.execute(params![c.campaign_id, q.seq, now_ms])? == 1 {
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
        ?;
    let mut not_sent = conn.prepare_cached(
        "UPDATE campaign_recipients SET state = ?3, error = ?4, updated_at = ?5
             WHERE campaign_id = ?1 AND seq = ?2 AND state = 'sending'",
    )?;
    for o in outcomes {
        let (changed, reached) = match &o.landed {
            Landed::Sent(id) => (
                sent.execute(params![c.campaign_id, o.seq, id, now_ms])?,
                Some(Reach::Sent),
            ),
            Landed::Failed(why) => (
                not_sent.execute(params![c.campaign_id, o.seq, "failed", why, now_ms])?,
                None,
            ),
            Landed::Unknown(why) => (
                not_sent.execute(params![c.campaign_id, o.seq, "unknown", why, now_ms])?,
                Some(Reach::Unknown),
            ),
            Landed::NotSent => {
                not_sent.execute(params![
                    c.campaign_id,
                    o.seq,
                    "pending",
                    None::<String>,
                    now_ms
                ])?;
                continue;
            }
        };
        if let (1, Some(state), false) = (changed, reached, c.test) {
            blackout::record_blackout(
                conn,
                o.user_id,
                &o.phone,
                c.fingerprint,
                now_ms,
                Some(&c.campaign_id),
                state,
            )?;
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
    let left: Vec<(i64, String, i64, Option<i64>)> = conn
        .prepare(
            "SELECT r.user_id, r.phone, k.fingerprint, r.updated_at
             FROM campaign_recipients r JOIN campaigns k ON k.id = r.campaign_id
             WHERE r.campaign_id = ?1 AND r.state = 'sending' AND k.test = 0 AND r.phone IS NOT NULL",
        )?
        .query_map([campaign_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (user_id, phone, fingerprint, claimed_at) in left {
        blackout::record_blackout(
            conn,
            user_id as u64,
            &phone,
            fingerprint,
            claimed_at.unwrap_or(now_ms),
            Some(campaign_id),
            Reach::Unknown,
        )?;
    }
    let n = conn.execute(
        "UPDATE campaign_recipients SET state = 'unknown', updated_at = ?2, error = ?3
             WHERE campaign_id = ?1 AND state = 'sending'",
        params![campaign_id, now_ms, interrupted()],
    )?;
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
    ?;
    conn.execute(
        "INSERT INTO temp.elsewhere (phone, user_id, campaign_id)
         SELECT r.phone, r.user_id, r.campaign_id FROM campaign_recipients r
         WHERE r.campaign_id IN (SELECT id FROM campaigns WHERE fingerprint = ?1 AND test = 0
                                 AND status NOT IN ('completed', 'cancelled', 'scheduled', 'missed'))
           AND r.state IN ('pending', 'sending')",
        [fingerprint],
    )?;
    Ok(())
}

/// The reason of a recipient skipped because its campaign was cancelled.
pub(crate) const CANCELLED: &str = "cancelled";

/// Everyone still `pending` becomes `skipped` (reason `cancelled`).
pub(crate) fn cancel_pending(conn: &Connection, campaign_id: &str, now_ms: i64) -> AppResult<()> {
    conn.execute(
        "UPDATE campaign_recipients SET state = 'skipped', reason = 'cancelled', updated_at = ?2
         WHERE campaign_id = ?1 AND state = 'pending'",
        params![campaign_id, now_ms],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Database;

    /// A database with two campaigns of one message (`a` and `b`), each with rows given as
    /// (seq, user id, phone, state).
    fn two_campaigns(rows: &[(&str, u32, u64, &str, &str)]) -> (tempfile::TempDir, Database) {
        let tmp = tempfile::tempdir().unwrap();
        let db = Database::open(&tmp.path().join("relay.sqlite3")).unwrap();
        for id in ["a", "b"] {
            db.connection()
                .execute(
                    "INSERT INTO campaigns (id, template_id, template_name, language, integration_id, channel,
                        fingerprint, query, rate, auto_pause_after, status, created_at, blackout_days)
                     VALUES (?1, 't', 'n', 'en', 'i', 'whatsapp', 7, 'q', 10, 10, 'running', 0, 7)",
                    [id],
                )
                .unwrap();
        }
        for (campaign, seq, user, phone, state) in rows {
            db.connection()
                .execute(
                    "INSERT INTO campaign_recipients (campaign_id, seq, user_id, name, phone, payload, state, updated_at)
                     VALUES (?1, ?2, ?3, 'x', ?4, '{}', ?5, ?6)",
                    params![campaign, seq, *user as i64, phone, state, NOW],
                )
                .unwrap();
        }
        (tmp, db)
    }

    const NOW: i64 = 1_800_000_000_000;

    fn queued(seq: u32, user_id: u64, phone: &str) -> Queued {
        Queued {
            seq,
            user_id,
            phone: phone.into(),
            payload: bytes::Bytes::from_static(b"{}"),
            zone: None,
        }
    }

    fn claims_of(db: &Database, id: &str) -> Claims {
        Claims::read(db.connection(), id).unwrap()
    }

    #[test]
    fn a_recipient_in_flight_elsewhere_is_skipped_by_user_or_by_number() {
        // Campaign a is sending to user 1 (old number) and to +2 (user 2).
        let (_tmp, db) = two_campaigns(&[
            ("a", 0, 1, "+33600000001", "sending"),
            ("a", 1, 2, "+33600000002", "sending"),
            ("b", 0, 1, "+33600000009", "pending"),
            ("b", 1, 5, "+33600000002", "pending"),
            ("b", 2, 6, "+33600000006", "pending"),
        ]);
        let (send, skipped) = claim(
            db.connection(),
            &claims_of(&db, "b"),
            vec![
                queued(0, 1, "+33600000009"),
                queued(1, 5, "+33600000002"),
                queued(2, 6, "+33600000006"),
            ],
            NOW,
        )
        .unwrap();
        assert_eq!(
            skipped, 2,
            "the same user (new number), and the same number (other user)"
        );
        assert_eq!(send.iter().map(|q| q.seq).collect::<Vec<_>>(), vec![2]);
    }

    #[test]
    fn only_rows_still_pending_are_claimed() {
        let (_tmp, db) = two_campaigns(&[
            ("b", 0, 1, "+33600000001", "pending"),
            ("b", 1, 2, "+33600000002", "skipped"),
        ]);
        let (send, skipped) = claim(
            db.connection(),
            &claims_of(&db, "b"),
            vec![queued(0, 1, "+33600000001"), queued(1, 2, "+33600000002")],
            NOW,
        )
        .unwrap();
        assert_eq!((send.len(), skipped), (1, 0));
        // Claimed again by a second runner: nothing to send.
        let (again, _) = claim(
            db.connection(),
            &claims_of(&db, "b"),
            vec![queued(0, 1, "+33600000001")],
            NOW,
        )
        .unwrap();
        assert!(again.is_empty());
    }

    #[test]
    fn an_override_lets_through_what_was_sent_before_it_only() {
        let (_tmp, db) = two_campaigns(&[("b", 0, 1, "+33600000001", "pending")]);
        let conn = db.connection();
        // Reached by campaign a at NOW − 2 days; overridden at NOW − 1 day.
        record_blackout_for(conn, 1, "+33600000001", NOW - 2 * 86_400_000, "a");
        conn.execute(
            "UPDATE campaign_recipients SET override = ?1 WHERE campaign_id = 'b'",
            [NOW - 86_400_000],
        )
        .unwrap();
        let c = claims_of(&db, "b");
        let (send, _) = claim(conn, &c, vec![queued(0, 1, "+33600000001")], NOW).unwrap();
        assert_eq!(send.len(), 1, "the send before the override does not block");
        // Then reached again, after the override: blacked out.
        conn.execute(
            "UPDATE campaign_recipients SET state = 'pending' WHERE campaign_id = 'b'",
            [],
        )
        .unwrap();
        record_blackout_for(conn, 1, "+33600000001", NOW - 3_600_000, "a");
        let (send, skipped) = claim(conn, &c, vec![queued(0, 1, "+33600000001")], NOW).unwrap();
        assert_eq!((send.len(), skipped), (0, 1));
    }

    fn record_blackout_for(conn: &Connection, user: u64, phone: &str, at: i64, campaign: &str) {
        crate::blackout::record_blackout(conn, user, phone, 7, at, Some(campaign), Reach::Sent)
            .unwrap();
    }

    #[test]
    fn a_row_stopped_before_it_left_is_pending_again() {
        let (_tmp, db) = two_campaigns(&[("b", 0, 1, "+33600000001", "sending")]);
        let c = claims_of(&db, "b");
        record(
            db.connection(),
            &c,
            &[Outcome {
                seq: 0,
                user_id: 1,
                phone: "+33600000001".into(),
                landed: Landed::NotSent,
            }],
            NOW,
        )
        .unwrap();
        let (state, entries): (String, i64) = db
            .connection()
            .query_row(
                "SELECT state, (SELECT COUNT(*) FROM blackout) FROM campaign_recipients WHERE campaign_id = 'b'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(
            (state.as_str(), entries),
            ("pending", 0),
            "never sent: no blackout entry"
        );
    }
}
