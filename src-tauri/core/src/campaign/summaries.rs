//! A campaign of this desktop as the team sees it: its summary (template, channel, sender, status,
//! counts, times) queued for the team's store each time it changes — the campaign side of
//! `team::campaigns`, which pushes the summaries and shows the other desktops'.

use super::CampaignSummary;
use crate::error::AppResult;
use crate::team::{campaigns, outbox};
use crate::workspace::Workspace;
use serde_json::{json, Value};

/// The record fields of a campaign of this desktop (`name` becomes the record's name).
fn payload(c: &CampaignSummary, sender: &str) -> Value {
    let n = |v: &Option<String>| v.as_deref().and_then(|s| s.parse::<i64>().ok());
    let k = &c.counts;
    json!({
        "name": format!("{} ({})", c.template_name, c.id.chars().take(8).collect::<String>()),
        "template": c.template_name,
        "channel": c.kind.as_ref(),
        "integration": c.integration_id,
        "sender": sender,
        "status": c.status.as_ref(),
        "pending": k.pending + k.sending,
        "sent": k.sent,
        "failed": k.failed,
        "skipped": k.skipped,
        "unknown": k.unknown,
        "created_at": c.created_at.parse::<i64>().unwrap_or_default(),
        "finished_at": n(&c.finished_at),
        "scheduled_at": n(&c.scheduled_at),
        "desktop_only": c.desktop_only,
    })
}

impl Workspace {
    /// Queues the summary of each campaign of this desktop that changed since it was last
    /// confirmed by the store (test sends are not the team's business).
    pub(crate) fn queue_campaign_summaries(&self) -> AppResult<u32> {
        let sender = self.settings()?.zendesk_email;
        let candidates: Vec<String> = {
            let db = self.db();
            let conn = db.connection();
            let mut stmt = conn.prepare(
                "SELECT c.id FROM campaigns c LEFT JOIN team_campaign_pushed p ON p.campaign_id = c.id
                 WHERE c.status <> 'creating' AND c.test = 0
                   AND (p.status IS NULL OR p.status <> c.status OR c.status NOT IN ('completed', 'cancelled'))",
            )?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let now = self.now_ms();
        let mut queued = 0;
        for id in candidates {
            let c = self.campaign(&id)?;
            let body = payload(&c, &sender);
            let changed = {
                let db = self.db();
                campaigns::last_pushed(db.connection(), &id)?.as_ref() != Some(&body)
            };
            if changed {
                self.db().write(|tx| {
                    outbox::queue(tx, outbox::CAMPAIGN, &format!("campaign:{id}"), &body, now)
                })?;
                queued += 1;
            }
        }
        Ok(queued)
    }
}
