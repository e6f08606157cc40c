//! Harness for tests that drive the real Relay window over WebDriver (`tauri-driver` +
//! `WebKitWebDriver`). `./x test` runs them under Xvfb, in a private D-Bus session with an
//! unlocked GNOME Keyring, with XDG folders in a temporary directory.
#![allow(dead_code)]

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const APP: &str = env!("CARGO_BIN_EXE_relay");
const WAIT: Duration = Duration::from_secs(20);

/// Screenshots of every screen the tests visit: target/e2e-screenshots/.
pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|p| p.join("e2e-screenshots"))
        .unwrap_or_else(|| PathBuf::from("target/e2e-screenshots"));
    std::fs::create_dir_all(&dir).expect("create the screenshot folder");
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `tauri-driver`, stopped with SIGTERM on drop (SIGKILL would orphan WebKitWebDriver).
pub struct Driver {
    child: Child,
    pub port: u16,
}

impl Driver {
    /// Starts tauri-driver; the app it launches inherits `envs` (its data folder, for example).
    pub fn start(envs: &[(&str, &Path)]) -> Driver {
        let port = free_port();
        let native = free_port();
        let mut cmd = Command::new("tauri-driver");
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .env(WINDOW_MARK, mark(port));
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap_or_else(|e| {
            panic!("could not start tauri-driver ({e}): install it with `cargo install --locked tauri-driver` (./x test does)")
        });
        let driver = Driver { child, port };
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let start = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                start.elapsed() < WAIT,
                "tauri-driver did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }

    /// Opens the app in a new WebDriver session.
    pub async fn open_app(&self) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert("tauri:options".into(), json!({ "application": APP }));
        ClientBuilder::native()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("WebDriver session with the Relay window")
    }
}

/// Set on tauri-driver and so inherited by everything it starts: the app (which WebKitWebDriver
/// leaves to init when its session ends) and the app's WebKit processes.
const WINDOW_MARK: &str = "RELAY_TEST_WINDOW";

fn mark(port: u16) -> String {
    format!("{}-{port}", std::process::id())
}

/// The processes whose environment holds `var` (`NAME=value`), read from `/proc` (Linux, where
/// the window tests run; none elsewhere). A process that has exited has none.
pub fn processes_with_env(var: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|v| v == var.as_bytes()))
        })
        .collect()
}

/// The processes started under this mark.
fn marked(mark: &str) -> Vec<u32> {
    processes_with_env(&format!("{WINDOW_MARK}={mark}"))
}

fn signal(sig: &str, pids: &[u32]) {
    if pids.is_empty() {
        return;
    }
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .args(pids.iter().map(u32::to_string))
        .stderr(Stdio::null())
        .status();
}

impl Drop for Driver {
    /// Stops tauri-driver, then what it started and left behind: an app that stays in the tray
    /// (a campaign waiting or scheduled) outlives the WebDriver session. SIGTERM lets it pause
    /// its sends as a system shutdown would; what is still there 15 s later is killed.
    fn drop(&mut self) {
        signal("TERM", &[self.child.id()]);
        let _ = self.child.wait();
        let mark = mark(self.port);
        signal("TERM", &marked(&mark));
        let start = Instant::now();
        while !marked(&mark).is_empty() && start.elapsed() < Duration::from_secs(15) {
            std::thread::sleep(Duration::from_millis(100));
        }
        signal("KILL", &marked(&mark));
    }
}

/// Polls a JavaScript expression until it is truthy.
pub async fn until(client: &Client, what: &str, js: &str) -> Value {
    until_long(client, what, js, WAIT).await
}

/// [`until`], waiting up to `wait` (something the app does on its own at a given time).
pub async fn until_long(client: &Client, what: &str, js: &str, wait: Duration) -> Value {
    let start = Instant::now();
    loop {
        let v = client
            .execute(&format!("return ({js});"), vec![])
            .await
            .unwrap_or(Value::Null);
        let truthy = match &v {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::String(s) => !s.is_empty(),
            Value::Number(n) => n.as_f64() != Some(0.0),
            _ => true,
        };
        if truthy {
            return v;
        }
        if start.elapsed() > wait {
            // Keep what the window showed, to see why.
            if let Ok(png) = client.screenshot().await {
                let _ = std::fs::write(screenshot_dir().join("FAILED-last-timeout.png"), png);
            }
            let body = client
                .execute("return document.body.innerText;", vec![])
                .await
                .unwrap_or(Value::Null);
            panic!("timed out waiting for {what} (`{js}` was {v}); the page said:\n{body}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn css(client: &Client, selector: &str) -> Element {
    until(
        client,
        selector,
        &format!("document.querySelector({})", json!(selector)),
    )
    .await;
    client.find(Locator::Css(selector)).await.expect(selector)
}

pub async fn text_of(client: &Client, selector: &str) -> String {
    css(client, selector).await.text().await.unwrap()
}

pub async fn value_of(client: &Client, selector: &str) -> String {
    css(client, selector)
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// Replaces the value of an input, as a person typing would (a newline is the Enter key:
/// WebKitWebDriver drops a typed "\n").
pub async fn fill(client: &Client, selector: &str, value: &str) {
    let el = css(client, selector).await;
    el.clear().await.unwrap();
    el.send_keys(&value.replace('\n', "\u{E007}"))
        .await
        .unwrap();
}

pub async fn click(client: &Client, selector: &str) {
    css(client, selector).await.click().await.unwrap();
}

/// An attribute of the first element `selector` matches ("" when absent).
pub async fn attr(client: &Client, selector: &str, name: &str) -> String {
    client
        .execute(
            &format!("return document.querySelector({selector:?}).getAttribute({name:?}) || '';"),
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The number shown in `selector` (digits only: thousands separators dropped).
pub async fn number_in(client: &Client, selector: String) -> u64 {
    client
        .execute(
            &format!(
                "return Number(document.querySelector({selector:?}).textContent.replace(/\\D/g, ''));"
            ),
            vec![],
        )
        .await
        .unwrap()
        .as_u64()
        .unwrap_or_else(|| panic!("no number in {selector}"))
}

/// Waits until the text of `selector` contains `needle`.
pub async fn until_text(client: &Client, selector: &str, needle: &str) {
    until(
        client,
        &format!("{selector} to contain {needle:?}"),
        &format!(
            "(document.querySelector({}) || {{}}).textContent && document.querySelector({}).textContent.includes({})",
            json!(selector),
            json!(selector),
            json!(needle)
        ),
    )
    .await;
}

/// Saves a screenshot after the next two animation frames (a screenshot taken right after a
/// DOM change can otherwise show the previous frame), then audits the screen ([`audit`]).
pub async fn screenshot(client: &Client, name: &str) {
    let _ = client
        .execute_async(
            "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            vec![],
        )
        .await;
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("write screenshot");
    // Every screen a journey shows is audited: a new screen is one screenshot away.
    audit(client, name).await;
}

/// WebDriver's codes of the keys a keyboard journey presses.
pub mod keys {
    pub const TAB: &str = "\u{E004}";
    pub const SHIFT_TAB: &str = "\u{E008}\u{E004}";
    pub const ENTER: &str = "\u{E007}";
    pub const SPACE: &str = " ";
    pub const ESCAPE: &str = "\u{E00C}";
    pub const DOWN: &str = "\u{E015}";
}

/// Presses `keys` on whatever has the focus, as a keyboard does.
pub async fn press(client: &Client, keys: &str) {
    // The focused element may be drawn again between finding it and pressing (a list refreshed
    // by the previous key): found again.
    for attempt in 0..10 {
        let focused = client
            .active_element()
            .await
            .expect("something has the focus");
        match focused.send_keys(keys).await {
            Ok(()) => return,
            Err(e) if attempt < 9 => {
                eprintln!("pressing again ({e})");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("keys not pressed: {e}"),
        }
    }
}

/// Whether the focus is on an element matching `selector`.
pub async fn focused_on(client: &Client, selector: &str) -> bool {
    client
        .execute(
            "return !!document.activeElement && document.activeElement.matches(arguments[0]);",
            vec![json!(selector)],
        )
        .await
        .unwrap_or(Value::Bool(false))
        == Value::Bool(true)
}

/// Presses Tab (or Shift+Tab) until the focus reaches `selector`, at most `max` times — it is
/// reachable from the keyboard, in the focus order — and checks that the focus shows (an
/// outline or a ring drawn, or the browser's keyboard focus, which the UI's CSS outlines on every
/// element).
pub async fn tab_to(client: &Client, selector: &str, max: u32) {
    move_focus_to(client, selector, max, keys::TAB).await
}

/// [`tab_to`] backwards (Shift+Tab).
pub async fn shift_tab_to(client: &Client, selector: &str, max: u32) {
    move_focus_to(client, selector, max, keys::SHIFT_TAB).await
}

async fn move_focus_to(client: &Client, selector: &str, max: u32, key: &str) {
    // The way back: the focus left and came again the way it arrived.
    let back = if key == keys::TAB {
        keys::SHIFT_TAB
    } else {
        keys::TAB
    };
    for _ in 0..=max {
        if focused_on(client, selector).await {
            // A focus the window placed itself (a step that focuses its first control), or one
            // the window restored when the display's focus came back to it from the other test
            // window, shows only once a key moves it: away and back, a few times.
            for _ in 0..3 {
                if focus_shows(client).await {
                    return;
                }
                press(client, back).await;
                press(client, key).await;
                tokio::time::sleep(Duration::from_millis(150)).await;
                if !focused_on(client, selector).await {
                    break;
                }
            }
            if focused_on(client, selector).await {
                let state = client
                    .execute(
                        "const e = document.activeElement, s = getComputedStyle(e);
                         return { hasFocus: document.hasFocus(), focusVisible: e.matches(':focus-visible'),
                                  outline: s.outlineStyle + ' ' + s.outlineWidth, boxShadow: s.boxShadow };",
                        vec![],
                    )
                    .await
                    .unwrap_or(Value::Null);
                panic!("no visible focus on {selector}: {state}");
            }
            continue;
        }
        press(client, key).await;
    }
    let on = client
        .execute(
            "const e = document.activeElement; return e ? e.outerHTML.slice(0, 200) : null;",
            vec![],
        )
        .await
        .unwrap_or(Value::Null);
    let present = client
        .execute(
            "return [...document.querySelectorAll(arguments[0])].map(e => e.outerHTML.slice(0, 120) + ' disabled=' + e.disabled + ' tabIndex=' + e.tabIndex);",
            vec![json!(selector)],
        )
        .await
        .unwrap_or(Value::Null);
    panic!("{selector} not reached in {max} presses of {key:?}; the focus is on {on}; the page has {present}");
}

/// Whether the focused element shows its focus.
async fn focus_shows(client: &Client) -> bool {
    client
        .execute(
            "const e = document.activeElement, s = getComputedStyle(e);
                     if ((s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'
                         || e.matches(':focus-visible')) return true;
                     if (document.hasFocus()) return false;
                     // Another window has the system's focus (the window tests run two at a time on
                     // one display), so no focus style applies now: the UI's rule for the keyboard's
                     // focus must still outline this element.
                     return [...document.styleSheets].some(sheet => {
                       try {
                         // The outline's shorthand as written: with a var() in it, its longhands read empty.
                         const drawn = st => ['outline', 'outline-width', 'outline-style'].some(p => {
                           const v = st.getPropertyValue(p).trim(); return v !== '' && !/^(none|0(px)?)\\b/.test(v); });
                         return [...sheet.cssRules].some(r => r.selectorText && r.selectorText.includes(':focus-visible')
                           && r.style && drawn(r.style)
                           && r.selectorText.split(',').some(sel => sel.includes(':focus-visible')
                                && e.matches(sel.replace(/:focus-visible/g, '').trim() || '*')));
                       } catch (_) { return false; }
                     });",
            vec![],
        )
        .await
        .unwrap_or(Value::Bool(false))
        == Value::Bool(true)
}

/// The accessibility audit of what the window shows: axe-core (the engine most audit tools run,
/// from the UI's development packages) injected into the page and run under the WCAG 2.0/2.1 A
/// and AA rules. A violation of impact serious or critical fails the test; the others are
/// printed, with the screen's name.
pub async fn audit(client: &Client, screen: &str) {
    let injected = client
        .execute("return typeof window.axe === 'object';", vec![])
        .await
        .unwrap_or(Value::Bool(false));
    if injected != Value::Bool(true) {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/node_modules/axe-core/axe.min.js");
        let source = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (the UI's packages: `npm ci --prefix ui`, which ./x test runs)",
                path.display()
            )
        });
        client
            .execute(&source, vec![])
            .await
            .expect("axe-core injected");
    }
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] })
               .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
                   nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').split('\\n').slice(1, 3).join(' ').trim()) }))))
               .catch(e => done({ error: String(e) }));",
            vec![],
        )
        .await
        .expect("axe-core ran");
    let Some(violations) = found.as_array() else {
        panic!("the audit of {screen} could not run: {found}");
    };
    let mut blocking = Vec::new();
    for v in violations {
        let impact = v["impact"].as_str().unwrap_or("unknown");
        let line = format!(
            "audit {screen}: {impact} {} ({} elements): {}\n    {}",
            v["id"].as_str().unwrap_or_default(),
            v["count"],
            v["help"].as_str().unwrap_or_default(),
            v["nodes"]
                .as_array()
                .map(|n| n
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("\n    "))
                .unwrap_or_default()
        );
        eprintln!("{line}");
        if matches!(impact, "serious" | "critical") {
            blocking.push(line);
        }
    }
    assert!(
        blocking.is_empty(),
        "{} serious or critical accessibility violations on {screen}:\n{}",
        blocking.len(),
        blocking.join("\n")
    );
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        if let Ok(entries) = std::fs::read_dir(&d) {
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// Asserts that no file under `dir` contains `secret` (raw bytes, so SQLite pages and logs count).
pub fn assert_secret_absent(dir: &Path, secret: &str) {
    let files = files_under(dir);
    assert!(
        !files.is_empty(),
        "{} should hold Relay's files",
        dir.display()
    );
    for f in files {
        let bytes = std::fs::read(&f).unwrap_or_default();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the secret was written to {}",
            f.display()
        );
    }
}

/// What `secret-tool` finds in the Secret Service for Relay's service.
pub fn secret_service_dump() -> String {
    let out = Command::new("secret-tool")
        .args([
            "search",
            "--all",
            "--unlock",
            "service",
            relay_core::secrets::KEYCHAIN_SERVICE,
        ])
        .output()
        .expect("secret-tool (package libsecret-tools)");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

// ---- the `relay` command line, as a child process ----------------------------------------

/// Runs `relay --data-dir DATA ARGS…`, feeding `stdin` (closed right after).
pub fn relay(data: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(APP)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

/// A `relay sandbox` child process, stopped when dropped (also when a test panics).
pub struct SandboxChild(pub std::process::Child);

impl std::ops::Deref for SandboxChild {
    type Target = std::process::Child;
    fn deref(&self) -> &std::process::Child {
        &self.0
    }
}

impl std::ops::DerefMut for SandboxChild {
    fn deref_mut(&mut self) -> &mut std::process::Child {
        &mut self.0
    }
}

impl Drop for SandboxChild {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `relay sandbox --json ARGS`; returns the process and what it printed.
pub fn sandbox(args: &[&str]) -> (SandboxChild, serde_json::Value) {
    let mut child = Command::new(APP)
        .args(["sandbox", "--json"])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    (SandboxChild(child), serde_json::from_str(&line).unwrap())
}

/// `relay setup --sandbox URL`, which must succeed.
pub fn connect(data: &std::path::Path, info: &serde_json::Value) {
    let setup = relay(
        data,
        &["setup", "--sandbox", info["base_url"].as_str().unwrap()],
        None,
    );
    assert!(
        setup.status.success(),
        "{}",
        String::from_utf8_lossy(&setup.stderr)
    );
}

/// Takes the workspace's secrets out of the keychain again.
pub fn forget_secrets(data: &std::path::Path) {
    for name in ["zendesk_api_token", "sunshine_key_secret"] {
        relay(data, &["settings", "clear-secret", name], None);
    }
}

/// The one JSON document a command printed (`--json`).
pub fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "not one JSON document: {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The sandbox's WhatsApp integration, to which [`submit_parcel_notice`] submits.
pub const WA: &str = "5f1e0c3a9b8d7e6f5a4b3c31";

/// The arguments of `relay --json send …` for the parcel notice ([`submit_parcel_notice`]) to
/// every end user, on WhatsApp, confirmed: `Ann` from the first name, the second slot from
/// `static_value` (`2=static:…`: another value, another message), then `extra` (`--rate 200`…).
pub fn send_parcel_notice<'a>(static_value: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--json",
        "send",
        "--query",
        "role:end-user",
        "--template",
        "parcel_notice",
        "--integration",
        WA,
        "--map",
        "Ann=field:first_name",
        "--map",
        static_value,
        "--yes",
    ];
    args.extend_from_slice(extra);
    args
}

/// Submits the CLI tests' WhatsApp template, `parcel_notice` (slots `Ann` and `on Friday`), from
/// a file written under `dir`; panics with the command's words when it is refused.
pub fn submit_parcel_notice(data: &std::path::Path, dir: &std::path::Path) {
    let file = dir.join("parcel.json");
    std::fs::write(
        &file,
        r#"{"name": "parcel_notice", "language": "en_US", "body": "Hi {{Ann}}, your parcel arrives {{on Friday}} before noon.",
            "integrations": ["5f1e0c3a9b8d7e6f5a4b3c31"]}"#,
    )
    .unwrap();
    let submitted = relay(data, &["template", "submit", file.to_str().unwrap()], None);
    assert!(
        submitted.status.success(),
        "{}",
        String::from_utf8_lossy(&submitted.stderr)
    );
}
