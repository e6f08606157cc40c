//! The numbers never to message: a local list (numbers in E.164, with a note and when), added by
//! hand or from a CSV file; the audience check leaves them out. Nothing else writes SQL against
//! its table.

/// The SQL condition, for the set-based audience check, that the number of the member in scope
/// (`audience_members.phone`) is on the list.
pub(crate) const PHONE_SUPPRESSED: &str =
    "audience_members.phone IN (SELECT phone FROM suppressed)";

use crate::audience::phone::{default_country, normalize_phone};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::Database;
use crate::workspace::Workspace;
use rusqlite::params;
use serde::{Deserialize, Serialize};
use specta::Type;

/// A number on the suppression list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Suppressed {
    pub phone: String,
    pub note: String,
    pub added_at: String,
}

/// What a CSV import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct ImportReport {
    pub added: u32,
    pub already: u32,
    /// Lines that hold no valid number: (line number, text).
    pub invalid: Vec<(u32, String)>,
}

/// Whether a number (E.164) is on the list of numbers never to message.
pub fn is_suppressed(db: &Database, phone: &str) -> AppResult<bool> {
    is_suppressed_in(db.connection(), phone)
}

pub(crate) fn is_suppressed_in(conn: &rusqlite::Connection, phone: &str) -> AppResult<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM suppressed WHERE phone = ?1)")?
        .query_row([phone], |r| r.get(0))?)
}

pub fn suppressed(db: &Database) -> AppResult<Vec<Suppressed>> {
    let conn = db.connection();
    let mut stmt =
        conn.prepare("SELECT phone, note, added_at FROM suppressed ORDER BY added_at DESC, phone")?;
    let rows = stmt.query_map([], |r| {
        Ok(Suppressed {
            phone: r.get(0)?,
            note: r.get(1)?,
            added_at: r.get::<_, i64>(2)?.to_string(),
        })
    })?;
    rows.map(|r| r.map_err(AppError::from)).collect()
}

/// Adds numbers (normalized; an invalid one refuses the whole call, nothing added).
pub fn suppress(
    db: &Database,
    phones: &[String],
    note: &str,
    country: Option<phonenumber::country::Id>,
    now_ms: i64,
) -> AppResult<u32> {
    let mut normalized = Vec::with_capacity(phones.len());
    for p in phones {
        match normalize_phone(p, country) {
            Some(e) => normalized.push(e),
            None => {
                return Err(AppError::invalid_field(
                    "phone",
                    crate::text!("phone.invalid", value = p),
                ))
            }
        }
    }
    insert_suppressed(db, &normalized, note, now_ms)
}

fn insert_suppressed(db: &Database, phones: &[String], note: &str, now_ms: i64) -> AppResult<u32> {
    db.write(|tx| {
        let mut added = 0;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR IGNORE INTO suppressed (phone, note, added_at) VALUES (?1, ?2, ?3)",
            )?;
            for p in phones {
                let new = stmt.execute(params![p, note, now_ms])?;
                if new > 0 {
                    crate::team::outbox::queue_suppressed(tx, p, note, false, now_ms)?;
                }
                added += new as u32;
            }
        }
        Ok(added)
    })
}

pub fn unsuppress(db: &Database, phone: &str, now_ms: i64) -> AppResult<()> {
    let n = db.write(|tx| {
        let n = tx.execute("DELETE FROM suppressed WHERE phone = ?1", [phone])?;
        if n > 0 {
            crate::team::outbox::queue_suppressed(tx, phone, "", true, now_ms)?;
        }
        Ok(n)
    })?;
    if n == 0 {
        return Err(AppError::new(
            ErrorCode::NotFound,
            crate::text!("phone.not_suppressed", phone = phone),
        ));
    }
    Ok(())
}

/// Merges a change of the team's list another desktop made: a number added (kept if here
/// already) or taken off. True when it changed this desktop's list.
pub(crate) fn merge_pulled(
    conn: &rusqlite::Connection,
    phone: &str,
    note: &str,
    removed: bool,
) -> AppResult<bool> {
    let n = if removed {
        conn.prepare_cached("DELETE FROM suppressed WHERE phone = ?1")?
            .execute([phone])?
    } else {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO suppressed (phone, note, added_at) VALUES (?1, ?2, CAST(strftime('%s', 'now') AS INTEGER) * 1000)",
        )?
        .execute(params![phone, note])?
    };
    Ok(n > 0)
}

/// Imports a CSV of numbers: the column named `phone` (or `number`, `mobile`), else the first
/// column; a header line is recognized and skipped. Valid numbers are added; invalid lines are
/// reported, not fatal.
pub fn import_suppressed(
    db: &Database,
    csv_text: &str,
    note: &str,
    country: Option<phonenumber::country::Id>,
    now_ms: i64,
) -> AppResult<ImportReport> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(csv_text.as_bytes());
    let mut column = 0;
    let mut phones = Vec::new();
    let mut invalid = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            AppError::invalid_field(
                "csv",
                crate::text!("phone.csv_line", line = i + 1, detail = e),
            )
        })?;
        if i == 0 {
            let header = record.iter().position(|h| {
                matches!(
                    h.to_ascii_lowercase().as_str(),
                    "phone" | "number" | "mobile" | "phone_number" | "téléphone" | "telephone"
                )
            });
            if let Some(c) = header {
                column = c;
                continue;
            }
        }
        let cell = record.get(column).unwrap_or_default();
        if cell.is_empty() && record.iter().all(str::is_empty) {
            continue;
        }
        match normalize_phone(cell, country) {
            Some(e) => phones.push(e),
            None => invalid.push(((i + 1) as u32, cell.to_string())),
        }
    }
    let total = phones.len() as u32;
    phones.sort();
    phones.dedup();
    let added = insert_suppressed(db, &phones, note, now_ms)?;
    Ok(ImportReport {
        added,
        already: total - added,
        invalid,
    })
}

impl Workspace {
    pub fn suppressed_numbers(&self) -> AppResult<Vec<Suppressed>> {
        suppressed(&self.db())
    }

    pub fn suppress_numbers(&self, phones: &[String], note: &str) -> AppResult<u32> {
        let country = default_country(&self.settings()?.default_country);
        suppress(&self.db(), phones, note, country, self.now_ms())
    }

    pub fn unsuppress_number(&self, phone: &str) -> AppResult<()> {
        unsuppress(&self.db(), phone, self.now_ms())
    }

    pub fn import_suppressed(&self, csv_text: &str, note: &str) -> AppResult<ImportReport> {
        let country = default_country(&self.settings()?.default_country);
        import_suppressed(&self.db(), csv_text, note, country, self.now_ms())
    }
}
