//! "Test connection": each side checked separately, saying exactly what is wrong; the
//! integrations found; and the access restriction (the roles and groups allowed to send).

use crate::channel::{Channel, IntegrationKind};
use crate::clients::http::Http;
use crate::clients::sunshine::{Integration, SunshineClient};
use crate::clients::zendesk::{User, ZendeskClient};
use crate::error::AppResult;
use crate::error::{AppError, ErrorCode};
use crate::secrets::{SecretKind, Secrets};
use crate::settings::Settings;
use crate::template::library;
use crate::text::Text;
use crate::workspace::Workspace;
use serde::{Deserialize, Serialize};
use specta::Type;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum CheckId {
    ZendeskReachable,
    ZendeskToken,
    ZendeskAccess,
    /// The team's store: Zendesk custom objects reachable, Relay's object types there (or
    /// creatable), room left under the record limit.
    TeamStore,
    SunshineKey,
    Integrations,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Ok,
    Failed,
    /// Not tried, because an earlier check failed.
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct Check {
    pub id: CheckId,
    pub status: CheckStatus,
    /// What was found, or what is wrong and what to do.
    pub detail: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[specta(optional)]
    pub code: Option<ErrorCode>,
}

/// An integration as the app shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct IntegrationView {
    pub id: String,
    pub kind: IntegrationKind,
    /// The channel its messages take.
    pub channel: Channel,
    pub name: String,
    /// The WhatsApp number (`+15144441919`) or the MessageBird originator; empty for Twilio,
    /// whose number the v2 API does not return.
    pub sender: String,
    pub status: String,
    /// Messages per second for this integration (its own rate, else the default).
    pub rate: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct ConnectionReport {
    pub checks: Vec<Check>,
    pub integrations: Vec<IntegrationView>,
    /// Every check passed: this workspace can send.
    pub ok: bool,
}

fn check(id: CheckId, status: CheckStatus, detail: Text) -> Check {
    Check {
        id,
        status,
        detail,
        code: None,
    }
}

fn failed(id: CheckId, e: &AppError) -> Check {
    Check {
        id,
        status: CheckStatus::Failed,
        detail: e.text.clone(),
        code: Some(e.code),
    }
}

fn skipped(id: CheckId) -> Check {
    check(id, CheckStatus::Skipped, crate::text!("check.skipped"))
}

/// Whether a Zendesk user may send, given the workspace's allowed roles and groups: end users
/// never; when roles and/or groups are set, the user needs one of the roles or one of the groups.
pub fn check_access(settings: &Settings, user: &User, group_ids: &[u64]) -> Result<(), AppError> {
    let who = match user.email.as_deref() {
        Some(email) => format!("{} ({email})", user.name),
        None => user.name.clone(),
    };
    if user.role != "admin" && user.role != "agent" {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            crate::text!("access.role", who = who, role = user.role),
        ));
    }
    if settings.allowed_roles.is_empty() && settings.allowed_groups.is_empty() {
        return Ok(());
    }
    let role_ok = settings
        .allowed_roles
        .iter()
        .any(|r| r == &user.role || user.custom_role_id.is_some_and(|id| r == &id.to_string()));
    let group_ok = group_ids
        .iter()
        .any(|g| settings.allowed_groups.contains(&g.to_string()));
    if role_ok || group_ok {
        Ok(())
    } else {
        Err(AppError::new(
            ErrorCode::Forbidden,
            crate::text!("access.denied", who = who),
        ))
    }
}

/// An integration as the app shows it; None for a kind Relay does not send through.
pub fn integration_view(i: &Integration, settings: &Settings) -> Option<IntegrationView> {
    let kind: IntegrationKind = i.kind.parse().ok()?;
    let sender = match kind {
        IntegrationKind::WhatsApp => i
            .phone_number
            .as_ref()
            .map(|p| format!("+{}", p.trim_start_matches('+'))),
        IntegrationKind::MessageBird => i.originator.clone(),
        IntegrationKind::Twilio => None,
    };
    Some(IntegrationView {
        id: i.id.clone(),
        kind,
        channel: kind.channel(),
        name: i.display_name.clone().unwrap_or_else(|| i.kind.clone()),
        sender: sender.unwrap_or_default(),
        status: i.status.clone().unwrap_or_else(|| "active".into()),
        rate: settings.rate_for(&i.id),
    })
}

/// Runs every check in order; a failed check skips the ones that depend on it.
pub async fn test_connection(
    settings: &Settings,
    secrets: &Secrets,
    http: Http,
) -> ConnectionReport {
    let mut checks = Vec::new();
    let zendesk = secrets
        .require(SecretKind::ZendeskApiToken)
        .and_then(|token| ZendeskClient::new(http.clone(), settings, &token));
    match zendesk {
        Err(e) => {
            checks.push(failed(CheckId::ZendeskReachable, &e));
            checks.push(skipped(CheckId::ZendeskToken));
            checks.push(skipped(CheckId::ZendeskAccess));
            checks.push(skipped(CheckId::TeamStore));
        }
        Ok(zd) => match zd.me().await {
            Err(e) if e.code == ErrorCode::AuthFailed => {
                checks.push(check(
                    CheckId::ZendeskReachable,
                    CheckStatus::Ok,
                    crate::text!("check.answers", base = zd.base()),
                ));
                checks.push(failed(CheckId::ZendeskToken, &e));
                checks.push(skipped(CheckId::ZendeskAccess));
                checks.push(skipped(CheckId::TeamStore));
            }
            Err(e) => {
                checks.push(failed(CheckId::ZendeskReachable, &e));
                checks.push(skipped(CheckId::ZendeskToken));
                checks.push(skipped(CheckId::ZendeskAccess));
                checks.push(skipped(CheckId::TeamStore));
            }
            Ok(me) => {
                checks.push(check(
                    CheckId::ZendeskReachable,
                    CheckStatus::Ok,
                    crate::text!("check.answers", base = zd.base()),
                ));
                checks.push(check(
                    CheckId::ZendeskToken,
                    CheckStatus::Ok,
                    crate::text!(
                        "check.signed_in",
                        name = me.name,
                        email = me.email.clone().unwrap_or_default(),
                        role = me.role
                    ),
                ));
                let groups = match zd.memberships(me.id).await {
                    Ok(m) => Ok(m.into_iter().map(|m| m.group_id).collect::<Vec<_>>()),
                    Err(e) => Err(e),
                };
                match groups.and_then(|g| check_access(settings, &me, &g).map(|_| g)) {
                    Ok(g) => checks.push(check(
                        CheckId::ZendeskAccess,
                        CheckStatus::Ok,
                        crate::text!("check.may_send", name = me.name, groups = g.len()),
                    )),
                    Err(e) => checks.push(failed(CheckId::ZendeskAccess, &e)),
                }
                match crate::team::schema::probe(&zd, me.role == "admin").await {
                    Ok(detail) => checks.push(check(CheckId::TeamStore, CheckStatus::Ok, detail)),
                    Err(e) => checks.push(failed(CheckId::TeamStore, &e)),
                }
            }
        },
    }

    let mut integrations = Vec::new();
    let sunshine = secrets
        .require(SecretKind::SunshineKeySecret)
        .and_then(|s| SunshineClient::new(http, settings, &s));
    match sunshine {
        Err(e) => {
            checks.push(failed(CheckId::SunshineKey, &e));
            checks.push(skipped(CheckId::Integrations));
        }
        Ok(sc) => match sc.integrations().await {
            Err(e) => {
                checks.push(failed(CheckId::SunshineKey, &e));
                checks.push(skipped(CheckId::Integrations));
            }
            Ok(list) => {
                checks.push(check(
                    CheckId::SunshineKey,
                    CheckStatus::Ok,
                    crate::text!(
                        "check.key_opens",
                        key = settings.sunshine_key_id,
                        app = settings.sunshine_app_id
                    ),
                ));
                integrations = list
                    .iter()
                    .filter_map(|i| integration_view(i, settings))
                    .collect::<Vec<_>>();
                if integrations.is_empty() {
                    checks.push(Check {
                        id: CheckId::Integrations,
                        status: CheckStatus::Failed,
                        detail: crate::text!("check.no_integrations"),
                        code: Some(ErrorCode::NotFound),
                    });
                } else {
                    let count =
                        |k: IntegrationKind| integrations.iter().filter(|i| i.kind == k).count();
                    let summary = [
                        ("WhatsApp", IntegrationKind::WhatsApp),
                        ("Twilio", IntegrationKind::Twilio),
                        ("MessageBird", IntegrationKind::MessageBird),
                    ]
                    .iter()
                    .filter(|(_, k)| count(*k) > 0)
                    .map(|(label, k)| format!("{} {label}", count(*k)))
                    .collect::<Vec<_>>()
                    .join(", ");
                    checks.push(check(
                        CheckId::Integrations,
                        CheckStatus::Ok,
                        crate::text!("check.found", summary = summary),
                    ));
                }
            }
        },
    }
    let ok = checks.iter().all(|c| c.status == CheckStatus::Ok);
    ConnectionReport {
        checks,
        integrations,
        ok,
    }
}

/// A Zendesk group, for the "who may send" picker (ids as text: they exceed JavaScript's
/// safe integers in large accounts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct GroupView {
    pub id: String,
    pub name: String,
}

impl Workspace {
    /// Checks each side of the connection (see `connect::test_connection`).
    pub async fn test_connection(&self) -> AppResult<crate::connect::ConnectionReport> {
        let settings = self.settings()?;
        Ok(crate::connect::test_connection(&settings, self.secrets(), self.http()).await)
    }

    /// Checks that the signed-in Zendesk user may send (role/group restriction), from
    /// `users/me` and the user's group memberships. Called before every send.
    pub async fn verify_access(&self) -> AppResult<()> {
        let (settings, client) = self.zendesk_client()?;
        let me = client.me().await?;
        let groups: Vec<u64> = client
            .memberships(me.id)
            .await?
            .into_iter()
            .map(|m| m.group_id)
            .collect();
        crate::connect::check_access(&settings, &me, &groups)
    }

    /// The WhatsApp, Twilio and MessageBird integrations of the Sunshine Conversations app.
    pub async fn integrations(&self) -> AppResult<Vec<crate::connect::IntegrationView>> {
        let settings = self.settings()?;
        let secret = self.secrets().require(SecretKind::SunshineKeySecret)?;
        let client =
            crate::clients::sunshine::SunshineClient::new(self.http(), &settings, &secret)?;
        let list: Vec<_> = client
            .integrations()
            .await?
            .iter()
            .filter_map(|i| integration_view(i, &settings))
            .collect();
        library::remember_integrations(&self.db(), &list)?;
        Ok(list)
    }

    /// Zendesk's groups, to choose who may send.
    pub async fn zendesk_groups(&self) -> AppResult<Vec<GroupView>> {
        let (_, client) = self.zendesk_client()?;
        Ok(client
            .groups()
            .await?
            .into_iter()
            .filter(|g| !g.deleted)
            .map(|g| GroupView {
                id: g.id.to_string(),
                name: g.name,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: &str, custom: Option<u64>) -> User {
        serde_json::from_value(serde_json::json!({"id": 1, "name": "Ann", "email": "ann@x.com", "role": role, "custom_role_id": custom})).unwrap()
    }

    #[test]
    fn access_by_role_or_group() {
        let open = Settings::default();
        assert!(
            check_access(&open, &user("agent", None), &[]).is_ok(),
            "no restriction"
        );
        assert_eq!(
            check_access(&open, &user("end-user", None), &[])
                .unwrap_err()
                .code,
            ErrorCode::Forbidden
        );
        let admins = Settings {
            allowed_roles: vec!["admin".into()],
            ..Settings::default()
        };
        assert!(check_access(&admins, &user("admin", None), &[]).is_ok());
        assert!(check_access(&admins, &user("agent", None), &[]).is_err());
        let custom = Settings {
            allowed_roles: vec!["777".into()],
            ..Settings::default()
        };
        assert!(
            check_access(&custom, &user("agent", Some(777)), &[]).is_ok(),
            "custom role by id"
        );
        let marketing = Settings {
            allowed_groups: vec!["42".into()],
            ..Settings::default()
        };
        assert!(check_access(&marketing, &user("agent", None), &[7, 42]).is_ok());
        let err = check_access(&marketing, &user("agent", None), &[7]).unwrap_err();
        assert!(err.message.contains("Who may send"), "{}", err.message);
        let either = Settings {
            allowed_roles: vec!["admin".into()],
            allowed_groups: vec!["42".into()],
            ..Settings::default()
        };
        assert!(
            check_access(&either, &user("agent", None), &[42]).is_ok(),
            "a group is enough"
        );
    }
}
