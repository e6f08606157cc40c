//! The read: the replies Relay's trigger tagged since the last read, each judged by Relay's
//! rule and applied to the team's list (opt-outs, opt-ins, *maybe*s for an admin), before a
//! send, on a timer, or on request.

use super::{
    OptoutRead, ReplyVerdict, CONFIRMED_TAG, DISMISSED_TAG, FRESH_ENOUGH, OPTED_OUT_TAG,
    READ_EVERY, REPLY_TAG,
};
use crate::clients::zendesk::ZendeskClient;
use crate::consent::words::{self, Verdict};
use crate::error::{AppError, AppResult};
use crate::phone::Country;
use crate::workspace::Workspace;
use rusqlite::{params, OptionalExtension};

/// A read looks this far back before the latest update it saw: Zendesk's search index lags.
const OVERLAP: chrono::Duration = chrono::Duration::hours(1);

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

pub(super) fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Workspace {
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
    pub(super) async fn push_list_changes(&self) {
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
    pub(super) async fn numbers_of(
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
}

pub(super) fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
