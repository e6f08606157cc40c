//! What a campaign and its recipients are in: their statuses and the counts by state — shared by
//! the campaigns and by the team's summaries of them (so the team module need not know the
//! campaigns'). `campaign` re-exports them.
//!
//! Recipient states: `pending` → `sending` → `sent` | `failed`; `skipped` (excluded, with the
//! audience's reason, blacked out when it came to be sent, or cancelled); `unknown` (the call may
//! have delivered it: a timeout, a dropped connection, a 5xx, or a runner that died while the call
//! was in flight). `unknown` counts as reached — it writes a blackout entry — and is never sent
//! again on its own: the report shows it and the user decides.

use crate::text::Text;
use serde::{Deserialize, Serialize};
use specta::Type;

/// Where a recipient stands (see the module's doc).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Type,
    strum::AsRefStr,
    strum::Display,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum RecipientState {
    Pending,
    Sending,
    Sent,
    Failed,
    Skipped,
    Unknown,
}

/// Where a campaign stands: `scheduled` (to be checked, frozen and sent at its time), `missed`
/// (its time passed with no Relay running: it waits for a decision), `creating` (being built:
/// nobody may send it yet), `ready`, `running`, `waiting` (everyone left is in their quiet hours:
/// it goes on when the first window opens), `paused` (by the user, a signal, auto-pause or an
/// error: resumable), `completed`, `cancelled`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Type,
    strum::AsRefStr,
    strum::Display,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum CampaignStatus {
    Scheduled,
    Missed,
    Creating,
    Ready,
    Running,
    Waiting,
    Paused,
    Completed,
    Cancelled,
}

impl CampaignStatus {
    /// Nothing is left to send on its own (failed recipients may still be retried).
    pub fn is_finished(self) -> bool {
        matches!(self, CampaignStatus::Completed | CampaignStatus::Cancelled)
    }

    /// Its name, in words (`campaign.status.{status}`).
    pub fn label(self) -> Text {
        Text::new(&format!("campaign.status.{self}"))
    }
}

crate::sql_text!(RecipientState, CampaignStatus);

/// How many recipients are in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct StateCounts {
    pub pending: u32,
    pub sending: u32,
    pub sent: u32,
    pub failed: u32,
    pub skipped: u32,
    pub unknown: u32,
}

impl StateCounts {
    pub fn total(&self) -> u32 {
        self.pending + self.sending + self.sent + self.failed + self.skipped + self.unknown
    }

    pub(crate) fn add(&mut self, state: RecipientState, n: u32) {
        match state {
            RecipientState::Pending => self.pending += n,
            RecipientState::Sending => self.sending += n,
            RecipientState::Sent => self.sent += n,
            RecipientState::Failed => self.failed += n,
            RecipientState::Skipped => self.skipped += n,
            RecipientState::Unknown => self.unknown += n,
        }
    }
}
