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
        refuse_invalid(&draft.template, whatsapp, sms)?;
        // A translation submitted with values its template's first translation lacks or adds
        // could not be sent with the campaign's one mapping.
        let group = crate::template::drafts::translations_of(&self.db(), &draft)?;
        let other = group
            .iter()
            .find(|m| m.id != draft.id && m.template.language != draft.template.language);
        if let Some(main) = other {
            if let Some(problem) =
                crate::template::translations::value_differences(&draft.template, &main.template)
                    .into_iter()
                    .next()
            {
                return Err(AppError::invalid_field("body", problem));
            }
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

    /// Submits every translation of the template `name` to the integrations (none: each
    /// translation's own) where it was not submitted yet; every translation is checked first, so
    /// that nothing is submitted when one would be refused. Returns each translation's entry.
    pub async fn submit_translations(
        &self,
        name: &str,
        integration_ids: &[String],
    ) -> AppResult<Vec<library::LocalEntry>> {
        let group = crate::template::drafts::translations(&self.db(), name)?;
        if group.is_empty() {
            return Err(AppError::new(
                crate::ErrorCode::NotFound,
                crate::text!("template.no_such_name", name = name),
            ));
        }
        let known = self.integrations().await?;
        let lib = self.template_library()?;
        let mut plan = Vec::new();
        for d in &group {
            let targets: Vec<String> = if integration_ids.is_empty() {
                d.template.integrations.clone()
            } else {
                integration_ids.to_vec()
            };
            let submitted = |id: &String| {
                lib.local.iter().any(|e| {
                    e.draft.id == d.id
                        && e.states.iter().any(|s| {
                            s.integration_id == *id
                                && !matches!(
                                    s.status,
                                    library::TemplateStatus::NotSubmitted
                                        | library::TemplateStatus::Missing
                                )
                        })
                })
            };
            let todo: Vec<String> = targets.into_iter().filter(|i| !submitted(i)).collect();
            let kinds = todo
                .iter()
                .filter_map(|i| known.iter().find(|k| k.id == *i).map(|k| k.kind.channel()));
            let (whatsapp, sms) = kinds.fold((false, false), |(w, s), c| {
                (w || c == Channel::WhatsApp, s || c == Channel::Sms)
            });
            refuse_invalid(&d.template, whatsapp, sms)?;
            if let Some(problem) = group.first().and_then(|main| {
                crate::template::translations::value_differences(&d.template, &main.template)
                    .into_iter()
                    .next()
            }) {
                return Err(AppError::invalid_field("body", problem));
            }
            plan.push((d.id.clone(), todo));
        }
        if plan.iter().all(|(_, todo)| todo.is_empty()) {
            return Err(AppError::invalid_field(
                "integrations",
                crate::text!("translation.nothing_to_submit", name = name),
            ));
        }
        for (id, todo) in &plan {
            if !todo.is_empty() {
                self.submit_template(id, todo).await?;
            }
        }
        let lib = self.template_library()?;
        Ok(lib
            .local
            .into_iter()
            .filter(|e| e.draft.template.name == name)
            .collect())
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

/// Refuses a template with errors for the channels it goes to: each field's first problem.
fn refuse_invalid(t: &crate::template::Template, whatsapp: bool, sms: bool) -> AppResult<()> {
    let errors: Vec<_> = crate::template::validate::validate(t, whatsapp, sms)
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
            name = t.name,
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
    Ok(())
}
