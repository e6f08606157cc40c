//! One sender per message at a time, across the team's desktops: a claim record in the store,
//! named by the message's fingerprint (names are unique), holding the desktop and campaign that
//! send it. Taken before a send, kept alive by a heartbeat while it runs, released after the last
//! push. A desktop killed mid-send frees the message once its claim has had no heartbeat for the
//! TTL. Time is read from Zendesk's `updated_at` — the store's clock, never a desktop's.
//!
//! Taking over an expired or released claim is an upsert (last write wins), so the taker writes,
//! waits a moment, and reads the claim again: whoever's name is in it holds the message. Two
//! desktops that both find the claim expired both write; the later write wins and the earlier
//! taker sees the other's name when it reads back, and backs off.

use super::schema::CLAIM;
use crate::clients::zendesk::custom_objects::{Created, Record, RecordInput};
use crate::clients::zendesk::ZendeskClient;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::workspace::Workspace;
use serde_json::{json, Map, Value};
use std::time::Duration;

/// How long a claim lives without a heartbeat.
pub const CLAIM_TTL: Duration = Duration::from_secs(120);
/// How long a taker waits before reading back a claim it wrote over.
const SETTLE: Duration = Duration::from_millis(1500);

/// A claim as read from the store.
#[derive(Debug, Clone)]
pub struct Claim {
    pub record_id: String,
    pub holder: String,
    pub campaign: String,
    pub state: String,
    /// When it was last written (Zendesk's clock, RFC 3339).
    pub updated_at: String,
}

impl Claim {
    fn from(r: &Record) -> Claim {
        let f = |k: &str| {
            r.custom_object_fields
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Claim {
            record_id: r.id.clone(),
            holder: f("holder"),
            campaign: f("campaign"),
            state: f("state"),
            updated_at: r.updated_at.clone(),
        }
    }
}

/// A claim this desktop holds: kept alive by `beat`, given back by `release`.
#[derive(Debug, Clone)]
pub struct Held {
    /// The message's fingerprint.
    pub(crate) fingerprint: i64,
    external_id: String,
    holder: String,
    campaign: String,
}

fn record(name: &str, holder: &str, campaign: &str, state: &str) -> RecordInput {
    let mut fields = Map::new();
    fields.insert("holder".into(), json!(holder));
    fields.insert("campaign".into(), json!(campaign));
    fields.insert("state".into(), json!(state));
    RecordInput {
        name: Some(name.to_string()),
        external_id: Some(format!("claim:{name}")),
        custom_object_fields: fields,
    }
}

pub(super) fn parse(t: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|d| d.to_utc())
}

/// Zendesk's now: the `updated_at` of this desktop's clock record, written for the purpose.
async fn store_now(z: &ZendeskClient, desktop: &str) -> AppResult<chrono::DateTime<chrono::Utc>> {
    let name = format!("clock:{desktop}");
    let mut fields = Map::new();
    fields.insert("holder".into(), json!(desktop));
    fields.insert("state".into(), json!("clock"));
    let r = z
        .upsert(
            CLAIM,
            &name,
            &RecordInput {
                name: Some(name.clone()),
                external_id: Some(name.clone()),
                custom_object_fields: fields,
            },
        )
        .await?;
    parse(&r.updated_at).ok_or_else(|| AppError::internal("the store's time could not be read"))
}

impl Workspace {
    /// Takes the claim of message `fingerprint` for `campaign`, or says who holds it.
    pub(crate) async fn team_claim(
        &self,
        z: &ZendeskClient,
        fingerprint: i64,
        campaign: &str,
    ) -> AppResult<Held> {
        let desktop = self.desktop_id()?;
        let name = fingerprint.to_string();
        let (held, _) = self.take_claim(z, &name, &desktop, campaign).await?;
        Ok(Held {
            fingerprint,
            ..held
        })
    }

    /// Takes the claim named `name` for `holder` (a desktop, or one campaign of one) and
    /// `campaign`, or says who holds it. Returns it and its record as it now is.
    pub(crate) async fn take_claim(
        &self,
        z: &ZendeskClient,
        name: &str,
        holder: &str,
        campaign: &str,
    ) -> AppResult<(Held, Record)> {
        let mut mine = record(name, holder, campaign, "sending");
        let held = Held {
            fingerprint: 0,
            external_id: format!("claim:{name}"),
            holder: holder.to_string(),
            campaign: campaign.to_string(),
        };
        let (existing, record) = match z.create_unique(CLAIM, &mine).await? {
            Created::Created(r) => return Ok((held, r)),
            Created::NameTaken(r) => (Claim::from(&r), r),
        };
        let free = existing.holder == holder || existing.state != "sending" || {
            let now = store_now(z, &self.desktop_id()?).await?;
            let last = parse(&existing.updated_at).unwrap_or(now);
            now - last > chrono::Duration::from_std(self.team().claim_ttl).unwrap_or_default()
        };
        if !free {
            return Err(held_elsewhere(&existing));
        }
        // Take it over (keeping what it holds besides), then read it back after a moment: the
        // last writer holds it.
        for (k, v) in &record.custom_object_fields {
            mine.custom_object_fields
                .entry(k.clone())
                .or_insert_with(|| v.clone());
        }
        z.upsert(CLAIM, &held.external_id, &mine).await?;
        tokio::time::sleep(SETTLE.min(self.team().claim_ttl / 4)).await;
        let now = z.record(CLAIM, &record.id).await?;
        match now {
            Some(r) => {
                let c = Claim::from(&r);
                if c.holder == holder && c.campaign == campaign {
                    Ok((held, r))
                } else {
                    Err(held_elsewhere(&c))
                }
            }
            None => Err(AppError::new(
                ErrorCode::Unreachable,
                crate::text!("team.claim_lost"),
            )),
        }
    }

    /// Keeps a held claim alive (its `updated_at` moves on the store's clock).
    pub(crate) async fn team_beat(&self, z: &ZendeskClient, held: &Held) -> AppResult<()> {
        let name = held.external_id.trim_start_matches("claim:");
        z.upsert(
            CLAIM,
            &held.external_id,
            &record(name, &held.holder, &held.campaign, "sending"),
        )
        .await
        .map(|_| ())
    }

    /// Gives the message back (after the send's last push).
    pub(crate) async fn team_release(&self, z: &ZendeskClient, held: &Held) -> AppResult<()> {
        self.release_claim(z, held, Map::new()).await
    }

    /// Gives a claim back, writing `fields` besides.
    pub(crate) async fn release_claim(
        &self,
        z: &ZendeskClient,
        held: &Held,
        fields: Map<String, Value>,
    ) -> AppResult<()> {
        let name = held.external_id.trim_start_matches("claim:");
        let mut r = record(name, &held.holder, &held.campaign, "released");
        r.custom_object_fields.extend(fields);
        z.upsert(CLAIM, &held.external_id, &r).await.map(|_| ())
    }
}

fn held_elsewhere(c: &Claim) -> AppError {
    AppError::new(
        ErrorCode::Busy,
        crate::text!(
            "team.claimed",
            holder = c.holder,
            campaign = c.campaign,
            since = c.updated_at
        ),
    )
}
