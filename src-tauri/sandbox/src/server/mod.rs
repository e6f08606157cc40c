//! The HTTP server: configuration, shared state, authentication, rate limits, fault injection,
//! the sandbox's clock and the `/_sandbox` observability endpoints.

mod clock;
mod config;
mod faults;
mod gates;
mod limits;
mod observe;

pub use config::{SandboxConfig, SandboxInfo};
pub(crate) use faults::{dropped_connection, error_for, too_many};
pub use faults::{ExportOrder, Faults};
pub(crate) use gates::ZendeskUser;
pub(crate) use observe::Recorded;

use crate::conn::{Connection, KillableListener};
use crate::data::{Population, ADMIN_EMAIL};
use crate::{sunshine, zendesk, Clock};
use axum::middleware;
use axum::routing::get;
use axum::Router;
use base64::Engine;
use faults::faults_layer;
use gates::{sunshine_gate, zendesk_gate};
use limits::{RateWindow, Window};
use observe::{
    clear_notifications, get_faults, list_notifications, put_faults, sandbox_info, stats,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

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
    /// The WhatsApp business portfolio's deliveries of the last 24 hours (Meta's messaging limit).
    pub portfolio: Mutex<sunshine::Portfolio>,
    /// How far tests moved the sandbox's time on (`POST /_sandbox/clock`), in milliseconds.
    clock_offset_ms: std::sync::atomic::AtomicU64,
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

pub(crate) type Shared = Arc<AppState>;

impl AppState {
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
            portfolio: Mutex::new(Default::default()),
            clock_offset_ms: std::sync::atomic::AtomicU64::new(0),
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
        .route(
            "/_sandbox/clock",
            get(clock::get_clock).post(clock::advance_clock),
        )
        .route("/_sandbox/info", get(sandbox_info))
        .merge(crate::tickets::sandbox_routes())
        .merge(crate::custom_objects::sandbox_routes())
        .with_state(state)
}
