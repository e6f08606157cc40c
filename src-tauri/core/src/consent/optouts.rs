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

use super::words::{self, Verdict};
use crate::clients::zendesk::tickets::{Trigger, TriggerSpec};
use crate::clients::zendesk::ZendeskClient;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::phone::Country;
use crate::text::Text;
use crate::workspace::Workspace;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;
use specta::Type;
use std::time::Duration;

/// The tag Relay's trigger puts on tickets whose end-user comment holds an opt-out word.
pub const REPLY_TAG: &str = "relay_optout_reply";
/// The tag Relay puts on a user who opted out, for the account's other tools.
pub const OPTED_OUT_TAG: &str = "relay_opted_out";
/// The tags an admin's decision on a *maybe* puts on its ticket.
pub const CONFIRMED_TAG: &str = "relay_optout_confirmed";
pub const DISMISSED_TAG: &str = "relay_optout_dismissed";
/// What marks Relay's trigger among the account's (in its description).
const MARKER: &str = "[relay:optouts]";
/// A read looks this far back before the latest update it saw: Zendesk's search index lags.
const OVERLAP: chrono::Duration = chrono::Duration::hours(1);
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

/// The trigger Relay wants, for these words.
pub fn trigger_spec(opt_out: &[String], opt_in: &[String]) -> TriggerSpec {
    // Zendesk's words: single words as they are, phrases quoted; opt-in words too (a START must
    // reach Relay). Zendesk does not say whether its match ignores accents: each word goes both
    // as written (lowercase) and without its accents.
    let mut words: Vec<String> = [opt_out, opt_in]
        .concat()
        .iter()
        .flat_map(|w| {
            let written = w
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase();
            [written, words::normalize(w)]
        })
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.contains(' ') {
                format!("\"{w}\"")
            } else {
                w
            }
        })
        .collect();
    words.sort();
    words.dedup();
    TriggerSpec {
        title: "Relay: tag replies that opt out of messages".into(),
        description: format!(
            "Made by Relay {MARKER}: tags end-user replies holding an opt-out or opt-in word ({REPLY_TAG}) so that every Relay desktop reads them. Managed from Relay (Settings → Consent): edits here are replaced."
        ),
        active: true,
        conditions: json!({
            "all": [
                {"field": "comment_includes_word", "operator": "includes", "value": words.join(" ")},
                {"field": "role", "operator": "is", "value": "end_user"},
            ],
            "any": [],
        }),
        actions: json!([{"field": "current_tags", "value": REPLY_TAG}]),
    }
}

fn is_ours(t: &Trigger) -> bool {
    t.description.as_deref().is_some_and(|d| d.contains(MARKER))
}

/// The words of the settings (the team's policy applied), normalized.
fn lists(s: &crate::settings::Settings) -> (Vec<String>, Vec<String>) {
    (
        words::normalized(&s.optout_words),
        words::normalized(&s.optin_words),
    )
}

fn ms_of(rfc3339: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|d| d.timestamp_millis())
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Workspace {
    /// Refuses an agent: setting up, changing or removing Relay's trigger needs an admin.
    async fn optouts_admin(&self, z: &ZendeskClient) -> AppResult<()> {
        let me = z.me().await?;
        if me.role != "admin" {
            return Err(AppError::new(
                ErrorCode::Forbidden,
                crate::text!("optouts.admin", who = me.email.unwrap_or(me.name)),
            ));
        }
        Ok(())
    }

    /// Sets up opt-out capture: Relay's trigger made, or brought up to date (the words, active),
    /// once — a second setup changes nothing, and duplicates left by an interrupted setup are
    /// removed. An admin's credentials only. Then reads the replies.
    pub async fn setup_optouts(&self) -> AppResult<OptoutStatus> {
        let (settings, z) = self.zendesk_client()?;
        self.optouts_admin(&z).await?;
        let want = trigger_spec(&settings.optout_words, &settings.optin_words);
        let mine: Vec<Trigger> = z.triggers().await?.into_iter().filter(is_ours).collect();
        match mine.split_first() {
            None => {
                z.create_trigger(&want).await?;
                tracing::info!("opt-out trigger created");
            }
            Some((first, extra)) => {
                if first.conditions != want.conditions
                    || first.actions != want.actions
                    || !first.active
                    || first.title != want.title
                {
                    z.update_trigger(first.id, &want).await?;
                    tracing::info!(id = first.id, "opt-out trigger updated");
                }
                for t in extra {
                    z.delete_trigger(t.id).await?;
                    tracing::info!(id = t.id, "a second opt-out trigger removed");
                }
            }
        }
        self.read_optouts(true).await?;
        self.optouts_status().await
    }

    /// Removes Relay's trigger (the opt-outs read so far stay on the list). An admin only.
    pub async fn remove_optouts(&self) -> AppResult<OptoutStatus> {
        let (_, z) = self.zendesk_client()?;
        self.optouts_admin(&z).await?;
        for t in z.triggers().await?.into_iter().filter(is_ours) {
            z.delete_trigger(t.id).await?;
            tracing::info!(id = t.id, "opt-out trigger removed");
        }
        self.optouts_status().await
    }

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

    /// Reads the replies Relay's trigger tagged since the last read and applies them (see the
    /// module's doc). Unless `force`, does nothing when the last read is less than
    /// [`READ_EVERY`] old. A failure is recorded (and returned).
    pub async fn read_optouts(&self, force: bool) -> AppResult<OptoutRead> {
        let now = self.now_ms();
        let (cursor, read_at): (Option<String>, Option<i64>) = self
            .db()
            .connection()
            .query_row(
                "SELECT cursor, read_at FROM optout_sync WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((None, None));
        if !force && read_at.is_some_and(|at| now - at < READ_EVERY.as_millis() as i64) {
            return Ok(OptoutRead::default());
        }
        let result = self.read_optouts_since(cursor.as_deref()).await;
        if let Ok((r, _)) = &result {
            if r.opted_out + r.opted_in > 0 {
                self.push_list_changes().await;
            }
        }
        let (new_cursor, error) = match &result {
            Ok((_, c)) => (c.clone().or(cursor), None),
            Err(e) => (cursor, Some(e.text.clone())),
        };
        self.db().write(|tx| {
            tx.execute(
                "INSERT INTO optout_sync (id, cursor, read_at, error) VALUES (1, ?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET cursor = ?1,
                    read_at = CASE WHEN ?3 IS NULL THEN ?2 ELSE read_at END, error = ?3",
                params![new_cursor, now, error],
            )?;
            Ok(())
        })?;
        result.map(|(r, _)| r)
    }

    /// Reads before a send: when the read fails, the send goes on only if the last read is
    /// recent ([`FRESH_ENOUGH`]); otherwise it is refused, saying why.
    pub(crate) async fn optouts_before_send(&self) -> AppResult<()> {
        let Err(e) = self.read_optouts(true).await else {
            return Ok(());
        };
        let read_at: Option<i64> = self
            .db()
            .connection()
            .query_row("SELECT read_at FROM optout_sync WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?
            .flatten();
        let fresh = read_at.is_some_and(|at| self.now_ms() - at < FRESH_ENOUGH.as_millis() as i64);
        if fresh {
            tracing::warn!(
                code = e.code.as_str(),
                "opt-outs not read before the send (the last read is recent): {}",
                e.message
            );
            return Ok(());
        }
        Err(AppError::new(
            e.code,
            crate::text!("optouts.unread", reason => e.text),
        ))
    }

    /// The list's changes pushed to the team's store at once (the other desktops pull them at
    /// their next sync); what cannot be pushed now stays queued for the next sync.
    async fn push_list_changes(&self) {
        let pushed = async {
            let z = self.team_client()?;
            self.ensure_team_schema().await?;
            self.team_push_list(&z).await
        };
        if let Err(e) = pushed.await {
            tracing::info!(
                code = e.code.as_str(),
                "opt-outs stay queued for the team's store: {}",
                e.message
            );
        }
    }

    /// Reads, logging why not when it cannot (checks go on offline). Unless `force`, at most
    /// every [`READ_EVERY`]: the app and `relay schedule run` call it as often as they like.
    pub async fn optouts_refresh(&self, force: bool) {
        if let Err(e) = self.read_optouts(force).await {
            tracing::info!(code = e.code.as_str(), "opt-outs not read: {}", e.message);
        }
    }

    /// Reads the opt-outs every [`READ_EVERY`] for as long as it is polled (a send with no
    /// team claim to keep, whose heartbeat would read them).
    pub(crate) async fn optouts_keep(&self) {
        loop {
            tokio::time::sleep(READ_EVERY).await;
            self.optouts_refresh(false).await;
        }
    }

    async fn read_optouts_since(
        &self,
        cursor: Option<&str>,
    ) -> AppResult<(OptoutRead, Option<String>)> {
        let (settings, z) = self.zendesk_client()?;
        let (out, inn) = lists(&settings);
        let country = Country::parse(&settings.default_country);
        // The export takes the type as `filter[type]`, never in the query.
        let mut query = format!("tags:{REPLY_TAG}");
        if let Some(c) = cursor.and_then(|c| chrono::DateTime::parse_from_rfc3339(c).ok()) {
            let since = c.with_timezone(&chrono::Utc) - OVERLAP;
            query.push_str(&format!(
                " updated>={}",
                since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ));
        }
        let mut tickets = z.search_tickets(&query).await?;
        tickets.sort_by(|a, b| a.updated_at.cmp(&b.updated_at).then(a.id.cmp(&b.id)));
        let mut report = OptoutRead::default();
        let mut latest = cursor.map(str::to_string);
        for t in tickets {
            let updated = t.updated_at.clone().unwrap_or_default();
            if latest.as_deref().is_none_or(|l| updated.as_str() > l) {
                latest = Some(updated.clone());
            }
            // Read already at this update — unless that read came within two seconds of it:
            // Zendesk's times are to the second, so a later change in the same second looks the
            // same.
            let seen: Option<(String, i64)> = self
                .db()
                .connection()
                .query_row(
                    "SELECT updated_at, read_at FROM optout_tickets WHERE ticket_id = ?1",
                    [t.id as i64],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((at, read_at)) = seen {
                let settled = ms_of(&at).is_some_and(|ms| read_at >= ms + 2000);
                if at == updated && settled {
                    continue;
                }
            }
            report.tickets += 1;
            let Some(requester) = t.requester_id else {
                continue;
            };
            let messaging = t.from_messaging_channel.unwrap_or(true);
            let channel = t.via.as_ref().map(|v| v.name()).unwrap_or_default();
            let decided = if t.tags.iter().any(|x| x == DISMISSED_TAG) {
                Some(ReplyVerdict::Dismissed)
            } else if t.tags.iter().any(|x| x == CONFIRMED_TAG) {
                Some(ReplyVerdict::Confirmed)
            } else {
                None
            };
            let comments = z.ticket_comments(t.id).await?;
            let mut numbers: Option<Vec<String>> = None;
            for c in comments {
                if c.author_id != Some(requester) || !c.public {
                    continue;
                }
                let known: Option<ReplyVerdict> = self
                    .db()
                    .connection()
                    .query_row(
                        "SELECT verdict FROM optout_replies WHERE comment_id = ?1",
                        [c.id as i64],
                        |r| r.get(0),
                    )
                    .optional()?;
                let said = words::verdict(c.text(), &out, &inn);
                // An admin's decision on a maybe, made on any desktop (a tag on the ticket).
                let verdict = match (known, decided) {
                    (Some(ReplyVerdict::Maybe), Some(d)) => d,
                    (Some(_), _) => continue,
                    (None, _) => match &said {
                        // Outside a messaging channel (an email…), even a whole-reply STOP is
                        // left to an admin.
                        Verdict::OptOut(_) if messaging => ReplyVerdict::OptOut,
                        Verdict::OptOut(_) | Verdict::Maybe(_) => {
                            decided.unwrap_or(ReplyVerdict::Maybe)
                        }
                        Verdict::OptIn(_) => ReplyVerdict::OptIn,
                        Verdict::Nothing => ReplyVerdict::Nothing,
                    },
                };
                let word = match said {
                    Verdict::OptOut(w) | Verdict::OptIn(w) | Verdict::Maybe(w) => Some(w),
                    Verdict::Nothing => None,
                };
                let acts = matches!(
                    verdict,
                    ReplyVerdict::OptOut | ReplyVerdict::OptIn | ReplyVerdict::Confirmed
                );
                if acts && numbers.is_none() {
                    numbers = Some(self.numbers_of(&z, requester, country).await?);
                }
                let nums = numbers.clone().unwrap_or_default();
                let at = c
                    .created_at
                    .as_deref()
                    .and_then(ms_of)
                    .unwrap_or(self.now_ms());
                let evidence = crate::text!(
                    "optouts.evidence",
                    words = truncate(c.text(), 160),
                    ticket = t.id,
                    at = rfc3339(at)
                );
                self.db().write(|tx| {
                    tx.execute(
                        "INSERT INTO optout_replies (comment_id, ticket_id, user_id, text, word, verdict, numbers, at, channel, read_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                         ON CONFLICT (comment_id) DO UPDATE SET verdict = excluded.verdict, numbers = excluded.numbers",
                        params![
                            c.id as i64,
                            t.id as i64,
                            requester as i64,
                            truncate(c.text(), 500),
                            word,
                            verdict,
                            serde_json::to_string(&nums).unwrap_or_default(),
                            at,
                            channel,
                            self.now_ms()
                        ],
                    )?;
                    match verdict {
                        ReplyVerdict::OptOut | ReplyVerdict::Confirmed => {
                            crate::suppression::opt_out(tx, &nums, &evidence, self.now_ms())?;
                        }
                        ReplyVerdict::OptIn => {
                            crate::suppression::opt_in(tx, &nums, self.now_ms())?;
                        }
                        _ => {}
                    }
                    Ok(())
                })?;
                report.replies += 1;
                match verdict {
                    ReplyVerdict::OptOut | ReplyVerdict::Confirmed => {
                        report.opted_out += 1;
                        tracing::info!(
                            ticket = t.id,
                            user = requester,
                            numbers = nums.len(),
                            "opt-out read"
                        );
                        // For the account's other tools; the list is what Relay itself keeps to.
                        if let Err(e) = z.add_user_tags(requester, &[OPTED_OUT_TAG]).await {
                            tracing::warn!(user = requester, code = e.code.as_str(), "the user could not be tagged {OPTED_OUT_TAG} (user tags may be off in the account): {}", e.message);
                        }
                    }
                    ReplyVerdict::OptIn => {
                        report.opted_in += 1;
                        tracing::info!(ticket = t.id, user = requester, "opt-in read");
                        if let Err(e) = z.remove_user_tags(requester, &[OPTED_OUT_TAG]).await {
                            tracing::warn!(
                                user = requester,
                                code = e.code.as_str(),
                                "the user's {OPTED_OUT_TAG} tag could not be removed: {}",
                                e.message
                            );
                        }
                    }
                    ReplyVerdict::Maybe => report.maybe += 1,
                    _ => {}
                }
            }
            self.db().write(|tx| {
                tx.execute(
                    "INSERT INTO optout_tickets (ticket_id, updated_at, read_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (ticket_id) DO UPDATE SET updated_at = ?2, read_at = ?3",
                    params![t.id as i64, updated, self.now_ms()],
                )?;
                Ok(())
            })?;
        }
        Ok((report, latest))
    }

    /// The numbers of Zendesk user `id`: its phone field and its phone identities, each read as
    /// every number is (what cannot be read is left out).
    async fn numbers_of(
        &self,
        z: &ZendeskClient,
        id: u64,
        country: Option<Country>,
    ) -> AppResult<Vec<String>> {
        let (users, identities) = z.show_many(&[id]).await?;
        let mut out: Vec<String> = users
            .iter()
            .filter_map(|u| u.phone.as_deref())
            .chain(
                identities
                    .iter()
                    .filter(|i| i.kind == "phone_number")
                    .map(|i| i.value.as_str()),
            )
            .filter_map(|raw| crate::phone::read(raw, country).ok().map(|n| n.e164))
            .collect();
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// An admin's decision on a *maybe* reply: confirmed, its numbers opted out; dismissed,
    /// left alone. Recorded as a tag on the ticket, so every desktop applies it.
    pub async fn decide_reply(&self, comment_id: &str, confirm: bool) -> AppResult<OptoutStatus> {
        let id: i64 = comment_id.trim().parse().map_err(|_| {
            AppError::invalid_field(
                "comment_id",
                crate::text!("optouts.no_such_reply", id = comment_id),
            )
        })?;
        let row: Option<(i64, i64, ReplyVerdict, String, i64)> = self
            .db()
            .connection()
            .query_row(
                "SELECT ticket_id, user_id, verdict, text, at FROM optout_replies WHERE comment_id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let Some((ticket, user, verdict, text, at)) = row else {
            return Err(AppError::invalid_field(
                "comment_id",
                crate::text!("optouts.no_such_reply", id = comment_id),
            ));
        };
        if verdict != ReplyVerdict::Maybe {
            return Err(AppError::invalid_field(
                "comment_id",
                crate::text!("optouts.not_maybe", id = comment_id),
            ));
        }
        let (settings, z) = self.zendesk_client()?;
        z.add_ticket_tags(
            ticket as u64,
            &[if confirm {
                CONFIRMED_TAG
            } else {
                DISMISSED_TAG
            }],
        )
        .await?;
        let numbers = if confirm {
            let country = Country::parse(&settings.default_country);
            self.numbers_of(&z, user as u64, country).await?
        } else {
            vec![]
        };
        let evidence = crate::text!(
            "optouts.evidence_confirmed",
            words = truncate(&text, 160),
            ticket = ticket,
            at = rfc3339(at)
        );
        let decided = if confirm {
            ReplyVerdict::Confirmed
        } else {
            ReplyVerdict::Dismissed
        };
        self.db().write(|tx| {
            tx.execute(
                "UPDATE optout_replies SET verdict = ?2, numbers = ?3 WHERE comment_id = ?1",
                params![
                    id,
                    decided,
                    serde_json::to_string(&numbers).unwrap_or_default()
                ],
            )?;
            if confirm {
                crate::suppression::opt_out(tx, &numbers, &evidence, self.now_ms())?;
            }
            Ok(())
        })?;
        if confirm {
            if let Err(e) = z.add_user_tags(user as u64, &[OPTED_OUT_TAG]).await {
                tracing::warn!(
                    user,
                    code = e.code.as_str(),
                    "the user could not be tagged: {}",
                    e.message
                );
            }
        }
        tracing::info!(ticket, confirm, "a maybe opt-out decided");
        if confirm {
            self.push_list_changes().await;
        }
        self.optouts_status().await
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trigger_quotes_phrases_and_holds_both_lists() {
        let spec = trigger_spec(
            &["STOP".into(), "Opt out".into(), "ARRÊT".into()],
            &["START".into()],
        );
        let words = spec.conditions["all"][0]["value"].as_str().unwrap();
        assert_eq!(words, "\"opt out\" arret arrêt start stop");
        assert_eq!(spec.actions[0]["value"], REPLY_TAG);
        assert!(spec.description.contains(MARKER));
    }
}
