//! `relay-core`: the Relay domain, with no knowledge of Tauri, windows or the command line.
//! Everything a user can do is a method of [`workspace::Workspace`], in the module of its idea.
//!
//! - Foundations: [`error`] (the `{code, message, text, details}` contract), [`text`] (messages
//!   by code, their English and French catalogs), [`paths`] (the data
//!   folder), [`storage`] (SQLite, migrations, the database thread), [`secrets`] (the OS
//!   keychain), [`settings`] (non-secret workspace settings), [`logging`] (the redacted log
//!   file), [`workspace`] (one data folder and what it works with).
//! - The services: [`clients`] (HTTP with one retry policy and rate gate; Zendesk; Sunshine
//!   Conversations), [`connect`] (the connection test, integrations, who may send).
//! - Templates: [`template`] (model, drafts, validation, conversion per channel, previews, the
//!   library, submission), [`sms`] (encoding and segments).
//! - Sending: [`audience`] (fetch, phone numbers, exclusions, members), [`message`] (mapping,
//!   rendering, the notification payload), [`blackout`] (the ledger of who got which message),
//!   [`suppression`] (numbers never to message), [`campaign`] (freeze, send, lease, ledger,
//!   report, schedule), [`timing`] (quiet hours in each recipient's time zone, a campaign's
//!   timing), [`csv_safe`] (CSV cells that are data, never formulas).

pub mod audience;
pub mod blackout;
pub mod campaign;
pub mod channel;
pub mod clients;
pub mod connect;
pub mod consent;
pub mod csv_safe;
pub mod error;
pub mod logging;
pub mod message;
pub mod meta;
pub mod number_key;
pub mod paths;
pub mod phone;
pub mod secrets;
pub mod settings;
pub mod sms;
pub mod states;
pub mod storage;
pub mod suppression;
pub mod team;
pub mod template;
pub mod text;
pub mod timing;
pub mod workspace;

pub use error::{AppError, AppResult, ErrorCode};

/// The Relay version (the workspace's package version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
