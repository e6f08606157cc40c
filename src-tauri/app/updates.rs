//! Signed updates, through `tauri-plugin-updater`: a check at start (never while a campaign is
//! being sent), *Check for updates* in Settings → About, and the install, refused while a
//! campaign is being sent. Every package is verified against the public key built into Relay
//! (`plugins.updater.pubkey` in tauri.conf.json) before anything is installed; the manifest's
//! address is the `update_url` setting, else the one this build was released with.

use crate::state::AppState;
use relay_core::{text, AppError, ErrorCode};
use serde::Serialize;
use specta::Type;
use std::sync::Mutex;
use tauri::Url;
use tauri_plugin_updater::{Error as UpdaterError, Update, Updater};

/// Makes an updater for a manifest address (`None`: the address this build was released with).
pub type MakeUpdater =
    Box<dyn Fn(Option<Url>) -> Result<Updater, UpdaterError> + Send + Sync + 'static>;

/// A newer, signed release.
#[derive(Debug, Clone, Serialize, Type)]
pub struct AvailableUpdate {
    pub version: String,
    /// The release notes, as the manifest gives them.
    pub notes: Option<String>,
    /// When it was published (RFC 3339), if the manifest says.
    pub date: Option<String>,
}

/// What the last check found.
#[derive(Debug, Clone, Serialize, Type)]
pub struct UpdateCheck {
    /// This build's version.
    pub current: String,
    /// A newer release, or none: this build is the newest.
    pub available: Option<AvailableUpdate>,
    /// When the check was made (RFC 3339).
    pub checked_at: String,
}

/// The updater's state in the shell: the last check, and the release it found (kept to install).
#[derive(Default)]
pub struct Updates {
    last: Mutex<Option<UpdateCheck>>,
    found: Mutex<Option<Update>>,
}

impl Updates {
    pub fn last(&self) -> Option<UpdateCheck> {
        self.last.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Why nothing may be updated now: a campaign being sent from this data folder (by this window,
/// another window or the CLI).
fn blocker(state: &AppState) -> Result<Option<AppError>, AppError> {
    if let Some(why) = state.workspace()?.update_blocker()? {
        return Ok(Some(AppError::new(ErrorCode::Busy, why)));
    }
    if state.active_runs() > 0 {
        let why = text!("update.busy_window");
        return Ok(Some(AppError::new(ErrorCode::Busy, why)));
    }
    Ok(None)
}

fn updater(state: &AppState) -> Result<Updater, AppError> {
    let setting = state.workspace()?.settings()?.update_url;
    let url = if setting.is_empty() {
        None
    } else {
        let url = relay_core::settings::check_update_url(&setting)
            .map_err(|t| AppError::new(ErrorCode::InvalidInput, t))?;
        Some(Url::parse(url.as_str()).map_err(|e| AppError::internal(e.to_string()))?)
    };
    (state.shell.updater)(url).map_err(error)
}

/// Asks the manifest whether a newer signed release exists, and keeps what it found.
pub async fn check(state: &AppState) -> Result<UpdateCheck, AppError> {
    let updater = updater(state)?;
    let found = updater.check().await.map_err(error)?;
    let result = UpdateCheck {
        current: env!("CARGO_PKG_VERSION").to_string(),
        available: found.as_ref().map(|u| AvailableUpdate {
            version: u.version.clone(),
            notes: u.body.clone(),
            date: u.date.and_then(|d| {
                chrono::DateTime::from_timestamp(d.unix_timestamp(), d.nanosecond())
                    .map(|d| d.to_rfc3339())
            }),
        }),
        checked_at: chrono::Utc::now().to_rfc3339(),
    };
    *state
        .updates
        .found
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = found;
    *state.updates.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(result.clone());
    Ok(result)
}

/// The check made when the app starts: skipped while a campaign is being sent (it would compete
/// with the send for nothing), and quiet when it fails (Settings → About says why on demand).
pub async fn check_at_start(state: &AppState) {
    match blocker(state) {
        Ok(None) => {}
        Ok(Some(_)) => {
            tracing::info!("a campaign is being sent: no update check at start");
            return;
        }
        Err(_) => return,
    }
    match check(state).await {
        Ok(c) => match c.available {
            Some(u) => tracing::info!("Relay {} is available", u.version),
            None => tracing::info!("no update: this is the newest Relay"),
        },
        Err(e) => tracing::info!(code = e.code.as_str(), "no update check: {}", e.message),
    }
}

/// Downloads the release the last check found, verifies its signature, installs it and restarts
/// Relay. Refused while a campaign is being sent.
pub async fn install(state: &AppState) -> Result<(), AppError> {
    if let Some(busy) = blocker(state)? {
        return Err(busy);
    }
    let (update, bytes) = download(state).await?;
    // Checked again: a send may have started during the download.
    if let Some(busy) = blocker(state)? {
        return Err(busy);
    }
    tracing::info!("installing Relay {}", update.version);
    update.install(bytes).map_err(error)?;
    (state.shell.restart)();
    Ok(())
}

/// The package of the release the last check found, verified against the built-in public key
/// (and the version it was signed for); never returned otherwise.
pub async fn download(state: &AppState) -> Result<(Update, Vec<u8>), AppError> {
    let update = state
        .updates
        .found
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, text!("update.nothing_found")))?;
    let bytes = update.download(|_, _| {}, || {}).await.map_err(error)?;
    Ok((update, bytes))
}

/// The updater's errors by kind, said to a person.
pub fn error(e: UpdaterError) -> AppError {
    use UpdaterError as E;
    let detail = e.to_string();
    let (code, text) = match &e {
        E::EmptyEndpoints => (ErrorCode::NotConfigured, text!("update.no_address")),
        E::InsecureTransportProtocol => (ErrorCode::InvalidInput, text!("url.update_not_https")),
        E::Reqwest(_) | E::Network(_) | E::Io(_) => (
            ErrorCode::Unreachable,
            text!("update.unreachable", detail = detail),
        ),
        E::ReleaseNotFound | E::Serialization(_) | E::Semver(_) | E::UrlParse(_) => (
            ErrorCode::Rejected,
            text!("update.bad_manifest", detail = detail),
        ),
        E::TargetNotFound(_) | E::TargetsNotFound(_) => (
            ErrorCode::NotFound,
            text!("update.not_for_this_system", detail = detail),
        ),
        E::Minisign(_)
        | E::Base64(_)
        | E::SignatureUtf8(_)
        | E::SignedVersionMismatch { .. }
        | E::MissingSignedVersion => (
            ErrorCode::Rejected,
            text!("update.signature", detail = detail),
        ),
        E::AuthenticationFailed => (ErrorCode::Forbidden, text!("update.not_allowed")),
        _ => (
            ErrorCode::Internal,
            text!("update.install_failed", detail = detail),
        ),
    };
    AppError::new(code, text)
}
