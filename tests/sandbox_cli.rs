//! `relay sandbox`: prints how to connect (one JSON line with --json) and serves until stopped.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn relay_sandbox_json_prints_credentials_that_work() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_relay"))
        .args(["sandbox", "--json", "--users", "200", "--seed", "7"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: serde_json::Value = serde_json::from_str(&line).expect("one JSON line");
    assert_eq!(info["users"], 200);
    assert_eq!(info["seed"], 7);
    assert!(info["base_url"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    assert_eq!(
        info["sunshine_url"],
        format!("{}/sc", info["base_url"].as_str().unwrap())
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    let me: serde_json::Value = rt.block_on(async {
        reqwest::Client::new()
            .get(format!(
                "{}/api/v2/users/me",
                info["base_url"].as_str().unwrap()
            ))
            .basic_auth(
                format!("{}/token", info["zendesk_email"].as_str().unwrap()),
                Some(info["zendesk_token"].as_str().unwrap()),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(me["user"]["role"], "admin");
}

#[test]
fn bad_sandbox_flags_are_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_relay"))
        .args(["sandbox", "--fault-5xx", "1.5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("between 0 and 1"));
}

#[test]
fn setup_sandbox_refuses_remote_urls_and_says_when_nothing_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |url: &str| {
        Command::new(env!("CARGO_BIN_EXE_relay"))
            .args(["--data-dir"])
            .arg(tmp.path())
            .args(["setup", "--sandbox", url])
            .output()
            .unwrap()
    };
    let out = run("https://acme.zendesk.com");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("local sandbox"));
    // A loopback port where nothing listens.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = run(&format!("http://127.0.0.1:{port}"));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("relay sandbox"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !tmp.path().join("settings.json").exists(),
        "nothing configured"
    );
}
