//! The team's campaigns: one summary record per campaign in the store (who made it, from which
//! desktop, its status and counts), pushed when it changes and pulled by the other desktops, so
//! History shows the team's campaigns and not only this desktop's. A summary says what its
//! desktop last told the store: a desktop that stopped mid-send leaves it `running` until it
//! comes back (its time, `updated_at`, says how old it is).

use super::outbox;
use crate::channel::IntegrationKind;
use crate::clients::zendesk::custom_objects::Record;
use crate::error::AppResult;
use crate::states::{CampaignStatus, StateCounts};
use crate::workspace::Workspace;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;
use serde_json::Value;
use specta::Type;
use std::str::FromStr;

/// A campaign of another desktop of the team, as its desktop last told the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct TeamCampaign {
    pub id: String,
    pub template_name: String,
    pub kind: IntegrationKind,
    pub status: CampaignStatus,
    pub counts: StateCounts,
    /// The desktop that sends it (`host/abcd1234`) and the Zendesk user it sends as.
    pub desktop: String,
    pub sender: String,
    /// Sent without the team's store ("this desktop only").
    pub desktop_only: bool,
    /// Milliseconds since the Unix epoch, as text (as a campaign of this desktop).
    pub created_at: String,
    pub finished_at: Option<String>,
    pub scheduled_at: Option<String>,
    /// When its desktop last told the store (Zendesk's clock, RFC 3339).
    pub updated_at: String,
}

impl Workspace {
    /// The other desktops' campaigns, newest first.
    pub fn team_campaigns(&self) -> AppResult<Vec<TeamCampaign>> {
        let db = self.db();
        let mut stmt = db.connection().prepare(
            "SELECT campaign_id, payload, desktop, updated_at FROM team_campaigns
             ORDER BY json_extract(payload, '$.created_at') DESC, campaign_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, payload, desktop, updated_at) = row?;
            let fields: Value = serde_json::from_str(&payload).unwrap_or(Value::Null);
            if let Some(c) = team_campaign(id, &fields, desktop, updated_at) {
                out.push(c);
            }
        }
        Ok(out)
    }
}

/// A campaign's channel kind and integration, as its summary says them (None: not said).
pub(crate) type Channels = std::collections::HashMap<String, (Option<String>, Option<String>)>;

/// The channel kind and integration of each campaign of the other desktops (None where its
/// summary does not say: written by an earlier Relay).
pub(crate) fn channels(conn: &Connection) -> AppResult<Channels> {
    let mut stmt = conn.prepare_cached(
        "SELECT campaign_id, json_extract(payload, '$.channel'), json_extract(payload, '$.integration')
         FROM team_campaigns",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// What the store last confirmed of a campaign of this desktop.
pub(crate) fn last_pushed(conn: &Connection, id: &str) -> AppResult<Option<Value>> {
    Ok(conn
        .query_row(
            "SELECT payload FROM team_campaign_pushed WHERE campaign_id = ?1",
            [id],
            |r| r.get::<_, String>(0),
        )
        .optional()?
        .and_then(|p| serde_json::from_str(&p).ok()))
}

/// The store confirmed these summaries of this desktop's campaigns.
pub(crate) fn confirmed(tx: &Transaction, done: &[outbox::Queued]) -> AppResult<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO team_campaign_pushed (campaign_id, status, payload) VALUES (?1, ?2, ?3)
         ON CONFLICT (campaign_id) DO UPDATE SET status = excluded.status, payload = excluded.payload",
    )?;
    for q in done {
        let id = q.external_id.trim_start_matches("campaign:");
        let status = q.payload.get("status").and_then(Value::as_str);
        stmt.execute(params![id, status, q.payload.to_string()])?;
    }
    Ok(())
}

/// Merges a campaign summary another desktop pushed (a newer `updated_at` replaces an older; the
/// same one read again, as a pull from the last second does, changes nothing).
pub(crate) fn merge_pulled(tx: &Transaction, r: &Record) -> AppResult<bool> {
    let Some(id) = r
        .external_id
        .as_deref()
        .and_then(|e| e.strip_prefix("campaign:"))
    else {
        return Ok(false);
    };
    let f = &r.custom_object_fields;
    let desktop = f.get("desktop").and_then(Value::as_str).unwrap_or_default();
    let fields = Value::Object(f.clone());
    if team_campaign(id.into(), &fields, desktop.into(), r.updated_at.clone()).is_none() {
        return Ok(false);
    }
    let n = tx
        .prepare_cached(
            "INSERT INTO team_campaigns (campaign_id, desktop, payload, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (campaign_id) DO UPDATE SET desktop = excluded.desktop,
                 payload = excluded.payload, updated_at = excluded.updated_at
             WHERE excluded.updated_at > team_campaigns.updated_at
                OR (excluded.updated_at = team_campaigns.updated_at AND excluded.payload <> team_campaigns.payload)",
        )?
        .execute(params![
            id,
            desktop,
            fields.to_string(),
            r.updated_at
        ])?;
    Ok(n > 0)
}

/// A summary as a record holds it; None when it is not one Relay can read (written by hand, or
/// by a newer Relay with a status this one does not know).
fn team_campaign(
    id: String,
    f: &Value,
    desktop: String,
    updated_at: String,
) -> Option<TeamCampaign> {
    let text = |k: &str| f.get(k).and_then(Value::as_str).map(str::to_string);
    let num = |k: &str| {
        f.get(k).and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
    };
    let count = |k: &str| num(k).unwrap_or(0).max(0) as u32;
    Some(TeamCampaign {
        id,
        template_name: text("template")?,
        kind: IntegrationKind::from_str(&text("channel")?).ok()?,
        status: CampaignStatus::from_str(&text("status")?).ok()?,
        counts: StateCounts {
            pending: count("pending"),
            sending: 0,
            sent: count("sent"),
            failed: count("failed"),
            skipped: count("skipped"),
            unknown: count("unknown"),
        },
        desktop,
        sender: text("sender").unwrap_or_default(),
        desktop_only: f
            .get("desktop_only")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        created_at: num("created_at")?.to_string(),
        finished_at: num("finished_at").map(|v| v.to_string()),
        scheduled_at: num("scheduled_at").map(|v| v.to_string()),
        updated_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_record_written_by_hand_or_a_newer_relay_is_left_alone() {
        let good = json!({"template": "promo", "channel": "whatsapp", "status": "running",
            "sent": 3, "created_at": 1, "sender": "a@x"});
        let read = |f: &Value| team_campaign("c1".into(), f, "d".into(), "t".into());
        let c = read(&good).unwrap();
        assert_eq!(c.counts.sent, 3);
        assert_eq!(c.status, CampaignStatus::Running);
        let mut newer = good.clone();
        newer["status"] = json!("teleported");
        assert!(read(&newer).is_none());
        let mut by_hand = good;
        by_hand.as_object_mut().unwrap().remove("template");
        assert!(read(&by_hand).is_none());
    }
}
