//! Templates on the services: submitted to integrations (WhatsApp for Meta's review through
//! Sunshine Conversations, SMS ready at once), the WhatsApp integrations' templates synced with
//! their statuses, and a WhatsApp template deleted (Meta then blocks its name for 30 days).

use super::library;
use crate::channel::{Channel, IntegrationKind};
use crate::error::{AppError, AppResult};
use crate::workspace::Workspace;

impl Workspace {
    pub async fn sync_templates(&self) -> AppResult<library::Library> {
        let integrations = self.integrations().await?;
        let client = self.sunshine_client()?;
        for i in integrations
            .iter()
            .filter(|i| i.kind == IntegrationKind::WhatsApp)
        {
            let templates = client.templates(&i.id).await.map_err(|e| {
                AppError::new(
                    e.code,
                    format!("Syncing the templates of {}: {}", i.name, e.message),
                )
            })?;
            library::store_sync(&self.db(), &i.id, &templates, self.now_ms())?;
            tracing::info!(integration = %i.id, count = templates.len(), "templates synced");
        }
        self.template_library()
    }

    pub async fn submit_template(
        &self,
        id: &str,
        integration_ids: &[String],
    ) -> AppResult<library::LocalEntry> {
        let draft = crate::template::drafts::get(&self.db(), id)?;
        let targets: Vec<String> = if integration_ids.is_empty() {
            draft.template.integrations.clone()
        } else {
            integration_ids.to_vec()
        };
        if targets.is_empty() {
            return Err(AppError::invalid_field(
                "integrations",
                "Choose at least one integration to submit the template to.",
            ));
        }
        let known = self.integrations().await?;
        let mut chosen = Vec::new();
        for target in &targets {
            match known.iter().find(|i| i.id == *target) {
                Some(i) => chosen.push(i.clone()),
                None => {
                    return Err(AppError::invalid_field(
                        "integrations",
                        format!("This app has no WhatsApp or SMS integration {target}. `relay integrations list` shows them."),
                    ))
                }
            }
        }
        // Every problem first, so that nothing is submitted when anything would be refused.
        let whatsapp = chosen.iter().any(|i| i.kind.channel() == Channel::WhatsApp);
        let sms = chosen.iter().any(|i| i.kind.channel() == Channel::Sms);
        let errors: Vec<_> = crate::template::validate::validate(&draft.template, whatsapp, sms)
            .into_iter()
            .filter(|i| i.severity == crate::template::validate::Severity::Error)
            .collect();
        if !errors.is_empty() {
            let mut fields = std::collections::BTreeMap::<String, String>::new();
            for i in &errors {
                let entry = fields.entry(i.field.clone()).or_default();
                if !entry.is_empty() {
                    entry.push(' ');
                }
                entry.push_str(&i.message);
            }
            let list: Vec<String> = fields.iter().map(|(f, m)| format!("{f}: {m}")).collect();
            return Err(AppError {
                code: crate::ErrorCode::InvalidInput,
                message: format!(
                    "The template {} cannot be submitted until this is fixed (nothing was sent). {}",
                    draft.template.name,
                    list.join(" ")
                ),
                details: Some(crate::error::ErrorDetails { fields, path: None }),
            });
        }
        let client = self.sunshine_client()?;
        for i in &chosen {
            if i.kind == IntegrationKind::WhatsApp {
                let payload = crate::template::meta_payload(&draft.template)
                    .map_err(|e| AppError::invalid_field("body", e))?;
                let created = client.create_template(&i.id, &payload).await.map_err(|e| {
                    AppError::new(e.code, format!("Submitting to {}: {}", i.name, e.message))
                })?;
                library::record_submission(
                    &self.db(),
                    &draft,
                    &i.id,
                    Some(&created),
                    self.now_ms(),
                )?;
            } else {
                library::record_submission(&self.db(), &draft, &i.id, None, self.now_ms())?;
            }
            tracing::info!(template = %draft.template.name, integration = %i.id, "template submitted");
        }
        let lib = self.template_library()?;
        lib.local
            .into_iter()
            .find(|e| e.draft.id == draft.id)
            .ok_or_else(|| AppError::internal("the submitted template vanished"))
    }

    pub async fn delete_remote_template(
        &self,
        integration_id: &str,
        name: &str,
    ) -> AppResult<library::Library> {
        self.sunshine_client()?
            .delete_template(integration_id, name)
            .await?;
        library::forget_remote(&self.db(), integration_id, name)?;
        tracing::info!(template = %name, integration = %integration_id, "template deleted on WhatsApp");
        self.template_library()
    }
}
