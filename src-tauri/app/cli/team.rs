//! `relay team status|sync`: this desktop and the team's store (Zendesk custom objects).

use super::output::Output;
use super::{open_workspace, runtime, CliResult};
use clap::Subcommand;
use relay_core::paths::DataDir;

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// This desktop's name in the store, entries waiting to be pushed, the last push and pull.
    Status,
    /// Make the store's object types if missing (an admin's token can), push this desktop's
    /// entries, pull the others'.
    Sync,
}

pub fn run(action: TeamCommand, data: DataDir, out: Output) -> CliResult {
    let ws = open_workspace(data)?;
    match action {
        TeamCommand::Status => {
            out.show(&ws.team_status()?, |s| {
                println!("desktop        {}", s.desktop);
                println!("waiting        {} entr(ies) to push", s.pending);
                if s.failing > 0 {
                    println!(
                        "refused        {} of them, last: {}",
                        s.failing,
                        s.last_error.as_deref().unwrap_or("?")
                    );
                }
                println!(
                    "last push      {}",
                    s.last_push.as_deref().unwrap_or("never")
                );
                println!(
                    "last pull      {}",
                    s.last_pull.as_deref().unwrap_or("never")
                );
                println!(
                    "pulled         {} entr(ies) from other desktops",
                    s.pulled_entries
                );
            });
        }
        TeamCommand::Sync => {
            let report = runtime()?.block_on(ws.team_sync())?;
            let status = ws.team_status()?;
            out.show(
                &serde_json::json!({ "sync": report, "status": status }),
                |_| {
                    println!(
                        "pushed {} entr(ies), {} still waiting; pulled {} record(s), {} new here ({} requests)",
                        report.pushed, status.pending, report.pulled, report.merged, report.requests
                    );
                },
            );
        }
    }
    Ok(())
}
