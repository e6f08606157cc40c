//! The app-level error contract.
//!
//! Every failure that reaches the UI or the `--json` CLI output serializes as
//! `{ "code": "...", "message": "...", "details"?: ... }`. `code` is a stable machine value that the
//! UI switches on (it never matches on `message`, which is for people and may be reworded); the
//! TypeScript union is generated from [`ErrorCode`]. Module-level errors (`StorageError`,
//! `SecretError`, `rusqlite::Error`) convert into [`AppError`] at the boundary.

use crate::text::Text;
use serde::{Deserialize, Serialize};
use specta::Type;
use std::collections::BTreeMap;

/// Stable error codes. Adding a variant is fine; renaming or removing one breaks the UI contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The user gave a value that cannot be accepted; `details` maps each field to what is wrong.
    InvalidInput,
    /// Something the action needs is not configured yet (for example no Zendesk subdomain).
    NotConfigured,
    /// The thing asked for does not exist.
    NotFound,
    /// The OS keychain (Keychain, Credential Manager, Secret Service) could not be used.
    KeychainUnavailable,
    /// The local database could not be opened, migrated, read or written.
    Storage,
    /// A local file could not be read or written.
    Io,
    /// A bug: something that should not happen. The message says to report it.
    Internal,
    /// The service refused the credentials (a wrong token, key or email).
    AuthFailed,
    /// The credentials are valid but not allowed to do this (a key without access to the app, a
    /// user outside the allowed roles or groups).
    Forbidden,
    /// The service answered with a refusal about the request itself (an invalid search query, a
    /// template Meta would reject…); the message carries the service's own words.
    Rejected,
    /// The service kept answering "too many requests" after the allowed retries.
    RateLimited,
    /// The service could not be reached, or failed (DNS, TLS, timeout, 5xx) after the retries.
    Unreachable,
    /// Not now: something under way must end first (an update while a campaign is being sent).
    Busy,
}

impl ErrorCode {
    /// Every code, in declaration order (used by tests and the generated TypeScript).
    pub const ALL: [ErrorCode; 13] = [
        ErrorCode::InvalidInput,
        ErrorCode::NotConfigured,
        ErrorCode::NotFound,
        ErrorCode::KeychainUnavailable,
        ErrorCode::Storage,
        ErrorCode::Io,
        ErrorCode::Internal,
        ErrorCode::AuthFailed,
        ErrorCode::Forbidden,
        ErrorCode::Rejected,
        ErrorCode::RateLimited,
        ErrorCode::Unreachable,
        ErrorCode::Busy,
    ];

    /// The wire value (`"invalid_input"`...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::NotConfigured => "not_configured",
            ErrorCode::NotFound => "not_found",
            ErrorCode::KeychainUnavailable => "keychain_unavailable",
            ErrorCode::Storage => "storage",
            ErrorCode::Io => "io",
            ErrorCode::Internal => "internal",
            ErrorCode::AuthFailed => "auth_failed",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::Rejected => "rejected",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unreachable => "unreachable",
            ErrorCode::Busy => "busy",
        }
    }
}

/// The error every command and CLI subcommand returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    /// What happened and what to do, in English (the command line, the log).
    pub message: String,
    /// The same by code, for the window to say in the user's language.
    pub text: Text,
    /// Structured extra data; for `invalid_input`, a map of field name → problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[specta(optional)]
    pub details: Option<Box<ErrorDetails>>,
}

/// Extra data attached to an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct ErrorDetails {
    /// Field name → what is wrong with it and how to fix it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[specta(optional)]
    pub fields: BTreeMap<String, Text>,
    /// A path involved in the failure (database, settings file, log file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[specta(optional)]
    pub path: Option<String>,
}

impl AppError {
    pub fn new(code: ErrorCode, text: Text) -> Self {
        AppError {
            code,
            message: text.english(),
            text,
            details: None,
        }
    }

    /// An `invalid_input` error for one or more fields.
    pub fn invalid_fields(fields: BTreeMap<String, Text>) -> Self {
        let (message, text) = match fields.iter().next() {
            Some((field, problem)) if fields.len() == 1 => {
                (format!("{field}: {}", problem.english()), problem.clone())
            }
            _ => {
                let text = crate::text!("error.fields", count = fields.len());
                (text.english(), text)
            }
        };
        AppError {
            code: ErrorCode::InvalidInput,
            message,
            text,
            details: Some(Box::new(ErrorDetails { fields, path: None })),
        }
    }

    pub fn invalid_field(field: &str, problem: Text) -> Self {
        let mut fields = BTreeMap::new();
        fields.insert(field.to_string(), problem);
        Self::invalid_fields(fields)
    }

    pub fn with_path(mut self, path: &std::path::Path) -> Self {
        let details = self.details.get_or_insert_with(|| {
            Box::new(ErrorDetails {
                fields: BTreeMap::new(),
                path: None,
            })
        });
        details.path = Some(path.display().to_string());
        self
    }

    pub fn internal(what: impl std::fmt::Display) -> Self {
        AppError::new(
            ErrorCode::Internal,
            crate::text!("error.internal", what = what),
        )
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// A CSV (an export, a report) could not be written.
pub fn csv_write(e: impl std::fmt::Display) -> AppError {
    AppError::new(ErrorCode::Io, crate::text!("error.csv_write", detail = e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_code_serializes_to_its_stable_snake_case_value() {
        // The UI switches on these exact strings: a rename here must fail this test.
        let expected = [
            "invalid_input",
            "not_configured",
            "not_found",
            "keychain_unavailable",
            "storage",
            "io",
            "internal",
            "auth_failed",
            "forbidden",
            "rejected",
            "rate_limited",
            "unreachable",
        ];
        for (code, want) in ErrorCode::ALL.iter().zip(expected) {
            assert_eq!(serde_json::to_value(code).unwrap(), json!(want));
            assert_eq!(code.as_str(), want, "as_str must agree with serde");
        }
    }

    #[test]
    fn exact_json_of_each_code_without_details() {
        // The contract: `code`, the English `message`, the `text` by code, and no `details` key
        // when there are none.
        for code in ErrorCode::ALL {
            let err = AppError::new(code, crate::text!("error.internal", what = "x"));
            assert_eq!(
                serde_json::to_value(&err).unwrap(),
                json!({
                    "code": code.as_str(),
                    "message": "Unexpected internal error: x. Please report it with the log file.",
                    "text": {"key": "error.internal", "params": {"what": "x"}}
                })
            );
        }
    }

    #[test]
    fn every_code_has_words_in_both_languages() {
        for code in ErrorCode::ALL {
            let t = crate::text::Text::new(&format!("error.code.{}", code.as_str()));
            for lang in [crate::text::Lang::En, crate::text::Lang::Fr] {
                assert_ne!(t.render(lang), t.key, "{code:?} in {lang:?}");
            }
        }
    }

    #[test]
    fn exact_json_of_invalid_input_with_fields() {
        let problem = Text::verbatim("must be between 0 and 365");
        let err = AppError::invalid_field("blackout_days", problem.clone());
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            json!({
                "code": "invalid_input",
                "message": "blackout_days: must be between 0 and 365",
                "text": {"key": "verbatim", "params": {"text": "must be between 0 and 365"}},
                "details": {"fields": {"blackout_days": {"key": "verbatim", "params": {"text": "must be between 0 and 365"}}}}
            })
        );
    }

    #[test]
    fn exact_json_of_storage_error_with_path() {
        let err = AppError::new(
            ErrorCode::Storage,
            Text::verbatim("The database is locked."),
        )
        .with_path(std::path::Path::new("/tmp/relay.sqlite3"));
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            json!({
                "code": "storage",
                "message": "The database is locked.",
                "text": {"key": "verbatim", "params": {"text": "The database is locked."}},
                "details": {"path": "/tmp/relay.sqlite3"}
            })
        );
    }

    #[test]
    fn several_invalid_fields_get_a_summary_message() {
        let mut fields = BTreeMap::new();
        fields.insert("a".into(), Text::verbatim("bad"));
        fields.insert("b".into(), Text::verbatim("worse"));
        let err = AppError::invalid_fields(fields);
        assert!(
            err.message.starts_with("2 settings need attention"),
            "{}",
            err.message
        );
        assert_eq!(err.text.key, "error.fields");
        assert_eq!(err.details.unwrap().fields.len(), 2);
    }

    #[test]
    fn round_trips_through_json() {
        let err = AppError::invalid_field("x", Text::verbatim("y"));
        let back: AppError = serde_json::from_value(serde_json::to_value(&err).unwrap()).unwrap();
        assert_eq!(back, err);
    }
}
