//! Relay's trigger in the account: the one ticket trigger that tags the replies holding an
//! opt-out or opt-in word, made or brought up to date by an admin, found again by its marker,
//! removed on request.

use super::{OptoutStatus, REPLY_TAG};
use crate::clients::zendesk::tickets::{Trigger, TriggerSpec};
use crate::clients::zendesk::ZendeskClient;
use crate::consent::words;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::workspace::Workspace;
use serde_json::json;

/// What marks Relay's trigger among the account's (in its description).
const MARKER: &str = "[relay:optouts]";

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

pub(super) fn is_ours(t: &Trigger) -> bool {
    t.description.as_deref().is_some_and(|d| d.contains(MARKER))
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
