//! One team, many desktops, through the command line: two data folders on one sandbox, as two
//! desktops. A publishes the team's policy (`relay team policy set`) and sends a campaign; B,
//! after `relay team sync`, applies the policy (and refuses a local change of it, with a hint),
//! and lists A's campaign (`relay team campaigns`). Runs under `./x test` (the session's keychain).

use crate::common;

use common::{
    connect, forget_secrets, json, relay, sandbox, send_parcel_notice, submit_parcel_notice,
};

#[test]
fn a_policy_published_on_one_desktop_applies_on_another_which_lists_its_campaigns() {
    let (_sb, info) = sandbox(&["--users", "60", "--approve-after", "0"]);
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    connect(&a, &info);
    connect(&b, &info);

    // Bad input: refused at its field, nothing published.
    let bad = relay(
        &a,
        &["--json", "team", "policy", "set", "--quiet-hours", "late"],
        None,
    );
    assert_eq!(
        bad.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&bad.stdout)
    );
    let shown = json(&relay(&a, &["--json", "team", "policy"], None));
    assert!(shown["team_policy"].is_null(), "{shown}");

    let set = json(&relay(
        &a,
        &[
            "--json",
            "team",
            "policy",
            "set",
            "--blackout-days",
            "3",
            "--default-country",
            "fr",
            "--quiet-hours",
            "off",
            "--roles",
            "admin,agent",
            "--whatsapp-limit",
            "2000",
            "--language-rules",
            "pt=pt_PT, es-419=es_MX",
        ],
        None,
    ));
    assert_eq!(set["policy"]["blackout_days"], 3, "{set}");
    assert_eq!(set["policy"]["whatsapp_limit"], "2000", "{set}");
    assert_eq!(
        set["policy"]["language_rules"],
        serde_json::json!(["pt=pt_PT", "es-419=es_MX"]),
        "{set}"
    );
    assert_eq!(set["policy"]["default_country"], "FR", "{set}");
    assert_eq!(set["changed_by"], info["zendesk_email"], "{set}");

    // A sends a campaign.
    submit_parcel_notice(&a, tmp.path());
    let sent = relay(
        &a,
        &send_parcel_notice("2=static:on Friday", &["--rate", "200"]),
        None,
    );
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );

    // B reads both at its sync.
    let synced = json(&relay(&b, &["--json", "team", "sync"], None));
    assert!(synced["sync"]["merged"].as_u64().unwrap() > 0, "{synced}");
    let policy = json(&relay(&b, &["--json", "team", "policy"], None));
    assert_eq!(policy["applied"]["blackout_days"], 3, "{policy}");
    assert_eq!(policy["team_policy"]["changed_by"], info["zendesk_email"]);
    let settings = json(&relay(&b, &["--json", "settings", "show"], None));
    assert_eq!(settings["settings"]["blackout_days"], 3, "{settings}");
    assert_eq!(
        settings["settings"]["language_rules"],
        serde_json::json!(["pt=pt_PT", "es-419=es_MX"]),
        "{settings}"
    );
    let shown = relay(&b, &["team", "policy"], None);
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.contains("language rules   pt=pt_PT, es-419=es_MX")
            && shown.contains("WhatsApp limit   2000"),
        "{shown}"
    );
    // A local change of the policy is refused, with the command that changes it.
    let refused = relay(
        &b,
        &["--json", "settings", "set", "blackout_days", "10"],
        None,
    );
    assert_eq!(refused.status.code(), Some(2));
    let err = json(&refused);
    assert_eq!(
        err["error"]["details"]["fields"]["blackout_days"]["key"], "team.policy_field",
        "{err}"
    );
    assert!(
        err["hint"]
            .as_str()
            .unwrap()
            .contains("relay team policy set"),
        "{err}"
    );
    let campaigns = json(&relay(&b, &["--json", "team", "campaigns"], None));
    let list = campaigns.as_array().unwrap();
    assert_eq!(list.len(), 1, "{campaigns}");
    assert_eq!(list[0]["status"], "completed");
    assert!(
        list[0]["counts"]["sent"].as_u64().unwrap() > 10,
        "{campaigns}"
    );
    assert_eq!(list[0]["sender"], info["zendesk_email"]);
    let human = relay(&b, &["team", "campaigns"], None);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("parcel_notice") && text.contains("completed"),
        "{text}"
    );
    forget_secrets(&a);
    forget_secrets(&b);
}
