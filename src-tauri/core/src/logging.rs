//! Logs go through `tracing` to `logs/relay.log` in the data folder, and every line passes a
//! redaction step first: any value registered with [`redact_secret`] (every secret read from or
//! written to the keychain, every auth header a client builds) is replaced by `[REDACTED]` before
//! the line reaches the file, whatever log call carried it. Panics are logged through the same
//! path, so crash output is redacted too.

use crate::error::{AppError, AppResult, ErrorCode};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, RwLock};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

pub const REDACTED: &str = "[REDACTED]";
pub const LOG_FILE: &str = "relay.log";
/// Environment variable with a `tracing` filter (default `info`).
pub const LOG_FILTER_ENV: &str = "RELAY_LOG";
/// A log file above this size is rotated to `relay.log.1` when the app starts.
const ROTATE_BYTES: u64 = 10 * 1024 * 1024;
/// Values shorter than this are not registered: redacting "a" would shred every line.
const MIN_SECRET_LEN: usize = 4;

static SECRETS: LazyLock<RwLock<Vec<String>>> = LazyLock::new(|| RwLock::new(Vec::new()));

/// Registers a value that must never appear in a log line.
pub fn redact_secret(value: &str) {
    let value = value.trim();
    if value.len() < MIN_SECRET_LEN {
        return;
    }
    let mut list = SECRETS.write().unwrap_or_else(|p| p.into_inner());
    if !list.iter().any(|s| s == value) {
        list.push(value.to_string());
        // Longest first, so a secret that contains another is replaced whole.
        list.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// Replaces every registered secret in `text`.
pub fn redact(text: &str) -> String {
    let list = SECRETS.read().unwrap_or_else(|p| p.into_inner());
    let mut out = text.to_string();
    for secret in list.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), REDACTED);
        }
    }
    out
}

/// A `MakeWriter` that redacts each formatted event before appending it to the log file.
#[derive(Clone)]
pub struct RedactingFile {
    file: Arc<Mutex<File>>,
}

impl RedactingFile {
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(RedactingFile {
            file: Arc::new(Mutex::new(file)),
        })
    }
}

/// Buffers one event and writes it, redacted, when dropped.
pub struct EventWriter {
    file: Arc<Mutex<File>>,
    buf: Vec<u8>,
}

impl Write for EventWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let line = redact(&String::from_utf8_lossy(&self.buf));
        self.buf.clear();
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(line.as_bytes())?;
        file.flush()
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

impl<'a> MakeWriter<'a> for RedactingFile {
    type Writer = EventWriter;
    fn make_writer(&'a self) -> Self::Writer {
        EventWriter {
            file: self.file.clone(),
            buf: Vec::with_capacity(256),
        }
    }
}

/// Sets up logging to `log_dir/relay.log` for the whole process. Returns the log file path.
/// Calling it again (tests, a second command in one process) keeps the first setup.
pub fn init(log_dir: &Path) -> AppResult<PathBuf> {
    std::fs::create_dir_all(log_dir).map_err(|e| {
        AppError::new(
            ErrorCode::Io,
            crate::text!("log.folder", path = log_dir.display(), detail = e),
        )
        .with_path(log_dir)
    })?;
    let path = log_dir.join(LOG_FILE);
    rotate_if_large(&path);
    let writer = RedactingFile::open(&path).map_err(|e| {
        AppError::new(
            ErrorCode::Io,
            crate::text!("log.file", path = path.display(), detail = e),
        )
        .with_path(&path)
    })?;
    let filter = EnvFilter::try_from_env(LOG_FILTER_ENV).unwrap_or_else(|_| EnvFilter::new("info"));
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .with_target(true),
        )
        .try_init()
        .is_ok();
    if installed {
        install_panic_hook();
    }
    Ok(path)
}

fn rotate_if_large(path: &Path) {
    if std::fs::metadata(path)
        .map(|m| m.len() > ROTATE_BYTES)
        .unwrap_or(false)
    {
        let _ = std::fs::rename(path, path.with_extension("log.1"));
    }
}

fn install_panic_hook() {
    // Replaces the default hook, which would print the raw payload to stderr.
    std::panic::set_hook(Box::new(move |info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        tracing::error!(location, "panic: {}", payload);
        eprintln!("Relay crashed at {location}: {}", redact(&payload));
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_replaces_registered_values_longest_first() {
        redact_secret("tok_abcdef");
        redact_secret("tok_abcdef_longer");
        redact_secret("ab"); // too short to register
        let out = redact("a tok_abcdef_longer and tok_abcdef and ab");
        assert_eq!(out, "a [REDACTED] and [REDACTED] and ab");
    }

    #[test]
    fn the_writer_redacts_whatever_the_log_call() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("t.log");
        let file = RedactingFile::open(&path).unwrap();
        redact_secret("zd-token-1234567890");
        {
            let mut w = file.make_writer();
            // Split across writes, as a formatter may do: redaction sees the whole event.
            w.write_all(b"Authorization token=zd-token-12").unwrap();
            w.write_all(b"34567890 end\n").unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "Authorization token=[REDACTED] end\n");
    }
}
