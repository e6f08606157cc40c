//! A secret that passes through any logging call never reaches the log file: the real
//! `tracing` subscriber, the real file, in its own process (the subscriber is process-wide).

use relay_core::logging;
use relay_core::secrets::{MemoryStore, SecretKind, Secrets};
use std::sync::Arc;

#[test]
fn secrets_in_any_log_call_are_redacted_in_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let path = logging::init(tmp.path()).expect("logging init");

    // Secrets become known to the redactor when they are stored or read, as in the app.
    let secrets = Secrets::new(Arc::new(MemoryStore::new()), "ws");
    let token = "zdTokenABCDEF0123456789";
    secrets.set(SecretKind::ZendeskApiToken, token).unwrap();
    let header = format!("Basic {}", "YWRtaW5AYWNtZS5jb20vdG9rZW46emRUb2tlbg==");
    logging::redact_secret(&header);

    tracing::info!("plain message with {token} inside");
    tracing::warn!(token = %token, "as a display field");
    tracing::error!(?token, "as a debug field");
    tracing::info!(authorization = %header, "an auth header");
    let span = tracing::info_span!("request", secret = token);
    span.in_scope(|| tracing::info!("inside a span carrying the secret"));
    tracing::debug!("below the default level: {token}");

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("plain message with [REDACTED] inside"),
        "{text}"
    );
    assert!(text.contains("an auth header"), "{text}");
    assert!(
        !text.contains(token),
        "the token reached the log file:\n{text}"
    );
    assert!(
        !text.contains("YWRtaW5AYWNtZS5jb20vdG9rZW46emRUb2tlbg=="),
        "{text}"
    );
    assert!(text.matches("[REDACTED]").count() >= 5, "{text}");
}
