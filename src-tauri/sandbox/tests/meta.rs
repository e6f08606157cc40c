//! What Meta does after Sunshine Conversations accepted a WhatsApp template notification: the
//! portfolio's messaging limit (at most N unique numbers in a moving 24 hours, shared by every
//! WhatsApp number of the portfolio) and the pause of MARKETING templates to US numbers. Both
//! answer `201` as usual — the API accepted the message — and record it as dropped; only
//! `/_sandbox/notifications` and `/_sandbox/stats` tell who was really reached.

use chrono::TimeZone;
use relay_sandbox::{ManualClock, Sandbox, SandboxConfig};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// The seeded WhatsApp integrations (one portfolio) and an SMS one.
const SUPPORT: &str = "5f1e0c3a9b8d7e6f5a4b3c31";
const MARKETING: &str = "5f1e0c3a9b8d7e6f5a4b3c32";
const TWILIO: &str = "5f1e0c3a9b8d7e6f5a4b3c33";

const DAY_MS: u64 = 24 * 3600 * 1000;

struct Env {
    sb: Sandbox,
    http: Client,
}

impl Env {
    async fn new(config: SandboxConfig) -> Env {
        Env {
            sb: Sandbox::start(config).await.unwrap(),
            http: Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sb.base_url())
    }

    async fn send(&self, body: Value) -> (StatusCode, Value) {
        let i = self.sb.info();
        let r = self
            .http
            .request(
                Method::POST,
                self.url(&format!("/sc/v1.1/apps/{}/notifications", i.app_id)),
            )
            .basic_auth(&i.key_id, Some(&i.key_secret))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Sends and checks the API accepted it as usual: `201` with a notification id.
    async fn accepted(&self, body: Value) -> String {
        let (status, b) = self.send(body.clone()).await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "Meta's drops come after the API accepted: {body} → {b}"
        );
        b["notification"]["_id"].as_str().unwrap().to_string()
    }

    /// `dropped` of the recorded notification `id`: null when Meta delivered it.
    async fn dropped(&self, id: &str) -> Value {
        let log = self.get("/_sandbox/notifications").await;
        let n = log["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == id)
            .unwrap_or_else(|| panic!("{id} recorded: {log}"))
            .clone();
        assert!(
            n.as_object().unwrap().contains_key("dropped"),
            "every notification says whether it was dropped: {n}"
        );
        n["dropped"].clone()
    }

    async fn get(&self, path: &str) -> Value {
        self.http
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn put_faults(&self, f: Value) -> (StatusCode, Value) {
        let r = self
            .http
            .put(self.url("/_sandbox/faults"))
            .json(&f)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn advance(&self, body: Value) -> (StatusCode, Value) {
        let r = self
            .http
            .post(self.url("/_sandbox/clock"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

/// `order_shipped` (UTILITY) from the support number.
fn utility(to: &str) -> Value {
    json!({
        "destination": {"integrationId": SUPPORT, "destinationId": to},
        "author": {"role": "appMaker"},
        "messageSchema": "whatsapp",
        "message": {"type": "template", "template": {"name": "order_shipped", "language": {"policy": "deterministic", "code": "en_US"},
            "components": [
                {"type": "header", "parameters": [{"type": "text", "text": "A-1"}]},
                {"type": "body", "parameters": [{"type": "text", "text": "Ann"}, {"type": "text", "text": "A-1"}, {"type": "text", "text": "Monday"}]}
            ]}},
    })
}

/// `welcome_offer` (MARKETING) from the marketing number.
fn marketing(to: &str) -> Value {
    json!({
        "destination": {"integrationId": MARKETING, "destinationId": to},
        "author": {"role": "appMaker"},
        "messageSchema": "whatsapp",
        "message": {"type": "template", "template": {"name": "welcome_offer", "language": {"policy": "deterministic", "code": "en_US"},
            "components": [
                {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://example.com/offer.png"}}]},
                {"type": "body", "parameters": [{"type": "text", "text": "Ann"}, {"type": "text", "text": "10%"}]}
            ]}},
    })
}

fn sms(to: &str) -> Value {
    json!({"destination": {"integrationId": TWILIO, "destinationId": to}, "author": {"role": "appMaker"},
           "message": {"type": "text", "text": "Your order shipped"}})
}

fn limited(limit: u64) -> SandboxConfig {
    let mut config = SandboxConfig::default();
    config.faults.whatsapp_limit = Some(limit);
    config
}

#[tokio::test]
async fn past_the_messaging_limit_new_numbers_are_accepted_then_dropped() {
    let env = Env::new(limited(2)).await;
    let a = env.accepted(utility("+33612345601")).await;
    let b = env.accepted(utility("+33612345602")).await;
    let c = env.accepted(utility("+33612345603")).await;
    assert_eq!(env.dropped(&a).await, Value::Null, "first of 2 numbers");
    assert_eq!(env.dropped(&b).await, Value::Null, "second of 2 numbers");
    assert_eq!(
        env.dropped(&c).await,
        "messaging_limit",
        "a third unique number in 24 h is past a limit of 2"
    );
    // A number reached within the last 24 h does not take the limit again.
    let again = env.accepted(utility("+33612345601")).await;
    assert_eq!(env.dropped(&again).await, Value::Null);
    // The limit is the portfolio's: the other WhatsApp number of the app shares it.
    let other = env.accepted(marketing("+33612345604")).await;
    assert_eq!(env.dropped(&other).await, "messaging_limit");
    // ... and one it reached counts for both (a number of the window, whichever sent).
    let shared = env.accepted(marketing("+33612345602")).await;
    assert_eq!(env.dropped(&shared).await, Value::Null);
    // SMS has no such limit.
    let text = env.accepted(sms("+33612345605")).await;
    assert_eq!(env.dropped(&text).await, Value::Null);

    let stats = env.get("/_sandbox/stats").await;
    assert_eq!(
        stats["notifications"], 7,
        "a dropped notification was still accepted by the API: counted"
    );
    assert_eq!(stats["dropped"], 2);
    assert_eq!(stats["delivered"], 5);
    assert_eq!(
        stats["dropped_by_integration"],
        json!({SUPPORT: 1, MARKETING: 1})
    );
    assert_eq!(stats["dropped_by_reason"], json!({"messaging_limit": 2}));
    assert_eq!(
        stats["delivered_destinations"], 3,
        "reached: ...601, ...602 (WhatsApp), ...605 (SMS)"
    );

    // Moved 24 h on (over HTTP), the window is empty: a new number is reached.
    let (status, clock) = env.advance(json!({"advance_ms": DAY_MS})).await;
    assert_eq!(status, StatusCode::OK, "{clock}");
    assert_eq!(clock["offset_ms"], DAY_MS);
    let next_day = env.accepted(utility("+33612345606")).await;
    assert_eq!(env.dropped(&next_day).await, Value::Null);
    let dropped_before = env.accepted(utility("+33612345603")).await;
    assert_eq!(
        env.dropped(&dropped_before).await,
        Value::Null,
        "the number dropped yesterday was never reached: it takes the second place"
    );
    let third = env.accepted(utility("+33612345607")).await;
    assert_eq!(env.dropped(&third).await, "messaging_limit");
}

#[tokio::test]
async fn the_window_moves_with_each_delivery_and_the_limit_can_change_at_run_time() {
    let clock = ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap());
    let env = Env::new(SandboxConfig {
        clock: Arc::new(clock.clone()),
        ..limited(2)
    })
    .await;
    let hour = Duration::from_secs(3600);
    // 09:00 A, 21:00 B: the portfolio has reached 2 numbers.
    assert_eq!(
        env.dropped(&env.accepted(utility("+33612345601")).await)
            .await,
        Value::Null
    );
    clock.advance(12 * hour);
    assert_eq!(
        env.dropped(&env.accepted(utility("+33612345602")).await)
            .await,
        Value::Null
    );
    // 08:00 the next day: A was reached 23 h ago, still in the window.
    clock.advance(11 * hour);
    assert_eq!(
        env.dropped(&env.accepted(utility("+33612345603")).await)
            .await,
        "messaging_limit"
    );
    // 09:00: 24 h after A, A has left the window (not a reset at midnight, nor a fixed day)...
    clock.advance(hour);
    assert_eq!(
        env.dropped(&env.accepted(utility("+33612345603")).await)
            .await,
        Value::Null
    );
    // ... but B, reached 12 h ago, has not: the window is full again.
    assert_eq!(
        env.dropped(&env.accepted(utility("+33612345604")).await)
            .await,
        "messaging_limit"
    );
    // Meta raises the portfolio to 250 (the knob at run time): the next number is reached.
    let (status, f) = env.put_faults(json!({"whatsapp_limit": 250})).await;
    assert_eq!(status, StatusCode::OK, "{f}");
    assert_eq!(
        env.dropped(&env.accepted(utility("+33612345604")).await)
            .await,
        Value::Null
    );
    // Lowered below the numbers already in the window: every new number is dropped.
    env.put_faults(json!({"whatsapp_limit": 1})).await;
    assert_eq!(
        env.dropped(&env.accepted(utility("+33612345605")).await)
            .await,
        "messaging_limit"
    );
    assert_eq!(
        env.dropped(&env.accepted(utility("+33612345604")).await)
            .await,
        Value::Null,
        "a number in the window is still reached"
    );
    let clock_now = env.get("/_sandbox/clock").await;
    assert_eq!(clock_now["now"], "2026-03-03T09:00:00+00:00");
    assert_eq!(clock_now["offset_ms"], 0);
}

#[tokio::test]
async fn unlimited_by_default_nothing_is_dropped() {
    let env = Env::new(SandboxConfig::default()).await;
    assert_eq!(
        env.get("/_sandbox/faults").await["whatsapp_limit"],
        Value::Null
    );
    for i in 0..300 {
        env.accepted(utility(&format!("+336123{i:05}"))).await;
    }
    let stats = env.get("/_sandbox/stats").await;
    assert_eq!(stats["notifications"], 300);
    assert_eq!(
        stats["dropped"], 0,
        "more than Meta's lowest tier, unlimited"
    );
    assert_eq!(stats["delivered"], 300);
    assert_eq!(stats["delivered_destinations"], 300);
    assert_eq!(stats["dropped_by_integration"], json!({}));
    assert_eq!(stats["dropped_by_reason"], json!({}));
    let log = env.get("/_sandbox/notifications").await;
    assert!(log["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n.as_object().unwrap()["dropped"].is_null()));
}

#[tokio::test]
async fn marketing_templates_to_us_numbers_are_dropped_unless_meta_lifts_the_pause() {
    let env = Env::new(limited(3)).await;
    let us = env.accepted(marketing("+12125550123")).await;
    assert_eq!(env.dropped(&us).await, "marketing_us");
    let fr = env.accepted(marketing("+33612345678")).await;
    assert_eq!(env.dropped(&fr).await, Value::Null);
    // +1 is not only the US: a Canadian number (Montreal, 514) gets marketing.
    let ca = env.accepted(marketing("+15145550123")).await;
    assert_eq!(env.dropped(&ca).await, Value::Null);
    // A UTILITY template to the same US number is delivered.
    let utility_us = env.accepted(utility("+12125550123")).await;
    assert_eq!(env.dropped(&utility_us).await, Value::Null);
    // The dropped marketing message did not take a place: the portfolio has reached 3 numbers
    // (FR, CA, US by the utility), the limit.
    assert_eq!(
        env.dropped(&env.accepted(utility("+33612345679")).await)
            .await,
        "messaging_limit"
    );

    let stats = env.get("/_sandbox/stats").await;
    assert_eq!(stats["dropped"], 2);
    assert_eq!(
        stats["dropped_by_reason"],
        json!({"marketing_us": 1, "messaging_limit": 1})
    );
    assert_eq!(
        stats["dropped_by_integration"],
        json!({MARKETING: 1, SUPPORT: 1})
    );

    let (status, f) = env
        .put_faults(json!({"marketing_us_delivered": true}))
        .await;
    assert_eq!(status, StatusCode::OK, "{f}");
    let lifted = env.accepted(marketing("+12125550123")).await;
    assert_eq!(
        env.dropped(&lifted).await,
        Value::Null,
        "the pause lifted, and the number is in the window"
    );
}

#[tokio::test]
async fn bad_meta_knobs_are_refused_and_change_nothing() {
    let env = Env::new(SandboxConfig::default()).await;
    let (status, _) = env
        .put_faults(json!({"whatsapp_limit": 250, "retry_after_secs": 1}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let before = env.get("/_sandbox/faults").await;
    assert_eq!(before["whatsapp_limit"], 250);
    assert_eq!(before["marketing_us_delivered"], false);
    for (bad, names) in [
        (json!({"whatsapp_limit": 0}), "whatsapp_limit"),
        (json!({"whatsapp_limit": -5}), "whatsapp_limit"),
        (json!({"whatsapp_limit": 2.5}), "whatsapp_limit"),
        (json!({"whatsapp_limit": "lots"}), "whatsapp_limit"),
        (
            json!({"marketing_us_delivered": "yes"}),
            "marketing_us_delivered",
        ),
        (json!({"whatsapp_limits": 2}), "whatsapp_limits"),
    ] {
        let (status, e) = env.put_faults(bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad} → {e}");
        assert_eq!(e["error"], "invalid", "{e}");
        assert!(
            e["description"].as_str().unwrap().contains(names),
            "{bad} names its knob: {e}"
        );
        assert_eq!(env.get("/_sandbox/faults").await, before, "{bad}");
    }

    let clock = env.get("/_sandbox/clock").await;
    assert_eq!(clock["offset_ms"], 0);
    for bad in [
        json!({"advance_ms": -1}),
        json!({"advance_ms": "1d"}),
        json!({}),
        json!({"advance_ms": u64::MAX}),
    ] {
        let (status, e) = env.advance(bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad} → {e}");
        assert!(
            e["description"].as_str().unwrap().contains("advance_ms"),
            "{e}"
        );
        assert_eq!(env.get("/_sandbox/clock").await["offset_ms"], 0, "{bad}");
    }
    // Time moves forward only, by whole milliseconds, and adds up.
    env.advance(json!({"advance_ms": 1000})).await;
    let (_, c) = env.advance(json!({"advance_ms": 500})).await;
    assert_eq!(c["offset_ms"], 1500);
}
