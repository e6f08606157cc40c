//! Audiences: the users a Zendesk search matches, fetched with the search export into SQLite page
//! by page (memory stays flat whatever the size; no cap), each with a phone number normalized to
//! E.164 and, once checked, the reason it is excluded (or none: it will receive the message).
//!
//! Reasons, first that applies: `removed` (by hand), `no_phone`, `invalid_phone` (with why: a
//! letter, too short…), `cannot_receive` (a fixed line, toll-free… unless the audience includes
//! fixed lines), `opted_out` (the number is on the team's list because its owner replied STOP: the
//! reply is the detail), `suppressed` (on the list by hand), `no_consent` (the consent rule of the
//! channel kind does not hold, unless an admin allowed the member), `duplicate_phone` (one message per number: the oldest account keeps it),
//! `blackout` (the same message reached the user or the number within the blackout days, unless
//! overridden), `in_other_campaign` (an unfinished campaign of the same message still has to send
//! to them), then from the field mapping `missing_value` and `render_error`.

pub mod check;
mod classify;
pub mod fetch;
pub mod phone;
pub(crate) mod store;

pub use check::RecipientPreview;
pub use fetch::SampleUser;

use crate::text::Text;
use serde::{Deserialize, Serialize};
use specta::Type;

/// Why a member of an audience is left out (see the module's doc), in the order they apply.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
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
pub enum ExclusionReason {
    Removed,
    NoPhone,
    InvalidPhone,
    CannotReceive,
    OptedOut,
    Suppressed,
    NoConsent,
    /// A rule of Meta's drops the message after accepting it (`meta::rules`).
    MetaRule,
    DuplicatePhone,
    Blackout,
    InOtherCampaign,
    MissingValue,
    RenderError,
    /// No translation of the template the recipient would get (theirs, or the default) can be
    /// sent through the integration.
    NoTranslation,
}

crate::sql_text!(ExclusionReason);

impl ExclusionReason {
    pub fn label(self) -> Text {
        Text::new(&format!("reason.{}", self.as_ref()))
    }
}

/// Where an audience's fetch stands.
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
pub enum AudienceStatus {
    /// Being fetched (or its fetch was stopped with Relay: marked `failed` at the next start).
    Fetching,
    Complete,
    /// The export returned fewer users than Zendesk counted, beyond its indexing lag (see
    /// `expected`).
    Incomplete,
    /// Cancelled by the user: what was fetched is kept.
    Cancelled,
    Failed,
}

impl AudienceStatus {
    /// A campaign may be made from it: its fetch ended (short, or cancelled, by the user's leave).
    pub fn may_send(self) -> bool {
        !matches!(self, AudienceStatus::Fetching | AudienceStatus::Failed)
    }
}

crate::sql_text!(AudienceStatus);

/// Where a member's number was found: the user's phone field, or one of their phone identities.
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
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PhoneSource {
    Field,
    Identity,
}

crate::sql_text!(PhoneSource);

/// Where a fetch stands, sent to the UI after every page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct FetchProgress {
    pub audience_id: String,
    pub users: u32,
    pub pages: u32,
    /// Users the search matched when the fetch started (Zendesk's count), if known.
    pub expected: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct ReasonCount {
    pub reason: ExclusionReason,
    pub count: u32,
}

/// An audience and its counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct AudienceSummary {
    pub id: String,
    pub query: String,
    pub status: AudienceStatus,
    pub users: u32,
    pub pages: u32,
    /// How many users Zendesk counted for the search when it was fetched.
    pub expected: Option<u32>,
    /// Results Zendesk returned that were not readable users (no id): left out, and counted.
    pub unreadable: u32,
    /// Users who will receive the message.
    pub eligible: u32,
    /// Excluded users by reason (every reason, zeros included, in order).
    pub excluded: Vec<ReasonCount>,
    /// Blacked-out users moved to the allowed list by hand.
    pub overrides: u32,
    pub error: Option<Text>,
    /// Milliseconds since the Unix epoch, as text.
    pub created_at: String,
    /// Checked for a message (blackout, mapping, rendering), not only for contacts.
    pub message_checked: bool,
    /// SMS segments the messages to send add up to (0 for WhatsApp, or before a message check).
    pub segments: u32,
    /// Fixed lines are sent to (not left out as lines that cannot receive a message).
    pub include_fixed_lines: bool,
    /// The recipients per translation they get, when checked for a message (most first).
    pub languages: Vec<LanguageCount>,
}

/// How many recipients get one translation, how it was chosen for them, and their SMS segments.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Type)]
pub struct LanguageCount {
    /// Meta's code.
    pub language: String,
    pub recipients: u32,
    /// Their locale's region or language, a rule, or another region of their language.
    pub matched: u32,
    /// No translation in their language (or no locale): the default.
    pub default: u32,
    /// Their language's translation is not approved on the integration: the default.
    pub not_approved: u32,
    /// SMS segments of their messages (0 on WhatsApp).
    pub segments: u32,
}

impl LanguageCount {
    /// Counts a recipient's rendered message in its translation's row.
    pub fn tally(list: &mut Vec<LanguageCount>, out: &crate::message::render::Rendered) {
        use crate::template::translations::LanguageMatch;
        let at = match list.iter().position(|c| c.language == out.language) {
            Some(i) => i,
            None => {
                list.push(LanguageCount {
                    language: out.language.clone(),
                    ..LanguageCount::default()
                });
                list.len() - 1
            }
        };
        let c = &mut list[at];
        c.recipients += 1;
        c.segments = c.segments.saturating_add(out.segments);
        match out.matched {
            LanguageMatch::Default => c.default += 1,
            LanguageMatch::NotApproved => c.not_approved += 1,
            LanguageMatch::One => {}
            _ => c.matched += 1,
        }
    }
}

impl AudienceSummary {
    /// What the audience is missing, if anything: the export returned fewer users than Zendesk
    /// counted (beyond its index's lag), or results that were not users.
    pub fn shortfall(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.status == AudienceStatus::Incomplete {
            parts.push(format!(
                "Zendesk counted {} users for this search, but its export returned {}: the audience is incomplete. Zendesk's search index can lag a few minutes: fetch again shortly; if it stays short, report it.",
                self.expected.unwrap_or_default(),
                self.users
            ));
        }
        if self.unreadable > 0 {
            parts.push(format!(
                "{} of the results Zendesk returned were not readable users (no id): left out.",
                self.unreadable
            ));
        }
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    pub fn count(&self, reason: ExclusionReason) -> u32 {
        self.excluded
            .iter()
            .find(|c| c.reason == reason)
            .map_or(0, |c| c.count)
    }
}

/// One user of an audience, as the tables show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Member {
    /// Zendesk user id, as text (beyond JavaScript's safe integers in large accounts).
    pub user_id: String,
    pub name: String,
    pub email: Option<String>,
    /// The number as Zendesk had it.
    pub phone_raw: Option<String>,
    /// E.164, when valid.
    pub phone: Option<String>,
    pub phone_source: Option<PhoneSource>,
    pub reason: Option<ExclusionReason>,
    /// What exactly (the missing field, the broken rule…).
    pub detail: Option<Text>,
    pub overridden: bool,
    /// What kind of line the number is.
    pub phone_kind: Option<crate::phone::NumberKind>,
    /// The extension dropped from the number as written (a message cannot dial it).
    pub phone_extension: Option<String>,
    /// Why `phone_raw` is not a number, when it is not.
    pub phone_problem: Option<crate::phone::PhoneProblem>,
    /// An admin let this member be sent to without consent: why, and who.
    pub consent_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct MemberPage {
    pub total: u32,
    pub rows: Vec<Member>,
}

/// Which members a table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case", tag = "kind", content = "reason")]
pub enum MemberFilter {
    All,
    Eligible,
    Excluded(ExclusionReason),
}

/// A change to members made by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum MemberAction {
    /// Move blacked-out users to the allowed list (recorded on the member).
    Override,
    /// Undo an override.
    Unoverride,
    /// Take users out of the allowed list.
    Remove,
    /// Put removed users back.
    Restore,
}
