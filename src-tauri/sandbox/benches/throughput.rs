//! How fast the sandbox serves, so it is never the bottleneck of Relay's own benchmarks.
//!
//!     cargo bench -p relay-sandbox --bench throughput [-- USERS NOTIFICATIONS CONCURRENCY]
//!
//! Prints: export pages of 1,000 users served per second (one sequential export, as a client
//! follows cursors), and notifications accepted per second (CONCURRENCY requests in flight).
//! Client and server share the machine, so the figures are a floor.

use relay_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

fn arg(i: usize, default: u64) -> u64 {
    std::env::args()
        .filter(|a| !a.starts_with('-'))
        .nth(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let users = arg(1, 200_000);
    let notifications = arg(2, 20_000);
    let concurrency = arg(3, 32) as usize;
    let sb = Sandbox::start(SandboxConfig {
        users,
        // The bench measures the server, not Zendesk's documented rate limits.
        zendesk_rate_per_minute: u32::MAX,
        export_rate_per_minute: u32::MAX,
        ..SandboxConfig::default()
    })
    .await
    .expect("start the sandbox");
    let info = sb.info().clone();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let auth = (
        format!("{}/token", info.zendesk_email),
        info.zendesk_token.clone(),
    );

    // Export every user, 1,000 per page.
    let start = Instant::now();
    let mut url = format!(
        "{}/api/v2/search/export?query=created>2000-01-01&filter[type]=user&page[size]=1000",
        info.base_url
    );
    let (mut pages, mut seen) = (0u64, 0u64);
    loop {
        let page: Value = http
            .get(&url)
            .basic_auth(&auth.0, Some(&auth.1))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        pages += 1;
        seen += page["results"]
            .as_array()
            .map(|r| r.len() as u64)
            .unwrap_or(0);
        match page["links"]["next"].as_str() {
            Some(next) if page["meta"]["has_more"] == true => url = next.to_string(),
            _ => break,
        }
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(seen, users, "the export must return every user");
    println!(
        "export: {seen} users in {pages} pages in {secs:.2} s = {:.0} users/s ({:.1} pages of 1,000/s)",
        seen as f64 / secs,
        pages as f64 / secs
    );

    // Notifications, `concurrency` in flight.
    let url = Arc::new(format!(
        "{}/v1.1/apps/{}/notifications",
        info.sunshine_url, info.app_id
    ));
    let body = Arc::new(json!({
        "destination": {"integrationId": "5f1e0c3a9b8d7e6f5a4b3c31", "destinationId": "+33612345678"},
        "author": {"role": "appMaker"},
        "messageSchema": "whatsapp",
        "message": {"type": "template", "template": {"name": "appointment_reminder", "language": {"policy": "deterministic", "code": "fr"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Camille"}, {"type": "text", "text": "10h30"}]}]}},
    }));
    let start = Instant::now();
    let per_task = notifications / concurrency as u64;
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, url, body, key, secret) = (
            http.clone(),
            url.clone(),
            body.clone(),
            info.key_id.clone(),
            info.key_secret.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for _ in 0..per_task {
                let r = http
                    .post(url.as_str())
                    .basic_auth(&key, Some(&secret))
                    .json(body.as_ref())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    let sent = per_task * concurrency as u64;
    println!("notifications: {sent} accepted in {secs:.2} s = {:.0} notifications/s ({concurrency} in flight)", sent as f64 / secs);
    println!(
        "machine: {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
}
