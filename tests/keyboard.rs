//! A whole campaign with the keyboard alone: never a click. The demo workspace from the first
//! screen, the campaign's template and integration, its audience (the query typed, the count
//! awaited), members selected and moved, the mapping, the review (the confirmation closed with
//! Escape, the focus back on Send), the send, a pause and a resume, the report filtered and
//! exported. Each control is reached with Tab in the focus order and shows its focus; every
//! screen is audited (`screenshot`).

use super::common::keys::{DOWN, ENTER, ESCAPE, SPACE};
use super::common::*;

/// Chooses an option of the focused `<select>` with the arrow keys, until its value is `value`.
async fn choose_with_arrows(client: &fantoccini::Client, selector: &str, value: &str) {
    for _ in 0..20 {
        if value_of(client, selector).await == value {
            return;
        }
        press(client, DOWN).await;
    }
    panic!("{value} not reached with the arrow keys in {selector}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_campaign_is_made_and_sent_with_the_keyboard_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let driver = Driver::start(&[("RELAY_DATA_DIR", &data)]);
    let client = driver.open_app().await;
    until_text(&client, "h1", "Welcome to Relay").await;
    tab_to(&client, "[data-action=demo]", 30).await;
    press(&client, ENTER).await;
    until_text(&client, "[data-testid=demo-badge]", "Demo").await;
    super::approved_template(&data.join("demo"), tmp.path(), "parcel_keys").await;

    // Campaigns (Ctrl+2), the template and its integration.
    css(&client, "body")
        .await
        .send_keys(&format!("{}2", '\u{E009}'))
        .await
        .unwrap();
    until_text(&client, "h1", "New campaign").await;
    // `?` lists the shortcuts in a dialog; Escape closes it.
    css(&client, "body").await.send_keys("?").await.unwrap();
    until_text(&client, "[data-testid=shortcuts-help]", "Ctrl").await;
    assert!(
        focused_on(
            &client,
            "[data-testid=shortcuts-help] *, [data-testid=shortcuts-help]"
        )
        .await
    );
    screenshot(&client, "49-keyboard-shortcuts").await;
    press(&client, ESCAPE).await;
    until(
        &client,
        "the shortcuts closed",
        "!document.querySelector('[data-testid=shortcuts-help]')",
    )
    .await;
    tab_to(&client, "[data-template-option=parcel_keys]", 40).await;
    press(&client, SPACE).await;
    tab_to(
        &client,
        "[data-integration-choice='5f1e0c3a9b8d7e6f5a4b3c31']",
        20,
    )
    .await;
    press(&client, SPACE).await;
    screenshot(&client, "50-keyboard-template").await;
    tab_to(&client, "[data-action=wizard-next]", 30).await;
    press(&client, ENTER).await;

    // The audience: the query typed, the count awaited, the fetch.
    tab_to(&client, "#audience-query", 30).await;
    let query = "role:end-user tags:whatsapp_optin -tags:sms_optin";
    press(&client, "\u{E009}a").await;
    press(&client, query).await;
    assert_eq!(value_of(&client, "#audience-query").await, query);
    until_text(&client, "[data-testid=audience-count]", "users match").await;
    tab_to(&client, "[data-action=fetch-audience]", 10).await;
    press(&client, ENTER).await;
    until(
        &client,
        "the exclusions step",
        "!!document.querySelector('[data-testid=eligible-count]')",
    )
    .await;

    // Exclusions: the eligible members, the first one selected and removed by hand.
    let eligible = number_in(&client, "[data-testid=eligible-count]".into()).await;
    tab_to(&client, "[data-filter-reason=eligible]", 40).await;
    press(&client, ENTER).await;
    until(
        &client,
        "the eligible members",
        "document.querySelectorAll('[data-testid=member-table] [data-user] input[type=checkbox]').length > 0",
    )
    .await;
    tab_to(
        &client,
        "[data-testid=member-table] [role=row] [role=cell] input[type=checkbox]",
        120,
    )
    .await;
    press(&client, SPACE).await;
    screenshot(&client, "51-keyboard-member-selected").await;
    // Back to the actions above the table.
    shift_tab_to(&client, "[data-member-action=remove]", 40).await;
    press(&client, ENTER).await;
    until(
        &client,
        "one member removed",
        &format!("Number(document.querySelector('[data-testid=eligible-count]').textContent.replace(/\\D/g, '')) === {}", eligible - 1),
    )
    .await;

    // The mapping (the steps above, back from the actions): the first name, and a static text.
    shift_tab_to(&client, "[data-step='4']", 60).await;
    press(&client, ENTER).await;
    until(
        &client,
        "the mapping step",
        "!!document.querySelector('[data-source-for=Ann]')",
    )
    .await;
    tab_to(&client, "[data-source-for=Ann]", 30).await;
    choose_with_arrows(&client, "[data-source-for=Ann]", "field:first_name").await;
    tab_to(&client, "[data-source-for=\"on Friday\"]", 20).await;
    choose_with_arrows(&client, "[data-source-for=\"on Friday\"]", "static").await;
    tab_to(&client, "[data-static-for=\"on Friday\"]", 10).await;
    press(&client, "at the Main Street shop").await;
    until_text(
        &client,
        "[data-testid=ready-count]",
        "recipients will receive",
    )
    .await;
    screenshot(&client, "52-keyboard-mapping").await;
    tab_to(&client, "[data-action=wizard-next]", 60).await;
    press(&client, ENTER).await;

    // The review: a slow rate (time to pause), the confirmation closed with Escape, then sent.
    tab_to(&client, "#review-rate", 60).await;
    press(&client, "\u{E009}a").await;
    press(&client, "10").await;
    tab_to(&client, "[data-action=send]", 60).await;
    press(&client, ENTER).await;
    until(
        &client,
        "the confirmation",
        "!!document.querySelector('[data-action=confirm-send]')",
    )
    .await;
    screenshot(&client, "53-keyboard-confirm").await;
    press(&client, ESCAPE).await;
    until(
        &client,
        "the confirmation closed",
        "!document.querySelector('[data-action=confirm-send]')",
    )
    .await;
    assert!(
        focused_on(&client, "[data-action=send]").await,
        "the focus is back on Send"
    );
    press(&client, ENTER).await;
    tab_to(&client, "[data-action=confirm-send]", 10).await;
    press(&client, ENTER).await;

    // Sending: paused, then resumed, from the keyboard.
    tab_to(&client, "[data-action=pause]", 40).await;
    press(&client, ENTER).await;
    until(
        &client,
        "the campaign paused",
        "(document.querySelector('[data-testid=campaign-status]') || {}).dataset?.status === 'paused'",
    )
    .await;
    screenshot(&client, "54-keyboard-paused").await;
    tab_to(&client, "[data-action=resume]", 40).await;
    press(&client, ENTER).await;
    until_long(
        &client,
        "the campaign completed",
        "(document.querySelector('[data-testid=campaign-status]') || {}).dataset?.status === 'completed'",
        std::time::Duration::from_secs(90),
    )
    .await;

    // The report: the sent ones, exported.
    tab_to(&client, "[data-filter=sent]", 60).await;
    press(&client, ENTER).await;
    tab_to(&client, "[data-action=export-csv]", 60).await;
    press(&client, ENTER).await;
    until_text(&client, "[data-testid=export-result]", "recipients written").await;
    screenshot(&client, "55-keyboard-report").await;
}
