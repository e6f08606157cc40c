//! Opt-outs captured from Zendesk. A reply to a campaign lands in Zendesk as a ticket (Zendesk
//! messaging makes one of each conversation); that is where Relay hears "no", with no server of
//! its own:
//!
//! 1. **The trigger.** An admin sets it up once ([`Workspace::setup_optouts`]): one ticket trigger
//!    of Relay's own (found again by the marker in its description) tags the tickets whose
//!    end-user comment holds one of the words ([`REPLY_TAG`]); it is updated when the words
//!    change, removed on request. Zendesk's `comment_includes_word` matches any of the words
//!    anywhere in a comment: a superset, which Relay's own rule narrows.
//! 2. **The read** ([`Workspace::read_optouts`]): the tagged tickets updated since the last read
//!    (`search/export`, `type:ticket`; an hour of overlap, so tickets Zendesk's search indexed late
//!    are found at the next read; a ticket read at its current `updated_at` is not read again),
//!    each end-user comment not read yet judged by [`super::words::verdict`]: the whole reply is
//!    an opt-out word → the requester's numbers (phone field and phone identities, read as every
//!    number is) go on the team's list of numbers never to message, reason `opted_out`, with the
//!    reply as evidence, and the user is tagged [`OPTED_OUT_TAG`]; an opt-in word lifts the
//!    opt-out suppressions of those numbers (never one added by hand); a reply that only holds a
//!    word is a *maybe*, listed for an admin to confirm or dismiss (the decision is a tag on the
//!    ticket, so every desktop sees it). A reply from a ticket that did not come in by a
//!    messaging channel (email…) is a *maybe* too.
//! 3. **When.** Before every audience check and every send's claim, at every heartbeat of a send
//!    (at most every [`READ_EVERY`]), every few minutes while the app runs, and on `relay optouts
//!    sync` / `relay schedule run`.
//!
//! This module holds the vocabulary (tags, verdicts, what a read did) and where capture stands;
//! `trigger` sets up and removes Relay's trigger, `read` reads the tagged replies and applies
//! them, `decide` records an admin's decision on a *maybe*.

mod decide;
mod read;
mod trigger;

pub use trigger::trigger_spec;

use crate::error::AppResult;
use crate::text::Text;
use crate::workspace::Workspace;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use specta::Type;
use std::time::Duration;
use trigger::is_ours;

/// The tag Relay's trigger puts on tickets whose end-user comment holds an opt-out word.
pub const REPLY_TAG: &str = "relay_optout_reply";
/// The tag Relay puts on a user who opted out, for the account's other tools.
pub const OPTED_OUT_TAG: &str = "relay_opted_out";
/// The tags an admin's decision on a *maybe* puts on its ticket.
pub const CONFIRMED_TAG: &str = "relay_optout_confirmed";
pub const DISMISSED_TAG: &str = "relay_optout_dismissed";

/// Reads made on their own (a heartbeat, the app's timer) wait at least this long after the last.
pub const READ_EVERY: Duration = Duration::from_secs(120);
/// A send goes on without a fresh read only if the last one is this recent.
pub const FRESH_ENOUGH: Duration = Duration::from_secs(15 * 60);

/// What a reply says, as stored.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    Type,
    strum::AsRefStr,
    strum::Display,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ReplyVerdict {
    OptOut,
    OptIn,
    /// An admin decides.
    Maybe,
    Confirmed,
    Dismissed,
    Nothing,
}

crate::sql_text!(ReplyVerdict);

/// A reply Relay read, as listed for an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Reply {
    pub ticket_id: String,
    pub comment_id: String,
    pub user_id: String,
    pub text: String,
    /// The word the rule found.
    pub word: Option<String>,
    pub verdict: ReplyVerdict,
    /// The numbers it applies to.
    pub numbers: Vec<String>,
    /// When it was written (milliseconds since the Unix epoch, as text).
    pub at: String,
    /// The ticket's via type (`whatsapp`…).
    pub channel: String,
}

/// Relay's trigger in the account, as last seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct TriggerState {
    pub id: String,
    pub active: bool,
    /// It tags the replies holding the words the settings have now.
    pub current: bool,
}

/// Where opt-out capture stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct OptoutStatus {
    /// Relay's trigger, when the account has it (None when not set up, or not known offline).
    pub trigger: Option<TriggerState>,
    /// The account could not be asked (offline, an agent's token…): why.
    pub trigger_unknown: Option<Text>,
    /// The last read that completed (milliseconds since the Unix epoch, as text), if any.
    pub last_read: Option<String>,
    pub last_error: Option<Text>,
    /// Numbers on the list because their owner replied an opt-out word.
    pub opted_out: u32,
    /// Replies waiting for an admin's decision.
    pub maybe: Vec<Reply>,
    /// The latest opt-outs and opt-ins read.
    pub recent: Vec<Reply>,
}

/// What a read did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct OptoutRead {
    pub tickets: u32,
    pub replies: u32,
    pub opted_out: u32,
    pub opted_in: u32,
    pub maybe: u32,
}

impl Workspace {
    /// Where opt-out capture stands: Relay's trigger as the account has it (asked when it can
    /// be), the last read, the opt-outs, and the replies waiting for a decision.
    pub async fn optouts_status(&self) -> AppResult<OptoutStatus> {
        let settings = self.settings()?;
        let want = trigger_spec(&settings.optout_words, &settings.optin_words);
        let (trigger, trigger_unknown) = match self.zendesk_client() {
            Ok((_, z)) => match z.triggers().await {
                Ok(all) => (
                    all.iter().find(|t| is_ours(t)).map(|t| TriggerState {
                        id: t.id.to_string(),
                        active: t.active,
                        current: t.conditions == want.conditions && t.actions == want.actions,
                    }),
                    None,
                ),
                Err(e) => (None, Some(e.text)),
            },
            Err(e) => (None, Some(e.text)),
        };
        let db = self.db();
        let conn = db.connection();
        let (last_read, last_error): (Option<i64>, Option<Text>) = conn
            .query_row(
                "SELECT read_at, error FROM optout_sync WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((None, None));
        let opted_out: i64 = conn.query_row(
            "SELECT COUNT(*) FROM suppressed WHERE reason = 'opted_out'",
            [],
            |r| r.get(0),
        )?;
        let list = |cond: &str, limit: i64| -> AppResult<Vec<Reply>> {
            let mut stmt = conn.prepare(&format!(
                "SELECT ticket_id, comment_id, user_id, text, word, verdict, numbers, at, channel
                 FROM optout_replies WHERE {cond} ORDER BY at DESC LIMIT ?1"
            ))?;
            let rows = stmt.query_map([limit], |r| {
                Ok(Reply {
                    ticket_id: r.get::<_, i64>(0)?.to_string(),
                    comment_id: r.get::<_, i64>(1)?.to_string(),
                    user_id: r.get::<_, i64>(2)?.to_string(),
                    text: r.get(3)?,
                    word: r.get(4)?,
                    verdict: r.get(5)?,
                    numbers: serde_json::from_str(&r.get::<_, String>(6)?).unwrap_or_default(),
                    at: r.get::<_, i64>(7)?.to_string(),
                    channel: r.get(8)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        Ok(OptoutStatus {
            trigger,
            trigger_unknown,
            last_read: last_read.map(|ms| ms.to_string()),
            last_error,
            opted_out: opted_out as u32,
            maybe: list("verdict = 'maybe'", 500)?,
            recent: list("verdict IN ('opt_out', 'opt_in', 'confirmed')", 50)?,
        })
    }
}
