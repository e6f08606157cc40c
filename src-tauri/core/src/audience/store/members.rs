//! An audience's members: stored a page at a time as the export streams in, read back (pages,
//! chunks of recipients, the ones left out), and marked (overrides, removals, consent leave,
//! the mapping's failures).

use super::numbers::phone_state;
use crate::audience::phone::PhoneFound;
use crate::audience::{ExclusionReason, Member, MemberAction, MemberFilter, MemberPage};
use crate::clients::zendesk::User;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::message::render::Recipient;
use crate::storage::Database;
use crate::text::Text;
use rusqlite::{params, OptionalExtension};

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

/// The numbers of the members an audience leaves in (one each: duplicates are left out).
pub fn eligible_phones(db: &Database, audience_id: &str) -> AppResult<Vec<String>> {
    let conn = db.connection();
    let mut stmt = conn.prepare_cached(
        "SELECT phone FROM audience_members
             WHERE audience_id = ?1 AND reason IS NULL AND phone IS NOT NULL",
    )?;
    let rows = stmt.query_map([audience_id], |r| r.get(0))?;
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
