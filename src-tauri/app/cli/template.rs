//! `relay template validate|preview|save|list|submit` and `relay sms-segments`.

use super::output::Output;
use super::{failed, open_workspace, runtime, CliResult};
use clap::Subcommand;
use relay_core::paths::DataDir;
use relay_core::sms::SmsEncoding;
use relay_core::template::library::TemplateStatus;
use relay_core::text::Text;
use relay_core::{AppError, AppResult, ErrorCode};
use serde_json::json;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ChannelArg {
    Whatsapp,
    Sms,
    Both,
}

#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Check a template file against Meta's and the carriers' rules (exit 2 on errors).
    Validate {
        file: PathBuf,
        /// Which channel's rules.
        #[arg(long, value_enum, default_value_t = ChannelArg::Both)]
        channel: ChannelArg,
    },
    /// Show a template as the recipient will see it, with its examples.
    Preview {
        file: PathBuf,
        #[arg(long, value_enum)]
        channel: ChannelArg,
    },
    /// Save a template file as a local template: the translation of its `name` in its
    /// `language` (added, or replacing the one in that language).
    Save { file: PathBuf },
    /// The local templates with their status on each integration, and the WhatsApp templates
    /// made elsewhere, as last synced.
    List {
        /// Fetch the WhatsApp templates (statuses, rejection reasons) first.
        #[arg(long)]
        sync: bool,
    },
    /// Submit a local template's translations not yet submitted there: to WhatsApp for Meta's
    /// review (each translation on its own), or to an SMS integration (ready at once). NAME may
    /// also be a template file, saved first.
    Submit {
        name: String,
        /// Integration id (`relay integrations list`); repeat for several. Default: the ones the
        /// template is for.
        #[arg(long = "integration", value_name = "ID")]
        integrations: Vec<String>,
    },
}

fn read_template(file: &std::path::Path) -> AppResult<relay_core::template::Template> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        AppError::new(
            ErrorCode::Io,
            Text::verbatim(format!("Could not read {}: {e}", file.display())),
        )
        .with_path(file)
    })?;
    serde_json::from_str(&text).map_err(|e| {
        AppError::invalid_field(
            "file",
            Text::verbatim(format!("{} is not a template file ({e}). See \"Template files\" in the README for the format.", file.display())),
        )
    })
}

fn print_states(states: &[relay_core::template::library::TemplateState]) {
    for s in states {
        let reason = s
            .reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let edited = if s.edited_since_submitted {
            " — edited since submitted"
        } else {
            ""
        };
        println!(
            "    {:<24} {:<22} {}{reason}{edited}",
            s.integration_id, s.integration_name, s.status
        );
    }
}

pub fn run(action: TemplateCommand, data: DataDir, out: Output) -> CliResult {
    use relay_core::template::validate::{has_errors, validate, Severity};
    match action {
        TemplateCommand::Save { file } => {
            let ws = open_workspace(data)?;
            let draft = ws.save_template_by_name(&read_template(&file)?)?;
            let count =
                relay_core::template::drafts::translations(&ws.db(), &draft.template.name)?.len();
            out.show(&draft, |d| {
                println!(
                    "Saved the local template {} in {} ({count} translation{}).",
                    d.template.name,
                    d.template.language,
                    if count == 1 { "" } else { "s" }
                )
            });
            Ok(())
        }
        TemplateCommand::List { sync } => {
            let ws = open_workspace(data)?;
            let lib = if sync {
                runtime()?.block_on(ws.sync_templates())?
            } else {
                ws.template_library()?
            };
            if out.json {
                println!("{}", json!(lib));
                return Ok(());
            }
            if lib.local.is_empty() && lib.remote.is_empty() {
                println!("No templates. Create one in the app, or `relay template save FILE`.");
            }
            // Each template once, its translations under it (the first made first).
            let mut names: Vec<&str> = Vec::new();
            for e in &lib.local {
                if !names.contains(&e.draft.template.name.as_str()) {
                    names.push(&e.draft.template.name);
                }
            }
            for name in names {
                let mut group: Vec<_> = lib
                    .local
                    .iter()
                    .filter(|e| e.draft.template.name == name)
                    .collect();
                group.sort_by(|a, b| {
                    let at = |e: &&relay_core::template::library::LocalEntry| {
                        e.draft.created_at.parse::<i64>().unwrap_or_default()
                    };
                    at(a).cmp(&at(b))
                });
                let langs: Vec<&str> = group
                    .iter()
                    .map(|e| e.draft.template.language.as_str())
                    .collect();
                println!(
                    "{name} ({:?}; {})",
                    group[0].draft.template.category,
                    langs.join(", ")
                );
                for e in group {
                    println!("  {}", e.draft.template.language);
                    if e.states.is_empty() {
                        println!("    draft: not meant for any integration yet");
                    }
                    print_states(&e.states);
                }
            }
            if !lib.remote.is_empty() {
                println!("\nOn WhatsApp only:");
                for r in &lib.remote {
                    let reason = r
                        .reason
                        .as_deref()
                        .map(|x| format!(" ({x})"))
                        .unwrap_or_default();
                    println!(
                        "  {:<28} {:<6} {:<22} {}{reason}",
                        r.name, r.language, r.integration_name, r.status
                    );
                }
            }
            for s in &lib.syncs {
                let when = s
                    .synced_at
                    .as_deref()
                    .and_then(|ms| ms.parse::<i64>().ok())
                    .and_then(chrono::DateTime::from_timestamp_millis)
                    .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                    .unwrap_or_else(|| "never (use --sync)".into());
                println!("{} last synced: {when}", s.integration_name);
            }
            Ok(())
        }
        TemplateCommand::Submit { name, integrations } => {
            let ws = open_workspace(data)?;
            let path = std::path::Path::new(&name);
            let draft = if name.ends_with(".json") || path.is_file() {
                ws.save_template_by_name(&read_template(path)?)?
            } else {
                ws.template_by_name(&name)?
            };
            let entries =
                runtime()?.block_on(ws.submit_translations(&draft.template.name, &integrations))?;
            out.show(&entries, |list| {
                println!("Submitted {} (each translation not submitted there yet):", draft.template.name);
                for e in list {
                    println!("  {}", e.draft.template.language);
                    print_states(&e.states);
                }
                if list.iter().flat_map(|e| &e.states).any(|s| s.status == TemplateStatus::Pending) {
                    println!("Meta reviews each translation in minutes to a day: `relay template list --sync` shows the outcome.");
                }
            });
            Ok(())
        }
        TemplateCommand::Validate { file, channel } => {
            let t = read_template(&file)?;
            let (wa, sms) = match channel {
                ChannelArg::Whatsapp => (true, false),
                ChannelArg::Sms => (false, true),
                ChannelArg::Both => (true, true),
            };
            let issues = validate(&t, wa, sms);
            let errors = has_errors(&issues);
            let error = || {
                AppError::invalid_field(
                    "file",
                    Text::verbatim(format!(
                        "{} has errors: fix them before submitting.",
                        file.display()
                    )),
                )
            };
            if out.json {
                let found = json!({ "valid": !errors, "issues": issues });
                if errors {
                    return Err(failed(error(), found));
                }
                println!("{found}");
            } else if issues.is_empty() {
                println!("{}: valid.", file.display());
            } else {
                for i in &issues {
                    let sev = if i.severity == Severity::Error {
                        "error  "
                    } else {
                        "warning"
                    };
                    let ch = i.channel.map(|c| format!(" [{c}]")).unwrap_or_default();
                    println!("{sev} {:<18} {}{ch}: {}", i.field, i.code, i.text);
                }
            }
            if errors {
                return Err(error().into());
            }
            Ok(())
        }
        TemplateCommand::Preview { file, channel } => {
            let t = read_template(&file)?;
            let p = relay_core::template::preview::preview(&t, &[], &[]);
            if out.json {
                println!("{}", json!(p));
                return Ok(());
            }
            if channel != ChannelArg::Sms {
                println!("── WhatsApp ──");
                if !p.whatsapp.header_text.is_empty() {
                    println!("{}", p.whatsapp.header_text);
                }
                if !p.whatsapp.header_url.is_empty() {
                    println!("[{:?}: {}]", p.whatsapp.header_kind, p.whatsapp.header_url);
                }
                println!("{}", p.whatsapp.body_text);
                if !p.whatsapp.footer.is_empty() {
                    println!("{}", p.whatsapp.footer);
                }
                for b in &p.whatsapp.buttons {
                    println!("[ {} ]", b.text);
                }
            }
            if channel != ChannelArg::Whatsapp {
                println!("── SMS ──");
                println!("{}", p.sms.text);
                let enc = match p.sms.info.encoding {
                    relay_core::sms::SmsEncoding::Gsm7 => "GSM-7",
                    relay_core::sms::SmsEncoding::Ucs2 => "UCS-2",
                };
                println!(
                    "── {enc}, {} characters, {} segment(s)",
                    p.sms.info.characters, p.sms.info.segments
                );
            }
            Ok(())
        }
    }
}

/// `relay sms-segments TEXT`.
pub fn sms_segments(text: &str, out: Output) -> CliResult {
    out.show(&relay_core::sms::report(text), |r| {
        let enc = match r.info.encoding {
            SmsEncoding::Gsm7 => "GSM-7",
            SmsEncoding::Ucs2 => "UCS-2",
        };
        let per = if r.info.segments > 1 {
            format!(" ({} characters each)", r.segment_size)
        } else {
            String::new()
        };
        println!(
            "{enc}, {} characters, {} segment(s){per}",
            r.info.characters, r.info.segments
        );
        if !r.info.non_gsm.is_empty() {
            println!("Characters that force UCS-2:");
            for c in &r.info.non_gsm {
                match &c.replacement {
                    Some(x) => println!("  {:?} → write {:?} instead", c.char, x),
                    None => println!("  {:?} (no GSM equivalent)", c.char),
                }
            }
        }
        if let Some(n) = r.segments_with_replacements {
            println!("With the replacements: {n} segment(s).");
        }
        if r.too_long {
            println!(
                "Longer than {} characters: Twilio refuses it (error 21617).",
                relay_core::template::validate::LIMITS.sms_max
            );
        }
    });
    Ok(())
}
