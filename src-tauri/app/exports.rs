//! Where the window's CSV exports are written: a new file in the Downloads folder (else the data
//! folder's `exports/`).

use crate::state;
use relay_core::workspace::Workspace;
use relay_core::{AppError, AppResult, ErrorCode};
use std::path::Path;

/// A new CSV file in the Downloads folder (else the data folder's `exports/`), named after
/// `stem` and the time; returns its path and the open file.
pub(crate) fn export_file(
    shell: &state::Shell,
    ws: &Workspace,
    stem: &str,
) -> AppResult<(String, std::fs::File)> {
    let dir = (shell.downloads)()
        .filter(|d| d.is_dir())
        .unwrap_or_else(|| ws.data_dir().root().join("exports"));
    let io = |e: std::io::Error, p: &Path| {
        AppError::new(
            ErrorCode::Io,
            relay_core::text!("app.export_write", path = p.display(), detail = e),
        )
        .with_path(p)
    };
    std::fs::create_dir_all(&dir).map_err(|e| io(e, &dir))?;
    let safe: String = stem
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let when = chrono::Local::now().format("%Y-%m-%d-%H%M%S");
    let path = dir.join(format!("relay-{safe}-{when}.csv"));
    let file = std::fs::File::create(&path).map_err(|e| io(e, &path))?;
    Ok((path.display().to_string(), file))
}
