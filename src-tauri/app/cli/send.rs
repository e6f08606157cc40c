//! `relay send`: the whole wizard in one command (fetch, check, freeze, send), and the run of a
//! campaign with its progress (a bar on a terminal, JSON events otherwise; Ctrl+C pauses).

use super::audience::{message_spec, MessageArgs};
use super::output::Output;
use super::{failed, open_workspace, runtime, CliResult};
use relay_core::campaign::{CampaignControl, CampaignStatus, CampaignSummary};
use relay_core::paths::DataDir;
use relay_core::text::Text;
use relay_core::workspace::Workspace;
use relay_core::{AppError, AppResult, ErrorCode};
use serde_json::json;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, clap::Args)]
pub struct SendArgs {
    /// The Zendesk user search (`role:end-user tags:vip`…).
    #[arg(long)]
    pub query: String,
    #[command(flatten)]
    pub message: MessageArgs,
    /// Messages per second (1–1,000). Default: the integration's rate in the settings.
    #[arg(long)]
    pub rate: Option<u32>,
    /// Pause after this many failures in a row (default: the `auto_pause_after` setting, 10).
    #[arg(long, value_name = "N")]
    pub auto_pause_after: Option<u32>,
    /// Render every message and write them as CSV (to --csv, else standard output); send
    /// nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Where --dry-run writes its CSV.
    #[arg(long, value_name = "FILE", requires = "dry_run")]
    pub csv: Option<PathBuf>,
    /// Send without asking (needed when standard input is not a terminal).
    #[arg(long)]
    pub yes: bool,
}

pub fn print_campaign(c: &CampaignSummary) {
    let k = &c.counts;
    println!(
        "{}  {}  {} via {} ({})  {}",
        c.id,
        c.status,
        c.template_name,
        c.integration_id,
        c.kind,
        if c.running { "running now" } else { "" }
    );
    println!(
        "    sent {}  failed {}  unknown {}  skipped {}  pending {}  of {}   rate {}/s",
        k.sent,
        k.failed,
        k.unknown,
        k.skipped,
        k.pending + k.sending,
        k.total(),
        c.rate
    );
    if let Some(r) = &c.pause_reason {
        println!("    {r}");
    }
}

/// Runs a campaign: a progress line on a terminal, JSON events otherwise; Ctrl+C (or SIGTERM)
/// pauses.
pub fn run_campaign(
    ws: &Workspace,
    rt: &tokio::runtime::Runtime,
    id: &str,
    out: Output,
) -> AppResult<CampaignSummary> {
    let control = Arc::new(CampaignControl::default());
    // Drawn on a terminal only (indicatif hides it otherwise); JSON events replace it.
    let bar = (!out.json).then(|| {
        indicatif::ProgressBar::new(0).with_style(
            indicatif::ProgressStyle::with_template("  [{bar:30}] {pos}/{len}  {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("#>-"),
        )
    });
    let summary = rt.block_on(async {
        let c = control.clone();
        // Ctrl+C, SIGTERM, a closed terminal: pause (the requests in flight land first); a
        // second one stops at once.
        let ctrl_c = tokio::spawn(async move {
            crate::quit_signal().await;
            c.pause();
            eprintln!("Pausing: the messages in flight land and are recorded first. Press Ctrl+C again to stop at once (those still in flight would then be unknown).");
            crate::quit_signal().await;
            eprintln!("Stopped at once: `relay campaigns show` says what became of each message.");
            std::process::exit(130);
        });
        let r = ws
            .run_campaign(id, &control, |p| {
                let k = &p.counts;
                if out.json {
                    // A reader that went away (a closed pipe) must not stop the send.
                    out.event(&json!({ "event": "progress", "progress": p }));
                } else if let Some(bar) = &bar {
                    let eta = p
                        .eta_secs
                        .map(|s| format!("ETA {}m{:02}s", s / 60, s % 60))
                        .unwrap_or_default();
                    bar.set_length(u64::from(k.total()));
                    bar.set_position(u64::from(k.sent + k.failed + k.unknown + k.skipped));
                    let waiting = p
                        .provider_wait_secs
                        .map(|s| format!("  waiting for the provider ({s} s)"))
                        .unwrap_or_default();
                    bar.set_message(format!(
                        "sent {} failed {} unknown {}  {:.1}/s  {eta}{waiting}",
                        k.sent, k.failed, k.unknown, p.rate
                    ));
                }
            })
            .await;
        ctrl_c.abort();
        r
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if out.json {
        out.event(&json!({ "event": "done", "campaign": summary }));
    } else {
        print_campaign(&summary);
        match summary.status {
            CampaignStatus::Paused => println!(
                "Paused. `relay campaigns resume {}` goes on where it stopped.",
                summary.id
            ),
            CampaignStatus::Completed if summary.counts.failed > 0 => println!(
                "Done. `relay campaigns retry {}` sends again to the failed recipients.",
                summary.id
            ),
            _ => {}
        }
        if summary.counts.unknown > 0 {
            println!("{} message(s) may or may not have been delivered (unknown): see `relay campaigns export {} --csv FILE`.", summary.counts.unknown, summary.id);
        }
    }
    Ok(summary)
}

pub fn run(args: SendArgs, data: DataDir, out: Output) -> CliResult {
    if out.json && args.dry_run && args.csv.is_none() {
        return Err(AppError::invalid_field(
            "csv",
            Text::verbatim("With --json, give the dry run a file to write its CSV to (--csv FILE): standard output carries the JSON."),
        )
        .into());
    }
    let ws = open_workspace(data)?;
    let rt = runtime()?;
    let spec = message_spec(&ws, &args.message)?.ok_or_else(|| {
        AppError::invalid_field(
            "template",
            Text::verbatim("Say what to send: --template NAME --integration ID (and --map for each dynamic value)."),
        )
    })?;
    // Before anything is fetched: bad input changes nothing.
    if let Some(r) = args.rate {
        relay_core::campaign::check_rate(r)?;
    }
    if !args.dry_run {
        rt.block_on(ws.check_sendable(&spec))?;
    }
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let spinner = (!out.json).then(|| {
        indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("  {spinner} fetching the audience: {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        )
    });
    let fetched = rt.block_on(ws.fetch_audience(&args.query, &cancel, |p| {
        if let Some(s) = &spinner {
            let of = p.expected.map(|e| format!(" of {e}")).unwrap_or_default();
            s.set_message(format!("{}{of} users", p.users));
            s.tick();
        }
    }))?;
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    if args.dry_run {
        let n = match &args.csv {
            Some(path) => {
                let file = std::fs::File::create(path).map_err(|e| {
                    AppError::new(
                        ErrorCode::Io,
                        Text::verbatim(format!("Could not create {}: {e}.", path.display())),
                    )
                    .with_path(path)
                })?;
                rt.block_on(ws.dry_run_csv(&fetched.id, spec, file))?
            }
            None => rt.block_on(ws.dry_run_csv(&fetched.id, spec, std::io::stdout()))?,
        };
        if args.csv.is_some() {
            out.show(&json!({ "event": "dry_run", "messages": n }), |_| {
                println!("Dry run: {n} message(s) rendered, nothing sent.")
            });
        }
        return Ok(());
    }
    let checked = rt.block_on(ws.check_audience(&fetched.id, Some(spec.clone())))?;
    let rate = match args.rate {
        Some(r) => r,
        None => ws.settings()?.rate_for(&spec.integration_id),
    };
    if let Some(warning) = checked.shortfall() {
        eprintln!("warning: {warning}");
    }
    if !out.json {
        println!(
            "{} users match; {} will receive the message, {} are left out ({}).",
            checked.users,
            checked.eligible,
            checked.users - checked.eligible,
            checked
                .excluded
                .iter()
                .filter(|c| c.count > 0)
                .map(|c| format!("{} {}", c.reason.as_ref(), c.count))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let secs = relay_core::campaign::estimate_secs(checked.eligible, rate);
        println!(
            "At {rate}/s that takes about {}m{:02}s.",
            secs / 60,
            secs % 60
        );
    }
    if checked.eligible == 0 {
        return Err(failed(
            AppError::new(
                ErrorCode::InvalidInput,
                Text::verbatim("Nobody would receive this message: `relay audience fetch` with the same options shows who is left out and why; change the query or the mapping."),
            ),
            json!(checked),
        ));
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(AppError::invalid_field(
                "yes",
                Text::verbatim("Add --yes to send without a terminal to confirm on."),
            )
            .into());
        }
        eprint!("Send {} message(s)? [y/N] ", checked.eligible);
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).map_err(|e| {
            AppError::new(
                ErrorCode::Io,
                Text::verbatim(format!("Could not read the answer: {e}.")),
            )
        })?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            println!("Nothing was sent.");
            return Ok(());
        }
    }
    let campaign =
        rt.block_on(ws.create_campaign(&fetched.id, spec, Some(rate), args.auto_pause_after))?;
    if out.json {
        out.event(&json!({ "event": "created", "campaign": campaign }));
    } else {
        println!("Campaign {} created.", campaign.id);
    }
    run_campaign(&ws, &rt, &campaign.id, out)?;
    Ok(())
}
