//! Quiet hours: a daily window of local wall-clock time (`21:00-08:00`, across midnight, or
//! `12:00-14:00`) during which nobody is sent a message. Read in each recipient's time zone: the
//! window opens at its end, local time — on a daylight-saving day, at the first instant the
//! local clock shows that time or later (a time the clock skips opens when the clock jumps).

use crate::error::{AppError, AppResult};
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use specta::Type;
use std::fmt;

/// A daily window, in minutes after local midnight: quiet from `start` (included) to `end`
/// (excluded); `start > end` crosses midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct QuietHours {
    pub start: u16,
    pub end: u16,
}

impl fmt::Display for QuietHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

impl QuietHours {
    /// Reads `HH:MM-HH:MM`; empty or `off` is none. `field` names the setting or option the
    /// error is about.
    pub fn parse(text: &str, field: &str) -> AppResult<Option<QuietHours>> {
        let t = text.trim();
        if t.is_empty() || t.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        let bad = || AppError::invalid_field(field, crate::text!("timing.quiet_format", value = t));
        let (a, b) = t.split_once('-').ok_or_else(bad)?;
        let minute = |s: &str| -> Option<u16> {
            let time = NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()?;
            Some((time.hour() * 60 + time.minute()) as u16)
        };
        let (start, end) = (minute(a).ok_or_else(bad)?, minute(b).ok_or_else(bad)?);
        if start == end {
            return Err(AppError::invalid_field(
                field,
                crate::text!("timing.quiet_empty", value = t),
            ));
        }
        Ok(Some(QuietHours { start, end }))
    }

    /// Whether a local minute of the day is quiet.
    pub fn contains(&self, minute: u16) -> bool {
        if self.start < self.end {
            (self.start..self.end).contains(&minute)
        } else {
            minute >= self.start || minute < self.end
        }
    }

    /// How many minutes a day are quiet.
    pub fn minutes(&self) -> u16 {
        if self.start < self.end {
            self.end - self.start
        } else {
            24 * 60 - self.start + self.end
        }
    }

    /// When someone in `zone` may be sent a message, at `now_ms` or later: `now_ms` outside the
    /// window, else the instant it ends (milliseconds since the Unix epoch).
    pub fn opens_at(&self, zone: Tz, now_ms: i64) -> i64 {
        let Some(now) = DateTime::<Utc>::from_timestamp_millis(now_ms) else {
            return now_ms;
        };
        let local = now.with_timezone(&zone);
        let minute = (local.hour() * 60 + local.minute()) as u16;
        if !self.contains(minute) {
            return now_ms;
        }
        // Before the end on the same day (a window across midnight, after midnight; or a
        // window within the day), else the end is tomorrow.
        let day = if minute < self.end {
            local.date_naive()
        } else {
            local.date_naive() + Duration::days(1)
        };
        let end = NaiveTime::from_hms_opt(u32::from(self.end / 60), u32::from(self.end % 60), 0)
            .unwrap_or_default();
        let mut wall = day.and_time(end);
        // A time the clock skips (spring forward): the first minute that exists after it.
        for _ in 0..=180 {
            let candidates: Vec<DateTime<Tz>> = match zone.from_local_datetime(&wall) {
                chrono::LocalResult::Single(t) => vec![t],
                chrono::LocalResult::Ambiguous(a, b) => vec![a, b],
                chrono::LocalResult::None => Vec::new(),
            };
            // A time the clock shows twice (fall back): the first one still ahead.
            if let Some(t) = candidates
                .into_iter()
                .find(|t| t.timestamp_millis() > now_ms)
            {
                return t.timestamp_millis();
            }
            wall += Duration::minutes(1);
        }
        now_ms + 60_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(rfc3339: &str) -> i64 {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .timestamp_millis()
    }

    fn at(ms: i64, zone: Tz) -> String {
        DateTime::<Utc>::from_timestamp_millis(ms)
            .unwrap()
            .with_timezone(&zone)
            .to_rfc3339()
    }

    #[test]
    fn windows_are_read_and_refused_with_what_to_write() {
        let q = QuietHours::parse(" 21:00-08:00 ", "quiet_hours")
            .unwrap()
            .unwrap();
        assert_eq!((q.start, q.end), (21 * 60, 8 * 60));
        assert_eq!(q.to_string(), "21:00-08:00");
        assert_eq!(q.minutes(), 11 * 60);
        assert_eq!(QuietHours::parse("", "q").unwrap(), None);
        assert_eq!(QuietHours::parse("OFF", "q").unwrap(), None);
        for bad in [
            "21-08",
            "25:00-08:00",
            "21:00",
            "21:00-08:60",
            "9pm-8am",
            "08:00-08:00",
        ] {
            let e = QuietHours::parse(bad, "quiet_hours").unwrap_err();
            assert!(
                e.details.unwrap().fields.contains_key("quiet_hours"),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_window_across_midnight_opens_at_its_end_in_the_recipients_zone() {
        let q = QuietHours::parse("21:00-08:00", "q").unwrap().unwrap();
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let sao_paulo: Tz = "America/Sao_Paulo".parse().unwrap();
        // 02:00 UTC: 03:00 in Paris (quiet, opens at 08:00 the same day), 23:00 in São Paulo
        // (quiet, opens at 08:00 the next day, local).
        let now = ms("2027-01-15T02:00:00Z");
        assert_eq!(
            at(q.opens_at(paris, now), paris),
            "2027-01-15T08:00:00+01:00"
        );
        assert_eq!(
            at(q.opens_at(sao_paulo, now), sao_paulo),
            "2027-01-15T08:00:00-03:00"
        );
        // 22:30 in Paris: the window opens tomorrow morning.
        let evening = ms("2027-01-15T21:30:00Z");
        assert_eq!(
            at(q.opens_at(paris, evening), paris),
            "2027-01-16T08:00:00+01:00"
        );
        // Outside the window: now. At the end minute itself: open.
        let noon = ms("2027-01-15T11:00:00Z");
        assert_eq!(q.opens_at(paris, noon), noon);
        assert_eq!(
            q.opens_at(paris, ms("2027-01-15T07:00:00Z")),
            ms("2027-01-15T07:00:00Z")
        );
        // A window within the day.
        let lunch = QuietHours::parse("12:00-14:00", "q").unwrap().unwrap();
        assert_eq!(
            at(lunch.opens_at(paris, ms("2027-01-15T11:30:00Z")), paris),
            "2027-01-15T14:00:00+01:00"
        );
        assert!(
            !lunch.contains(11 * 60 + 59) && lunch.contains(12 * 60) && !lunch.contains(14 * 60)
        );
    }

    #[test]
    fn daylight_saving_days_open_at_the_first_instant_the_local_clock_allows() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        // 28 March 2027: clocks go from 02:00 to 03:00. A window ending at 02:30 (a time that
        // day has not) opens at 03:00 local, 01:00 UTC.
        let q = QuietHours::parse("22:00-02:30", "q").unwrap().unwrap();
        let opens = q.opens_at(paris, ms("2027-03-27T23:30:00Z")); // 00:30 local
        assert_eq!(opens, ms("2027-03-28T01:00:00Z"));
        assert_eq!(at(opens, paris), "2027-03-28T03:00:00+02:00");
        // The spring-forward night is one hour shorter: 21:00-08:00 ends at 08:00 summer time.
        let night = QuietHours::parse("21:00-08:00", "q").unwrap().unwrap();
        assert_eq!(
            night.opens_at(paris, ms("2027-03-27T22:00:00Z")),
            ms("2027-03-28T06:00:00Z")
        );
        // 31 October 2027: 03:00 goes back to 02:00; 02:30 happens twice. A window ending at
        // 02:30 opens at its first 02:30 (00:30 UTC); already past it, at the second.
        assert_eq!(
            q.opens_at(paris, ms("2027-10-30T23:00:00Z")),
            ms("2027-10-31T00:30:00Z")
        );
        let q2 = QuietHours::parse("02:00-02:45", "q").unwrap().unwrap();
        // 02:40 the second time (01:40 UTC): quiet, opens at the second 02:45.
        assert_eq!(
            q2.opens_at(paris, ms("2027-10-31T01:40:00Z")),
            ms("2027-10-31T01:45:00Z")
        );
    }
}
