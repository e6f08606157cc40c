//! The messaging limit as a budget. Meta caps how many *unique numbers* a business portfolio
//! reaches with templates in a moving 24 hours — 250, 2,000, 10,000, 100,000 or unlimited,
//! shared by every WhatsApp number of the portfolio — and drops, after accepting them, the
//! messages past it (<https://developers.facebook.com/docs/whatsapp/messaging-limits/>). Relay
//! keeps it: used = the numbers the portfolio's integrations reached in the last 24 hours (from
//! every desktop of the team; `unknown` counts as reached), available = limit − used; a number
//! reached within the window costs nothing again. Pure: the reads are the campaign's
//! (`campaign/budget.rs`).

use crate::settings::Settings;
use serde::{Deserialize, Serialize};
use specta::Type;
use std::collections::{HashMap, VecDeque};

/// Meta's window.
pub const WINDOW_MS: i64 = 24 * 3_600_000;
/// A run whose reservation is used up while the limit has room tries again after this.
pub const RESERVE_AGAIN_MS: i64 = 5 * 60_000;
/// The limits Meta sets (unique numbers in 24 hours), besides unlimited.
pub const LIMITS: [u32; 4] = [250, 2_000, 10_000, 100_000];

/// A portfolio's limit, as the setting `whatsapp_limit` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case", tag = "kind", content = "numbers")]
pub enum Limit {
    /// Not set: Relay cannot keep it (the review says so).
    NotSet,
    Numbers(u32),
    Unlimited,
}

impl Limit {
    /// The setting's value: empty, `unlimited`, or one of [`LIMITS`] (`2000`, `2 000`, `2,000`).
    pub fn parse(text: &str) -> Option<Limit> {
        let t: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != ',' && *c != '_' && *c != '\u{202f}')
            .collect::<String>()
            .to_ascii_lowercase();
        match t.as_str() {
            "" => Some(Limit::NotSet),
            "unlimited" => Some(Limit::Unlimited),
            n => n
                .parse::<u32>()
                .ok()
                .filter(|n| LIMITS.contains(n))
                .map(Limit::Numbers),
        }
    }

    /// As the setting writes it.
    pub fn to_setting(self) -> String {
        match self {
            Limit::NotSet => String::new(),
            Limit::Numbers(n) => n.to_string(),
            Limit::Unlimited => "unlimited".into(),
        }
    }
}

/// The WhatsApp integrations that share one limit, and the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Portfolio {
    pub limit: Limit,
    /// The integrations in it; empty = every WhatsApp integration of the workspace.
    pub integrations: Vec<String>,
}

impl Portfolio {
    /// The portfolio the settings describe (a setting the validation refused reads as not set).
    pub fn of(s: &Settings) -> Portfolio {
        Portfolio {
            limit: Limit::parse(&s.whatsapp_limit).unwrap_or(Limit::NotSet),
            integrations: s.whatsapp_portfolio.clone(),
        }
    }

    /// The name of the portfolio in the team's store: `all`, or a hash of its integrations.
    pub fn key(&self) -> String {
        use sha2::Digest;
        if self.integrations.is_empty() {
            return "all".into();
        }
        let mut ids = self.integrations.clone();
        ids.sort();
        let digest = sha2::Sha256::digest(ids.join(",").as_bytes());
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether a WhatsApp integration shares the limit.
    pub fn includes(&self, integration_id: &str) -> bool {
        self.integrations.is_empty() || self.integrations.iter().any(|i| i == integration_id)
    }

    /// The limit a send through `integration_id` (a WhatsApp one) is kept to, if any.
    pub fn numbers_for(&self, integration_id: &str) -> Option<u32> {
        match self.limit {
            Limit::Numbers(n) if self.includes(integration_id) => Some(n),
            _ => None,
        }
    }
}

/// A number as the budget counts it: its keyed hash when the team's key is known (so this
/// desktop's sends and the team's are one set), else the number.
pub fn who(keys: &crate::number_key::NumberKeys, phone: &str) -> String {
    match keys.hash(phone) {
        Some(k) => format!("#{k}"),
        None => phone.to_string(),
    }
}

/// The budget of a run: the numbers the portfolio reached in the window (each with its last
/// time), what is left, and when slots free. Taken from as recipients are claimed; numbers
/// reached in the window cost nothing.
pub struct Budget {
    limit: u32,
    last: HashMap<String, i64>,
    /// (when a slot frees, whose), in time order; an entry whose number was reached again
    /// since is stale and skipped.
    frees: VecDeque<(i64, String)>,
    /// Recipients told to wait in this run, to spread them over the slots as they free.
    deferred: usize,
    /// The new numbers this run may reach at most (what the team let it reserve), and how many
    /// it reached.
    cap: Option<u32>,
    taken: u32,
    /// The times slots free (the valid `frees`, in order), worked out once the first recipient
    /// is told to wait, then kept in step with `frees` (a number reached again leaves its
    /// earlier time there: a wait estimated a little early, never a send past the limit).
    free_times: Option<VecDeque<i64>>,
    keys: crate::number_key::NumberKeys,
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget")
            .field("limit", &self.limit)
            .field("used", &self.last.len())
            .field("deferred", &self.deferred)
            .finish_non_exhaustive()
    }
}

/// What the budget says of one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// Goes now (a slot taken, or already reached in the window).
    Go,
    /// Waits until then (a slot frees; rounded up to the minute so the campaign wakes up once a
    /// minute at most).
    Wait(i64),
}

impl Budget {
    /// The budget of `limit` as of `now`, given each number the portfolio reached and when (a
    /// number may appear more than once: its latest time counts).
    pub fn new(
        limit: u32,
        reached: impl IntoIterator<Item = (String, i64)>,
        now_ms: i64,
        keys: crate::number_key::NumberKeys,
    ) -> Budget {
        let since = now_ms - WINDOW_MS;
        let mut last: HashMap<String, i64> = HashMap::new();
        for (who, at) in reached {
            if at > since {
                let e = last.entry(who).or_insert(at);
                *e = (*e).max(at);
            }
        }
        let mut frees: Vec<(i64, String)> = last
            .iter()
            .map(|(w, at)| (at + WINDOW_MS, w.clone()))
            .collect();
        frees.sort();
        Budget {
            limit,
            last,
            frees: frees.into(),
            deferred: 0,
            cap: None,
            taken: 0,
            free_times: None,
            keys,
        }
    }

    /// Recipients told to wait so far.
    pub fn deferred(&self) -> usize {
        self.deferred
    }

    /// Numbers reached in the window.
    pub fn used(&self) -> u32 {
        self.last.len() as u32
    }

    /// Numbers that may still be reached now.
    pub fn left(&self) -> u32 {
        let room = self.limit.saturating_sub(self.used());
        match self.cap {
            Some(cap) => room.min(cap.saturating_sub(self.taken)),
            None => room,
        }
    }

    /// Keeps this run to `n` new numbers (its reservation in the team's store).
    pub fn cap(&mut self, n: u32) {
        self.cap = Some(n);
    }

    /// The new numbers this run reached.
    pub fn taken(&self) -> u32 {
        self.taken
    }

    /// When a recipient the budget has no room for may go: as slots free, or — when the limit
    /// has room but the run's reservation is used up (other runs hold the rest) — after a
    /// while, to reserve again. `coming`: new numbers read ahead that will take slots first.
    fn wait(&mut self, now_ms: i64, coming: u32) -> Take {
        let at = if self.limit.saturating_sub(self.used() + coming) > 0 {
            ceil_minute(now_ms + RESERVE_AGAIN_MS)
        } else {
            self.nth_free(self.deferred, now_ms)
        };
        self.deferred += 1;
        Take::Wait(at)
    }

    /// Forgets what left the window by `now`.
    fn expire(&mut self, now_ms: i64) {
        while let Some((at, who)) = self.frees.front() {
            if *at > now_ms {
                break;
            }
            if self.last.get(who).is_some_and(|l| l + WINDOW_MS == *at) {
                self.last.remove(who);
                if let Some(times) = &mut self.free_times {
                    times.pop_front();
                }
            }
            self.frees.pop_front();
        }
    }

    /// Whether `phone` goes now (and it is counted), or when it may.
    pub fn take(&mut self, phone: &str, now_ms: i64) -> Take {
        self.expire(now_ms);
        let who = who(&self.keys, phone);
        if !self.last.contains_key(&who) {
            if self.left() == 0 {
                return self.wait(now_ms, 0);
            }
            self.taken += 1;
        }
        self.last.insert(who.clone(), now_ms);
        self.frees.push_back((now_ms + WINDOW_MS, who));
        if let Some(times) = &mut self.free_times {
            times.push_back(now_ms + WINDOW_MS);
        }
        Take::Go
    }

    /// Whether the window holds `phone` already (sending to it again costs nothing).
    pub fn is_reached(&self, phone: &str) -> bool {
        self.last.contains_key(&who(&self.keys, phone))
    }

    /// Whether `phone` would go now, without counting it: a reading ahead of the claims, where
    /// `new_before` counts the new numbers read before it that go (each goes while fewer than
    /// what is left came before it). One that would not is told when it may.
    pub fn peek(&mut self, phone: &str, now_ms: i64, new_before: &mut u32) -> Take {
        self.expire(now_ms);
        if self.is_reached(phone) {
            return Take::Go;
        }
        if *new_before < self.left() {
            *new_before += 1;
            return Take::Go;
        }
        self.wait(now_ms, *new_before)
    }

    /// When the `n`-th slot from now frees (the last one known when fewer are coming),
    /// rounded up to the minute. The times are worked out once for a run of waits: each is then
    /// found at once, however many recipients wait.
    fn nth_free(&mut self, n: usize, now_ms: i64) -> i64 {
        let (frees, last) = (&self.frees, &self.last);
        let times = self.free_times.get_or_insert_with(|| {
            frees
                .iter()
                .filter(|(at, who)| last.get(who).is_some_and(|l| l + WINDOW_MS == *at))
                .map(|(at, _)| *at)
                .collect()
        });
        let at = times
            .get(n)
            .or(times.back())
            .copied()
            .unwrap_or(now_ms + WINDOW_MS);
        ceil_minute(at)
    }

    /// When slots free, grouped by the hour: (the hour's last free time, slots freed by then,
    /// cumulated), for the first `needed` slots.
    pub fn releases(&self, needed: u32) -> Vec<Release> {
        let mut out: Vec<Release> = Vec::new();
        let mut n = 0u32;
        for (at, who) in &self.frees {
            if n >= needed {
                break;
            }
            if self.last.get(who).is_none_or(|l| l + WINDOW_MS != *at) {
                continue;
            }
            n += 1;
            match out.last_mut() {
                Some(r) if r.hour == at.div_euclid(3_600_000) => {
                    r.at_ms = *at;
                    r.count = n;
                }
                _ => out.push(Release {
                    hour: at.div_euclid(3_600_000),
                    at_ms: *at,
                    count: n,
                }),
            }
        }
        out
    }
}

fn ceil_minute(at: i64) -> i64 {
    at.div_euclid(60_000) * 60_000 + if at % 60_000 == 0 { 0 } else { 60_000 }
}

/// Slots freeing: by `at_ms`, `count` numbers (cumulated) may be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    hour: i64,
    pub at_ms: i64,
    pub count: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn budget(limit: u32, reached: &[(&str, i64)], now: i64) -> Budget {
        Budget::new(
            limit,
            reached.iter().map(|(w, at)| (w.to_string(), *at)),
            now,
            Default::default(),
        )
    }

    #[test]
    fn the_limit_reads_meta_s_tiers_only() {
        assert_eq!(Limit::parse(""), Some(Limit::NotSet));
        assert_eq!(Limit::parse(" 2 000 "), Some(Limit::Numbers(2000)));
        assert_eq!(Limit::parse("2,000"), Some(Limit::Numbers(2000)));
        assert_eq!(Limit::parse("Unlimited"), Some(Limit::Unlimited));
        assert_eq!(Limit::parse("1000"), None, "the legacy per-number tier");
        assert_eq!(Limit::parse("lots"), None);
        assert_eq!(Limit::Numbers(250).to_setting(), "250");
    }

    #[test]
    fn numbers_reached_in_the_window_cost_nothing_and_the_rest_wait_for_slots_to_free() {
        let now = 100 * H;
        // Reached 23 h, 2 h and 30 h ago (the last left the window); +1 twice: its latest counts.
        let mut b = budget(
            3,
            &[
                ("+1", now - 23 * H),
                ("+2", now - 2 * H),
                ("+3", now - 30 * H),
                ("+1", now - 5 * H),
            ],
            now,
        );
        assert_eq!((b.used(), b.left()), (2, 1));
        assert_eq!(b.take("+2", now), Take::Go, "reached lately: free");
        assert_eq!(b.take("+9", now), Take::Go);
        assert_eq!(b.left(), 0);
        // +1's slot frees 24 h after its latest send (19 h from now), then +2's.
        assert_eq!(b.take("+8", now), Take::Wait(now + 19 * H));
        assert_eq!(
            b.take("+7", now),
            Take::Wait(now + 24 * H),
            "+2 was reached again now"
        );
        // Once +1's slot freed, a new number goes.
        assert_eq!(b.take("+8", now + 19 * H), Take::Go);
        assert_eq!(b.used(), 3);
    }

    #[test]
    fn a_run_keeps_to_its_reservation_and_tries_again_later_while_the_limit_has_room() {
        let now = 100 * H;
        let mut b = budget(10, &[("+1", now - H)], now);
        b.cap(2);
        assert_eq!(b.left(), 2);
        assert_eq!(b.take("+1", now), Take::Go, "reached lately: not counted");
        assert_eq!(b.take("+2", now), Take::Go);
        assert_eq!(b.take("+3", now), Take::Go);
        assert_eq!(b.take("+4", now), Take::Wait(now + RESERVE_AGAIN_MS));
        assert_eq!(b.used(), 3);
        assert_eq!(
            Portfolio {
                limit: Limit::NotSet,
                integrations: vec!["b".into(), "a".into()]
            }
            .key(),
            Portfolio {
                limit: Limit::NotSet,
                integrations: vec!["a".into(), "b".into()]
            }
            .key()
        );
    }

    #[test]
    fn wait_times_are_rounded_up_to_the_minute_and_releases_grouped_by_hour() {
        let now = 100 * H;
        let b = budget(
            2,
            &[("+1", now - 23 * H - 90_000), ("+2", now - 22 * H)],
            now,
        );
        assert_eq!(b.left(), 0);
        let mut b2 = budget(
            2,
            &[("+1", now - 23 * H - 90_000), ("+2", now - 22 * H)],
            now,
        );
        // +1 frees in 58.5 minutes: waits till the next whole minute.
        assert_eq!(b2.take("+5", now), Take::Wait(now + H - 60_000));
        let r = b.releases(5);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].at_ms, r[0].count), (now + H - 90_000, 1));
        assert_eq!((r[1].at_ms, r[1].count), (now + 2 * H, 2));
        let mut b = b;
        let mut new = 0;
        assert_eq!(b.peek("+1", now, &mut new), Take::Go, "reached lately");
        assert_eq!(b.peek("+3", now, &mut new), Take::Wait(now + H - 60_000));
        assert_eq!(b.used(), 2, "a peek counts nothing");
        // Read ahead with room for one: the second new number waits for a slot to free, not
        // for a reservation (the first takes the room).
        let mut c = budget(
            3,
            &[("+1", now - 23 * H - 90_000), ("+2", now - 22 * H)],
            now,
        );
        let mut new = 0;
        assert_eq!(c.peek("+5", now, &mut new), Take::Go);
        assert_eq!(c.peek("+6", now, &mut new), Take::Wait(now + H - 60_000));
    }
}
