//! The template library: local templates with their status on each integration, and the WhatsApp
//! templates synced from Sunshine Conversations (the ones made elsewhere included).
//!
//! The WhatsApp status of a local template is Meta's, as last synced: a local template matches
//! a synced one by name and language on the same integration. SMS has no review: a template
//! submitted to an SMS integration is ready at once. Each submission keeps a fingerprint of what
//! was submitted, so the list can say when a template was edited since (Meta never sees edits:
//! an approved template cannot be changed, only deleted and submitted under a new name).

use super::drafts::{self, Draft};
use super::Template;
use crate::channel::{Channel, IntegrationKind};
use crate::clients::sunshine::Template as RemoteTemplate;
use crate::connect::IntegrationView;
use crate::error::{AppError, AppResult};
use crate::storage::Database;
use crate::workspace::Workspace;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use specta::Type;
use std::collections::HashMap;

/// A template's status on an integration: Relay's own (`NOT_SUBMITTED`, `READY` on SMS once
/// submitted, `MISSING`: submitted to WhatsApp but not found by the last sync), or Meta's as last
/// synced. Meta adds statuses now and then: one this version does not know is `UNKNOWN`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Type,
    strum::AsRefStr,
    strum::Display,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum TemplateStatus {
    NotSubmitted,
    Ready,
    Missing,
    Pending,
    Approved,
    Rejected,
    Paused,
    Disabled,
    InAppeal,
    PendingDeletion,
    Deleted,
    LimitExceeded,
    Unknown,
}

/// Where a template stands on an integration, as the list groups and colours it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type, strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
pub enum TemplateStage {
    NotSubmitted,
    Pending,
    Approved,
    Rejected,
    Ready,
}

impl TemplateStatus {
    /// Meta's status as Sunshine Conversations gives it (any case); one this version does not
    /// know is `Unknown`.
    pub fn from_meta(raw: &str) -> TemplateStatus {
        raw.trim()
            .to_ascii_uppercase()
            .parse()
            .unwrap_or(TemplateStatus::Unknown)
    }

    pub fn stage(self) -> TemplateStage {
        use TemplateStatus::*;
        match self {
            NotSubmitted | Missing => TemplateStage::NotSubmitted,
            Pending | InAppeal | PendingDeletion => TemplateStage::Pending,
            Approved => TemplateStage::Approved,
            Ready => TemplateStage::Ready,
            Rejected | Paused | Disabled | Deleted | LimitExceeded | Unknown => {
                TemplateStage::Rejected
            }
        }
    }
}

/// A local template's state on one integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct TemplateState {
    pub integration_id: String,
    pub integration_name: String,
    /// None when the integration is unknown here (never listed: connect and sync).
    pub kind: Option<IntegrationKind>,
    /// The channel its messages take, when the kind is known.
    pub channel: Option<Channel>,
    pub status: TemplateStatus,
    pub stage: TemplateStage,
    /// Meta's reason for a rejection, when it gives one.
    pub reason: Option<String>,
    /// The template was edited after it was submitted: what Meta reviewed is the older version.
    pub edited_since_submitted: bool,
    /// A campaign of it may go through this integration (see [`sendable`]).
    pub sendable: bool,
    /// It exists on Meta's side (a delete there blocks the name for 30 days).
    pub on_whatsapp: bool,
}

/// The one rule for what can be sent: on WhatsApp, a template Meta approved on that
/// integration; on SMS, a template submitted to that integration.
pub fn sendable(kind: Option<IntegrationKind>, status: TemplateStatus) -> bool {
    match kind.map(IntegrationKind::channel) {
        Some(Channel::WhatsApp) => status == TemplateStatus::Approved,
        Some(Channel::Sms) => status == TemplateStatus::Ready,
        None => false,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct LocalEntry {
    pub draft: Draft,
    pub states: Vec<TemplateState>,
}

/// A WhatsApp template found on an integration with no local template of that name and language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct RemoteEntry {
    pub integration_id: String,
    pub integration_name: String,
    pub name: String,
    pub language: String,
    pub category: String,
    pub status: TemplateStatus,
    pub stage: TemplateStage,
    pub reason: Option<String>,
    /// The body text as Meta holds it (positional `{{1}}` values).
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct SyncInfo {
    pub integration_id: String,
    pub integration_name: String,
    /// Milliseconds since the Unix epoch, as text; None if never synced.
    pub synced_at: Option<String>,
}

/// Everything the template list shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Library {
    pub local: Vec<LocalEntry>,
    pub remote: Vec<RemoteEntry>,
    /// One per known WhatsApp integration.
    pub syncs: Vec<SyncInfo>,
}

/// What a submission is judged against: the template without the list of integrations it is for.
pub fn fingerprint(t: &Template) -> String {
    let content = Template {
        integrations: Vec::new(),
        ..t.clone()
    };
    let json = serde_json::to_vec(&content).unwrap_or_default();
    format!("{:x}", Sha256::digest(&json))
}

/// Remembers the app's messaging integrations (names and kinds, for the list offline).
pub fn remember_integrations(db: &Database, list: &[IntegrationView]) -> AppResult<()> {
    db.write(|tx| {
        for i in list {
            tx.execute(
                "INSERT INTO integrations (id, kind, name) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name",
                params![i.id, i.kind, i.name],
            )?;
        }
        Ok(())
    })
}

/// The kind of a known integration.
pub fn integration_kind(db: &Database, id: &str) -> AppResult<Option<IntegrationKind>> {
    db.connection()
        .query_row("SELECT kind FROM integrations WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()
        .map_err(AppError::from)
}

/// Replaces what is known of an integration's WhatsApp templates with a fresh list.
pub fn store_sync(
    db: &Database,
    integration_id: &str,
    templates: &[RemoteTemplate],
    now_ms: i64,
) -> AppResult<()> {
    db.write(|tx| {
        tx.execute(
            "DELETE FROM remote_templates WHERE integration_id = ?1",
            [integration_id],
        )?;
        for t in templates {
            upsert_remote(tx, integration_id, t, now_ms)?;
        }
        tx.execute(
            "UPDATE integrations SET templates_synced_at = ?2 WHERE id = ?1",
            params![integration_id, now_ms],
        )?;
        Ok(())
    })
}

fn upsert_remote(
    conn: &rusqlite::Connection,
    integration_id: &str,
    t: &RemoteTemplate,
    now_ms: i64,
) -> AppResult<()> {
    conn.execute(
        "INSERT INTO remote_templates
           (integration_id, name, language, remote_id, category, status, rejected_reason, components, synced_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (integration_id, name, language) DO UPDATE SET
           remote_id = excluded.remote_id, category = excluded.category, status = excluded.status,
           rejected_reason = excluded.rejected_reason, components = excluded.components,
           synced_at = excluded.synced_at",
        params![
            integration_id,
            t.name,
            t.language,
            t.id,
            t.category,
            t.status.to_uppercase(),
            t.rejected_reason.as_deref().filter(|r| !r.is_empty() && *r != "NONE"),
            t.components.to_string(),
            now_ms
        ],
    )
    ?;
    Ok(())
}

/// Records a submission: the created WhatsApp template (if any) and the fingerprint.
pub fn record_submission(
    db: &Database,
    draft: &Draft,
    integration_id: &str,
    created: Option<&RemoteTemplate>,
    now_ms: i64,
) -> AppResult<()> {
    db.write(|tx| {
        if let Some(t) = created {
            upsert_remote(tx, integration_id, t, now_ms)?;
        }
        tx.execute(
        "INSERT INTO template_submissions (template_id, integration_id, fingerprint, submitted_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (template_id, integration_id) DO UPDATE SET
           fingerprint = excluded.fingerprint, submitted_at = excluded.submitted_at",
        params![
            draft.id,
            integration_id,
            fingerprint(&draft.template),
            now_ms
        ],
    )
    ?;
        Ok(())
    })
}

/// Forgets a WhatsApp template name on an integration after it was deleted there.
pub fn forget_remote(db: &Database, integration_id: &str, name: &str) -> AppResult<()> {
    db.write(|tx| {
        tx.execute(
            "DELETE FROM remote_templates WHERE integration_id = ?1 AND name = ?2",
            params![integration_id, name],
        )?;
        tx.execute(
            "DELETE FROM template_submissions WHERE integration_id = ?1
           AND template_id IN (SELECT id FROM templates WHERE name = ?2)",
            params![integration_id, name],
        )?;
        Ok(())
    })
}

/// Forgets the submissions of a local template being deleted (in its transaction).
pub(crate) fn forget_submissions(tx: &Connection, template_id: &str) -> AppResult<()> {
    tx.execute(
        "DELETE FROM template_submissions WHERE template_id = ?1",
        [template_id],
    )?;
    Ok(())
}

/// A synced WhatsApp template, by integration, name and language.
pub fn remote(
    db: &Database,
    integration_id: &str,
    name: &str,
    language: &str,
) -> AppResult<Option<RemoteTemplate>> {
    db.connection()
        .query_row(
            "SELECT remote_id, name, language, category, status, rejected_reason, components
             FROM remote_templates WHERE integration_id = ?1 AND name = ?2 AND language = ?3",
            params![integration_id, name, language],
            row_to_remote,
        )
        .optional()
        .map_err(AppError::from)
}

fn row_to_remote(r: &rusqlite::Row<'_>) -> rusqlite::Result<RemoteTemplate> {
    let components: String = r.get(6)?;
    Ok(RemoteTemplate {
        id: r.get(0)?,
        name: r.get(1)?,
        language: r.get(2)?,
        category: r.get(3)?,
        status: r.get(4)?,
        rejected_reason: r.get(5)?,
        components: serde_json::from_str(&components).unwrap_or_default(),
    })
}

struct Known {
    kind: Option<IntegrationKind>,
    name: String,
    synced_at: Option<i64>,
}

/// The whole list: local templates with their states, then WhatsApp-only templates.
pub fn library(db: &Database) -> AppResult<Library> {
    let conn = db.connection();
    let mut known: HashMap<String, Known> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    {
        let mut stmt = conn.prepare(
            "SELECT id, kind, name, templates_synced_at FROM integrations ORDER BY name, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Known {
                    kind: r.get::<_, String>(1)?.parse().ok(),
                    name: r.get(2)?,
                    synced_at: r.get(3)?,
                },
            ))
        })?;
        for row in rows {
            let (id, k) = row?;
            order.push(id.clone());
            known.insert(id, k);
        }
    }
    // (integration, name, language) → remote template
    let mut remotes: Vec<(String, RemoteTemplate)> = Vec::new();
    {
        let mut stmt = conn
            .prepare(
                "SELECT remote_id, name, language, category, status, rejected_reason, components, integration_id
                 FROM remote_templates ORDER BY name, language, integration_id",
            )
            ?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(7)?, row_to_remote(r)?)))?;
        for row in rows {
            remotes.push(row?);
        }
    }
    let mut submissions: HashMap<(String, String), String> = HashMap::new();
    {
        let mut stmt = conn
            .prepare("SELECT template_id, integration_id, fingerprint FROM template_submissions")?;
        let rows = stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?;
        for row in rows {
            let (k, v) = row?;
            submissions.insert(k, v);
        }
    }
    let name_of = |id: &str| {
        known
            .get(id)
            .map(|k| k.name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let drafts = drafts::list(db)?;
    let mut matched = std::collections::HashSet::new();
    let mut local = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let t = &draft.template;
        let print = fingerprint(t);
        // The integrations it is for, then any other where it was submitted or found.
        let mut ids: Vec<String> = t.integrations.clone();
        for (i, r) in &remotes {
            if r.name == t.name && r.language == t.language && !ids.contains(i) {
                ids.push(i.clone());
            }
        }
        for (tid, i) in submissions.keys() {
            if *tid == draft.id && !ids.contains(i) {
                ids.push(i.clone());
            }
        }
        let mut states = Vec::with_capacity(ids.len());
        for id in ids {
            let kind = known.get(&id).and_then(|k| k.kind);
            let submitted = submissions.get(&(draft.id.clone(), id.clone()));
            let found = remotes
                .iter()
                .find(|(i, r)| *i == id && r.name == t.name && r.language == t.language);
            if found.is_some() {
                matched.insert((id.clone(), t.name.clone(), t.language.clone()));
            }
            let whatsapp = kind == Some(IntegrationKind::WhatsApp);
            let (status, reason) = match (found, submitted) {
                (Some((_, r)), _) => (
                    TemplateStatus::from_meta(&r.status),
                    r.rejected_reason.clone(),
                ),
                (None, Some(_)) if whatsapp => (TemplateStatus::Missing, None),
                (None, Some(_)) => (TemplateStatus::Ready, None),
                (None, None) => (TemplateStatus::NotSubmitted, None),
            };
            states.push(TemplateState {
                integration_name: name_of(&id),
                integration_id: id,
                sendable: sendable(kind, status),
                on_whatsapp: whatsapp
                    && !matches!(
                        status,
                        TemplateStatus::NotSubmitted | TemplateStatus::Missing
                    ),
                kind,
                channel: kind.map(IntegrationKind::channel),
                status,
                stage: status.stage(),
                reason,
                edited_since_submitted: submitted.is_some_and(|f| *f != print),
            });
        }
        local.push(LocalEntry { draft, states });
    }
    let remote = remotes
        .into_iter()
        .filter(|(i, r)| !matched.contains(&(i.clone(), r.name.clone(), r.language.clone())))
        .map(|(i, r)| RemoteEntry {
            integration_name: name_of(&i),
            integration_id: i,
            body: body_text(&r.components),
            name: r.name,
            language: r.language,
            category: r.category.unwrap_or_default(),
            status: TemplateStatus::from_meta(&r.status),
            stage: TemplateStatus::from_meta(&r.status).stage(),
            reason: r.rejected_reason,
        })
        .collect();
    let syncs = order
        .iter()
        .filter(|id| known[*id].kind == Some(IntegrationKind::WhatsApp))
        .map(|id| SyncInfo {
            integration_id: id.clone(),
            integration_name: known[id].name.clone(),
            synced_at: known[id].synced_at.map(|t| t.to_string()),
        })
        .collect();
    Ok(Library {
        local,
        remote,
        syncs,
    })
}

/// The BODY text of Meta components.
pub fn body_text(components: &serde_json::Value) -> String {
    components
        .as_array()
        .and_then(|cs| {
            cs.iter().find(|c| {
                c["type"]
                    .as_str()
                    .is_some_and(|t| t.eq_ignore_ascii_case("body"))
            })
        })
        .and_then(|c| c["text"].as_str())
        .unwrap_or_default()
        .to_string()
}

impl Workspace {
    pub fn template_library(&self) -> AppResult<Library> {
        library(&self.db())
    }

    /// The template named `name`, in its main language (the translation made first); refused
    /// when two of its translations share a language.
    pub fn template_by_name(&self, name: &str) -> AppResult<crate::template::drafts::Draft> {
        let all = crate::template::drafts::translations(&self.db(), name)?;
        for (i, d) in all.iter().enumerate() {
            if all[..i]
                .iter()
                .any(|o| o.template.language == d.template.language)
            {
                return Err(AppError::invalid_field(
                    "name",
                    crate::text!("template.name_twice", name = name),
                ));
            }
        }
        all.into_iter().next().ok_or_else(|| {
            AppError::new(
                crate::ErrorCode::NotFound,
                crate::text!("template.no_such_name", name = name),
            )
        })
    }

    /// The translation of the template `name` in `language` (Meta's code, in any case).
    pub fn template_translation(
        &self,
        name: &str,
        language: &str,
    ) -> AppResult<crate::template::drafts::Draft> {
        let all = crate::template::drafts::translations(&self.db(), name)?;
        if all.is_empty() {
            return Err(AppError::new(
                crate::ErrorCode::NotFound,
                crate::text!("template.no_such_name", name = name),
            ));
        }
        let code = crate::template::drafts::meta_language(language)?;
        let languages = all
            .iter()
            .map(|d| d.template.language.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        all.iter()
            .find(|d| d.template.language == code)
            .cloned()
            .ok_or_else(|| {
                AppError::invalid_field(
                    "language",
                    crate::text!(
                        "translation.no_such_language",
                        name = name,
                        language = code,
                        languages = languages
                    ),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_statuses_read_in_any_case_and_group_by_stage() {
        assert_eq!(
            TemplateStatus::from_meta("approved"),
            TemplateStatus::Approved
        );
        assert_eq!(
            TemplateStatus::from_meta(" IN_APPEAL "),
            TemplateStatus::InAppeal
        );
        assert_eq!(
            TemplateStatus::from_meta("SOMETHING_NEW"),
            TemplateStatus::Unknown,
            "a status Meta adds later is not a failure"
        );
        let stages: Vec<_> = ["PENDING", "PAUSED", "READY", "MISSING", "PENDING_DELETION"]
            .iter()
            .map(|s| TemplateStatus::from_meta(s).stage())
            .collect();
        assert_eq!(
            stages,
            vec![
                TemplateStage::Pending,
                TemplateStage::Rejected,
                TemplateStage::Ready,
                TemplateStage::NotSubmitted,
                TemplateStage::Pending
            ]
        );
        assert!(sendable(
            Some(IntegrationKind::WhatsApp),
            TemplateStatus::Approved
        ));
        assert!(!sendable(
            Some(IntegrationKind::Twilio),
            TemplateStatus::Approved
        ));
        assert!(sendable(
            Some(IntegrationKind::MessageBird),
            TemplateStatus::Ready
        ));
        assert!(!sendable(None, TemplateStatus::Ready));
    }
    use serde_json::json;

    fn db(tmp: &tempfile::TempDir) -> Database {
        Database::open(&tmp.path().join("t.sqlite3")).unwrap()
    }

    fn view(id: &str, kind: &str, name: &str) -> IntegrationView {
        IntegrationView {
            id: id.into(),
            kind: kind.parse().unwrap(),
            channel: kind.parse::<IntegrationKind>().unwrap().channel(),
            name: name.into(),
            sender: String::new(),
            status: "active".into(),
            rate: 8,
        }
    }

    fn remote_tpl(name: &str, lang: &str, status: &str, reason: Option<&str>) -> RemoteTemplate {
        RemoteTemplate {
            id: Some(format!("id-{name}")),
            name: name.into(),
            language: lang.into(),
            category: Some("UTILITY".into()),
            status: status.into(),
            rejected_reason: reason.map(str::to_string),
            components: json!([{"type": "BODY", "text": "Hi {{1}}"}]),
        }
    }

    #[test]
    fn states_follow_sync_submission_and_edits() {
        let tmp = tempfile::tempdir().unwrap();
        let db = db(&tmp);
        remember_integrations(
            &db,
            &[
                view("wa", "whatsapp", "Support"),
                view("tw", "twilio", "SMS"),
            ],
        )
        .unwrap();
        let t = Template {
            name: "order_shipped".into(),
            language: "en_US".into(),
            body: "Hi {{Ann}}".into(),
            integrations: vec!["wa".into(), "tw".into()],
            ..Template::default()
        };
        let d = drafts::save(&db, None, &t, 1).unwrap();
        let lib = library(&db).unwrap();
        let states = &lib.local[0].states;
        assert_eq!(states.len(), 2);
        assert!(states
            .iter()
            .all(|s| s.status == TemplateStatus::NotSubmitted));
        assert_eq!(lib.syncs.len(), 1, "only WhatsApp integrations sync");
        assert_eq!(lib.syncs[0].synced_at, None);

        let created = remote_tpl("order_shipped", "en_US", "PENDING", None);
        record_submission(&db, &d, "wa", Some(&created), 2).unwrap();
        record_submission(&db, &d, "tw", None, 2).unwrap();
        let lib = library(&db).unwrap();
        let by_id = |lib: &Library, id: &str| {
            lib.local[0]
                .states
                .iter()
                .find(|s| s.integration_id == id)
                .unwrap()
                .clone()
        };
        assert_eq!(by_id(&lib, "wa").status, TemplateStatus::Pending);
        assert_eq!(by_id(&lib, "tw").status, TemplateStatus::Ready);
        assert_eq!(by_id(&lib, "wa").integration_name, "Support");
        assert!(
            lib.remote.is_empty(),
            "a matched template is not listed twice"
        );

        // A sync that finds it rejected, with another template made elsewhere.
        store_sync(
            &db,
            "wa",
            &[
                remote_tpl("order_shipped", "en_US", "rejected", Some("INVALID_FORMAT")),
                remote_tpl("made_elsewhere", "fr", "APPROVED", Some("NONE")),
            ],
            3,
        )
        .unwrap();
        let lib = library(&db).unwrap();
        let wa = by_id(&lib, "wa");
        assert_eq!(
            (wa.status.as_ref(), wa.reason.as_deref()),
            ("REJECTED", Some("INVALID_FORMAT"))
        );
        assert!(!wa.edited_since_submitted);
        assert_eq!(lib.remote.len(), 1);
        assert_eq!(lib.remote[0].name, "made_elsewhere");
        assert_eq!(lib.remote[0].reason, None, "Meta's NONE is no reason");
        assert_eq!(lib.remote[0].body, "Hi {{1}}");
        assert_eq!(lib.syncs[0].synced_at.as_deref(), Some("3"));

        // Edited after submission.
        let edited = Template {
            body: "Hello {{Ann}}".into(),
            ..t.clone()
        };
        drafts::save(&db, Some(&d.id), &edited, 4).unwrap();
        assert!(by_id(&library(&db).unwrap(), "wa").edited_since_submitted);
        // Only the list of integrations changed: not an edit.
        let moved = Template {
            integrations: vec!["wa".into()],
            ..edited.clone()
        };
        assert_eq!(fingerprint(&moved), fingerprint(&edited));

        // A sync that no longer finds it: missing, not silently "not submitted".
        store_sync(&db, "wa", &[], 5).unwrap();
        assert_eq!(
            by_id(&library(&db).unwrap(), "wa").status,
            TemplateStatus::Missing
        );

        // Deleted on WhatsApp: forgotten on that integration only.
        forget_remote(&db, "wa", "order_shipped").unwrap();
        let lib = library(&db).unwrap();
        assert_eq!(by_id(&lib, "wa").status, TemplateStatus::NotSubmitted);
        assert_eq!(by_id(&lib, "tw").status, TemplateStatus::Ready);
    }
}
