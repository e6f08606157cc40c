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
        /// Count fixed lines as numbers that can receive the message.
        #[arg(long)]
        include_fixed_lines: bool,
    },
    /// The members of a fetched audience with their numbers as written and as read, and why
    /// each left out is (`--reason invalid_phone`, `cannot_receive`, `blackout`…).
    Members {
        /// The audience's id (printed by `relay audience fetch`).
        audience: String,
        /// Only the members left out for this reason; `eligible` for those who receive it.
        #[arg(long, value_name = "REASON")]
        reason: Option<String>,
        /// How many to list.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Let one member the consent rule leaves out be sent to (an admin only), with a note saying
    /// why (kept with the member).
    Allow {
        audience: String,
        /// The member's Zendesk user id.
        user: String,
        #[arg(long)]
        note: String,
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
    /// Which translation each recipient gets: `each` (their own, from their Zendesk locale; the
    /// default when the template has several) or one language code for everyone (`fr`, `en_US`).
    #[arg(long, value_name = "each|CODE")]
    pub language: Option<String>,
    /// With `--language each`: the translation a recipient gets when theirs cannot be sent
    /// (default: the template's first).
    #[arg(long, value_name = "CODE")]
    pub default_language: Option<String>,
    /// A static value in one translation: LANG:VAR=TEXT (a weekday, a date in that language).
    #[arg(long = "static-in", value_name = "LANG:VAR=TEXT")]
    pub static_in: Vec<String>,
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
    use relay_core::message::{LanguageChoice, LanguageValue};
    let main = ws.template_by_name(name)?;
    let count = relay_core::template::drafts::translations(&ws.db(), name)?.len();
    let (draft, language) = match args.language.as_deref().map(str::trim) {
        None | Some("each") => {
            let draft = match &args.default_language {
                Some(code) => ws.template_translation(name, code)?,
                None => main,
            };
            let each = count > 1 || args.language.is_some();
            (
                draft,
                if each {
                    LanguageChoice::Each
                } else {
                    LanguageChoice::One
                },
            )
        }
        Some(code) => {
            if args.default_language.is_some() {
                return Err(AppError::invalid_field(
                    "default_language",
                    Text::verbatim("--default-language goes with --language each: with one language for everyone, --language names it."),
                ));
            }
            (ws.template_translation(name, code)?, LanguageChoice::One)
        }
    };
    let slots = relay_core::message::mapping::slots(&draft.template);
    let mapping = map::mapping_from_args(&slots, &args.map, &args.fallback, &args.date_format)
        .map_err(|e| AppError::invalid_field("map", Text::verbatim(e)))?;
    let mut language_values = Vec::new();
    for v in &args.static_in {
        let parsed = v
            .split_once(':')
            .and_then(|(lang, rest)| rest.split_once('=').map(|(var, text)| (lang, var, text)));
        let Some((lang, var, text)) = parsed else {
            return Err(AppError::invalid_field(
                "static_in",
                Text::verbatim(format!(
                    "\"{v}\" is not LANG:VAR=TEXT (for example fr:Friday=vendredi)."
                )),
            ));
        };
        language_values.push(LanguageValue {
            language: relay_core::template::drafts::meta_language(lang)?,
            name: var.trim().to_string(),
            value: text.to_string(),
        });
    }
    Ok(Some(relay_core::message::MessageSpec {
        template_id: draft.id,
        integration_id: integration.clone(),
        mapping,
        language,
        language_values,
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
        AudienceCommand::Allow {
            audience,
            user,
            note,
        } => {
            let summary = rt.block_on(ws.allow_without_consent(&audience, &user, &note))?;
            out.show(&summary, print_summary);
            Ok(())
        }
        AudienceCommand::Members {
            audience,
            reason,
            limit,
        } => {
            let filter = member_filter(reason.as_deref())?;
            let page = ws.audience_members(&audience, filter, 0, limit)?;
            out.show(&page, print_members);
            Ok(())
        }
        AudienceCommand::Fetch {
            query,
            message,
            include_fixed_lines,
        } => {
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
            if include_fixed_lines {
                summary = rt.block_on(ws.include_fixed_lines(&summary.id, true))?;
            }
            if let Some(spec) = spec {
                summary = rt.block_on(ws.check_audience(&summary.id, Some(spec)))?;
            }
            out.show(&summary, print_summary);
            Ok(())
        }
    }
}

/// The members a `--reason` asks for.
fn member_filter(reason: Option<&str>) -> AppResult<relay_core::audience::MemberFilter> {
    use relay_core::audience::{ExclusionReason, MemberFilter};
    Ok(match reason {
        None | Some("all") => MemberFilter::All,
        Some("eligible") => MemberFilter::Eligible,
        Some(r) => MemberFilter::Excluded(r.parse::<ExclusionReason>().map_err(|_| {
            let known: Vec<&str> = <ExclusionReason as strum::VariantArray>::VARIANTS
                .iter()
                .map(|r| r.as_ref())
                .collect();
            AppError::invalid_field(
                "reason",
                Text::verbatim(format!(
                    "\"{r}\" is not a reason. Use eligible, all, or one of: {}.",
                    known.join(", ")
                )),
            )
        })?),
    })
}

/// Members, one a line: who, the number as written and as read, and why they are left out.
fn print_members(page: &relay_core::audience::MemberPage) {
    println!("{} member(s); the first {}:", page.total, page.rows.len());
    for m in &page.rows {
        let written = m.phone_raw.as_deref().unwrap_or("-");
        let read = m.phone.as_deref().unwrap_or("-");
        let mut notes = Vec::new();
        if let Some(k) = m.phone_kind {
            notes.push(k.label().english());
        }
        if let Some(e) = &m.phone_extension {
            notes.push(format!("extension {e} dropped"));
        }
        if let Some(n) = &m.consent_note {
            notes.push(format!("allowed without consent: {n}"));
        }
        let status = match m.reason {
            Some(r) => {
                let detail = m.detail.as_ref().map(|d| format!(": {}", d.english()));
                format!(
                    "left out, {}{}",
                    r.label().english(),
                    detail.unwrap_or_default()
                )
            }
            None => "receives it".to_string(),
        };
        println!(
            "  {:<14} {:<24} {:<22} -> {:<16} {}{}",
            m.user_id,
            m.name,
            written,
            read,
            status,
            if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join(", "))
            }
        );
    }
}

/// An audience's counts, for humans.
/// The recipients per translation, when there are several or some fell back to the default.
pub fn languages_line(list: &[relay_core::audience::LanguageCount]) -> Option<String> {
    if list.len() < 2 && list.iter().all(|c| c.default + c.not_approved == 0) {
        return None;
    }
    let parts: Vec<String> = list
        .iter()
        .map(|c| {
            let mut extra = Vec::new();
            if c.default > 0 {
                extra.push(format!("{} with no translation of theirs", c.default));
            }
            if c.not_approved > 0 {
                extra.push(format!(
                    "{} whose translation is not approved",
                    c.not_approved
                ));
            }
            if c.segments > 0 {
                extra.push(format!("{} SMS segments", c.segments));
            }
            if extra.is_empty() {
                format!("{} {}", c.language, c.recipients)
            } else {
                format!("{} {} ({})", c.language, c.recipients, extra.join(", "))
            }
        })
        .collect();
    Some(format!("per language: {}", parts.join("; ")))
}

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
    if let Some(line) = languages_line(&summary.languages) {
        println!("  {line}");
    }
    for c in &summary.excluded {
        println!("  {:<32} {}", c.reason.label().english(), c.count);
    }
    if summary.include_fixed_lines {
        println!("  (fixed lines are included)");
    } else if summary.count(ExclusionReason::CannotReceive) > 0 {
        println!("  (numbers that cannot receive messages are left out: fixed lines can be included with --include-fixed-lines)");
    }
    if summary.overrides > 0 {
        println!("  blackout overridden by hand: {}", summary.overrides);
    }
}
