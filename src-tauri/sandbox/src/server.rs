//! The HTTP server: configuration, shared state, authentication, rate limits, fault injection and
//! the `/_sandbox` observability endpoints.

use crate::conn::{Connection, KillableListener};
use crate::custom_objects::{JobResults, TieOrder};
use crate::data::{Population, ADMIN_EMAIL};
use crate::{sunshine, zendesk, Clock, SystemClock};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The order the search export returns users in. Zendesk documents the export as "ordered only
/// by the `created_at` attribute", without saying which way, and promises nothing about ties:
/// each reading is a variant a client must work with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportOrder {
    /// Oldest first.
    #[default]
    Asc,
    /// Newest first.
    Desc,
    /// No order at all (a fixed shuffle of the users).
    Unordered,
}

impl ExportOrder {
    /// The user at `position` of the export, out of `count`: a bijection of 0..count.
    pub fn index(self, position: u64, count: u64) -> u64 {
        match self {
            ExportOrder::Asc => position,
            ExportOrder::Desc => count - 1 - position,
            ExportOrder::Unordered => {
                // position × a (mod count), with a coprime with count: every user once.
                let mut a = 0x9E37_79B9 % count.max(1);
                while gcd(a, count) != 1 {
                    a += 1;
                }
                (position % count).wrapping_mul(a) % count
            }
        }
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl std::str::FromStr for ExportOrder {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "asc" => Ok(ExportOrder::Asc),
            "desc" => Ok(ExportOrder::Desc),
            "unordered" => Ok(ExportOrder::Unordered),
            other => Err(format!(
                "\"{other}\" is not an export order: asc, desc or unordered"
            )),
        }
    }
}

/// Fault knobs, settable at start and at run time (`PUT /_sandbox/faults`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Probability (0..1) that an API request gets `429` with `Retry-After`.
    pub rate_429: f64,
    /// Probability that an API request gets `500` or `503`.
    pub rate_5xx: f64,
    /// Probability that the connection is dropped, after the request was read, without a byte
    /// of response (before processing: nothing was done).
    pub rate_drop: f64,
    /// Probability that a notification is accepted and recorded, then the connection dropped
    /// before the response: the case where the sender cannot know it was sent.
    pub rate_drop_after: f64,
    /// Probability that a notification is refused with `400` (as for a number the channel does
    /// not know): certainly not sent.
    pub rate_refused: f64,
    /// Probability that an API request is answered `200` with a web page (`text/html`) instead of
    /// the API's JSON, as a proxy's sign-in page or a captive portal does; the request never
    /// reaches the API (nothing is done).
    pub rate_html: f64,
    /// When not empty, the `rate_*` faults above apply only to requests whose path starts with
    /// it (`/sc/v1.1/apps/` for Sunshine Conversations' templates and notifications, say).
    pub only_path: String,
    /// Added latency per API request, in milliseconds.
    pub latency_ms: u64,
    /// The `Retry-After` value of injected 429s and of the notification cap's, in seconds.
    pub retry_after_secs: u64,
    /// At most this many notifications accepted per second (429 beyond); None = no cap.
    pub notifications_per_second: Option<u32>,
    /// The order of the search export (see [`ExportOrder`]).
    pub export_order: ExportOrder,
    /// Share (0..1) of the matching users the search export leaves out while `search/count`
    /// still counts them (Zendesk's search index lags by up to a few minutes): the same users
    /// every time.
    pub export_missing: f64,
    /// Custom objects are not enabled on the account: every custom objects request gets 403.
    pub custom_objects_off: bool,
    /// A custom objects bulk job runs this long after it was queued (slow jobs).
    pub job_delay_ms: u64,
    /// Probability (0..1) that an item of a bulk job fails (the others go on).
    pub job_item_failure: f64,
    /// How a bulk job reports each item (see [`JobResults`]).
    pub job_results: JobResults,
    /// The order of records whose sort values are equal (see [`TieOrder`]).
    pub search_tie_order: TieOrder,
    /// The account's custom object record limit (1,000,000 when not set).
    pub record_limit: Option<u64>,
    /// How a custom object record over Zendesk's 32 KB is refused (the documents give the size,
    /// not the status): `422` (the default, as any invalid record) or `413`.
    pub record_too_large: crate::custom_objects::TooLarge,
    /// A ticket is found by the search this long after its last update (Zendesk's search index
    /// lags behind the tickets).
    pub ticket_index_delay_ms: u64,
}

impl Faults {
    /// The first fault set out of its range: its name (as in `PUT /_sandbox/faults`) and why.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        for (name, p) in [
            ("rate_429", self.rate_429),
            ("rate_5xx", self.rate_5xx),
            ("rate_drop", self.rate_drop),
            ("rate_drop_after", self.rate_drop_after),
            ("rate_refused", self.rate_refused),
            ("rate_html", self.rate_html),
            ("export_missing", self.export_missing),
            ("job_item_failure", self.job_item_failure),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err((name, format!("a probability between 0 and 1, not {p}.")));
            }
        }
        Ok(())
    }
}

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
    pub faults: Faults,
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

/// One accepted notification, as recorded for tests.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    pub seq: u64,
    pub id: String,
    pub received_at: String,
    pub integration_id: String,
    pub destination_id: String,
    /// `template:{name}:{language}` for WhatsApp, `text` for SMS.
    pub kind: String,
    pub body: Value,
}

struct Window {
    minute: i64,
    used: u32,
}

pub(crate) struct AppState {
    pub info: SandboxInfo,
    pub pop: Population,
    pub clock: Arc<dyn Clock>,
    pub keep_bodies: bool,
    pub approve_after: chrono::Duration,
    pub cursor_ttl: chrono::Duration,
    zendesk_rate: u32,
    export_rate: u32,
    faults: RwLock<Faults>,
    rng: Mutex<StdRng>,
    zendesk_window: Mutex<Window>,
    export_window: Mutex<Window>,
    notif_window: Mutex<(i64, u32)>,
    pub templates: Mutex<sunshine::Templates>,
    pub notifications: Mutex<Vec<Recorded>>,
    pub count_cache: Mutex<HashMap<String, u64>>,
    pub custom_objects: Mutex<crate::custom_objects::Store>,
    /// Tickets, triggers and the tags changed on users.
    pub tickets: Mutex<crate::tickets::Store>,
    /// Some user's tags were changed (the population is read as generated otherwise).
    tags_changed: std::sync::atomic::AtomicBool,
    requests: Mutex<HashMap<String, u64>>,
    /// The `Retry-After` windows issued, per limit (`zendesk`, `sunshine`): see [`RateWindow`].
    windows: Mutex<HashMap<String, RateWindow>>,
    /// Requests being handled now, per limit.
    in_flight: Mutex<HashMap<String, u64>>,
}

/// A `Retry-After` the sandbox issued, and what arrived while it ran. Sunshine Conversations and
/// Zendesk limit the app or the account, not the request: while a window is open every request of
/// that limit is refused (429, with what is left of the window), and counted. A client that
/// honours `Retry-After` sends nothing inside a window, but for what it had in flight when the
/// 429 left (a request on its way cannot be called back).
#[derive(Debug, Clone, Default)]
struct RateWindow {
    until: Option<chrono::DateTime<chrono::Utc>>,
    /// When the window open now (or the last one) opened.
    opened_at: Option<chrono::DateTime<chrono::Utc>>,
    stats: WindowStats,
}

/// How long after a window opens a request may still arrive from a client that had sent it before
/// the 429 reached it, beyond the injected latency: a loopback round trip and a busy scheduler
/// take far less.
const IN_FLIGHT_GRACE_MS: i64 = 100;

/// What `/_sandbox/stats` reports of a limit's windows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WindowStats {
    /// 429s that opened a window (or extended the one open).
    pub issued: u64,
    /// Requests that arrived while a window was open.
    pub inside: u64,
    /// Requests being handled when each window opened, summed (for comparison with `inside`).
    pub in_flight_at_issue: u64,
    /// Requests that arrived inside a window later than the injected latency plus
    /// [`IN_FLIGHT_GRACE_MS`] after it opened: sent by a client that already had the 429. A
    /// client that honours `Retry-After` for all its requests sends none.
    pub late: u64,
    /// The latest arrival inside a window, in milliseconds after it opened.
    pub latest_inside_ms: u64,
}

/// The limit a request counts against: the Sunshine Conversations app, or the Zendesk account.
fn limit_of(path: &str) -> &'static str {
    if path.starts_with("/sc/") {
        "sunshine"
    } else {
        "zendesk"
    }
}

/// Counts a request as being handled until dropped.
pub(crate) struct InFlight<'a> {
    state: &'a AppState,
    limit: &'static str,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut m = self
            .state
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(n) = m.get_mut(self.limit) {
            *n = n.saturating_sub(1);
        }
    }
}

pub(crate) type Shared = Arc<AppState>;

impl AppState {
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// User `index` as the API shows it now: as generated, with the tags changed since.
    pub fn user(&self, index: u64) -> crate::data::SeedUser {
        let mut u = self.pop.user(index);
        if self.tags_changed.load(std::sync::atomic::Ordering::Relaxed) {
            if let Some(c) = self
                .tickets
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .user_tags
                .get(&u.id)
            {
                c.apply(&mut u.tags);
            }
        }
        u
    }

    /// Some user's tags changed: searches are counted again.
    pub fn tags_changed(&self) {
        self.tags_changed
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self.count_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    pub(crate) fn roll(&self, p: f64) -> bool {
        p > 0.0
            && self
                .rng
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .random::<f64>()
                < p
    }

    pub fn faults(&self) -> Faults {
        self.faults
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Takes one request from a per-minute budget: Ok(remaining) or Err(seconds to wait).
    fn take(&self, window: &Mutex<Window>, limit: u32) -> Result<u32, u64> {
        let now = self.now().timestamp();
        let minute = now.div_euclid(60);
        let mut w = window.lock().unwrap_or_else(|e| e.into_inner());
        if w.minute != minute {
            w.minute = minute;
            w.used = 0;
        }
        if w.used >= limit {
            return Err((60 - now.rem_euclid(60)).max(1) as u64);
        }
        w.used += 1;
        Ok(limit - w.used)
    }

    /// Takes one notification from the per-second cap, if any.
    pub fn take_notification_slot(&self) -> bool {
        let Some(cap) = self.faults().notifications_per_second else {
            return true;
        };
        let second = self.now().timestamp();
        let mut w = self.notif_window.lock().unwrap_or_else(|e| e.into_inner());
        if w.0 != second {
            *w = (second, 0);
        }
        if w.1 >= cap {
            return false;
        }
        w.1 += 1;
        true
    }

    fn enter(&self, limit: &'static str) -> InFlight<'_> {
        *self
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(limit.into())
            .or_insert(0) += 1;
        InFlight { state: self, limit }
    }

    /// Seconds left of the open window of `limit`, counting the request as arrived inside it.
    fn inside_window(&self, limit: &str) -> Option<u64> {
        let now = self.now();
        let latency = self.faults().latency_ms as i64;
        let mut w = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let win = w.entry(limit.into()).or_default();
        let until = win.until.filter(|u| *u > now)?;
        win.stats.inside += 1;
        if let Some(opened) = win.opened_at {
            let after = (now - opened).num_milliseconds().max(0);
            win.stats.latest_inside_ms = win.stats.latest_inside_ms.max(after as u64);
            if after > latency + IN_FLIGHT_GRACE_MS {
                win.stats.late += 1;
            }
        }
        Some(((until - now).num_milliseconds().max(1) as u64).div_ceil(1000))
    }

    /// Opens (or extends) a window of `limit` for `secs`; the 429 that does so is being handled.
    pub(crate) fn open_window(&self, limit: &str, secs: u64) {
        let now = self.now();
        let in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(limit)
            .copied()
            .unwrap_or(1);
        let mut w = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let win = w.entry(limit.into()).or_default();
        let until = now + chrono::Duration::seconds(secs as i64);
        match win.until {
            Some(u) if u > now => win.until = Some(u.max(until)),
            _ => {
                win.until = Some(until);
                win.opened_at = Some(now);
            }
        }
        win.stats.issued += 1;
        win.stats.in_flight_at_issue += in_flight.saturating_sub(1);
    }

    fn window_stats(&self) -> HashMap<String, WindowStats> {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.stats.clone()))
            .collect()
    }

    pub fn should_drop_after(&self) -> bool {
        self.roll(self.faults().rate_drop_after)
    }

    pub fn should_refuse(&self) -> bool {
        self.roll(self.faults().rate_refused)
    }
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    info: SandboxInfo,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

fn random_secret() -> String {
    let bytes: [u8; 24] = rand::rng().random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl Sandbox {
    /// Binds `127.0.0.1:{port}` (0 = a free port) and serves until dropped or [`Sandbox::stop`].
    /// Must be called inside a tokio runtime.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let listener = TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr: SocketAddr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let info = SandboxInfo {
            sunshine_url: format!("{base_url}/sc"),
            base_url,
            subdomain: config.subdomain.clone(),
            zendesk_email: ADMIN_EMAIL.into(),
            zendesk_token: config.zendesk_token.clone().unwrap_or_else(random_secret),
            app_id: config.app_id.clone(),
            key_id: config.key_id.clone(),
            key_secret: config.key_secret.clone().unwrap_or_else(random_secret),
            users: config.users,
            seed: config.seed,
        };
        let pop = Population::new(config.seed, config.users.max(super::data::AGENTS + 1));
        let demo_replies = if config.demo_replies {
            crate::tickets::demo_replies(&pop)
        } else {
            vec![]
        };
        let state: Shared = Arc::new(AppState {
            templates: Mutex::new(sunshine::Templates::seeded(&config, config.clock.now())),
            info: info.clone(),
            pop,
            approve_after: chrono::Duration::from_std(config.approve_after).unwrap_or_default(),
            cursor_ttl: chrono::Duration::from_std(config.cursor_ttl).unwrap_or_default(),
            zendesk_rate: config.zendesk_rate_per_minute,
            export_rate: config.export_rate_per_minute,
            faults: RwLock::new(config.faults.clone()),
            rng: Mutex::new(StdRng::seed_from_u64(config.seed ^ 0x5eed)),
            zendesk_window: Mutex::new(Window { minute: 0, used: 0 }),
            export_window: Mutex::new(Window { minute: 0, used: 0 }),
            notif_window: Mutex::new((0, 0)),
            notifications: Mutex::new(Vec::new()),
            count_cache: Mutex::new(HashMap::new()),
            custom_objects: Mutex::new(Default::default()),
            tickets: Mutex::new(crate::tickets::Store::with_demo_replies(demo_replies)),
            tags_changed: std::sync::atomic::AtomicBool::new(false),
            requests: Mutex::new(HashMap::new()),
            windows: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
            clock: config.clock.clone(),
            keep_bodies: config.keep_bodies,
        });
        let app = router(state);
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<Connection>();
            let _ = axum::serve(KillableListener(listener), app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Sandbox {
            info,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    pub fn info(&self) -> &SandboxInfo {
        &self.info
    }

    pub fn base_url(&self) -> &str {
        &self.info.base_url
    }

    /// Serves until the process ends (for `relay sandbox`).
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn router(state: Shared) -> Router {
    let zendesk = zendesk::routes()
        .merge(crate::custom_objects::routes())
        .merge(crate::tickets::routes())
        .route_layer(middleware::from_fn_with_state(state.clone(), zendesk_gate));
    let sunshine = sunshine::routes()
        .route_layer(middleware::from_fn_with_state(state.clone(), sunshine_gate));
    let api = Router::new()
        .merge(zendesk)
        .nest("/sc", sunshine)
        .layer(middleware::from_fn_with_state(state.clone(), faults_layer));
    Router::new()
        .merge(api)
        .route("/_sandbox/faults", get(get_faults).put(put_faults))
        .route(
            "/_sandbox/notifications",
            get(list_notifications).delete(clear_notifications),
        )
        .route("/_sandbox/stats", get(stats))
        .route("/_sandbox/info", get(sandbox_info))
        .merge(crate::tickets::sandbox_routes())
        .merge(crate::custom_objects::sandbox_routes())
        .with_state(state)
}

/// Cuts the connection the request came on: the client, which wrote its whole request, gets no
/// byte of response (the returned value is never written).
pub(crate) fn dropped_connection(conn: &Connection) -> Response {
    conn.kill();
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

async fn faults_layer(
    State(s): State<Shared>,
    ConnectInfo(conn): ConnectInfo<Connection>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    let limit = limit_of(&path);
    *s.requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(limit.into())
        .or_insert(0) += 1;
    let _in_flight = s.enter(limit);
    let f = s.faults();
    // The latency is the way there: a request on it was sent, and arrives after it.
    if f.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(f.latency_ms)).await;
    }
    if let Some(left) = s.inside_window(limit) {
        return too_many(&path, left);
    }
    if !path.starts_with(&f.only_path) {
        return next.run(req).await;
    }
    if s.roll(f.rate_html) {
        return sign_in_page();
    }
    if s.roll(f.rate_drop) {
        return dropped_connection(&conn);
    }
    if s.roll(f.rate_429) {
        let retry = f.retry_after_secs.max(1);
        s.open_window(limit, retry);
        return too_many(&path, retry);
    }
    if s.roll(f.rate_5xx) {
        let status = if s.roll(0.5) {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        return error_for(
            &path,
            status,
            "internal_error",
            "Internal server error (sandbox fault)",
        );
    }
    next.run(req).await
}

/// A 429 with `Retry-After`, in the shape of the API the path belongs to.
/// A proxy's sign-in page, answered `200` where the API's JSON was expected.
fn sign_in_page() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!doctype html><html><head><title>Sign in</title></head><body><form action=\"/login\"><input name=\"user\"></form></body></html>",
    )
        .into_response()
}

pub(crate) fn too_many(path: &str, retry_after_secs: u64) -> Response {
    let mut resp = error_for(
        path,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
        "Too many requests (sandbox)",
    );
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    resp
}

/// An error in the shape of the API the path belongs to.
pub(crate) fn error_for(path: &str, status: StatusCode, code: &str, text: &str) -> Response {
    let body = if path.starts_with("/sc/v2") {
        json!({"errors": [{"code": code, "title": text}]})
    } else if path.starts_with("/sc/") {
        json!({"error": {"code": code, "description": text}})
    } else {
        json!({"error": code, "description": text})
    };
    (status, Json(body)).into_response()
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

/// The authenticated Zendesk user, put in the request by [`zendesk_gate`].
#[derive(Clone)]
pub(crate) struct ZendeskUser(pub u64);

async fn zendesk_gate(
    State(s): State<Shared>,
    headers: HeaderMap,
    mut req: Request,
    next: Next,
) -> Response {
    let user = basic_credentials(&headers).and_then(|(user, token)| {
        let email = user.strip_suffix("/token")?;
        (token == s.info.zendesk_token)
            .then(|| s.pop.staff_by_email(email))
            .flatten()
    });
    let Some(user) = user else {
        // Zendesk's exact 401 body.
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "Couldn't authenticate you"})),
        )
            .into_response();
    };
    req.extensions_mut().insert(ZendeskUser(user.index));
    let is_export = req.uri().path().starts_with("/api/v2/search/export");
    let budget = s
        .take(&s.zendesk_window, s.zendesk_rate)
        .and_then(|remaining| {
            if is_export {
                s.take(&s.export_window, s.export_rate).map(|_| remaining)
            } else {
                Ok(remaining)
            }
        });
    let (limit, remaining) = match budget {
        Ok(remaining) => (s.zendesk_rate, remaining),
        Err(wait) => {
            s.open_window("zendesk", wait);
            let mut resp = (
                StatusCode::TOO_MANY_REQUESTS,
                Json(
                    json!({"errors": [{"code": "TooManyRequests", "title": "Too many requests"}]}),
                ),
            )
                .into_response();
            let h = resp.headers_mut();
            h.insert(header::RETRY_AFTER, HeaderValue::from(wait));
            h.insert("x-rate-limit", HeaderValue::from(s.zendesk_rate));
            h.insert("x-rate-limit-remaining", HeaderValue::from(0));
            return resp;
        }
    };
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert("x-rate-limit", HeaderValue::from(limit));
    h.insert("x-rate-limit-remaining", HeaderValue::from(remaining));
    resp
}

async fn sunshine_gate(
    State(s): State<Shared>,
    headers: HeaderMap,
    req: Request,
    next: Next,
) -> Response {
    // The router is nested under /sc: the path seen here has no /sc prefix.
    let path = format!("/sc{}", req.uri().path());
    let ok = basic_credentials(&headers)
        .map(|(id, secret)| id == s.info.key_id && secret == s.info.key_secret)
        .unwrap_or(false);
    if !ok {
        return error_for(
            &path,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authorization is required",
        );
    }
    // A key belongs to one app: another app id is forbidden, as for a real app-scoped key.
    let app = path.split('/').nth(4).unwrap_or_default();
    if path.split('/').nth(3) == Some("apps") && app != s.info.app_id {
        return error_for(
            &path,
            StatusCode::FORBIDDEN,
            "forbidden",
            "The API key does not have access to this app",
        );
    }
    next.run(req).await
}

async fn get_faults(State(s): State<Shared>) -> Json<Faults> {
    Json(s.faults())
}

async fn put_faults(State(s): State<Shared>, Json(f): Json<Faults>) -> Response {
    if let Err((name, why)) = f.check() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid", "description": format!("{name}: {why}")})),
        )
            .into_response();
    }
    *s.faults.write().unwrap_or_else(|e| e.into_inner()) = f.clone();
    Json(f).into_response()
}

#[derive(Deserialize)]
struct Since {
    since: Option<u64>,
}

async fn list_notifications(
    State(s): State<Shared>,
    axum::extract::Query(q): axum::extract::Query<Since>,
) -> Json<Value> {
    let all = s.notifications.lock().unwrap_or_else(|e| e.into_inner());
    let since = q.since.unwrap_or(0);
    let list: Vec<&Recorded> = all.iter().filter(|n| n.seq > since).collect();
    Json(json!({ "notifications": list, "count": list.len() }))
}

async fn clear_notifications(State(s): State<Shared>) -> StatusCode {
    s.notifications
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clear();
    StatusCode::NO_CONTENT
}

async fn stats(State(s): State<Shared>) -> Json<Value> {
    let all = s.notifications.lock().unwrap_or_else(|e| e.into_inner());
    let mut per: HashMap<(String, String, String), u64> = HashMap::new();
    let mut by_integration: HashMap<String, u64> = HashMap::new();
    for n in all.iter() {
        *per.entry((
            n.integration_id.clone(),
            n.destination_id.clone(),
            n.kind.clone(),
        ))
        .or_insert(0) += 1;
        *by_integration.entry(n.integration_id.clone()).or_insert(0) += 1;
    }
    let mut duplicates: Vec<Value> = per
        .iter()
        .filter(|(_, c)| **c > 1)
        .map(|((i, d, k), c)| json!({"integration_id": i, "destination_id": d, "kind": k, "count": c}))
        .collect();
    duplicates.sort_by_key(|v| v["destination_id"].as_str().unwrap_or_default().to_string());
    let requests = s.requests.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let windows = s.window_stats();
    Json(json!({
        "rate_windows": windows,
        "notifications": all.len(),
        "by_integration": by_integration,
        "distinct_destinations": per.keys().map(|(_, d, _)| d).collect::<std::collections::HashSet<_>>().len(),
        "duplicate_count": duplicates.iter().map(|d| d["count"].as_u64().unwrap_or(0) - 1).sum::<u64>(),
        "duplicates": duplicates,
        "requests": requests,
    }))
}

/// How to connect: the demo credentials of this local sandbox (it only listens on loopback).
async fn sandbox_info(State(s): State<Shared>) -> Json<SandboxInfo> {
    Json(s.info.clone())
}

#[cfg(test)]
mod tests {
    use super::ExportOrder;

    #[test]
    fn every_export_order_returns_every_user_once() {
        for count in [1u64, 2, 7, 1000, 1001, 9995] {
            for order in [ExportOrder::Asc, ExportOrder::Desc, ExportOrder::Unordered] {
                let mut seen: Vec<u64> = (0..count).map(|p| order.index(p, count)).collect();
                seen.sort();
                assert_eq!(seen, (0..count).collect::<Vec<_>>(), "{order:?} of {count}");
            }
        }
        let shuffled: Vec<u64> = (0..10)
            .map(|p| ExportOrder::Unordered.index(p, 1000))
            .collect();
        assert!(
            shuffled.windows(2).any(|w| w[0] > w[1]),
            "unordered is neither ascending {shuffled:?}"
        );
        assert!(shuffled.windows(2).any(|w| w[0] < w[1]), "nor descending");
    }
}
