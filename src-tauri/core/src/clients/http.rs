//! One HTTP layer and one retry policy for both services.
//!
//! - A **rate gate** per service and credential ([`gate_for`]), shared by every client built for
//!   it in the process: Sunshine Conversations and Zendesk limit the app or the account, not the
//!   request, and neither says which limit a 429 belongs to — so a 429 closes the gate for every
//!   request of that client until its `Retry-After` (seconds or an HTTP date; else exponential
//!   backoff with full jitter) has passed, and an `X-Rate-Limit-Remaining` running low closes it
//!   for a moment. Requests wait at the gate before they leave (those already in flight land).
//! - 5xx and connection errors: bounded retries with the same backoff — but only for requests
//!   that are safe to repeat. A notification (`Idempotency::Once`) is retried only when it
//!   certainly was not processed (429, the connection never made), never after a timeout, a
//!   dropped connection or a 5xx, where it may have been sent: a duplicate WhatsApp message costs
//!   the sender its quality rating, so the caller decides;
//! - a timeout on every request, and a size limit on every response body.
//!
//! Waiting goes through a [`Sleeper`], which also keeps the time the gate is measured in, so tests
//! assert the waits instead of sleeping them.

pub use super::gate::{
    gate_for, Pace, Pacer, RateGate, RatePacer, RecordingSleeper, Sleeper, TokioSleeper,
};

use rand::Rng;
use reqwest::{header, Method, RequestBuilder, Response, StatusCode};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Why a response's body was not taken.
#[derive(Debug)]
pub enum BodyFailure {
    /// Larger than the policy's `max_body` (bytes).
    TooLarge(u64),
    /// A web page (`text/html`), not data: a proxy's or a login page, a wrong address.
    Html,
    /// The connection broke while it was read.
    Read(String),
}

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Longest `Retry-After` honoured; beyond it the request fails as rate limited.
    pub max_retry_after: Duration,
    pub timeout: Duration,
    /// Close the gate for `low_remaining_pause` when fewer requests than this remain in the
    /// provider's window.
    pub low_remaining: u32,
    pub low_remaining_pause: Duration,
    /// The largest response body read, in bytes (a page of 1,000 users is about 2 MB).
    pub max_body: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            timeout: Duration::from_secs(30),
            low_remaining: 3,
            low_remaining_pause: Duration::from_secs(2),
            max_body: 64 * 1024 * 1024,
        }
    }
}

/// Whether a request may be sent again after an ambiguous failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Reads and deletes: repeat freely.
    Safe,
    /// Sends (notifications): repeat only when the first try certainly did nothing.
    Once,
}

/// Tells the requests of a run that it stopped: a request still waiting to leave — at the rate
/// gate, or to try again after a 429 or a connection never made — gives up (certainly not
/// sent) instead of holding the stop for minutes.
#[derive(Debug, Clone)]
pub struct StopSignal(tokio::sync::watch::Receiver<bool>);

impl StopSignal {
    /// The signal, and what raises it (`send(true)`).
    pub fn channel() -> (tokio::sync::watch::Sender<bool>, StopSignal) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        (tx, StopSignal(rx))
    }

    async fn raised(&self) {
        let mut rx = self.0.clone();
        let _ = rx.wait_for(|stopped| *stopped).await;
    }
}

/// The most of an error answer's body kept (for its message).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// What went wrong at the transport level, after the retries.
#[derive(Debug)]
pub enum Failure {
    /// The run stopped while the request waited to leave: it was not sent.
    Stopped,
    /// The service answered with this status and body (4xx, or 5xx/429 after the retries).
    Status {
        status: StatusCode,
        body: String,
        retry_after: Option<Duration>,
    },
    /// No answer in time after the connection was made: it may have been processed.
    Timeout,
    /// Could not connect (DNS, refused, a connect timeout) — nothing was sent.
    Connect(String),
    /// The TLS handshake failed — nothing was sent.
    Tls(String),
    /// The connection broke after the request was sent: it may have been processed.
    Dropped(String),
}

/// A client for one service: base URL, auth, policy, sleeper, rate gate.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    pub policy: RetryPolicy,
    sleeper: Arc<dyn Sleeper>,
    gate: Arc<RateGate>,
}

/// The start of an error answer's body, as text (at most [`MAX_ERROR_BODY`] bytes are read: the
/// message is in the first few hundred).
async fn error_text(mut resp: Response) -> String {
    let mut out = Vec::new();
    while out.len() < MAX_ERROR_BODY {
        match resp.chunk().await {
            Ok(Some(chunk)) => out.extend_from_slice(&chunk),
            _ => break,
        }
    }
    out.truncate(MAX_ERROR_BODY);
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses `Retry-After`: delta-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    httpdate::parse_http_date(v)
        .ok()
        .map(|when| when.duration_since(now).unwrap_or(Duration::ZERO))
}

fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// What a transport error means for the request, decided from the error's kind and its source
/// chain — never from its text, which holds the URL (a host named `classlink` contains "ssl")
/// and the peer's wording ("peer closed connection without sending TLS close_notify" comes from a
/// server that read the whole request first).
///
/// - The connection was never made (`is_connect`: DNS, refused, unreachable, a connect timeout,
///   a TLS handshake refused): nothing of the request reached the server. A `rustls` error in the
///   chain makes it a TLS failure, for the message.
/// - Anything after the connection was made — a timeout waiting for the answer, a connection
///   reset or closed before the answer ended — may have been processed.
fn classify(e: &reqwest::Error) -> Failure {
    let text = describe(e);
    if e.is_connect() {
        if has_tls_cause(e) {
            Failure::Tls(text)
        } else {
            Failure::Connect(text)
        }
    } else if e.is_timeout() {
        Failure::Timeout
    } else {
        Failure::Dropped(text)
    }
}

/// Whether a TLS error (rustls') is among the causes of `e`. An I/O error hides what it wraps
/// from `source()` (it reports the wrapped error's own source), so each one is opened too.
fn has_tls_cause(e: &reqwest::Error) -> bool {
    fn is_tls(mut e: &(dyn std::error::Error + 'static)) -> bool {
        loop {
            if e.downcast_ref::<rustls::Error>().is_some() {
                return true;
            }
            match e
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
            {
                Some(inner) => e = inner,
                None => return false,
            }
        }
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if is_tls(s) {
            return true;
        }
        source = s.source();
    }
    false
}

impl Http {
    pub fn new(policy: RetryPolicy, sleeper: Arc<dyn Sleeper>) -> Self {
        Self::with_hosts(policy, sleeper, &[])
    }

    /// Like [`Http::new`], with host names resolved to fixed addresses instead of through the
    /// system's resolver (a test's `*.localhost` host, a diagnosis behind a broken DNS).
    pub fn with_hosts(
        policy: RetryPolicy,
        sleeper: Arc<dyn Sleeper>,
        hosts: &[(String, std::net::SocketAddr)],
    ) -> Self {
        let mut builder = reqwest::Client::builder()
            .timeout(policy.timeout)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("Relay/", env!("CARGO_PKG_VERSION")));
        for (host, addr) in hosts {
            builder = builder.resolve(host, *addr);
        }
        let client = builder.build().unwrap_or_else(|_| reqwest::Client::new());
        Http {
            client,
            policy,
            sleeper,
            gate: Arc::default(),
        }
    }

    /// The same client, its requests waiting at the shared gate of `key` (see [`gate_for`]).
    pub fn gated(mut self, key: &str) -> Self {
        self.gate = gate_for(key);
        self
    }

    /// How long the rate gate stays closed, if it is (a 429's window): for "waiting for the
    /// provider (N s)".
    pub fn waiting_for(&self) -> Option<Duration> {
        self.gate.closed_for(self.sleeper.now())
    }

    /// The body of a successful response, at most `max_body` bytes, refused if it is a web page.
    pub async fn body(&self, mut resp: Response) -> Result<bytes::Bytes, BodyFailure> {
        let html = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"));
        if html {
            return Err(BodyFailure::Html);
        }
        let max = self.policy.max_body;
        if resp.content_length().is_some_and(|n| n > max) {
            return Err(BodyFailure::TooLarge(max));
        }
        let mut out = bytes::BytesMut::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if out.len() as u64 + chunk.len() as u64 > max {
                        return Err(BodyFailure::TooLarge(max));
                    }
                    out.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(out.freeze()),
                Err(e) => return Err(BodyFailure::Read(describe(&e))),
            }
        }
    }

    /// The underlying client (for a request built from a parsed URL).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Waits `d` on the injected sleeper (a test's clock decides).
    pub async fn sleep(&self, d: Duration) {
        self.sleeper.sleep(d).await
    }

    pub fn request(&self, method: Method, url: &str) -> RequestBuilder {
        self.client
            .request(method, url)
            .header(header::ACCEPT, "application/json")
    }

    /// Full-jitter backoff for attempt `n` (0-based).
    fn backoff(&self, n: u32) -> Duration {
        let cap = self
            .policy
            .base_delay
            .saturating_mul(2u32.saturating_pow(n))
            .min(self.policy.max_delay);
        let ms = rand::rng().random_range(0..=cap.as_millis().max(1) as u64);
        Duration::from_millis(ms)
    }

    /// Waits for the request's turn to leave: the gate open and, when `pace` is given, a turn in
    /// it for a try again (`again`) or a request that had to wait at the gate — so that after a
    /// 429's window the run's rate holds instead of every held request leaving at once. A 429
    /// that closes the gate meanwhile is waited for again. False when `stop` was raised first.
    async fn turn(&self, again: bool, stop: Option<&StopSignal>, pace: Option<&Pace>) -> bool {
        let mut needs_pace = again;
        loop {
            if self.gate.closed_for(self.sleeper.now()).is_some() {
                needs_pace = true;
                if self
                    .stopped_while(self.gate.pass(&*self.sleeper), stop)
                    .await
                {
                    return false;
                }
            }
            match pace {
                Some(pace) if needs_pace => {
                    if self.stopped_while(pace.ready(), stop).await {
                        return false;
                    }
                    needs_pace = false;
                    if self.gate.closed_for(self.sleeper.now()).is_none() {
                        return true;
                    }
                }
                _ => return true,
            }
        }
    }

    /// Sends with the retry policy. `build` makes a fresh request for each attempt.
    pub async fn send(
        &self,
        idempotency: Idempotency,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response, Failure> {
        self.send_until(idempotency, build, None).await
    }

    /// Waits for `wait`, unless `stop` is raised first (then true).
    async fn stopped_while(
        &self,
        wait: impl std::future::Future<Output = ()>,
        stop: Option<&StopSignal>,
    ) -> bool {
        match stop {
            None => {
                wait.await;
                false
            }
            Some(stop) => tokio::select! {
                _ = wait => false,
                _ = stop.raised() => true,
            },
        }
    }

    /// [`Http::send`], giving up with [`Failure::Stopped`] when `stop` is raised while the
    /// request waits to leave (the gate, a retry's wait): it was then certainly not sent.
    pub async fn send_until(
        &self,
        idempotency: Idempotency,
        build: impl Fn() -> RequestBuilder,
        stop: Option<&StopSignal>,
    ) -> Result<Response, Failure> {
        self.send_paced(idempotency, build, stop, None).await
    }

    /// [`Http::send_until`], each try after the first also waiting for its turn in `pace`.
    pub async fn send_paced(
        &self,
        idempotency: Idempotency,
        build: impl Fn() -> RequestBuilder,
        stop: Option<&StopSignal>,
        pace: Option<&Pace>,
    ) -> Result<Response, Failure> {
        let mut attempt = 0u32;
        loop {
            // Closed for longer than the policy waits (a `Retry-After` of an hour): fail now,
            // rather than hold this request — a test of the connection, a list — that long.
            if let Some(left) = self.gate.closed_for(self.sleeper.now()) {
                if left > self.policy.max_retry_after {
                    return Err(Failure::Status {
                        status: StatusCode::TOO_MANY_REQUESTS,
                        body: String::new(),
                        retry_after: Some(left),
                    });
                }
            }
            if !self.turn(attempt > 0, stop, pace).await {
                return Err(Failure::Stopped);
            }
            let result = build().send().await;
            let retry_in = match result {
                Ok(resp) => {
                    self.observe_remaining(&resp);
                    let status = resp.status();
                    if status.is_success() {
                        return Ok(resp);
                    }
                    let retry_after = resp
                        .headers()
                        .get(header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, SystemTime::now()));
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        // The limit is the app's or the account's: everyone waits, at the gate.
                        let wait = retry_after.unwrap_or_else(|| self.backoff(attempt));
                        self.gate.close_until(self.sleeper.now(), wait);
                        if wait > self.policy.max_retry_after || attempt >= self.policy.max_retries
                        {
                            let body = error_text(resp).await;
                            return Err(Failure::Status {
                                status,
                                body,
                                retry_after,
                            });
                        }
                        tracing::debug!(
                            attempt,
                            wait_ms = wait.as_millis() as u64,
                            "429: the gate is closed"
                        );
                        attempt += 1;
                        continue;
                    }
                    let retryable = status.is_server_error() && idempotency == Idempotency::Safe;
                    if !retryable || attempt >= self.policy.max_retries {
                        let body = error_text(resp).await;
                        return Err(Failure::Status {
                            status,
                            body,
                            retry_after,
                        });
                    }
                    self.backoff(attempt)
                }
                Err(e) => {
                    let failure = classify(&e);
                    let retryable = match (&failure, idempotency) {
                        (Failure::Tls(_), _) => false,
                        (Failure::Connect(_), _) => true,
                        (_, Idempotency::Safe) => true,
                        (_, Idempotency::Once) => false,
                    };
                    if !retryable || attempt >= self.policy.max_retries {
                        return Err(failure);
                    }
                    self.backoff(attempt)
                }
            };
            tracing::debug!(attempt, wait_ms = retry_in.as_millis() as u64, "retrying");
            // Only what certainly was not processed is retried: giving up is safe.
            if self.stopped_while(self.sleeper.sleep(retry_in), stop).await {
                return Err(Failure::Stopped);
            }
            attempt += 1;
        }
    }

    /// Few requests left in the provider's window (`X-Rate-Limit-Remaining`): the whole client
    /// slows down — the gate closes for a moment, or until the window resets when none is left
    /// and the provider says when (`ratelimit-reset`, seconds).
    fn observe_remaining(&self, resp: &Response) {
        let number = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let Some(remaining) =
            number("x-rate-limit-remaining").or_else(|| number("ratelimit-remaining"))
        else {
            return;
        };
        if remaining >= u64::from(self.policy.low_remaining) {
            return;
        }
        let pause = match number("ratelimit-reset") {
            Some(reset) if remaining == 0 => {
                Duration::from_secs(reset).min(self.policy.max_retry_after)
            }
            _ => self.policy.low_remaining_pause,
        };
        tracing::debug!(
            remaining,
            pause_ms = pause.as_millis() as u64,
            "few requests left in the provider's window: slowing down"
        );
        self.gate.close_until(self.sleeper.now(), pause);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_or_as_an_http_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480); // 2015-10-21 07:28:00
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO),
            "a past date: no wait"
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_is_full_jitter_under_an_exponential_cap() {
        let http = Http::new(
            RetryPolicy::default(),
            Arc::new(RecordingSleeper::default()),
        );
        for n in 0..8 {
            let cap = Duration::from_millis(500)
                .saturating_mul(1 << n)
                .min(Duration::from_secs(30));
            for _ in 0..50 {
                assert!(http.backoff(n) <= cap);
            }
        }
    }
}
