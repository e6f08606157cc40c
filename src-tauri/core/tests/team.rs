//! One team, many desktops: two data folders on one sandbox, as two desktops of one Zendesk
//! account, sharing the blackout ledger through the account's custom objects. Every test counts
//! what the sandbox received.

mod support;

use relay_core::campaign::CampaignControl;
use relay_core::ErrorCode;
use relay_sandbox::{Faults, JobResults};
use support::excluded;
use support::send::{
    duplicates, ready, ready_too, sandbox, sandbox_log, set_faults, store_off, WA,
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
    let second = b
        .create_campaign(&audience_b, spec_b, Some(400), None)
        .await;
    if let Ok(c) = second {
        b.run_campaign(&c.id, &CampaignControl::default(), |_| {})
            .await
            .ok();
    }
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
    };
    // Bad input: each problem at its field, nothing published.
    let err = a
        .set_team_policy(Policy {
            blackout_days: 9999,
            quiet_hours: "late".into(),
            ..wanted.clone()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    let fields = &err.details.as_ref().unwrap().fields;
    assert!(
        fields.contains_key("blackout_days") && fields.contains_key("quiet_hours"),
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
