//! `relay send`: the whole wizard in one command (fetch, check, freeze, send), and the run of a
//! campaign with its progress (a bar on a terminal, JSON events otherwise; Ctrl+C pauses).

use super::audience::{message_spec, MessageArgs};
use super::output::Output;
use super::schedule::{parse_time, show_time};
use super::{failed, open_workspace, runtime, CliResult};
use relay_core::campaign::budget::BudgetView;
use relay_core::campaign::{
    CampaignControl, CampaignStatus, CampaignSummary, CampaignTiming, WaitReason,
};
use relay_core::meta::budget::Limit;
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
    /// Nobody is sent a message in this window of their own local time, `HH:MM-HH:MM`
    /// (`21:00-08:00`); `off` for none. Default: the `quiet_hours` setting. Those in it wait,
    /// and `relay schedule run` (or the app) sends them when it ends.
    #[arg(long, value_name = "HH:MM-HH:MM|off")]
    pub quiet_hours: Option<String>,
    /// Send at this time instead of now: `YYYY-MM-DD HH:MM` (this computer's time zone) or RFC
    /// 3339. The campaign is recorded as scheduled and the command exits; at its time the
    /// audience is fetched and checked again, then sent by `relay schedule run` or the app.
    #[arg(long, value_name = "TIME", conflicts_with = "dry_run")]
    pub at: Option<String>,
    /// Send to fixed lines too (WhatsApp Business runs on landlines); by default they are left
    /// out as numbers that cannot receive messages.
    #[arg(long)]
    pub include_fixed_lines: bool,
}

impl SendArgs {
    /// Its timing, checked (bad input changes nothing, before anything is fetched).
    fn timing(&self, ws: &Workspace) -> AppResult<CampaignTiming> {
        let timing = CampaignTiming {
            quiet_hours: self.quiet_hours.clone(),
            at: self
                .at
                .as_deref()
                .map(parse_time)
                .transpose()?
                .map(|ms| ms.to_string()),
        };
        timing.resolve(&ws.settings()?, ws.now_ms())?;
        Ok(timing)
    }
}

/// Ctrl+C (or a signal) paused a send of this process: whoever runs several stops too.
static QUIT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn quit_requested() -> bool {
    QUIT.load(std::sync::atomic::Ordering::Relaxed)
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
        match (c.running, c.team_syncing) {
            (true, _) => "running now",
            (false, true) => "syncing with the team",
            _ => "",
        }
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
    if let Some(q) = &c.quiet_hours {
        println!("    quiet hours {q} (each recipient's local time)");
    }
    if let Some(at) = &c.scheduled_at {
        println!("    scheduled for {}", show_time(at));
    }
    if let Some(k) = &c.scheduled_counts {
        println!(
            "    when scheduled: {} to send, {} left out",
            k.pending, k.skipped
        );
    }
    if c.waiting > 0 {
        println!(
            "    {} waiting for their quiet hours to end{}",
            c.waiting,
            c.next_at
                .as_deref()
                .map(|t| format!(", the next at {}", show_time(t)))
                .unwrap_or_default()
        );
    }
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
            QUIT.store(true, std::sync::atomic::Ordering::Relaxed);
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
        // Done sending; what it recorded goes to the team's store before this process ends (its
        // claim of the message given back once confirmed).
        if ws.team_status().is_ok_and(|t| t.settling > 0) {
            if out.json {
                out.event(&json!({ "event": "syncing_with_team" }));
            } else {
                eprintln!("Syncing with the team: the send's entries go to the team's store…");
            }
            ws.team_settled().await;
        }
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
            CampaignStatus::Waiting
                if summary.waits_for == Some(WaitReason::MessagingLimit) =>
            {
                println!(
                "Waiting for the WhatsApp messaging limit: {} recipient(s) go as earlier sends leave the 24-hour window, the first at {}. `relay schedule run` sends them then (Relay in the tray does too).",
                summary.waiting,
                summary.next_at.as_deref().map(show_time).unwrap_or_default()
            )
            }
            CampaignStatus::Waiting => println!(
                "Waiting: {} recipient(s) are in their quiet hours, the first of them until {}. `relay schedule run` sends them as their windows open (Relay in the tray does too).",
                summary.waiting,
                summary.next_at.as_deref().map(show_time).unwrap_or_default()
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

/// The WhatsApp messaging limit before a send: the limit, used, available, and when the rest of
/// the campaign can go (a warning when it is not set).
fn print_budget(b: &BudgetView) {
    let warn = if b.limit == Limit::NotSet {
        "warning: "
    } else {
        ""
    };
    for line in b.describe(show_time) {
        println!("{warn}{}", line.english());
    }
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
    let timing = args.timing(&ws)?;
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
    if args.include_fixed_lines {
        rt.block_on(ws.include_fixed_lines(&fetched.id, true))?;
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
    let budget = rt.block_on(ws.whatsapp_budget(&fetched.id, &spec.integration_id))?;
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
                .map(|c| format!("{} {}", c.reason.label().english(), c.count))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if let Some(line) = super::audience::languages_line(&checked.languages) {
            println!("Recipients {line}.");
        }
        println!("{}", rt.block_on(ws.consent_note(&spec))?.english());
        let secs = relay_core::campaign::estimate_secs(checked.eligible, rate);
        println!(
            "At {rate}/s that takes about {}m{:02}s.",
            secs / 60,
            secs % 60
        );
        if let Some(b) = &budget {
            print_budget(b);
        }
        let (quiet, at) = timing.resolve(&ws.settings()?, ws.now_ms())?;
        if let Some(q) = quiet {
            let p = ws.timing_preview(&fetched.id, Some(q), rate, at)?;
            let z = &p.quiet_at_start;
            println!(
                "Quiet hours {q}: {} of them are in theirs {} (time zone from their Zendesk profile {}, from their number's country {}, the workspace's {} {}); they wait. The last should be sent about {}.",
                z.total(),
                if at.is_some() { "at that time" } else { "now" },
                z.user,
                z.phone,
                p.workspace_zone,
                z.workspace,
                show_time(&p.estimated_end)
            );
        }
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
    let campaign = rt.block_on(ws.create_campaign_timed(
        &fetched.id,
        spec,
        Some(rate),
        args.auto_pause_after,
        timing,
    ))?;
    if out.json {
        // With the WhatsApp messaging limit as it stood (null for SMS), and the recipients per
        // translation they get.
        out.event(&json!({ "event": "created", "campaign": campaign, "whatsapp_budget": budget, "languages": checked.languages }));
    } else {
        println!("Campaign {} created.", campaign.id);
    }
    if campaign.status == CampaignStatus::Scheduled {
        out.say(format!(
            "Scheduled for {}. At that time `relay schedule run` (or Relay in the tray) fetches the audience again, checks it and sends it.",
            campaign.scheduled_at.as_deref().map(show_time).unwrap_or_default()
        ));
        return Ok(());
    }
    run_campaign(&ws, &rt, &campaign.id, out)?;
    Ok(())
}
