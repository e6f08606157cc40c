//! The WhatsApp messaging limit across the team: every run that sends through a portfolio with a
//! limit reserves, before its first message, the new numbers it may reach — in one record of the
//! store per portfolio (a claim named `budget:KEY`, whose `reservations` field holds each run's
//! reservation and until when it holds). A run takes that claim as a lock (a few requests), pulls
//! the team's ledger, counts what the portfolio reached in 24 hours (its entries) and what the
//! other runs still hold (their reservations, not yet all in the ledger: counted twice at worst,
//! never missed), writes its own, and gives the lock back. Two desktops — or two processes of one
//! — sending through one portfolio at once so stay within the limit.

use super::claim::parse;
use crate::clients::zendesk::custom_objects::Record;
use crate::error::{AppResult, ErrorCode};
use crate::workspace::Workspace;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// How long a run waits for another to give the lock back (it holds it a few requests).
const LOCK_PATIENCE: Duration = Duration::from_secs(60);
const LOCK_RETRY: Duration = Duration::from_millis(700);

/// The reservations a portfolio's record holds: run → (numbers, until, ms on the store's clock).
fn reservations(r: &Record) -> BTreeMap<String, (u32, i64)> {
    r.custom_object_fields
        .get("reservations")
        .and_then(Value::as_str)
        .and_then(|t| serde_json::from_str::<BTreeMap<String, (u32, i64)>>(t).ok())
        .unwrap_or_default()
}

/// The store's time a record was written at, in ms.
fn written_at(r: &Record) -> i64 {
    parse(&r.updated_at).map_or(0, |d| d.timestamp_millis())
}

impl Workspace {
    /// Reserves for run `runner` of `campaign` up to `wanted` new numbers of the portfolio
    /// `portfolio` (a key naming its integrations) for `hold` (from now, on the store's clock),
    /// given `left` — what the limit leaves as this desktop's ledger says, read once the team's
    /// entries are pulled. Returns what it may reach: `left` less the other runs' reservations.
    pub(crate) async fn team_reserve(
        &self,
        portfolio: &str,
        runner: &str,
        campaign: &str,
        wanted: u32,
        hold: Duration,
        left: impl Fn() -> AppResult<u32>,
    ) -> AppResult<u32> {
        let z = self.team_client()?;
        let name = format!("budget:{portfolio}");
        let holder = format!("{}#{runner}", self.desktop_id()?);
        let began = tokio::time::Instant::now();
        let (held, record) = loop {
            match self
                .take_claim(&z, &name, &holder, campaign, Map::new())
                .await
            {
                Ok(taken) => break taken,
                Err(e) if e.code == ErrorCode::Busy && began.elapsed() < LOCK_PATIENCE => {
                    tokio::time::sleep(LOCK_RETRY).await;
                }
                Err(e) => return Err(e),
            }
        };
        let reserved = async {
            // Under the lock: what the other runs pushed so far is in the ledger.
            self.team_pull(&z, None).await?;
            let now = written_at(&record);
            let mut held_by: BTreeMap<String, (u32, i64)> = reservations(&record);
            held_by.retain(|run, (_, until)| *until > now && run != runner);
            let others: u32 = held_by.values().map(|(n, _)| *n).sum();
            let granted = wanted.min(left()?.saturating_sub(others));
            held_by.insert(runner.to_string(), (granted, now + hold.as_millis() as i64));
            tracing::info!(
                portfolio,
                wanted,
                granted,
                others,
                "messaging limit reserved"
            );
            AppResult::Ok((granted, held_by))
        }
        .await;
        // The lock is given back whatever happened (with the reservation when there is one).
        let mut fields = Map::new();
        if let Ok((_, held_by)) = &reserved {
            fields.insert(
                "reservations".into(),
                json!(serde_json::to_string(held_by).unwrap_or_default()),
            );
        } else {
            fields.insert(
                "reservations".into(),
                json!(serde_json::to_string(&reservations(&record)).unwrap_or_default()),
            );
        }
        self.release_claim(&z, &held, fields).await?;
        reserved.map(|(granted, _)| granted)
    }
}
