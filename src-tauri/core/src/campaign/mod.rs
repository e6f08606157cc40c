//! Campaigns: an audience checked for a message, frozen into a per-recipient ledger
//! (`freeze`), then sent (`send`, the send engine) under one runner at a time (`lease`), each
//! recipient's transitions kept by `ledger`; the campaigns' rows (`store`) and what the history
//! and the report read (`report`). This file: the types they share; the states of a campaign and
//! of its recipients are in [`crate::states`].

pub mod budget;
pub mod freeze;
pub(crate) mod lease;
pub(crate) mod ledger;
pub mod report;
pub mod schedule;
pub mod send;
pub(crate) mod store;
mod summaries;

pub use schedule::{CampaignTiming, Due};
pub use send::{check_rate, estimate_secs, CampaignControl, CampaignProgress, MAX_RATE};

use crate::audience::ExclusionReason;
use crate::channel::IntegrationKind;
use crate::error::AppResult;
pub use crate::states::{CampaignStatus, RecipientState, StateCounts};
use crate::text::Text;
use serde::{Deserialize, Serialize};
use specta::Type;

/// The desktop notification at the end of a send: its title and body.
pub fn end_notification(id: &str, result: &AppResult<CampaignSummary>) -> (Text, Text) {
    match result {
        Ok(c) => (
            crate::text!("notify.title", name = c.template_name, status => c.status.label()),
            crate::text!(
                "notify.body",
                sent = c.counts.sent,
                failed = c.counts.failed,
                skipped = c.counts.skipped,
                unknown = c.counts.unknown,
                left = c.counts.pending
            ),
        ),
        Err(e) => (crate::text!("notify.stopped", id = id), e.text.clone()),
    }
}

/// A campaign as the history and the report show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct CampaignSummary {
    pub id: String,
    pub template_id: String,
    pub template_name: String,
    pub language: String,
    pub integration_id: String,
    /// The integration's kind (the `channel` column).
    pub kind: IntegrationKind,
    pub query: String,
    /// Messages per second.
    pub rate: u32,
    pub auto_pause_after: u32,
    pub test: bool,
    pub status: CampaignStatus,
    /// Why it paused on its own (consecutive failures), if it did.
    pub pause_reason: Option<Text>,
    pub counts: StateCounts,
    /// SMS segments of every message to send or sent (0 for WhatsApp).
    pub segments: u32,
    /// Milliseconds since the Unix epoch, as text.
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// A runner holds it now (this or another window or process).
    pub running: bool,
    /// Sent (in part) with this desktop's ledger alone: the team's store could not be reached and
    /// "this desktop only" was on, so another desktop's sends were not checked.
    pub desktop_only: bool,
    /// Entries it recorded are still being pushed to the team's store (it may be done: its claim
    /// of the message is kept until they are confirmed) — "syncing with the team".
    pub team_syncing: bool,
    /// The computer its runner is on, while one holds it.
    pub runner_host: Option<String>,
    /// Marked `running`, but no runner holds it: the Relay that sent it stopped (a crash, a
    /// kill, a closed app). Resume goes on where it stopped.
    pub interrupted: bool,
    /// What may be done with it now (by whoever is not sending it).
    pub can: CampaignActions,
    /// Its quiet hours (`HH:MM-HH:MM`, in each recipient's time zone), if any.
    pub quiet_hours: Option<String>,
    /// Recipients pending whose quiet hours have not ended yet.
    pub waiting: u32,
    /// Waiting: when the next of them may be sent (milliseconds, as text).
    pub next_at: Option<String>,
    /// Waiting: for what.
    pub waits_for: Option<WaitReason>,
    /// When it is (or was) to be sent, if it was scheduled (milliseconds, as text).
    pub scheduled_at: Option<String>,
    /// Its counts when it was scheduled, once it has been checked and frozen again at its time.
    pub scheduled_counts: Option<StateCounts>,
}

/// What a `waiting` campaign waits for.
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
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum WaitReason {
    /// Everyone left is in their quiet hours.
    QuietHours,
    /// Everyone left is past the WhatsApp portfolio's messaging limit: they go as earlier sends
    /// leave its 24-hour window.
    MessagingLimit,
}

crate::sql_text!(WaitReason);

/// What may be done with a campaign that no runner holds; a window that sends it itself can still
/// pause or cancel it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct CampaignActions {
    /// Send what is left (ready, paused or interrupted, with recipients left).
    pub resume: bool,
    /// Skip everyone not sent yet.
    pub cancel: bool,
    /// Put the failed recipients back in the queue.
    pub retry_failed: bool,
    /// Put the unknown ones back too (after a warning: they may get it twice).
    pub resend_unknown: bool,
    /// Scheduled or missed: send it now (checked and frozen again first), or at another time.
    pub start: bool,
    pub reschedule: bool,
}

impl CampaignSummary {
    /// Fills in what is judged from its status, its counts and whether a runner holds it.
    pub(crate) fn judged(mut self) -> CampaignSummary {
        self.interrupted = self.status == CampaignStatus::Running && !self.running;
        let open = matches!(
            self.status,
            CampaignStatus::Ready | CampaignStatus::Paused | CampaignStatus::Waiting
        ) || self.interrupted;
        let timed = matches!(
            self.status,
            CampaignStatus::Scheduled | CampaignStatus::Missed
        );
        let idle = !self.running;
        self.can = CampaignActions {
            resume: idle && open && self.counts.pending + self.counts.sending > 0,
            cancel: idle && (open || timed),
            retry_failed: idle && self.counts.failed > 0,
            resend_unknown: idle && self.counts.unknown > 0,
            start: idle && timed,
            reschedule: idle && timed,
        };
        self
    }
}

/// One recipient of a campaign, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct CampaignRecipient {
    pub seq: u32,
    pub user_id: String,
    pub name: String,
    pub phone: Option<String>,
    pub state: RecipientState,
    /// Why it was skipped: the audience's reason, or `blackout` when it came to be sent...
    pub reason: Option<ExclusionReason>,
    /// ...or the campaign was cancelled before it was sent.
    pub cancelled: bool,
    pub error: Option<Text>,
    pub notification_id: Option<String>,
    pub attempts: u32,
    /// Milliseconds since the Unix epoch, as text.
    pub updated_at: Option<String>,
    /// The translation they get (Meta's code); none for those left out.
    pub language: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct RecipientPage {
    pub total: u32,
    pub rows: Vec<CampaignRecipient>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(status: CampaignStatus, running: bool, counts: StateCounts) -> CampaignSummary {
        CampaignSummary {
            id: "c".into(),
            template_id: "t".into(),
            template_name: "n".into(),
            language: "en_US".into(),
            integration_id: "i".into(),
            kind: IntegrationKind::WhatsApp,
            query: "q".into(),
            rate: 8,
            auto_pause_after: 10,
            test: false,
            status,
            pause_reason: None,
            counts,
            segments: 0,
            created_at: "1".into(),
            started_at: None,
            finished_at: None,
            running,
            desktop_only: false,
            team_syncing: false,
            runner_host: None,
            interrupted: false,
            can: CampaignActions::default(),
            quiet_hours: None,
            waiting: 0,
            next_at: None,
            waits_for: None,
            scheduled_at: None,
            scheduled_counts: None,
        }
        .judged()
    }

    #[test]
    fn what_may_be_done_follows_the_status_the_counts_and_the_runner() {
        let counts = StateCounts {
            pending: 5,
            sent: 3,
            failed: 2,
            skipped: 1,
            unknown: 1,
            ..StateCounts::default()
        };
        let all = CampaignActions {
            resume: true,
            cancel: true,
            retry_failed: true,
            resend_unknown: true,
            ..CampaignActions::default()
        };
        assert_eq!(
            summary(CampaignStatus::Paused, false, counts.clone()).can,
            all
        );
        // Held by a runner (here or elsewhere): nothing, from this side.
        let held = summary(CampaignStatus::Running, true, counts.clone());
        assert!(!held.interrupted);
        assert_eq!(held.can, CampaignActions::default());
        // Running with no live runner: interrupted, and resumable.
        let interrupted = summary(CampaignStatus::Running, false, counts.clone());
        assert!(interrupted.interrupted);
        assert_eq!(interrupted.can, all);
        // Completed: no resume nor cancel; failed and unknown ones can go again.
        let done = summary(
            CampaignStatus::Completed,
            false,
            StateCounts {
                pending: 0,
                ..counts
            },
        );
        assert_eq!(
            done.can,
            CampaignActions {
                resume: false,
                cancel: false,
                retry_failed: true,
                resend_unknown: true,
                ..CampaignActions::default()
            }
        );
        // Scheduled: sent now, at another time, or cancelled; waiting: as paused.
        let scheduled = summary(CampaignStatus::Scheduled, false, counts.clone()).can;
        assert!(scheduled.start && scheduled.reschedule && scheduled.cancel && !scheduled.resume);
        let waiting = summary(CampaignStatus::Waiting, false, counts).can;
        assert!(waiting.resume && waiting.cancel && !waiting.start);
    }
}
