//! `relay setup` (interactive, or connected to a running sandbox, then the connection test) and
//! `relay integrations list`.

use super::output::Output;
use super::{failed, open_workspace, runtime, CliResult};
use clap::Subcommand;
use relay_core::connect::ConnectionReport;
use relay_core::paths::DataDir;
use relay_core::secrets::{SecretInput, SecretKind};
use relay_core::text::Text;
use relay_core::workspace::Workspace;
use relay_core::{AppError, AppResult, ErrorCode};
use serde_json::json;
use std::io::{IsTerminal, Write};

#[derive(Debug, Subcommand)]
pub enum IntegrationsCommand {
    /// List WhatsApp, Twilio and MessageBird integrations: type, name, number, status, rate.
    List,
}

/// Asks for each setting (Enter keeps the current value) and each secret (hidden); validates each
/// answer as it comes, asking again after a refusal.
fn interactive_setup(
    ws: &Workspace,
    input: &mut dyn std::io::BufRead,
    read_secret: &mut dyn FnMut(&str) -> String,
) -> AppResult<()> {
    let mut ask = |key: &str, label: &str| -> AppResult<()> {
        loop {
            let current = ws
                .settings()?
                .to_map()
                .get(key)
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            print!("{label} [{current}]: ");
            let _ = std::io::stdout().flush();
            let mut line = String::new();
            if input.read_line(&mut line).map_err(|e| {
                AppError::new(
                    ErrorCode::Io,
                    Text::verbatim(format!("Could not read the answer: {e}")),
                )
            })? == 0
            {
                return Err(AppError::invalid_field(
                    "setup",
                    Text::verbatim("The input ended before the setup was complete."),
                ));
            }
            let answer = line.trim();
            if answer.is_empty() {
                return Ok(());
            }
            match ws.set_key(key, answer) {
                Ok(_) => return Ok(()),
                Err(e) => println!("  {}", e.message),
            }
        }
    };
    ask(
        "zendesk_subdomain",
        "Zendesk subdomain (acme for acme.zendesk.com)",
    )?;
    ask("zendesk_email", "Zendesk admin email")?;
    let token = read_secret("Zendesk API token");
    if !token.trim().is_empty() {
        ws.set_secret(SecretKind::ZendeskApiToken, &token)?;
    }
    ask("sunshine_app_id", "Sunshine Conversations app id")?;
    // The key id is public and asked visibly (a value that decodes as the token is refused, never
    // saved: see `key_id_problem`); the secret, or the base64 token that holds both, hidden.
    ask(
        "sunshine_key_id",
        "Sunshine key id (app_…; Enter to keep it, or to paste the base64 keyId:secret token next)",
    )?;
    let has_key = !ws.settings()?.sunshine_key_id.is_empty();
    let answer = read_secret(if has_key {
        "Sunshine key secret, or the base64 keyId:secret token"
    } else {
        "Sunshine base64 keyId:secret token"
    });
    let answer = answer.trim();
    let is_token = relay_core::secrets::parse_sunshine_token(answer)
        .is_ok_and(|t| relay_core::settings::key_id_problem(&t.key_id).is_none());
    if is_token || (!has_key && !answer.is_empty()) {
        ws.give_secret(SecretInput::SunshineToken, answer)?;
    } else if !answer.is_empty() {
        ws.give_secret(SecretInput::SunshineKeySecret, answer)?;
    }
    Ok(())
}

/// A connection test's outcome: printed, and a failure when a check failed (under `--json`,
/// the report goes with the error, as its one document).
fn reported(report: &ConnectionReport, out: Output, again: &str) -> CliResult {
    if report.ok {
        out.show(report, print_report);
        return Ok(());
    }
    let error = AppError::new(
        ErrorCode::NotConfigured,
        Text::verbatim(format!(
            "The connection test failed: fix what is marked ✗, then run `{again}` again."
        )),
    );
    if out.json {
        return Err(failed(error, json!(report)));
    }
    print_report(report);
    Err(error.into())
}

fn print_report(report: &ConnectionReport) {
    use relay_core::connect::{CheckId, CheckStatus};
    for c in &report.checks {
        let mark = match c.status {
            CheckStatus::Ok => "✓",
            CheckStatus::Failed => "✗",
            CheckStatus::Skipped => "·",
        };
        let label = match c.id {
            CheckId::ZendeskReachable => "Zendesk reachable",
            CheckId::ZendeskToken => "Zendesk API token",
            CheckId::ZendeskAccess => "Allowed to send",
            CheckId::TeamStore => "Team store",
            CheckId::SunshineKey => "Sunshine API key",
            CheckId::Integrations => "Integrations",
        };
        println!("{mark} {label:<20} {}", c.detail);
    }
    for i in &report.integrations {
        println!(
            "    {:<12} {:<22} {:<18} {}/s",
            i.kind, i.name, i.sender, i.rate
        );
    }
}

/// `relay setup [--sandbox URL] [--test]`.
pub fn run(sandbox: Option<String>, test: bool, data: DataDir, out: Output) -> CliResult {
    let ws = open_workspace(data)?;
    let rt = runtime()?;
    if sandbox.is_none() && !test {
        if !std::io::stdin().is_terminal() || out.json {
            return Err(AppError::invalid_field(
                "setup",
                Text::verbatim("relay setup asks its questions in a terminal, without --json. In a script, use `relay settings set` and `relay settings set-secret`, then `relay setup --test`."),
            )
            .into());
        }
        let stdin = std::io::stdin();
        let mut lines = stdin.lock();
        interactive_setup(&ws, &mut lines, &mut |label| {
            rpassword::prompt_password(format!("{label} (hidden, Enter keeps the saved one): "))
                .unwrap_or_default()
        })?;
        let report = rt.block_on(ws.test_connection())?;
        return reported(&report, out, "relay setup");
    }
    if let Some(url) = sandbox {
        let conn = rt.block_on(relay_core::workspace::SandboxConnection::fetch(&url))?;
        ws.connect_sandbox(&conn)?;
        out.say(format!(
            "Workspace connected to the sandbox at {} (secrets saved to the system keychain).",
            conn.base_url
        ));
    }
    if test {
        let report = rt.block_on(ws.test_connection())?;
        return reported(&report, out, "relay setup --test");
    }
    if out.json {
        println!(
            "{}",
            json!({ "configured": ws.settings_view()?.configured })
        );
    }
    Ok(())
}

/// `relay integrations list`.
pub fn integrations(action: IntegrationsCommand, data: DataDir, out: Output) -> CliResult {
    let IntegrationsCommand::List = action;
    let ws = open_workspace(data)?;
    let list = runtime()?.block_on(ws.integrations())?;
    out.show(&json!({ "integrations": list }), |_| {
        if list.is_empty() {
            println!("No WhatsApp, Twilio or MessageBird integration in this Sunshine Conversations app.");
            return;
        }
        println!(
            "{:<26} {:<12} {:<22} {:<18} {:<9} RATE",
            "ID", "TYPE", "NAME", "NUMBER", "STATUS"
        );
        for i in &list {
            println!(
                "{:<26} {:<12} {:<22} {:<18} {:<9} {}/s",
                i.id, i.kind, i.name, i.sender, i.status, i.rate
            );
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use relay_core::secrets::MemoryStore;
    use relay_core::settings::JsonFileBackend;
    use std::sync::Arc;

    fn workspace(tmp: &std::path::Path) -> Workspace {
        let data = DataDir::at(tmp).unwrap();
        let backend = Box::new(JsonFileBackend::new(&data.settings_file()));
        Workspace::open(data, Arc::new(MemoryStore::new()), backend).unwrap()
    }

    #[test]
    fn interactive_setup_asks_again_after_a_bad_answer_and_accepts_the_token() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = workspace(tmp.path());
        // A bad subdomain is refused and asked again; an email; an app id; Enter at the key id:
        // the token is asked for, hidden.
        let mut input =
            std::io::Cursor::new("ac me!\nacme\nadmin@acme.com\n5e4af71a81966cfff3ef6550\n\n");
        let mut asked = Vec::new();
        let mut secrets = vec![
            "zd-token-1".to_string(),
            "YXBwX2tleTE6czNjcmV0LXZhbHVl".to_string(),
        ]
        .into_iter();
        interactive_setup(&ws, &mut input, &mut |label| {
            asked.push(label.to_string());
            secrets.next().unwrap_or_default()
        })
        .unwrap();
        let view = ws.settings_view().unwrap();
        assert_eq!(view.settings.zendesk_subdomain, "acme");
        assert_eq!(view.settings.zendesk_email, "admin@acme.com");
        assert_eq!(
            view.settings.sunshine_key_id, "app_key1",
            "decoded from base64(app_key1:s3cret-value)"
        );
        assert!(asked[1].contains("token"), "{asked:?}");
        assert!(view.configured);
    }

    #[test]
    fn the_token_typed_where_the_key_id_shows_is_refused_and_never_saved() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = workspace(tmp.path());
        let token = "YXBwX2tleTE6czNjcmV0LXZhbHVl"; // base64("app_key1:s3cret-value")
                                                    // The token at the visible key id prompt: refused, asked again; then a key id, and its
                                                    // secret at the hidden prompt.
        let mut input = std::io::Cursor::new(format!(
            "acme\nadmin@acme.com\n5e4af71a81966cfff3ef6550\n{token}\napp_5e4af71a81966cfff3ef6551\n"
        ));
        let mut asked = Vec::new();
        let mut secrets = vec!["zd-token-1".to_string(), "the-secret".to_string()].into_iter();
        interactive_setup(&ws, &mut input, &mut |label| {
            asked.push(label.to_string());
            secrets.next().unwrap_or_default()
        })
        .unwrap();
        let view = ws.settings_view().unwrap();
        assert_eq!(
            view.settings.sunshine_key_id,
            "app_5e4af71a81966cfff3ef6551"
        );
        assert!(asked[1].contains("secret"), "{asked:?}");
        assert!(view.configured);
        let file = std::fs::read_to_string(ws.data_dir().settings_file()).unwrap();
        assert!(
            !file.contains(token),
            "the token never reaches the settings file"
        );
        assert!(!file.contains("the-secret"));
        // Nor by `relay settings set`.
        assert!(ws.set_key("sunshine_key_id", token).is_err());
        assert!(!std::fs::read_to_string(ws.data_dir().settings_file())
            .unwrap()
            .contains(token));
    }

    #[test]
    fn with_a_key_id_saved_enter_then_the_token_replaces_both() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = workspace(tmp.path());
        ws.set_key("sunshine_key_id", "app_old").unwrap();
        // Enter everywhere (keeping what is there), then the token at the hidden prompt, as the
        // key id's label invites.
        let mut input = std::io::Cursor::new("acme\nadmin@acme.com\n5e4af71a81966cfff3ef6550\n\n");
        let mut asked = Vec::new();
        let mut secrets = vec![
            "zd-token-1".to_string(),
            "YXBwX2tleTE6czNjcmV0LXZhbHVl".to_string(), // base64("app_key1:s3cret-value")
        ]
        .into_iter();
        interactive_setup(&ws, &mut input, &mut |label| {
            asked.push(label.to_string());
            secrets.next().unwrap_or_default()
        })
        .unwrap();
        assert!(asked[1].contains("token"), "{asked:?}");
        let view = ws.settings_view().unwrap();
        assert_eq!(
            view.settings.sunshine_key_id, "app_key1",
            "the token's key id"
        );
        assert!(view.secrets.sunshine_key_secret);
        let file = std::fs::read_to_string(ws.data_dir().settings_file()).unwrap();
        assert!(
            !file.contains("YXBwX2tleTE6"),
            "the token is never saved as is"
        );
    }

    #[test]
    fn interactive_setup_stops_cleanly_when_the_input_ends() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = workspace(tmp.path());
        let mut input = std::io::Cursor::new("acme\n");
        let err = interactive_setup(&ws, &mut input, &mut |_| String::new()).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert_eq!(
            ws.settings().unwrap().zendesk_subdomain,
            "acme",
            "answers given so far are kept"
        );
    }
}
