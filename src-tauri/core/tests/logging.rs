//! A secret that passes through any logging call never reaches the log file: the real
//! `tracing` subscriber, the real file, in its own process (the subscriber is process-wide: the
//! tests of one process write to the one log it opens, at the debug level).

#[allow(dead_code)] // the log's tests use only the sandbox's settings
mod support;

use relay_core::clients::http::{Http, RecordingSleeper, RetryPolicy};
use relay_core::clients::sunshine::SunshineClient;
use relay_core::clients::zendesk::ZendeskClient;
use relay_core::logging;
use relay_core::secrets::{MemoryStore, SecretKind, Secrets};
use relay_sandbox::{Faults, Sandbox, SandboxConfig};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use support::settings_for;

/// The log file of this process, opened once (every level from debug on).
fn log_file() -> &'static PathBuf {
    static LOG: OnceLock<PathBuf> = OnceLock::new();
    LOG.get_or_init(|| {
        // In cargo's folder for the tests' files (target/tmp): the log outlives the tests (the
        // subscriber is never dropped), so not in a TempDir. One folder per process: nextest
        // runs each test in its own, at the same time; those of earlier runs are removed.
        let tmp = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
        let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for old in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
            let stale = old
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < hour_ago);
            if stale
                && old
                    .file_name()
                    .to_string_lossy()
                    .starts_with("relay-logging")
            {
                let _ = std::fs::remove_dir_all(old.path());
            }
        }
        let dir = tmp.join(format!("relay-logging-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::env::set_var(logging::LOG_FILTER_ENV, "debug");
        logging::init(&dir).expect("logging init")
    })
}

#[test]
fn secrets_in_any_log_call_are_redacted_in_the_file() {
    let path = log_file();

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

    let text = std::fs::read_to_string(path).unwrap();
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

#[tokio::test]
async fn a_whole_session_logs_no_secret() {
    let log = log_file();
    let sb = Sandbox::start(SandboxConfig {
        faults: Faults {
            rate_5xx: 0.3,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let http = Http::new(
        RetryPolicy {
            max_retries: 3,
            ..RetryPolicy::default()
        },
        Arc::new(RecordingSleeper::default()),
    );
    let i = sb.info();
    let zd = ZendeskClient::new(http.clone(), &settings_for(&sb), &i.zendesk_token).unwrap();
    let sc = SunshineClient::new(http.clone(), &settings_for(&sb), &i.key_secret).unwrap();
    let _ = zd.me().await;
    let _ = zd.search_count("tags:vip").await;
    let _ = sc.integrations().await;
    let _ = ZendeskClient::new(http.clone(), &settings_for(&sb), "wrong-token-123")
        .unwrap()
        .me()
        .await;
    tracing::debug!(settings = ?settings_for(&sb), "end of session");
    let text = std::fs::read_to_string(log).unwrap();
    for secret in [i.zendesk_token.as_str(), i.key_secret.as_str()] {
        assert!(!text.contains(secret), "a secret reached the log:\n{text}");
    }
}
