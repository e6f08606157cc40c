//! The `relay` command line. With no subcommand it opens the window; subcommands run the same
//! core headless. Human output by default, `--json` for scripts. Exit codes: 0 success,
//! 1 failure, 2 bad input (nothing changed).

mod map;

use clap::{Parser, Subcommand};
use relay_core::paths::DataDir;
use relay_core::secrets::{KeyringStore, SecretKind};
use relay_core::settings::{JsonFileBackend, Settings};
use relay_core::workspace::Workspace;
use relay_core::{AppError, AppResult, ErrorCode};
use serde_json::{json, Value};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

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
    /// The Sunshine Conversations integrations Relay can send through.
    Integrations {
        #[command(subcommand)]
        action: IntegrationsCommand,
    },
}

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
    /// Save a template file as a local template (replacing the local one of the same name).
    Save { file: PathBuf },
    /// The local templates with their status on each integration, and the WhatsApp templates
    /// made elsewhere, as last synced.
    List {
        /// Fetch the WhatsApp templates (statuses, rejection reasons) first.
        #[arg(long)]
        sync: bool,
    },
    /// Submit a local template: to WhatsApp for Meta's review, or to an SMS integration (ready
    /// at once). NAME may also be a template file, saved first.
    Submit {
        name: String,
        /// Integration id (`relay integrations list`); repeat for several. Default: the ones the
        /// template is for.
        #[arg(long = "integration", value_name = "ID")]
        integrations: Vec<String>,
    },
}

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

#[derive(Debug, Subcommand)]
pub enum CampaignsCommand {
    /// Every campaign, newest first, with its counts.
    List,
    /// One campaign: status and counts by state.
    Show { id: String },
    /// Go on sending a paused or interrupted campaign (recipients left in flight by a crash
    /// stay `unknown`).
    Resume { id: String },
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

#[derive(Debug, Subcommand)]
pub enum SuppressCommand {
    /// The suppressed numbers.
    List,
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

#[derive(Debug, Subcommand)]
pub enum IntegrationsCommand {
    /// List WhatsApp, Twilio and MessageBird integrations: type, name, number, status, rate.
    List,
}

#[derive(Debug, clap::Args)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Number of seeded users (any count; they are generated on demand, not held in memory).
    #[arg(long, default_value_t = 1000)]
    pub users: u64,
    /// Seed of the deterministic user generator.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Seconds a new WhatsApp template stays PENDING before Meta's simulated review.
    #[arg(long, default_value_t = 5)]
    pub approve_after: u64,
    /// Zendesk API requests per minute before 429 (Zendesk plans: 200 to 2,500).
    #[arg(long, default_value_t = 700)]
    pub zendesk_rate: u32,
    /// Search export requests per minute before 429 (Zendesk documents 100).
    #[arg(long, default_value_t = 100)]
    pub export_rate: u32,
    /// Probability (0..1) of a 429 with Retry-After on any API request.
    #[arg(long, default_value_t = 0.0)]
    pub fault_429: f64,
    /// Probability (0..1) of a 500 or 503.
    #[arg(long, default_value_t = 0.0)]
    pub fault_5xx: f64,
    /// Probability (0..1) of a dropped connection.
    #[arg(long, default_value_t = 0.0)]
    pub fault_drop: f64,
    /// Added latency per request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// At most this many notifications accepted per second.
    #[arg(long)]
    pub max_notifications_per_second: Option<u32>,
    /// The search export's order: asc (oldest first), desc (newest first) or unordered — Zendesk
    /// documents the export as ordered by created_at without saying which way.
    #[arg(long, default_value = "asc")]
    pub export_order: relay_sandbox::ExportOrder,
}

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Show every setting, whether each secret is set, and the files Relay uses.
    Show,
    /// Set one setting. Lists are comma-separated; send_rates is ID=RATE,ID=RATE.
    Set {
        /// A setting name, e.g. zendesk_subdomain, blackout_days, default_country.
        key: String,
        /// The new value.
        value: String,
    },
    /// Store a secret in the OS keychain, read from a prompt or standard input.
    ///
    /// NAME is zendesk_api_token, sunshine_key_secret, or sunshine_token (the base64
    /// "keyId:secret" token, which also sets sunshine_key_id).
    SetSecret {
        /// zendesk_api_token | sunshine_key_secret | sunshine_token
        name: String,
    },
    /// Remove a secret from the OS keychain.
    ClearSecret {
        /// zendesk_api_token | sunshine_key_secret
        name: String,
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
                e.render().to_string().trim().to_string(),
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
                println!("{doc}");
            } else {
                eprintln!("error: {}", e.message);
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
    let Some(command) = cli.command else {
        let demo = if cli.demo_if_unconfigured {
            crate::DemoMode::IfUnconfigured
        } else {
            crate::DemoMode::Remember
        };
        return Ok(crate::run_gui(data, demo)?);
    };
    match command {
        Command::Sandbox(args) => Ok(sandbox(args, cli.json)?),
        Command::Template { action } => template(action, data, cli.json),
        Command::Audience { action } => Ok(audience(action, data, cli.json)?),
        Command::Suppress { action } => Ok(suppress(action, data, cli.json)?),
        Command::Send(args) => send(args, data, cli.json),
        Command::Campaigns { action } => Ok(campaigns(action, data, cli.json)?),
        Command::SmsSegments { text } => {
            let info = relay_core::sms::analyze(&text);
            if cli.json {
                println!("{}", json!(info));
            } else {
                let enc = match info.encoding {
                    relay_core::sms::SmsEncoding::Gsm7 => "GSM-7",
                    relay_core::sms::SmsEncoding::Ucs2 => "UCS-2",
                };
                let per = match (info.encoding, info.segments) {
                    (_, 0 | 1) => String::new(),
                    (relay_core::sms::SmsEncoding::Gsm7, _) => " (153 characters each)".into(),
                    (relay_core::sms::SmsEncoding::Ucs2, _) => " (67 characters each)".into(),
                };
                println!(
                    "{enc}, {} characters, {} segment(s){per}",
                    info.characters, info.segments
                );
                if !info.non_gsm.is_empty() {
                    println!("Characters that force UCS-2:");
                    for c in &info.non_gsm {
                        match &c.replacement {
                            Some(r) => println!("  {:?} → write {:?} instead", c.char, r),
                            None => println!("  {:?} (no GSM equivalent)", c.char),
                        }
                    }
                    let fixed = relay_core::sms::to_gsm(&text);
                    let after = relay_core::sms::analyze(&fixed);
                    if after.segments < info.segments || after.encoding != info.encoding {
                        println!("With the replacements: {} segment(s).", after.segments);
                    }
                }
                if text.chars().count() > relay_core::sms::MAX_SMS_CHARS {
                    println!(
                        "Longer than {} characters: Twilio refuses it (error 21617).",
                        relay_core::sms::MAX_SMS_CHARS
                    );
                }
            }
            Ok(())
        }
        Command::Setup { sandbox, test } => {
            let ws = open_workspace(data)?;
            let rt = runtime()?;
            if sandbox.is_none() && !test {
                if !std::io::stdin().is_terminal() || cli.json {
                    return Err(AppError::invalid_field(
                        "setup",
                        "relay setup asks its questions in a terminal, without --json. In a script, use `relay settings set` and `relay settings set-secret`, then `relay setup --test`.",
                    )
                    .into());
                }
                let stdin = std::io::stdin();
                let mut lines = stdin.lock();
                interactive_setup(&ws, &mut lines, &mut |label| {
                    rpassword::prompt_password(format!(
                        "{label} (hidden, Enter keeps the saved one): "
                    ))
                    .unwrap_or_default()
                })?;
                let report = rt.block_on(ws.test_connection())?;
                return reported(&report, cli.json, "relay setup");
            }
            if let Some(url) = sandbox {
                let conn = rt.block_on(relay_core::workspace::SandboxConnection::fetch(&url))?;
                ws.connect_sandbox(&conn)?;
                if !cli.json {
                    println!("Workspace connected to the sandbox at {} (secrets saved to the system keychain).", conn.base_url);
                }
            }
            if test {
                let report = rt.block_on(ws.test_connection())?;
                return reported(&report, cli.json, "relay setup --test");
            } else if cli.json {
                println!(
                    "{}",
                    json!({ "configured": ws.settings_view()?.configured })
                );
            }
            Ok(())
        }
        Command::Integrations {
            action: IntegrationsCommand::List,
        } => {
            let ws = open_workspace(data)?;
            let list = runtime()?.block_on(ws.integrations())?;
            if cli.json {
                println!("{}", json!({ "integrations": list }));
            } else if list.is_empty() {
                println!("No WhatsApp, Twilio or MessageBird integration in this Sunshine Conversations app.");
            } else {
                println!(
                    "{:<26} {:<12} {:<22} {:<18} {:<9} RATE",
                    "ID", "TYPE", "NAME", "NUMBER", "STATUS"
                );
                for i in list {
                    println!(
                        "{:<26} {:<12} {:<22} {:<18} {:<9} {}/s",
                        i.id, i.kind, i.name, i.sender, i.status, i.rate
                    );
                }
            }
            Ok(())
        }
        Command::Version => {
            if cli.json {
                println!("{}", json!({ "version": relay_core::VERSION }));
            } else {
                println!("relay {}", relay_core::VERSION);
            }
            Ok(())
        }
        Command::Settings { action } => {
            let ws = open_workspace(data)?;
            Ok(settings(&ws, action, cli.json)?)
        }
    }
}

fn sandbox(args: SandboxArgs, json: bool) -> AppResult<()> {
    for (name, p) in [
        ("--fault-429", args.fault_429),
        ("--fault-5xx", args.fault_5xx),
        ("--fault-drop", args.fault_drop),
    ] {
        if !(0.0..=1.0).contains(&p) {
            return Err(AppError::invalid_field(
                name,
                format!("a probability between 0 and 1, not {p}."),
            ));
        }
    }
    let config = relay_sandbox::SandboxConfig {
        port: args.port,
        users: args.users,
        seed: args.seed,
        approve_after: std::time::Duration::from_secs(args.approve_after),
        zendesk_rate_per_minute: args.zendesk_rate,
        export_rate_per_minute: args.export_rate,
        faults: relay_sandbox::Faults {
            rate_429: args.fault_429,
            rate_5xx: args.fault_5xx,
            rate_drop: args.fault_drop,
            latency_ms: args.latency_ms,
            retry_after_secs: 1,
            notifications_per_second: args.max_notifications_per_second,
            export_order: args.export_order,
            ..Default::default()
        },
        ..Default::default()
    };
    runtime()?.block_on(async move {
        let sandbox = relay_sandbox::Sandbox::start(config).await.map_err(|e| {
            AppError::new(
                ErrorCode::Io,
                format!("Could not listen on 127.0.0.1:{}: {e}. Choose another --port, or 0 for a free one.", args.port),
            )
        })?;
        let i = sandbox.info().clone();
        if json {
            println!("{}", json!(i));
        } else {
            println!("Relay sandbox on {} ({} users, seed {})", i.base_url, i.users, i.seed);
            println!("  Zendesk          {}/api/v2   subdomain {}", i.base_url, i.subdomain);
            println!("    email          {}", i.zendesk_email);
            println!("    API token      {}", i.zendesk_token);
            println!("  Sunshine Conv.   {}", i.sunshine_url);
            println!("    app id         {}", i.app_id);
            println!("    key id         {}", i.key_id);
            println!("    key secret     {}", i.key_secret);
            println!("  Test controls    {0}/_sandbox/faults, {0}/_sandbox/notifications, {0}/_sandbox/stats", i.base_url);
            println!("Press Ctrl+C to stop.");
        }
        let _ = std::io::stdout().flush();
        tokio::select! {
            _ = sandbox.wait() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        Ok(())
    })
}

/// Asks for each setting (Enter keeps the current value) and each secret (hidden); validates each
/// answer as it comes, asking again after a refusal.
fn interactive_setup(
    ws: &Workspace,
    input: &mut dyn std::io::BufRead,
    read_secret: &mut dyn FnMut(&str) -> String,
) -> AppResult<()> {
    let mut ask = |key: &str, label: &str| -> AppResult<()> {
        loop {
            let current = ws
                .settings()?
                .to_map()
                .get(key)
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            print!("{label} [{current}]: ");
            let _ = std::io::stdout().flush();
            let mut line = String::new();
            if input.read_line(&mut line).map_err(|e| {
                AppError::new(ErrorCode::Io, format!("Could not read the answer: {e}"))
            })? == 0
            {
                return Err(AppError::invalid_field(
                    "setup",
                    "The input ended before the setup was complete.",
                ));
            }
            let answer = line.trim();
            if answer.is_empty() {
                return Ok(());
            }
            match ws.set_key(key, answer) {
                Ok(_) => return Ok(()),
                Err(e) => println!("  {}", e.message),
            }
        }
    };
    ask(
        "zendesk_subdomain",
        "Zendesk subdomain (acme for acme.zendesk.com)",
    )?;
    ask("zendesk_email", "Zendesk admin email")?;
    let token = read_secret("Zendesk API token");
    if !token.trim().is_empty() {
        ws.set_secret(SecretKind::ZendeskApiToken, &token)?;
    }
    ask("sunshine_app_id", "Sunshine Conversations app id")?;
    // The key id is public and asked visibly (a value that decodes as the token is refused, never
    // saved: see `key_id_problem`); the secret, or the base64 token that holds both, hidden.
    ask(
        "sunshine_key_id",
        "Sunshine key id (app_…; Enter to keep it, or to paste the base64 keyId:secret token next)",
    )?;
    let has_key = !ws.settings()?.sunshine_key_id.is_empty();
    let answer = read_secret(if has_key {
        "Sunshine key secret, or the base64 keyId:secret token"
    } else {
        "Sunshine base64 keyId:secret token"
    });
    let answer = answer.trim();
    let is_token = relay_core::secrets::parse_sunshine_token(answer)
        .is_ok_and(|t| relay_core::settings::key_id_problem(&t.key_id).is_none());
    if is_token || (!has_key && !answer.is_empty()) {
        ws.set_sunshine_token(answer)?;
    } else if !answer.is_empty() {
        ws.set_secret(SecretKind::SunshineKeySecret, answer)?;
    }
    Ok(())
}

/// A connection test's outcome: printed, and a failure when a check failed (under `--json`,
/// the report goes with the error, as its one document).
fn reported(report: &relay_core::connect::ConnectionReport, json: bool, again: &str) -> CliResult {
    let error = || {
        AppError::new(
            ErrorCode::NotConfigured,
            format!("The connection test failed: fix what is marked ✗, then run `{again}` again."),
        )
    };
    match (report.ok, json) {
        (false, true) => Err(failed(error(), json!(report))),
        (false, false) => {
            print_report(report, false);
            Err(error().into())
        }
        (true, _) => {
            print_report(report, json);
            Ok(())
        }
    }
}

fn print_report(report: &relay_core::connect::ConnectionReport, json: bool) {
    use relay_core::connect::{CheckId, CheckStatus};
    if json {
        println!("{}", json!(report));
        return;
    }
    for c in &report.checks {
        let mark = match c.status {
            CheckStatus::Ok => "✓",
            CheckStatus::Failed => "✗",
            CheckStatus::Skipped => "·",
        };
        let label = match c.id {
            CheckId::ZendeskReachable => "Zendesk reachable",
            CheckId::ZendeskToken => "Zendesk API token",
            CheckId::ZendeskAccess => "Allowed to send",
            CheckId::SunshineKey => "Sunshine API key",
            CheckId::Integrations => "Integrations",
        };
        println!("{mark} {label:<20} {}", c.detail);
    }
    for i in &report.integrations {
        println!(
            "    {:<12} {:<22} {:<18} {}/s",
            i.kind, i.name, i.sender, i.rate
        );
    }
}

fn read_template(file: &std::path::Path) -> AppResult<relay_core::template::Template> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        AppError::new(
            ErrorCode::Io,
            format!("Could not read {}: {e}", file.display()),
        )
        .with_path(file)
    })?;
    serde_json::from_str(&text).map_err(|e| {
        AppError::invalid_field(
            "file",
            format!("{} is not a template file ({e}). See \"Template files\" in the README for the format.", file.display()),
        )
    })
}

/// Saves a template file as the local template of its name (a new one if there is none).
fn save_template_file(
    ws: &Workspace,
    file: &std::path::Path,
) -> AppResult<relay_core::template::drafts::Draft> {
    let t = read_template(file)?;
    if t.name.trim().is_empty() {
        return Err(AppError::invalid_field(
            "name",
            format!(
                "{} has no name: add \"name\": \"order_shipped\" (lowercase, digits, _).",
                file.display()
            ),
        ));
    }
    match ws.template_by_name(&t.name) {
        Ok(existing) => ws.save_template(Some(&existing.id), &t),
        Err(e) if e.code == ErrorCode::NotFound => ws.save_template(None, &t),
        Err(e) => Err(e),
    }
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

fn template(action: TemplateCommand, data: DataDir, json: bool) -> CliResult {
    use relay_core::template::validate::{has_errors, validate, Severity};
    match action {
        TemplateCommand::Save { file } => {
            let ws = open_workspace(data)?;
            let draft = save_template_file(&ws, &file)?;
            if json {
                println!("{}", json!(draft));
            } else {
                println!("Saved the local template {}.", draft.template.name);
            }
            Ok(())
        }
        TemplateCommand::List { sync } => {
            let ws = open_workspace(data)?;
            let lib = if sync {
                runtime()?.block_on(ws.sync_templates())?
            } else {
                ws.template_library()?
            };
            if json {
                println!("{}", json!(lib));
                return Ok(());
            }
            if lib.local.is_empty() && lib.remote.is_empty() {
                println!("No templates. Create one in the app, or `relay template save FILE`.");
            }
            for e in &lib.local {
                let t = &e.draft.template;
                println!("{} ({}, {:?})", t.name, t.language, t.category);
                if e.states.is_empty() {
                    println!("    draft: not meant for any integration yet");
                }
                print_states(&e.states);
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
                save_template_file(&ws, path)?
            } else {
                ws.template_by_name(&name)?
            };
            let entry = runtime()?.block_on(ws.submit_template(&draft.id, &integrations))?;
            if json {
                println!("{}", json!(entry));
            } else {
                println!("Submitted {}:", entry.draft.template.name);
                print_states(&entry.states);
                if entry.states.iter().any(|s| s.status == "PENDING") {
                    println!("Meta reviews WhatsApp templates in minutes to a day: `relay template list --sync` shows the outcome.");
                }
            }
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
                    format!("{} has errors: fix them before submitting.", file.display()),
                )
            };
            if json {
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
                    let ch = i
                        .channel
                        .as_deref()
                        .map(|c| format!(" [{c}]"))
                        .unwrap_or_default();
                    println!("{sev} {:<18} {}{ch}: {}", i.field, i.code, i.message);
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
            if json {
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
        .map_err(|e| AppError::invalid_field("map", e))?;
    Ok(Some(relay_core::message::MessageSpec {
        template_id: draft.id,
        integration_id: integration.clone(),
        mapping,
    }))
}

fn audience(action: AudienceCommand, data: DataDir, json: bool) -> AppResult<()> {
    use relay_core::audience::Reason;
    let ws = open_workspace(data)?;
    let rt = runtime()?;
    match action {
        AudienceCommand::Count { query } => {
            let n = rt.block_on(ws.audience_count(&query))?;
            if json {
                println!("{}", json!({ "query": query, "count": n }));
            } else {
                println!("{n} users match {query}");
            }
            Ok(())
        }
        AudienceCommand::Fetch { query, message } => {
            // Checked before fetching: a bad mapping is refused with nothing fetched.
            let spec = message_spec(&ws, &message)?;
            let tty = !json && std::io::stderr().is_terminal();
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
            if json {
                println!("{}", json!(summary));
                return Ok(());
            }
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
                    Reason::Removed => "removed by hand",
                    Reason::NoPhone => "no phone number",
                    Reason::InvalidPhone => "invalid phone number",
                    Reason::Suppressed => "suppressed number",
                    Reason::DuplicatePhone => "duplicate phone number",
                    Reason::Blackout => "blackout (same message lately)",
                    Reason::InOtherCampaign => "left to an unfinished campaign",
                    Reason::MissingValue => "missing value, no fallback",
                    Reason::RenderError => "message breaks a channel rule",
                };
                println!("  {:<32} {}", label, c.count);
            }
            if summary.overrides > 0 {
                println!("  blackout overridden by hand: {}", summary.overrides);
            }
            Ok(())
        }
    }
}

fn print_campaign(c: &relay_core::campaign::CampaignSummary) {
    let k = &c.counts;
    println!(
        "{}  {}  {} via {} ({})  {}",
        c.id,
        c.status,
        c.template_name,
        c.integration_id,
        c.channel,
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

/// One JSON event on its own line, ignoring a reader that went away (`| head`, a closed
/// terminal): a send never stops, nor panics, because its output cannot be written.
fn emit(event: &Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{event}");
    let _ = out.flush();
}

/// Runs a campaign: a progress line on a terminal, JSON events otherwise; Ctrl+C (or SIGTERM)
/// pauses.
fn run_campaign(
    ws: &Workspace,
    rt: &tokio::runtime::Runtime,
    id: &str,
    json: bool,
) -> AppResult<relay_core::campaign::CampaignSummary> {
    use relay_core::campaign::CampaignControl;
    let control = Arc::new(CampaignControl::default());
    // Drawn on a terminal only (indicatif hides it otherwise); JSON events replace it.
    let bar = (!json).then(|| {
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
                if json {
                    // A reader that went away (a closed pipe) must not stop the send.
                    emit(&json!({ "event": "progress", "progress": p }));
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
    if json {
        emit(&json!({ "event": "done", "campaign": summary }));
    } else {
        print_campaign(&summary);
        match summary.status.as_str() {
            "paused" => println!(
                "Paused. `relay campaigns resume {}` goes on where it stopped.",
                summary.id
            ),
            "completed" if summary.counts.failed > 0 => println!(
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

fn send(args: SendArgs, data: DataDir, json: bool) -> CliResult {
    if json && args.dry_run && args.csv.is_none() {
        return Err(AppError::invalid_field(
            "csv",
            "With --json, give the dry run a file to write its CSV to (--csv FILE): standard output carries the JSON.",
        )
        .into());
    }
    let ws = open_workspace(data)?;
    let rt = runtime()?;
    let spec = message_spec(&ws, &args.message)?.ok_or_else(|| {
        AppError::invalid_field(
            "template",
            "Say what to send: --template NAME --integration ID (and --map for each dynamic value).",
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
    let spinner = (!json).then(|| {
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
                        format!("Could not create {}: {e}.", path.display()),
                    )
                    .with_path(path)
                })?;
                rt.block_on(ws.dry_run_csv(&fetched.id, spec, file))?
            }
            None => rt.block_on(ws.dry_run_csv(&fetched.id, spec, std::io::stdout()))?,
        };
        if args.csv.is_some() {
            if json {
                println!("{}", json!({ "event": "dry_run", "messages": n }));
            } else {
                println!("Dry run: {n} message(s) rendered, nothing sent.");
            }
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
    if !json {
        println!(
            "{} users match; {} will receive the message, {} are left out ({}).",
            checked.users,
            checked.eligible,
            checked.users - checked.eligible,
            checked
                .excluded
                .iter()
                .filter(|c| c.count > 0)
                .map(|c| format!("{} {}", c.reason.as_str(), c.count))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let secs = checked.eligible.div_ceil(rate.max(1));
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
                "Nobody would receive this message: `relay audience fetch` with the same options shows who is left out and why; change the query or the mapping.",
            ),
            json!(checked),
        ));
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(AppError::invalid_field(
                "yes",
                "Add --yes to send without a terminal to confirm on.",
            )
            .into());
        }
        eprint!("Send {} message(s)? [y/N] ", checked.eligible);
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).map_err(|e| {
            AppError::new(ErrorCode::Io, format!("Could not read the answer: {e}."))
        })?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            println!("Nothing was sent.");
            return Ok(());
        }
    }
    let campaign =
        rt.block_on(ws.create_campaign(&fetched.id, spec, Some(rate), args.auto_pause_after))?;
    if json {
        emit(&json!({ "event": "created", "campaign": campaign }));
    } else {
        println!("Campaign {} created.", campaign.id);
    }
    run_campaign(&ws, &rt, &campaign.id, json)?;
    Ok(())
}

fn campaigns(action: CampaignsCommand, data: DataDir, json: bool) -> AppResult<()> {
    let ws = open_workspace(data)?;
    match action {
        CampaignsCommand::List => {
            let list = ws.campaigns()?;
            if json {
                println!("{}", json!(list));
            } else if list.is_empty() {
                println!("No campaigns yet. `relay send --help` shows how to send one.");
            } else {
                for c in &list {
                    print_campaign(c);
                }
            }
        }
        CampaignsCommand::Show { id } => {
            let c = ws.campaign(&id)?;
            if json {
                println!("{}", json!(c));
            } else {
                print_campaign(&c);
            }
        }
        CampaignsCommand::Resume { id } => {
            run_campaign(&ws, &runtime()?, &id, json)?;
        }
        CampaignsCommand::Retry { id, unknown } => {
            let n = ws.requeue_recipients(&id, unknown)?;
            if n == 0 {
                let what = if unknown {
                    "failed or unknown"
                } else {
                    "failed"
                };
                if json {
                    println!(
                        "{}",
                        json!({ "requeued": 0, "campaign": ws.campaign(&id)? })
                    );
                } else {
                    println!("No {what} recipients to send again.");
                }
                return Ok(());
            }
            if !json {
                println!("{n} recipient(s) queued again.");
            }
            run_campaign(&ws, &runtime()?, &id, json)?;
        }
        CampaignsCommand::Cancel { id } => {
            let c = ws.cancel_campaign(&id)?;
            if json {
                println!("{}", json!(c));
            } else {
                print_campaign(&c);
            }
        }
        CampaignsCommand::Export { id, csv } => {
            let file = std::fs::File::create(&csv).map_err(|e| {
                AppError::new(
                    ErrorCode::Io,
                    format!("Could not create {}: {e}.", csv.display()),
                )
                .with_path(&csv)
            })?;
            let n = ws.export_campaign_csv(&id, file)?;
            if json {
                println!("{}", json!({ "rows": n, "path": csv }));
            } else {
                println!("{n} recipient(s) written to {}.", csv.display());
            }
        }
    }
    Ok(())
}

fn suppress(action: SuppressCommand, data: DataDir, json: bool) -> AppResult<()> {
    let ws = open_workspace(data)?;
    match action {
        SuppressCommand::List => {
            let list = ws.suppressed_numbers()?;
            if json {
                println!("{}", json!(list));
            } else if list.is_empty() {
                println!("No suppressed numbers.");
            } else {
                for s in &list {
                    println!("{:<18} {}", s.phone, s.note);
                }
            }
        }
        SuppressCommand::Add { phones, note } => {
            let n = ws.suppress_numbers(&phones, &note)?;
            if json {
                println!("{}", json!({ "added": n }));
            } else {
                println!("{n} number(s) added to the suppression list.");
            }
        }
        SuppressCommand::Remove { phone } => {
            ws.unsuppress_number(&phone)?;
            if !json {
                println!("{phone} taken off the suppression list.");
            } else {
                println!("{}", json!({ "removed": phone }));
            }
        }
        SuppressCommand::Import { file, note } => {
            let text = std::fs::read_to_string(&file).map_err(|e| {
                AppError::new(
                    ErrorCode::InvalidInput,
                    format!("Could not read {}: {e}.", file.display()),
                )
                .with_path(&file)
            })?;
            let r = ws.import_suppressed(&text, &note)?;
            if json {
                println!("{}", json!(r));
            } else {
                println!(
                    "{} number(s) added, {} already on the list.",
                    r.added, r.already
                );
                if !r.invalid.is_empty() {
                    println!("Lines without a valid number (left out):");
                    for (line, text) in &r.invalid {
                        println!("  line {line}: {text}");
                    }
                }
            }
        }
    }
    Ok(())
}

fn runtime() -> AppResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| AppError::internal(format!("could not start the async runtime: {e}")))
}

fn settings(ws: &Workspace, action: SettingsCommand, json: bool) -> AppResult<()> {
    match action {
        SettingsCommand::Show => show(ws, json),
        SettingsCommand::Set { key, value } => {
            ws.set_key(&key, &value)?;
            let shown = ws
                .settings()?
                .to_map()
                .get(&key)
                .cloned()
                .unwrap_or(Value::Null);
            if json {
                println!("{}", json!({ "key": key, "value": shown }));
            } else {
                println!("{key} = {}", display_value(&shown));
            }
            Ok(())
        }
        SettingsCommand::SetSecret { name } => {
            let value = read_secret(&name)?;
            let view = if name == "sunshine_token" {
                ws.set_sunshine_token(&value)?
            } else {
                ws.set_secret(parse_kind(&name)?, &value)?
            };
            if json {
                println!(
                    "{}",
                    json!({ "secret": name, "set": true, "configured": view.configured })
                );
            } else {
                println!("{name} saved to the system keychain.");
                if name == "sunshine_token" {
                    println!("sunshine_key_id = {}", view.settings.sunshine_key_id);
                }
            }
            Ok(())
        }
        SettingsCommand::ClearSecret { name } => {
            ws.clear_secret(parse_kind(&name)?)?;
            if json {
                println!("{}", json!({ "secret": name, "set": false }));
            } else {
                println!("{name} removed from the system keychain.");
            }
            Ok(())
        }
    }
}

fn parse_kind(name: &str) -> AppResult<SecretKind> {
    SecretKind::parse(name).ok_or_else(|| {
        AppError::invalid_field(
            "name",
            format!("\"{name}\" is not a secret. Use zendesk_api_token or sunshine_key_secret (or sunshine_token with set-secret)."),
        )
    })
}

/// Reads a secret from a hidden prompt on a terminal, or from all of standard input otherwise.
fn read_secret(name: &str) -> AppResult<String> {
    if name != "sunshine_token" {
        parse_kind(name)?;
    }
    let value = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("{name} (input hidden): ")).map_err(|e| {
            AppError::new(
                ErrorCode::Io,
                format!("Could not read from the terminal: {e}"),
            )
        })?
    } else {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map_err(|e| {
            AppError::new(ErrorCode::Io, format!("Could not read standard input: {e}"))
        })?;
        s
    };
    Ok(value)
}

fn display_value(v: &Value) -> String {
    match v {
        Value::String(s) if s.is_empty() => "(empty)".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "(none)".into(),
        Value::Array(a) => a.iter().map(display_value).collect::<Vec<_>>().join(", "),
        Value::Object(o) if o.is_empty() => "(none)".into(),
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| format!("{k}={}", display_value(v)))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

fn show(ws: &Workspace, json: bool) -> AppResult<()> {
    let info = ws.info()?;
    let settings: Settings = ws.settings()?;
    // The keychain may be locked or absent (a headless server): show the rest anyway.
    let secrets = ws.secrets().status().map_err(AppError::from);
    if json {
        let mut out = json!({
            "version": info.version,
            "schema_version": info.schema_version,
            "data_dir": info.data_dir,
            "database": info.database,
            "settings_file": info.settings_file,
            "log_file": info.log_file,
            "settings": settings,
            "configured": false,
        });
        match &secrets {
            Ok(s) => {
                out["secrets"] = json!(s);
                out["configured"] =
                    json!(settings.is_configured() && s.zendesk_api_token && s.sunshine_key_secret);
            }
            Err(e) => out["secrets_error"] = json!(e),
        }
        println!("{out}");
        return Ok(());
    }
    let mut o = std::io::stdout().lock();
    let w = |o: &mut std::io::StdoutLock, k: &str, v: &str| {
        let _ = writeln!(o, "  {k:<22} {v}");
    };
    let _ = writeln!(o, "Relay {}", info.version);
    w(&mut o, "data folder", &info.data_dir);
    w(&mut o, "database", &info.database);
    w(&mut o, "schema_version", &info.schema_version.to_string());
    w(&mut o, "settings file", &info.settings_file);
    w(&mut o, "log file", &info.log_file);
    let _ = writeln!(o, "\nSettings");
    for (k, v) in settings.to_map() {
        w(&mut o, &k, &display_value(&v));
    }
    let _ = writeln!(o, "\nSecrets (system keychain)");
    match secrets {
        Ok(s) => {
            let state = |b: bool| if b { "set" } else { "not set" };
            w(&mut o, "zendesk_api_token", state(s.zendesk_api_token));
            w(&mut o, "sunshine_key_secret", state(s.sunshine_key_secret));
        }
        Err(e) => w(&mut o, "unavailable", &e.message),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use relay_core::secrets::MemoryStore;

    fn workspace(tmp: &std::path::Path) -> Workspace {
        let data = DataDir::at(tmp).unwrap();
        let backend = Box::new(JsonFileBackend::new(&data.settings_file()));
        Workspace::open(data, Arc::new(MemoryStore::new()), backend).unwrap()
    }

    #[test]
    fn interactive_setup_asks_again_after_a_bad_answer_and_accepts_the_token() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = workspace(tmp.path());
        // A bad subdomain is refused and asked again; an email; an app id; Enter at the key id:
        // the token is asked for, hidden.
        let mut input =
            std::io::Cursor::new("ac me!\nacme\nadmin@acme.com\n5e4af71a81966cfff3ef6550\n\n");
        let mut asked = Vec::new();
        let mut secrets = vec![
            "zd-token-1".to_string(),
            "YXBwX2tleTE6czNjcmV0LXZhbHVl".to_string(),
        ]
        .into_iter();
        interactive_setup(&ws, &mut input, &mut |label| {
            asked.push(label.to_string());
            secrets.next().unwrap_or_default()
        })
        .unwrap();
        let view = ws.settings_view().unwrap();
        assert_eq!(view.settings.zendesk_subdomain, "acme");
        assert_eq!(view.settings.zendesk_email, "admin@acme.com");
        assert_eq!(
            view.settings.sunshine_key_id, "app_key1",
            "decoded from base64(app_key1:s3cret-value)"
        );
        assert!(asked[1].contains("token"), "{asked:?}");
        assert!(view.configured);
    }

    #[test]
    fn the_token_typed_where_the_key_id_shows_is_refused_and_never_saved() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = workspace(tmp.path());
        let token = "YXBwX2tleTE6czNjcmV0LXZhbHVl"; // base64("app_key1:s3cret-value")
                                                    // The token at the visible key id prompt: refused, asked again; then a key id, and its
                                                    // secret at the hidden prompt.
        let mut input = std::io::Cursor::new(format!(
            "acme\nadmin@acme.com\n5e4af71a81966cfff3ef6550\n{token}\napp_5e4af71a81966cfff3ef6551\n"
        ));
        let mut asked = Vec::new();
        let mut secrets = vec!["zd-token-1".to_string(), "the-secret".to_string()].into_iter();
        interactive_setup(&ws, &mut input, &mut |label| {
            asked.push(label.to_string());
            secrets.next().unwrap_or_default()
        })
        .unwrap();
        let view = ws.settings_view().unwrap();
        assert_eq!(
            view.settings.sunshine_key_id,
            "app_5e4af71a81966cfff3ef6551"
        );
        assert!(asked[1].contains("secret"), "{asked:?}");
        assert!(view.configured);
        let file = std::fs::read_to_string(ws.data_dir().settings_file()).unwrap();
        assert!(
            !file.contains(token),
            "the token never reaches the settings file"
        );
        assert!(!file.contains("the-secret"));
        // Nor by `relay settings set`.
        assert!(ws.set_key("sunshine_key_id", token).is_err());
        assert!(!std::fs::read_to_string(ws.data_dir().settings_file())
            .unwrap()
            .contains(token));
    }

    #[test]
    fn with_a_key_id_saved_enter_then_the_token_replaces_both() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = workspace(tmp.path());
        ws.set_key("sunshine_key_id", "app_old").unwrap();
        // Enter everywhere (keeping what is there), then the token at the hidden prompt, as the
        // key id's label invites.
        let mut input = std::io::Cursor::new("acme\nadmin@acme.com\n5e4af71a81966cfff3ef6550\n\n");
        let mut asked = Vec::new();
        let mut secrets = vec![
            "zd-token-1".to_string(),
            "YXBwX2tleTE6czNjcmV0LXZhbHVl".to_string(), // base64("app_key1:s3cret-value")
        ]
        .into_iter();
        interactive_setup(&ws, &mut input, &mut |label| {
            asked.push(label.to_string());
            secrets.next().unwrap_or_default()
        })
        .unwrap();
        assert!(asked[1].contains("token"), "{asked:?}");
        let view = ws.settings_view().unwrap();
        assert_eq!(
            view.settings.sunshine_key_id, "app_key1",
            "the token's key id"
        );
        assert!(view.secrets.sunshine_key_secret);
        let file = std::fs::read_to_string(ws.data_dir().settings_file()).unwrap();
        assert!(
            !file.contains("YXBwX2tleTE6"),
            "the token is never saved as is"
        );
    }

    #[test]
    fn interactive_setup_stops_cleanly_when_the_input_ends() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = workspace(tmp.path());
        let mut input = std::io::Cursor::new("acme\n");
        let err = interactive_setup(&ws, &mut input, &mut |_| String::new()).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert_eq!(
            ws.settings().unwrap().zendesk_subdomain,
            "acme",
            "answers given so far are kept"
        );
    }
}
