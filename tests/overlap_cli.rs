//! Nobody twice, through the command line as a user runs it: `relay send` paused with Ctrl+C
//! then sent again before the first is resumed; killed, resumed, then sent again; stopped with
//! SIGTERM; and two `relay campaigns resume` racing. The sandbox's log is the judge.
//! Runs under `./x test` (the CLI keeps its secrets in the session's keychain).

use crate::common;

use common::{
    connect, forget_secrets, json, relay, sandbox, send_parcel_notice, submit_parcel_notice,
};
use serde_json::Value;
use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

fn get(url: &str) -> Value {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async { reqwest::get(url).await.unwrap().json().await.unwrap() })
}

/// The numbers the sandbox received more than once.
fn twice(base: &str) -> Vec<(String, u32)> {
    let log = get(&format!("{base}/_sandbox/notifications"));
    let mut per: HashMap<String, u32> = HashMap::new();
    for n in log["notifications"].as_array().unwrap() {
        *per.entry(n["destination_id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    per.into_iter().filter(|(_, c)| *c > 1).collect()
}

fn received(base: &str) -> u64 {
    get(&format!("{base}/_sandbox/notifications"))["count"]
        .as_u64()
        .unwrap()
}

/// A workspace connected to a fresh sandbox, with the parcel template approved on WhatsApp.
fn workspace(
    tmp: &Path,
    sandbox_args: &[&str],
) -> (common::SandboxChild, String, std::path::PathBuf) {
    let mut args = vec!["--approve-after", "0"];
    args.extend_from_slice(sandbox_args);
    let (sb, info) = sandbox(&args);
    let base = info["base_url"].as_str().unwrap().to_string();
    let data = tmp.join("data");
    connect(&data, &info);
    submit_parcel_notice(&data, tmp);
    (sb, base, data)
}

/// The static value of these tests' one message.
const ON_FRIDAY: &str = "2=static:on Friday";

/// `relay send … --rate RATE` as a child process, its JSON events on a channel.
fn spawn_send(data: &Path, rate: &str) -> (Child, Receiver<Value>) {
    let mut child = Command::new(common::APP)
        .arg("--data-dir")
        .arg(data)
        .args(send_parcel_notice(ON_FRIDAY, &["--rate", rate]))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                if tx.send(v).is_err() {
                    break;
                }
            }
        }
    });
    (child, rx)
}

/// Waits for the campaign's id, then until `sent` reaches `n`.
fn until_sent(events: &Receiver<Value>, n: u64) -> String {
    let mut id = None;
    loop {
        let v = events
            .recv_timeout(Duration::from_secs(60))
            .expect("relay send went quiet");
        if v["event"] == "created" {
            id = Some(v["campaign"]["id"].as_str().unwrap().to_string());
        }
        if v["event"] == "progress" && v["progress"]["counts"]["sent"].as_u64().unwrap() >= n {
            return id.expect("created comes first");
        }
        assert_ne!(
            v["event"], "done",
            "the send ended before {n} were sent: {v}"
        );
    }
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig}");
}

fn show(data: &Path, id: &str) -> Value {
    json(&relay(data, &["--json", "campaigns", "show", id], None))
}

#[test]
fn paused_then_sent_again_then_resumed_reaches_nobody_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let (_sb, base, data) = workspace(tmp.path(), &["--users", "500"]);
    let (mut child, events) = spawn_send(&data, "40");
    let first = until_sent(&events, 40);
    signal(&child, "INT"); // Ctrl+C: the campaign pauses
    assert!(child.wait().unwrap().success());
    assert_eq!(show(&data, &first)["status"], "paused");
    // The same command again, while the first is paused: those the first reached are blacked
    // out, those it still has to send are left to it — nobody is left for the second.
    let again = relay(&data, &send_parcel_notice(ON_FRIDAY, &[]), None);
    assert_eq!(again.status.code(), Some(2), "refused: nobody to send to");
    let found = &json(&again)["found"];
    let excluded = |reason: &str| {
        found["excluded"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["reason"] == reason)
            .map_or(0, |c| c["count"].as_u64().unwrap())
    };
    assert_eq!(found["eligible"], 0, "{found}");
    assert!(excluded("blackout") >= 40, "those sent: {found}");
    assert!(
        excluded("in_other_campaign") > 0,
        "those still pending: {found}"
    );
    let resumed = relay(&data, &["--json", "campaigns", "resume", &first], None);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert_eq!(show(&data, &first)["status"], "completed");
    assert_eq!(twice(&base), vec![], "nobody got the message twice");
    forget_secrets(&data);
}

#[test]
fn killed_resumed_then_sent_again_reaches_nobody_twice() {
    let tmp = tempfile::tempdir().unwrap();
    // 200 ms per request at 100 a second: about 20 are in flight when the process dies.
    let (_sb, base, data) = workspace(tmp.path(), &["--users", "400", "--latency-ms", "200"]);
    let (mut child, events) = spawn_send(&data, "100");
    let id = until_sent(&events, 30);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let resumed = relay(&data, &["--json", "campaigns", "resume", &id], None);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let after = show(&data, &id);
    assert_eq!(after["status"], "completed");
    assert!(
        after["counts"]["unknown"].as_u64().unwrap() > 0,
        "the requests in flight at the kill are unknown: {after}"
    );
    // Every entry, the unknown ones included, went to the team's store when the resume ended.
    let team = json(&relay(&data, &["--json", "team", "status"], None));
    assert_eq!(team["pending"], 0, "{team}");
    assert!(team["last_push"].is_string(), "{team}");
    let synced = json(&relay(&data, &["--json", "team", "sync"], None));
    assert_eq!(
        synced["sync"]["merged"], 0,
        "its own entries come back as nothing new: {synced}"
    );
    let before = received(&base);
    let again = relay(&data, &send_parcel_notice(ON_FRIDAY, &[]), None);
    assert_eq!(
        again.status.code(),
        Some(2),
        "refused: nobody to send to ({})",
        String::from_utf8_lossy(&again.stdout)
    );
    assert_eq!(
        received(&base),
        before,
        "the same message again reaches nobody: sent and unknown ones are all reached"
    );
    assert_eq!(twice(&base), vec![]);
    forget_secrets(&data);
}

#[test]
fn sigterm_pauses_after_the_messages_in_flight_land() {
    let tmp = tempfile::tempdir().unwrap();
    let (_sb, base, data) = workspace(tmp.path(), &["--users", "400", "--latency-ms", "40"]);
    let (mut child, events) = spawn_send(&data, "100");
    let id = until_sent(&events, 30);
    signal(&child, "TERM"); // a shutdown, a logout, `kill`
    child.wait().unwrap();
    let c = show(&data, &id);
    assert_eq!(c["status"], "paused", "{c}");
    assert_eq!(c["counts"]["sending"], 0, "nothing left in flight");
    assert_eq!(
        c["counts"]["unknown"], 0,
        "every request in flight landed and was recorded"
    );
    assert_eq!(received(&base), c["counts"]["sent"].as_u64().unwrap());
    forget_secrets(&data);
}

#[test]
fn two_resumes_racing_send_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (_sb, base, data) = workspace(tmp.path(), &["--users", "400"]);
    let (mut child, events) = spawn_send(&data, "100");
    let id = until_sent(&events, 20);
    signal(&child, "INT");
    assert!(child.wait().unwrap().success());
    let spawn = || {
        Command::new(common::APP)
            .arg("--data-dir")
            .arg(&data)
            .args(["--json", "campaigns", "resume", &id])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let ok = [&a, &b].iter().filter(|o| o.status.success()).count();
    assert!(ok >= 1, "one of them sends it");
    for o in [&a, &b].iter().filter(|o| !o.status.success()) {
        assert_eq!(
            o.status.code(),
            Some(2),
            "the other is refused as bad input"
        );
    }
    assert_eq!(show(&data, &id)["status"], "completed");
    assert_eq!(twice(&base), vec![]);
    forget_secrets(&data);
}

#[test]
fn a_reader_that_goes_away_does_not_stop_the_send() {
    let tmp = tempfile::tempdir().unwrap();
    let (_sb, base, data) = workspace(tmp.path(), &["--users", "300"]);
    // `relay send --json … | head -1`: the pipe closes after the first event.
    let mut child = Command::new(common::APP)
        .arg("--data-dir")
        .arg(&data)
        .args(send_parcel_notice(ON_FRIDAY, &["--rate", "200"]))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let v: Value = serde_json::from_str(&first).unwrap();
    let id = v["campaign"]["id"].as_str().unwrap().to_string();
    let status = child.wait().unwrap();
    assert!(status.success(), "the send went on to the end: {status}");
    let c = show(&data, &id);
    assert_eq!(c["status"], "completed", "{c}");
    assert_eq!(received(&base), c["counts"]["sent"].as_u64().unwrap());
    forget_secrets(&data);
}

#[test]
fn looking_at_a_campaign_from_another_process_never_disturbs_its_send() {
    let tmp = tempfile::tempdir().unwrap();
    let (_sb, base, data) = workspace(tmp.path(), &["--users", "400"]);
    // About 200 recipients at 25 a second: eight seconds of sending.
    let (mut child, events) = spawn_send(&data, "25");
    let id = until_sent(&events, 10);
    // The window (or a script) asks again and again whether it is being sent…
    for _ in 0..5 {
        let c = show(&data, &id);
        assert_eq!(c["status"], "running", "{c}");
        let list = relay(&data, &["--json", "campaigns", "list"], None);
        assert!(list.status.success());
    }
    // …and a resume from another process is refused while it runs.
    let resume = relay(&data, &["--json", "campaigns", "resume", &id], None);
    assert_eq!(resume.status.code(), Some(2), "refused as bad input");
    assert!(
        child.wait().unwrap().success(),
        "the send went on to its end"
    );
    let c = show(&data, &id);
    assert_eq!(c["status"], "completed", "{c}");
    assert_eq!(received(&base), c["counts"]["sent"].as_u64().unwrap());
    assert_eq!(twice(&base), vec![]);
    drop(events);
    forget_secrets(&data);
}
