//! The numbers never to message: a local list (numbers in E.164, with a note, when, and what was
//! typed), added by hand or from a CSV file, read as [`crate::phone`] reads every typed number;
//! the audience check leaves them out. An entry whose typed input the current rules read as
//! another number, or none — or whose input is not known, from before letters were refused — is
//! *suspect*: listed for an admin, who adds the number again as it should be read. Nothing else
//! writes SQL against its table.

/// The SQL conditions, for the set-based audience check, that the number of the member in scope
/// (`audience_members.phone`) is on the list because its owner replied an opt-out word, or for
/// any reason; and the evidence of the first.
pub(crate) const PHONE_OPTED_OUT: &str =
    "audience_members.phone IN (SELECT phone FROM suppressed WHERE reason = 'opted_out')";
pub(crate) const PHONE_SUPPRESSED: &str =
    "(audience_members.phone IN (SELECT phone FROM suppressed)
      OR relay_number_key(audience_members.phone) IN (SELECT number_key FROM suppressed WHERE number_key IS NOT NULL))";
pub(crate) const OPT_OUT_EVIDENCE: &str =
    "(SELECT s.evidence FROM suppressed s WHERE s.phone = audience_members.phone
         OR s.number_key = relay_number_key(audience_members.phone))";

/// How a number put on the list by another desktop is kept here: by its keyed hash (the team's
/// store holds nothing else), under a name that cannot be a number.
pub fn keyed_name(key: i64) -> String {
    format!("#{key:016x}")
}

/// Whether an entry of the list is a number from another desktop known only by its hash.
pub fn is_keyed_name(phone: &str) -> bool {
    phone.starts_with('#')
}

/// Why a number is on the list.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    Type,
    strum::AsRefStr,
    strum::Display,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum SuppressReason {
    /// Added by hand, or from a CSV file.
    Manual,
    /// Its owner replied an opt-out word ([`crate::consent::optouts`]): an opt-in lifts it.
    OptedOut,
}

crate::sql_text!(SuppressReason);

use crate::error::{AppError, AppResult, ErrorCode};
use crate::phone::{self, Country, PhoneProblem, READER_VERSION};
use crate::storage::Database;
use crate::text::Text;
use crate::workspace::Workspace;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use specta::Type;

/// A number on the suppression list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Suppressed {
    pub phone: String,
    pub note: String,
    pub added_at: String,
    pub reason: SuppressReason,
    /// The reply that put it there (`opted_out`).
    pub evidence: Option<Text>,
    /// What was typed, when known (not for entries from before letters were refused, nor for
    /// those another desktop added).
    pub typed: Option<String>,
    /// Why the entry cannot be trusted, if it cannot.
    pub suspect: Option<Suspect>,
    /// Put on the list by another desktop and known here only by its keyed hash (the team's
    /// store never holds a number): `phone` is then a name for it, not a number.
    pub hidden: bool,
}

/// Why a suppression entry cannot be trusted: it may block another number than the one meant,
/// and leave that one unblocked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Suspect {
    /// Added before Relay refused letters: a letter may have been read as a keypad digit, and
    /// what was typed is not known.
    ReadBeforeLettersRefused,
    /// What was typed is not this number under the current rules: another number, or none.
    ReadsOtherwise {
        now: Option<String>,
        problem: Option<PhoneProblem>,
    },
}

impl Suspect {
    /// Why, in words (`typed`: what was typed, when known).
    pub fn text(&self, typed: Option<&str>) -> Text {
        let typed = typed.unwrap_or_default();
        match self {
            Suspect::ReadBeforeLettersRefused => crate::text!("suppress.suspect_before"),
            Suspect::ReadsOtherwise { now: Some(n), .. } => {
                crate::text!("suppress.suspect_reads_as", typed = typed, now = n)
            }
            Suspect::ReadsOtherwise { problem, .. } => crate::text!(
                "suppress.suspect_not_a_number",
                typed = typed,
                problem => problem.unwrap_or(PhoneProblem::NotANumber).text()
            ),
        }
    }
}

/// A line of a CSV import that holds no number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct InvalidLine {
    pub line: u32,
    pub text: String,
    pub problem: PhoneProblem,
}

/// What a CSV import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct ImportReport {
    pub added: u32,
    pub already: u32,
    /// Lines that hold no number, with why.
    pub invalid: Vec<InvalidLine>,
}

/// Whether a number (E.164) is on the list of numbers never to message.
pub fn is_suppressed(db: &Database, phone: &str) -> AppResult<bool> {
    Ok(suppression_in(db.connection(), phone)?.is_some())
}

/// Why a number (E.164) is on the list, and the evidence of an opt-out; None when it is not.
pub(crate) fn suppression_in(
    conn: &rusqlite::Connection,
    phone: &str,
) -> AppResult<Option<(SuppressReason, Option<Text>)>> {
    Ok(conn
        .prepare_cached(
            "SELECT reason, evidence FROM suppressed
             WHERE phone = ?1 OR number_key = relay_number_key(?1) LIMIT 1",
        )?
        .query_row([phone], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Puts numbers on the list because their owner replied an opt-out word (`evidence`: the
/// reply), for the team too. A number on it already keeps its reason (one added by hand is never
/// lifted by an opt-in). Returns how many are new on the list.
pub(crate) fn opt_out(
    tx: &rusqlite::Connection,
    phones: &[String],
    evidence: &Text,
    now_ms: i64,
) -> AppResult<u32> {
    let mut added = 0;
    let mut stmt = tx.prepare_cached(
        "INSERT OR IGNORE INTO suppressed (phone, note, added_at, reader, reason, evidence, number_key)
         VALUES (?1, '', ?2, ?3, 'opted_out', ?4, relay_number_key(?1))",
    )?;
    for p in phones {
        if stmt.execute(params![p, now_ms, READER_VERSION, evidence])? > 0 {
            crate::team::outbox::queue_suppressed(
                tx,
                p,
                "",
                false,
                SuppressReason::OptedOut,
                Some(evidence),
                now_ms,
            )?;
            added += 1;
        }
    }
    Ok(added)
}

/// Lifts the opt-outs of numbers whose owner replied an opt-in word (never a number added by
/// hand), for the team too. Returns how many were lifted.
pub(crate) fn opt_in(tx: &rusqlite::Connection, phones: &[String], now_ms: i64) -> AppResult<u32> {
    let mut lifted = 0;
    let mut stmt =
        tx.prepare_cached("DELETE FROM suppressed WHERE (phone = ?1 OR number_key = relay_number_key(?1)) AND reason = 'opted_out'")?;
    for p in phones {
        if stmt.execute([p])? > 0 {
            crate::team::outbox::queue_suppressed(
                tx,
                p,
                "",
                true,
                SuppressReason::OptedOut,
                None,
                now_ms,
            )?;
            lifted += 1;
        }
    }
    Ok(lifted)
}

/// The list, newest first, each entry's input read again with the current rules in `country`
/// (see [`Suspect`]).
pub fn suppressed(db: &Database, country: Option<Country>) -> AppResult<Vec<Suppressed>> {
    let conn = db.connection();
    let mut stmt = conn.prepare(
        "SELECT phone, note, added_at, typed, reader, country, reason, evidence FROM suppressed
         ORDER BY added_at DESC, phone",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            Suppressed {
                phone: r.get(0)?,
                note: r.get(1)?,
                added_at: r.get::<_, i64>(2)?.to_string(),
                typed: r.get(3)?,
                suspect: None,
                reason: r.get(6)?,
                evidence: r.get(7)?,
                hidden: false,
            },
            r.get::<_, i64>(4)?,
            r.get::<_, Option<String>>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (mut s, reader, typed_in) = row?;
        if is_keyed_name(&s.phone) {
            s.hidden = true;
            out.push(s);
            continue;
        }
        // Read in the country it was typed in (a later change of the default country does not
        // make it read otherwise).
        let country = match typed_in {
            Some(c) => Country::parse(&c),
            None => country,
        };
        s.suspect = suspect(&s, reader, country);
        out.push(s);
    }
    Ok(out)
}

fn suspect(s: &Suppressed, reader: i64, country: Option<Country>) -> Option<Suspect> {
    match &s.typed {
        Some(typed) => match phone::read(typed, country) {
            Ok(n) if n.e164 == s.phone => None,
            Ok(n) => Some(Suspect::ReadsOtherwise {
                now: Some(n.e164),
                problem: None,
            }),
            Err(p) => Some(Suspect::ReadsOtherwise {
                now: None,
                problem: Some(p),
            }),
        },
        None if reader < READER_VERSION => Some(Suspect::ReadBeforeLettersRefused),
        None => None,
    }
}

/// A number as typed, the default country it was read in, and as read.
struct Typed {
    typed: String,
    country: String,
    e164: String,
}

/// Adds numbers, read as typed numbers are ([`crate::phone::read_typed`]: one that is not a
/// number refuses the whole call, nothing added). A number on the list already takes the new
/// input (and the note, when one is given): added again as it should be read, a suspect entry is
/// trusted. Returns how many numbers are new on the list.
pub fn suppress(
    db: &Database,
    phones: &[String],
    note: &str,
    country: Option<Country>,
    now_ms: i64,
) -> AppResult<u32> {
    let mut read = Vec::with_capacity(phones.len());
    for p in phones {
        let n = phone::read_typed(p, country, "phone")?;
        read.push(Typed {
            typed: p.trim().to_string(),
            country: country.map(|c| c.code()).unwrap_or_default(),
            e164: n.e164,
        });
    }
    insert_suppressed(db, &read, note, now_ms)
}

fn insert_suppressed(db: &Database, phones: &[Typed], note: &str, now_ms: i64) -> AppResult<u32> {
    db.write(|tx| {
        let mut added = 0;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO suppressed (phone, note, added_at, typed, country, reader, number_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, relay_number_key(?1))",
            )?;
            // On the list already: what was typed now is kept (its note stays).
            let mut retype = tx.prepare_cached(
                "UPDATE suppressed SET typed = ?2, country = ?3, reader = ?4 WHERE phone = ?1",
            )?;
            for p in phones {
                let new = insert.execute(params![
                    p.e164,
                    note,
                    now_ms,
                    p.typed,
                    p.country,
                    READER_VERSION
                ])?;
                if new > 0 {
                    crate::team::outbox::queue_suppressed(
                        tx,
                        &p.e164,
                        note,
                        false,
                        SuppressReason::Manual,
                        None,
                        now_ms,
                    )?;
                } else {
                    retype.execute(params![p.e164, p.typed, p.country, READER_VERSION])?;
                }
                added += new as u32;
            }
        }
        Ok(added)
    })
}

pub fn unsuppress(db: &Database, phone: &str, now_ms: i64) -> AppResult<()> {
    let n = db.write(|tx| {
        let n = tx.execute(
            "DELETE FROM suppressed WHERE phone = ?1 OR number_key = relay_number_key(?1)",
            [phone],
        )?;
        if n > 0 {
            crate::team::outbox::queue_suppressed(
                tx,
                phone,
                "",
                true,
                SuppressReason::Manual,
                None,
                now_ms,
            )?;
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
    number: &crate::blackout::Recipient,
    note: &str,
    removed: bool,
    reader: i64,
    opted_out: Option<Text>,
) -> AppResult<bool> {
    use crate::blackout::Recipient;
    // An opt-in lifts an opt-out only; a removal by hand removes the number.
    let only = if opted_out.is_some() {
        " AND reason = 'opted_out'"
    } else {
        ""
    };
    // Read on the desktop that added it, under the rules it says (an earlier Relay says none:
    // suspect here too).
    let reason = match opted_out {
        Some(_) => SuppressReason::OptedOut,
        None => SuppressReason::Manual,
    };
    let n = match (number, removed) {
        (Recipient::Clear { phone, .. }, true) => conn
            .prepare_cached(&format!("DELETE FROM suppressed WHERE phone = ?1{only}"))?
            .execute([phone])?,
        (Recipient::Clear { phone, .. }, false) => conn
            .prepare_cached(
                "INSERT OR IGNORE INTO suppressed (phone, note, added_at, reader, reason, evidence, number_key)
                 VALUES (?1, ?2, CAST(strftime('%s', 'now') AS INTEGER) * 1000, ?3, ?4, ?5, relay_number_key(?1))",
            )?
            .execute(params![phone, note, reader, reason, opted_out])?,
        // By its hash: the entry of the same number here, in clear or not, is the one removed.
        (Recipient::Keyed(key), true) => conn
            .prepare_cached(&format!(
                "DELETE FROM suppressed WHERE number_key = ?1{only}"
            ))?
            .execute([key])?,
        (Recipient::Keyed(key), false) => conn
            .prepare_cached(
                "INSERT INTO suppressed (phone, number_key, note, added_at, reader, reason, evidence)
                 SELECT ?1, ?2, ?3, CAST(strftime('%s', 'now') AS INTEGER) * 1000, ?4, ?5, ?6
                 WHERE NOT EXISTS (SELECT 1 FROM suppressed WHERE number_key = ?2)",
            )?
            .execute(params![keyed_name(*key), key, note, reader, reason, opted_out])?,
    };
    Ok(n > 0)
}

/// Queues the whole list again for the team's store (by their hash, as every push writes them):
/// before the records an earlier Relay wrote with the numbers in clear are deleted.
pub(crate) fn requeue_for_team(tx: &rusqlite::Connection, now_ms: i64) -> AppResult<u32> {
    let rows: Vec<(String, String, SuppressReason, Option<Text>)> = tx
        .prepare("SELECT phone, note, reason, evidence FROM suppressed WHERE phone NOT LIKE '#%'")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    for (phone, note, reason, evidence) in &rows {
        crate::team::outbox::queue_suppressed(
            tx,
            phone,
            note,
            false,
            *reason,
            evidence.as_ref(),
            now_ms,
        )?;
    }
    Ok(rows.len() as u32)
}

/// Gives every number of the list in clear its keyed hash (once the team's key is known here:
/// the list's entries are then found by it, through an index), anew when the key changed.
pub(crate) fn fill_number_keys(conn: &rusqlite::Connection) -> AppResult<u32> {
    Ok(conn.execute(
        "UPDATE suppressed SET number_key = relay_number_key(phone)
         WHERE phone NOT LIKE '#%' AND number_key IS NOT relay_number_key(phone)",
        [],
    )? as u32)
}

/// Shows in clear the numbers put on the list by other desktops (known here only by their hash)
/// that this desktop knows: those of its audiences and campaigns (the database holds them in
/// clear already). Run after a pull brought such numbers. Returns how many were found.
pub(crate) fn resolve_keyed(db: &Database) -> AppResult<u32> {
    // Read first (the send engine's writes go on meanwhile), then written in one short step.
    let found = {
        let conn = db.connection();
        let mut keyed: std::collections::HashMap<i64, String> = conn
            .prepare(
                "SELECT number_key, phone FROM suppressed WHERE number_key IS NOT NULL AND phone LIKE '#%'",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut found = Vec::new();
        if !keyed.is_empty() {
            let mut known = conn.prepare(
                "SELECT phone, relay_number_key(phone) FROM (
                     SELECT phone FROM audience_members WHERE phone IS NOT NULL
                     UNION SELECT phone FROM campaign_recipients WHERE phone IS NOT NULL)",
            )?;
            let mut rows = known.query([])?;
            while let Some(r) = rows.next()? {
                let Some(hash) = r.get::<_, Option<i64>>(1)? else {
                    break; // the key is not known here
                };
                if let Some(name) = keyed.remove(&hash) {
                    found.push((name, r.get::<_, String>(0)?));
                    if keyed.is_empty() {
                        break;
                    }
                }
            }
        }
        found
    };
    if found.is_empty() {
        return Ok(0);
    }
    db.write(|tx| {
        for (name, phone) in &found {
            // Listed in clear here already: the hashed entry was the same number.
            tx.execute(
                "UPDATE OR IGNORE suppressed SET phone = ?2 WHERE phone = ?1",
                params![name, phone],
            )?;
            tx.execute("DELETE FROM suppressed WHERE phone = ?1", [name])?;
        }
        Ok(found.len() as u32)
    })
}

/// Imports a CSV of numbers: the column named `phone` (or `number`, `mobile`), else the first
/// column; a header line is recognized and skipped. Valid numbers are added; invalid lines are
/// reported, not fatal.
pub fn import_suppressed(
    db: &Database,
    csv_text: &str,
    note: &str,
    country: Option<Country>,
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
        match phone::read(cell, country) {
            Ok(n) => phones.push(Typed {
                typed: cell.to_string(),
                country: country.map(|c| c.code()).unwrap_or_default(),
                e164: n.e164,
            }),
            Err(problem) => invalid.push(InvalidLine {
                line: (i + 1) as u32,
                text: cell.to_string(),
                problem,
            }),
        }
    }
    let total = phones.len() as u32;
    phones.sort_by(|a, b| a.e164.cmp(&b.e164));
    phones.dedup_by(|a, b| a.e164 == b.e164);
    let added = insert_suppressed(db, &phones, note, now_ms)?;
    Ok(ImportReport {
        added,
        already: total - added,
        invalid,
    })
}

impl Workspace {
    pub fn suppressed_numbers(&self) -> AppResult<Vec<Suppressed>> {
        let country = Country::parse(&self.settings()?.default_country);
        suppressed(&self.db(), country)
    }

    /// The entries that cannot be trusted (see [`Suspect`]).
    pub fn suspect_suppressed(&self) -> AppResult<Vec<Suppressed>> {
        let mut list = self.suppressed_numbers()?;
        list.retain(|s| s.suspect.is_some());
        Ok(list)
    }

    pub fn suppress_numbers(&self, phones: &[String], note: &str) -> AppResult<u32> {
        let country = Country::parse(&self.settings()?.default_country);
        suppress(&self.db(), phones, note, country, self.now_ms())
    }

    pub fn unsuppress_number(&self, phone: &str) -> AppResult<()> {
        unsuppress(&self.db(), phone, self.now_ms())
    }

    pub fn import_suppressed(&self, csv_text: &str, note: &str) -> AppResult<ImportReport> {
        let country = Country::parse(&self.settings()?.default_country);
        import_suppressed(&self.db(), csv_text, note, country, self.now_ms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (Database, tempfile::TempDir) {
        let tmp = tempfile::tempdir().unwrap();
        (Database::open(&tmp.path().join("relay.db")).unwrap(), tmp)
    }

    #[test]
    fn entries_from_before_letters_were_refused_are_suspect_until_added_again() {
        let (db, _tmp) = db();
        let fr = Country::parse("FR");
        // As migration 14 leaves an entry made by an earlier Relay: what was typed is unknown.
        db.write(|tx| {
            tx.execute(
                "INSERT INTO suppressed (phone, note, added_at) VALUES ('+33662345678', 'old', 1)",
                [],
            )?;
            Ok(())
        })
        .unwrap();
        suppress(&db, &["+14155550100".into()], "", fr, 2).unwrap();
        let list = suppressed(&db, fr).unwrap();
        let old = list.iter().find(|s| s.phone == "+33662345678").unwrap();
        assert_eq!(old.suspect, Some(Suspect::ReadBeforeLettersRefused));
        assert_eq!(old.typed, None);
        let new = list.iter().find(|s| s.phone == "+14155550100").unwrap();
        assert_eq!(new.suspect, None, "typed and read under the current rules");

        // Added again as it should be read: trusted, its note kept, nothing new on the list.
        assert_eq!(
            suppress(&db, &["06 62 34 56 78".into()], "", fr, 3).unwrap(),
            0
        );
        let again = suppressed(&db, fr).unwrap();
        let old = again.iter().find(|s| s.phone == "+33662345678").unwrap();
        assert_eq!(old.suspect, None);
        assert_eq!(old.note, "old");
        assert_eq!(old.typed.as_deref(), Some("06 62 34 56 78"));
    }

    #[test]
    fn an_input_that_reads_otherwise_now_is_suspect() {
        let (db, _tmp) = db();
        let fr = Country::parse("FR");
        // What an earlier reader made of an O typed for a 0: a keypad 6.
        db.write(|tx| {
            tx.execute(
                "INSERT INTO suppressed (phone, note, added_at, typed, reader)
                 VALUES ('+33662345678', '', 1, 'O6 62 34 56 78', 2)",
                [],
            )?;
            Ok(())
        })
        .unwrap();
        let list = suppressed(&db, fr).unwrap();
        assert_eq!(
            list[0].suspect,
            Some(Suspect::ReadsOtherwise {
                now: None,
                problem: Some(PhoneProblem::ContainsLetters)
            })
        );
    }
}
