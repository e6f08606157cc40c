//! Campaigns: an audience checked for a message, frozen into a per-recipient ledger
//! (`freeze`), then sent (`send`, its bookkeeping in `book`) under one runner at a time
//! (`lease`), each recipient's transitions kept by `ledger`; the campaigns' rows (`store`) and
//! what the history and the report read (`report`). This file: the types they share.
//!
//! Recipient states: `pending` → `sending` → `sent` | `failed`; `skipped` (excluded, with the
//! audience's reason, blacked out when it came to be sent, or cancelled); `unknown` (the call may
//! have delivered it: a timeout, a dropped connection, a 5xx, or a runner that died while the call
//! was in flight). `unknown` counts as reached — it writes a blackout entry — and is never sent
//! again on its own: the report shows it and the user decides.

mod book;
pub mod freeze;
pub(crate) mod lease;
pub(crate) mod ledger;
pub mod report;
pub mod send;
pub(crate) mod store;

pub use send::{check_rate, CampaignControl, CampaignProgress, MAX_RATE};

use serde::{Deserialize, Serialize};
use specta::Type;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum RecipientState {
    Pending,
    Sending,
    Sent,
    Failed,
    Skipped,
    Unknown,
}

impl RecipientState {
    pub const ALL: [RecipientState; 6] = [
        RecipientState::Pending,
        RecipientState::Sending,
        RecipientState::Sent,
        RecipientState::Failed,
        RecipientState::Skipped,
        RecipientState::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecipientState::Pending => "pending",
            RecipientState::Sending => "sending",
            RecipientState::Sent => "sent",
            RecipientState::Failed => "failed",
            RecipientState::Skipped => "skipped",
            RecipientState::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<RecipientState> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

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

    fn add(&mut self, state: RecipientState, n: u32) {
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

/// A campaign as the history and the report show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct CampaignSummary {
    pub id: String,
    pub template_id: String,
    pub template_name: String,
    pub language: String,
    pub integration_id: String,
    /// `whatsapp`, `twilio` or `messagebird`.
    pub channel: String,
    pub query: String,
    /// Messages per second.
    pub rate: u32,
    pub auto_pause_after: u32,
    pub test: bool,
    /// `ready`, `running`, `paused`, `cancelled` or `completed`.
    pub status: String,
    /// Why it paused on its own (consecutive failures), if it did.
    pub pause_reason: Option<String>,
    pub counts: StateCounts,
    /// SMS segments of every message to send or sent (0 for WhatsApp).
    pub segments: u32,
    /// Milliseconds since the Unix epoch, as text.
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// A runner holds it now (this or another window or process).
    pub running: bool,
    /// The computer its runner is on, while one holds it.
    pub runner_host: Option<String>,
}

/// One recipient of a campaign, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct CampaignRecipient {
    pub seq: u32,
    pub user_id: String,
    pub name: String,
    pub phone: Option<String>,
    pub state: RecipientState,
    /// Why it was skipped (an audience reason, or `cancelled`).
    pub reason: Option<String>,
    pub error: Option<String>,
    pub notification_id: Option<String>,
    pub attempts: u32,
    /// Milliseconds since the Unix epoch, as text.
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct RecipientPage {
    pub total: u32,
    pub rows: Vec<CampaignRecipient>,
}
