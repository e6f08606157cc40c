//! The Zendesk and Sunshine Conversations clients against the sandbox: every call, paging over
//! several pages, an expired export cursor, 429 with Retry-After obeyed (the wait asserted through
//! an injected sleeper that moves the sandbox's clock), 5xx retries, 401/403/404 messages, request
//! bodies checked against the official schema, and a whole session's log free of secrets.

#[path = "../../sandbox/tests/support/spec.rs"]
mod spec;
use crate::support;
use crate::support::settings_for;

use chrono::TimeZone;
use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use relay_core::clients::http::{Http, RecordingSleeper, RetryPolicy, Sleeper};
use relay_core::clients::sunshine::SunshineClient;
use relay_core::clients::zendesk::ZendeskClient;
use relay_core::settings::Settings;
use relay_core::ErrorCode;
use relay_sandbox::{Faults, ManualClock, Sandbox, SandboxConfig};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A sleeper that records each wait and moves the sandbox's clock by it, so a Retry-After is
/// both asserted and honoured without real sleeping.
#[derive(Clone)]
struct ClockSleeper {
    clock: ManualClock,
    waits: Arc<Mutex<Vec<Duration>>>,
    origin: std::time::Instant,
}

impl Sleeper for ClockSleeper {
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        self.waits.lock().unwrap().push(d);
        self.clock.advance(d);
        Box::pin(async {})
    }

    fn now(&self) -> std::time::Instant {
        self.origin + self.waits.lock().unwrap().iter().sum::<Duration>()
    }
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        ..RetryPolicy::default()
    }
}

async fn start(config: SandboxConfig) -> (Sandbox, RecordingSleeper, Http) {
    let sb = Sandbox::start(config).await.unwrap();
    let sleeper = RecordingSleeper::default();
    let http = Http::new(fast_policy(), Arc::new(sleeper.clone()));
    (sb, sleeper, http)
}

fn zendesk(sb: &Sandbox, http: &Http) -> ZendeskClient {
    ZendeskClient::new(http.clone(), &settings_for(sb), &sb.info().zendesk_token).unwrap()
}

fn sunshine(sb: &Sandbox, http: &Http) -> SunshineClient {
    SunshineClient::new(http.clone(), &settings_for(sb), &sb.info().key_secret).unwrap()
}

#[tokio::test]
async fn zendesk_profile_groups_memberships_fields_and_search() {
    let (sb, _, http) = start(SandboxConfig {
        users: 800,
        ..SandboxConfig::default()
    })
    .await;
    let zd = zendesk(&sb, &http);
    let me = zd.me().await.unwrap();
    assert_eq!(me.role, "admin");
    assert_eq!(zd.groups().await.unwrap().len(), 3);
    assert_eq!(zd.memberships(me.id).await.unwrap().len(), 2);
    let fields = zd.user_fields().await.unwrap();
    assert_eq!(
        fields
            .iter()
            .find(|f| f.key == "plan")
            .unwrap()
            .custom_field_options
            .len(),
        4
    );
    let n = zd.search_count("type:user tags:vip").await.unwrap();
    assert!(n > 0);
    let sample = zd.search_sample("tags:vip", 10).await.unwrap();
    assert_eq!(sample.len() as u64, n.min(10));
    assert!(sample.iter().all(|u| u.tags.contains(&"vip".to_string())));
    let err = zd.search_count("created>someday").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Rejected);
    assert!(
        err.message
            .starts_with("Zendesk refused the search: Invalid search:"),
        "Zendesk's own words: {}",
        err.message
    );
    let err = zd
        .search_count("type:ticket status:open")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput, "an audience is users");
}

#[tokio::test]
async fn export_streams_every_page_and_show_many_batches_by_100() {
    let (sb, _, http) = start(SandboxConfig {
        users: 2600,
        ..SandboxConfig::default()
    })
    .await;
    let zd = zendesk(&sb, &http);
    let expected = zd.search_count("role:end-user").await.unwrap();
    let pages: Vec<_> = zd
        .export_users("type:user role:end-user", 1000)
        .collect()
        .await;
    assert!(pages.len() >= 3, "at least 3 pages: {}", pages.len());
    let users: Vec<_> = pages.into_iter().flat_map(|p| p.unwrap().users).collect();
    assert_eq!(users.len() as u64, expected);
    let ids: std::collections::HashSet<u64> = users.iter().map(|u| u.id).collect();
    assert_eq!(ids.len(), users.len(), "no user twice");
    let some: Vec<u64> = users.iter().take(250).map(|u| u.id).collect();
    let (found, identities) = zd.show_many(&some).await.unwrap();
    assert_eq!(found.len(), 250, "3 requests of at most 100 ids");
    assert!(identities.iter().any(|i| i.kind == "email"));
}

#[tokio::test]
async fn an_expired_export_cursor_restarts_and_loses_nobody() {
    let clock = ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
    let (sb, _, http) = start(SandboxConfig {
        users: 1500,
        cursor_ttl: Duration::from_secs(60),
        clock: Arc::new(clock.clone()),
        ..SandboxConfig::default()
    })
    .await;
    let zd = zendesk(&sb, &http);
    let expected = zd.search_count("role:end-user").await.unwrap();
    let mut stream = Box::pin(zd.export_users("role:end-user", 400));
    let mut all = Vec::new();
    let mut pages = 0;
    while let Some(page) = stream.next().await {
        all.extend(page.unwrap().users);
        pages += 1;
        if pages == 2 {
            clock.advance(Duration::from_secs(61)); // the next cursor is now expired
        }
    }
    let ids: std::collections::HashSet<u64> = all.iter().map(|u| u.id).collect();
    // The restart reads from the top again: the audience's key (the user id) skips those it
    // already has.
    assert!(
        all.len() > ids.len(),
        "the restart read the first pages again"
    );
    assert_eq!(ids.len() as u64, expected, "and lost nobody");
}

#[tokio::test]
async fn every_export_order_gives_every_user() {
    use relay_sandbox::ExportOrder;
    for order in [ExportOrder::Asc, ExportOrder::Desc, ExportOrder::Unordered] {
        let (sb, _, http) = start(SandboxConfig {
            users: 1500,
            faults: Faults {
                export_order: order,
                ..Faults::default()
            },
            ..SandboxConfig::default()
        })
        .await;
        let zd = zendesk(&sb, &http);
        let expected = zd.search_count("role:end-user").await.unwrap();
        let mut stream = Box::pin(zd.export_users("role:end-user", 100));
        let mut ids = std::collections::HashSet::new();
        while let Some(page) = stream.next().await {
            ids.extend(page.unwrap().users.into_iter().map(|u| u.id));
        }
        assert_eq!(ids.len() as u64, expected, "{order:?}: nobody lost");
    }
}

async fn rate_limited_sandbox(
    limit: u32,
    low_remaining: u32,
) -> (Sandbox, ClockSleeper, ZendeskClient) {
    let clock = ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 15).unwrap());
    let sb = Sandbox::start(SandboxConfig {
        zendesk_rate_per_minute: limit,
        clock: Arc::new(clock.clone()),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let sleeper = ClockSleeper {
        clock,
        waits: Arc::default(),
        origin: std::time::Instant::now(),
    };
    let policy = RetryPolicy {
        low_remaining,
        ..fast_policy()
    };
    let http = Http::new(policy, Arc::new(sleeper.clone()));
    let zd = zendesk(&sb, &http);
    (sb, sleeper, zd)
}

#[tokio::test]
async fn retry_after_is_obeyed_exactly() {
    let (_sb, sleeper, zd) = rate_limited_sandbox(2, 0).await;
    zd.groups().await.unwrap();
    zd.groups().await.unwrap();
    // The budget of 2 a minute is spent at hh:00:15: Zendesk says to wait 45 s, and the retry
    // after exactly that wait succeeds.
    zd.groups().await.unwrap();
    assert_eq!(
        *sleeper.waits.lock().unwrap(),
        vec![Duration::from_secs(45)]
    );
}

#[tokio::test]
async fn few_remaining_requests_slow_down_before_a_429() {
    let (_sb, sleeper, zd) = rate_limited_sandbox(4, 3).await;
    for _ in 0..3 {
        zd.groups().await.unwrap();
    }
    // After the first request 3 remain, after the second 2 (< 3): the third waits first.
    assert_eq!(
        *sleeper.waits.lock().unwrap(),
        vec![RetryPolicy::default().low_remaining_pause]
    );
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_then_reported() {
    let (sb, sleeper, http) = start(SandboxConfig {
        faults: Faults {
            rate_5xx: 1.0,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let err = zendesk(&sb, &http).groups().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Unreachable);
    assert!(err.message.contains("several times"), "{}", err.message);
    assert_eq!(
        sleeper.waits().len(),
        3,
        "max_retries backoffs before giving up"
    );
    // A notification is never retried after a 5xx: it may have been sent.
    let before = sleeper.waits().len();
    let err = sunshine(&sb, &http).notify(&json!({})).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Unreachable);
    assert_eq!(sleeper.waits().len(), before, "no retry for a send");
}

#[tokio::test]
async fn a_429_without_end_is_reported_as_rate_limited() {
    let (sb, sleeper, http) = start(SandboxConfig {
        faults: Faults {
            rate_429: 1.0,
            retry_after_secs: 2,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let err = zendesk(&sb, &http).me().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::RateLimited);
    assert_eq!(sleeper.waits(), vec![Duration::from_secs(2); 3]);
}

#[tokio::test]
async fn refusals_say_what_to_fix() {
    let (sb, _, http) = start(SandboxConfig::default()).await;
    let bad_token = ZendeskClient::new(http.clone(), &settings_for(&sb), "wrong").unwrap();
    let err = bad_token.me().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::AuthFailed);
    assert!(
        err.message.contains("admin@relay-demo.test") && err.message.contains("Admin Center"),
        "{}",
        err.message
    );

    let nowhere = Settings {
        zendesk_custom_url: format!("{}/not-zendesk", sb.base_url()),
        ..settings_for(&sb)
    };
    let err = ZendeskClient::new(http.clone(), &nowhere, &sb.info().zendesk_token)
        .unwrap()
        .me()
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(err.message.contains("subdomain"), "{}", err.message);

    let bad_secret = SunshineClient::new(http.clone(), &settings_for(&sb), "wrong").unwrap();
    let err = bad_secret.integrations().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::AuthFailed);
    assert!(err.message.contains(&sb.info().key_id));

    let other_app = Settings {
        sunshine_app_id: "000000000000000000000000".into(),
        ..settings_for(&sb)
    };
    let err = SunshineClient::new(http.clone(), &other_app, &sb.info().key_secret)
        .unwrap()
        .integrations()
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    assert!(
        err.message.contains("no access to the app"),
        "{}",
        err.message
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let closed = Settings {
        zendesk_custom_url: format!("http://127.0.0.1:{port}"),
        ..settings_for(&sb)
    };
    let err = ZendeskClient::new(http.clone(), &closed, "t")
        .unwrap()
        .me()
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unreachable);

    let unconfigured = ZendeskClient::new(http.clone(), &Settings::default(), "t")
        .err()
        .unwrap();
    assert_eq!(unconfigured.code, ErrorCode::NotConfigured);
}

#[tokio::test]
async fn sunshine_integrations_templates_and_notifications() {
    let (sb, _, http) = start(SandboxConfig::default()).await;
    let sc = sunshine(&sb, &http).with_page_size(1);
    let integrations = sc.integrations().await.unwrap();
    let kinds: Vec<&str> = integrations.iter().map(|i| i.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["whatsapp", "whatsapp", "twilio", "messagebird"],
        "4 pages of one"
    );
    assert_eq!(integrations[0].phone_number.as_deref(), Some("15145550100"));
    assert_eq!(integrations[3].originator.as_deref(), Some("RelayDemo"));

    let wa = &integrations[0].id;
    let templates = sc.templates(wa).await.unwrap();
    assert!(templates
        .iter()
        .any(|t| t.name == "order_shipped" && t.status == "APPROVED"));
    assert_eq!(
        templates
            .iter()
            .find(|t| t.status == "REJECTED")
            .unwrap()
            .rejected_reason
            .as_deref(),
        Some("PROMOTIONAL")
    );
    let created = sc
        .create_template(wa, &json!({"name": "client_test", "language": "en_US", "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Hello {{1}}, all good.", "example": {"body_text": [["Ann"]]}}]}))
        .await
        .unwrap();
    assert_eq!(created.status, "PENDING");
    let err = sc
        .create_template(wa, &json!({"name": "Bad Name"}))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Rejected);
    assert!(err.message.contains("Invalid template"), "{}", err.message);
    sc.delete_template(wa, "client_test").await.unwrap();

    let body = json!({
        "destination": {"integrationId": wa, "destinationId": "+33612345678"},
        "author": {"role": "appMaker"},
        "messageSchema": "whatsapp",
        "message": {"type": "template", "template": {"name": "appointment_reminder", "language": {"policy": "deterministic", "code": "fr"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Camille"}, {"type": "text", "text": "10h30"}]}]}},
    });
    let id = sc.notify(&body).await.unwrap();
    assert_eq!(id.len(), 36);
    // What the client sent is what the official schema describes.
    let recorded: serde_json::Value =
        reqwest::get(format!("{}/_sandbox/notifications", sb.base_url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let sent = &recorded["notifications"][0]["body"];
    spec::Spec::swagger("sunshine-conversations-api-spec_v1-master_swagger_v5.34.json")
        .check("NotificationPost", sent);
}

fn secrets_for(sb: &Sandbox, token: &str, secret: &str) -> relay_core::secrets::Secrets {
    let _ = sb;
    let s =
        relay_core::secrets::Secrets::new(Arc::new(relay_core::secrets::MemoryStore::new()), "ws");
    s.set(relay_core::secrets::SecretKind::ZendeskApiToken, token)
        .unwrap();
    s.set(relay_core::secrets::SecretKind::SunshineKeySecret, secret)
        .unwrap();
    s
}

#[tokio::test]
async fn connection_test_reports_each_side_separately() {
    use relay_core::connect::{test_connection, CheckId, CheckStatus};
    let (sb, _, http) = start(SandboxConfig::default()).await;
    let i = sb.info().clone();
    let status = |r: &relay_core::connect::ConnectionReport| {
        r.checks
            .iter()
            .map(|c| (c.id, c.status))
            .collect::<Vec<_>>()
    };

    let all_ok = test_connection(
        &settings_for(&sb),
        &secrets_for(&sb, &i.zendesk_token, &i.key_secret),
        http.clone(),
    )
    .await;
    assert!(all_ok.ok, "{all_ok:#?}");
    assert_eq!(all_ok.integrations.len(), 4);
    assert_eq!(all_ok.integrations[0].sender, "+15145550100");
    assert_eq!(all_ok.integrations[0].rate, 8, "the default rate");
    assert!(
        all_ok.checks[5]
            .detail
            .english()
            .contains("2 WhatsApp, 1 Twilio, 1 MessageBird"),
        "{}",
        all_ok.checks[5].detail
    );
    // The team's store: reachable, its types to be made by this admin at the first sync.
    assert_eq!(all_ok.checks[3].id, CheckId::TeamStore);
    assert!(
        all_ok.checks[3]
            .detail
            .english()
            .contains("will be created at the first sync"),
        "{}",
        all_ok.checks[3].detail
    );

    let bad_token = test_connection(
        &settings_for(&sb),
        &secrets_for(&sb, "nope", &i.key_secret),
        http.clone(),
    )
    .await;
    assert_eq!(
        status(&bad_token),
        [
            (CheckId::ZendeskReachable, CheckStatus::Ok),
            (CheckId::ZendeskToken, CheckStatus::Failed),
            (CheckId::ZendeskAccess, CheckStatus::Skipped),
            (CheckId::TeamStore, CheckStatus::Skipped),
            (CheckId::SunshineKey, CheckStatus::Ok),
            (CheckId::Integrations, CheckStatus::Ok),
        ]
    );
    let bad_key = test_connection(
        &settings_for(&sb),
        &secrets_for(&sb, &i.zendesk_token, "nope"),
        http.clone(),
    )
    .await;
    assert_eq!(
        status(&bad_key)[4..],
        [
            (CheckId::SunshineKey, CheckStatus::Failed),
            (CheckId::Integrations, CheckStatus::Skipped)
        ]
    );
    assert_eq!(bad_key.checks[4].code, Some(ErrorCode::AuthFailed));

    let restricted = Settings {
        allowed_groups: vec!["1".into()],
        ..settings_for(&sb)
    };
    let denied = test_connection(
        &restricted,
        &secrets_for(&sb, &i.zendesk_token, &i.key_secret),
        http.clone(),
    )
    .await;
    assert_eq!(denied.checks[2].status, CheckStatus::Failed);
    assert!(denied.checks[2].detail.english().contains("Who may send"));
    assert!(!denied.ok);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gone = Settings {
        zendesk_custom_url: format!("http://127.0.0.1:{port}"),
        ..settings_for(&sb)
    };
    let down = test_connection(
        &gone,
        &secrets_for(&sb, &i.zendesk_token, &i.key_secret),
        http,
    )
    .await;
    assert_eq!(down.checks[0].status, CheckStatus::Failed);
    assert_eq!(down.checks[0].code, Some(ErrorCode::Unreachable));
}

#[tokio::test]
async fn access_is_verified_from_users_me_and_memberships() {
    let (sb, _, _) = start(SandboxConfig::default()).await;
    let (ws, _tmp) = support::workspace_on(&sb);
    ws.verify_access()
        .await
        .expect("no restriction: the admin may send");
    let groups = ws.zendesk_groups().await.unwrap();
    let sales = groups
        .iter()
        .find(|g| g.name == "Sales")
        .unwrap()
        .id
        .clone();
    let support = groups
        .iter()
        .find(|g| g.name == "Support")
        .unwrap()
        .id
        .clone();
    ws.set_key("allowed_groups", &sales).unwrap();
    let err = ws.verify_access().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden, "the admin is not in Sales");
    assert!(
        err.message.contains("Ada Admin"),
        "the refused user is named: {}",
        err.message
    );
    ws.set_key("allowed_groups", &format!("{sales},{support}"))
        .unwrap();
    ws.verify_access().await.expect("the admin is in Support");
    ws.set_key("allowed_groups", "").unwrap();
    ws.set_key("allowed_roles", "agent").unwrap();
    assert!(
        ws.verify_access().await.is_err(),
        "an admin is not an agent"
    );
}

#[tokio::test]
async fn tls_failures_and_timeouts_say_what_happened() {
    let (sb, _, http) = start(SandboxConfig {
        faults: Faults {
            latency_ms: 1500,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    // https to a server that speaks plain HTTP: the TLS handshake fails.
    let tls = Settings {
        zendesk_custom_url: sb.base_url().replace("http://", "https://"),
        ..settings_for(&sb)
    };
    let err = ZendeskClient::new(http.clone(), &tls, "t")
        .unwrap()
        .me()
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unreachable);
    assert!(err.message.contains("secure connection"), "{}", err.message);
    // A server slower than the timeout.
    let impatient = Http::new(
        RetryPolicy {
            timeout: Duration::from_millis(300),
            max_retries: 1,
            ..RetryPolicy::default()
        },
        Arc::new(RecordingSleeper::default()),
    );
    let err = zendesk(&sb, &impatient).me().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Unreachable);
    assert!(
        err.message.contains("did not answer in time"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn a_designed_template_is_accepted_like_meta_would_then_approved() {
    use relay_core::template::{
        meta_payload,
        validate::{has_errors, validate},
        Button, ButtonKind, Header, HeaderKind, Template,
    };
    let clock = ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
    let (sb, _, http) = start(SandboxConfig {
        approve_after: Duration::from_secs(60),
        clock: Arc::new(clock.clone()),
        ..SandboxConfig::default()
    })
    .await;
    let sc = sunshine(&sb, &http);
    let wa = "5f1e0c3a9b8d7e6f5a4b3c31";
    let t = Template {
        name: "delivery_window".into(),
        integrations: vec![wa.into()],
        language: "en_US".into(),
        header: Header { kind: HeaderKind::Text, text: "Order {{A-1042}}".into(), url: String::new() },
        body: "Hi **{{Clarice}}**, your parcel arrives _{{Monday}}_ between {{9:00}} and noon.\n\n- Track it online\n- Or reply to this message".into(),
        footer: "Reply STOP to unsubscribe".into(),
        buttons: vec![Button { kind: ButtonKind::Url, text: "Track".into(), value: "https://example.com/t/{{A-1042}}".into() }],
        ..Template::default()
    };
    assert!(
        !has_errors(&validate(&t, true, false)),
        "{:#?}",
        validate(&t, true, false)
    );
    let payload = meta_payload(&t).unwrap();
    assert_eq!(payload["components"][1]["text"], "Hi *{{1}}*, your parcel arrives _{{2}}_ between {{3}} and noon.\n\n- Track it online\n- Or reply to this message");
    assert_eq!(
        payload["components"][1]["example"]["body_text"][0],
        json!(["Clarice", "Monday", "9:00"])
    );
    assert_eq!(
        payload["components"][0]["example"]["header_text"],
        json!(["A-1042"])
    );
    assert_eq!(
        payload["components"][3]["buttons"][0]["url"],
        "https://example.com/t/{{1}}"
    );
    let created = sc
        .create_template(wa, &payload)
        .await
        .expect("the sandbox validates like Meta");
    assert_eq!(created.status, "PENDING");
    clock.advance(Duration::from_secs(61));
    let listed = sc.templates(wa).await.unwrap();
    assert_eq!(
        listed
            .iter()
            .find(|x| x.name == "delivery_window")
            .unwrap()
            .status,
        "APPROVED"
    );
}

/// A server that answers each request with the next canned response (status line and headers
/// given, body after), then closes the connection; `None` for the length sends none (the body
/// then ends with the connection).
async fn canned(responses: Vec<(&'static str, String, bool)>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        for (content_type, body, with_length) in responses {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let mut buf = vec![0u8; 16 * 1024];
            let mut got = Vec::new();
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = s.read(&mut buf).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            let length = if with_length {
                format!("content-length: {}\r\n", body.len())
            } else {
                String::new()
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\n{length}connection: close\r\n\r\n"
            );
            let _ = s.write_all(head.as_bytes()).await;
            let _ = s.write_all(body.as_bytes()).await;
            let _ = s.shutdown().await;
        }
    });
    base
}

fn zendesk_at(base: &str, policy: RetryPolicy) -> ZendeskClient {
    let settings = Settings {
        zendesk_subdomain: "acme".into(),
        zendesk_email: "admin@acme.test".into(),
        zendesk_custom_url: base.into(),
        ..Settings::default()
    };
    let http = Http::new(policy, Arc::new(RecordingSleeper::default()));
    ZendeskClient::new(http, &settings, "t").unwrap()
}

async fn export_all(
    zd: &ZendeskClient,
) -> Result<Vec<relay_core::clients::zendesk::UserPage>, relay_core::AppError> {
    let mut stream = Box::pin(zd.export_users("role:end-user", 100));
    let mut pages = Vec::new();
    while let Some(page) = stream.next().await {
        pages.push(page?);
    }
    Ok(pages)
}

#[tokio::test]
async fn a_link_off_the_service_is_not_followed() {
    let page = json!({"results": [{"id": 1, "name": "Ann"}], "meta": {"has_more": true},
        "links": {"next": "https://collector.example.net/api/v2/search/export.json?page%5Bafter%5D=x"}});
    let base = canned(vec![("application/json", page.to_string(), true)]).await;
    let zd = zendesk_at(&base, fast_policy());
    let err = export_all(&zd).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Unreachable);
    assert!(
        err.message.contains("collector.example.net"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("credentials"),
        "says why: {}",
        err.message
    );
}

#[tokio::test]
async fn answers_too_large_are_refused_with_or_without_a_length() {
    let big = format!(r#"{{"results": [], "padding": "{}"}}"#, "x".repeat(4096));
    let policy = RetryPolicy {
        max_body: 1024,
        ..fast_policy()
    };
    for with_length in [true, false] {
        let base = canned(vec![("application/json", big.clone(), with_length)]).await;
        let err = export_all(&zendesk_at(&base, policy.clone()))
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Unreachable);
        assert!(err.message.contains("larger than"), "{}", err.message);
    }
}

#[tokio::test]
async fn bad_data_from_zendesk_gets_a_clear_error_and_loses_nobody() {
    // A proxy's login page, with a 200.
    let base = canned(vec![(
        "text/html; charset=utf-8",
        "<html><body>Sign in to continue</body></html>".into(),
        true,
    )])
    .await;
    let err = export_all(&zendesk_at(&base, fast_policy()))
        .await
        .unwrap_err();
    assert!(err.message.contains("web page"), "{}", err.message);
    // JSON that is not JSON.
    let base = canned(vec![("application/json", "{\"results\": [".into(), true)]).await;
    let err = export_all(&zendesk_at(&base, fast_policy()))
        .await
        .unwrap_err();
    assert!(err.message.contains("not JSON"), "{}", err.message);
    // A user without an id, a phone that is a number, one that is a list.
    let page = json!({"results": [
            {"id": 1, "name": "Ann", "phone": 33612345678u64},
            {"name": "no id at all"},
            {"id": 3, "name": "Cy", "phone": ["+33612345679", "+33612345670"]},
            {"id": 4, "name": "Di", "phone": "+33612345671"}],
        "meta": {"has_more": false}, "links": {"next": null}});
    let base = canned(vec![("application/json", page.to_string(), true)]).await;
    let pages = export_all(&zendesk_at(&base, fast_policy())).await.unwrap();
    let users: Vec<_> = pages.iter().flat_map(|p| p.users.iter()).collect();
    assert_eq!(
        users
            .iter()
            .map(|u| (u.id, u.phone.clone()))
            .collect::<Vec<_>>(),
        vec![
            (1, Some("33612345678".into())),
            (3, Some(r#"["+33612345679","+33612345670"]"#.into())),
            (4, Some("+33612345671".into())),
        ],
        "every user kept, their numbers as text"
    );
    assert_eq!(
        pages.iter().map(|p| p.unreadable).sum::<u32>(),
        1,
        "the one without an id is counted"
    );
}

#[tokio::test]
async fn a_link_to_another_port_or_scheme_of_the_same_host_is_not_followed() {
    // The origin is scheme, host and port: the same host elsewhere is another service.
    for next in [
        "http://127.0.0.1:1/api/v2/search/export.json?page%5Bafter%5D=x",
        "https://127.0.0.1/api/v2/search/export.json?page%5Bafter%5D=x",
    ] {
        let page = json!({"results": [{"id": 1, "name": "Ann"}], "meta": {"has_more": true},
            "links": {"next": next}});
        let base = canned(vec![("application/json", page.to_string(), true)]).await;
        let err = export_all(&zendesk_at(&base, fast_policy()))
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Unreachable, "{next}");
        assert!(err.message.contains("credentials"), "{}", err.message);
    }
}

#[tokio::test]
async fn a_web_page_where_the_api_should_answer_is_refused_and_a_notification_may_be_sent() {
    // The sandbox answering like a proxy's sign-in page, with a 200.
    let (sb, _, http) = start(SandboxConfig {
        faults: Faults {
            rate_html: 1.0,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let err = zendesk(&sb, &http).groups().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Unreachable);
    assert!(
        err.message.contains("web page"),
        "says what: {}",
        err.message
    );
    let err = export_all(&zendesk(&sb, &http)).await.unwrap_err();
    assert!(err.message.contains("web page"), "{}", err.message);
    // A notification answered so may have reached the API behind it: never taken as sent, never
    // as certainly not sent.
    let body = bytes::Bytes::from(json!({"destination": {"integrationId": "x"}}).to_string());
    let failure = sunshine(&sb, &http)
        .send_notification(&body, None, None)
        .await
        .unwrap_err();
    assert!(failure.maybe_sent, "{}", failure.error.message);
    assert!(
        failure.error.message.contains("web page"),
        "{}",
        failure.error.message
    );
}

#[tokio::test]
async fn few_remaining_requests_slow_down_every_client_of_the_account() {
    // Two clients of one account (the app's audience fetch and its connection test, say) share
    // the gate: when the first sees few requests left, the second waits too.
    let (sb, sleeper, first) = rate_limited_sandbox(4, 3).await;
    let policy = RetryPolicy {
        low_remaining: 3,
        ..fast_policy()
    };
    let second = zendesk(&sb, &Http::new(policy, Arc::new(sleeper.clone())));
    first.groups().await.unwrap(); // 3 left
    first.groups().await.unwrap(); // 2 left: the gate closes
    assert!(sleeper.waits.lock().unwrap().is_empty());
    second.groups().await.unwrap();
    assert_eq!(
        *sleeper.waits.lock().unwrap(),
        vec![RetryPolicy::default().low_remaining_pause],
        "the other client waited at the shared gate"
    );
}

#[tokio::test]
async fn a_window_longer_than_the_policy_waits_fails_at_once_for_every_request() {
    let (sb, sleeper, http) = start(SandboxConfig {
        faults: Faults {
            rate_429: 1.0,
            retry_after_secs: 3600,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let zd = zendesk(&sb, &http);
    let err = zd.groups().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::RateLimited);
    assert!(err.message.contains("3600"), "{}", err.message);
    // The next request neither waits an hour nor reaches the server.
    let requests = |stats: &serde_json::Value| stats["requests"]["zendesk"].as_u64().unwrap();
    let before = requests(&support::send::sandbox_stats(&sb).await);
    let err = zd.me().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::RateLimited, "{}", err.message);
    assert!(sleeper.waits().is_empty(), "{:?}", sleeper.waits());
    let after = requests(&support::send::sandbox_stats(&sb).await);
    assert_eq!(after, before, "nothing sent inside the window");
}

#[tokio::test]
async fn a_request_tried_again_after_a_429_waits_for_its_turn_at_the_pace() {
    use relay_core::clients::http::{Idempotency, Pace, StopSignal};
    // Retry-After 1; then the pace has no turn left: the retry must wait there (not leave when
    // the window ends), until the run stops.
    let (sb, _, http) = start(SandboxConfig {
        faults: Faults {
            rate_429: 1.0,
            retry_after_secs: 1,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    // A pace with no turn left (the campaign's limiter, its permits spent).
    struct NoTurnLeft;
    impl relay_core::clients::http::Pacer for NoTurnLeft {
        fn ready(&self) -> BoxFuture<'_, ()> {
            Box::pin(std::future::pending())
        }
        fn try_take(&self) -> bool {
            false
        }
    }
    let pace = Pace(Arc::new(NoTurnLeft));
    let (raise, stop) = StopSignal::channel();
    let url = format!("{}/api/v2/groups.json", sb.base_url());
    let send = http.send_paced(
        Idempotency::Once,
        || http.request(reqwest::Method::GET, &url),
        Some(&stop),
        Some(&pace),
    );
    let stopper = async {
        // Well after the 1 s window (the recording sleeper does not wait it).
        tokio::time::sleep(Duration::from_millis(300)).await;
        let _ = raise.send(true);
    };
    let (result, ()) = tokio::join!(send, stopper);
    assert!(
        matches!(result, Err(relay_core::clients::http::Failure::Stopped)),
        "it waited for the pace, then gave up unsent: {result:?}"
    );
    let stats = support::send::sandbox_stats(&sb).await;
    assert_eq!(stats["requests"]["zendesk"], 1, "only the first try left");
}
