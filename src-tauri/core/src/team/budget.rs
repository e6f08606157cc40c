//! The WhatsApp messaging limit across the team: every campaign that sends through a portfolio
//! with a limit reserves, before its run's first message, the new numbers it may reach — in one
//! record of the store per portfolio (a claim named `budget:KEY`, whose `reservations` field holds
//! each campaign's reservation and until when it holds, on the store's clock). A run takes that
//! claim as a lock (a few requests), pulls the team's ledger, counts what the portfolio reached in
//! 24 hours (its entries) and what the other campaigns still hold (their reservations, not yet all
//! in the ledger: counted twice at worst, never missed), writes its own, and gives the lock back.
//! At its end it writes its reservation down to what it reached, held a while longer for its
//! entries to reach the store. Two desktops — or two processes of one — sending through one
//! portfolio at once so stay within the limit.

use super::claim::parse;
use crate::clients::zendesk::custom_objects::Record;
use crate::error::{AppResult, ErrorCode};
use crate::workspace::Workspace;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::time::Duration;

const LOCK_RETRY: Duration = Duration::from_millis(700);

/// Each campaign's reservation: (numbers, until, ms on the store's clock).
type Reservations = BTreeMap<String, (u32, i64)>;

/// The reservations a portfolio's record holds.
fn reservations(r: &Record) -> Reservations {
    r.custom_object_fields
        .get("reservations")
        .and_then(Value::as_str)
        .and_then(|t| serde_json::from_str::<Reservations>(t).ok())
        .unwrap_or_default()
}

/// The store's time a record was written at, in ms.
fn written_at(r: &Record) -> i64 {
    parse(&r.updated_at).map_or(0, |d| d.timestamp_millis())
}

impl Workspace {
    /// Runs `change` on the portfolio's reservations under its lock (waited for while another
    /// run holds it, at most as long as a lock lives before it is taken over), the expired ones
    /// left out, then writes them and gives the lock back — whatever `change` returned.
    async fn under_budget_lock<T>(
        &self,
        portfolio: &str,
        campaign: &str,
        change: impl AsyncFnOnce(&mut Reservations, i64) -> AppResult<T>,
    ) -> AppResult<T> {
        let z = self.team_client()?;
        let name = format!("budget:{portfolio}");
        let holder = format!("{}#{campaign}", self.desktop_id()?);
        let patience = self.team().claim_ttl + Duration::from_secs(30);
        let began = tokio::time::Instant::now();
        let (held, record) = loop {
            match self.take_claim(&z, &name, &holder, campaign).await {
                Ok(taken) => break taken,
                Err(e) if e.code == ErrorCode::Busy && began.elapsed() < patience => {
                    tokio::time::sleep(LOCK_RETRY).await;
                }
                Err(e) => return Err(e),
            }
        };
        let now = written_at(&record);
        let mut held_by = reservations(&record);
        held_by.retain(|_, (_, until)| *until > now);
        let result = change(&mut held_by, now).await;
        let mut fields = Map::new();
        fields.insert(
            "reservations".into(),
            json!(serde_json::to_string(&held_by).unwrap_or_default()),
        );
        self.release_claim(&z, &held, fields).await?;
        result
    }

    /// Reserves for `campaign` up to `wanted` new numbers of the portfolio `portfolio` (a key
    /// naming its integrations), held `hold(granted)` from now, given `left` — what the limit
    /// leaves as this desktop's ledger says, read once the team's entries are pulled. Returns
    /// what it may reach: `left` less the other campaigns' reservations (its own earlier one is
    /// replaced).
    pub(crate) async fn team_reserve(
        &self,
        portfolio: &str,
        campaign: &str,
        wanted: u32,
        hold: impl Fn(u32) -> Duration,
        left: impl Fn() -> AppResult<u32>,
    ) -> AppResult<u32> {
        self.under_budget_lock(portfolio, campaign, async |held_by, now| {
            // Under the lock: what the other campaigns pushed so far is in the ledger — the
            // changes since the run's own pull a moment ago, in bounded pages, so the lock is
            // given back well within its life.
            let z = self.team_client()?;
            self.team_pull(&z, Some(super::replicate::BOUNDED_PAGES))
                .await?;
            held_by.remove(campaign);
            let others: u32 = held_by.values().map(|(n, _)| *n).sum();
            let granted = wanted.min(left()?.saturating_sub(others));
            held_by.insert(
                campaign.to_string(),
                (granted, now + hold(granted).as_millis() as i64),
            );
            tracing::info!(
                portfolio,
                wanted,
                granted,
                others,
                "messaging limit reserved"
            );
            Ok(granted)
        })
        .await
    }

    /// At the end of a run: `campaign`'s reservation written down to the `reached` new numbers it
    /// reached, held `hold` more (its entries are on their way to the store), or dropped.
    pub(crate) async fn team_unreserve(
        &self,
        portfolio: &str,
        campaign: &str,
        reached: u32,
        hold: Duration,
    ) -> AppResult<()> {
        self.under_budget_lock(portfolio, campaign, async |held_by, now| {
            if reached == 0 {
                held_by.remove(campaign);
            } else {
                held_by.insert(
                    campaign.to_string(),
                    (reached, now + hold.as_millis() as i64),
                );
            }
            Ok(())
        })
        .await
    }
}
