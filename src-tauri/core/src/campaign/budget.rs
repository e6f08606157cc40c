//! The messaging limit kept by the send (`meta::budget`): the numbers the portfolio reached in
//! the last 24 hours — this desktop's campaigns, test sends included, and the entries the team's
//! ledger holds from the other desktops — made into a run's budget; and the budget as the review
//! and `relay send` show it before sending.

use crate::channel::{Channel, IntegrationKind};
use crate::error::AppResult;
use crate::meta::budget::{Budget, Limit, Portfolio, WINDOW_MS};
use crate::number_key::NumberKeys;
use crate::text::Text;
use crate::workspace::Workspace;
use rusqlite::{params, Connection};
use serde::Serialize;
use specta::Type;

/// Each number (as [`crate::meta::budget::who`] names it) the portfolio's integrations reached
/// since `since_ms`, with when — from every desktop the team's ledger knows of. An entry of
/// another desktop whose campaign is not known here counts (the limit is kept, not stretched).
pub(crate) fn portfolio_reach(
    conn: &Connection,
    portfolio: &Portfolio,
    since_ms: i64,
) -> AppResult<Vec<(String, i64)>> {
    let integrations = serde_json::to_string(&portfolio.integrations).unwrap_or_default();
    let mut out = Vec::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT COALESCE('#' || relay_number_key(r.phone), r.phone), r.updated_at
             FROM campaigns k JOIN campaign_recipients r ON r.campaign_id = k.id
             WHERE k.channel = ?3
               AND (?2 = '[]' OR k.integration_id IN (SELECT value FROM json_each(?2)))
               AND (k.finished_at IS NULL OR k.finished_at >= ?1)
               AND r.state IN ('sent', 'unknown', 'sending') AND r.updated_at >= ?1
               AND r.phone IS NOT NULL",
        )?;
        let rows = stmt.query_map(
            params![since_ms, integrations, IntegrationKind::WhatsApp],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )?;
        for row in rows {
            out.push(row?);
        }
    }
    let campaigns = crate::team::campaigns::channels(conn)?;
    for (who, at, campaign) in crate::blackout::pulled_since(conn, since_ms)? {
        let known = campaign.as_deref().and_then(|c| campaigns.get(c));
        let counts = match known {
            None => true,
            Some((channel, integration)) => {
                channel
                    .as_deref()
                    .is_none_or(|c| c == IntegrationKind::WhatsApp.as_ref())
                    && integration.as_deref().is_none_or(|i| portfolio.includes(i))
            }
        };
        if counts {
            out.push((who, at));
        }
    }
    Ok(out)
}

/// The budget a run through `integration_id` is kept to, as of `now_ms`; None when no limit
/// applies (SMS, an integration outside the portfolio, a limit not set or unlimited).
fn run_budget(
    conn: &Connection,
    keys: &NumberKeys,
    portfolio: &Portfolio,
    channel: Channel,
    integration_id: &str,
    now_ms: i64,
) -> AppResult<Option<Budget>> {
    let Some(limit) = (channel == Channel::WhatsApp)
        .then(|| portfolio.numbers_for(integration_id))
        .flatten()
    else {
        return Ok(None);
    };
    let reached = portfolio_reach(conn, portfolio, now_ms - WINDOW_MS)?;
    Ok(Some(Budget::new(limit, reached, now_ms, keys.clone())))
}

/// How long a campaign's reservation holds once the run ends: its entries are on their way to
/// the team's store meanwhile.
const HOLD_AFTER_RUN: std::time::Duration = std::time::Duration::from_secs(600);

impl Workspace {
    /// The budget a run of `c` is kept to (None when no limit applies): as this desktop's ledger
    /// says it, and — when the team's store is reachable (`team`) — no more than the campaign
    /// could reserve in the store beside the other campaigns of the portfolio.
    pub(crate) async fn budget_for_run(
        &self,
        c: &super::CampaignSummary,
        team: bool,
    ) -> AppResult<Option<Budget>> {
        let portfolio = Portfolio::of(&self.settings()?);
        if c.kind.channel() != Channel::WhatsApp
            || portfolio.numbers_for(&c.integration_id).is_none()
        {
            return Ok(None);
        }
        self.known_number_key();
        let keys = self.db().number_keys().clone();
        let read = || {
            run_budget(
                self.db().connection(),
                &keys,
                &portfolio,
                c.kind.channel(),
                &c.integration_id,
                self.now_ms(),
            )
        };
        if !team {
            tracing::warn!(campaign = %c.id, "the messaging limit is kept with this desktop's ledger alone");
            return read();
        }
        let wanted = super::store::counts(self.db().connection(), &c.id)?.pending;
        // Held for twice the time sending what it was granted should take, and ten minutes more.
        let rate = u64::from(c.rate.max(1));
        let hold = |granted: u32| {
            std::time::Duration::from_secs(u64::from(granted) / rate * 2) + HOLD_AFTER_RUN
        };
        let granted = self
            .team_reserve(&portfolio.key(), &c.id, wanted, hold, || {
                Ok(read()?.map_or(0, |b| b.left()))
            })
            .await?;
        let mut budget = read()?;
        if let Some(b) = &mut budget {
            b.cap(granted);
        }
        Ok(budget)
    }

    /// After a run kept to the team's reservation: the reservation written down to the new
    /// numbers it reached (held a while for its entries to reach the store). The store not
    /// answering only leaves the reservation to expire.
    pub(crate) async fn budget_after_run(&self, c: &super::CampaignSummary, reached: u32) {
        let portfolio = Portfolio::of(&self.settings().unwrap_or_default());
        if let Err(e) = self
            .team_unreserve(&portfolio.key(), &c.id, reached, HOLD_AFTER_RUN)
            .await
        {
            tracing::warn!(campaign = %c.id, "the messaging limit's reservation was left to expire: {}", e.message);
        }
    }
}

/// The messaging limit before a send, as the review and `relay send` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct BudgetView {
    /// The limit; `not_set` when nobody set it (Relay cannot keep it: the review says so).
    pub limit: Limit,
    /// The integration shares the portfolio's limit (false: outside it, nothing is kept).
    pub in_portfolio: bool,
    /// Unique numbers the portfolio reached in the last 24 hours, from every desktop.
    pub used: u32,
    /// What may still be reached now (limit − used).
    pub available: u32,
    /// Unique numbers the campaign reaches, and of them those reached in the last 24 hours
    /// (they cost nothing).
    pub reach: u32,
    pub reached_lately: u32,
    /// Recipients that go now, and those that wait for the budget.
    pub now: u32,
    pub waiting: u32,
    /// When the waiting ones can go: by each time (ms since the epoch, as text), how many
    /// (cumulated), as the earlier sends leave the 24-hour window.
    pub releases: Vec<BudgetRelease>,
    /// When the last of them can go (ms, as text) — later when the campaign's own sends must
    /// leave the window first.
    pub all_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct BudgetRelease {
    pub at: String,
    pub count: u32,
}

impl BudgetView {
    /// What it says before a send, line by line, as `relay send` prints it (`when` writes a time
    /// given as milliseconds in text).
    pub fn describe(&self, when: impl Fn(&str) -> String) -> Vec<Text> {
        match self.limit {
            Limit::NotSet => vec![crate::text!("budget.not_set")],
            _ if !self.in_portfolio => vec![crate::text!("budget.outside")],
            Limit::Unlimited => vec![crate::text!("budget.unlimited")],
            Limit::Numbers(n) => {
                let mut out = vec![crate::text!(
                    "budget.summary",
                    limit = n,
                    used = self.used,
                    available = self.available
                )];
                if self.waiting == 0 {
                    out.push(crate::text!(
                        "budget.fits",
                        reach = self.reach,
                        lately = self.reached_lately
                    ));
                } else {
                    out.push(crate::text!(
                        "budget.waits",
                        reach = self.reach,
                        now = self.now,
                        waiting = self.waiting,
                        all_by = self.all_by.as_deref().map(&when).unwrap_or_default()
                    ));
                    out.extend(self.releases.iter().take(6).map(|r| {
                        crate::text!("budget.release", at = when(&r.at), count = r.count)
                    }));
                }
                out
            }
        }
    }
}

impl Workspace {
    /// The messaging limit as it stands for a send of `audience_id` (its members left in, as
    /// last checked) through `integration_id`: None for an SMS integration.
    pub async fn whatsapp_budget(
        &self,
        audience_id: &str,
        integration_id: &str,
    ) -> AppResult<Option<BudgetView>> {
        if self.integration_kind(integration_id).await?.channel() != Channel::WhatsApp {
            return Ok(None);
        }
        self.known_number_key();
        let portfolio = Portfolio::of(&self.settings()?);
        let now = self.now_ms();
        let phones = crate::audience::store::eligible_phones(&self.db(), audience_id)?;
        let db = self.db();
        let keys = db.number_keys().clone();
        let in_portfolio = portfolio.includes(integration_id);
        let Some(limit) = portfolio.numbers_for(integration_id) else {
            let reach = phones.len() as u32;
            return Ok(Some(BudgetView {
                limit: portfolio.limit,
                in_portfolio,
                used: 0,
                available: 0,
                reach,
                reached_lately: 0,
                now: reach,
                waiting: 0,
                releases: Vec::new(),
                all_by: None,
            }));
        };
        let reached = portfolio_reach(db.connection(), &portfolio, now - WINDOW_MS)?;
        let budget = Budget::new(limit, reached, now, keys);
        let (used, available) = (budget.used(), budget.left());
        let mut reached_lately = 0;
        let mut new = 0u32;
        for p in &phones {
            if budget.is_reached(p) {
                reached_lately += 1;
            } else {
                new += 1;
            }
        }
        let waiting = new.saturating_sub(available);
        let freeing = budget.releases(waiting);
        let releases: Vec<BudgetRelease> = freeing
            .iter()
            .map(|r| BudgetRelease {
                at: r.at_ms.to_string(),
                count: r.count,
            })
            .collect();
        let freed = releases.last().map_or(0, |r| r.count);
        let all_by = (waiting > 0).then(|| {
            let last = freeing.last().map_or(now, |r| r.at_ms);
            // Beyond the slots freeing, the campaign's own sends (from now) free theirs a day
            // later, a limit's worth each day.
            let rounds = i64::from((waiting - freed).div_ceil(limit.max(1)));
            last.max(now + rounds * WINDOW_MS).to_string()
        });
        Ok(Some(BudgetView {
            limit: portfolio.limit,
            in_portfolio,
            used,
            available,
            reach: phones.len() as u32,
            reached_lately,
            now: phones.len() as u32 - waiting,
            waiting,
            releases,
            all_by,
        }))
    }
}
