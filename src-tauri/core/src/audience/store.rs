//! The audience tables (`audiences`, `audience_members`): an audience's row and its members,
//! written page by page as the export streams in, read back as counts, pages of members and
//! chunks of recipients. Nothing else writes SQL against them.

use super::phone::PhoneFound;
use super::{
    AudienceStatus, AudienceSummary, ExclusionReason, Member, MemberAction, MemberFilter,
    MemberPage, ReasonCount,
};
use crate::clients::zendesk::User;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::message::render::Recipient;
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

/// Stores a page of users with their numbers (`page_phones`, in the same order), skipping those
/// the audience already has (the export may give a user twice: its order and ties are not
/// documented, and an expired cursor starts it again); `unreadable` results are counted. Returns
/// how many users were added.
pub fn insert_page(
    db: &Database,
    audience_id: &str,
    users: &[User],
    phones: &[PhoneFound],
    unreadable: u32,
) -> AppResult<u32> {
    db.write(|tx| {
    {
        let seq: i64 = tx
            .query_row(
                "SELECT users FROM audiences WHERE id = ?1",
                [audience_id],
                |r| r.get(0),
            )
            ?;
        let mut stmt = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO audience_members
                 (audience_id, user_id, seq, name, email, phone_raw, phone, phone_state, phone_source,
                  locale, time_zone, external_id, organization_id, created_at, user_fields,
                  phone_kind, phone_problem, phone_ext, tags)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
            )
            ?;
        let mut added = 0i64;
        for (u, found) in users.iter().zip(phones) {
            let state = phone_state(found);
            let fields = serde_json::to_string(&u.user_fields).map_err(AppError::internal)?;
            added += stmt
                .execute(params![
                    audience_id,
                    u.id as i64,
                    seq + added,
                    u.name,
                    u.email,
                    found.raw,
                    found.e164,
                    state,
                    found.source,
                    u.locale,
                    u.iana_time_zone.as_ref().or(u.time_zone.as_ref()),
                    u.external_id,
                    u.organization_id.map(|o| o as i64),
                    u.created_at,
                    fields,
                    found.kind,
                    found.problem,
                    found.extension,
                    serde_json::to_string(&u.tags).map_err(AppError::internal)?
                ])
                ? as i64;
        }
        tx.execute(
            "UPDATE audiences SET users = users + ?2, pages = pages + 1, unreadable = unreadable + ?3
             WHERE id = ?1",
            params![audience_id, added, unreadable],
        )
        ?;
        Ok(added as u32)
    }
    })
}

fn phone_state(found: &PhoneFound) -> &'static str {
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
        let rows: Vec<(i64, String, Option<String>, super::PhoneSource)> = {
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

/// Why a member is left out now, if they are.
pub fn member_reason(
    db: &Database,
    audience_id: &str,
    user_id: u64,
) -> AppResult<Option<ExclusionReason>> {
    let reason: Option<Option<String>> = db
        .connection()
        .query_row(
            "SELECT reason FROM audience_members WHERE audience_id = ?1 AND user_id = ?2",
            params![audience_id, user_id as i64],
            |r| r.get(0),
        )
        .optional()?;
    match reason {
        None => Err(AppError::new(
            ErrorCode::NotFound,
            crate::text!("audience.not_member", id = user_id),
        )),
        Some(r) => Ok(r.and_then(|r| r.parse().ok())),
    }
}

/// Records an admin's leave to send to a member without consent (when, and the note).
pub fn allow_without_consent(
    db: &Database,
    audience_id: &str,
    user_id: u64,
    note: &str,
    now_ms: i64,
) -> AppResult<()> {
    db.write(|tx| {
        tx.execute(
            "UPDATE audience_members SET consent_override = ?3, consent_note = ?4
             WHERE audience_id = ?1 AND user_id = ?2",
            params![audience_id, user_id as i64, now_ms.max(1), note],
        )?;
        Ok(())
    })
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

pub fn set_segments(db: &Database, audience_id: &str, segments: u64) -> AppResult<()> {
    db.write(|tx| {
        tx.execute(
            "UPDATE audiences SET segments = ?2 WHERE id = ?1",
            params![audience_id, segments.min(u32::MAX as u64) as i64],
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
                    include_fixed_lines
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
    })
}

/// The data of the eligible members, in fetch order, a chunk at a time (for the mapping check).
pub fn eligible_chunk(
    db: &Database,
    audience_id: &str,
    after_seq: i64,
    limit: u32,
) -> AppResult<Vec<(i64, Recipient)>> {
    let conn = db.connection();
    let mut stmt = conn.prepare_cached(
        "SELECT seq, user_id, name, email, phone, locale, time_zone, external_id, organization_id,
                    created_at, user_fields
             FROM audience_members
             WHERE audience_id = ?1 AND reason IS NULL AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![audience_id, after_seq, limit], |r| {
        Ok((r.get::<_, i64>(0)?, recipient_from_row(r, 1)?))
    })?;
    rows.map(|r| r.map_err(AppError::from)).collect()
}

fn recipient_from_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Recipient> {
    let fields: String = r.get(at + 9)?;
    Ok(Recipient {
        user_id: r.get::<_, i64>(at)? as u64,
        name: r.get(at + 1)?,
        email: r.get(at + 2)?,
        phone: r.get(at + 3)?,
        locale: r.get(at + 4)?,
        time_zone: r.get(at + 5)?,
        external_id: r.get(at + 6)?,
        organization_id: r.get::<_, Option<i64>>(at + 7)?.map(|o| o as u64),
        created_at: r.get(at + 8)?,
        user_fields: serde_json::from_str(&fields).unwrap_or_default(),
    })
}

/// One member's data, for the preview of their message.
pub fn recipient(db: &Database, audience_id: &str, user_id: u64) -> AppResult<Recipient> {
    db.connection()
        .query_row(
            "SELECT user_id, name, email, phone, locale, time_zone, external_id, organization_id,
                    created_at, user_fields
             FROM audience_members WHERE audience_id = ?1 AND user_id = ?2",
            params![audience_id, user_id as i64],
            |r| recipient_from_row(r, 0),
        )
        .optional()?
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::NotFound,
                crate::text!("audience.not_member", id = user_id),
            )
        })
}

/// Records the members the mapping excludes, with what exactly is wrong.
pub fn set_failures(
    db: &Database,
    audience_id: &str,
    failures: &[(u64, ExclusionReason, Text)],
) -> AppResult<()> {
    db.write(|tx| {
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE audience_members SET reason = ?3, detail = ?4
                 WHERE audience_id = ?1 AND user_id = ?2",
            )?;
            for (id, reason, detail) in failures {
                stmt.execute(params![audience_id, *id as i64, reason.as_ref(), detail])?;
            }
        }
        Ok(())
    })
}

/// A page of members, in fetch order.
pub fn members(
    db: &Database,
    audience_id: &str,
    filter: MemberFilter,
    offset: u32,
    limit: u32,
) -> AppResult<MemberPage> {
    let (cond, reason) = match filter {
        MemberFilter::All => ("1 = 1", None),
        MemberFilter::Eligible => ("reason IS NULL", None),
        MemberFilter::Excluded(r) => ("reason = ?2", Some(r)),
    };
    let conn = db.connection();
    let count_sql =
        format!("SELECT COUNT(*) FROM audience_members WHERE audience_id = ?1 AND {cond}");
    let list_sql = format!(
        "SELECT user_id, name, email, phone_raw, phone, phone_source, reason, detail, override,
                phone_kind, phone_ext, phone_problem, consent_note
         FROM audience_members WHERE audience_id = ?1 AND {cond} ORDER BY seq LIMIT ?3 OFFSET ?4"
    );
    let reason_param: &str = reason.as_ref().map_or("", |r| r.as_ref());
    let total: i64 = if reason.is_some() {
        conn.query_row(&count_sql, params![audience_id, reason_param], |r| r.get(0))
    } else {
        conn.query_row(&count_sql, params![audience_id], |r| r.get(0))
    }?;
    let mut stmt = conn.prepare_cached(&list_sql)?;
    let map = |r: &rusqlite::Row<'_>| {
        Ok(Member {
            user_id: r.get::<_, i64>(0)?.to_string(),
            name: r.get(1)?,
            email: r.get(2)?,
            phone_raw: r.get(3)?,
            phone: r.get(4)?,
            phone_source: r.get(5)?,
            reason: r
                .get::<_, Option<String>>(6)?
                .as_deref()
                .and_then(|r| r.parse::<ExclusionReason>().ok()),
            detail: r.get(7)?,
            overridden: r.get::<_, i64>(8)? > 0,
            phone_kind: r.get(9)?,
            phone_extension: r.get(10)?,
            phone_problem: r.get(11)?,
            consent_note: r.get(12)?,
        })
    };
    // ?2 is always bound (unused without a reason) so that one statement serves every filter.
    let rows = stmt
        .query_map(params![audience_id, reason_param, limit, offset], map)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(MemberPage {
        total: total as u32,
        rows,
    })
}

/// Overrides (recorded with their time, `now_ms`: they let through the sends made before
/// them), removals and their undoing. Refuses ids that are not members (nothing changed).
pub fn set_flags(
    db: &Database,
    audience_id: &str,
    user_ids: &[u64],
    action: MemberAction,
    now_ms: i64,
) -> AppResult<()> {
    let statement = match action {
        MemberAction::Override => {
            "UPDATE audience_members SET override = ?3 WHERE audience_id = ?1 AND user_id = ?2"
        }
        MemberAction::Unoverride => {
            "UPDATE audience_members SET override = 0 WHERE audience_id = ?1 AND user_id = ?2"
        }
        MemberAction::Remove => {
            "UPDATE audience_members SET removed = 1 WHERE audience_id = ?1 AND user_id = ?2"
        }
        MemberAction::Restore => {
            "UPDATE audience_members SET removed = 0 WHERE audience_id = ?1 AND user_id = ?2"
        }
    };
    db.write(|tx| {
        {
            let mut stmt = tx.prepare_cached(statement)?;
            let with_time = matches!(action, MemberAction::Override);
            for id in user_ids {
                let changed = if with_time {
                    stmt.execute(params![audience_id, *id as i64, now_ms.max(1)])
                } else {
                    stmt.execute(params![audience_id, *id as i64])
                };
                if changed? == 0 {
                    return Err(AppError::invalid_field(
                        "user_ids",
                        crate::text!("audience.not_member_unchanged", id = id),
                    ));
                }
            }
        }
        Ok(())
    })
}

/// A member an audience leaves out.
pub(crate) struct Excluded {
    pub seq: u32,
    pub user_id: u64,
    pub name: String,
    pub phone: Option<String>,
    pub reason: ExclusionReason,
}

/// The members an audience leaves out, with their reason, after `after_seq`, a chunk at a time.
pub(crate) fn excluded_chunk(
    db: &Database,
    audience_id: &str,
    after_seq: i64,
    limit: u32,
) -> AppResult<Vec<Excluded>> {
    let conn = db.connection();
    let mut stmt = conn.prepare_cached(
        "SELECT seq, user_id, name, phone, reason FROM audience_members
         WHERE audience_id = ?1 AND reason IS NOT NULL AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![audience_id, after_seq, limit], |r| {
        Ok((
            r.get::<_, i64>(0)? as u32,
            r.get::<_, i64>(1)? as u64,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, user_id, name, phone, reason) = row?;
        let reason = reason
            .parse::<ExclusionReason>()
            .ok()
            .ok_or_else(|| AppError::internal(format!("unknown exclusion reason {reason}")))?;
        out.push(Excluded {
            seq,
            user_id,
            name,
            phone,
            reason,
        });
    }
    Ok(out)
}

/// The overrides made by hand (user, when), to go with a campaign made from the audience.
pub(crate) fn overrides(db: &Database, audience_id: &str) -> AppResult<Vec<(u64, i64)>> {
    let conn = db.connection();
    let mut stmt = conn.prepare(
        "SELECT user_id, override FROM audience_members WHERE audience_id = ?1 AND override > 0",
    )?;
    let rows = stmt.query_map([audience_id], |r| {
        Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)?))
    })?;
    rows.collect::<rusqlite::Result<_>>()
        .map_err(AppError::from)
}
