//! One team, many desktops: two data folders on one sandbox, as two desktops of one Zendesk
//! account, sharing the blackout ledger through the account's custom objects. Every test counts
//! what the sandbox received.

use crate::support;

use relay_core::campaign::CampaignControl;
use relay_core::ErrorCode;
use relay_sandbox::{Faults, JobResults};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use support::excluded;
use support::send::{
    duplicates, ready, ready_too, sandbox, sandbox_log, send_to_nobody, set_faults, store_off, WA,
};

/// Syncs until the queue is empty (a refused or unconfirmed push goes again), at most `rounds`.
async fn drain(ws: &relay_core::workspace::Workspace, rounds: u32) -> u32 {
    let mut syncs = 0;
    loop {
        syncs += 1;
        let _ = ws.team_sync().await;
        if ws.team_status().unwrap().pending == 0 || syncs >= rounds {
            return syncs;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_sent_from_one_desktop_is_blacked_out_on_another() {
    let sb = sandbox(200).await;
    let (a, _ta, spec_a, audience_a) = ready(&sb, WA).await;
    let (b, _tb, spec_b, audience_b) = ready_too(&sb, WA).await;
    assert_ne!(a.desktop_id().unwrap(), b.desktop_id().unwrap());

    let first = a
        .create_campaign(&audience_a, spec_a, Some(400), None)
        .await
        .unwrap();
    let sent = a
        .run_campaign(&first.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap()
        .counts
        .sent;
    assert!(sent > 50);
    let status = a.team_status().unwrap();
    assert_eq!(status.pending, 0, "pushed when the send ended");
    assert!(status.last_push.is_some());

    // Desktop B never sent it. While the store cannot be reached, it knows nothing of A's send
    // and its send is refused: nothing goes out.
    store_off(&sb).await;
    let unaware = b
        .check_audience(&audience_b, Some(spec_b.clone()))
        .await
        .unwrap();
    assert_eq!(excluded(&unaware, "blackout"), 0);
    assert!(unaware.eligible >= sent);
    let blind = b
        .create_campaign(&audience_b, spec_b.clone(), Some(400), None)
        .await
        .unwrap();
    let err = b
        .run_campaign(&blind.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.text.key, "team.unreachable", "{err:?}");
    assert_eq!(sandbox_log(&sb).await.len() as u32, sent, "B sent nothing");
    b.cancel_campaign(&blind.id).unwrap();
    set_faults(&sb, &Faults::default()).await;
    // Once it can: everyone A reached is blacked out there too.
    let pulled = b.team_sync().await.unwrap();
    assert_eq!(
        pulled.merged,
        sent + 1,
        "its entries and its campaign: {pulled:?}"
    );
    assert_eq!(b.team_campaigns().unwrap().len(), 1);
    let checked = b
        .check_audience(&audience_b, Some(spec_b.clone()))
        .await
        .unwrap();
    assert_eq!(excluded(&checked, "blackout"), sent);
    assert_eq!(checked.eligible, 0);
    send_to_nobody(
        &b,
        &audience_b,
        spec_b,
        400,
        "everyone A reached is blacked out on B",
    )
    .await;
    let log = sandbox_log(&sb).await;
    assert_eq!(log.len() as u32, sent, "B sent nothing");
    assert!(duplicates(&log).is_empty());

    // Pulled again: nothing new, nothing doubled (the set only grows); B's status says so.
    let again = b.team_sync().await.unwrap();
    assert_eq!(again.merged, 0);
    assert_eq!(b.team_status().unwrap().pulled_entries, sent);
    // A adds none of its own entries back (it reads B's campaign, which reached nobody).
    a.team_sync().await.unwrap();
    assert_eq!(a.team_status().unwrap().pulled_entries, 0);
    let seen = a.team_campaigns().unwrap();
    assert!(seen.iter().all(|c| c.counts.sent == 0), "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_through_failing_jobs_and_429s_go_again_and_none_is_lost() {
    let sb = sandbox(200).await;
    let (a, _ta, spec_a, audience_a) = ready(&sb, WA).await;
    let (b, _tb, spec_b, audience_b) = ready_too(&sb, WA).await;
    let c = a
        .create_campaign(&audience_a, spec_a, Some(400), None)
        .await
        .unwrap();
    // Half the items of each job fail, and the results name only their position: the push at
    // the end of the send leaves some queued.
    set_faults(
        &sb,
        &Faults {
            job_item_failure: 0.5,
            job_results: JobResults::Positional,
            ..Faults::default()
        },
    )
    .await;
    let sent = a
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap()
        .counts
        .sent;
    let status = a.team_status().unwrap();
    assert!(
        status.pending > 0 && status.failing > 0 && status.last_error.is_some(),
        "{status:?}"
    );
    // Now a quarter of the store's requests get 429 too.
    set_faults(
        &sb,
        &Faults {
            job_item_failure: 0.5,
            job_results: JobResults::Positional,
            rate_429: 0.25,
            retry_after_secs: 1,
            only_path: "/api/v2/custom_objects".into(),
            ..Faults::default()
        },
    )
    .await;
    let syncs = drain(&a, 40).await;
    assert_eq!(
        a.team_status().unwrap().pending,
        0,
        "drained in {syncs} syncs"
    );
    set_faults(&sb, &Faults::default()).await;

    b.team_sync().await.unwrap();
    let checked = b.check_audience(&audience_b, Some(spec_b)).await.unwrap();
    assert_eq!(
        excluded(&checked, "blackout"),
        sent,
        "every entry reached B"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn this_desktop_only_sends_without_the_store_and_says_so() {
    let sb = sandbox(100).await;
    let (ws, _t, spec, audience) = ready(&sb, WA).await;
    store_off(&sb).await;
    ws.set_key("desktop_only", "true").unwrap();
    let c = ws
        .create_campaign(&audience, spec, Some(400), None)
        .await
        .unwrap();
    assert!(!c.desktop_only);
    let done = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    assert!(done.counts.sent > 0);
    assert!(
        done.desktop_only,
        "the campaign says it was sent with this desktop's ledger alone"
    );
    assert_eq!(sandbox_log(&sb).await.len() as u32, done.counts.sent);
    // Its entries (and its campaign's summary) wait for the store, and go once it can be reached.
    assert_eq!(ws.team_status().unwrap().pending, done.counts.sent + 1);
    set_faults(&sb, &Faults::default()).await;
    ws.team_sync().await.unwrap();
    assert_eq!(ws.team_status().unwrap().pending, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_is_told_to_ask_an_admin_and_custom_objects_off_is_said() {
    let sb = sandbox(50).await;
    let (ws, _t, _, _) = ready(&sb, WA).await;
    let info = sb.info();
    let agent = relay_sandbox::data::Population::new(info.seed, info.users).user(1);
    ws.set_key("zendesk_email", &agent.email).unwrap();
    // Test connection says it first.
    let report = ws.test_connection().await.unwrap();
    let store = report
        .checks
        .iter()
        .find(|c| c.id == relay_core::connect::CheckId::TeamStore)
        .unwrap();
    assert_eq!(store.status, relay_core::connect::CheckStatus::Failed);
    assert_eq!(store.detail.key, "team.admin_needed");
    let err = ws.team_sync().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    assert_eq!(err.text.key, "team.admin_needed", "{err:?}");
    // An admin made the types once: the agent's desktop syncs from then on.
    ws.set_key("zendesk_email", &info.zendesk_email).unwrap();
    ws.team_sync().await.unwrap();
    ws.set_key("zendesk_email", &agent.email).unwrap();
    ws.team_sync().await.unwrap();

    store_off(&sb).await;
    let err = ws.team_sync().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    let report = ws.test_connection().await.unwrap();
    assert!(!report.ok, "custom objects off: the workspace cannot send");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_message_from_two_desktops_at_once_is_sent_once_and_the_second_is_told_who_sends_it(
) {
    let sb = sandbox(300).await;
    let (a, _ta, spec_a, audience_a) = ready(&sb, WA).await;
    let (b, _tb, spec_b, audience_b) = ready_too(&sb, WA).await;
    let first = a
        .create_campaign(&audience_a, spec_a, Some(40), None)
        .await
        .unwrap();
    let second = b
        .create_campaign(&audience_b, spec_b.clone(), Some(40), None)
        .await
        .unwrap();
    let a_desktop = a.desktop_id().unwrap();
    let base = sb.base_url().to_string();
    let control = CampaignControl::default();
    let (done_a, refused_b) = tokio::join!(a.run_campaign(&first.id, &control, |_| {}), async {
        // B starts once A is sending.
        loop {
            let n: serde_json::Value = reqwest::get(format!("{base}/_sandbox/notifications"))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if n["count"].as_u64().unwrap() >= 10 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        b.run_campaign(&second.id, &CampaignControl::default(), |_| {})
            .await
    });
    let sent = done_a.unwrap().counts.sent;
    let err = refused_b.unwrap_err();
    assert_eq!(err.code, ErrorCode::Busy);
    assert_eq!(err.text.key, "team.claimed");
    assert!(err.message.contains(&a_desktop), "{}", err.message);
    assert!(err.message.contains(&first.id), "{}", err.message);
    let log = sandbox_log(&sb).await;
    assert_eq!(log.len() as u32, sent, "B sent nothing while A sent");
    // A ended and released the message: B may send now, and finds everyone A reached.
    let again = b.check_audience(&audience_b, Some(spec_b)).await.unwrap();
    assert_eq!(excluded(&again, "blackout"), sent);
    let resumed = b
        .run_campaign(&second.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    let log = sandbox_log(&sb).await;
    assert!(duplicates(&log).is_empty(), "every number once");
    assert_eq!(log.len() as u32, sent + resumed.counts.sent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desktop_killed_mid_send_frees_the_message_after_the_ttl_and_nobody_is_reached_twice() {
    let ttl = std::time::Duration::from_secs(3);
    let sb = sandbox(300).await;
    let (a, _ta, spec_a, audience_a) = ready(&sb, WA).await;
    let (b, _tb, spec_b, audience_b) = ready_too(&sb, WA).await;
    let a = a.with_claim_ttl(ttl);
    let b = b.with_claim_ttl(ttl);
    let first = a
        .create_campaign(&audience_a, spec_a, Some(40), None)
        .await
        .unwrap();
    // A dies two seconds into its send: the run is dropped where it stands (no end, no release).
    let control = CampaignControl::default();
    let killed = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        a.run_campaign(&first.id, &control, |_| {}),
    )
    .await;
    assert!(killed.is_err(), "still sending when killed");
    let reached_by_a = sandbox_log(&sb).await.len();
    assert!(reached_by_a > 10);
    // What was in flight when it died: sent or not, A cannot know until it resumes.
    let in_flight = a.campaign(&first.id).unwrap().counts.sending as usize;
    // B at once: the claim is alive, the send refused (its campaign waits, unsent).
    let second = b
        .create_campaign(&audience_b, spec_b.clone(), Some(400), None)
        .await
        .unwrap();
    let err = b
        .run_campaign(&second.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.text.key, "team.claimed", "{err:?}");
    // A's desktop comes back and syncs (its app starting, say): what it recorded is pushed.
    a.team_sync().await.unwrap();
    // After the TTL, B takes the message over and sends only to whom A did not reach: each
    // recipient is checked against the ledger, with A's entries pulled, as it is claimed.
    tokio::time::sleep(ttl + std::time::Duration::from_millis(500)).await;
    let done = b
        .run_campaign(&second.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    let blacked_out = done.counts.skipped as usize;
    assert!(
        blacked_out + in_flight >= reached_by_a,
        "every entry A recorded counts: {blacked_out} skipped, {in_flight} in flight, {reached_by_a} reached"
    );
    assert!(done.counts.sent > 0, "B sent the rest");
    // The one window the README names: what was in flight at the kill is not in A's ledger
    // until A resumes, so B may reach those numbers again — those, and no one else.
    let log = sandbox_log(&sb).await;
    assert!(
        duplicates(&log).len() <= in_flight,
        "only the {in_flight} in flight at the kill may be reached twice: {:?}",
        duplicates(&log)
    );
    // A resumes: B holds nothing now (released); A's campaign finds everyone reached.
    let before = sandbox_log(&sb).await.len();
    let resumed = a
        .run_campaign(&first.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    let log = sandbox_log(&sb).await;
    assert!(
        duplicates(&log).len() <= in_flight,
        "nobody more after A's resume: {:?}",
        duplicates(&log)
    );
    assert_eq!(
        log.len(),
        before,
        "B reached everyone A had left: A sends nobody"
    );
    assert_eq!(resumed.counts.pending + resumed.counts.sending, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_suppressed_on_one_desktop_is_excluded_on_another_and_taken_off_again() {
    let sb = sandbox(100).await;
    let (a, _ta, _spec_a, _audience_a) = ready(&sb, WA).await;
    let (b, _tb, spec_b, audience_b) = ready_too(&sb, WA).await;
    // A number B's audience would reach.
    let members = b
        .audience_members(
            &audience_b,
            relay_core::audience::MemberFilter::All,
            0,
            1000,
        )
        .unwrap();
    let phone = members
        .rows
        .iter()
        .find_map(|m| m.phone.clone())
        .expect("a member with a number");
    assert_eq!(
        a.suppress_numbers(std::slice::from_ref(&phone), "asked to stop")
            .unwrap(),
        1
    );
    a.team_sync().await.unwrap();
    b.team_sync().await.unwrap();
    let list = b.suppressed_numbers().unwrap();
    assert!(
        list.iter()
            .any(|s| s.phone == phone && s.note == "asked to stop"),
        "{list:?}"
    );
    let checked = b
        .check_audience(&audience_b, Some(spec_b.clone()))
        .await
        .unwrap();
    assert!(excluded(&checked, "suppressed") >= 1);
    // Taken off on A: off on B at the next sync.
    a.unsuppress_number(&phone).unwrap();
    a.team_sync().await.unwrap();
    b.team_sync().await.unwrap();
    assert!(!b
        .suppressed_numbers()
        .unwrap()
        .iter()
        .any(|s| s.phone == phone));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_desktop_sees_the_others_campaigns_and_applies_the_policy_an_admin_publishes() {
    use relay_core::campaign::CampaignStatus;
    use relay_core::team::policy::Policy;
    let sb = sandbox(100).await;
    let (a, _ta, spec_a, audience_a) = ready(&sb, WA).await;
    let (b, _tb, _spec_b, _audience_b) = ready_too(&sb, WA).await;
    let info = sb.info();

    let first = a
        .create_campaign(&audience_a, spec_a, Some(400), None)
        .await
        .unwrap();
    let done = a
        .run_campaign(&first.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(done.status, CampaignStatus::Completed);
    // The send ended with a push (the summary with it); B reads it at its next sync.
    assert!(
        a.team_campaigns().unwrap().is_empty(),
        "its own are not the others'"
    );
    b.team_sync().await.unwrap();
    let seen = b.team_campaigns().unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let c = &seen[0];
    assert_eq!(c.id, first.id);
    assert_eq!(c.desktop, a.desktop_id().unwrap());
    assert_eq!(c.sender, info.zendesk_email);
    assert_eq!(c.status, CampaignStatus::Completed);
    assert_eq!(c.counts.sent, done.counts.sent);
    assert_eq!(c.counts.skipped, done.counts.skipped);
    assert_eq!(c.template_name, "parcel_notice");
    // Nothing changed on A: a second sync pushes no summary again.
    let again = a.team_sync().await.unwrap();
    assert_eq!(again.pushed, 0, "{again:?}");

    // No policy yet: each desktop its own settings.
    assert!(b.team_policy().unwrap().is_none());
    assert_eq!(b.settings().unwrap().blackout_days, 7);
    let wanted = Policy {
        blackout_days: 3,
        default_country: "fr".into(),
        quiet_hours: "21:00-08:00".into(),
        allowed_roles: vec!["admin".into()],
        allowed_groups: vec![],
        consent_whatsapp: String::new(),
        consent_sms: "tag:sms_opt_in".into(),
        optout_words: vec!["STOP".into(), "HALT".into()],
        optin_words: vec!["START".into()],
        whatsapp_limit: "2,000".into(),
        whatsapp_portfolio: vec![],
        meta_rules_lifted: vec![],
        language_rules: vec!["pt=pt_PT".into(), "es-419=es_MX".into()],
    };
    // Bad input: each problem at its field, nothing published.
    let err = a
        .set_team_policy(Policy {
            blackout_days: 9999,
            quiet_hours: "late".into(),
            whatsapp_limit: "1000".into(),
            meta_rules_lifted: vec!["marketing_eu".into()],
            language_rules: vec!["spanish".into()],
            ..wanted.clone()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    let fields = &err.details.as_ref().unwrap().fields;
    assert!(
        fields.contains_key("blackout_days")
            && fields.contains_key("quiet_hours")
            && fields.contains_key("whatsapp_limit")
            && fields.contains_key("meta_rules_lifted")
            && fields.contains_key("language_rules"),
        "{err:?}"
    );
    assert!(a.team_policy().unwrap().is_none());

    let published = a.set_team_policy(wanted.clone()).await.unwrap();
    assert_eq!(published.policy.default_country, "FR", "normalized");
    assert_eq!(published.changed_by, info.zendesk_email);
    assert_eq!(published.desktop, a.desktop_id().unwrap());
    assert_eq!(a.settings().unwrap().blackout_days, 3);
    // B applies it from its next sync, and says where it came from.
    assert_eq!(b.settings().unwrap().blackout_days, 7);
    b.team_sync().await.unwrap();
    let s = b.settings().unwrap();
    assert_eq!(
        (
            s.blackout_days,
            s.default_country.as_str(),
            s.quiet_hours.as_str()
        ),
        (3, "FR", "21:00-08:00")
    );
    assert_eq!(s.allowed_roles, vec!["admin".to_string()]);
    assert_eq!(s.consent_sms, "tag:sms_opt_in");
    assert_eq!(s.optout_words, vec!["STOP".to_string(), "HALT".to_string()]);
    assert_eq!(
        s.whatsapp_limit, "2000",
        "the messaging limit is the team's, normalized"
    );
    assert_eq!(
        s.language_rules,
        ["pt=pt_PT", "es-419=es_MX"],
        "the language rules are the team's: every desktop picks the same translation"
    );
    let view = b.settings_view().unwrap();
    assert_eq!(view.team_policy.unwrap().desktop, a.desktop_id().unwrap());
    // A local change of the policy is refused, saying whose it is; the rest is B's own.
    let err = b.set_key("blackout_days", "10").unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert_eq!(
        err.details.as_ref().unwrap().fields["blackout_days"].key,
        "team.policy_field"
    );
    assert_eq!(b.settings().unwrap().blackout_days, 3);
    let err = b.set_key("language_rules", "pt=pt_BR").unwrap_err();
    assert_eq!(
        err.details.as_ref().unwrap().fields["language_rules"].key,
        "team.policy_field"
    );
    assert_eq!(
        b.set_key("default_send_rate", "20")
            .unwrap()
            .default_send_rate,
        20
    );
    // An agent cannot change it.
    let agent = relay_sandbox::data::Population::new(info.seed, info.users).user(1);
    b.set_key("zendesk_email", &agent.email).unwrap();
    let err = b
        .set_team_policy(Policy {
            blackout_days: 30,
            ..wanted.clone()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    assert_eq!(err.text.key, "team.policy_admin");
    a.team_sync().await.unwrap();
    assert_eq!(a.settings().unwrap().blackout_days, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_suppressed_on_another_desktop_while_a_campaign_runs_is_not_sent() {
    use relay_core::audience::ExclusionReason;
    use relay_core::campaign::RecipientState;
    let sb = sandbox(60).await;
    let (a, _ta, spec_a, audience_a) = ready(&sb, WA).await;
    let (b, _tb, _spec_b, _audience_b) = ready_too(&sb, WA).await;
    // A heartbeat (a push and a pull) every half second.
    let a = a.with_claim_ttl(std::time::Duration::from_secs(2));
    let first = a
        .create_campaign(&audience_a, spec_a, Some(5), None)
        .await
        .unwrap();
    let rows = a
        .campaign_recipients(&first.id, None, 0, 1000)
        .unwrap()
        .rows;
    let last = rows
        .iter()
        .rev()
        .find(|r| r.state == RecipientState::Pending)
        .cloned()
        .unwrap();
    let phone = last.phone.clone().unwrap();
    let control = CampaignControl::default();
    let send = a.run_campaign(&first.id, &control, |_| {});
    let meanwhile = async {
        // Once A is sending, B puts A's last recipient on the team's list.
        while a.campaign(&first.id).unwrap().counts.sent < 2 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        b.suppress_numbers(std::slice::from_ref(&phone), "asked to stop")
            .unwrap();
        b.team_sync().await.unwrap();
    };
    let (done, ()) = tokio::join!(send, meanwhile);
    let done = done.unwrap();
    let row = a
        .campaign_recipients(&first.id, None, 0, 1000)
        .unwrap()
        .rows
        .into_iter()
        .find(|r| r.seq == last.seq)
        .unwrap();
    assert_eq!(row.state, RecipientState::Skipped, "{row:?}");
    assert_eq!(row.reason, Some(ExclusionReason::Suppressed));
    assert_eq!(sandbox_log(&sb).await.len() as u32, done.counts.sent);
}

/// The claim is the message's, not the campaign's: two campaigns of one message sent at once
/// from one desktop (two audiences), the first to end leaves the claim to the other, so another
/// desktop is still refused until the last one ends — and then finds everyone both reached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_ending_while_another_of_its_message_runs_here_keeps_the_claim() {
    let sb = sandbox(300).await;
    let (a, _ta, spec_a, _) = ready(&sb, WA).await;
    let (b, _tb, spec_b, audience_b) = ready_too(&sb, WA).await;
    let audience = |query: &'static str| {
        let a = &a;
        async move {
            a.fetch_audience(query, &std::sync::atomic::AtomicBool::new(false), |_| {})
                .await
                .unwrap()
                .id
        }
    };
    // A slow long campaign, stopped once the other desktop has tried. (Its entries still
    // waiting to be pushed also keep the claim when the short one ends; the claim stays with the
    // running campaign whether or not any wait.)
    let (most, vips) = (
        audience("role:end-user -tags:vip").await,
        audience("role:end-user tags:vip").await,
    );
    let long = a
        .create_campaign(&most, spec_a.clone(), Some(1), None)
        .await
        .unwrap();
    let short = a
        .create_campaign(&vips, spec_a, Some(400), None)
        .await
        .unwrap();
    assert!(
        short.counts.pending > 0 && long.counts.pending > 100,
        "{:?} {:?}",
        short.counts,
        long.counts
    );
    let a_desktop = a.desktop_id().unwrap();
    let base = sb.base_url().to_string();
    let control = CampaignControl::default();
    let (long_done, (short_done, refused)) =
        tokio::join!(a.run_campaign(&long.id, &control, |_| {}), async {
            loop {
                let n: serde_json::Value = reqwest::get(format!("{base}/_sandbox/notifications"))
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                if n["count"].as_u64().unwrap() >= 3 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            let short_done = a
                .run_campaign(&short.id, &CampaignControl::default(), |_| {})
                .await
                .unwrap();
            assert!(
                a.campaign(&long.id).unwrap().running,
                "the long one still sends"
            );
            // The short one ended: another desktop is still refused, told who sends it.
            let second = b
                .create_campaign(&audience_b, spec_b.clone(), Some(400), None)
                .await
                .unwrap();
            let refused = b
                .run_campaign(&second.id, &CampaignControl::default(), |_| {})
                .await;
            // Then the long one is stopped (cancelled: the rest of its audience is left).
            control.cancel();
            (short_done, refused.map(|_| second.id.clone()))
        });
    let err = refused.unwrap_err();
    assert_eq!(err.text.key, "team.claimed", "{err:?}");
    assert!(err.message.contains(&a_desktop), "{}", err.message);
    let long_done = long_done.unwrap();
    assert_eq!(long_done.status.as_ref(), "cancelled");
    let sent = long_done.counts.sent + short_done.counts.sent;
    assert_eq!(sandbox_log(&sb).await.len() as u32, sent, "B sent nothing");
    // The last one ended and released the message: B sends to the rest only.
    let again = b
        .create_campaign(&audience_b, spec_b, Some(400), None)
        .await
        .unwrap();
    b.run_campaign(&again.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    let log = sandbox_log(&sb).await;
    assert!(duplicates(&log).is_empty(), "every number once");
}

/// Every record the sandbox's account holds, as the API shows them.
async fn store_records(sb: &relay_sandbox::Sandbox) -> Vec<serde_json::Value> {
    let v: serde_json::Value = reqwest::get(format!("{}/_sandbox/records", sb.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["records"].as_array().cloned().unwrap_or_default()
}

/// Reads the store's records until `done` holds of them (its jobs run as they come due), for at
/// most 30 seconds; panics saying `what` did not happen.
async fn until_store(
    sb: &relay_sandbox::Sandbox,
    what: &str,
    done: impl Fn(&[serde_json::Value]) -> bool,
) {
    let start = std::time::Instant::now();
    while !done(&store_records(sb).await) {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "after 30 s, still not so: {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn batches(records: &[serde_json::Value]) -> Vec<&serde_json::Value> {
    records
        .iter()
        .filter(|r| r["custom_object_key"] == "relay_batch")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_go_in_batches_and_no_record_holds_a_number_or_a_user_id() {
    let sb = sandbox(300).await;
    let (a, _ta, spec_a, audience_a) = ready(&sb, WA).await;
    let c = a
        .create_campaign(&audience_a, spec_a, Some(400), None)
        .await
        .unwrap();
    let done = a
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    assert!(done.counts.sent > 100);
    assert!(!a.campaign(&c.id).unwrap().team_syncing, "pushed already");
    // A number put on the team's list, and one taken off it, travel hashed too.
    let rows = a.campaign_recipients(&c.id, None, 0, 5000).unwrap().rows;
    let listed = rows.iter().find_map(|r| r.phone.clone()).unwrap();
    a.suppress_numbers(std::slice::from_ref(&listed), "asked to stop")
        .unwrap();
    a.team_sync().await.unwrap();

    let records = store_records(&sb).await;
    // One batch holds every entry of the send: its fields say what they share.
    let b = batches(&records);
    assert_eq!(b.len(), 1, "{} entries in one batch", done.counts.sent);
    let f = &b[0]["custom_object_fields"];
    assert_eq!(f["count"], done.counts.sent + done.counts.unknown);
    assert_eq!(f["campaigns"], c.id.as_str());
    assert_eq!(f["desktop"], a.desktop_id().unwrap().as_str());
    assert_eq!(f["format"], 1);
    assert!(f["first_at"].as_i64().unwrap() <= f["last_at"].as_i64().unwrap());
    // No number, no user id, anywhere in the account's records (the list's entry included).
    let all = serde_json::to_string(&records).unwrap();
    assert!(all.contains("relay_suppressed"));
    for r in &rows {
        if let Some(p) = &r.phone {
            assert!(
                !all.contains(p.trim_start_matches('+')),
                "{p} is in the store"
            );
        }
        assert!(
            !all.contains(&format!("\"{}\"", r.user_id))
                && !all.contains(&format!(":{},", r.user_id)),
            "user {} is in the store",
            r.user_id
        );
    }
}

/// A's campaign sent while the store runs its bulk jobs `delay_ms` after they are queued (the
/// store's objects made first): the campaign, and how many it reached.
async fn send_while_jobs_wait(
    sb: &relay_sandbox::Sandbox,
    a: &relay_core::workspace::Workspace,
    audience: &str,
    spec: relay_core::message::MessageSpec,
    delay_ms: u64,
) -> (relay_core::campaign::CampaignSummary, u32) {
    a.team_sync().await.unwrap();
    set_faults(
        sb,
        &Faults {
            job_delay_ms: delay_ms,
            ..Faults::default()
        },
    )
    .await;
    let c = a
        .create_campaign(audience, spec, Some(400), None)
        .await
        .unwrap();
    let done = a
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    let reached = done.counts.sent + done.counts.unknown;
    (c, reached)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_cut_short_after_its_write_loses_nothing_doubles_nothing_and_no_batch_is_rewritten()
{
    let sb = sandbox(200).await;
    let (a, _ta, spec_a, audience_a) = ready(&sb, WA).await;
    let a = a.with_settle_at_end(std::time::Duration::from_millis(500));
    let (b, _tb, spec_b, audience_b) = ready_too(&sb, WA).await;
    // The store runs its jobs late: the end of the send writes its batch and gives up waiting
    // for the confirmation (as a desktop killed then would).
    let (c, reached) = send_while_jobs_wait(&sb, &a, &audience_a, spec_a, 2_500).await;
    assert_eq!(
        a.team_status().unwrap().pending,
        reached + 1,
        "unconfirmed (and its summary)"
    );
    assert!(a.campaign(&c.id).unwrap().team_syncing);
    // The job runs meanwhile: its batch comes to be in the store. The next push finds it there
    // (it was noted in flight before it was written) and writes nothing again.
    until_store(&sb, "the late job wrote its batch", |records| {
        !batches(records).is_empty()
    })
    .await;
    set_faults(&sb, &Faults::default()).await;
    a.team_settled().await;
    assert_eq!(a.team_status().unwrap().pending, 0);
    assert_eq!(
        a.team_status().unwrap().settling,
        0,
        "the claim is given back"
    );
    assert!(!a.campaign(&c.id).unwrap().team_syncing);
    let records = store_records(&sb).await;
    let written = batches(&records);
    assert_eq!(written.len(), 1, "written once");
    for r in &written {
        assert_eq!(r["created_at"], r["updated_at"], "a batch is never updated");
        assert_eq!(r["custom_object_fields"]["count"], reached);
    }
    // Merged once on the other desktop: nobody lost, nobody counted twice.
    let pulled = b.team_sync().await.unwrap();
    assert_eq!(pulled.merged, reached + 1, "its entries and its campaign");
    assert_eq!(b.team_status().unwrap().pulled_entries, reached);
    let checked = b.check_audience(&audience_b, Some(spec_b)).await.unwrap();
    assert_eq!(excluded(&checked, "blackout"), reached);
    // Pulled again: nothing new.
    assert_eq!(b.team_sync().await.unwrap().merged, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audience_check_never_pushes_a_backlog_first() {
    let sb = sandbox(200).await;
    let (a, _ta, spec_a, audience_a) = ready(&sb, WA).await;
    a.team_sync().await.unwrap();
    // 100,000 entries of an earlier send this desktop has not pushed yet.
    let now = a.now_ms();
    a.db()
        .write(|tx| {
            for i in 0..100_000u64 {
                relay_core::blackout::record_blackout(
                    tx,
                    9_000_000 + i,
                    &format!("+4477009{:05}", i),
                    424242,
                    now - 3_600_000,
                    Some("earlier"),
                    relay_core::blackout::Reach::Sent,
                )?;
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(a.team_status().unwrap().pending, 100_000);
    let started = std::time::Instant::now();
    let checked = a.check_audience(&audience_a, Some(spec_a)).await.unwrap();
    println!(
        "audience check with a 100,000-entry backlog: {:?}",
        started.elapsed()
    );
    assert!(checked.eligible > 0);
    // Nothing was pushed: the backlog is still there, and the store holds no batch.
    assert_eq!(a.team_status().unwrap().pending, 100_000);
    assert!(batches(&store_records(&sb).await).is_empty());
    // A sync pushes it, in batches of about 2,000.
    let report = a.team_sync().await.unwrap();
    assert_eq!(report.pushed, 100_000);
    let written = store_records(&sb).await;
    let b = batches(&written);
    assert!((50..=60).contains(&b.len()), "{} batches", b.len());
    assert!(report.requests < 40, "{report:?}");
}

/// A request to the sandbox's Zendesk API as its admin (what an earlier Relay, or an admin by
/// hand, would do).
async fn zendesk_as_admin(
    sb: &relay_sandbox::Sandbox,
    method: reqwest::Method,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let i = sb.info();
    let r = reqwest::Client::new()
        .request(method, format!("{}{path}", i.base_url))
        .basic_auth(format!("{}/token", i.zendesk_email), Some(&i.zendesk_token))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_records_of_an_earlier_relay_are_folded_once_and_keep_blacking_out() {
    use reqwest::Method;
    let sb = sandbox(150).await;
    let (a, _ta, spec_a, audience_a) = ready(&sb, WA).await;
    let (b, _tb, spec_b, audience_b) = ready_too(&sb, WA).await;
    let c = a
        .create_campaign(&audience_a, spec_a, Some(400), None)
        .await
        .unwrap();
    a.run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    // What A reached, as an earlier Relay kept it: one record per entry, the number and the user
    // id in clear, from a desktop that is gone. A's batches are deleted (in a bulk job).
    let entries: Vec<(i64, String, i64, i64, String)> = a
        .db()
        .connection()
        .prepare("SELECT fingerprint, phone, user_id, sent_at, state FROM blackout")
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(entries.len() > 50);
    let ids: Vec<String> = batches(&store_records(&sb).await)
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    zendesk_as_admin(
        &sb,
        Method::POST,
        "/api/v2/custom_objects/relay_batch/jobs",
        serde_json::json!({"job": {"action": "delete", "items": ids}}),
    )
    .await;
    until_store(&sb, "the delete job removed every batch", |records| {
        batches(records).is_empty()
    })
    .await;
    zendesk_as_admin(
        &sb,
        Method::POST,
        "/api/v2/custom_objects",
        serde_json::json!({"custom_object": {"key": "relay_entry", "title": "Relay message sent",
            "title_pluralized": "Relay messages sent", "include_in_list_view": true}}),
    )
    .await;
    for (key, kind) in [
        ("fingerprint", "text"),
        ("number", "text"),
        ("user_id", "text"),
        ("sent_at", "integer"),
        ("state", "text"),
        ("campaign", "text"),
        ("desktop", "text"),
    ] {
        zendesk_as_admin(
            &sb,
            Method::POST,
            "/api/v2/custom_objects/relay_entry/fields",
            serde_json::json!({"custom_object_field": {"key": key, "title": key, "type": kind}}),
        )
        .await;
    }
    for chunk in entries.chunks(100) {
        let items: Vec<serde_json::Value> = chunk
            .iter()
            .map(|(f, p, u, at, state)| {
                serde_json::json!({
                "name": format!("{f}:{p}"), "external_id": format!("{f}:{p}"),
                "custom_object_fields": {"fingerprint": f.to_string(), "number": p,
                    "user_id": u.to_string(), "sent_at": at, "state": state,
                    "campaign": "an-earlier-one", "desktop": "old-host/0000aaaa"}})
            })
            .collect();
        zendesk_as_admin(&sb, Method::POST, "/api/v2/custom_objects/relay_entry/jobs",
            serde_json::json!({"job": {"action": "create_or_update_by_external_id", "items": items}})).await;
    }
    // B reads them once, into its ledger: everyone A reached stays blacked out there.
    let first = b.team_sync().await.unwrap();
    assert_eq!(
        first.merged,
        entries.len() as u32 + 1,
        "the entries and A's campaign"
    );
    let checked = b.check_audience(&audience_b, Some(spec_b)).await.unwrap();
    assert_eq!(excluded(&checked, "blackout"), entries.len() as u32);
    // Then left alone: not read again (only the last second's campaign summary is, by `$gte`).
    let again = b.team_sync().await.unwrap();
    assert!(again.merged == 0 && again.pulled <= 1, "{again:?}");
    // B's status says they are there; an admin deletes them; the blackout holds.
    assert_eq!(
        b.team_status().unwrap().legacy_records,
        entries.len() as u32
    );
    assert_eq!(b.team_delete_legacy().await.unwrap(), entries.len() as u32);
    assert_eq!(b.team_status().unwrap().legacy_records, 0);
    let left = store_records(&sb).await;
    assert!(!left.iter().any(|r| r["custom_object_key"] == "relay_entry"));
    let checked = b.recheck(&audience_b).await.unwrap();
    assert_eq!(excluded(&checked, "blackout"), entries.len() as u32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_past_the_longest_blackout_are_deleted_by_an_admin_desktop() {
    let sb = sandbox(120).await;
    let (a, _ta, spec_a, audience_a) = ready(&sb, WA).await;
    let (b, _tb, spec_b, audience_b) = ready_too(&sb, WA).await;
    // A sent 400 days ago (its clock says so); B sends today.
    let day = 86_400_000i64;
    let now = Arc::new(AtomicI64::new(a.now_ms() - 400 * day));
    let clock = now.clone();
    let a = a.with_clock(Arc::new(move || clock.load(Ordering::Relaxed)));
    let old = a
        .create_campaign(&audience_a, spec_a, Some(400), None)
        .await
        .unwrap();
    a.run_campaign(&old.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    let recent = b
        .create_campaign(&audience_b, spec_b, Some(400), None)
        .await
        .unwrap();
    b.run_campaign(&recent.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(batches(&store_records(&sb).await).len(), 2);
    // Today on A: its sync deletes the batch older than a year, not B's.
    now.store(b.now_ms(), Ordering::Relaxed);
    a.team_sync().await.unwrap();
    let left = store_records(&sb).await;
    let left = batches(&left);
    assert_eq!(left.len(), 1);
    assert_eq!(
        left[0]["custom_object_fields"]["desktop"],
        b.desktop_id().unwrap().as_str()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_posted_but_never_written_goes_again_once_given_up() {
    let sb = sandbox(150).await;
    let (a, _ta, spec_a, audience_a) = ready(&sb, WA).await;
    let now = Arc::new(AtomicI64::new(a.now_ms()));
    let clock = now.clone();
    let a = a
        .with_settle_at_end(std::time::Duration::from_millis(500))
        .with_clock(Arc::new(move || clock.load(Ordering::Relaxed)));
    let (b, _tb, _spec_b, _audience_b) = ready_too(&sb, WA).await;
    // The store accepts the job and never runs it (as a job lost on its side).
    let (_, reached) = send_while_jobs_wait(&sb, &a, &audience_a, spec_a, 3_600_000).await;
    set_faults(&sb, &Faults::default()).await;
    // Not found in the store, but young: left in flight (the job may still run).
    a.team_sync().await.unwrap();
    assert!(batches(&store_records(&sb).await).is_empty());
    assert!(a.team_status().unwrap().pending >= reached);
    // Ten minutes on, given up: its entries go again, in a batch that is written.
    now.fetch_add(11 * 60_000, Ordering::Relaxed);
    a.team_sync().await.unwrap();
    assert_eq!(a.team_status().unwrap().pending, 0);
    let written = store_records(&sb).await;
    let written = batches(&written);
    assert_eq!(written.len(), 1);
    assert_eq!(written[0]["custom_object_fields"]["count"], reached);
    b.team_sync().await.unwrap();
    assert_eq!(b.team_status().unwrap().pulled_entries, reached);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_end_of_a_send_cut_short_while_its_batch_waits_for_its_turn_leaves_nothing_stuck() {
    let sb = sandbox(400).await;
    let (ws, _tmp, spec, audience) = ready(&sb, WA).await;
    // The store's pace at one request a second, and the end of a send waiting less than that:
    // the push at the end is cut short while its job waits for its turn (marked in flight, not
    // yet posted). A claim left to expire would take half its life to give up (10 s here).
    let ws = ws
        .with_settle_at_end(std::time::Duration::from_millis(300))
        .with_claim_ttl(std::time::Duration::from_secs(20));
    ws.set_key("team_share_per_minute", "60").unwrap();
    let c = ws
        .create_campaign(&audience, spec, Some(400), None)
        .await
        .unwrap();
    let done = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    assert!(done.counts.sent > 100, "{:?}", done.counts);
    let started = std::time::Instant::now();
    ws.team_settled().await;
    let status = ws.team_status().unwrap();
    assert_eq!(
        status.pending,
        0,
        "every entry confirmed by the store, none left in flight ({:?} after the send)",
        started.elapsed()
    );
    assert_eq!(status.settling, 0);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "the claim given back once its entries were confirmed, not given up on: {:?}",
        started.elapsed()
    );
}
