//! `relay schedule run|list`: the campaigns sent at their time — scheduled ones, and those
//! waiting for their recipients' quiet hours to end — run as they come due, headless (for cron,
//! systemd or Task Scheduler); and the times given on the command line (`--at`).

use super::output::Output;
use super::send::{print_campaign, run_campaign};
use super::{open_workspace, runtime, CliResult};
use chrono::{DateTime, Local, NaiveDateTime, TimeZone, Utc};
use clap::Subcommand;
use relay_core::campaign::Due;
use relay_core::paths::DataDir;
use relay_core::text::Text;
use relay_core::{AppError, AppResult};
use serde_json::json;
use std::time::Duration;

#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// Run every scheduled or waiting campaign as it comes due; exit when none is left (a
    /// scheduled campaign found more than `schedule_lateness_mins` late is `missed` instead:
    /// not sent on its own). Ctrl+C pauses the one sending and exits.
    Run,
    /// The scheduled, missed and waiting campaigns, soonest first.
    List,
}

/// A time given on the command line: RFC 3339 (`2027-01-15T09:00:00+01:00`), or
/// `YYYY-MM-DD HH:MM` in this computer's time zone. Milliseconds since the Unix epoch.
pub fn parse_time(text: &str) -> AppResult<i64> {
    let t = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Ok(at.timestamp_millis());
    }
    let bad = || {
        AppError::invalid_field(
            "at",
            Text::verbatim(format!(
                "“{t}” is not a time: write YYYY-MM-DD HH:MM (this computer's time zone) or RFC 3339, for example 2027-01-15T09:00:00+01:00."
            )),
        )
    };
    let naive = NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M").map_err(|_| bad())?;
    // A time the clock skips (spring forward) does not exist; one it shows twice: the first.
    Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|at| at.timestamp_millis())
        .ok_or_else(|| {
            AppError::invalid_field(
                "at",
                Text::verbatim(format!(
                    "{t} does not exist in this computer's time zone (the clocks skip it): choose another time."
                )),
            )
        })
}

/// A time for people: local, and UTC.
pub fn show_time(ms: &str) -> String {
    match ms
        .parse::<i64>()
        .ok()
        .and_then(DateTime::<Utc>::from_timestamp_millis)
    {
        Some(at) => format!(
            "{} ({} UTC)",
            at.with_timezone(&Local).format("%Y-%m-%d %H:%M %Z"),
            at.format("%Y-%m-%d %H:%M")
        ),
        None => ms.to_string(),
    }
}

/// Longest sleep between two looks at the schedule (a campaign scheduled meanwhile, from the
/// app or another command, is seen within it).
const LOOK_EVERY: Duration = Duration::from_secs(30);

pub fn run(action: ScheduleCommand, data: DataDir, out: Output) -> CliResult {
    let ws = open_workspace(data)?;
    match action {
        ScheduleCommand::List => {
            out.show(&ws.scheduled_campaigns()?, |list| {
                if list.is_empty() {
                    println!("Nothing is scheduled or waiting.");
                }
                list.iter().for_each(print_campaign);
            });
        }
        ScheduleCommand::Run => {
            let rt = runtime()?;
            loop {
                // The opt-outs replied since the last look (at most every few minutes).
                rt.block_on(ws.optouts_refresh(false));
                // The team's store: what waits here pushed, what is new there pulled.
                rt.block_on(ws.team_background());
                let (due, missed) = ws.due_campaigns()?;
                for id in missed {
                    let c = ws.campaign(&id)?;
                    if out.json {
                        out.event(&json!({ "event": "missed", "campaign": c }));
                    } else {
                        println!(
                            "Missed: campaign {id} was scheduled for {}; it is not sent on its own. `relay campaigns resume {id}` sends it now, `relay campaigns reschedule {id} --at TIME` moves it.",
                            c.scheduled_at.as_deref().map(show_time).unwrap_or_default()
                        );
                    }
                }
                let mut failed = false;
                for d in due {
                    let id = match &d {
                        Due::Scheduled(id) | Due::Waiting(id) => id.clone(),
                    };
                    out.say(match d {
                        Due::Scheduled(_) => format!("Campaign {id}: its time has come."),
                        Due::Waiting(_) => {
                            format!("Campaign {id}: quiet hours ended for some of its recipients.")
                        }
                    });
                    // One campaign that cannot go (Zendesk unreachable, sent elsewhere…) does
                    // not stop the others; it is tried again at the next look.
                    if let Err(e) = run_campaign(&ws, &rt, &id, out) {
                        failed = true;
                        if out.json {
                            out.event(&json!({ "event": "error", "campaign_id": id, "error": e }));
                        } else {
                            eprintln!("campaign {id}: {}", e.message);
                        }
                    }
                    if super::send::quit_requested() {
                        return Ok(());
                    }
                }
                let Some(next) = ws.next_due_at()? else {
                    out.say("Nothing is scheduled or waiting any more.");
                    return Ok(());
                };
                let wait = Duration::from_millis((next - ws.now_ms()).max(0) as u64);
                let wait = if failed {
                    LOOK_EVERY
                } else {
                    wait.min(LOOK_EVERY)
                };
                let interrupted = rt.block_on(async {
                    tokio::select! {
                        _ = crate::quit_signal() => true,
                        _ = tokio::time::sleep(wait) => false,
                    }
                });
                if interrupted {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_as_rfc3339_or_local_and_refused_with_what_to_write() {
        assert_eq!(
            parse_time("2027-01-15T09:00:00+01:00").unwrap(),
            DateTime::parse_from_rfc3339("2027-01-15T08:00:00Z")
                .unwrap()
                .timestamp_millis()
        );
        let local = parse_time("2027-01-15 09:00").unwrap();
        assert_eq!(
            DateTime::<Utc>::from_timestamp_millis(local)
                .unwrap()
                .with_timezone(&Local)
                .format("%H:%M")
                .to_string(),
            "09:00"
        );
        for bad in [
            "tomorrow",
            "2027-01-15",
            "15/01/2027 09:00",
            "2027-01-15 25:00",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }
}
