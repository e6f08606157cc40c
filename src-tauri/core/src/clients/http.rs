//! One HTTP layer and one retry policy for both services.
//!
//! - 429: wait `Retry-After` (seconds or an HTTP date), else exponential backoff with full jitter;
//! - 5xx and connection errors: bounded retries with the same backoff — but only for requests
//!   that are safe to repeat. A notification (`Idempotency::Once`) is retried only when it
//!   certainly was not processed (429, connection refused), never after a timeout, a dropped
//!   connection or a 5xx, where it may have been sent: a duplicate WhatsApp message costs the
//!   sender its quality rating, so the caller decides;
//! - before a request, slow down when the last `X-Rate-Limit-Remaining` was low;
//! - a timeout on every request.
//!
//! Waiting goes through a [`Sleeper`], so tests assert the waits instead of sleeping them.

use futures_util::future::BoxFuture;
use rand::Rng;
use reqwest::{header, Method, RequestBuilder, Response, StatusCode};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// Waits; the real one sleeps, the test one records.
pub trait Sleeper: Send + Sync {
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()>;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// Records every wait and returns at once (for tests).
#[derive(Debug, Default, Clone)]
pub struct RecordingSleeper {
    pub waits: Arc<Mutex<Vec<Duration>>>,
}

impl RecordingSleeper {
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        self.waits.lock().unwrap_or_else(|e| e.into_inner()).push(d);
        Box::pin(async {})
    }
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
    /// Pause before a request when fewer requests than this remain in the provider's window.
    pub low_remaining: u32,
    pub low_remaining_pause: Duration,
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

/// What went wrong at the transport level, after the retries.
#[derive(Debug)]
pub enum Failure {
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

/// A client for one service: base URL, auth, policy, sleeper.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    pub policy: RetryPolicy,
    sleeper: Arc<dyn Sleeper>,
    remaining: Arc<Mutex<Option<u32>>>,
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
            remaining: Arc::new(Mutex::new(None)),
        }
    }

    /// The underlying client (for a request built from a parsed URL).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
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

    /// Sends with the retry policy. `build` makes a fresh request for each attempt.
    pub async fn send(
        &self,
        idempotency: Idempotency,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response, Failure> {
        let mut attempt = 0u32;
        loop {
            let low = self
                .remaining
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_some_and(|r| r < self.policy.low_remaining);
            if low {
                tracing::debug!("few requests left in the provider's window: slowing down");
                self.sleeper.sleep(self.policy.low_remaining_pause).await;
            }
            let result = build().send().await;
            let retry_in = match result {
                Ok(resp) => {
                    if let Some(r) = resp
                        .headers()
                        .get("x-rate-limit-remaining")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u32>().ok())
                    {
                        *self.remaining.lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
                    }
                    let status = resp.status();
                    if status.is_success() {
                        return Ok(resp);
                    }
                    let retry_after = resp
                        .headers()
                        .get(header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, SystemTime::now()));
                    let retryable = status == StatusCode::TOO_MANY_REQUESTS
                        || (status.is_server_error() && idempotency == Idempotency::Safe);
                    if !retryable || attempt >= self.policy.max_retries {
                        let body = resp.text().await.unwrap_or_default();
                        return Err(Failure::Status {
                            status,
                            body,
                            retry_after,
                        });
                    }
                    match retry_after {
                        Some(wait) if status == StatusCode::TOO_MANY_REQUESTS => {
                            if wait > self.policy.max_retry_after {
                                let body = resp.text().await.unwrap_or_default();
                                return Err(Failure::Status {
                                    status,
                                    body,
                                    retry_after: Some(wait),
                                });
                            }
                            wait
                        }
                        _ => self.backoff(attempt),
                    }
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
            self.sleeper.sleep(retry_in).await;
            attempt += 1;
        }
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
