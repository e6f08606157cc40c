//! Where Relay keeps its files.
//!
//! One data folder holds everything that is not secret: the SQLite database, the settings file
//! (`settings.json`, which the app and the CLI share) and the logs. It is, in order:
//! the `--data-dir` flag, the `RELAY_DATA_DIR` environment variable, or the OS data folder joined
//! with the app identifier (the same folder Tauri calls `app_data_dir`).

use crate::error::{AppError, AppResult, ErrorCode};
use std::path::{Path, PathBuf};

/// The bundle identifier (also in `tauri.conf.json`); names the data folder and keychain service.
pub const APP_IDENTIFIER: &str = "app.relay.desktop";
/// Environment variable that overrides the data folder (used by every test).
pub const DATA_DIR_ENV: &str = "RELAY_DATA_DIR";

pub const DATABASE_FILE: &str = "relay.sqlite3";
pub const SETTINGS_FILE: &str = "settings.json";
pub const LOG_DIR: &str = "logs";

/// The resolved folders of one Relay data folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// Resolves the data folder from an explicit flag, then the environment, then the OS default.
    pub fn resolve(flag: Option<&Path>) -> AppResult<Self> {
        if let Some(dir) = flag {
            return Self::at(dir);
        }
        if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
            return Self::at(Path::new(&dir));
        }
        let base = dirs::data_dir().ok_or_else(|| {
            AppError::new(
                ErrorCode::Io,
                crate::text!("paths.no_data_dir", env = DATA_DIR_ENV),
            )
        })?;
        Self::at(&base.join(APP_IDENTIFIER))
    }

    /// Uses `dir` as the data folder, creating it if needed.
    pub fn at(dir: &Path) -> AppResult<Self> {
        let root = if dir.is_absolute() {
            dir.to_path_buf()
        } else {
            std::env::current_dir()
                .map_err(|e| {
                    AppError::new(ErrorCode::Io, crate::text!("paths.current", detail = e))
                })?
                .join(dir)
        };
        std::fs::create_dir_all(&root).map_err(|e| {
            AppError::new(
                ErrorCode::Io,
                crate::text!("paths.create", path = root.display(), detail = e),
            )
            .with_path(&root)
        })?;
        if root.exists() && !root.is_dir() {
            return Err(AppError::new(
                ErrorCode::Io,
                crate::text!("paths.is_file", path = root.display()),
            ));
        }
        Ok(DataDir { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn database(&self) -> PathBuf {
        self.root.join(DATABASE_FILE)
    }
    pub fn settings_file(&self) -> PathBuf {
        self.root.join(SETTINGS_FILE)
    }
    pub fn log_dir(&self) -> PathBuf {
        self.root.join(LOG_DIR)
    }
    /// Lock files: one per campaign, held by the process sending it.
    pub fn lock_dir(&self) -> PathBuf {
        self.root.join("locks")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_folder_wins_and_is_created() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("nested/data");
        let d = DataDir::resolve(Some(&dir)).unwrap();
        assert_eq!(d.root(), dir);
        assert!(dir.is_dir(), "the folder must exist after resolve");
        assert_eq!(d.database(), dir.join("relay.sqlite3"));
        assert_eq!(d.settings_file(), dir.join("settings.json"));
    }

    #[test]
    fn a_file_in_the_way_is_a_clear_error() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("file");
        std::fs::write(&file, "x").unwrap();
        let err = DataDir::at(&file).unwrap_err();
        assert_eq!(err.code, ErrorCode::Io);
        assert!(err.message.contains("Choose a folder"), "{}", err.message);
    }
}
