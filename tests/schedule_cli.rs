//! The right moment, through the command line: `relay send --quiet-hours` returns when nothing
//! more can be sent now, saying who waits and until when; `relay campaigns show` lists them by
//! window; `relay send --at` records a scheduled campaign and exits; `relay schedule run` sends it
//! at its time (its audience fetched again) and exits when nothing is left. Bad times and windows
//! are refused before anything is fetched. Runs under `./x test` (the session's keychain).

use crate::common;

use common::{connect, forget_secrets, relay, sandbox, send_parcel_notice, submit_parcel_notice};
use serde_json::Value;

/// The JSON events a command printed, one per line.
fn events(out: &std::process::Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|_| {
                panic!("not JSON: {l} ({})", String::from_utf8_lossy(&out.stderr))
            })
        })
        .collect()
}

fn sent_count(base: &str) -> usize {
    let v: Value = tokio::runtime::Runtime::new().unwrap().block_on(async {
        reqwest::get(format!("{base}/_sandbox/notifications"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    v["notifications"].as_array().unwrap().len()
}

#[test]
fn quiet_hours_wait_and_a_schedule_is_sent_at_its_time_by_schedule_run() {
    let (_sb, info) = sandbox(&["--users", "120", "--approve-after", "0"]);
    let base = info["base_url"].as_str().unwrap().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    connect(&data, &info);
    submit_parcel_notice(&data, tmp.path());
    let send = |static_value: &str, extra: &[&str]| {
        let rate = send_parcel_notice(static_value, &["--rate", "200"]);
        relay(&data, &[rate.as_slice(), extra].concat(), None)
    };

    // Bad input changes nothing, and says what to write.
    for (extra, field) in [
        (["--quiet-hours", "9pm-8am"], "quiet_hours"),
        (["--at", "tomorrow"], "at"),
        (["--at", "2001-01-01 09:00"], "at"),
    ] {
        let refused = send("2=static:on Monday", &extra);
        assert_eq!(refused.status.code(), Some(2), "{extra:?}");
        let e = &events(&refused)[0]["error"];
        assert!(e["details"]["fields"][field].is_object(), "{extra:?}: {e}");
    }
    assert_eq!(sent_count(&base), 0);
    let listed: Value =
        serde_json::from_slice(&relay(&data, &["--json", "campaigns", "list"], None).stdout)
            .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 0, "nothing was recorded");

    // Quiet nearly all day long, in each recipient's zone: nobody is in their one open minute
    // but by chance; the send returns at once, waiting, and says until when.
    let quiet = send("2=static:on Monday", &["--quiet-hours", "00:00-23:59"]);
    assert!(
        quiet.status.success(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
    let done = events(&quiet).pop().unwrap();
    assert_eq!(done["event"], "done");
    let c = &done["campaign"];
    assert_eq!(c["status"], "waiting");
    assert_eq!(c["quiet_hours"], "00:00-23:59");
    let waiting = c["waiting"].as_u64().unwrap();
    let sent = c["counts"]["sent"].as_u64().unwrap();
    assert!(waiting > 50, "{c}");
    assert_eq!(
        waiting + sent,
        c["counts"]["pending"].as_u64().unwrap() + sent
    );
    assert_eq!(sent_count(&base) as u64, sent);
    assert!(c["next_at"].as_str().unwrap().parse::<i64>().unwrap() > 0);
    let id = c["id"].as_str().unwrap().to_string();
    let shown: Value =
        serde_json::from_slice(&relay(&data, &["--json", "campaigns", "show", &id], None).stdout)
            .unwrap();
    let windows = shown["waiting_windows"].as_array().unwrap();
    assert!(!windows.is_empty());
    assert_eq!(
        windows
            .iter()
            .map(|w| w["count"].as_u64().unwrap())
            .sum::<u64>(),
        waiting
    );
    let human = String::from_utf8_lossy(&relay(&data, &["campaigns", "show", &id], None).stdout)
        .to_string();
    assert!(
        human.contains("waiting for their quiet hours to end"),
        "{human}"
    );
    // A `relay schedule run` killed while it waits for their window: nothing changes (nothing
    // was in flight); a resume finds nobody due and the campaign waits again, whole.
    let mut runner = std::process::Command::new(common::APP)
        .arg("--data-dir")
        .arg(&data)
        .args(["schedule", "run"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(2));
    runner.kill().unwrap(); // SIGKILL
    runner.wait().unwrap();
    let resumed = events(&relay(&data, &["--json", "campaigns", "resume", &id], None))
        .pop()
        .unwrap();
    assert_eq!(resumed["campaign"]["status"], "waiting");
    assert_eq!(resumed["campaign"]["waiting"].as_u64().unwrap(), waiting);
    assert_eq!(resumed["campaign"]["counts"]["unknown"], 0);
    assert_eq!(
        sent_count(&base) as u64,
        sent,
        "nobody sent twice, nobody early"
    );
    // Cancelled, those waiting never go.
    assert!(relay(&data, &["campaigns", "cancel", &id], None)
        .status
        .success());

    // Scheduled a few seconds ahead: recorded, and the command exits at once.
    let at = chrono::Utc::now() + chrono::Duration::seconds(8);
    let scheduled = send("2=static:on Tuesday", &["--at", &at.to_rfc3339()]);
    assert!(
        scheduled.status.success(),
        "{}",
        String::from_utf8_lossy(&scheduled.stderr)
    );
    let created = events(&scheduled).pop().unwrap();
    assert_eq!(created["event"], "created");
    assert_eq!(created["campaign"]["status"], "scheduled");
    // The WhatsApp messaging limit as it stood: not set in this workspace (Relay says so).
    assert_eq!(
        created["whatsapp_budget"]["limit"]["kind"], "not_set",
        "{created}"
    );
    assert_eq!(
        created["campaign"]["scheduled_at"],
        at.timestamp_millis().to_string()
    );
    let before = sent_count(&base);
    let list: Value =
        serde_json::from_slice(&relay(&data, &["--json", "schedule", "list"], None).stdout)
            .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["status"], "scheduled");

    // `relay schedule run` waits for it, sends it, and exits when nothing is left.
    let ran = relay(&data, &["--json", "schedule", "run"], None);
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    assert!(chrono::Utc::now() >= at, "not before its time");
    let done = events(&ran)
        .into_iter()
        .rev()
        .find(|e| e["event"] == "done")
        .expect("the campaign's end");
    assert_eq!(done["campaign"]["status"], "completed");
    let newly = done["campaign"]["counts"]["sent"].as_u64().unwrap();
    assert!(newly > 50);
    assert_eq!(sent_count(&base) - before, newly as usize);
    assert_eq!(
        done["campaign"]["scheduled_counts"]["pending"]
            .as_u64()
            .unwrap(),
        newly,
        "nobody changed meanwhile: the same people as when it was scheduled"
    );
    let list: Value =
        serde_json::from_slice(&relay(&data, &["--json", "schedule", "list"], None).stdout)
            .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 0);
    forget_secrets(&data);
}
