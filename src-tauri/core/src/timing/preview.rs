//! A campaign's timing before it is sent: where its recipients' time zones come from, how many
//! are in quiet hours when it starts, and when it should end — every recipient sent at the
//! campaign's rate, in the order they may be sent, each no earlier than their window opens.

use super::{QuietHours, ZoneResolver, ZoneSource};
use crate::error::AppResult;
use crate::workspace::Workspace;
use serde::{Deserialize, Serialize};
use specta::Type;

/// Recipients counted by where their time zone came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct ZoneCounts {
    pub user: u32,
    pub phone: u32,
    pub workspace: u32,
}

impl ZoneCounts {
    pub fn add(&mut self, source: ZoneSource) {
        match source {
            ZoneSource::User => self.user += 1,
            ZoneSource::Phone => self.phone += 1,
            ZoneSource::Workspace => self.workspace += 1,
        }
    }

    pub fn total(&self) -> u32 {
        self.user + self.phone + self.workspace
    }
}

/// What the review step shows of a campaign's timing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct TimingPreview {
    /// The window applied (`HH:MM-HH:MM`), if any.
    pub quiet_hours: Option<String>,
    /// The workspace's time zone (IANA name), for those whose own is not known.
    pub workspace_zone: String,
    /// When it starts: now, or its schedule (milliseconds since the Unix epoch, as text).
    pub start_at: String,
    /// Recipients to send.
    pub recipients: u32,
    /// Where their time zones came from.
    pub zones: ZoneCounts,
    /// Those in quiet hours when it starts, by where their time zone came from.
    pub quiet_at_start: ZoneCounts,
    /// When the last one should be sent, waits included (milliseconds, as text).
    pub estimated_end: String,
}

/// When the last message leaves: `opens` sorted, each sent no earlier than it opens and one
/// interval after the one before.
pub fn estimate_end(start_ms: i64, mut opens: Vec<i64>, rate: u32) -> i64 {
    opens.sort_unstable();
    let interval = 1000.0 / f64::from(rate.max(1));
    let mut t = start_ms as f64;
    for (i, o) in opens.into_iter().enumerate() {
        if i > 0 {
            t += interval;
        }
        t = t.max(o as f64);
    }
    t.ceil() as i64
}

impl Workspace {
    /// The timing of a campaign of this audience's eligible members: quiet hours `quiet` (none:
    /// off), `rate` messages a second, starting `at` (milliseconds; none: now).
    pub fn timing_preview(
        &self,
        audience_id: &str,
        quiet: Option<QuietHours>,
        rate: u32,
        at: Option<i64>,
    ) -> AppResult<TimingPreview> {
        let resolver = ZoneResolver::new(&self.settings()?.time_zone);
        let start = at.unwrap_or_else(|| self.now_ms());
        let mut zones = ZoneCounts::default();
        let mut quiet_at_start = ZoneCounts::default();
        let mut opens = Vec::new();
        let mut after = -1;
        loop {
            let chunk =
                crate::audience::store::eligible_chunk(&self.db(), audience_id, after, 5000)?;
            let Some((last, _)) = chunk.last() else {
                break;
            };
            after = *last;
            for (_, r) in chunk {
                let (zone, source) = resolver.resolve(r.time_zone.as_deref(), r.phone.as_deref());
                zones.add(source);
                let open = quiet.map_or(start, |q| q.opens_at(zone, start));
                if open > start {
                    quiet_at_start.add(source);
                }
                opens.push(open);
            }
        }
        Ok(TimingPreview {
            quiet_hours: quiet.map(|q| q.to_string()),
            workspace_zone: resolver.workspace.name().to_string(),
            start_at: start.to_string(),
            recipients: zones.total(),
            zones,
            quiet_at_start,
            estimated_end: estimate_end(start, opens, rate).to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_counts_the_waits_and_the_rate() {
        // 4 at once at 2 a second: the last leaves 1.5 s after the start.
        assert_eq!(estimate_end(0, vec![0, 0, 0, 0], 2), 1500);
        // Two now, two whose window opens at 10 s: sent at 10 s and 10.5 s.
        assert_eq!(estimate_end(0, vec![10_000, 0, 10_000, 0], 2), 10_500);
        assert_eq!(estimate_end(7, Vec::new(), 2), 7);
    }
}
