//! `relay sandbox`: the local simulator of Zendesk and Sunshine Conversations, with its faults.

use super::output::Output;
use super::{runtime, CliResult};
use relay_core::text::Text;
use relay_core::{AppError, ErrorCode};
use std::io::Write;

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

pub fn run(args: SandboxArgs, out: Output) -> CliResult {
    let faults = relay_sandbox::Faults {
        rate_429: args.fault_429,
        rate_5xx: args.fault_5xx,
        rate_drop: args.fault_drop,
        latency_ms: args.latency_ms,
        retry_after_secs: 1,
        notifications_per_second: args.max_notifications_per_second,
        export_order: args.export_order,
        ..Default::default()
    };
    faults.check().map_err(|(name, why)| {
        let flag = match name {
            "rate_429" => "--fault-429",
            "rate_5xx" => "--fault-5xx",
            "rate_drop" => "--fault-drop",
            other => other,
        };
        AppError::invalid_field(flag, Text::verbatim(why))
    })?;
    let config = relay_sandbox::SandboxConfig {
        port: args.port,
        users: args.users,
        seed: args.seed,
        approve_after: std::time::Duration::from_secs(args.approve_after),
        zendesk_rate_per_minute: args.zendesk_rate,
        export_rate_per_minute: args.export_rate,
        faults,
        demo_replies: true,
        ..Default::default()
    };
    runtime()?.block_on(async move {
        let sandbox = relay_sandbox::Sandbox::start(config).await.map_err(|e| {
            AppError::new(
                ErrorCode::Io,
                Text::verbatim(format!("Could not listen on 127.0.0.1:{}: {e}. Choose another --port, or 0 for a free one.", args.port)),
            )
        })?;
        out.show(sandbox.info(), |i| {
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
        });
        let _ = std::io::stdout().flush();
        tokio::select! {
            _ = sandbox.wait() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        Ok(())
    })
}
