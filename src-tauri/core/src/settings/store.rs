//! Where the settings live: a backend (the settings file, or one in memory for tests) that loads,
//! saves and updates them under a lock, so the app and the CLI never overwrite each other.

use crate::error::{AppError, AppResult, ErrorCode};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// Where non-secret settings are persisted.
pub trait SettingsBackend: Send + Sync {
    fn load(&self) -> AppResult<Map<String, Value>>;
    fn save(&self, map: &Map<String, Value>) -> AppResult<()>;
    /// A path or name shown to the user.
    fn location(&self) -> String;

    /// Reads, changes with `f`, writes back — with no other writer in between where the
    /// backend can promise it (the file one locks).
    fn update(&self, f: &mut dyn FnMut(&mut Map<String, Value>) -> AppResult<()>) -> AppResult<()> {
        let mut map = self.load()?;
        f(&mut map)?;
        self.save(&map)
    }
}

/// The settings file, `settings.json` in the data folder, read and written by the app and the
/// CLI alike: written whole to a temporary file then renamed (a crash never leaves half a file),
/// and changed under a lock (`settings.json.lock`), so the app and the CLI never write over each
/// other's change.
pub struct JsonFileBackend {
    path: PathBuf,
}

impl JsonFileBackend {
    pub fn new(path: &Path) -> Self {
        JsonFileBackend {
            path: path.to_path_buf(),
        }
    }
}

impl SettingsBackend for JsonFileBackend {
    fn load(&self) -> AppResult<Map<String, Value>> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Map::new()),
            Err(e) => {
                return Err(AppError::new(
                    ErrorCode::Io,
                    crate::text!("settings.read", path = self.path.display(), detail = e),
                )
                .with_path(&self.path))
            }
        };
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(Map::new());
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(AppError::new(
                ErrorCode::InvalidInput,
                crate::text!("settings.not_object", path = self.path.display()),
            )
            .with_path(&self.path)),
        }
    }

    fn save(&self, map: &Map<String, Value>) -> AppResult<()> {
        let io_err = |e: std::io::Error| {
            AppError::new(
                ErrorCode::Io,
                crate::text!("settings.write", path = self.path.display(), detail = e),
            )
            .with_path(&self.path)
        };
        let text = serde_json::to_vec_pretty(map).map_err(AppError::internal)?;
        // Write, sync, then rename: a crash or a power loss never leaves a half-written
        // settings file (the old one or the new one, whole).
        let tmp = self.path.with_extension("json.tmp");
        let mut file = std::fs::File::create(&tmp).map_err(io_err)?;
        std::io::Write::write_all(&mut file, &text).map_err(io_err)?;
        file.sync_all().map_err(io_err)?;
        drop(file);
        std::fs::rename(&tmp, &self.path).map_err(io_err)?;
        Ok(())
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn update(&self, f: &mut dyn FnMut(&mut Map<String, Value>) -> AppResult<()>) -> AppResult<()> {
        let lock_path = self.path.with_extension("json.lock");
        let io_err = |e: std::io::Error| {
            AppError::new(
                ErrorCode::Io,
                crate::text!("settings.lock", path = lock_path.display(), detail = e),
            )
            .with_path(&lock_path)
        };
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err)?;
        // Held for a read and a write: milliseconds.
        lock.lock().map_err(io_err)?;
        let mut map = self.load()?;
        f(&mut map)?;
        self.save(&map)
    }
}
