//! Audiences: the users a Zendesk search matches, fetched with the search export into SQLite page
//! by page (memory stays flat whatever the size; no cap), each with a phone number normalized to
//! E.164 and, once checked, the reason it is excluded (or none: it will receive the message).
//!
//! Reasons, first that applies: `removed` (by hand), `no_phone`, `invalid_phone`, `suppressed`
//! (the local list), `duplicate_phone` (one message per number: the oldest account keeps it),
//! `blackout` (the same message reached the user or the number within the blackout days, unless
//! overridden), `in_other_campaign` (an unfinished campaign of the same message still has to send
//! to them), then from the field mapping `missing_value` and `render_error`.

pub mod mapping;
pub mod run;

use crate::clients::zendesk::{Identity, User};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::{Database, StorageError};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use specta::Type;
use std::collections::HashMap;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Type,
)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Removed,
    NoPhone,
    InvalidPhone,
    Suppressed,
    DuplicatePhone,
    Blackout,
    InOtherCampaign,
    MissingValue,
    RenderError,
}

impl Reason {
    pub const ALL: [Reason; 9] = [
        Reason::Removed,
        Reason::NoPhone,
        Reason::InvalidPhone,
        Reason::Suppressed,
        Reason::DuplicatePhone,
        Reason::Blackout,
        Reason::InOtherCampaign,
        Reason::MissingValue,
        Reason::RenderError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Removed => "removed",
            Reason::NoPhone => "no_phone",
            Reason::InvalidPhone => "invalid_phone",
            Reason::Suppressed => "suppressed",
            Reason::DuplicatePhone => "duplicate_phone",
            Reason::Blackout => "blackout",
            Reason::InOtherCampaign => "in_other_campaign",
            Reason::MissingValue => "missing_value",
            Reason::RenderError => "render_error",
        }
    }

    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Where a fetch stands, sent to the UI after every page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct FetchProgress {
    pub audience_id: String,
    pub users: u32,
    pub pages: u32,
    /// Users the search matched when the fetch started (Zendesk's count), if known.
    pub expected: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct ReasonCount {
    pub reason: Reason,
    pub count: u32,
}

/// An audience and its counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct AudienceSummary {
    pub id: String,
    pub query: String,
    /// `fetching`, `complete`, `incomplete` (the export returned fewer users than Zendesk
    /// counted, beyond its indexing lag: see `expected`), `cancelled` or `failed`.
    pub status: String,
    pub users: u32,
    pub pages: u32,
    /// How many users Zendesk counted for the search when it was fetched.
    pub expected: Option<u32>,
    /// Results Zendesk returned that were not readable users (no id): left out, and counted.
    pub unreadable: u32,
    /// Users who will receive the message.
    pub eligible: u32,
    /// Excluded users by reason (every reason, zeros included, in order).
    pub excluded: Vec<ReasonCount>,
    /// Blacked-out users moved to the allowed list by hand.
    pub overrides: u32,
    pub error: Option<String>,
    /// Milliseconds since the Unix epoch, as text.
    pub created_at: String,
    /// Checked for a message (blackout, mapping, rendering), not only for contacts.
    pub message_checked: bool,
    /// SMS segments the messages to send add up to (0 for WhatsApp, or before a message check).
    pub segments: u32,
}

impl AudienceSummary {
    /// What the audience is missing, if anything: the export returned fewer users than Zendesk
    /// counted (beyond its index's lag), or results that were not users.
    pub fn shortfall(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.status == "incomplete" {
            parts.push(format!(
                "Zendesk counted {} users for this search, but its export returned {}: the audience is incomplete. Zendesk's search index can lag a few minutes: fetch again shortly; if it stays short, report it.",
                self.expected.unwrap_or_default(),
                self.users
            ));
        }
        if self.unreadable > 0 {
            parts.push(format!(
                "{} of the results Zendesk returned were not readable users (no id): left out.",
                self.unreadable
            ));
        }
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    pub fn count(&self, reason: Reason) -> u32 {
        self.excluded
            .iter()
            .find(|c| c.reason == reason)
            .map_or(0, |c| c.count)
    }
}

/// One user of an audience, as the tables show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Member {
    /// Zendesk user id, as text (beyond JavaScript's safe integers in large accounts).
    pub user_id: String,
    pub name: String,
    pub email: Option<String>,
    /// The number as Zendesk had it.
    pub phone_raw: Option<String>,
    /// E.164, when valid.
    pub phone: Option<String>,
    /// `field` (user.phone) or `identity`.
    pub phone_source: Option<String>,
    pub reason: Option<Reason>,
    /// What exactly (the missing field, the broken rule…).
    pub detail: Option<String>,
    pub overridden: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct MemberPage {
    pub total: u32,
    pub rows: Vec<Member>,
}

/// Which members a table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case", tag = "kind", content = "reason")]
pub enum MemberFilter {
    All,
    Eligible,
    Excluded(Reason),
}

/// A change to members made by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum MemberAction {
    /// Move blacked-out users to the allowed list (recorded on the member).
    Override,
    /// Undo an override.
    Unoverride,
    /// Take users out of the allowed list.
    Remove,
    /// Put removed users back.
    Restore,
}

fn sql(e: rusqlite::Error) -> AppError {
    StorageError::Sql(e).into()
}

/// The country a workspace writes national numbers in, if set and known.
pub fn default_country(code: &str) -> Option<phonenumber::country::Id> {
    code.trim().to_ascii_uppercase().parse().ok()
}

/// A phone number in E.164 when it is a valid number (national numbers read in the default
/// country); None otherwise.
pub fn normalize_phone(raw: &str, country: Option<phonenumber::country::Id>) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || !raw.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let n = phonenumber::parse(country, raw).ok()?;
    phonenumber::is_valid(&n).then(|| n.format().mode(phonenumber::Mode::E164).to_string())
}

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
            "INSERT INTO audiences (id, query, status, default_country, identities, fields, created_at, expected)
             VALUES (?1, ?2, 'fetching', ?3, ?4, ?5, ?6, ?7)",
            params![id, query, country, identities, fields, now_ms, expected],
        )
        .map_err(sql)
    })?;
    Ok(id)
}

/// How a user's number was found.
pub struct PhoneFound {
    pub raw: Option<String>,
    pub e164: Option<String>,
    pub source: Option<&'static str>,
}

/// `user.phone` when valid; else, when identities are read, the first valid phone identity
/// (primary first); else what `user.phone` held, as invalid, or nothing.
pub fn pick_phone(
    user: &User,
    identities: &[&Identity],
    country: Option<phonenumber::country::Id>,
) -> PhoneFound {
    let raw = user
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    if let Some(r) = raw {
        if let Some(e) = normalize_phone(r, country) {
            return PhoneFound {
                raw: Some(r.to_string()),
                e164: Some(e),
                source: Some("field"),
            };
        }
    }
    let mut ids: Vec<&&Identity> = identities
        .iter()
        .filter(|i| i.kind == "phone_number")
        .collect();
    ids.sort_by_key(|i| !i.primary);
    for i in ids {
        if let Some(e) = normalize_phone(&i.value, country) {
            return PhoneFound {
                raw: Some(i.value.clone()),
                e164: Some(e),
                source: Some("identity"),
            };
        }
    }
    PhoneFound {
        raw: raw.map(str::to_string),
        e164: None,
        source: raw.map(|_| "field"),
    }
}

/// Stores one export page. `identities` holds the identities fetched for this page's users.
/// The numbers of a page of users: each user's phone field, else (when given) their phone
/// identities. Pure: the fetch runs it while the previous page is being stored.
pub fn page_phones(
    users: &[User],
    identities: &[Identity],
    country: Option<phonenumber::country::Id>,
) -> Vec<PhoneFound> {
    let mut by_user: HashMap<u64, Vec<&Identity>> = HashMap::new();
    for i in identities {
        by_user.entry(i.user_id).or_default().push(i);
    }
    users
        .iter()
        .map(|u| {
            pick_phone(
                u,
                by_user.get(&u.id).map_or(&[][..], Vec::as_slice),
                country,
            )
        })
        .collect()
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
            .map_err(sql)?;
        let mut stmt = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO audience_members
                 (audience_id, user_id, seq, name, email, phone_raw, phone, phone_state, phone_source,
                  locale, time_zone, external_id, organization_id, created_at, user_fields)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )
            .map_err(sql)?;
        let mut added = 0i64;
        for (u, found) in users.iter().zip(phones) {
            let state = match (&found.e164, &found.raw) {
                (Some(_), _) => "ok",
                (None, Some(_)) => "invalid",
                (None, None) => "missing",
            };
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
                    fields
                ])
                .map_err(sql)? as i64;
        }
        tx.execute(
            "UPDATE audiences SET users = users + ?2, pages = pages + 1, unreadable = unreadable + ?3
             WHERE id = ?1",
            params![audience_id, added, unreadable],
        )
        .map_err(sql)?;
        Ok(added as u32)
    }
    })
}

/// Marks the end of a fetch: `complete`, `cancelled` or `failed` (with the error).
pub fn finish(
    db: &Database,
    audience_id: &str,
    status: &str,
    error: Option<&str>,
    now_ms: i64,
) -> AppResult<()> {
    db.write(|tx| {
        tx.execute(
            "UPDATE audiences SET status = ?2, error = ?3, finished_at = ?4 WHERE id = ?1",
            params![audience_id, status, error, now_ms],
        )
        .map_err(sql)
    })?;
    Ok(())
}

/// The audiences marked as being fetched.
pub fn fetching(db: &Database) -> AppResult<Vec<String>> {
    let conn = db.connection();
    let mut stmt = conn
        .prepare("SELECT id FROM audiences WHERE status = 'fetching'")
        .map_err(sql)?;
    let rows = stmt.query_map([], |r| r.get(0)).map_err(sql)?;
    rows.collect::<rusqlite::Result<_>>().map_err(sql)
}

/// The custom user fields kept with an audience (JSON) and its stored message spec, if any.
pub fn stored(db: &Database, audience_id: &str) -> AppResult<(String, Option<String>)> {
    db.connection()
        .query_row(
            "SELECT fields, message FROM audiences WHERE id = ?1",
            [audience_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(sql)?
        .ok_or_else(|| not_found(audience_id))
}

pub fn store_message(db: &Database, audience_id: &str, message: Option<&str>) -> AppResult<()> {
    db.write(|tx| {
        tx.execute(
            "UPDATE audiences SET message = ?2 WHERE id = ?1",
            params![audience_id, message],
        )
        .map_err(sql)
    })?;
    Ok(())
}

fn not_found(id: &str) -> AppError {
    AppError::new(
        ErrorCode::NotFound,
        format!("There is no audience {id}: fetch the search again."),
    )
}

pub fn set_segments(db: &Database, audience_id: &str, segments: u64) -> AppResult<()> {
    db.write(|tx| {
        tx.execute(
            "UPDATE audiences SET segments = ?2 WHERE id = ?1",
            params![audience_id, segments.min(u32::MAX as u64) as i64],
        )
        .map_err(sql)
    })?;
    Ok(())
}

pub fn summary(db: &Database, audience_id: &str) -> AppResult<AudienceSummary> {
    let conn = db.connection();
    let row = conn
        .query_row(
            "SELECT query, status, users, pages, error, created_at, message IS NOT NULL, segments, expected, unreadable
             FROM audiences WHERE id = ?1",
            [audience_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, bool>(6)?,
                    r.get::<_, i64>(7)?,
                    r.get::<_, Option<i64>>(8)?,
                    r.get::<_, i64>(9)?,
                ))
            },
        )
        .optional()
        .map_err(sql)?
        .ok_or_else(|| not_found(audience_id))?;
    let mut counts: HashMap<Option<String>, u32> = HashMap::new();
    {
        let mut stmt = conn
            .prepare_cached(
                "SELECT reason, COUNT(*) FROM audience_members WHERE audience_id = ?1 GROUP BY reason",
            )
            .map_err(sql)?;
        let rows = stmt
            .query_map([audience_id], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?)))
            .map_err(sql)?;
        for row in rows {
            let (reason, n) = row.map_err(sql)?;
            counts.insert(reason, n as u32);
        }
    }
    let overrides: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM audience_members WHERE audience_id = ?1 AND override > 0",
            [audience_id],
            |r| r.get(0),
        )
        .map_err(sql)?;
    Ok(AudienceSummary {
        id: audience_id.to_string(),
        query: row.0,
        status: row.1,
        users: row.2 as u32,
        pages: row.3 as u32,
        expected: row.8.map(|e| e as u32),
        unreadable: row.9 as u32,
        eligible: counts.get(&None).copied().unwrap_or(0),
        excluded: Reason::ALL
            .into_iter()
            .map(|reason| ReasonCount {
                reason,
                count: counts
                    .get(&Some(reason.as_str().to_string()))
                    .copied()
                    .unwrap_or(0),
            })
            .collect(),
        overrides: overrides as u32,
        error: row.4,
        created_at: row.5.to_string(),
        message_checked: row.6,
        segments: row.7 as u32,
    })
}

/// The blackout check of a message: its fingerprint, and the time before which a send no longer
/// counts (now − blackout days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlackoutCheck {
    pub fingerprint: i64,
    pub since_ms: i64,
}

impl BlackoutCheck {
    /// None when blackout is off (0 days).
    pub fn new(fingerprint: i64, days: u16, now_ms: i64) -> Option<BlackoutCheck> {
        (days > 0).then(|| BlackoutCheck {
            fingerprint,
            since_ms: now_ms - i64::from(days) * 86_400_000,
        })
    }
}

/// Sets every member's reason from the phone, the suppression list, duplicates, the blackout
/// ledger and the unfinished campaigns of the message (the mapping's reasons are set afterwards by
/// `set_failures`).
pub fn classify(
    db: &Database,
    audience_id: &str,
    blackout: Option<BlackoutCheck>,
) -> AppResult<()> {
    db.write(|tx| classify_in(tx, audience_id, blackout))
}

fn classify_in(
    tx: &rusqlite::Connection,
    audience_id: &str,
    blackout: Option<BlackoutCheck>,
) -> AppResult<()> {
    tx.execute(
        "UPDATE audience_members SET detail = NULL, reason = CASE
            WHEN removed = 1 THEN 'removed'
            WHEN phone_state = 'missing' THEN 'no_phone'
            WHEN phone_state = 'invalid' THEN 'invalid_phone'
            WHEN phone IN (SELECT phone FROM suppressed) THEN 'suppressed'
            ELSE NULL END
         WHERE audience_id = ?1",
        [audience_id],
    )
    .map_err(sql)?;
    // One message per number: the user with the lowest id (the oldest account) keeps it — the
    // same one whatever order the export came in.
    tx.execute(
        "UPDATE audience_members SET reason = 'duplicate_phone'
         WHERE audience_id = ?1 AND rowid IN (
            SELECT rowid FROM (
                SELECT rowid, ROW_NUMBER() OVER (PARTITION BY phone ORDER BY user_id) AS n
                FROM audience_members WHERE audience_id = ?1 AND reason IS NULL
            ) WHERE n > 1)",
        [audience_id],
    )
    .map_err(sql)?;
    if let Some(b) = blackout {
        // An override (its time in `override`) lets through the sends made before it, not the
        // ones after: a campaign sent from this audience blacks them out again.
        tx.execute(
            "UPDATE audience_members SET reason = 'blackout'
             WHERE audience_id = ?1 AND reason IS NULL AND (
                EXISTS (SELECT 1 FROM blackout b WHERE b.fingerprint = ?2
                        AND b.user_id = audience_members.user_id AND b.sent_at >= MAX(?3, audience_members.override))
                OR EXISTS (SELECT 1 FROM blackout b WHERE b.fingerprint = ?2
                        AND b.phone = audience_members.phone AND b.sent_at >= MAX(?3, audience_members.override)))",
            params![audience_id, b.fingerprint, b.since_ms],
        )
        .map_err(sql)?;
        // Those an unfinished campaign of the message still has to send are left to it.
        crate::campaign::ledger::fill_elsewhere(tx, b.fingerprint)?;
        tx.execute(
            "UPDATE audience_members SET reason = 'in_other_campaign',
                detail = (SELECT e.campaign_id FROM temp.elsewhere e
                          WHERE e.phone = audience_members.phone OR e.user_id = audience_members.user_id LIMIT 1)
             WHERE audience_id = ?1 AND reason IS NULL AND (
                phone IN (SELECT phone FROM temp.elsewhere)
                OR user_id IN (SELECT user_id FROM temp.elsewhere))",
            [audience_id],
        )
        .map_err(sql)?;
    }
    Ok(())
}

/// The data of the eligible members, in fetch order, a chunk at a time (for the mapping check).
pub fn eligible_chunk(
    db: &Database,
    audience_id: &str,
    after_seq: i64,
    limit: u32,
) -> AppResult<Vec<(i64, mapping::Recipient)>> {
    let conn = db.connection();
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, user_id, name, email, phone, locale, time_zone, external_id, organization_id,
                    created_at, user_fields
             FROM audience_members
             WHERE audience_id = ?1 AND reason IS NULL AND seq > ?2 ORDER BY seq LIMIT ?3",
        )
        .map_err(sql)?;
    let rows = stmt
        .query_map(params![audience_id, after_seq, limit], |r| {
            Ok((r.get::<_, i64>(0)?, recipient_from_row(r, 1)?))
        })
        .map_err(sql)?;
    rows.map(|r| r.map_err(sql)).collect()
}

fn recipient_from_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<mapping::Recipient> {
    let fields: String = r.get(at + 9)?;
    Ok(mapping::Recipient {
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
pub fn recipient(db: &Database, audience_id: &str, user_id: u64) -> AppResult<mapping::Recipient> {
    db.connection()
        .query_row(
            "SELECT user_id, name, email, phone, locale, time_zone, external_id, organization_id,
                    created_at, user_fields
             FROM audience_members WHERE audience_id = ?1 AND user_id = ?2",
            params![audience_id, user_id as i64],
            |r| recipient_from_row(r, 0),
        )
        .optional()
        .map_err(sql)?
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::NotFound,
                format!("User {user_id} is not in this audience."),
            )
        })
}

/// Records the members the mapping excludes, with what exactly is wrong.
pub fn set_failures(
    db: &Database,
    audience_id: &str,
    failures: &[(u64, Reason, String)],
) -> AppResult<()> {
    db.write(|tx| {
        {
            let mut stmt = tx
                .prepare_cached(
                    "UPDATE audience_members SET reason = ?3, detail = ?4
                 WHERE audience_id = ?1 AND user_id = ?2",
                )
                .map_err(sql)?;
            for (id, reason, detail) in failures {
                stmt.execute(params![audience_id, *id as i64, reason.as_str(), detail])
                    .map_err(sql)?;
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
        MemberFilter::Excluded(r) => ("reason = ?2", Some(r.as_str())),
    };
    let conn = db.connection();
    let count_sql =
        format!("SELECT COUNT(*) FROM audience_members WHERE audience_id = ?1 AND {cond}");
    let list_sql = format!(
        "SELECT user_id, name, email, phone_raw, phone, phone_source, reason, detail, override
         FROM audience_members WHERE audience_id = ?1 AND {cond} ORDER BY seq LIMIT ?3 OFFSET ?4"
    );
    let reason_param = reason.unwrap_or("");
    let total: i64 = if reason.is_some() {
        conn.query_row(&count_sql, params![audience_id, reason_param], |r| r.get(0))
    } else {
        conn.query_row(&count_sql, params![audience_id], |r| r.get(0))
    }
    .map_err(sql)?;
    let mut stmt = conn.prepare_cached(&list_sql).map_err(sql)?;
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
                .and_then(Reason::parse),
            detail: r.get(7)?,
            overridden: r.get::<_, i64>(8)? > 0,
        })
    };
    // ?2 is always bound (unused without a reason) so that one statement serves every filter.
    let rows = stmt
        .query_map(params![audience_id, reason_param, limit, offset], map)
        .map_err(sql)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql)?;
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
            let mut stmt = tx.prepare_cached(statement).map_err(sql)?;
            let with_time = matches!(action, MemberAction::Override);
            for id in user_ids {
                let changed = if with_time {
                    stmt.execute(params![audience_id, *id as i64, now_ms.max(1)])
                } else {
                    stmt.execute(params![audience_id, *id as i64])
                };
                if changed.map_err(sql)? == 0 {
                    return Err(AppError::invalid_field(
                        "user_ids",
                        format!("User {id} is not in this audience; nothing was changed."),
                    ));
                }
            }
        }
        Ok(())
    })
}

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
    db.connection()
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM suppressed WHERE phone = ?1)",
            [phone],
            |r| r.get(0),
        )
        .map_err(sql)
}

pub fn suppressed(db: &Database) -> AppResult<Vec<Suppressed>> {
    let conn = db.connection();
    let mut stmt = conn
        .prepare("SELECT phone, note, added_at FROM suppressed ORDER BY added_at DESC, phone")
        .map_err(sql)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(Suppressed {
                phone: r.get(0)?,
                note: r.get(1)?,
                added_at: r.get::<_, i64>(2)?.to_string(),
            })
        })
        .map_err(sql)?;
    rows.map(|r| r.map_err(sql)).collect()
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
                    format!("\"{p}\" is not a valid phone number. Write it with + and the country code (+33612345678), or set the default country in Settings."),
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
            let mut stmt = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO suppressed (phone, note, added_at) VALUES (?1, ?2, ?3)",
                )
                .map_err(sql)?;
            for p in phones {
                added += stmt.execute(params![p, note, now_ms]).map_err(sql)? as u32;
            }
        }
        Ok(added)
    })
}

pub fn unsuppress(db: &Database, phone: &str) -> AppResult<()> {
    let n = db.write(|tx| {
        tx.execute("DELETE FROM suppressed WHERE phone = ?1", [phone])
            .map_err(sql)
    })?;
    if n == 0 {
        return Err(AppError::new(
            ErrorCode::NotFound,
            format!("{phone} is not on the suppression list."),
        ));
    }
    Ok(())
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
            AppError::invalid_field("csv", format!("Line {}: {e}. Nothing was imported.", i + 1))
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

/// Writes a blackout ledger entry: the message reached the user's number (`state` `sent`) or
/// may have (`unknown`). The send engine does it in the transaction that records the outcome.
pub fn record_blackout(
    conn: &rusqlite::Connection,
    user_id: u64,
    phone: &str,
    fingerprint: i64,
    sent_at_ms: i64,
    campaign_id: Option<&str>,
    state: &str,
) -> AppResult<()> {
    conn.prepare_cached(
        "INSERT INTO blackout (user_id, phone, fingerprint, sent_at, campaign_id, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut s| s.execute(params![user_id as i64, phone, fingerprint, sent_at_ms, campaign_id, state]))
    .map_err(sql)?;
    Ok(())
}

/// The latest time a message reached a recipient (by user or by number), from the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    pub campaign_id: Option<String>,
    pub sent_at_ms: i64,
    /// `sent` or `unknown`.
    pub state: String,
}

impl Reached {
    /// The latest entry of `fingerprint` for the user or the number since `since_ms`, leaving
    /// out the entries of campaign `except` (its own re-sends are the user's decision).
    pub fn find(
        conn: &rusqlite::Connection,
        fingerprint: i64,
        user_id: u64,
        phone: &str,
        since_ms: i64,
        except: &str,
    ) -> AppResult<Option<Reached>> {
        conn.prepare_cached(
            "SELECT campaign_id, sent_at, state FROM (
                SELECT campaign_id, sent_at, state FROM blackout
                WHERE fingerprint = ?1 AND user_id = ?2 AND sent_at >= ?4 AND campaign_id IS NOT ?5
                UNION ALL
                SELECT campaign_id, sent_at, state FROM blackout
                WHERE fingerprint = ?1 AND phone = ?3 AND sent_at >= ?4 AND campaign_id IS NOT ?5)
             ORDER BY sent_at DESC LIMIT 1",
        )
        .and_then(|mut s| {
            s.query_row(
                params![fingerprint, user_id as i64, phone, since_ms, except],
                |r| {
                    Ok(Reached {
                        campaign_id: r.get(0)?,
                        sent_at_ms: r.get(1)?,
                        state: r.get(2)?,
                    })
                },
            )
            .optional()
        })
        .map_err(sql)
    }

    /// Why a recipient it names is skipped.
    pub fn describe(&self) -> String {
        let when = chrono::DateTime::from_timestamp_millis(self.sent_at_ms)
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
        let campaign = self.campaign_id.as_deref().unwrap_or("?");
        if self.state == "unknown" {
            format!("The same message may have reached this recipient on {when} (campaign {campaign}, outcome unknown): blacked out.")
        } else {
            format!("The same message reached this recipient on {when} (campaign {campaign}): blacked out.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalized_with_the_default_country() {
        let fr = default_country("fr");
        assert_eq!(
            normalize_phone("06 12 34 56 78", fr).as_deref(),
            Some("+33612345678")
        );
        assert_eq!(
            normalize_phone("+1 (514) 555-0100", fr).as_deref(),
            Some("+15145550100")
        );
        assert_eq!(
            normalize_phone("06 12 34 56 78", None),
            None,
            "national needs a country"
        );
        for bad in ["", "n/a", "12345", "000", "call me", "+33 1"] {
            assert_eq!(normalize_phone(bad, fr), None, "{bad}");
        }
    }
}
