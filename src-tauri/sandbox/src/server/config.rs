//! How to start a sandbox ([`SandboxConfig`]), and what a client needs to connect to it
//! ([`SandboxInfo`]).

use super::Faults;
use crate::{Clock, SystemClock};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// How to start a sandbox.
#[derive(Clone)]
pub struct SandboxConfig {
    /// 0 picks a free port.
    pub port: u16,
    pub users: u64,
    pub seed: u64,
    pub subdomain: String,
    /// The Zendesk API token (account-wide, as in Zendesk); random when None.
    pub zendesk_token: Option<String>,
    pub app_id: String,
    pub key_id: String,
    /// The Sunshine key secret; random when None.
    pub key_secret: Option<String>,
    /// A new WhatsApp template is PENDING for this long, then APPROVED (or REJECTED).
    pub approve_after: Duration,
    /// Export cursors expire after this long (Zendesk: one hour).
    pub cursor_ttl: Duration,
    /// Zendesk API requests per minute (`X-Rate-Limit`); 429 beyond.
    pub zendesk_rate_per_minute: u32,
    /// Export requests per minute (Zendesk documents 100).
    pub export_rate_per_minute: u32,
    /// The fault knobs at start, and Meta's rules (`whatsapp_limit`, `marketing_us_delivered`).
    pub faults: Faults,
    /// The sandbox's time; tests move it on with a [`ManualClock`](crate::ManualClock), or over
    /// HTTP (`POST /_sandbox/clock`).
    pub clock: Arc<dyn Clock>,
    /// Keep each accepted notification's body in the log (`/_sandbox/notifications`); off, only
    /// its id, time, destination and kind (benchmarks of hundreds of thousands of sends).
    pub keep_bodies: bool,
    /// The demo account's replies: a few users answered a campaign (STOP, ARRÊT, a "maybe"…),
    /// played once a ticket trigger can hear them.
    pub demo_replies: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            port: 0,
            users: 1000,
            seed: 42,
            subdomain: "relay-demo".into(),
            zendesk_token: None,
            app_id: "5f1e0c3a9b8d7e6f5a4b3c2d".into(),
            key_id: "app_5f1e0c3a9b8d7e6f5a4b3c2e".into(),
            key_secret: None,
            approve_after: Duration::from_secs(5),
            cursor_ttl: Duration::from_secs(3600),
            zendesk_rate_per_minute: 700,
            export_rate_per_minute: 100,
            faults: Faults {
                retry_after_secs: 1,
                ..Faults::default()
            },
            clock: Arc::new(SystemClock),
            keep_bodies: true,
            demo_replies: false,
        }
    }
}

/// What a client needs to connect to a running sandbox (printed by `relay sandbox --json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxInfo {
    /// The Zendesk base URL (`http://127.0.0.1:PORT`): `/api/v2/...` lives under it.
    pub base_url: String,
    /// The Sunshine Conversations base URL (`{base_url}/sc`).
    pub sunshine_url: String,
    pub subdomain: String,
    pub zendesk_email: String,
    pub zendesk_token: String,
    pub app_id: String,
    pub key_id: String,
    pub key_secret: String,
    pub users: u64,
    pub seed: u64,
}
