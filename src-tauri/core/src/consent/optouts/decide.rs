//! An admin's decision on a *maybe* reply, recorded as a tag on its ticket so that every
//! desktop applies it.

use super::read::{rfc3339, truncate};
use super::{OptoutStatus, ReplyVerdict, CONFIRMED_TAG, DISMISSED_TAG, OPTED_OUT_TAG};
use crate::error::{AppError, AppResult};
use crate::phone::Country;
use crate::workspace::Workspace;
use rusqlite::{params, OptionalExtension};

impl Workspace {
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
