//! The audience steps as workspace operations: count, sample, fetch (streamed, cancellable),
//! check (exclusions, blackout, mapping), manage members, preview a recipient, and the
//! suppression list. The Tauri commands and the CLI call these.

use super::mapping::{self, FieldInfo, Renderer, ValueMapping};
use super::{
    AudienceSummary, BlackoutCheck, FetchProgress, ImportReport, MemberAction, MemberFilter,
    MemberPage, Reason, Suppressed,
};
use crate::clients::zendesk::UserField;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::template::preview::Preview;
use crate::workspace::Workspace;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use specta::Type;
use std::sync::atomic::{AtomicBool, Ordering};

/// Export page size: Zendesk's maximum.
const PAGE_SIZE: u32 = 1000;
/// Members rendered per database round trip when checking a mapping.
const RENDER_CHUNK: u32 = 5000;

/// A user of the live sample (before fetching).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct SampleUser {
    pub user_id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone_raw: Option<String>,
    /// E.164 when `phone_raw` is a valid number.
    pub phone: Option<String>,
}

/// The message an audience is checked for: a local template, the integration it goes through,
/// and the mapping of its dynamic values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct MessageSpec {
    pub template_id: String,
    pub integration_id: String,
    pub mapping: Vec<ValueMapping>,
}

/// A recipient's message as the previews show it, or why they are skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct RecipientPreview {
    pub user_id: String,
    pub name: String,
    pub values: Vec<String>,
    pub preview: Option<Preview>,
    /// SMS segments of this recipient's message.
    pub segments: u32,
    pub problem: Option<String>,
    pub reason: Option<Reason>,
}

impl Workspace {
    /// The fields a mapping may use: system fields and the account's custom user fields.
    pub async fn user_fields(&self) -> AppResult<Vec<FieldInfo>> {
        let (_, client) = self.zendesk_client()?;
        Ok(mapping::fields(&client.user_fields().await?))
    }

    /// The fields a mapping may use on a fetched audience (the custom fields as they were when
    /// it was fetched: works offline).
    pub fn audience_fields(&self, audience_id: &str) -> AppResult<Vec<FieldInfo>> {
        let (fields, _) = super::stored(&self.db(), audience_id)?;
        let custom: Vec<UserField> = serde_json::from_str(&fields).unwrap_or_default();
        Ok(mapping::fields(&custom))
    }

    /// The message an audience was last checked for, if any.
    pub fn audience_message(&self, audience_id: &str) -> AppResult<Option<MessageSpec>> {
        let (_, stored) = super::stored(&self.db(), audience_id)?;
        Ok(stored.and_then(|j| serde_json::from_str(&j).ok()))
    }

    /// How many users a query matches (Zendesk's count).
    pub async fn audience_count(&self, query: &str) -> AppResult<u32> {
        check_query(query)?;
        let (_, client) = self.zendesk_client()?;
        let n = client.search_count(query).await.map_err(query_error)?;
        Ok(n.min(u32::MAX as u64) as u32)
    }

    /// A few users the query matches, with their numbers as they would be read.
    pub async fn audience_sample(&self, query: &str) -> AppResult<Vec<SampleUser>> {
        check_query(query)?;
        let (settings, client) = self.zendesk_client()?;
        let country = super::default_country(&settings.default_country);
        Ok(client
            .search_sample(query, 10)
            .await
            .map_err(query_error)?
            .into_iter()
            .map(|u| {
                let found = super::pick_phone(&u, &[], country);
                SampleUser {
                    user_id: u.id.to_string(),
                    name: u.name,
                    email: u.email,
                    phone_raw: found.raw,
                    phone: found.e164,
                }
            })
            .collect())
    }

    /// Fetches every user a query matches into a new audience, page by page, calling `progress`
    /// after each page. `cancel` stops it after the current page (the audience is kept as
    /// `cancelled`, with what was fetched). Returns the audience, checked without a message.
    pub async fn fetch_audience(
        &self,
        query: &str,
        cancel: &AtomicBool,
        mut progress: impl FnMut(&FetchProgress),
    ) -> AppResult<AudienceSummary> {
        check_query(query)?;
        let (settings, client) = self.zendesk_client()?;
        let country = super::default_country(&settings.default_country);
        let custom = client.user_fields().await?;
        // The count also checks the query before anything is stored.
        let expected = client.search_count(query).await.map_err(query_error)? as u32;
        let fields = serde_json::to_string(&custom).map_err(AppError::internal)?;
        let id = super::create(
            &self.db(),
            query.trim(),
            &settings.default_country,
            settings.phone_identities,
            &fields,
            expected,
            self.now_ms(),
        )?;
        // Held while it is fetched: a Relay opening meanwhile leaves it alone; one that finds it
        // `fetching` and free knows its fetch was stopped.
        let _lock = crate::campaign::runner::lock_kind(self, "audience", &id)?;
        let mut unfinished = Unfinished {
            ws: self,
            id: Some(id.clone()),
        };
        tracing::info!(audience = %id, identities = settings.phone_identities, "audience fetch started");
        let mut p = FetchProgress {
            audience_id: id.clone(),
            users: 0,
            pages: 0,
            expected: Some(expected),
        };
        progress(&p);
        // A pipeline: a task fetches the pages (and the identities they need) and reads their
        // numbers while this one stores the previous page, so the network, JSON, phone parsing
        // and SQLite overlap. Two pages in flight at most: memory stays flat.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<AppResult<Page>>(2);
        let client_for_count = client.clone();
        let producer = tokio::spawn(produce_pages(
            client,
            query.to_string(),
            settings.phone_identities,
            country,
            tx,
        ));
        let mut status = "complete";
        while let Some(page) = rx.recv().await {
            let stored = page.and_then(|page| {
                crate::storage::blocking(|| {
                    super::insert_page(&self.db(), &id, &page.users, &page.phones, page.unreadable)
                })
            });
            match stored {
                Ok(n) => {
                    p.users += n;
                    p.pages += 1;
                }
                Err(e) => {
                    // A fetch that fails ends `failed` (with why), never stays `fetching`.
                    producer.abort();
                    unfinished.fail(&e.message);
                    return Err(e);
                }
            }
            progress(&p);
            if cancel.load(Ordering::Relaxed) {
                status = "cancelled";
                break;
            }
        }
        producer.abort();
        if status == "complete" {
            status = self
                .completeness(&client_for_count, query, p.users, expected)
                .await;
        }
        unfinished.id = None;
        super::finish(&self.db(), &id, status, None, self.now_ms())?;
        tracing::info!(audience = %id, users = p.users, pages = p.pages, expected, status, "audience fetch ended");
        self.check_audience(&id, None).await
    }

    /// Marks `failed` the audiences a stopped Relay left `fetching` (nobody holds their lock):
    /// what they hold is a part of the search, never to be taken for all of it.
    pub(crate) fn fail_interrupted_fetches(&self) -> AppResult<u32> {
        let ids = super::fetching(&self.db())?;
        let mut n = 0;
        for id in ids {
            if let Ok(_lock) = crate::campaign::runner::lock_kind(self, "audience", &id) {
                super::finish(&self.db(), &id, "failed", Some(INTERRUPTED), self.now_ms())?;
                n += 1;
            }
        }
        if n > 0 {
            tracing::warn!(
                audiences = n,
                "fetches stopped with Relay are marked failed"
            );
        }
        Ok(n)
    }

    /// `complete`, or `incomplete` when the export returned fewer users than Zendesk counted,
    /// beyond its search index's lag (0.5 %, or 5 users): the count is asked again (people come
    /// and go during a long fetch) and the smaller of the two is what the audience is held to.
    async fn completeness(
        &self,
        client: &crate::clients::zendesk::ZendeskClient,
        query: &str,
        fetched: u32,
        expected: u32,
    ) -> &'static str {
        let short = |counted: u32| {
            let lag = (u64::from(counted) * 5 / 1000).max(5);
            u64::from(fetched) + lag < u64::from(counted)
        };
        if !short(expected) {
            return "complete";
        }
        let again = client
            .search_count(query)
            .await
            .map(|n| n.min(u64::from(u32::MAX)) as u32)
            .unwrap_or(expected);
        if short(expected.min(again)) {
            tracing::warn!(
                fetched,
                expected,
                again,
                "the export returned fewer users than Zendesk counted"
            );
            "incomplete"
        } else {
            "complete"
        }
    }

    /// Checks an audience: exclusions, and with a message its blackout and field mapping. The
    /// message is remembered, so later changes (overrides, removals) are checked the same way;
    /// without one, the audience is checked for its contacts only (a message kept from before is
    /// forgotten: the template or integration changed).
    pub async fn check_audience(
        &self,
        audience_id: &str,
        message: Option<MessageSpec>,
    ) -> AppResult<AudienceSummary> {
        let json = match &message {
            Some(m) => {
                // Refuse a mapping that cannot work for anyone, before changing anything.
                self.renderer(audience_id, m).await?;
                Some(serde_json::to_string(m).map_err(AppError::internal)?)
            }
            None => None,
        };
        super::store_message(&self.db(), audience_id, json.as_deref())?;
        self.recheck(audience_id).await
    }

    /// Applies the stored message (if any) again: after overrides, removals, a new ledger entry…
    pub async fn recheck(&self, audience_id: &str) -> AppResult<AudienceSummary> {
        let (_, stored) = super::stored(&self.db(), audience_id)?;
        let Some(json) = stored else {
            return crate::storage::blocking(|| {
                super::classify(&self.db(), audience_id, None)?;
                super::set_segments(&self.db(), audience_id, 0)?;
                super::summary(&self.db(), audience_id)
            });
        };
        let spec: MessageSpec = serde_json::from_str(&json).map_err(AppError::internal)?;
        let (renderer, fingerprint) = self.renderer(audience_id, &spec).await?;
        let days = self.settings()?.blackout_days;
        let check = BlackoutCheck::new(fingerprint, days, self.now_ms());
        crate::storage::blocking(|| {
            super::classify(&self.db(), audience_id, check)?;
            // Members are numbered from 0.
            let (mut after, mut segments) = (-1, 0u64);
            loop {
                let chunk = super::eligible_chunk(&self.db(), audience_id, after, RENDER_CHUNK)?;
                let Some((last, _)) = chunk.last() else {
                    break;
                };
                after = *last;
                let mut failures: Vec<(u64, Reason, String)> = Vec::new();
                for (_, r) in &chunk {
                    match renderer.render(r) {
                        Ok(out) => segments += u64::from(out.segments),
                        Err((reason, detail)) => failures.push((r.user_id, reason, detail)),
                    }
                }
                super::set_failures(&self.db(), audience_id, &failures)?;
            }
            super::set_segments(&self.db(), audience_id, segments)?;
            super::summary(&self.db(), audience_id)
        })
    }

    /// The renderer and the blackout fingerprint of a message on an audience.
    pub(crate) async fn renderer(
        &self,
        audience_id: &str,
        spec: &MessageSpec,
    ) -> AppResult<(Renderer, i64)> {
        let (fields, _) = super::stored(&self.db(), audience_id)?;
        let custom: Vec<UserField> = serde_json::from_str(&fields).unwrap_or_default();
        let draft = crate::template::drafts::get(&self.db(), &spec.template_id)?;
        let kind = self.integration_kind(&spec.integration_id).await?;
        let by_name = mapping::by_name(&draft.template, &spec.mapping);
        mapping::check_mapping(&draft.template, &by_name, &mapping::fields(&custom))
            .map_err(|e| AppError::invalid_field("mapping", e))?;
        let channel = if kind == "whatsapp" {
            "whatsapp"
        } else {
            "sms"
        };
        let fingerprint = mapping::fingerprint(&draft.template, channel, &by_name);
        Ok((
            Renderer::new(&draft.template, &kind, by_name, custom),
            fingerprint,
        ))
    }

    /// `whatsapp`, `twilio` or `messagebird`: from what is known locally, else asked.
    pub async fn integration_kind(&self, integration_id: &str) -> AppResult<String> {
        if let Some(kind) = crate::template::library::integration_kind(&self.db(), integration_id)?
        {
            return Ok(kind);
        }
        self.integrations()
            .await?
            .into_iter()
            .find(|i| i.id == integration_id)
            .map(|i| i.kind)
            .ok_or_else(|| {
                AppError::invalid_field(
                    "integration",
                    format!("This app has no WhatsApp or SMS integration {integration_id}. `relay integrations list` shows them."),
                )
            })
    }

    pub fn audience_summary(&self, audience_id: &str) -> AppResult<AudienceSummary> {
        super::summary(&self.db(), audience_id)
    }

    pub fn audience_members(
        &self,
        audience_id: &str,
        filter: MemberFilter,
        offset: u32,
        limit: u32,
    ) -> AppResult<MemberPage> {
        super::members(&self.db(), audience_id, filter, offset, limit.min(1000))
    }

    /// Overrides or removes members by hand (or undoes it), then checks the audience again.
    pub async fn set_members(
        &self,
        audience_id: &str,
        user_ids: &[String],
        action: MemberAction,
    ) -> AppResult<AudienceSummary> {
        let ids = user_ids
            .iter()
            .map(|s| {
                s.parse::<u64>().map_err(|_| {
                    AppError::invalid_field(
                        "user_ids",
                        format!("\"{s}\" is not a Zendesk user id."),
                    )
                })
            })
            .collect::<AppResult<Vec<u64>>>()?;
        super::set_flags(&self.db(), audience_id, &ids, action, self.now_ms())?;
        tracing::info!(audience = %audience_id, count = ids.len(), ?action, "audience members changed by hand");
        self.recheck(audience_id).await
    }

    /// One member's message with the stored mapping, as the previews show it.
    pub async fn preview_recipient(
        &self,
        audience_id: &str,
        user_id: &str,
    ) -> AppResult<RecipientPreview> {
        let (_, stored) = super::stored(&self.db(), audience_id)?;
        let spec: MessageSpec = stored
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::InvalidInput,
                    "Map the template's dynamic values first: the preview uses the mapping.",
                )
            })?;
        let id: u64 = user_id.parse().map_err(|_| {
            AppError::invalid_field(
                "user_id",
                format!("\"{user_id}\" is not a Zendesk user id."),
            )
        })?;
        let r = super::recipient(&self.db(), audience_id, id)?;
        let (renderer, _) = self.renderer(audience_id, &spec).await?;
        Ok(match renderer.render(&r) {
            Ok(out) => RecipientPreview {
                user_id: user_id.to_string(),
                name: r.name.clone(),
                preview: Some(renderer.preview(&out.values)),
                values: out.values,
                segments: out.segments,
                problem: None,
                reason: None,
            },
            Err((reason, detail)) => RecipientPreview {
                user_id: user_id.to_string(),
                name: r.name.clone(),
                values: renderer.values(&r).unwrap_or_default(),
                preview: None,
                segments: 0,
                problem: Some(detail),
                reason: Some(reason),
            },
        })
    }

    pub fn suppressed_numbers(&self) -> AppResult<Vec<Suppressed>> {
        super::suppressed(&self.db())
    }

    pub fn suppress_numbers(&self, phones: &[String], note: &str) -> AppResult<u32> {
        let country = super::default_country(&self.settings()?.default_country);
        super::suppress(&self.db(), phones, note, country, self.now_ms())
    }

    pub fn unsuppress_number(&self, phone: &str) -> AppResult<()> {
        super::unsuppress(&self.db(), phone)
    }

    pub fn import_suppressed(&self, csv_text: &str, note: &str) -> AppResult<ImportReport> {
        let country = super::default_country(&self.settings()?.default_country);
        super::import_suppressed(&self.db(), csv_text, note, country, self.now_ms())
    }
}

/// A page of users with their numbers read.
struct Page {
    users: Vec<crate::clients::zendesk::User>,
    phones: Vec<super::PhoneFound>,
    /// Results of the page that were not readable users.
    unreadable: u32,
}

/// Fetches the pages of a search export, with the identities of the users whose phone field is
/// not a usable number (when enabled), and reads every number; stops at the first error or when
/// the receiver is gone.
async fn produce_pages(
    client: crate::clients::zendesk::ZendeskClient,
    query: String,
    identities: bool,
    country: Option<phonenumber::country::Id>,
    tx: tokio::sync::mpsc::Sender<AppResult<Page>>,
) {
    let pages = client.export_users(&query, PAGE_SIZE);
    futures_util::pin_mut!(pages);
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => with_phones(&client, p.users, identities, country)
                .await
                .map(|page| Page {
                    unreadable: p.unreadable,
                    ..page
                }),
            Err(e) => Err(e),
        };
        let failed = page.is_err();
        if tx.send(page).await.is_err() || failed {
            return;
        }
    }
}

async fn with_phones(
    client: &crate::clients::zendesk::ZendeskClient,
    users: Vec<crate::clients::zendesk::User>,
    identities: bool,
    country: Option<phonenumber::country::Id>,
) -> AppResult<Page> {
    let mut phones = super::page_phones(&users, &[], country);
    if identities {
        let ids: Vec<u64> = users
            .iter()
            .zip(&phones)
            .filter(|(_, f)| f.e164.is_none())
            .map(|(u, _)| u.id)
            .collect();
        if !ids.is_empty() {
            let (_, found) = client.show_many(&ids).await?;
            phones = super::page_phones(&users, &found, country);
        }
    }
    Ok(Page {
        users,
        phones,
        unreadable: 0,
    })
}

const INTERRUPTED: &str =
    "The fetch stopped before the end (Relay was closed or stopped): fetch the audience again.";

/// An audience being fetched: dropped before the fetch ended (an error, the task dropped), it is
/// marked `failed`, never left `fetching`.
struct Unfinished<'a> {
    ws: &'a Workspace,
    /// None once the fetch ended.
    id: Option<String>,
}

impl Unfinished<'_> {
    fn fail(&mut self, why: &str) {
        if let Some(id) = self.id.take() {
            let db = self.ws.db();
            if let Err(e) = super::finish(&db, &id, "failed", Some(why), self.ws.now_ms()) {
                tracing::error!(audience = %id, "could not mark the fetch failed: {}", e.message);
            }
        }
    }
}

impl Drop for Unfinished<'_> {
    fn drop(&mut self) {
        self.fail(INTERRUPTED);
    }
}

/// Zendesk refusing a search is bad input: the query field, with Zendesk's own description.
fn query_error(e: AppError) -> AppError {
    if e.code == ErrorCode::Rejected {
        AppError::invalid_field("query", e.message)
    } else {
        e
    }
}

/// An empty query would export every user of the account: refused with what to write instead.
fn check_query(query: &str) -> AppResult<()> {
    if query.trim().is_empty() {
        return Err(AppError::invalid_field(
            "query",
            "Write a search, for example `tags:vip` or `role:end-user` (every end user).",
        ));
    }
    Ok(())
}
