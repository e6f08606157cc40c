//! The audience tables (`audiences`, `audience_members`): an audience's row and its members,
//! written page by page as the export streams in, read back as counts, pages of members and
//! chunks of recipients. Nothing else writes SQL against them.
//!
//! This module holds an audience's row (its fetch, message, channel, counts); `members` its
//! members, `numbers` their numbers read again under newer rules.

mod members;
mod numbers;

pub use members::{
    allow_without_consent, eligible_chunk, eligible_phones, insert_page, member_reason, members,
    recipient, set_failures, set_flags,
};
pub(crate) use members::{excluded_chunk, overrides};
pub(crate) use numbers::misread;
pub use numbers::reread;

use super::{AudienceStatus, AudienceSummary, ExclusionReason, ReasonCount};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::Database;
use crate::text::Text;
use rusqlite::{params, OptionalExtension};
use std::collections::HashMap;
use strum::VariantArray;

/// Creates an audience row (status `fetching`). `fields` is the workspace's custom user fields
/// (JSON), kept with the audience so that the mapping works on what was fetched.
pub fn create(
    db: &Database,
    query: &str,
    country: &str,
    identities: bool,
    fields: &str,
    expected: u32,
    now_ms: i64,
) -> AppResult<String> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    db.write(|tx| {
        tx.execute(
            "INSERT INTO audiences (id, query, status, default_country, identities, fields, created_at, expected, reader, tags_kept)
             VALUES (?1, ?2, 'fetching', ?3, ?4, ?5, ?6, ?7, ?8, 1)",
            params![id, query, country, identities, fields, now_ms, expected, crate::phone::READER_VERSION],
        )
        .map_err(AppError::from)
    })?;
    Ok(id)
}

/// The channel kind an audience is for, when known before its message.
pub fn channel(db: &Database, audience_id: &str) -> AppResult<Option<crate::channel::Channel>> {
    db.connection()
        .query_row(
            "SELECT channel FROM audiences WHERE id = ?1",
            [audience_id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| not_found(audience_id))
}

pub fn set_channel(
    db: &Database,
    audience_id: &str,
    channel: crate::channel::Channel,
) -> AppResult<()> {
    let n = db.write(|tx| {
        tx.execute(
            "UPDATE audiences SET channel = ?2 WHERE id = ?1",
            params![audience_id, channel],
        )
        .map_err(AppError::from)
    })?;
    if n == 0 {
        return Err(not_found(audience_id));
    }
    Ok(())
}

/// Whether an audience's campaigns send to fixed lines too.
pub fn include_fixed_lines(db: &Database, audience_id: &str) -> AppResult<bool> {
    db.connection()
        .query_row(
            "SELECT include_fixed_lines FROM audiences WHERE id = ?1",
            [audience_id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| not_found(audience_id))
}

pub fn set_include_fixed_lines(db: &Database, audience_id: &str, include: bool) -> AppResult<()> {
    let n = db.write(|tx| {
        tx.execute(
            "UPDATE audiences SET include_fixed_lines = ?2 WHERE id = ?1",
            params![audience_id, include],
        )
        .map_err(AppError::from)
    })?;
    if n == 0 {
        return Err(not_found(audience_id));
    }
    Ok(())
}

/// Marks the end of a fetch: `complete`, `cancelled` or `failed` (with the error).
pub fn finish(
    db: &Database,
    audience_id: &str,
    status: AudienceStatus,
    error: Option<&Text>,
    now_ms: i64,
) -> AppResult<()> {
    db.write(|tx| {
        tx.execute(
            "UPDATE audiences SET status = ?2, error = ?3, finished_at = ?4 WHERE id = ?1",
            params![audience_id, status, error, now_ms],
        )
        .map_err(AppError::from)
    })?;
    Ok(())
}

/// The audiences marked as being fetched.
pub fn fetching(db: &Database) -> AppResult<Vec<String>> {
    let conn = db.connection();
    let mut stmt = conn.prepare("SELECT id FROM audiences WHERE status = 'fetching'")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    rows.collect::<rusqlite::Result<_>>()
        .map_err(AppError::from)
}

/// The custom user fields kept with an audience (JSON) and its stored message spec, if any.
pub fn stored(db: &Database, audience_id: &str) -> AppResult<(String, Option<String>)> {
    db.connection()
        .query_row(
            "SELECT fields, message FROM audiences WHERE id = ?1",
            [audience_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| not_found(audience_id))
}

pub fn store_message(db: &Database, audience_id: &str, message: Option<&str>) -> AppResult<()> {
    db.write(|tx| {
        tx.execute(
            "UPDATE audiences SET message = ?2 WHERE id = ?1",
            params![audience_id, message],
        )
        .map_err(AppError::from)
    })?;
    Ok(())
}

fn not_found(id: &str) -> AppError {
    AppError::new(
        ErrorCode::NotFound,
        crate::text!("audience.not_found", id = id),
    )
}

/// What a check counted of the messages to send: their SMS segments, and the recipients per
/// translation (most first).
pub fn set_segments(
    db: &Database,
    audience_id: &str,
    segments: u64,
    languages: &[super::LanguageCount],
) -> AppResult<()> {
    let mut languages = languages.to_vec();
    languages.sort_by(|a, b| {
        b.recipients
            .cmp(&a.recipients)
            .then(a.language.cmp(&b.language))
    });
    let json = serde_json::to_string(&languages).map_err(AppError::internal)?;
    db.write(|tx| {
        tx.execute(
            "UPDATE audiences SET segments = ?2, languages = ?3 WHERE id = ?1",
            params![audience_id, segments.min(u32::MAX as u64) as i64, json],
        )
        .map_err(AppError::from)
    })?;
    Ok(())
}

pub fn summary(db: &Database, audience_id: &str) -> AppResult<AudienceSummary> {
    let conn = db.connection();
    let row = conn
        .query_row(
            "SELECT query, status, users, pages, error, created_at, message IS NOT NULL, segments, expected, unreadable,
                    include_fixed_lines, languages
             FROM audiences WHERE id = ?1",
            [audience_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, AudienceStatus>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<Text>>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, bool>(6)?,
                    r.get::<_, i64>(7)?,
                    r.get::<_, Option<i64>>(8)?,
                    r.get::<_, i64>(9)?,
                    r.get::<_, bool>(10)?,
                    r.get::<_, Option<String>>(11)?,
                ))
            },
        )
        .optional()
        ?
        .ok_or_else(|| not_found(audience_id))?;
    let mut counts: HashMap<Option<String>, u32> = HashMap::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT reason, COUNT(*) FROM audience_members WHERE audience_id = ?1 GROUP BY reason",
        )?;
        let rows = stmt.query_map([audience_id], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (reason, n) = row?;
            counts.insert(reason, n as u32);
        }
    }
    let overrides: i64 = conn.query_row(
        "SELECT COUNT(*) FROM audience_members WHERE audience_id = ?1 AND override > 0",
        [audience_id],
        |r| r.get(0),
    )?;
    Ok(AudienceSummary {
        id: audience_id.to_string(),
        query: row.0,
        status: row.1,
        users: row.2 as u32,
        pages: row.3 as u32,
        expected: row.8.map(|e| e as u32),
        unreadable: row.9 as u32,
        eligible: counts.get(&None).copied().unwrap_or(0),
        excluded: ExclusionReason::VARIANTS
            .iter()
            .copied()
            .map(|reason| ReasonCount {
                reason,
                count: counts
                    .get(&Some(reason.as_ref().to_string()))
                    .copied()
                    .unwrap_or(0),
            })
            .collect(),
        overrides: overrides as u32,
        error: row.4,
        created_at: row.5.to_string(),
        message_checked: row.6,
        segments: row.7 as u32,
        include_fixed_lines: row.10,
        languages: row
            .11
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default(),
    })
}
