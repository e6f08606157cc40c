//! `relay campaigns list|show|resume|reschedule|retry|cancel|export`.

use super::output::Output;
use super::schedule::{parse_time, show_time};
use super::send::{print_campaign, run_campaign};
use super::{open_workspace, runtime, CliResult};
use clap::Subcommand;
use relay_core::paths::DataDir;
use relay_core::text::Text;
use relay_core::{AppError, ErrorCode};
use serde_json::json;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum CampaignsCommand {
    /// Every campaign, newest first, with its counts.
    List,
    /// One campaign: status and counts by state.
    Show { id: String },
    /// Go on sending a paused, interrupted or waiting campaign (recipients left in flight by a
    /// crash stay `unknown`); a scheduled or missed one is sent now (its audience fetched and
    /// checked again first).
    Resume { id: String },
    /// Move a scheduled or missed campaign to another time (`YYYY-MM-DD HH:MM` in this
    /// computer's time zone, or RFC 3339), and optionally other quiet hours.
    Reschedule {
        id: String,
        #[arg(long, value_name = "TIME")]
        at: String,
        #[arg(long, value_name = "HH:MM-HH:MM|off")]
        quiet_hours: Option<String>,
    },
    /// Send again to the failed recipients (with --unknown, also to those that may have been
    /// delivered: only when you are sure they were not).
    Retry {
        id: String,
        #[arg(long)]
        unknown: bool,
    },
    /// Stop a campaign for good: those not sent yet are skipped (reason `cancelled`).
    Cancel { id: String },
    /// Write the per-recipient report as CSV.
    Export {
        id: String,
        #[arg(long, value_name = "FILE")]
        csv: PathBuf,
    },
}

pub fn run(action: CampaignsCommand, data: DataDir, out: Output) -> CliResult {
    let ws = open_workspace(data)?;
    match action {
        CampaignsCommand::List => {
            out.show(&ws.campaigns()?, |list| {
                if list.is_empty() {
                    println!("No campaigns yet. `relay send --help` shows how to send one.");
                }
                list.iter().for_each(print_campaign);
            });
        }
        CampaignsCommand::Show { id } => {
            let c = ws.campaign(&id)?;
            let windows = ws.waiting_windows(&id)?;
            let mut doc = json!(c);
            doc["waiting_windows"] = json!(windows);
            out.show(&doc, |_| {
                print_campaign(&c);
                for w in &windows {
                    println!("      {} from {}", w.count, show_time(&w.at));
                }
            });
        }
        CampaignsCommand::Reschedule {
            id,
            at,
            quiet_hours,
        } => {
            let timing = relay_core::campaign::CampaignTiming {
                quiet_hours,
                at: Some(parse_time(&at)?.to_string()),
            };
            out.show(&ws.reschedule_campaign(&id, &timing)?, print_campaign);
        }
        CampaignsCommand::Resume { id } => {
            run_campaign(&ws, &runtime()?, &id, out)?;
        }
        CampaignsCommand::Retry { id, unknown } => {
            let n = ws.requeue_recipients(&id, unknown)?;
            if n == 0 {
                let what = if unknown {
                    "failed or unknown"
                } else {
                    "failed"
                };
                out.show(
                    &json!({ "requeued": 0, "campaign": ws.campaign(&id)? }),
                    |_| println!("No {what} recipients to send again."),
                );
                return Ok(());
            }
            out.say(format!("{n} recipient(s) queued again."));
            run_campaign(&ws, &runtime()?, &id, out)?;
        }
        CampaignsCommand::Cancel { id } => {
            out.show(&ws.cancel_campaign(&id)?, print_campaign);
        }
        CampaignsCommand::Export { id, csv } => {
            let file = std::fs::File::create(&csv).map_err(|e| {
                AppError::new(
                    ErrorCode::Io,
                    Text::verbatim(format!("Could not create {}: {e}.", csv.display())),
                )
                .with_path(&csv)
            })?;
            let n = ws.export_campaign_csv(&id, file)?;
            out.show(&json!({ "rows": n, "path": csv }), |_| {
                println!("{n} recipient(s) written to {}.", csv.display())
            });
        }
    }
    Ok(())
}
