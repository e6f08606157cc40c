//! A campaign's run, from start to end: checked, the team's claim of its message taken, the
//! lease acquired, sent (`engine`), ended (its status, the lease released), the team settled;
//! and the cancel of a campaign that no runner holds.

use super::control::{CampaignControl, CampaignProgress};
use super::engine::{self, Run};
use super::tally::Stop;
use crate::campaign::ledger::{self, Claims};
use crate::campaign::{lease, store, CampaignStatus, CampaignSummary, WaitReason};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::Writer;
use crate::workspace::Workspace;
use rusqlite::{params, Connection};
use std::sync::Arc;

impl Workspace {
    /// Sends a campaign until every recipient is done, or it is paused or cancelled. Refused
    /// while another window or process runs it.
    pub async fn run_campaign(
        &self,
        id: &str,
        control: &CampaignControl,
        mut progress: impl FnMut(&CampaignProgress),
    ) -> AppResult<CampaignSummary> {
        let finished = |c: &CampaignSummary| {
            c.status.is_finished().then(|| {
                AppError::new(
                    ErrorCode::InvalidInput,
                    if c.status == CampaignStatus::Cancelled {
                        crate::text!("campaign.finished_cancelled", id = id)
                    } else {
                        crate::text!("campaign.finished_completed", id = id)
                    },
                )
            })
        };
        let mut before = self.campaign(id)?;
        if let Some(e) = finished(&before) {
            return Err(e);
        }
        // Scheduled or missed, sent now: checked and frozen again first.
        if matches!(
            before.status,
            CampaignStatus::Scheduled | CampaignStatus::Missed
        ) {
            before = self.start_scheduled(id).await?;
        }
        if before.status == CampaignStatus::Creating {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                crate::text!("campaign.creating", id = id),
            ));
        }
        self.verify_access().await?;
        // The team's ledger, as of now: this desktop's entries pushed, the others' pulled.
        let fingerprint = store::fingerprint(&self.db(), id)?;
        let claim = self.team_before_send(id, fingerprint).await?;
        if claim.is_none() {
            store::mark_desktop_only(&self.db(), id)?;
        }
        // Held until this function returns; the OS releases it if the process dies. Refused
        // while another run of this campaign holds it — and the message's claim with it.
        let _lock = lease::lock(self, id)?;
        let started = async {
            // Frozen by an earlier Relay: its numbers read again, a misread one never sent.
            store::skip_misread(&self.db(), id, self.now_ms())?;
            let client = Arc::new(self.sunshine_client()?);
            let runner_id = uuid::Uuid::new_v4().simple().to_string();
            // Read again under the lock: another process may have ended it meanwhile.
            let campaign = self.campaign(id)?;
            if let Some(e) = finished(&campaign) {
                return Err(e);
            }
            // The portfolio's messaging limit, as the team's ledger (just pulled) and the
            // other runs' reservations leave it.
            let budget = self
                .budget_for_run(&campaign, claim.is_some())
                .await?
                .map(|b| Arc::new(std::sync::Mutex::new(b)));
            let writer = self.writer()?;
            let (cid, rid, host, now) = (
                id.to_string(),
                runner_id.clone(),
                lease::this_host(),
                self.now_ms(),
            );
            let patience = self.write_patience();
            let (claims, recovered) = writer
                .run(move |conn| {
                    crate::storage::write(conn, patience, |tx| {
                        let recovered = lease::acquire(tx, &cid, &rid, &host, now)?;
                        let mut claims = Claims::read(tx, &cid)?;
                        claims.budget = budget;
                        Ok((claims, recovered))
                    })
                })
                .await?;
            Ok((client, runner_id, campaign, writer, claims, recovered))
        };
        // Refused here (ended meanwhile, run on another machine…): the message's claim is given
        // back unless another run of the message holds it.
        let (client, runner_id, campaign, writer, claims, recovered) = match started.await {
            Ok(started) => started,
            Err(e) => {
                let still_sent = store::message_running(&self.db(), fingerprint, self.now_ms())?;
                self.queue_summary_then_settle(claim, still_sent);
                return Err(e);
            }
        };
        if recovered > 0 {
            tracing::warn!(campaign = %id, recovered, "rows left sending by an earlier runner are now unknown");
        }
        tracing::info!(campaign = %id, rate = campaign.rate, "campaign sending");
        let budget = claims.budget.clone();
        let sending = engine::send(
            Run {
                ws: self,
                campaign: &campaign,
                claims,
                runner: &runner_id,
                client: &client,
                writer: &writer,
                control,
            },
            &mut progress,
        );
        // While it sends, the team's claim of the message is kept alive.
        let stop = match &claim {
            Some(held) => {
                tokio::select! {
                    stop = sending => stop,
                    _ = self.team_keep(held, || control.pause()) => unreachable!("the heartbeat never ends"),
                }
            }
            // With no claim (this desktop only), the opt-outs are still read as it sends.
            None => {
                tokio::select! {
                    stop = sending => stop,
                    _ = self.optouts_keep() => unreachable!("the reads never end"),
                }
            }
        };
        let kept = budget.map(|b| {
            let b = b.lock().unwrap_or_else(|p| p.into_inner());
            if b.deferred() > 0 {
                tracing::info!(campaign = %id, "recipients past the messaging limit wait for the budget");
            }
            Kept {
                deferred: b.deferred() > 0,
                reached: b.taken(),
            }
        });
        let reserved = claim.is_some();
        let end = finish(self, &writer, id, &runner_id, stop, kept).await;
        // Done when its last message is: its entries go to the team — for a moment here (a
        // small send's all go), the rest in the background — the claim given back once they
        // are confirmed (`team_settle`).
        let still_sent = store::message_running(&self.db(), fingerprint, self.now_ms())?;
        self.queue_summary_then_settle(claim, still_sent);
        let running = |fp| store::message_running(&self.db(), fp, self.now_ms()).unwrap_or(true);
        self.team_settle_for(self.team().settle_at_end, &running)
            .await;
        if let (Some(k), true) = (kept, reserved) {
            self.budget_after_run(&campaign, k.reached).await;
        }
        let summary = self.campaign(id)?;
        progress(&CampaignProgress {
            campaign_id: id.to_string(),
            counts: summary.counts.clone(),
            rate: 0.0,
            eta_secs: None,
            status: summary.status,
            provider_wait_secs: None,
        });
        end.map(|_| summary)
    }

    /// Settles the sends that ended here with the team's store: their entries confirmed, their
    /// claims given back ([`Workspace::team_settle`]) — not the claim of a message being sent
    /// again here meanwhile. The app runs it in the background after a send; `relay send`
    /// before it exits ("syncing with the team").
    pub async fn team_settled(&self) {
        let running = |fp| store::message_running(&self.db(), fp, self.now_ms()).unwrap_or(true);
        self.team_settled_with(&running).await;
    }

    /// Cancels a campaign that no runner holds (ready, paused, or interrupted): rows left in
    /// flight become `unknown` (with their blackout entry), pending ones `skipped` (cancelled). A
    /// running one is cancelled through its `CampaignControl` instead.
    pub fn cancel_campaign(&self, id: &str) -> AppResult<CampaignSummary> {
        let campaign = self.campaign(id)?;
        if campaign.status.is_finished() {
            return Ok(campaign);
        }
        let _lock = lease::lock(self, id).map_err(|e| {
            if e.code == ErrorCode::InvalidInput {
                AppError::new(
                    ErrorCode::InvalidInput,
                    crate::text!("campaign.busy_cancel", id = id),
                )
            } else {
                e
            }
        })?;
        let now = self.now_ms();
        self.db().write(|tx| {
            lease::check_takeover(tx, id, &lease::this_host(), now)?;
            ledger::recover_in_flight(tx, id, now)?;
            ledger::cancel_pending(tx, id, now)?;
            tx.execute(
                "UPDATE campaigns SET status = 'cancelled', finished_at = ?2, pause_reason = NULL,
                     runner = NULL, runner_host = NULL, lease_until = NULL
                 WHERE id = ?1",
                params![id, now],
            )?;
            Ok(())
        })?;
        tracing::info!(campaign = %id, "campaign cancelled");
        self.campaign(id)
    }
}

/// Ends a run: the campaign's status, the lease released; a cancelled one's rows still in
/// flight (their outcome could not be written) become `unknown` and its pending ones
/// `skipped` — only while this runner still holds it. A run stopped by an error is paused,
/// with the error as its reason.
async fn finish(
    ws: &Workspace,
    writer: &Writer,
    id: &str,
    runner: &str,
    stop: Stop,
    kept: Option<Kept>,
) -> AppResult<()> {
    // `None`: done — completed, or paused if recipients are left (taken back, say).
    let (status, reason, error) = match stop {
        Stop::Done => (None, None, None),
        Stop::Paused(reason) => (Some(CampaignStatus::Paused), reason, None),
        Stop::Cancelled => (Some(CampaignStatus::Cancelled), None, None),
        Stop::Failed(e) => (Some(CampaignStatus::Paused), Some(e.text.clone()), Some(e)),
    };
    let (cid, rid, now) = (id.to_string(), runner.to_string(), ws.now_ms());
    let patience = ws.write_patience();
    let ended = writer
        .run(move |conn| {
            crate::storage::write(conn, patience, |tx| {
                // Done with recipients left: waiting when they wait for their quiet hours to end
                // or for the messaging limit's budget (and nobody is in flight), paused otherwise
                // (taken back meanwhile, say).
                let next_at = match status {
                    None if left(tx, &cid)? > 0 && waits(tx, &cid, kept.is_some())? => {
                        ledger::next_opening(tx, &cid)?
                    }
                    _ => None,
                };
                let status = match status {
                    Some(s) => s,
                    None if next_at.is_some() => CampaignStatus::Waiting,
                    None if left(tx, &cid)? == 0 => CampaignStatus::Completed,
                    None => CampaignStatus::Paused,
                };
                if !lease::release(tx, &cid, &rid, status, reason.as_ref(), now)? {
                    return Ok(None); // taken over: the new runner says how it ends
                }
                store::set_next_at(tx, &cid, next_at)?;
                let why = match kept {
                    Some(k) if k.deferred || no_quiet_hours(tx, &cid)? => {
                        WaitReason::MessagingLimit
                    }
                    _ => WaitReason::QuietHours,
                };
                store::set_waits_for(tx, &cid, (status == CampaignStatus::Waiting).then_some(why))?;
                if status == CampaignStatus::Cancelled {
                    ledger::recover_in_flight(tx, &cid, now)?;
                    ledger::cancel_pending(tx, &cid, now)?;
                }
                Ok(Some(status))
            })
        })
        .await?;
    let status = ended.map_or("taken over".to_string(), |s| s.to_string());
    tracing::info!(campaign = %id, status, "campaign run ended");
    match error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Recipients still pending or in flight.
fn left(conn: &Connection, id: &str) -> AppResult<i64> {
    conn.query_row(
        "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = ?1 AND state IN ('pending', 'sending')",
        [id],
        |r| r.get(0),
    )
    .map_err(AppError::from)
}

/// What the messaging limit's budget did in a run: someone set aside for it, and the new numbers
/// reached.
#[derive(Debug, Clone, Copy)]
struct Kept {
    deferred: bool,
    reached: u32,
}

/// A campaign with quiet hours, or kept to the messaging limit (`budget`), and nobody in
/// flight: its recipients left wait for their window or for the budget.
fn waits(conn: &Connection, id: &str, budget: bool) -> AppResult<bool> {
    conn.query_row(
        "SELECT (quiet_hours IS NOT NULL OR ?2)
                AND NOT EXISTS (SELECT 1 FROM campaign_recipients WHERE campaign_id = ?1 AND state = 'sending')
         FROM campaigns WHERE id = ?1",
        params![id, budget],
        |r| r.get(0),
    )
    .map_err(AppError::from)
}

/// A campaign without quiet hours (those of its recipients who wait, wait for the budget).
fn no_quiet_hours(conn: &Connection, id: &str) -> AppResult<bool> {
    conn.query_row(
        "SELECT quiet_hours IS NULL FROM campaigns WHERE id = ?1",
        [id],
        |r| r.get(0),
    )
    .map_err(AppError::from)
}

impl Workspace {
    /// After a run (ended, or refused once begun): the campaign's summary (its status, its
    /// counts) queued for the team now, whether the store answers; then its claim handed to the
    /// team to give back ([`Workspace::team_after_send`]).
    fn queue_summary_then_settle(&self, claim: Option<crate::team::claim::Held>, still_sent: bool) {
        if let Err(e) = self.queue_campaign_summaries() {
            tracing::warn!(
                "the campaign's summary was not queued for the team: {}",
                e.message
            );
        }
        self.team_after_send(claim, still_sent);
    }
}
