//! `relay suppress list|add|remove|import`: the numbers never to message.

use super::output::Output;
use super::{open_workspace, CliResult};
use clap::Subcommand;
use relay_core::paths::DataDir;
use relay_core::text::Text;
use relay_core::{AppError, ErrorCode};
use serde_json::json;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum SuppressCommand {
    /// The suppressed numbers.
    List {
        /// Only the entries that cannot be trusted: added before Relay refused letters (a letter
        /// may have been read as a keypad digit), or whose input now reads as another number.
        /// Add such a number again, as it should be read, to trust it.
        #[arg(long)]
        suspect: bool,
    },
    /// Add numbers (E.164, or national in the workspace's default country).
    Add {
        #[arg(required = true)]
        phones: Vec<String>,
        /// Why (shown in the list).
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Take a number off the list.
    Remove { phone: String },
    /// Import a CSV file: the `phone` column, or the first one.
    Import {
        file: PathBuf,
        #[arg(long, default_value = "")]
        note: String,
    },
}

pub fn run(action: SuppressCommand, data: DataDir, out: Output) -> CliResult {
    let ws = open_workspace(data)?;
    match action {
        SuppressCommand::List { suspect } => {
            let list = if suspect {
                ws.suspect_suppressed()?
            } else {
                ws.suppressed_numbers()?
            };
            out.show(&list, |list| {
                if list.is_empty() {
                    println!(
                        "{}",
                        if suspect {
                            "No suspect entries: every number on the list reads as it was typed."
                        } else {
                            "No suppressed numbers."
                        }
                    );
                }
                for s in list {
                    if s.hidden {
                        println!("{:<18} {} (a number from another desktop, known here by its hash; `relay suppress remove {}` takes it off)", s.phone, s.note, s.phone);
                        continue;
                    }
                    println!("{:<18} {}", s.phone, s.note);
                    if let Some(why) = &s.suspect {
                        println!("{:<18} suspect: {}", "", why.text(s.typed.as_deref()).english());
                    }
                }
                if list.iter().any(|s| s.suspect.is_some()) {
                    println!("To trust a suspect entry, add the number again as it should be read (relay suppress add NUMBER); remove it if it is not the one meant.");
                }
            });
        }
        SuppressCommand::Add { phones, note } => {
            let n = ws.suppress_numbers(&phones, &note)?;
            out.show(&json!({ "added": n }), |_| {
                println!("{n} number(s) added to the suppression list.")
            });
        }
        SuppressCommand::Remove { phone } => {
            ws.unsuppress_number(&phone)?;
            out.show(&json!({ "removed": phone }), |_| {
                println!("{phone} taken off the suppression list.")
            });
        }
        SuppressCommand::Import { file, note } => {
            let text = std::fs::read_to_string(&file).map_err(|e| {
                AppError::new(
                    ErrorCode::InvalidInput,
                    Text::verbatim(format!("Could not read {}: {e}.", file.display())),
                )
                .with_path(&file)
            })?;
            let r = ws.import_suppressed(&text, &note)?;
            out.show(&r, |r| {
                println!(
                    "{} number(s) added, {} already on the list.",
                    r.added, r.already
                );
                if !r.invalid.is_empty() {
                    println!("Lines without a number (left out):");
                    for l in &r.invalid {
                        println!(
                            "  line {}: {}: {}",
                            l.line,
                            l.text,
                            l.problem.text().english()
                        );
                    }
                }
            });
        }
    }
    Ok(())
}
