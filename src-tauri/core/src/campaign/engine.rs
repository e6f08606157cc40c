//! The send engine: one runner per campaign (a lease in SQLite with a heartbeat), a real rate
//! limiter (`governor`), bounded concurrency, each state written before and after the call, the
//! blackout entry in the same transaction as `sent`, auto-pause after consecutive failures,
//! pause / resume / cancel, and recovery of rows left `sending` by a runner that died.

use super::{
    insert_campaign, insert_recipients, not_found, sql, CampaignSummary, Frozen, NewCampaign,
    RecipientState, StateCounts, FREEZE_CHUNK,
};
use crate::audience::run::MessageSpec;
use crate::clients::sunshine::{NotifyFailure, SunshineClient};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::workspace::Workspace;
use governor::{Quota, RateLimiter};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use specta::Type;
use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A runner holds a campaign this long without a heartbeat; it renews every third of it.
pub const LEASE_MS: i64 = 15_000;
/// Why a row left `sending` by a runner that stopped is `unknown`.
const INTERRUPTED: &str = "Relay stopped while this message was being sent: it may have been delivered. Re-send it only if you are sure it was not.";
/// The fastest a campaign may send (messages per second).
pub const MAX_RATE: u32 = crate::settings::MAX_SEND_RATE;
/// Pending recipients read per database round trip.
const QUEUE_CHUNK: u32 = 500;
/// The most messages marked `sending` in one transaction and sent together.
const BATCH: usize = 64;

/// Pause and cancel, from the UI or a signal, read by the runner between sends.
#[derive(Debug, Default)]
pub struct CampaignControl {
    pause: AtomicBool,
    cancel: AtomicBool,
    unthrottled: bool,
}

impl CampaignControl {
    /// Sends as fast as the server answers, ignoring the campaign's rate: only to measure the
    /// engine against a local server (the send benchmark). Never offered to users.
    pub fn unthrottled() -> Self {
        CampaignControl {
            unthrottled: true,
            ..CampaignControl::default()
        }
    }

    pub fn pause(&self) {
        self.pause.store(true, Ordering::Relaxed);
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// Where a running campaign stands, sent after every few results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct CampaignProgress {
    pub campaign_id: String,
    pub counts: StateCounts,
    /// Messages accepted per second over the last 5 seconds.
    pub rate: f64,
    /// Seconds left at the configured rate.
    pub eta_secs: Option<u32>,
    pub status: String,
}

/// What one call ended as.
struct Outcome {
    seq: u32,
    user_id: u64,
    phone: String,
    result: Result<Option<String>, NotifyFailure>,
}

impl Workspace {
    /// Freezes a campaign from a fetched audience: the audience is checked again for the
    /// message, then each recipient's notification is rendered and stored (`pending`), and each
    /// excluded member stored as `skipped` with its reason. Nothing is sent.
    pub async fn create_campaign(
        &self,
        audience_id: &str,
        spec: MessageSpec,
        rate: Option<u32>,
        auto_pause_after: Option<u32>,
    ) -> AppResult<CampaignSummary> {
        let rate = match rate {
            Some(r) => r,
            None => self.settings()?.rate_for(&spec.integration_id),
        };
        check_rate(rate)?;
        let auto_pause_after = auto_pause_after
            .unwrap_or(self.settings()?.auto_pause_after)
            .max(1);
        let checked = self.check_audience(audience_id, Some(spec.clone())).await?;
        let (renderer, fingerprint) = self.renderer(audience_id, &spec).await?;
        let namespace = self.settings()?.whatsapp_namespace;
        let now = self.now_ms();
        let id = self
            .new_campaign(
                audience_id,
                &spec,
                fingerprint,
                &checked.query,
                (rate, auto_pause_after),
                false,
            )
            .await?;
        // Those who will receive it, rendered once, now: a resume sends exactly this.
        let mut after = -1;
        loop {
            let chunk =
                crate::audience::eligible_chunk(&self.db(), audience_id, after, FREEZE_CHUNK)?;
            let Some((last, _)) = chunk.last() else {
                break;
            };
            after = *last;
            let rows: Vec<Frozen> = chunk
                .into_iter()
                .map(|(seq, r)| {
                    let phone = r.phone.clone().unwrap_or_default();
                    match renderer.render(&r) {
                        Ok(out) => Frozen {
                            seq: seq as u32,
                            user_id: r.user_id,
                            name: r.name.clone(),
                            payload: Some(
                                renderer
                                    .notification(&spec.integration_id, &namespace, &phone, &out)
                                    .to_string(),
                            ),
                            phone: Some(phone),
                            segments: out.segments,
                            reason: None,
                        },
                        Err((reason, _)) => Frozen {
                            seq: seq as u32,
                            user_id: r.user_id,
                            name: r.name.clone(),
                            phone: Some(phone),
                            payload: None,
                            segments: 0,
                            reason: Some(reason.as_str().to_string()),
                        },
                    }
                })
                .collect();
            insert_recipients(&self.db(), &id, &rows, now)?;
        }
        // Those left out, with their reason, a chunk at a time.
        let mut after = -1i64;
        loop {
            let chunk: Vec<Frozen> = {
                let db = self.db();
                let mut stmt = db
                    .connection()
                    .prepare_cached(
                        "SELECT seq, user_id, name, phone, reason FROM audience_members
                         WHERE audience_id = ?1 AND reason IS NOT NULL AND seq > ?2 ORDER BY seq LIMIT ?3",
                    )
                    .map_err(sql)?;
                let rows = stmt
                    .query_map(params![audience_id, after, FREEZE_CHUNK], |r| {
                        Ok(Frozen {
                            seq: r.get::<_, i64>(0)? as u32,
                            user_id: r.get::<_, i64>(1)? as u64,
                            name: r.get(2)?,
                            phone: r.get(3)?,
                            payload: None,
                            segments: 0,
                            reason: r.get(4)?,
                        })
                    })
                    .map_err(sql)?;
                rows.collect::<rusqlite::Result<_>>().map_err(sql)?
            };
            let Some(last) = chunk.last() else {
                break;
            };
            after = i64::from(last.seq);
            insert_recipients(&self.db(), &id, &chunk, now)?;
        }
        tracing::info!(campaign = %id, rate, "campaign created");
        self.campaign(&id)
    }

    /// Stores a new campaign's row (status `ready`, no recipients yet); returns its id.
    /// `limits` is (messages per second, failures in a row before it pauses itself).
    async fn new_campaign(
        &self,
        audience_id: &str,
        spec: &MessageSpec,
        fingerprint: i64,
        query: &str,
        limits: (u32, u32),
        test: bool,
    ) -> AppResult<String> {
        let draft = crate::template::drafts::get(&self.db(), &spec.template_id)?;
        let channel = self.integration_kind(&spec.integration_id).await?;
        let id = uuid::Uuid::new_v4().simple().to_string();
        insert_campaign(
            &self.db(),
            &NewCampaign {
                id: &id,
                spec,
                template_name: &draft.template.name,
                language: &draft.template.language,
                channel: &channel,
                fingerprint,
                audience_id: Some(audience_id),
                query,
                rate: limits.0,
                auto_pause_after: limits.1,
                test,
                now_ms: self.now_ms(),
            },
        )?;
        Ok(id)
    }

    /// Sends one message to a typed number, filled with the first eligible recipient's values:
    /// recorded as a test campaign (outside the blackout window, kept out of it too).
    pub async fn send_test(
        &self,
        audience_id: &str,
        spec: MessageSpec,
        phone: &str,
    ) -> AppResult<CampaignSummary> {
        let settings = self.settings()?;
        let country = crate::audience::default_country(&settings.default_country);
        let Some(phone) = crate::audience::normalize_phone(phone, country) else {
            return Err(AppError::invalid_field(
                "phone",
                format!("\"{}\" is not a phone number Relay can read. Type it in international form, like +447400123456.", phone.trim()),
            ));
        };
        let (renderer, fingerprint) = self.renderer(audience_id, &spec).await?;
        let chunk = crate::audience::eligible_chunk(&self.db(), audience_id, -1, 50)?;
        let Some((recipient, out)) = chunk
            .into_iter()
            .find_map(|(_, r)| renderer.render(&r).ok().map(|out| (r, out)))
        else {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "A test takes its values from the first recipient who can receive the message, and there is none: check the exclusions and the mapping.",
            ));
        };
        let query = self.audience_summary(audience_id)?.query;
        let now = self.now_ms();
        let id = self
            .new_campaign(audience_id, &spec, fingerprint, &query, (1, 1), true)
            .await?;
        let payload = renderer
            .notification(
                &spec.integration_id,
                &settings.whatsapp_namespace,
                &phone,
                &out,
            )
            .to_string();
        insert_recipients(
            &self.db(),
            &id,
            &[Frozen {
                seq: 0,
                user_id: recipient.user_id,
                name: recipient.name.clone(),
                phone: Some(phone),
                payload: Some(payload),
                segments: out.segments,
                reason: None,
            }],
            now,
        )?;
        tracing::info!(campaign = %id, "test message");
        self.run_campaign(&id, &CampaignControl::default(), |_| {})
            .await
    }

    /// A dry run: the audience checked for the message and every recipient's rendered message
    /// written as CSV (user id, name, phone, the values, the text, SMS segments). Nothing is
    /// sent or stored besides the check. Returns how many messages would go out.
    pub async fn dry_run_csv(
        &self,
        audience_id: &str,
        spec: MessageSpec,
        out: impl std::io::Write,
    ) -> AppResult<u32> {
        self.check_audience(audience_id, Some(spec.clone())).await?;
        let (renderer, _) = self.renderer(audience_id, &spec).await?;
        let mut w = csv::Writer::from_writer(out);
        let io =
            |e: csv::Error| AppError::new(ErrorCode::Io, format!("Could not write the CSV: {e}."));
        w.write_record([
            "user_id",
            "name",
            "phone",
            "values",
            "message",
            "sms_segments",
        ])
        .map_err(io)?;
        let (mut after, mut n) = (-1, 0);
        loop {
            let chunk =
                crate::audience::eligible_chunk(&self.db(), audience_id, after, FREEZE_CHUNK)?;
            let Some((last, _)) = chunk.last() else {
                break;
            };
            after = *last;
            for (_, r) in chunk {
                // Checked just above: every eligible recipient renders.
                let Ok(out) = renderer.render(&r) else {
                    continue;
                };
                w.write_record([
                    r.user_id.to_string(),
                    r.name.clone(),
                    r.phone.clone().unwrap_or_default(),
                    out.values.join(" | "),
                    out.text.clone(),
                    out.segments.to_string(),
                ])
                .map_err(io)?;
                n += 1;
            }
        }
        w.flush()
            .map_err(|e| AppError::new(ErrorCode::Io, format!("Could not write the CSV: {e}.")))?;
        Ok(n)
    }

    pub fn campaign(&self, id: &str) -> AppResult<CampaignSummary> {
        let mut c = super::summary(&self.db(), id, self.now_ms())?;
        c.running = c.running && self.campaign_locked(id);
        Ok(c)
    }

    /// Every campaign, newest first.
    pub fn campaigns(&self) -> AppResult<Vec<CampaignSummary>> {
        let mut all = super::list(&self.db(), self.now_ms())?;
        for c in all.iter_mut().filter(|c| c.running) {
            c.running = self.campaign_locked(&c.id);
        }
        Ok(all)
    }

    pub fn campaign_recipients(
        &self,
        id: &str,
        state: Option<RecipientState>,
        offset: u32,
        limit: u32,
    ) -> AppResult<super::RecipientPage> {
        super::recipients(&self.db(), id, state, offset, limit.min(1000))
    }

    /// Campaigns a runner left behind (a crash, a closed app): running, with no live lease.
    pub fn interrupted_campaigns(&self) -> AppResult<Vec<CampaignSummary>> {
        Ok(self
            .campaigns()?
            .into_iter()
            .filter(|c| c.status == "running" && !c.running)
            .collect())
    }

    /// Cancels a campaign that no runner holds (ready, paused, or interrupted): its pending
    /// recipients become `skipped` (cancelled). A running one is cancelled through its
    /// [`CampaignControl`] instead.
    pub fn cancel_campaign(&self, id: &str) -> AppResult<CampaignSummary> {
        let campaign = self.campaign(id)?;
        if matches!(campaign.status.as_str(), "completed" | "cancelled") {
            return Ok(campaign);
        }
        let _lock = self.campaign_lock(id).map_err(|e| {
            if e.code == ErrorCode::InvalidInput {
                AppError::new(
                    ErrorCode::InvalidInput,
                    format!("The campaign {id} is being sent by another Relay window or process: cancel it there."),
                )
            } else {
                e
            }
        })?;
        let now = self.now_ms();
        let db = self.db();
        let tx = db.connection().unchecked_transaction().map_err(sql)?;
        tx.execute(
            "UPDATE campaigns SET status = 'cancelled', finished_at = ?2, pause_reason = NULL,
                 runner = NULL, lease_until = NULL
             WHERE id = ?1",
            params![id, now],
        )
        .map_err(sql)?;
        tx.execute(
            "UPDATE campaign_recipients SET state = 'unknown', updated_at = ?2, error = ?3
             WHERE campaign_id = ?1 AND state = 'sending'",
            params![id, now, INTERRUPTED],
        )
        .map_err(sql)?;
        tx.execute(
            "UPDATE campaign_recipients SET state = 'skipped', reason = 'cancelled', updated_at = ?2
             WHERE campaign_id = ?1 AND state = 'pending'",
            params![id, now],
        )
        .map_err(sql)?;
        tx.commit().map_err(sql)?;
        drop(db);
        tracing::info!(campaign = %id, "campaign cancelled");
        self.campaign(id)
    }

    /// Puts failed recipients (and unknown ones only when `unknown_too`: they may have been
    /// delivered) back in the queue; the campaign can then be resumed.
    pub fn requeue_recipients(&self, id: &str, unknown_too: bool) -> AppResult<u32> {
        self.campaign(id)?;
        super::requeue(&self.db(), id, unknown_too, self.now_ms())
    }

    pub fn export_campaign_csv(&self, id: &str, out: impl std::io::Write) -> AppResult<u32> {
        self.campaign(id)?;
        super::export_csv(&self.db(), id, out)
    }

    /// Sends a campaign until every recipient is done, or it is paused or cancelled. Refused
    /// while another window or process runs it.
    pub async fn run_campaign(
        &self,
        id: &str,
        control: &CampaignControl,
        mut progress: impl FnMut(&CampaignProgress),
    ) -> AppResult<CampaignSummary> {
        let finished = |c: &CampaignSummary| {
            matches!(c.status.as_str(), "completed" | "cancelled").then(|| {
                AppError::new(
                    ErrorCode::InvalidInput,
                    format!(
                        "The campaign {id} is {}: nothing is left to send. Retry its failed recipients first (`relay campaigns retry {id}`).",
                        c.status
                    ),
                )
            })
        };
        if let Some(e) = finished(&self.campaign(id)?) {
            return Err(e);
        }
        self.verify_access().await?;
        let client = std::sync::Arc::new(self.sunshine_client()?);
        let runner = uuid::Uuid::new_v4().simple().to_string();
        // Held until this function returns; the OS releases it if the process dies.
        let _lock = self.campaign_lock(id)?;
        // Read again under the lock: another process may have ended it meanwhile.
        let campaign = self.campaign(id)?;
        if let Some(e) = finished(&campaign) {
            return Err(e);
        }
        let recovered = acquire(self, id, &runner)?;
        if recovered > 0 {
            tracing::warn!(campaign = %id, recovered, "rows left sending by an earlier runner are now unknown");
        }
        tracing::info!(campaign = %id, rate = campaign.rate, "campaign sending");
        let result = self
            .send_loop(&campaign, &runner, &client, control, &mut progress)
            .await;
        let end = self.finish(id, &runner, result);
        let summary = self.campaign(id)?;
        progress(&CampaignProgress {
            campaign_id: id.to_string(),
            counts: summary.counts.clone(),
            rate: 0.0,
            eta_secs: None,
            status: summary.status.clone(),
        });
        end.map(|_| summary)
    }

    async fn send_loop(
        &self,
        campaign: &CampaignSummary,
        runner: &str,
        client: &std::sync::Arc<SunshineClient>,
        control: &CampaignControl,
        progress: &mut impl FnMut(&CampaignProgress),
    ) -> AppResult<Stop> {
        let id = campaign.id.as_str();
        let rate = NonZeroU32::new(campaign.rate.clamp(1, MAX_RATE)).unwrap_or(NonZeroU32::MIN);
        // A burst of 20 ms worth (at least 1): precise pacing, yet timers of 1 ms suffice at
        // 1,000 messages a second.
        let burst = NonZeroU32::new((campaign.rate / 50).max(1)).unwrap_or(NonZeroU32::MIN);
        let limiter = RateLimiter::direct(Quota::per_second(rate).allow_burst(burst));
        let max_in_flight = if control.unthrottled {
            256
        } else {
            (campaign.rate / 2).clamp(4, 256) as usize
        };
        let fingerprint: i64 = self
            .db()
            .connection()
            .query_row(
                "SELECT fingerprint FROM campaigns WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .map_err(sql)?;
        let mut counts = super::counts(&self.db(), id)?;
        let mut inflight = tokio::task::JoinSet::new();
        let mut queue: VecDeque<(u32, u64, String, String)> = VecDeque::new();
        let mut after: i64 = -1;
        let mut heartbeat = tokio::time::interval(Duration::from_millis((LEASE_MS / 3) as u64));
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut state = LoopState {
            consecutive: 0,
            accepted: VecDeque::new(),
            last_progress: Instant::now(),
            stop: None,
        };
        loop {
            let ready = landed(&mut inflight, None)?;
            self.apply(campaign, fingerprint, ready, &mut counts, &mut state)?;
            state.report(id, campaign.rate, &counts, progress, false);
            if state.stop.is_none() {
                if control.cancel.load(Ordering::Relaxed) {
                    state.stop = Some(Stop::Cancelled);
                } else if control.pause.load(Ordering::Relaxed) {
                    state.stop = Some(Stop::Paused(None));
                }
            }
            if state.stop.is_some() {
                break;
            }
            if queue.is_empty() {
                queue = next_pending(self, id, after)?;
                match queue.back() {
                    Some(last) => after = last.0 as i64,
                    None => break,
                }
            }
            if inflight.len() >= max_in_flight {
                tokio::select! {
                    Some(done) = inflight.join_next() => {
                        let ready = landed(&mut inflight, Some(done))?;
                        self.apply(campaign, fingerprint, ready, &mut counts, &mut state)?;
                    }
                    _ = heartbeat.tick() => renew(self, id, runner)?,
                }
                continue;
            }
            tokio::select! {
                _ = limiter.until_ready(), if !control.unthrottled => {}
                _ = std::future::ready(()), if control.unthrottled => {}
                Some(done) = inflight.join_next() => {
                    let ready = landed(&mut inflight, Some(done))?;
                    self.apply(campaign, fingerprint, ready, &mut counts, &mut state)?;
                    continue;
                }
                _ = heartbeat.tick() => {
                    renew(self, id, runner)?;
                    continue;
                }
            }
            // The limiter allowed one message; take any others it allows at once (a burst
            // is 20 ms of messages), up to the free slots.
            let room = max_in_flight.saturating_sub(inflight.len()).clamp(1, BATCH);
            let mut batch = Vec::with_capacity(room);
            while batch.len() < room {
                if !batch.is_empty() && !control.unthrottled && limiter.check().is_err() {
                    break;
                }
                match queue.pop_front() {
                    Some(next) => batch.push(next),
                    None => break,
                }
            }
            if batch.is_empty() {
                continue;
            }
            // Written before the calls, which leave right after: a crash from here on leaves
            // them `sending`, then `unknown`.
            mark_sending(self, id, batch.iter().map(|b| b.0))?;
            counts.pending = counts.pending.saturating_sub(batch.len() as u32);
            counts.sending += batch.len() as u32;
            for (seq, user_id, phone, payload) in batch {
                let client = client.clone();
                inflight.spawn(async move {
                    let result = client.send_notification(&payload).await;
                    Outcome {
                        seq,
                        user_id,
                        phone,
                        result,
                    }
                });
            }
        }
        // Let what is in flight land (it was sent, or may have been).
        while let Some(done) = inflight.join_next().await {
            let ready = landed(&mut inflight, Some(done))?;
            self.apply(campaign, fingerprint, ready, &mut counts, &mut state)?;
        }
        state.report(id, campaign.rate, &counts, progress, true);
        Ok(state.stop.unwrap_or(Stop::Done))
    }

    /// Records the outcomes of the calls that have landed, in one transaction: `sent` with its
    /// blackout entry, or `failed` / `unknown` with the reason.
    fn apply(
        &self,
        campaign: &CampaignSummary,
        fingerprint: i64,
        outcomes: Vec<Outcome>,
        counts: &mut StateCounts,
        state: &mut LoopState,
    ) -> AppResult<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let now = self.now_ms();
        let db = self.db();
        let tx = db.connection().unchecked_transaction().map_err(sql)?;
        {
            let mut sent = tx
                .prepare_cached(
                    "UPDATE campaign_recipients SET state = 'sent', notification_id = ?3, error = NULL, updated_at = ?4
                     WHERE campaign_id = ?1 AND seq = ?2",
                )
                .map_err(sql)?;
            let mut not_sent = tx
                .prepare_cached(
                    "UPDATE campaign_recipients SET state = ?3, error = ?4, updated_at = ?5
                     WHERE campaign_id = ?1 AND seq = ?2",
                )
                .map_err(sql)?;
            for o in outcomes {
                counts.sending = counts.sending.saturating_sub(1);
                match &o.result {
                    Ok(notification_id) => {
                        sent.execute(params![campaign.id, o.seq, notification_id, now])
                            .map_err(sql)?;
                        if !campaign.test {
                            crate::audience::record_blackout(
                                &tx,
                                o.user_id,
                                &o.phone,
                                fingerprint,
                                now,
                                Some(&campaign.id),
                            )?;
                        }
                        counts.sent += 1;
                        state.consecutive = 0;
                        state.accepted.push_back(Instant::now());
                    }
                    Err(f) => {
                        let (st, message) = if f.maybe_sent {
                            (
                                "unknown",
                                format!(
                                    "{} It may have been delivered: re-send only if you are sure it was not.",
                                    f.error.message
                                ),
                            )
                        } else {
                            ("failed", f.error.message.clone())
                        };
                        not_sent
                            .execute(params![campaign.id, o.seq, st, message, now])
                            .map_err(sql)?;
                        if f.maybe_sent {
                            counts.unknown += 1;
                        } else {
                            counts.failed += 1;
                        }
                        state.consecutive += 1;
                        if state.consecutive >= campaign.auto_pause_after && state.stop.is_none() {
                            state.stop = Some(Stop::Paused(Some(format!(
                                "Paused after {} failures in a row. The last one: {}",
                                state.consecutive, f.error.message
                            ))));
                        }
                    }
                }
            }
        }
        tx.commit().map_err(sql)
    }

    /// Ends a run: the campaign's status, the lease released.
    fn finish(&self, id: &str, runner: &str, result: AppResult<Stop>) -> AppResult<()> {
        let now = self.now_ms();
        let db = self.db();
        let conn = db.connection();
        let (status, reason) = match &result {
            Ok(Stop::Done) => {
                let pending: i64 = conn
                    .query_row(
                        "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = ?1 AND state IN ('pending', 'sending')",
                        [id],
                        |r| r.get(0),
                    )
                    .map_err(sql)?;
                if pending == 0 {
                    ("completed", None)
                } else {
                    ("paused", None)
                }
            }
            Ok(Stop::Paused(reason)) => ("paused", reason.clone()),
            Ok(Stop::Cancelled) => {
                conn.execute(
                    "UPDATE campaign_recipients SET state = 'skipped', reason = 'cancelled', updated_at = ?2
                     WHERE campaign_id = ?1 AND state = 'pending'",
                    params![id, now],
                )
                .map_err(sql)?;
                ("cancelled", None)
            }
            // An error mid-run (the database, a lost lease): paused, resumable.
            Err(e) => ("paused", Some(e.message.clone())),
        };
        let finished = matches!(status, "completed" | "cancelled").then_some(now);
        conn.execute(
            "UPDATE campaigns SET status = ?3, pause_reason = ?4, finished_at = ?5, runner = NULL, lease_until = NULL
             WHERE id = ?1 AND runner = ?2",
            params![id, runner, status, reason, finished],
        )
        .map_err(sql)?;
        tracing::info!(campaign = %id, status, "campaign run ended");
        result.map(|_| ())
    }
}

/// Why the loop stopped.
enum Stop {
    Done,
    Paused(Option<String>),
    Cancelled,
}

struct LoopState {
    consecutive: u32,
    /// When each of the recent messages was accepted (for the live rate).
    accepted: VecDeque<Instant>,
    last_progress: Instant,
    stop: Option<Stop>,
}

impl LoopState {
    fn report(
        &mut self,
        id: &str,
        rate: u32,
        counts: &StateCounts,
        progress: &mut impl FnMut(&CampaignProgress),
        force: bool,
    ) {
        if !force && self.last_progress.elapsed() < Duration::from_millis(200) {
            return;
        }
        self.last_progress = Instant::now();
        let window = Duration::from_secs(5);
        while self.accepted.front().is_some_and(|t| t.elapsed() > window) {
            self.accepted.pop_front();
        }
        let live = match self.accepted.front() {
            Some(first) if self.accepted.len() > 1 => {
                self.accepted.len() as f64 / first.elapsed().as_secs_f64().max(0.001)
            }
            _ => 0.0,
        };
        let left = counts.pending + counts.sending;
        progress(&CampaignProgress {
            campaign_id: id.to_string(),
            counts: counts.clone(),
            rate: live,
            eta_secs: (rate > 0).then(|| left.div_ceil(rate)),
            status: "running".into(),
        });
    }
}

/// Refuses a rate outside 1..=[`MAX_RATE`] messages per second, saying what to choose.
pub fn check_rate(rate: u32) -> AppResult<()> {
    if !(1..=MAX_RATE).contains(&rate) {
        return Err(AppError::invalid_field(
            "rate",
            format!("Send between 1 and {MAX_RATE} messages per second (you asked for {rate})."),
        ));
    }
    Ok(())
}

fn busy(id: &str) -> AppError {
    AppError::new(
        ErrorCode::InvalidInput,
        format!("The campaign {id} is being sent by another Relay window or process. Follow it there, or wait until it ends."),
    )
}

impl Workspace {
    /// The campaign's lock file, held exclusively while it is sent or changed: the one runner
    /// across windows and processes. The OS drops it when its process dies, so a crash frees
    /// the campaign at once (the lease in the database only says who runs it, for display).
    fn campaign_lock(&self, id: &str) -> AppResult<std::fs::File> {
        let dir = self.data_dir().lock_dir();
        let io = |e: std::io::Error| {
            AppError::new(
                ErrorCode::Io,
                format!("Could not lock the campaign in {}: {e}. Check that the data folder is writable.", dir.display()),
            )
            .with_path(&dir)
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(format!("campaign-{id}.lock")))
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => Err(busy(id)),
            Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
        }
    }

    /// Whether a live process holds the campaign's lock (this one included).
    pub(crate) fn campaign_locked(&self, id: &str) -> bool {
        let path = self
            .data_dir()
            .lock_dir()
            .join(format!("campaign-{id}.lock"));
        match std::fs::OpenOptions::new().write(true).open(path) {
            Ok(f) => matches!(f.try_lock(), Err(std::fs::TryLockError::WouldBlock)),
            Err(_) => false,
        }
    }
}

/// Takes the campaign's lease (the caller holds its lock). Rows a dead runner left `sending`
/// become `unknown`; returns how many.
fn acquire(ws: &Workspace, id: &str, runner: &str) -> AppResult<u32> {
    let now = ws.now_ms();
    let db = ws.db();
    let tx = db.connection().unchecked_transaction().map_err(sql)?;
    let taken = tx
        .execute(
            "UPDATE campaigns SET runner = ?2, lease_until = ?3, status = 'running', pause_reason = NULL,
                 started_at = COALESCE(started_at, ?4)
             WHERE id = ?1",
            params![id, runner, now + LEASE_MS, now],
        )
        .map_err(sql)?;
    if taken == 0 {
        return Err(not_found(id));
    }
    let recovered = tx
        .execute(
            "UPDATE campaign_recipients SET state = 'unknown', updated_at = ?2, error = ?3
             WHERE campaign_id = ?1 AND state = 'sending'",
            params![id, now, INTERRUPTED],
        )
        .map_err(sql)?;
    tx.commit().map_err(sql)?;
    Ok(recovered as u32)
}

/// The heartbeat: extends the lease, or stops the run if another runner took it over.
fn renew(ws: &Workspace, id: &str, runner: &str) -> AppResult<()> {
    let n = ws
        .db()
        .connection()
        .execute(
            "UPDATE campaigns SET lease_until = ?3 WHERE id = ?1 AND runner = ?2",
            params![id, runner, ws.now_ms() + LEASE_MS],
        )
        .map_err(sql)?;
    if n == 0 {
        return Err(AppError::new(
            ErrorCode::Internal,
            "Another runner took this campaign over while this one was stalled: stopping here.",
        ));
    }
    Ok(())
}

fn next_pending(
    ws: &Workspace,
    id: &str,
    after: i64,
) -> AppResult<VecDeque<(u32, u64, String, String)>> {
    let db = ws.db();
    let conn = db.connection();
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, user_id, phone, payload FROM campaign_recipients
             WHERE campaign_id = ?1 AND state = 'pending' AND seq > ?2 ORDER BY seq LIMIT ?3",
        )
        .map_err(sql)?;
    let rows = stmt
        .query_map(params![id, after, QUEUE_CHUNK], |r| {
            Ok((
                r.get::<_, i64>(0)? as u32,
                r.get::<_, i64>(1)? as u64,
                r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            ))
        })
        .map_err(sql)?;
    rows.collect::<rusqlite::Result<_>>().map_err(sql)
}

/// Marks recipients `sending`, in one transaction.
fn mark_sending(ws: &Workspace, id: &str, seqs: impl Iterator<Item = u32>) -> AppResult<()> {
    let now = ws.now_ms();
    let db = ws.db();
    let tx = db.connection().unchecked_transaction().map_err(sql)?;
    {
        let mut stmt = tx
            .prepare_cached(
                "UPDATE campaign_recipients SET state = 'sending', attempts = attempts + 1, updated_at = ?3
                 WHERE campaign_id = ?1 AND seq = ?2",
            )
            .map_err(sql)?;
        for seq in seqs {
            stmt.execute(params![id, seq, now]).map_err(sql)?;
        }
    }
    tx.commit().map_err(sql)
}

/// The calls that have landed: `first` (if given) and every other one already finished.
fn landed(
    inflight: &mut tokio::task::JoinSet<Outcome>,
    first: Option<Result<Outcome, tokio::task::JoinError>>,
) -> AppResult<Vec<Outcome>> {
    let mut out = Vec::new();
    if let Some(done) = first {
        out.push(done.map_err(AppError::internal)?);
    }
    while let Some(done) = inflight.try_join_next() {
        out.push(done.map_err(AppError::internal)?);
    }
    Ok(out)
}
