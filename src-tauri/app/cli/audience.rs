//! `relay audience count|fetch`, and the `--template/--integration/--map` options a message is
//! given with.

use super::output::Output;
use super::{map, open_workspace, runtime, CliResult};
use clap::Subcommand;
use relay_core::paths::DataDir;
use relay_core::text::Text;
use relay_core::workspace::Workspace;
use relay_core::{AppError, AppResult};
use serde_json::json;
use std::io::IsTerminal;

#[derive(Debug, Subcommand)]
pub enum AudienceCommand {
    /// How many users a Zendesk user search matches (`tags:vip -tags:opt_out`, `role:end-user`…).
    Count { query: String },
    /// Fetch every user a search matches and count them by exclusion reason. With a template and
    /// an integration, also checks the blackout and renders each recipient's message.
    Fetch {
        query: String,
        #[command(flatten)]
        message: MessageArgs,
    },
}

/// The message an audience is checked for (all or nothing).
#[derive(Debug, clap::Args)]
pub struct MessageArgs {
    /// A local template's name (`relay template list`).
    #[arg(long, requires = "integration")]
    pub template: Option<String>,
    /// The integration it goes through (`relay integrations list`).
    #[arg(long, requires = "template")]
    pub integration: Option<String>,
    /// A dynamic value's source: VAR=field:KEY or VAR=static:TEXT. VAR is the value's name as
    /// written in the template, or its position (1, 2…). Repeat for each value.
    #[arg(long = "map", value_name = "VAR=SOURCE")]
    pub map: Vec<String>,
    /// The text used when a mapped field is empty: VAR=TEXT (else that recipient is skipped).
    #[arg(long = "fallback", value_name = "VAR=TEXT")]
    pub fallback: Vec<String>,
    /// How a date field is written: VAR=FORMAT (strftime: %d/%m/%Y, %B %-d, %Y…).
    #[arg(long = "date-format", value_name = "VAR=FORMAT")]
    pub date_format: Vec<String>,
}

/// The message spec of `--template/--integration/--map…`, if given.
pub fn message_spec(
    ws: &Workspace,
    args: &MessageArgs,
) -> AppResult<Option<relay_core::message::MessageSpec>> {
    let (Some(name), Some(integration)) = (&args.template, &args.integration) else {
        return Ok(None);
    };
    let draft = ws.template_by_name(name)?;
    let slots = relay_core::message::mapping::slots(&draft.template);
    let mapping = map::mapping_from_args(&slots, &args.map, &args.fallback, &args.date_format)
        .map_err(|e| AppError::invalid_field("map", Text::verbatim(e)))?;
    Ok(Some(relay_core::message::MessageSpec {
        template_id: draft.id,
        integration_id: integration.clone(),
        mapping,
    }))
}

pub fn run(action: AudienceCommand, data: DataDir, out: Output) -> CliResult {
    let ws = open_workspace(data)?;
    let rt = runtime()?;
    match action {
        AudienceCommand::Count { query } => {
            let n = rt.block_on(ws.audience_count(&query))?;
            out.show(&json!({ "query": query, "count": n }), |_| {
                println!("{n} users match {query}")
            });
            Ok(())
        }
        AudienceCommand::Fetch { query, message } => {
            // Checked before fetching: a bad mapping is refused with nothing fetched.
            let spec = message_spec(&ws, &message)?;
            let tty = !out.json && std::io::stderr().is_terminal();
            let cancel = std::sync::atomic::AtomicBool::new(false);
            let mut summary = rt.block_on(ws.fetch_audience(&query, &cancel, |p| {
                if tty {
                    let of = p.expected.map(|e| format!(" of {e}")).unwrap_or_default();
                    eprint!("\r  fetched {}{of} users ({} pages)", p.users, p.pages);
                }
            }))?;
            if tty {
                eprintln!();
            }
            if let Some(spec) = spec {
                summary = rt.block_on(ws.check_audience(&summary.id, Some(spec)))?;
            }
            out.show(&summary, print_summary);
            Ok(())
        }
    }
}

/// An audience's counts, for humans.
fn print_summary(summary: &relay_core::audience::AudienceSummary) {
    use relay_core::audience::ExclusionReason;
    println!(
        "Audience {} ({}): {} users, {} pages",
        summary.id, summary.status, summary.users, summary.pages
    );
    if let Some(warning) = summary.shortfall() {
        println!("  warning: {warning}");
    }
    println!("  will receive the message: {}", summary.eligible);
    for c in &summary.excluded {
        let label = match c.reason {
            ExclusionReason::Removed => "removed by hand",
            ExclusionReason::NoPhone => "no phone number",
            ExclusionReason::InvalidPhone => "invalid phone number",
            ExclusionReason::Suppressed => "suppressed number",
            ExclusionReason::DuplicatePhone => "duplicate phone number",
            ExclusionReason::Blackout => "blackout (same message lately)",
            ExclusionReason::InOtherCampaign => "left to an unfinished campaign",
            ExclusionReason::MissingValue => "missing value, no fallback",
            ExclusionReason::RenderError => "message breaks a channel rule",
        };
        println!("  {:<32} {}", label, c.count);
    }
    if summary.overrides > 0 {
        println!("  blackout overridden by hand: {}", summary.overrides);
    }
}
