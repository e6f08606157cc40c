//! What Meta does with a WhatsApp template notification Sunshine Conversations accepted: deliver
//! it, or drop it silently. The API answered `201` either way; only the record tells.
//!
//! Two of Meta's rules are played:
//!
//! - **The messaging limit** ([`Faults::whatsapp_limit`]): a business portfolio reaches at most N
//!   unique numbers with templates in a moving 24 hours (Meta's tiers 250, 2,000, 10,000, 100,000
//!   or unlimited), shared by all its WhatsApp numbers — here both seeded WhatsApp integrations
//!   are of one portfolio. A number reached within the last 24 hours (by the sandbox's clock) does
//!   not take a place again; a new number while N are in the window is dropped
//!   ([`Dropped::MessagingLimit`]). Only deliveries fill the window: a dropped message reached
//!   no one.
//! - **The pause of MARKETING templates to US numbers** (since 1 April 2025; Meta: "+1 dialing
//!   code and a US area code", so not Canada nor the Caribbean): a template of category
//!   MARKETING (as the template store knows it) to a number libphonenumber places in the US is
//!   dropped ([`Dropped::MarketingUs`]), unless [`Faults::marketing_us_delivered`].
//!
//! Invariants: the window holds every delivery of the last 24 hours, whatever the limit is at the
//! time, so a limit set or lowered at run time counts the numbers already reached; SMS is never
//! dropped here; clearing `/_sandbox/notifications` does not empty the window (Meta's count is
//! not the sandbox's log) — move the clock 24 hours on (`POST /_sandbox/clock`) for that.
//!
//! [`Faults::whatsapp_limit`]: crate::Faults::whatsapp_limit
//! [`Faults::marketing_us_delivered`]: crate::Faults::marketing_us_delivered

use crate::server::AppState;
use rlibphonenumber::PHONE_NUMBER_UTIL;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};

/// Why Meta dropped a notification the API accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dropped {
    /// A new number while the portfolio had reached its limit of unique numbers in 24 hours.
    MessagingLimit,
    /// A MARKETING template to a US number (Meta's pause since 1 April 2025).
    MarketingUs,
}

impl Dropped {
    /// As `/_sandbox/notifications` and `/_sandbox/stats` write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Dropped::MessagingLimit => "messaging_limit",
            Dropped::MarketingUs => "marketing_us",
        }
    }
}

const WINDOW_MS: i64 = 24 * 3600 * 1000;

/// The portfolio's deliveries of the last 24 hours.
#[derive(Debug, Default)]
pub(crate) struct Portfolio {
    /// Each delivery, in the order they happened: (milliseconds since the epoch, number's digits).
    deliveries: VecDeque<(i64, u64)>,
    /// The numbers in the window, with their latest delivery.
    latest: HashMap<u64, i64>,
}

impl Portfolio {
    /// Forgets the deliveries at or before `cutoff` (no longer within the last 24 hours).
    fn forget_until(&mut self, cutoff: i64) {
        while let Some(&(at, number)) = self.deliveries.front() {
            if at > cutoff {
                break;
            }
            self.deliveries.pop_front();
            if self.latest.get(&number).is_some_and(|&last| last <= cutoff) {
                self.latest.remove(&number);
            }
        }
    }

    /// Delivers to `number` at `now_ms` unless the window is full without it: whether delivered.
    fn deliver(&mut self, number: u64, now_ms: i64, limit: Option<u64>) -> bool {
        self.forget_until(now_ms - WINDOW_MS);
        let known = self.latest.contains_key(&number);
        if !known && limit.is_some_and(|n| self.latest.len() as u64 >= n) {
            return false;
        }
        let last = self.latest.entry(number).or_insert(now_ms);
        *last = (*last).max(now_ms);
        self.deliveries.push_back((now_ms, number));
        true
    }
}

/// Whether libphonenumber places the number (E.164) in the United States.
fn is_us(e164: &str) -> bool {
    e164.starts_with("+1")
        && PHONE_NUMBER_UTIL
            .parse(e164, None)
            .ok()
            .and_then(|n| PHONE_NUMBER_UTIL.get_region_for_number(&n))
            .is_some_and(|r| r.to_string() == "US")
}

impl AppState {
    /// What Meta does with a template of `category` to `destination` (E.164), accepted now:
    /// None when delivered (and counted in the portfolio's window).
    pub(crate) fn meta_delivery(&self, destination: &str, category: &str) -> Option<Dropped> {
        let f = self.faults();
        if category.eq_ignore_ascii_case("MARKETING")
            && !f.marketing_us_delivered
            && is_us(destination)
        {
            return Some(Dropped::MarketingUs);
        }
        // E.164 was checked: at most 15 digits, which fit.
        let number: u64 = destination.trim_start_matches('+').parse().unwrap_or(0);
        let now_ms = self.now().timestamp_millis();
        let delivered = self
            .portfolio
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .deliver(number, now_ms, f.whatsapp_limit);
        (!delivered).then_some(Dropped::MessagingLimit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_holds_the_last_24_hours_of_deliveries() {
        let mut p = Portfolio::default();
        let h = 3600 * 1000;
        assert!(p.deliver(1, 0, Some(2)));
        assert!(p.deliver(2, 12 * h, Some(2)));
        assert!(!p.deliver(3, 24 * h - 1, Some(2)), "1 is still in");
        assert!(p.deliver(1, 13 * h, Some(2)), "a number in the window");
        // 1 was reached again at 13 h: it stays in until 37 h.
        assert!(!p.deliver(3, 30 * h, Some(2)));
        assert!(p.deliver(3, 36 * h, Some(2)), "2 left at 36 h");
        assert!(!p.deliver(4, 37 * h - 1, Some(2)));
        assert!(p.deliver(4, 37 * h, Some(2)), "1 left at 37 h");
        assert_eq!(p.latest.len(), 2);
        assert!(p.deliver(5, 37 * h, None), "unlimited");
        assert_eq!(p.latest.len(), 3, "counted all the same");
    }

    #[test]
    fn us_numbers_are_those_libphonenumber_places_in_the_us() {
        assert!(is_us("+12125550123"), "New York");
        assert!(is_us("+18002001234"), "toll-free");
        assert!(!is_us("+15145550123"), "Montreal: +1, Canada");
        assert!(!is_us("+18765550123"), "Jamaica");
        assert!(!is_us("+33612345678"));
    }
}
