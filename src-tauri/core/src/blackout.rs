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
    // In the same transaction: the team's store learns it at the next push.
    crate::team::outbox::queue_entry(
        conn,
        &crate::team::Entry {
            fingerprint,
            number: phone.to_string(),
            user_id,
            sent_at_ms,
            state,
            campaign: campaign_id.map(str::to_string),
            desktop: None,
        },
    )
}

/// Merges an entry another desktop pushed to the team's store: added to the ledger unless it is
/// there already (a grow-only set: nothing is ever removed by a pull). True when it was new.
pub(crate) fn merge_pulled(conn: &rusqlite::Connection, e: &crate::team::Entry) -> AppResult<bool> {
    let added = conn
        .prepare_cached(
            "INSERT INTO blackout (user_id, phone, fingerprint, sent_at, campaign_id, state, origin)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
             WHERE NOT EXISTS (SELECT 1 FROM blackout WHERE fingerprint = ?3 AND phone = ?2 AND sent_at >= ?4)",
        )?
        .execute(params![
            e.user_id as i64,
            e.number,
            e.fingerprint,
            e.sent_at_ms,
            e.campaign,
            e.state,
            e.desktop
        ])?;
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
            AND b.phone = audience_members.phone AND b.sent_at >= MAX(?3, audience_members.override)))";

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
                WHERE fingerprint = ?1 AND phone = ?3 AND sent_at >= ?4 AND campaign_id IS NOT ?5)
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
