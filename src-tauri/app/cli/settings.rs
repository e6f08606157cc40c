//! `relay settings show|set|set-secret|clear-secret`: the workspace's settings and its secrets
//! (never on the command line: from a hidden prompt, or standard input).

use super::output::Output;
use super::{open_workspace, CliResult};
use clap::Subcommand;
use relay_core::paths::DataDir;
use relay_core::secrets::{SecretInput, SecretKind};
use relay_core::text::Text;
use relay_core::{AppError, AppResult, ErrorCode};
use serde_json::{json, Value};
use std::io::{IsTerminal, Read, Write};
use strum::VariantNames;

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Show every setting, whether each secret is set, and the files Relay uses.
    Show,
    /// Set one setting. Lists are comma-separated; send_rates is ID=RATE,ID=RATE.
    Set {
        /// A setting name, e.g. zendesk_subdomain, blackout_days, default_country.
        key: String,
        /// The new value.
        value: String,
    },
    /// Store a secret in the OS keychain, read from a prompt or standard input.
    ///
    /// NAME is zendesk_api_token, sunshine_key_secret, or sunshine_token (the base64
    /// "keyId:secret" token, which also sets sunshine_key_id).
    SetSecret {
        /// zendesk_api_token | sunshine_key_secret | sunshine_token
        name: String,
    },
    /// Remove a secret from the OS keychain.
    ClearSecret {
        /// zendesk_api_token | sunshine_key_secret
        name: String,
    },
}

pub fn run(action: SettingsCommand, data: DataDir, out: Output) -> CliResult {
    let ws = open_workspace(data)?;
    match action {
        SettingsCommand::Show => {
            let o = ws.overview()?;
            out.show(&o, |o| {
                let w = |k: &str, v: &str| println!("  {k:<22} {v}");
                println!("Relay {}", o.info.version);
                w("data folder", &o.info.data_dir);
                w("database", &o.info.database);
                w("schema_version", &o.info.schema_version.to_string());
                w("settings file", &o.info.settings_file);
                w("log file", &o.info.log_file);
                println!("\nSettings");
                for (k, v) in o.settings.to_map() {
                    w(&k, &display_value(&v));
                }
                println!("\nSecrets (system keychain)");
                match (&o.secrets, &o.secrets_error) {
                    (Some(s), _) => {
                        let state = |b: bool| if b { "set" } else { "not set" };
                        w(
                            SecretKind::ZendeskApiToken.as_str(),
                            state(s.zendesk_api_token),
                        );
                        w(
                            SecretKind::SunshineKeySecret.as_str(),
                            state(s.sunshine_key_secret),
                        );
                    }
                    (None, Some(e)) => w("unavailable", &e.message),
                    (None, None) => {}
                }
            });
        }
        SettingsCommand::Set { key, value } => {
            let settings = super::runtime()?.block_on(ws.set_key_checked(&key, &value))?;
            let shown = settings.to_map().get(&key).cloned().unwrap_or(Value::Null);
            out.show(&json!({ "key": key, "value": shown }), |_| {
                println!("{key} = {}", display_value(&shown))
            });
        }
        SettingsCommand::SetSecret { name } => {
            let input = secret_input(&name)?;
            let value = read_secret(&name)?;
            let view = ws.give_secret(input, &value)?;
            let done = json!({ "secret": name, "set": true, "configured": view.configured });
            out.show(&done, |_| {
                println!("{name} saved to the system keychain.");
                if input == SecretInput::SunshineToken {
                    println!("sunshine_key_id = {}", view.settings.sunshine_key_id);
                }
            });
        }
        SettingsCommand::ClearSecret { name } => {
            let kind = SecretKind::parse(&name).ok_or_else(|| not_a_secret(&name))?;
            ws.clear_secret(kind)?;
            out.show(&json!({ "secret": name, "set": false }), |_| {
                println!("{name} removed from the system keychain.")
            });
        }
    }
    Ok(())
}

fn not_a_secret(name: &str) -> AppError {
    AppError::invalid_field(
        "name",
        Text::verbatim(format!(
            "\"{name}\" is not a secret. Use one of: {}.",
            SecretInput::VARIANTS.join(", ")
        )),
    )
}

fn secret_input(name: &str) -> AppResult<SecretInput> {
    name.parse().map_err(|_| not_a_secret(name))
}

/// Reads a secret from a hidden prompt on a terminal, or from all of standard input otherwise.
fn read_secret(name: &str) -> AppResult<String> {
    if std::io::stdin().is_terminal() {
        let _ = std::io::stdout().flush();
        return rpassword::prompt_password(format!("{name} (input hidden): ")).map_err(|e| {
            AppError::new(
                ErrorCode::Io,
                Text::verbatim(format!("Could not read from the terminal: {e}")),
            )
        });
    }
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s).map_err(|e| {
        AppError::new(
            ErrorCode::Io,
            Text::verbatim(format!("Could not read standard input: {e}")),
        )
    })?;
    Ok(s)
}

/// A setting's value as text.
pub fn display_value(v: &Value) -> String {
    match v {
        Value::String(s) if s.is_empty() => "(empty)".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "(none)".into(),
        Value::Array(a) => a.iter().map(display_value).collect::<Vec<_>>().join(", "),
        Value::Object(o) if o.is_empty() => "(none)".into(),
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| format!("{k}={}", display_value(v)))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}
