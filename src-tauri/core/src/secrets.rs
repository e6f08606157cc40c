//! Secrets live only in the OS keychain (Keychain on macOS, Credential Manager on Windows,
//! Secret Service on Linux) through the `keyring` crate. Nothing else in Relay ever stores them:
//! the UI and `relay settings show` only learn whether each one is set.
//!
//! Entries are filed under the service [`KEYCHAIN_SERVICE`] with the account
//! `{workspace_id}:{secret}`, so two data folders never share or overwrite each other's secrets.

use crate::error::{AppError, ErrorCode};
use crate::logging;
use crate::text::Text;
use base64::Engine;
use serde::{Deserialize, Serialize};
use specta::Type;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const KEYCHAIN_SERVICE: &str = "app.relay.desktop";
const MAX_SECRET_LEN: usize = 4096;

/// The secrets Relay knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    /// The Zendesk API token paired with the admin email (`email/token:TOKEN`).
    ZendeskApiToken,
    /// The secret of the Sunshine Conversations API key.
    SunshineKeySecret,
}

impl SecretKind {
    pub const ALL: [SecretKind; 2] = [SecretKind::ZendeskApiToken, SecretKind::SunshineKeySecret];

    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::ZendeskApiToken => "zendesk_api_token",
            SecretKind::SunshineKeySecret => "sunshine_key_secret",
        }
    }

    /// Its name, in words.
    pub fn label(self) -> Text {
        match self {
            SecretKind::ZendeskApiToken => crate::text!("secret.zendesk_api_token"),
            SecretKind::SunshineKeySecret => crate::text!("secret.sunshine_key_secret"),
        }
    }

    pub fn parse(name: &str) -> Option<SecretKind> {
        SecretKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// A secret as it may be given (`relay settings set-secret NAME`): one of the secrets, or the
/// base64 `keyId:secret` token of the Relay instructions, which sets the key id and its secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::VariantNames)]
#[strum(serialize_all = "snake_case")]
pub enum SecretInput {
    ZendeskApiToken,
    SunshineKeySecret,
    SunshineToken,
}

/// Whether each secret is set. This is all the UI ever learns about secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct SecretStatus {
    pub zendesk_api_token: bool,
    pub sunshine_key_secret: bool,
}

/// Failures of the keychain layer.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the keychain is unavailable: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Invalid(Text),
}

impl From<SecretError> for AppError {
    fn from(e: SecretError) -> Self {
        match e {
            SecretError::Unavailable(why) => AppError::new(
                ErrorCode::KeychainUnavailable,
                crate::text!("secret.keychain", detail = why),
            ),
            SecretError::Invalid(why) => AppError::new(ErrorCode::InvalidInput, why),
        }
    }
}

/// A place secrets can be kept. The real one is [`KeyringStore`]; tests use [`MemoryStore`].
pub trait SecretStore: Send + Sync {
    fn get(&self, account: &str) -> Result<Option<String>, SecretError>;
    fn set(&self, account: &str, value: &str) -> Result<(), SecretError>;
    /// Removes the entry; removing an absent entry is not an error.
    fn delete(&self, account: &str) -> Result<(), SecretError>;
}

/// The OS keychain.
#[derive(Debug, Default, Clone)]
pub struct KeyringStore;

fn keyring_error(e: keyring::Error) -> SecretError {
    // The keyring error text names the platform failure and never contains the secret.
    SecretError::Unavailable(e.to_string())
}

/// One Secret Service session at a time in this process: sessions negotiated at once are what
/// crashes GNOME Keyring (gnome-keyring#196, see [`REUSE_FOR`]).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

impl SecretStore for KeyringStore {
    fn get(&self, account: &str) -> Result<Option<String>, SecretError> {
        let _turn = one_at_a_time();
        let entry = keyring::Entry::new(KEYCHAIN_SERVICE, account).map_err(keyring_error)?;
        match entry.get_password() {
            Ok(v) => Ok(Some(v)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    fn set(&self, account: &str, value: &str) -> Result<(), SecretError> {
        let _turn = one_at_a_time();
        let entry = keyring::Entry::new(KEYCHAIN_SERVICE, account).map_err(keyring_error)?;
        entry.set_password(value).map_err(keyring_error)
    }

    fn delete(&self, account: &str) -> Result<(), SecretError> {
        let _turn = one_at_a_time();
        let entry = keyring::Entry::new(KEYCHAIN_SERVICE, account).map_err(keyring_error)?;
        match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_error(e)),
        }
    }
}

/// An in-process store for unit tests of code above the keychain.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    entries: Arc<Mutex<HashMap<String, String>>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, account: &str) -> Result<Option<String>, SecretError> {
        Ok(self.lock().get(account).cloned())
    }
    fn set(&self, account: &str, value: &str) -> Result<(), SecretError> {
        self.lock().insert(account.to_string(), value.to_string());
        Ok(())
    }
    fn delete(&self, account: &str) -> Result<(), SecretError> {
        self.lock().remove(account);
        Ok(())
    }
}

/// How long a secret read from the keychain is reused by the clients of this process
/// ([`Secrets::require_recent`]; explicit reads always go to the keychain). Each keychain read opens
/// a Secret Service session; a send's requests and heartbeats would otherwise open several a
/// second, and concurrent sessions from several processes are what crashes GNOME Keyring
/// (gnome-keyring#196: an `OpenSession` racing its client's record). A change made elsewhere (the
/// CLI on the same data folder) is seen after this long; one made here, at once.
const REUSE_FOR: std::time::Duration = std::time::Duration::from_secs(10);

type Reads = HashMap<String, (std::time::Instant, Option<String>)>;

/// The secrets of one workspace.
#[derive(Clone)]
pub struct Secrets {
    store: Arc<dyn SecretStore>,
    workspace_id: String,
    /// Recent reads, by account (memory only, never written anywhere).
    recent: Arc<Mutex<Reads>>,
}

impl Secrets {
    pub fn new(store: Arc<dyn SecretStore>, workspace_id: impl Into<String>) -> Self {
        Secrets {
            store,
            workspace_id: workspace_id.into(),
            recent: Arc::default(),
        }
    }

    fn recent(&self) -> std::sync::MutexGuard<'_, Reads> {
        self.recent.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The keychain account name of a secret of this workspace.
    pub fn account(&self, kind: SecretKind) -> String {
        format!("{}:{}", self.workspace_id, kind.as_str())
    }

    /// The secret as the keychain has it now.
    pub fn get(&self, kind: SecretKind) -> Result<Option<String>, SecretError> {
        let account = self.account(kind);
        let value = self.store.get(&account)?;
        if let Some(v) = &value {
            logging::redact_secret(v);
        }
        self.recent()
            .insert(account, (std::time::Instant::now(), value.clone()));
        Ok(value)
    }

    /// A secret that must be set for what comes next; `not_configured` saying where to set it.
    /// Read from the keychain now (a connection test, a status: what is there).
    pub fn require(&self, kind: SecretKind) -> Result<String, AppError> {
        let value = self.get(kind)?;
        Self::required(kind, value)
    }

    /// [`Secrets::require`] for the clients of a send, a sync or a heartbeat: a read of the
    /// last [`REUSE_FOR`] is reused rather than opening another keychain session.
    pub fn require_recent(&self, kind: SecretKind) -> Result<String, AppError> {
        let recent = self
            .recent()
            .get(&self.account(kind))
            .filter(|(at, _)| at.elapsed() < REUSE_FOR)
            .map(|(_, value)| value.clone());
        let value = match recent {
            Some(value) => value,
            None => self.get(kind)?,
        };
        Self::required(kind, value)
    }

    fn required(kind: SecretKind, value: Option<String>) -> Result<String, AppError> {
        value.ok_or_else(|| {
            AppError::new(
                ErrorCode::NotConfigured,
                crate::text!("secret.not_set", label => kind.label()),
            )
        })
    }

    /// Validates and stores a secret. Invalid input changes nothing.
    pub fn set(&self, kind: SecretKind, value: &str) -> Result<(), SecretError> {
        let value = validate_secret(kind, value)?;
        logging::redact_secret(value);
        let account = self.account(kind);
        self.recent().remove(&account);
        self.store.set(&account, value)?;
        tracing::info!(secret = kind.as_str(), "secret saved to the keychain");
        Ok(())
    }

    pub fn clear(&self, kind: SecretKind) -> Result<(), SecretError> {
        let account = self.account(kind);
        self.recent().remove(&account);
        self.store.delete(&account)?;
        tracing::info!(secret = kind.as_str(), "secret removed from the keychain");
        Ok(())
    }

    /// A value Relay makes and keeps itself (the team's number key), under `name`: never shown,
    /// never asked of the user.
    pub(crate) fn get_own(&self, name: &str) -> Result<Option<String>, SecretError> {
        let value = self.store.get(&format!("{}:{name}", self.workspace_id))?;
        if let Some(v) = &value {
            logging::redact_secret(v);
        }
        Ok(value)
    }

    pub(crate) fn set_own(&self, name: &str, value: &str) -> Result<(), SecretError> {
        logging::redact_secret(value);
        self.store
            .set(&format!("{}:{name}", self.workspace_id), value)
    }

    pub fn status(&self) -> Result<SecretStatus, SecretError> {
        Ok(SecretStatus {
            zendesk_api_token: self.get(SecretKind::ZendeskApiToken)?.is_some(),
            sunshine_key_secret: self.get(SecretKind::SunshineKeySecret)?.is_some(),
        })
    }
}

/// Trims surrounding whitespace (a pasted token often carries a newline) and rejects what cannot
/// be a secret, naming the secret but never echoing its value.
pub fn validate_secret(kind: SecretKind, value: &str) -> Result<&str, SecretError> {
    let v = value.trim();
    let label = kind.label();
    if v.is_empty() {
        return Err(SecretError::Invalid(
            crate::text!("secret.empty", label => label),
        ));
    }
    if v.len() > MAX_SECRET_LEN {
        return Err(SecretError::Invalid(crate::text!(
            "secret.too_long",
            label => label,
            length = v.len(),
            max = MAX_SECRET_LEN
        )));
    }
    if v.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(SecretError::Invalid(
            crate::text!("secret.spaces", label => label),
        ));
    }
    Ok(v)
}

/// A Sunshine Conversations key id and secret, decoded from the base64 `keyId:secret` token that
/// the Relay instructions have admins build with `echo -n "id:secret" | base64`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SunshineKeyToken {
    pub key_id: String,
    pub secret: String,
}

/// Decodes and checks a base64 `keyId:secret` token.
pub fn parse_sunshine_token(token: &str) -> Result<SunshineKeyToken, SecretError> {
    let t: String = token.chars().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() {
        return Err(SecretError::Invalid(crate::text!("token.empty")));
    }
    let engine = base64::engine::general_purpose::STANDARD;
    let bytes = engine
        .decode(&t)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(&t))
        .map_err(|_| SecretError::Invalid(crate::text!("token.not_base64")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| SecretError::Invalid(crate::text!("token.not_text")))?;
    let (key_id, secret) = text
        .split_once(':')
        .ok_or_else(|| SecretError::Invalid(crate::text!("token.no_colon")))?;
    let key_id = key_id.trim();
    let secret = secret.trim();
    if key_id.is_empty() || secret.is_empty() {
        return Err(SecretError::Invalid(crate::text!("token.empty_part")));
    }
    if key_id.chars().any(|c| c.is_whitespace() || c.is_control()) || secret.contains(':') {
        return Err(SecretError::Invalid(crate::text!("token.shape")));
    }
    validate_secret(SecretKind::SunshineKeySecret, secret)?;
    Ok(SunshineKeyToken {
        key_id: key_id.to_string(),
        secret: secret.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> Secrets {
        Secrets::new(Arc::new(MemoryStore::new()), "ws1")
    }

    /// Counts the reads that reach the store.
    #[derive(Default)]
    struct Counting {
        inner: MemoryStore,
        reads: std::sync::atomic::AtomicUsize,
    }

    impl SecretStore for Counting {
        fn get(&self, account: &str) -> Result<Option<String>, SecretError> {
            self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.inner.get(account)
        }
        fn set(&self, account: &str, value: &str) -> Result<(), SecretError> {
            self.inner.set(account, value)
        }
        fn delete(&self, account: &str) -> Result<(), SecretError> {
            self.inner.delete(account)
        }
    }

    #[test]
    fn a_secret_read_is_reused_a_moment_by_clients_and_a_change_here_is_seen_at_once() {
        let store = Arc::new(Counting::default());
        let s = Secrets::new(store.clone(), "ws1");
        let reads = || store.reads.load(std::sync::atomic::Ordering::SeqCst);
        s.set(SecretKind::ZendeskApiToken, "abc123").unwrap();
        for _ in 0..5 {
            assert_eq!(
                s.require_recent(SecretKind::ZendeskApiToken).unwrap(),
                "abc123"
            );
        }
        assert_eq!(reads(), 1, "one keychain read for five uses");
        s.set(SecretKind::ZendeskApiToken, "def456").unwrap();
        assert_eq!(
            s.require_recent(SecretKind::ZendeskApiToken).unwrap(),
            "def456"
        );
        s.clone().clear(SecretKind::ZendeskApiToken).unwrap();
        assert!(
            s.require_recent(SecretKind::ZendeskApiToken).is_err(),
            "a clone shares it"
        );
        assert_eq!(reads(), 3);
        // An explicit read, a status or a connection test, asks the keychain every time.
        store
            .inner
            .set("ws1:zendesk_api_token", "elsewhere")
            .unwrap();
        assert_eq!(s.require(SecretKind::ZendeskApiToken).unwrap(), "elsewhere");
        assert!(s.status().unwrap().zendesk_api_token);
        assert_eq!(reads(), 6);
        // ... and what it read is what the clients use next.
        assert_eq!(
            s.require_recent(SecretKind::ZendeskApiToken).unwrap(),
            "elsewhere"
        );
        assert_eq!(reads(), 6);
    }

    #[test]
    fn set_get_clear_and_status() {
        let s = secrets();
        assert_eq!(
            s.status().unwrap(),
            SecretStatus {
                zendesk_api_token: false,
                sunshine_key_secret: false
            }
        );
        s.set(SecretKind::ZendeskApiToken, "  abc123\n").unwrap();
        assert_eq!(
            s.get(SecretKind::ZendeskApiToken).unwrap().as_deref(),
            Some("abc123"),
            "trimmed"
        );
        assert!(s.status().unwrap().zendesk_api_token);
        assert!(!s.status().unwrap().sunshine_key_secret);
        s.clear(SecretKind::ZendeskApiToken).unwrap();
        assert_eq!(s.get(SecretKind::ZendeskApiToken).unwrap(), None);
        s.clear(SecretKind::ZendeskApiToken).unwrap(); // clearing twice is fine
    }

    #[test]
    fn accounts_are_scoped_by_workspace() {
        let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
        let a = Secrets::new(store.clone(), "a");
        let b = Secrets::new(store, "b");
        a.set(SecretKind::SunshineKeySecret, "one").unwrap();
        assert_eq!(
            b.get(SecretKind::SunshineKeySecret).unwrap(),
            None,
            "b must not see a's secret"
        );
        assert_eq!(
            a.account(SecretKind::SunshineKeySecret),
            "a:sunshine_key_secret"
        );
    }

    #[test]
    fn bad_secrets_are_refused_without_echoing_and_change_nothing() {
        let s = secrets();
        s.set(SecretKind::ZendeskApiToken, "old").unwrap();
        for bad in ["", "   ", "has space", "line\nbreak", &"x".repeat(5000)] {
            let err = s.set(SecretKind::ZendeskApiToken, bad).unwrap_err();
            let app: AppError = err.into();
            assert_eq!(app.code, ErrorCode::InvalidInput);
            assert!(app.message.contains("Zendesk API token"), "{}", app.message);
            if bad.len() > 3 {
                assert!(
                    !app.message.contains(bad.trim()),
                    "the message must not echo the value"
                );
            }
        }
        assert_eq!(
            s.get(SecretKind::ZendeskApiToken).unwrap().as_deref(),
            Some("old")
        );
    }

    #[test]
    fn sunshine_token_decodes_echo_n_base64() {
        // `echo -n "app_5f1234:s3cr3t-Value_x" | base64`
        let token = base64::engine::general_purpose::STANDARD.encode("app_5f1234:s3cr3t-Value_x");
        let t = parse_sunshine_token(&format!("{token}\n")).unwrap();
        assert_eq!(t.key_id, "app_5f1234");
        assert_eq!(t.secret, "s3cr3t-Value_x");
    }

    #[test]
    fn sunshine_token_errors_say_how_to_build_it() {
        let enc = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        for bad in [
            String::new(),
            "not base64 !!".to_string(),
            enc("no-colon-here"),
            enc(":secret"),
            enc("key:"),
            enc("key id:secret"),
            enc("a:b:c"),
        ] {
            let err: AppError = parse_sunshine_token(&bad).unwrap_err().into();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{bad:?}");
            assert!(err.message.contains("base64"), "{}", err.message);
        }
    }

    #[test]
    fn secret_kinds_round_trip_by_name() {
        for k in SecretKind::ALL {
            assert_eq!(SecretKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::json!(k.as_str())
            );
        }
        assert_eq!(SecretKind::parse("nope"), None);
    }
}
