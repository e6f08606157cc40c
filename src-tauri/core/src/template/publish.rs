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
                    crate::text!("template.sync_failed", integration = i.name, error => e.text),
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
                crate::text!("template.no_integration"),
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
                        crate::text!("integration.not_found", id = target),
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
        if let Some(first) = errors.first() {
            // Each field's first problem (the designer shows them all).
            let mut fields = std::collections::BTreeMap::new();
            for i in &errors {
                fields
                    .entry(i.field.clone())
                    .or_insert_with(|| i.text.clone());
            }
            let text = crate::text!(
                "template.blocked",
                name = draft.template.name,
                count = errors.len(),
                first => first.text.clone()
            );
            let list: Vec<String> = errors
                .iter()
                .map(|i| format!("{}: {}", i.field, i.text.english()))
                .collect();
            return Err(AppError {
                code: crate::ErrorCode::InvalidInput,
                message: format!("{} {}", text.english(), list.join(" ")),
                text,
                details: Some(Box::new(crate::error::ErrorDetails { fields, path: None })),
            });
        }
        let client = self.sunshine_client()?;
        for i in &chosen {
            if i.kind == IntegrationKind::WhatsApp {
                let payload = crate::template::meta_payload(&draft.template)
                    .map_err(|e| AppError::invalid_field("body", e))?;
                let created = client.create_template(&i.id, &payload).await.map_err(|e| {
                    AppError::new(
                        e.code,
                        crate::text!("template.submit_failed", integration = i.name, error => e.text),
                    )
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
