//! `relay-core`: the Relay domain, with no knowledge of Tauri, windows or the command line.
//!
//! Modules: [`error`] (the `{code, message, details}` contract), [`paths`] (the data folder),
//! [`storage`] (SQLite, migrations), [`secrets`] (OS keychain), [`settings`] (non-secret workspace
//! settings), [`logging`] (redacted log file), [`workspace`] (what a user can do, as functions).

pub mod audience;
pub mod campaign;
pub mod clients;
pub mod connect;
pub mod csv_safe;
pub mod error;
pub mod logging;
pub mod paths;
pub mod secrets;
pub mod settings;
pub mod sms;
pub mod storage;
pub mod template;
pub mod workspace;

pub use error::{AppError, AppResult, ErrorCode};

/// The Relay version (the workspace's package version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
