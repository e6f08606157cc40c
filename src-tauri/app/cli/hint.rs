//! What the command line adds to an error of the core: the `relay` command that helps (the core
//! names no command, since the window has none).

use relay_core::text::{Param, Text};
use relay_core::AppError;

/// The command that helps with `e`, if one does.
pub fn hint(e: &AppError) -> Option<String> {
    let param = |t: &Text, name: &str| match t.params.get(name) {
        Some(Param::Plain(v)) => v.clone(),
        _ => String::new(),
    };
    let t = &e.text;
    Some(match t.key.as_str() {
        "campaign.not_found" => "`relay campaigns list` shows them.".into(),
        "campaign.finished_completed" | "campaign.finished_cancelled" => format!(
            "`relay campaigns retry {}` puts its failed recipients back.",
            param(t, "id")
        ),
        "template.not_found" | "template.no_such_name" => "`relay template list` shows them.".into(),
        "integration.not_found" => "`relay integrations list` shows them.".into(),
        "settings.is_secret" => format!(
            "Set it with `relay settings set-secret {}`, which reads it from a prompt or standard input, never from the command line.",
            param(t, "key")
        ),
        "settings.wrong_type" => "`relay settings set KEY VALUE` writes a value of the right type.".into(),
        "sandbox.no_answer" | "sandbox.not_sandbox" | "sandbox.no_description" => {
            "Start one with `relay sandbox` and pass the URL it prints.".into()
        }
        "team.unreachable" => "`relay team status` says what waits; `relay settings set desktop_only true` sends with this desktop's ledger alone.".into(),
        "team.admin_needed" => "An admin runs `relay team sync` once with their own token.".into(),
        "team.policy_field" => "`relay team policy` shows it; an admin changes it with `relay team policy set`.".into(),
        "team.policy_admin" => "`relay team policy` shows the policy every desktop applies.".into(),
        "storage.too_new" | "paths.no_data_dir" | "paths.create" | "paths.is_file" => {
            "Choose another folder with --data-dir DIR.".into()
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use relay_core::ErrorCode;

    #[test]
    fn the_cli_names_the_command_the_core_does_not() {
        let e = AppError::new(
            ErrorCode::NotFound,
            relay_core::text!("campaign.not_found", id = "c1"),
        );
        assert!(!e.message.contains("relay "), "{}", e.message);
        assert_eq!(hint(&e).unwrap(), "`relay campaigns list` shows them.");
        let e = AppError::new(
            ErrorCode::InvalidInput,
            relay_core::text!("settings.is_secret", key = "zendesk_api_token"),
        );
        assert!(hint(&e)
            .unwrap()
            .contains("relay settings set-secret zendesk_api_token"));
        let e = AppError::internal("x");
        assert_eq!(hint(&e), None);
    }
}
