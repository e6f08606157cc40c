//! Members' numbers under the current rules: the state a number is stored with, an audience's
//! numbers read again when they were read under earlier rules, and the recipients a frozen
//! campaign would now not send to.

use super::not_found;
use crate::audience::phone::PhoneFound;
use crate::audience::ExclusionReason;
use crate::error::AppResult;
use crate::storage::Database;
use crate::text::Text;
use rusqlite::{params, OptionalExtension};

pub(super) fn phone_state(found: &PhoneFound) -> &'static str {
    match (&found.e164, &found.raw) {
        (Some(_), _) => "ok",
        (None, Some(_)) => "invalid",
        (None, None) => "missing",
    }
}

/// Members read again per transaction.
const REREAD_CHUNK: i64 = 5000;

/// Reads an audience's numbers again when they were read under earlier rules
/// ([`crate::phone::READER_VERSION`]): each member's number as it was written, in the audience's
/// default country. (A number read from the phone field that is no longer one is not replaced
/// by the user's identities, which only a new fetch reads.) Returns how many members' numbers
/// changed.
pub fn reread(db: &Database, audience_id: &str) -> AppResult<u32> {
    let (reader, country): (i64, String) = db
        .connection()
        .query_row(
            "SELECT reader, default_country FROM audiences WHERE id = ?1",
            [audience_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| not_found(audience_id))?;
    if reader >= crate::phone::READER_VERSION {
        return Ok(0);
    }
    let country = crate::phone::Country::parse(&country);
    // Walked and updated by the members' key (audience, user): no other index is needed.
    let (mut after, mut changed) = (-1i64, 0u32);
    loop {
        let rows: Vec<(i64, String, Option<String>, crate::audience::PhoneSource)> = {
            let conn = db.connection();
            let mut stmt = conn.prepare_cached(
                "SELECT user_id, phone_raw, phone, COALESCE(phone_source, 'field') FROM audience_members
                 WHERE audience_id = ?1 AND user_id > ?2 AND phone_raw IS NOT NULL
                 ORDER BY user_id LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![audience_id, after, REREAD_CHUNK], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let Some(last) = rows.last().map(|r| r.0) else {
            break;
        };
        after = last;
        db.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "UPDATE audience_members SET phone = ?3, phone_state = ?4, phone_kind = ?5,
                        phone_problem = ?6, phone_ext = ?7
                 WHERE audience_id = ?1 AND user_id = ?2",
            )?;
            for (user, raw, before, source) in &rows {
                let found = PhoneFound::read(raw, *source, country);
                changed += u32::from(found.e164 != *before);
                stmt.execute(params![
                    audience_id,
                    user,
                    found.e164,
                    phone_state(&found),
                    found.kind,
                    found.problem,
                    found.extension
                ])?;
            }
            Ok(())
        })?;
    }
    db.write(|tx| {
        tx.execute(
            "UPDATE audiences SET reader = ?2 WHERE id = ?1",
            params![audience_id, crate::phone::READER_VERSION],
        )?;
        Ok(())
    })?;
    if changed > 0 {
        tracing::info!(audience = %audience_id, changed, "numbers read again under the current rules");
    }
    Ok(changed)
}

/// Of `(seq, user_id, number)` recipients frozen from an audience, those the current rules would
/// not send to: their number as written is not that number (a typed letter read as a keypad
/// digit), or a line a message cannot reach (fixed lines only when `include_fixed_lines`); each
/// with its reason and why (a text).
pub(crate) fn misread(
    db: &Database,
    audience_id: &str,
    recipients: &[(i64, i64, String)],
    include_fixed_lines: bool,
) -> AppResult<Vec<(i64, ExclusionReason, Text)>> {
    let conn = db.connection();
    let country: Option<String> = conn
        .query_row(
            "SELECT default_country FROM audiences WHERE id = ?1",
            [audience_id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(country) = country else {
        return Ok(vec![]);
    };
    let country = crate::phone::Country::parse(&country);
    let mut written = conn.prepare_cached(
        "SELECT phone_raw FROM audience_members WHERE audience_id = ?1 AND user_id = ?2",
    )?;
    let mut out = Vec::new();
    for (seq, user, number) in recipients {
        let raw: Option<Option<String>> = written
            .query_row(params![audience_id, user], |r| r.get(0))
            .optional()?;
        let Some(Some(raw)) = raw else { continue };
        let why = match crate::phone::read(&raw, country) {
            Ok(n) if n.e164 != *number => (
                ExclusionReason::InvalidPhone,
                crate::text!(
                    "phone.misread_other",
                    raw = raw,
                    phone = number,
                    now = n.e164
                ),
            ),
            Ok(n) if !n.kind.can_receive(include_fixed_lines) => (
                ExclusionReason::CannotReceive,
                crate::text!("phone.cannot_receive", phone = number, kind => n.kind.label()),
            ),
            Ok(_) => continue,
            Err(p) => (
                ExclusionReason::InvalidPhone,
                crate::text!("phone.misread", raw = raw, phone = number, problem => p.text()),
            ),
        };
        out.push((*seq, why.0, why.1));
    }
    Ok(out)
}
