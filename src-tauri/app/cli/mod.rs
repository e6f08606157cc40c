//! The `relay` command line. With no subcommand it opens the window; subcommands run the same
//! core headless. Human output by default, `--json` for scripts. Exit codes: 0 success,
//! 1 failure, 2 bad input (nothing changed).

mod audience;
mod campaigns;
mod hint;
mod map;
mod optouts;
mod output;
mod sandbox;
mod schedule;
mod send;
mod settings;
mod setup;
mod suppress;
mod team;
mod template;

use audience::AudienceCommand;
use campaigns::CampaignsCommand;
use clap::{Parser, Subcommand};
use output::Output;
use relay_core::paths::DataDir;
use relay_core::secrets::KeyringStore;
use relay_core::settings::JsonFileBackend;
use relay_core::text::Text;
use relay_core::workspace::Workspace;
use relay_core::{AppError, AppResult, ErrorCode};
use sandbox::SandboxArgs;
use send::SendArgs;
use serde_json::{json, Value};
use settings::SettingsCommand;
use setup::IntegrationsCommand;
use std::path::PathBuf;
use std::sync::Arc;
use suppress::SuppressCommand;
use template::TemplateCommand;

#[derive(Debug, Parser)]
#[command(
    name = "relay",
    version = relay_core::VERSION,
    about = "Proactive WhatsApp and SMS campaigns for Zendesk, through Sunshine Conversations.",
    long_about = "Proactive WhatsApp and SMS campaigns for Zendesk, through Sunshine Conversations.\n\nWith no command, opens the Relay window. The commands below run the same core without a window.",
    after_help = "Secrets are never read from the command line: `relay settings set-secret NAME` asks for them, or reads them from standard input."
)]
pub struct Cli {
    /// Data folder (database, settings, logs). Default: the system's data folder for Relay.
    #[arg(long, global = true, env = relay_core::paths::DATA_DIR_ENV, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print JSON instead of text (errors too: {"error": {"code", "message", "details"?}}).
    #[arg(long, global = true)]
    pub json: bool,
    /// With no command: open the demo workspace unless a workspace of your own is configured.
    #[arg(long)]
    pub demo_if_unconfigured: bool,
    /// Open the app with its window hidden, in the system tray (how it opens at login).
    #[arg(long, hide = true)]
    pub in_tray: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the version.
    Version,
    /// Show and change the workspace settings.
    Settings {
        #[command(subcommand)]
        action: SettingsCommand,
    },
    /// Serve a local simulator of the Zendesk and Sunshine Conversations APIs (for the demo
    /// workspace, tests and benchmarks) on 127.0.0.1, until interrupted.
    Sandbox(SandboxArgs),
    /// Connect the workspace of the data folder, and test the connection. With no option, asks
    /// for each setting in the terminal (secrets hidden), then tests the connection.
    Setup {
        /// Connect to a running `relay sandbox` at this URL (credentials go to the keychain).
        #[arg(long, value_name = "URL")]
        sandbox: Option<String>,
        /// Check Zendesk and Sunshine Conversations, each separately (exit 1 if any check fails).
        #[arg(long)]
        test: bool,
    },
    /// Check, preview, save, list and submit templates (files are JSON; see the README).
    Template {
        #[command(subcommand)]
        action: TemplateCommand,
    },
    /// How an SMS text is encoded and billed: GSM-7 or UCS-2, characters, segments, and the
    /// characters that force UCS-2 with their replacements.
    SmsSegments {
        /// The message text.
        text: String,
    },
    /// Who a Zendesk user search reaches: count it, or fetch it and see who is excluded and why.
    Audience {
        #[command(subcommand)]
        action: AudienceCommand,
    },
    /// Send a campaign from the command line: fetch the audience of a Zendesk user search,
    /// check it for the message, confirm, then send at the chosen rate (Ctrl+C pauses;
    /// `relay campaigns resume ID` goes on). With --json, prints JSON events, one per line.
    Send(SendArgs),
    /// The campaigns of this workspace: list, show, resume, retry, export.
    Campaigns {
        #[command(subcommand)]
        action: CampaignsCommand,
    },
    /// The local list of numbers never to message.
    Suppress {
        #[command(subcommand)]
        action: SuppressCommand,
    },
    /// Campaigns sent at their time: run the scheduled and waiting ones as they come due (for
    /// cron, systemd or Task Scheduler), or list them.
    Schedule {
        #[command(subcommand)]
        action: schedule::ScheduleCommand,
    },
    /// The replies that say "no" (STOP, ARRÊT…), captured from Zendesk tickets by Relay's trigger
    /// and honoured on every desktop: set up, read, decide the doubtful ones.
    Optouts {
        #[command(subcommand)]
        action: optouts::OptoutsCommand,
    },
    /// The team's shared ledger (Zendesk custom objects): this desktop's state, and a sync.
    Team {
        #[command(subcommand)]
        action: team::TeamCommand,
    },
    /// The Sunshine Conversations integrations Relay can send through.
    Integrations {
        #[command(subcommand)]
        action: IntegrationsCommand,
    },
}

/// A command's failure and what it found (the issues of a template, a connection test's
/// checks): under `--json` both go out as the one document the command prints.
pub struct Failed {
    pub error: AppError,
    pub found: Option<Value>,
}

impl From<AppError> for Failed {
    fn from(error: AppError) -> Self {
        Failed { error, found: None }
    }
}

type CliResult = Result<(), Failed>;

/// A failure with what the command found.
fn failed(error: AppError, found: Value) -> Failed {
    Failed {
        error,
        found: Some(found),
    }
}

/// Entry point of the binary; returns the process exit code.
pub fn main() -> i32 {
    crate::mark_process_start();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Under --json a bad command line is an error object too; else clap's own message.
        Err(e) if std::env::args().any(|a| a == "--json") && e.use_stderr() => {
            let error = AppError::new(
                ErrorCode::InvalidInput,
                Text::verbatim(e.render().to_string().trim()),
            );
            println!("{}", json!({ "error": error }));
            return 2;
        }
        Err(e) => e.exit(),
    };
    let json = cli.json;
    match run(cli) {
        Ok(()) => 0,
        Err(Failed { error: e, found }) => {
            if json {
                let mut doc = json!({ "error": e });
                if let Some(found) = found {
                    doc["found"] = found;
                }
                if let Some(hint) = hint::hint(&e) {
                    doc["hint"] = json!(hint);
                }
                println!("{doc}");
            } else {
                eprintln!("error: {}", e.message);
                if let Some(hint) = hint::hint(&e) {
                    eprintln!("hint: {hint}");
                }
                if let Some(details) = &e.details {
                    if details.fields.len() > 1 {
                        for (field, problem) in &details.fields {
                            eprintln!("  {field}: {problem}");
                        }
                    }
                }
            }
            if e.code == ErrorCode::InvalidInput {
                2
            } else {
                1
            }
        }
    }
}

/// The workspace of a data folder, with the system keychain and the log file.
fn open_workspace(data: DataDir) -> AppResult<Workspace> {
    relay_core::logging::init(&data.log_dir())?;
    let backend = Box::new(JsonFileBackend::new(&data.settings_file()));
    Workspace::open(data, Arc::new(KeyringStore), backend)
}

fn run(cli: Cli) -> CliResult {
    let data = DataDir::resolve(cli.data_dir.as_deref())?;
    let out = Output { json: cli.json };
    let Some(command) = cli.command else {
        let demo = if cli.demo_if_unconfigured {
            crate::DemoMode::IfUnconfigured
        } else {
            crate::DemoMode::Remember
        };
        return Ok(crate::run_gui(data, demo, cli.in_tray)?);
    };
    match command {
        Command::Version => {
            out.show(&json!({ "version": relay_core::VERSION }), |_| {
                println!("relay {}", relay_core::VERSION)
            });
            Ok(())
        }
        Command::Settings { action } => settings::run(action, data, out),
        Command::Setup { sandbox, test } => setup::run(sandbox, test, data, out),
        Command::Integrations { action } => setup::integrations(action, data, out),
        Command::Sandbox(args) => sandbox::run(args, out),
        Command::Template { action } => template::run(action, data, out),
        Command::SmsSegments { text } => template::sms_segments(&text, out),
        Command::Audience { action } => audience::run(action, data, out),
        Command::Suppress { action } => suppress::run(action, data, out),
        Command::Send(args) => send::run(args, data, out),
        Command::Campaigns { action } => campaigns::run(action, data, out),
        Command::Team { action } => team::run(action, data, out),
        Command::Optouts { action } => optouts::run(action, data, out),
        Command::Schedule { action } => schedule::run(action, data, out),
    }
}

fn runtime() -> AppResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| AppError::internal(format!("could not start the async runtime: {e}")))
}
