//! End to end: the real Relay window, driven over WebDriver.
//!
//! Journey: first run (English and French) → Settings → a bad value is refused with a field
//! error → settings and a secret are saved → the app is restarted → everything is still there,
//! the secret is in the Secret Service and in no file of the data folder → clearing the secret
//! removes it from the Secret Service. A screenshot of each screen goes to target/e2e-screenshots/.

mod common;
mod keyboard;

use common::*;

const TOKEN: &str = "e2eZendeskToken0123456789abcdefXYZ";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_and_secret_survive_a_restart_and_the_secret_stays_in_the_keychain() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let driver = Driver::start(&[("RELAY_DATA_DIR", &data)]);

    // ---- first launch -------------------------------------------------------------------
    let client = driver.open_app().await;
    until_text(&client, "h1", "Welcome to Relay").await;
    screenshot(&client, "01-first-run").await;

    // The language switch applies at once and is remembered.
    css(&client, "#first-run-language")
        .await
        .select_by_value("fr")
        .await
        .unwrap();
    until_text(&client, "h1", "Bienvenue dans Relay").await;
    screenshot(&client, "02-first-run-fr").await;
    css(&client, "#first-run-language")
        .await
        .select_by_value("en")
        .await
        .unwrap();
    until_text(&client, "h1", "Welcome to Relay").await;

    click(&client, "[data-action=setup]").await;
    until_text(&client, "h1", "Settings").await;
    screenshot(&client, "03-settings-empty").await;

    // Fill the workspace, with an out-of-range blackout: nothing may be saved.
    fill(&client, "#zendesk_subdomain", "https://Acme.zendesk.com/").await;
    fill(&client, "#zendesk_email", "admin@acme.com").await;
    fill(&client, "#sunshine_app_id", "5e4af71a81966cfff3ef6550").await;
    fill(&client, "#sunshine_key_id", "app_5e4af71a81966cfff3ef6551").await;
    fill(&client, "#default_country", "fr").await;
    fill(&client, "#blackout_days", "400").await;
    click(&client, "[data-action=save-settings]").await;
    until_text(&client, "[data-field-error=blackout_days]", "365").await;
    until_text(
        &client,
        "[data-testid=settings-notice]",
        "Nothing was saved",
    )
    .await;
    screenshot(&client, "04-settings-field-error").await;
    assert!(
        !data.join("settings.json").exists()
            || !std::fs::read_to_string(data.join("settings.json"))
                .unwrap()
                .contains("acme"),
        "a refused save must not write the settings file"
    );

    fill(&client, "#blackout_days", "14").await;
    click(&client, "[data-action=save-settings]").await;
    until_text(&client, "[data-testid=settings-notice]", "Settings saved").await;
    // The subdomain was normalized by the core, and the form shows the saved value.
    assert_eq!(value_of(&client, "#zendesk_subdomain").await, "acme");
    assert_eq!(value_of(&client, "#default_country").await, "FR");

    // The secret goes to the keychain; the UI learns only "Set".
    assert_eq!(
        text_of(&client, "[data-testid=secret-status-zendesk_api_token]").await,
        "Not set"
    );
    fill(&client, "#secret-zendesk_api_token", TOKEN).await;
    click(&client, "[data-action=save-secret-zendesk_api_token]").await;
    until(
        &client,
        "secret status Set",
        "document.querySelector('[data-testid=secret-status-zendesk_api_token]').dataset.set === 'true'",
    )
    .await;
    assert_eq!(
        value_of(&client, "#secret-zendesk_api_token").await,
        "",
        "the input is emptied after saving"
    );
    let page = client.source().await.unwrap();
    assert!(
        !page.contains(TOKEN),
        "the secret must not be in the page after saving"
    );
    screenshot(&client, "05-settings-saved").await;

    click(&client, "[data-nav=templates]").await;
    until_text(&client, "h1", "Templates").await;
    until_text(&client, "[data-testid=workspace-indicator]", "acme").await;
    screenshot(&client, "06-templates-empty").await;
    click(&client, "[data-nav=campaigns]").await;
    until_text(&client, "h1", "New campaign").await;
    screenshot(&client, "07-campaigns-empty").await;
    client.close().await.unwrap();

    // ---- what is on disk, and in the keychain ----------------------------------------------
    let settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("settings.json")).unwrap())
            .unwrap();
    assert_eq!(settings["zendesk_subdomain"], "acme");
    assert_eq!(settings["blackout_days"], 14);
    assert_eq!(settings["first_run_done"], true);
    assert!(
        data.join("relay.sqlite3").exists(),
        "the database lives in the data folder"
    );
    assert_secret_absent(&data, TOKEN);
    let dump = secret_service_dump();
    assert!(
        dump.contains(TOKEN),
        "the token must be in the Secret Service: {dump}"
    );
    assert!(
        dump.contains("zendesk_api_token"),
        "filed under its account name: {dump}"
    );

    // ---- second launch: everything persisted -----------------------------------------------
    let client = driver.open_app().await;
    // No first-run screen any more: the main window opens on Templates.
    until_text(&client, "h1", "Templates").await;
    click(&client, "[data-nav=settings]").await;
    until_text(&client, "h1", "Settings").await;
    until(
        &client,
        "subdomain loaded",
        "document.querySelector('#zendesk_subdomain').value === 'acme'",
    )
    .await;
    assert_eq!(value_of(&client, "#blackout_days").await, "14");
    assert_eq!(value_of(&client, "#zendesk_email").await, "admin@acme.com");
    assert_eq!(
        text_of(&client, "[data-testid=secret-status-zendesk_api_token]").await,
        "Set"
    );
    assert_eq!(
        text_of(&client, "[data-testid=schema-version]").await,
        relay_core::storage::latest_schema_version().to_string()
    );
    screenshot(&client, "08-settings-after-restart").await;

    // Clearing removes it from the keychain.
    click(&client, "[data-action=clear-secret-zendesk_api_token]").await;
    until(
        &client,
        "secret status Not set",
        "document.querySelector('[data-testid=secret-status-zendesk_api_token]').dataset.set === 'false'",
    )
    .await;
    client.close().await.unwrap();
    let dump = secret_service_dump();
    assert!(
        !dump.contains(TOKEN),
        "a cleared secret must leave the Secret Service: {dump}"
    );
    assert_secret_absent(&data, TOKEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dark_theme_and_keyboard_navigation() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // A workspace that already left the first-run screen, written the way the CLI writes it.
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        data.join("settings.json"),
        r#"{"first_run_done": true, "theme": "dark", "language": "fr"}"#,
    )
    .unwrap();
    let driver = Driver::start(&[("RELAY_DATA_DIR", &data)]);
    let client = driver.open_app().await;
    until_text(&client, "h1", "Modèles").await;
    assert_eq!(
        until(
            &client,
            "theme applied",
            "document.documentElement.dataset.theme"
        )
        .await,
        "dark"
    );
    // Ctrl+4 opens Settings, Ctrl+2 Campaigns: the main screens are reachable from the keyboard.
    let body = css(&client, "body").await;
    body.send_keys(&format!("{}4", '\u{E009}')).await.unwrap();
    until_text(&client, "h1", "Paramètres").await;
    screenshot(&client, "09-settings-dark-fr").await;
    let body = css(&client, "body").await;
    body.send_keys(&format!("{}2", '\u{E009}')).await.unwrap();
    until_text(&client, "h1", "Nouvelle campagne").await;
    client.close().await.unwrap();
}

/// Settings → About in the window: the update address given, *Check for updates* finds a newer
/// Relay on a loopback server, and *Install* refuses its package, signed by a key that is not
/// Relay's (nothing installed, the reason said).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_is_found_and_a_package_not_signed_by_relay_is_refused() {
    use base64::Engine;
    let b64 = |s: String| base64::engine::general_purpose::STANDARD.encode(s);
    let package = b"not Relay".to_vec();
    let stranger = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let signature = minisign::sign(
        Some(&stranger.pk),
        &stranger.sk,
        std::io::Cursor::new(&package),
        Some("timestamp:1764720000\tfile:relay.deb\tversion:0.2.0"),
        None,
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let manifest = serde_json::json!({
        "version": "0.2.0",
        "notes": "Quiet hours in each recipient's time zone, and scheduled campaigns.",
        "pub_date": "2026-12-01T09:00:00Z",
        "platforms": { tauri_plugin_updater::target().unwrap(): {
            "signature": b64(signature.to_string()),
            "url": format!("{base}/relay.deb"),
        } }
    });
    let app = axum::Router::new()
        .route(
            "/latest.json",
            axum::routing::get(move || async move { axum::Json(manifest) }),
        )
        .route(
            "/relay.deb",
            axum::routing::get(move || async move { package }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        data.join("settings.json"),
        r#"{"first_run_done": true, "language": "en"}"#,
    )
    .unwrap();
    let driver = Driver::start(&[("RELAY_DATA_DIR", &data)]);
    let client = driver.open_app().await;
    until_text(&client, "h1", "Templates").await;
    let body = css(&client, "body").await;
    body.send_keys(&format!("{}4", '\u{E009}')).await.unwrap();
    until_text(&client, "h1", "Settings").await;
    // No address of its own (not a release build): checking says so.
    click(&client, "[data-action=check-update]").await;
    until_text(&client, "[data-testid=update-error]", "no update address").await;
    fill(&client, "#update_url", &format!("{base}/latest.json")).await;
    click(&client, "[data-action=save-update-url]").await;
    until_text(
        &client,
        "[data-testid=update-url-saved]",
        "Update address saved",
    )
    .await;
    click(&client, "[data-action=check-update]").await;
    until_text(
        &client,
        "[data-testid=update-status]",
        "Relay 0.2.0 is available",
    )
    .await;
    click(&client, "[data-action=install-update]").await;
    until_text(
        &client,
        "[data-testid=update-error]",
        "signature does not match",
    )
    .await;
    client
        .execute(
            "document.getElementById('s-about').scrollIntoView({block: 'start'})",
            vec![],
        )
        .await
        .unwrap();
    screenshot(&client, "28-settings-about").await;
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_workspace_opens_in_the_window_and_keeps_its_secrets_in_the_keychain() {
    let tmp = tempfile::tempdir().unwrap();
    let (_driver, client, data) = in_demo(tmp.path()).await;
    until_text(&client, "h1", "Templates").await;
    until_text(&client, "[data-testid=workspace-indicator]", "relay-demo").await;
    screenshot(&client, "10-demo-templates").await;

    click(&client, "[data-nav=settings]").await;
    until(
        &client,
        "demo settings",
        "document.querySelector('#zendesk_subdomain').value === 'relay-demo'",
    )
    .await;
    assert_eq!(
        text_of(&client, "[data-testid=secret-status-zendesk_api_token]").await,
        "Set"
    );
    assert!(
        css(&client, "[data-testid=demo-badge]")
            .await
            .is_displayed()
            .await
            .unwrap(),
        "Demo on every screen"
    );
    screenshot(&client, "11-demo-settings").await;

    // Test connection: every check passes against the demo's sandbox.
    click(&client, "[data-action=test-connection]").await;
    until_text(
        &client,
        "[data-testid=connection-summary]",
        "Everything works",
    )
    .await;
    for check in [
        "zendesk_reachable",
        "zendesk_token",
        "zendesk_access",
        "team_store",
        "sunshine_key",
        "integrations",
    ] {
        let status = css(&client, &format!("[data-check={check}]"))
            .await
            .attr("data-status")
            .await
            .unwrap();
        assert_eq!(status.as_deref(), Some("ok"), "{check}");
    }
    screenshot(&client, "12-demo-connection-test").await;

    // The integrations, with their numbers and rates.
    click(&client, "[data-nav=integrations]").await;
    until(
        &client,
        "integration rows",
        "document.querySelectorAll('[data-integration]').length === 4",
    )
    .await;
    until_text(&client, "table", "+15145550100").await;
    screenshot(&client, "13-integrations").await;

    // Design a template: live problems, the WhatsApp preview, saved locally as you type.
    click(&client, "[data-nav=templates]").await;
    click(&client, "[data-action=new-template]").await;
    fill(&client, "#tpl-name", "delivery_update").await;
    fill(&client, "#tpl-body", "Hi **{{Clarice}}**, your parcel arrives _{{Monday}}_ before noon.\n\n- Track it online\n- Or reply here").await;
    until_text(&client, "[data-testid=whatsapp-bubble]", "Clarice").await;
    until(
        &client,
        "bold in the bubble",
        "!!document.querySelector('[data-testid=whatsapp-bubble] strong')",
    )
    .await;
    until_text(&client, "[data-testid=save-state]", "Saved").await;
    screenshot(&client, "14-template-designer").await;
    click(&client, "[data-channel=sms]").await;
    until_text(&client, "[data-testid=sms-info]", "GSM-7").await;

    // Submit it to WhatsApp Support and Twilio: in review on WhatsApp, ready at once for SMS.
    click(
        &client,
        "[data-integration-option='5f1e0c3a9b8d7e6f5a4b3c31']",
    )
    .await;
    click(
        &client,
        "[data-integration-option='5f1e0c3a9b8d7e6f5a4b3c33']",
    )
    .await;
    until(
        &client,
        "submit enabled",
        "document.querySelector('[data-action=submit-template]')?.disabled === false",
    )
    .await;
    click(&client, "[data-action=submit-template]").await;
    until_text(
        &client,
        "[data-testid=template-states]",
        "WhatsApp Support: in review",
    )
    .await;
    until_text(
        &client,
        "[data-testid=template-states]",
        "Twilio SMS: ready",
    )
    .await;
    screenshot(&client, "16-template-submitted").await;
    click(&client, "[data-action=back-to-templates]").await;
    until(
        &client,
        "the submitted template in the list",
        "!!document.querySelector('[data-template=delivery_update] [data-status=PENDING]')",
    )
    .await;
    screenshot(&client, "15-templates-list").await;

    // Meta's (simulated) review takes 5 s in the demo: sync until it is approved.
    let start = std::time::Instant::now();
    loop {
        click(&client, "[data-action=sync-templates]").await;
        until(
            &client,
            "the sync to end",
            "document.querySelector('[data-action=sync-templates]')?.disabled === false",
        )
        .await;
        let approved = client
            .execute(
                "return !!document.querySelector('[data-template=delivery_update] [data-status=APPROVED]');",
                vec![],
            )
            .await
            .unwrap();
        if approved == serde_json::Value::Bool(true) {
            break;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "still not approved after 30 s of syncing"
        );
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    }
    until_text(&client, "[data-testid=last-synced]", "last synced").await;
    until(
        &client,
        "WhatsApp-only templates listed",
        "!!document.querySelector('[data-remote-template=order_shipped]')",
    )
    .await;
    screenshot(&client, "17-templates-synced").await;

    // ---- The campaign wizard, steps 1 to 4 ------------------------------------------------
    // 1. The approved template, through WhatsApp Support (Twilio is ready too; the template that
    //    is only in review cannot be chosen).
    click(&client, "[data-nav=campaigns]").await;
    until_text(&client, "h1", "New campaign").await;
    click(&client, "[data-template-option=delivery_update]").await;
    click(
        &client,
        "[data-integration-choice='5f1e0c3a9b8d7e6f5a4b3c31']",
    )
    .await;
    screenshot(&client, "18-campaign-template").await;
    click(&client, "[data-action=wizard-next]").await;

    // 2. The audience: Zendesk's error for a bad query, then a live count and a sample.
    fill(&client, "#audience-query", "created>someday").await;
    until(
        &client,
        "the query refused",
        "document.querySelector('#audience-query').getAttribute('aria-invalid') === 'true'",
    )
    .await;
    until_text(&client, "[data-testid=audience-count]", "someday").await;
    fill(&client, "#audience-query", "role:end-user").await;
    until_text(&client, "[data-testid=audience-count]", "users match").await;
    until(
        &client,
        "the sample",
        "document.querySelectorAll('[data-testid=audience-sample] tbody tr').length > 0",
    )
    .await;
    let matched: u32 = text_of(&client, "[data-testid=audience-count]")
        .await
        .split_whitespace()
        .next()
        .unwrap()
        .replace([',', '\u{a0}', '\u{202f}'], "")
        .parse()
        .unwrap();
    assert!(
        matched > 900,
        "the demo has about a thousand end users: {matched}"
    );
    screenshot(&client, "19-campaign-audience").await;
    click(&client, "[data-action=fetch-audience]").await;

    // 3. Exclusions: counts by reason, lists, and removing someone by hand.
    until(
        &client,
        "the exclusions step",
        "!!document.querySelector('[data-testid=eligible-count]')",
    )
    .await;
    let count = |reason: &str| number_in(&client, format!("[data-count={reason}]"));
    let eligible_before = number_in(&client, "[data-testid=eligible-count]".into()).await;
    assert!(count("no_phone").await > 0 && count("invalid_phone").await > 0);
    assert!(count("duplicate_phone").await > 0);
    until(
        &client,
        "the allowed list",
        "document.querySelectorAll('[data-testid=member-table] [data-user]').length > 5",
    )
    .await;
    screenshot(&client, "20-campaign-exclusions").await;
    click(
        &client,
        "[data-testid=member-table] [data-user] input[type=checkbox]",
    )
    .await;
    click(&client, "[data-member-action=remove]").await;
    until_text(&client, "[data-count=removed]", "1").await;
    let eligible_after = number_in(&client, "[data-testid=eligible-count]".into()).await;
    assert_eq!(
        eligible_after,
        eligible_before - 1,
        "the count follows at once"
    );
    // The right number: a letter typed for a digit is refused and said; lines a message cannot
    // reach are left out, fixed lines included on request.
    click(&client, "[data-filter-reason=invalid_phone]").await;
    until(
        &client,
        "a number with a letter in it, said",
        "[...document.querySelectorAll('[data-testid=member-table] [data-user]')].some(r => r.textContent.includes('it contains letters'))",
    )
    .await;
    screenshot(&client, "20b-invalid-numbers").await;
    // Relay hears "no": the demo's users who replied STOP are left out, with the reply.
    assert!(
        count("opted_out").await > 0,
        "the demo has replies that opt out"
    );
    click(&client, "[data-filter-reason=opted_out]").await;
    until(
        &client,
        "a member who replied STOP, with the evidence",
        "[...document.querySelectorAll('[data-testid=member-table] [data-user]')].some(r => r.textContent.includes('ticket #'))",
    )
    .await;
    screenshot(&client, "20c-opted-out-member").await;
    let cannot = count("cannot_receive").await;
    assert!(cannot > 0, "the demo has landlines");
    click(&client, "[data-filter-reason=cannot_receive]").await;
    until(
        &client,
        "lines that cannot receive, with their kind",
        "[...document.querySelectorAll('[data-testid=member-table] [data-user]')].some(r => r.textContent.includes('fixed line'))",
    )
    .await;
    click(&client, "[data-testid=include-fixed-lines]").await;
    until(
        &client,
        "fixed lines included",
        &format!("Number(document.querySelector('[data-count=cannot_receive]').textContent.replace(/\\D/g, '')) < {cannot}"),
    )
    .await;
    click(&client, "[data-testid=include-fixed-lines]").await;
    until_text(&client, "[data-count=cannot_receive]", &cannot.to_string()).await;

    // 4. Field mapping: a user field and a static value, and a recipient's message.
    click(&client, "[data-step='4']").await;
    until(
        &client,
        "the mapping step",
        "!!document.querySelector('[data-source-for=Clarice]')",
    )
    .await;
    client
        .execute(
            "const s = document.querySelector('[data-source-for=Clarice]'); s.value = 'field:first_name'; s.dispatchEvent(new Event('change', { bubbles: true }));\
             const m = document.querySelector('[data-source-for=Monday]'); m.value = 'static'; m.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![],
        )
        .await
        .unwrap();
    fill(&client, "[data-static-for=Monday]", "on Monday").await;
    until_text(
        &client,
        "[data-testid=ready-count]",
        "recipients will receive",
    )
    .await;
    until_text(&client, "[data-testid=whatsapp-bubble]", "on Monday").await;
    let who = text_of(&client, "[data-testid=preview-who]").await;
    let first = who
        .trim_start_matches("Preview for ")
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    until_text(&client, "[data-testid=whatsapp-bubble]", &first).await;
    screenshot(&client, "21-campaign-mapping").await;

    // A number never to message (Settings), then "Check again": the audience leaves it out.
    click(&client, "[data-step='3']").await;
    click(&client, "[data-filter-reason=eligible]").await;
    until(
        &client,
        "the allowed list",
        "!!document.querySelector('[data-testid=member-table] [data-user]')",
    )
    .await;
    let phone = client
        .execute(
            "return document.querySelector('[data-testid=member-table] [data-user] [role=cell]:nth-child(4)').textContent.trim();",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    assert!(phone.starts_with('+'), "{phone}");
    // An entry an earlier Relay made, when a typed letter could be read as a keypad digit: what
    // was typed is not known, so it is listed as suspect.
    let db = relay_core::storage::Database::open(&data.join("demo/relay.sqlite3")).unwrap();
    db.write(|tx| {
        tx.execute(
            "INSERT INTO suppressed (phone, note, added_at) VALUES ('+33662345678', 'imported in 2024', 1)",
            [],
        )?;
        Ok(())
    })
    .unwrap();
    drop(db);
    click(&client, "[data-nav=settings]").await;
    until_text(&client, "[data-testid=suppress-suspects]", "+33662345678").await;
    fill(&client, "[data-testid=suppress-numbers]", &phone).await;
    fill(&client, "[data-testid=suppress-note]", "asked by phone").await;
    click(&client, "[data-action=suppress-add]").await;
    until_text(&client, "[data-testid=suppressed-list]", &phone).await;
    client
        .execute(
            "const m = document.querySelector('#main'); const el = document.querySelector('#s-suppressed');\
             m.scrollTop += el.getBoundingClientRect().top - m.getBoundingClientRect().top - 16;",
            vec![],
        )
        .await
        .unwrap();
    screenshot(&client, "22-suppression-list").await;
    // Settings → Consent: the trigger in place, the opt-outs read, a reply waiting for a decision.
    until_text(&client, "[data-testid=optouts-trigger]", "active").await;
    until(
        &client,
        "a maybe to decide",
        "document.querySelectorAll('[data-testid=optouts-maybe] li').length > 0",
    )
    .await;
    client
        .execute(
            "const m = document.querySelector('#main'); const el = document.querySelector('#s-optouts');\
             m.scrollTop += el.getBoundingClientRect().top - m.getBoundingClientRect().top - 16;",
            vec![],
        )
        .await
        .unwrap();
    screenshot(&client, "22b-consent-settings").await;
    // Kept as the right number: no longer suspect.
    click(&client, "[data-suspect='+33662345678'] button").await;
    until(
        &client,
        "the suspect entry trusted",
        "!document.querySelector('[data-testid=suppress-suspects]')",
    )
    .await;
    click(&client, "[data-nav=campaigns]").await;
    click(&client, "[data-action=recheck]").await;
    until_text(&client, "[data-count=suppressed]", "1").await;

    // The demo's own data folder points at a live sandbox; its secrets are in the keychain only.
    let demo_settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("demo/settings.json")).unwrap())
            .unwrap();
    let base = demo_settings["zendesk_custom_url"]
        .as_str()
        .unwrap()
        .to_string();
    let info: serde_json::Value = reqwest::get(format!("{base}/_sandbox/info"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = info["zendesk_token"].as_str().unwrap();
    assert!(
        secret_service_dump().contains(token),
        "the demo token is in the Secret Service"
    );
    assert_secret_absent(&data, token);
    assert_secret_absent(&data, info["key_secret"].as_str().unwrap());

    click(&client, "[data-action=leave-demo]").await;
    until_text(&client, "h1", "Welcome to Relay").await;
    client.close().await.unwrap();
    assert!(
        reqwest::get(format!("{base}/_sandbox/info")).await.is_err(),
        "leaving stops the demo's sandbox"
    );
}

/// The whole journey of a campaign in the window, on the demo: template → audience → mapping →
/// review (a test message, a dry run) → send at 50/s → progress → report → CSV; then the same
/// message again: everyone is blacked out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_is_sent_from_the_window_and_the_same_message_again_is_blacked_out() {
    let tmp = tempfile::tempdir().unwrap();
    let (_driver, client, data) = in_demo(tmp.path()).await;

    let demo = data.join("demo");
    approved_template(&demo, tmp.path(), "parcel_ready").await;
    let query = "role:end-user tags:whatsapp_optin -tags:sms_optin";
    let client = through_mapping(client, "parcel_ready", query).await;
    until_text(
        &client,
        "[data-testid=ready-count]",
        "recipients will receive",
    )
    .await;
    let eligible = number_in(&client, "[data-testid=ready-count]".into()).await;
    assert!(
        (100..=300).contains(&eligible),
        "about 150 recipients: {eligible}"
    );

    // 5. Review: the count, the duration at 50/s, a test to a typed number, a dry run.
    until(
        &client,
        "the review step reachable",
        "!document.querySelector('[data-step=\"5\"]').disabled",
    )
    .await;
    click(&client, "[data-action=wizard-next]").await;
    until_text(&client, "[data-testid=review-template]", "parcel_ready").await;
    assert_eq!(
        number_in(&client, "[data-testid=review-count]".into()).await,
        eligible
    );
    fill(&client, "#review-rate", "50").await;
    fill(&client, "#test-phone", "not a number").await;
    click(&client, "[data-action=send-test]").await;
    until_text(&client, "[data-testid=test-error]", "contains letters").await;
    fill(&client, "#test-phone", "+447400123456").await;
    click(&client, "[data-action=send-test]").await;
    until_text(&client, "[data-testid=test-result]", "Test sent").await;
    click(&client, "[data-action=dry-run]").await;
    until_text(&client, "[data-testid=dry-run-result]", "messages written").await;
    let dry_path = text_of(&client, "[data-testid=dry-run-result] code").await;
    let dry = std::fs::read_to_string(&dry_path).unwrap();
    assert_eq!(
        dry.lines().count() as u64,
        eligible + 1,
        "a header and a line each"
    );
    assert!(dry.contains("at the Main Street shop"));
    screenshot(&client, "23-campaign-review").await;

    // Send: one click, then a confirmation with the count.
    click(&client, "[data-action=send]").await;
    until_text(
        &client,
        "#confirm-text",
        &format!("Send {eligible} messages"),
    )
    .await;
    click(&client, "[data-action=confirm-send]").await;
    until(
        &client,
        "the send under way",
        "Number((document.querySelector('[data-count=sent]') || {}).textContent || 0) >= 40",
    )
    .await;
    assert_eq!(
        attr(&client, "[data-testid=campaign-status]", "data-status").await,
        "running"
    );
    screenshot(&client, "24-campaign-progress").await;
    until(
        &client,
        "the campaign completed",
        "(document.querySelector('[data-testid=campaign-status]') || {}).dataset?.status === 'completed'",
    )
    .await;
    until(
        &client,
        "everyone sent",
        &format!("Number(document.querySelector('[data-count=sent]').textContent.replace(/\\D/g, '')) === {eligible}"),
    )
    .await;
    assert_eq!(number_in(&client, "[data-count=failed]".into()).await, 0);
    assert_eq!(number_in(&client, "[data-count=remaining]".into()).await, 0);

    // The report: filters, then the CSV.
    click(&client, "[data-filter=skipped]").await;
    until(
        &client,
        "skipped recipients listed",
        "!!document.querySelector('[data-testid=recipient-table] [data-state=skipped]')",
    )
    .await;
    click(&client, "[data-filter=sent]").await;
    until(
        &client,
        "sent recipients listed",
        "!!document.querySelector('[data-testid=recipient-table] [data-state=sent]') && !document.querySelector('[data-testid=recipient-table] [data-state=skipped]')",
    )
    .await;
    click(&client, "[data-action=export-csv]").await;
    until_text(&client, "[data-testid=export-result]", "recipients written").await;
    screenshot(&client, "25-campaign-report").await;
    let csv_path = text_of(&client, "[data-testid=export-result] code").await;
    let report = std::fs::read_to_string(&csv_path).unwrap();
    assert_eq!(
        report.lines().filter(|l| l.contains(",sent,")).count() as u64,
        eligible
    );

    // The sandbox got each message once, plus the test.
    let settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(demo.join("settings.json")).unwrap())
            .unwrap();
    let base = settings["zendesk_custom_url"].as_str().unwrap().to_string();
    let log: serde_json::Value = reqwest::get(format!("{base}/_sandbox/notifications"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let log = log["notifications"].as_array().unwrap();
    assert_eq!(log.len() as u64, eligible + 1);
    let distinct: std::collections::HashSet<_> =
        log.iter().map(|n| n["destination_id"].as_str()).collect();
    assert_eq!(distinct.len(), log.len(), "nobody got two messages");

    // The history: the campaign and the test.
    click(&client, "[data-tab=history]").await;
    until(
        &client,
        "the history",
        "document.querySelectorAll('[data-testid=campaign-history] tbody tr').length === 2",
    )
    .await;
    screenshot(&client, "26-campaign-history").await;

    // The same message again: everyone it just reached is blacked out.
    let client = through_mapping(client, "parcel_ready", query).await;
    until_text(
        &client,
        "#main",
        &format!("blackout (same message lately): {eligible}"),
    )
    .await;
    click(&client, "[data-step='3']").await;
    until(
        &client,
        "the blackout counted",
        &format!("Number((document.querySelector('[data-count=blackout]') || {{}}).textContent?.replace(/\\D/g, '') || 0) === {eligible}"),
    )
    .await;
    assert_eq!(
        number_in(&client, "[data-testid=eligible-count]".into()).await,
        0
    );
    screenshot(&client, "27-campaign-blacked-out").await;
    click(&client, "[data-action=leave-demo]").await;
    until_text(&client, "h1", "Welcome to Relay").await;
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_scheduled_a_minute_ahead_is_sent_at_its_time_with_relay_in_the_tray() {
    let tmp = tempfile::tempdir().unwrap();
    let (_driver, client, data) = in_demo(tmp.path()).await;
    let demo = data.join("demo");
    approved_template(&demo, tmp.path(), "pickup_soon").await;
    let query = "role:end-user tags:whatsapp_optin -tags:sms_optin";
    let client = through_mapping(client, "pickup_soon", query).await;
    until(
        &client,
        "the review step reachable",
        "!document.querySelector('[data-step=\"5\"]').disabled",
    )
    .await;
    click(&client, "[data-action=wizard-next]").await;
    until_text(&client, "[data-testid=review-template]", "pickup_soon").await;
    let eligible = number_in(&client, "[data-testid=review-count]".into()).await;
    until(
        &client,
        "the timing card",
        "!!document.querySelector('[data-testid=timing-preview]')",
    )
    .await;

    // Quiet hours, in each recipient's zone: the review foresees who is in them; and a time two
    // minutes ahead, shown in UTC too.
    let quiet = |hours: &str| {
        format!("const q = document.querySelector('#quiet-hours'); q.value = '{hours}'; q.dispatchEvent(new Event('input', {{ bubbles: true }})); return true;")
    };
    client.execute(&quiet("21:00-08:00"), vec![]).await.unwrap();
    click(&client, "[data-action=schedule-mode]").await;
    let at: i64 = client
        .execute(
            "const d = new Date(Date.now() + 120000); d.setSeconds(0, 0);\
             const p = (n) => String(n).padStart(2, '0');\
             const v = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;\
             const i = document.querySelector('#schedule-at'); i.value = v; i.dispatchEvent(new Event('input', { bubbles: true }));\
             return d.getTime();",
            vec![],
        )
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    until_text(&client, "[data-testid=schedule-utc]", "UTC").await;
    until(
        &client,
        "the timing foreseen",
        "!!document.querySelector('[data-testid=quiet-now]')",
    )
    .await;
    until_text(&client, "[data-action=send]", "Schedule for").await;
    client
        .execute(
            "document.querySelector('[data-testid=timing-preview]').scrollIntoView({ block: 'center' }); return true;",
            vec![],
        )
        .await
        .unwrap();
    screenshot(&client, "30-review-schedule").await;
    // Sent without quiet hours (at any hour of the day this test runs, all at once).
    client.execute(&quiet(""), vec![]).await.unwrap();
    until(
        &client,
        "no quiet hours foreseen",
        "!document.querySelector('[data-testid=quiet-now]')",
    )
    .await;
    click(&client, "[data-action=send]").await;
    until_text(
        &client,
        "#confirm-text",
        &format!("Schedule {eligible} messages"),
    )
    .await;
    click(&client, "[data-action=confirm-send]").await;
    until(
        &client,
        "the campaign scheduled",
        "(document.querySelector('[data-testid=campaign-status]') || {}).dataset?.status === 'scheduled'",
    )
    .await;
    until_text(&client, "[data-testid=scheduled-at]", "UTC").await;

    // In the history as scheduled, with Relay in the tray while it waits.
    click(&client, "[data-tab=history]").await;
    until(
        &client,
        "scheduled in the history",
        "!!document.querySelector('[data-testid=campaign-history] [data-status=scheduled]')",
    )
    .await;
    screenshot(&client, "31-history-scheduled").await;
    click(&client, "[data-nav=settings]").await;
    until(
        &client,
        "Relay in the tray",
        "(document.querySelector('[data-testid=tray-status]') || {}).dataset?.tray === 'true'",
    )
    .await;
    let listed = relay(&demo, &["--json", "schedule", "list"], None);
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed[0]["status"], "scheduled");
    assert_eq!(listed[0]["scheduled_at"], at.to_string());
    assert!(
        chrono_now_ms() < at,
        "nothing is sent before its time (the check ran early enough)"
    );

    // At its time the app sends it on its own: the history shows it completed.
    click(&client, "[data-nav=campaigns]").await;
    click(&client, "[data-tab=history]").await;
    let log = data.join("logs").join("relay.log");
    let _print_log_on_failure = PrintOnPanic(log);
    until_long(
        &client,
        "the scheduled campaign sent",
        "!!document.querySelector('[data-testid=campaign-history] [data-status=completed]')",
        std::time::Duration::from_secs(200),
    )
    .await;
    assert!(chrono_now_ms() >= at, "sent at its time, not before");
    let shown = relay(&demo, &["--json", "campaigns", "list"], None);
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown[0]["status"], "completed");
    assert_eq!(shown[0]["counts"]["sent"], eligible);
    let started: i64 = shown[0]["started_at"].as_str().unwrap().parse().unwrap();
    assert!(started >= at, "started at {started}, scheduled for {at}");
    // The demo can be left once the app's send has let go of it (its last push to the team's
    // store may still be under way when the history says completed).
    until(
        &client,
        "the demo left",
        "(() => { const h = document.querySelector('h1'); if (h && h.textContent.includes('Welcome to Relay')) return true;\
                  const b = document.querySelector('[data-action=leave-demo]'); if (b && !b.dataset.tried) { b.dataset.tried = '1'; b.click(); setTimeout(() => { delete b.dataset.tried; }, 1000); } return false; })()",
    )
    .await;
    client.close().await.unwrap();
}

/// Prints a log file if the test fails while it is alive.
struct PrintOnPanic(std::path::PathBuf);

impl Drop for PrintOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "{}:\n{}",
                self.0.display(),
                std::fs::read_to_string(&self.0).unwrap_or_default()
            );
        }
    }
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Two desktops on the demo workspace: a second data folder on the demo's account sends the
/// message from the command line; the window, at its next sync, blacks out everyone it reached
/// and shows its campaign under History → On other desktops (who, from which desktop, counts);
/// a team policy published from the window applies on the other desktop, which then refuses a
/// local change of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_desktops_on_the_demo_workspace_see_each_others_campaigns_blackouts_and_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let (_driver, client, data) = in_demo(tmp.path()).await;
    let demo = data.join("demo");
    approved_template(&demo, tmp.path(), "parcel_ready").await;

    // The other desktop: its own data folder, connected to the demo's account.
    let settings: serde_json::Value =
        serde_json::from_slice(&std::fs::read(demo.join("settings.json")).unwrap()).unwrap();
    let base = settings["zendesk_custom_url"].as_str().unwrap();
    let other = tmp.path().join("other");
    let ok = |out: std::process::Output| {
        assert!(
            out.status.success(),
            "{} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    ok(relay(&other, &["setup", "--sandbox", base], None));
    let file = tmp.path().join("parcel_ready.json");
    // The same template, saved there and found approved by a sync (submitted by the demo).
    ok(relay(
        &other,
        &["template", "save", file.to_str().unwrap()],
        None,
    ));
    ok(relay(&other, &["template", "list", "--sync"], None));
    let query = "role:end-user tags:whatsapp_optin -tags:sms_optin";
    let sent = ok(relay(
        &other,
        &[
            "--json",
            "send",
            "--query",
            query,
            "--template",
            "parcel_ready",
            "--integration",
            "5f1e0c3a9b8d7e6f5a4b3c31",
            "--map",
            "Ann=field:first_name",
            "--map",
            "2=static:at the Main Street shop",
            "--rate",
            "200",
            "--yes",
        ],
        None,
    ));
    let last = String::from_utf8_lossy(&sent.stdout)
        .lines()
        .last()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .unwrap();
    let reached = last["campaign"]["counts"]["sent"].as_u64().unwrap();
    assert!(reached > 50, "{last}");

    // The window's check pulls the team's ledger: everyone the other desktop reached is blacked out.
    let client = through_mapping(client, "parcel_ready", query).await;
    click(&client, "[data-step='3']").await;
    until(
        &client,
        "the other desktop's sends blacked out",
        &format!("Number((document.querySelector('[data-count=blackout]') || {{}}).textContent?.replace(/\\D/g, '') || 0) === {reached}"),
    )
    .await;
    // History: nothing sent here, the other desktop's campaign under "On other desktops".
    click(&client, "[data-tab=history]").await;
    until_text(&client, "[data-testid=team-history]", "parcel_ready").await;
    let row = text_of(&client, "[data-testid=team-history] tbody tr").await;
    assert!(
        row.to_lowercase().contains("completed") && row.contains("admin@relay-demo.test"),
        "{row}"
    );
    assert!(row.contains(&reached.to_string()), "{row}");
    screenshot(&client, "32-history-other-desktops").await;

    // A team policy published from the window: the other desktop applies it at its next sync.
    click(&client, "[data-nav=settings]").await;
    click(&client, "[data-action=edit-policy]").await;
    fill(&client, "#policy_blackout_days", "3").await;
    fill(&client, "#policy_quiet_hours", "late").await;
    click(&client, "[data-action=publish-policy]").await;
    until_text(
        &client,
        "[data-testid=policy-form]",
        "not a quiet-hours window",
    )
    .await;
    fill(&client, "#policy_quiet_hours", "21:00-08:00").await;
    click(&client, "[data-action=publish-policy]").await;
    until_text(&client, "[data-testid=policy-published]", "published").await;
    until_text(
        &client,
        "[data-testid=team-policy-origin]",
        "admin@relay-demo.test",
    )
    .await;
    until(
        &client,
        "the blackout days are the team's",
        "document.querySelector('#blackout_days').disabled && document.querySelector('#blackout_days').value === '3'",
    )
    .await;
    screenshot(&client, "33-team-policy").await;
    client
        .execute(
            "document.querySelector('#s-sending').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    until_text(
        &client,
        "[data-testid=policy-note]",
        "admin@relay-demo.test",
    )
    .await;
    screenshot(&client, "34-policy-in-sending").await;
    ok(relay(&other, &["team", "sync"], None));
    let shown: serde_json::Value =
        serde_json::from_slice(&ok(relay(&other, &["--json", "settings", "show"], None)).stdout)
            .unwrap();
    assert_eq!(shown["settings"]["blackout_days"], 3, "{shown}");
    assert_eq!(shown["settings"]["quiet_hours"], "21:00-08:00", "{shown}");
    let refused = relay(&other, &["settings", "set", "blackout_days", "10"], None);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("team's policy"));

    // Records an earlier Relay kept one per entry, the number in clear (written here through the
    // API, as that Relay did): Sync now folds them into the ledger, Settings → Team says so, and
    // an admin deletes them from the store.
    let info: serde_json::Value = reqwest::get(format!("{base}/_sandbox/info"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let admin = reqwest::Client::new();
    let api = |path: &str, body: serde_json::Value| {
        admin
            .post(format!("{base}{path}"))
            .basic_auth(
                format!("{}/token", info["zendesk_email"].as_str().unwrap()),
                info["zendesk_token"].as_str(),
            )
            .json(&body)
            .send()
    };
    let made = api("/api/v2/custom_objects", serde_json::json!({"custom_object": {"key": "relay_entry",
        "title": "Relay message sent", "title_pluralized": "Relay messages sent", "include_in_list_view": true}}))
        .await
        .unwrap();
    assert!(made.status().is_success(), "{}", made.status());
    for (key, kind) in [
        ("fingerprint", "text"),
        ("number", "text"),
        ("user_id", "text"),
        ("sent_at", "integer"),
        ("state", "text"),
        ("campaign", "text"),
        ("desktop", "text"),
    ] {
        api(
            "/api/v2/custom_objects/relay_entry/fields",
            serde_json::json!({"custom_object_field": {"key": key, "title": key, "type": kind}}),
        )
        .await
        .unwrap();
    }
    let at = chrono_now_ms() - 86_400_000;
    let items: Vec<serde_json::Value> = (0..3)
        .map(|i| serde_json::json!({"name": format!("7:+4477009000{i}"), "external_id": format!("7:+4477009000{i}"),
            "custom_object_fields": {"fingerprint": "7", "number": format!("+4477009000{i}"),
                "user_id": format!("{}", 900 + i), "sent_at": at, "state": "sent",
                "campaign": "an-earlier-one", "desktop": "old-host/0000aaaa"}}))
        .collect();
    let queued = api(
        "/api/v2/custom_objects/relay_entry/jobs",
        serde_json::json!({"job": {"action": "create_or_update_by_external_id", "items": items}}),
    )
    .await
    .unwrap();
    assert!(queued.status().is_success(), "{}", queued.status());
    click(&client, "[data-action=sync-team]").await;
    until_text(
        &client,
        "[data-testid=team-legacy]",
        "3 records of an earlier Relay",
    )
    .await;
    client
        .execute(
            "document.querySelector('[data-testid=team-legacy]').scrollIntoView({block: 'center'})",
            vec![],
        )
        .await
        .unwrap();
    screenshot(&client, "33b-team-old-records").await;
    click(&client, "[data-action=delete-legacy]").await;
    click(&client, "[data-action=delete-legacy-confirm]").await;
    until_text(
        &client,
        "[data-testid=team-synced]",
        "3 old records deleted",
    )
    .await;
    until(
        &client,
        "the notice of old records gone",
        "!document.querySelector('[data-testid=team-legacy]')",
    )
    .await;
    forget_secrets(&other);
    click(&client, "[data-action=leave-demo]").await;
    until_text(&client, "h1", "Welcome to Relay").await;
    client.close().await.unwrap();
}

/// The app opened on a new data folder under `tmp`, the demo workspace started from the
/// first-run screen: the driver (kept while the window is used), the window, the data folder.
async fn in_demo(tmp: &std::path::Path) -> (Driver, fantoccini::Client, std::path::PathBuf) {
    let data = tmp.join("data");
    let driver = Driver::start(&[("RELAY_DATA_DIR", &data)]);
    let client = driver.open_app().await;
    until_text(&client, "h1", "Welcome to Relay").await;
    click(&client, "[data-action=demo]").await;
    until_text(&client, "[data-testid=demo-badge]", "Demo").await;
    (driver, client, data)
}

/// An approved WhatsApp template `name`, made with the CLI on the demo's own data folder (the
/// designer has its own journey above); the demo's Meta approves after 5 seconds.
async fn approved_template(demo: &std::path::Path, tmp: &std::path::Path, name: &str) {
    let file = tmp.join(format!("{name}.json"));
    std::fs::write(
        &file,
        format!(r#"{{"name": "{name}", "language": "en_US", "body": "Hi {{{{Ann}}}}, your parcel is ready for pickup {{{{on Friday}}}} until 6 pm.",
            "integrations": ["5f1e0c3a9b8d7e6f5a4b3c31"]}}"#),
    )
    .unwrap();
    let submitted = relay(demo, &["template", "submit", file.to_str().unwrap()], None);
    assert!(
        submitted.status.success(),
        "{}",
        String::from_utf8_lossy(&submitted.stderr)
    );
    until_approved(demo, name).await;
}

/// Polls the demo's templates until Meta's review (the sandbox's, a few seconds) approved
/// template `name` (its lines of `relay template list`: its name, then its states indented).
async fn until_approved(demo: &std::path::Path, name: &str) {
    until_translations_approved(demo, name, 1).await
}

/// Steps 1 to 4 of a new campaign, as a user goes through them: the template, the WhatsApp
/// integration, the audience of `query` fetched, the first name and a static value mapped.
async fn through_mapping(
    client: fantoccini::Client,
    template: &str,
    query: &str,
) -> fantoccini::Client {
    click(&client, "[data-nav=campaigns]").await;
    click(&client, "[data-tab=new]").await;
    click(&client, &format!("[data-template-option={template}]")).await;
    click(
        &client,
        "[data-integration-choice='5f1e0c3a9b8d7e6f5a4b3c31']",
    )
    .await;
    click(&client, "[data-action=wizard-next]").await;
    fill(&client, "#audience-query", query).await;
    until_text(&client, "[data-testid=audience-count]", "users match").await;
    click(&client, "[data-action=fetch-audience]").await;
    until(
        &client,
        "the exclusions step",
        "!!document.querySelector('[data-testid=eligible-count]')",
    )
    .await;
    click(&client, "[data-step='4']").await;
    until(
        &client,
        "the mapping step",
        "!!document.querySelector('[data-source-for=Ann]')",
    )
    .await;
    client
        .execute(
            "const s = document.querySelector('[data-source-for=Ann]'); s.value = 'field:first_name'; s.dispatchEvent(new Event('change', { bubbles: true }));\
             const m = document.querySelector('[data-source-for=\"on Friday\"]'); m.value = 'static'; m.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![],
        )
        .await
        .unwrap();
    fill(
        &client,
        "[data-static-for=\"on Friday\"]",
        "at the Main Street shop",
    )
    .await;
    client
}

/// WhatsApp's messaging limit in the window: set in Settings (a policy-free demo), the review's
/// card says what goes now and what waits for the budget, and the campaign sent waits for it
/// (its page says so) once the limit is used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_past_the_messaging_limit_waits_for_the_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let (_driver, client, data) = in_demo(tmp.path()).await;
    approved_template(&data.join("demo"), tmp.path(), "parcel_limit").await;

    click(&client, "[data-nav=settings]").await;
    css(&client, "#whatsapp_limit").await;
    client
        .execute(
            "const s = document.querySelector('#whatsapp_limit'); s.closest('fieldset').scrollIntoView(); s.value = '250'; s.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(value_of(&client, "#whatsapp_limit").await, "250");
    screenshot(&client, "39-settings-whatsapp-limit").await;
    click(&client, "[data-action=save-settings]").await;
    until_text(&client, "[data-testid=settings-notice]", "Settings saved").await;

    let client = through_mapping(client, "parcel_limit", "role:end-user").await;
    until_text(
        &client,
        "[data-testid=ready-count]",
        "recipients will receive",
    )
    .await;
    let eligible = number_in(&client, "[data-testid=ready-count]".into()).await;
    assert!(eligible > 300, "{eligible}");
    until(
        &client,
        "the review step reachable",
        "!document.querySelector('[data-step=\"5\"]').disabled",
    )
    .await;
    click(&client, "[data-action=wizard-next]").await;
    until_text(&client, "[data-testid=budget-limit]", "250").await;
    assert_eq!(
        number_in(&client, "[data-testid=budget-available]".into()).await,
        250
    );
    assert_eq!(
        number_in(&client, "[data-testid=budget-waiting]".into()).await,
        eligible - 250
    );
    client
        .execute(
            "document.querySelector('[data-testid=review-budget]').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    screenshot(&client, "40-review-whatsapp-limit").await;

    fill(&client, "#review-rate", "200").await;
    click(&client, "[data-action=send]").await;
    click(&client, "[data-action=confirm-send]").await;
    until(
        &client,
        "the campaign waiting for the budget",
        "(document.querySelector('[data-testid=campaign-status]') || {}).dataset?.status === 'waiting'",
    )
    .await;
    until_text(
        &client,
        "[data-testid=waits-for-budget]",
        "WhatsApp messaging limit",
    )
    .await;
    assert_eq!(number_in(&client, "[data-count=sent]".into()).await, 250);
    screenshot(&client, "41-campaign-waiting-limit").await;
}

/// Polls the demo's templates until Meta's review approved `count` translations of `name`.
async fn until_translations_approved(demo: &std::path::Path, name: &str, count: usize) {
    let start = std::time::Instant::now();
    loop {
        let synced = relay(demo, &["template", "list", "--sync"], None);
        let listed = String::from_utf8_lossy(&synced.stdout).to_string();
        let approved = listed
            .lines()
            .skip_while(|l| !l.starts_with(&format!("{name} (")))
            .skip(1)
            .take_while(|l| l.starts_with(' '))
            .filter(|l| l.contains("APPROVED"))
            .count();
        if approved >= count {
            return;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(40),
            "{approved} of {count} approved in 40 s: {listed}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// Each recipient in their own language, in the window: a template in three languages (the
/// translations made with the CLI, each approved on its own), the designer's tabs and the
/// translations side by side, a campaign in each recipient's language (the default with
/// several), the review's counts per language, the report's language of each recipient.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_in_three_languages_reaches_each_recipient_in_theirs() {
    let tmp = tempfile::tempdir().unwrap();
    let (_driver, client, data) = in_demo(tmp.path()).await;
    let demo = data.join("demo");
    approved_template(&demo, tmp.path(), "parcel_languages").await;
    for (language, body) in [
        (
            "fr",
            "Bonjour {{Ann}}, votre colis vous attend {{on Friday}} jusqu'à 18 h.",
        ),
        (
            "es",
            "Hola {{Ann}}, su paquete le espera {{on Friday}} hasta las 18 h.",
        ),
    ] {
        let file = tmp.path().join(format!("parcel_languages.{language}.json"));
        let template = serde_json::json!({
            "name": "parcel_languages",
            "language": language,
            "body": body,
            "integrations": ["5f1e0c3a9b8d7e6f5a4b3c31"],
        });
        std::fs::write(&file, template.to_string()).unwrap();
        let out = relay(&demo, &["template", "submit", file.to_str().unwrap()], None);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    until_translations_approved(&demo, "parcel_languages", 3).await;

    // The list was open while the command line made the template: a sync reads it again.
    click(&client, "[data-nav=templates]").await;
    click(&client, "[data-action=sync-templates]").await;
    click(
        &client,
        "[data-template=parcel_languages] [data-action=edit]",
    )
    .await;
    until(
        &client,
        "the translation tabs",
        "document.querySelectorAll('[role=tablist] [role=tab]').length === 3",
    )
    .await;
    click(&client, "[data-testid=translations-side-by-side]").await;
    until(
        &client,
        "the translations side by side",
        "document.querySelectorAll('[data-testid=translations-side-by-side-view] [data-testid=whatsapp-bubble]').length === 3",
    )
    .await;
    until_text(
        &client,
        "[data-testid=translations-side-by-side-view]",
        "votre colis",
    )
    .await;
    screenshot(&client, "15-designer-translations").await;

    let client = through_mapping(client, "parcel_languages", "role:end-user").await;
    until_text(
        &client,
        "[data-testid=ready-count]",
        "recipients will receive",
    )
    .await;
    until(
        &client,
        "the review step reachable",
        "!document.querySelector('[data-step=\"5\"]').disabled",
    )
    .await;
    click(&client, "[data-action=wizard-next]").await;
    until_text(&client, "[data-testid=review-languages]", "fr").await;
    let languages = text_of(&client, "[data-testid=review-languages]").await;
    for code in ["en_US", "es"] {
        assert!(languages.contains(code), "{languages}");
    }
    client
        .execute(
            "document.querySelector('[data-testid=review-languages]').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    screenshot(&client, "23b-review-languages").await;

    fill(&client, "#review-rate", "200").await;
    click(&client, "[data-action=send]").await;
    click(&client, "[data-action=confirm-send]").await;
    until_long(
        &client,
        "the campaign completed",
        "(document.querySelector('[data-testid=campaign-status]') || {}).dataset?.status === 'completed'",
        std::time::Duration::from_secs(60),
    )
    .await;
    click(&client, "[data-filter=sent]").await;
    until(
        &client,
        "a recipient in French in the report",
        "[...document.querySelectorAll('[data-testid=recipient-table] [data-language]')].some(e => e.dataset.language === 'fr')",
    )
    .await;
    screenshot(&client, "25b-report-languages").await;

    // Duplicated from one of its rows, the template is copied whole.
    click(&client, "[data-nav=templates]").await;
    click(
        &client,
        "[data-template=parcel_languages] [data-translation=fr] [data-action=duplicate]",
    )
    .await;
    until(
        &client,
        "the copy with its three translations",
        "document.querySelectorAll('[data-template=parcel_languages_copy] [data-translation]').length === 3",
    )
    .await;
}

/// The process whose environment holds `RELAY_DATA_DIR=dir`: the app tauri-driver started.
fn app_pid(dir: &std::path::Path) -> Option<u32> {
    common::processes_with_env(&format!("RELAY_DATA_DIR={}", dir.display()))
        .into_iter()
        .find(|pid| {
            std::fs::read_link(format!("/proc/{pid}/exe"))
                .is_ok_and(|exe| exe.file_name().is_some_and(|n| n == "relay"))
        })
}

/// Asked to stop by the system (SIGTERM: a shutdown, a logout) while a campaign sends, the app
/// pauses it — the requests in flight land and are recorded — then quits: nothing is left
/// `sending`, nobody `unknown`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_stopped_by_the_system_mid_send_pauses_first() {
    let tmp = tempfile::tempdir().unwrap();
    let (_driver, client, data) = in_demo(tmp.path()).await;
    // A campaign started from the command line on the demo's data folder, paused with Ctrl+C.
    let demo = data.join("demo");
    let file = tmp.path().join("parcel.json");
    std::fs::write(
        &file,
        r#"{"name": "parcel_stop", "language": "en_US", "body": "Hi {{Ann}}, your parcel is ready {{on Friday}} at the shop.",
            "integrations": ["5f1e0c3a9b8d7e6f5a4b3c31"]}"#,
    )
    .unwrap();
    let submitted = relay(&demo, &["template", "submit", file.to_str().unwrap()], None);
    assert!(
        submitted.status.success(),
        "{}",
        String::from_utf8_lossy(&submitted.stderr)
    );
    until_approved(&demo, "parcel_stop").await;
    let mut send = std::process::Command::new(APP)
        .arg("--data-dir")
        .arg(&demo)
        .args([
            "--json",
            "send",
            "--query",
            "role:end-user",
            "--template",
            "parcel_stop",
            "--integration",
            "5f1e0c3a9b8d7e6f5a4b3c31",
            "--map",
            "Ann=field:first_name",
            "--map",
            "2=static:on Friday",
            "--rate",
            "10",
            "--yes",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(send.stdout.take().unwrap()));
    let id = loop {
        let v: serde_json::Value =
            serde_json::from_str(&lines.next().expect("relay send ended").unwrap()).unwrap();
        if v["event"] == "created" {
            break v["campaign"]["id"].as_str().unwrap().to_string();
        }
    };
    std::process::Command::new("kill")
        .args(["-INT", &send.id().to_string()])
        .status()
        .unwrap();
    lines.for_each(drop);
    send.wait().unwrap();
    // Resumed in the window.
    click(&client, "[data-nav=campaigns]").await;
    click(&client, "[data-tab=history]").await;
    click(
        &client,
        &format!("[data-campaign='{id}'] [data-action=open-campaign]"),
    )
    .await;
    click(&client, "[data-action=resume]").await;
    until(
        &client,
        "the send under way in the window",
        "(document.querySelector('[data-testid=campaign-status]') || {}).dataset?.status === 'running' && Number((document.querySelector('[data-count=sent]') || {}).textContent || 0) >= 3",
    )
    .await;
    let pid = app_pid(&data).expect("the app's process");
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    let start = std::time::Instant::now();
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "the app did not quit after SIGTERM"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let shown = relay(&demo, &["--json", "campaigns", "show", &id], None);
    let c: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(c["status"], "paused", "{c}");
    assert_eq!(c["counts"]["sending"], 0, "nothing left in flight");
    assert_eq!(
        c["counts"]["unknown"], 0,
        "every request in flight was recorded"
    );
    assert!(
        c["counts"]["pending"].as_u64().unwrap() > 0,
        "stopped mid-send"
    );
    drop(client);
}
