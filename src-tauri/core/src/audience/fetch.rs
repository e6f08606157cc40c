//! Fetching an audience: Zendesk's count and sample as you type, then the search export streamed
//! into the audience's tables page by page (memory flat, no cap, cancellable), each user's number
//! read as it comes, and the result compared with Zendesk's count.

use super::phone::PhoneFound;
use super::{phone, store, AudienceStatus, AudienceSummary, FetchProgress};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::text::Text;
use crate::workspace::Workspace;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use specta::Type;
use std::sync::atomic::{AtomicBool, Ordering};

/// Export page size: Zendesk's maximum.
const PAGE_SIZE: u32 = 1000;
/// A user of the live sample (before fetching).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct SampleUser {
    pub user_id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone_raw: Option<String>,
    /// E.164 when `phone_raw` is a valid number.
    pub phone: Option<String>,
    /// Why `phone_raw` is not a number, when it is not.
    pub phone_problem: Option<crate::phone::PhoneProblem>,
    pub phone_kind: Option<crate::phone::NumberKind>,
}

impl Workspace {
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
        let country = crate::phone::Country::parse(&settings.default_country);
        Ok(client
            .search_sample(query, 10)
            .await
            .map_err(query_error)?
            .into_iter()
            .map(|u| {
                let found = phone::pick_phone(&u, &[], country);
                SampleUser {
                    user_id: u.id.to_string(),
                    name: u.name,
                    email: u.email,
                    phone_raw: found.raw,
                    phone: found.e164,
                    phone_problem: found.problem,
                    phone_kind: found.kind,
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
        let country = crate::phone::Country::parse(&settings.default_country);
        let custom = client.user_fields().await?;
        // The count also checks the query before anything is stored.
        let expected = client.search_count(query).await.map_err(query_error)? as u32;
        let fields = serde_json::to_string(&custom).map_err(AppError::internal)?;
        let id = store::create(
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
        let _lock = crate::campaign::lease::lock_kind(self, "audience", &id)?;
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
        let mut status = AudienceStatus::Complete;
        while let Some(page) = rx.recv().await {
            let stored = page.and_then(|page| {
                crate::storage::blocking(|| {
                    store::insert_page(&self.db(), &id, &page.users, &page.phones, page.unreadable)
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
                    unfinished.fail(e.text.clone());
                    return Err(e);
                }
            }
            progress(&p);
            if cancel.load(Ordering::Relaxed) {
                status = AudienceStatus::Cancelled;
                break;
            }
        }
        producer.abort();
        if status == AudienceStatus::Complete {
            status = self
                .completeness(&client_for_count, query, p.users, expected)
                .await;
        }
        unfinished.id = None;
        store::finish(&self.db(), &id, status, None, self.now_ms())?;
        tracing::info!(audience = %id, users = p.users, pages = p.pages, expected, status = %status, "audience fetch ended");
        self.check_audience(&id, None).await
    }

    /// Marks `failed` the audiences a stopped Relay left `fetching` (nobody holds their lock):
    /// what they hold is a part of the search, never to be taken for all of it.
    pub(crate) fn fail_interrupted_fetches(&self) -> AppResult<u32> {
        let ids = store::fetching(&self.db())?;
        let mut n = 0;
        for id in ids {
            if let Ok(_lock) = crate::campaign::lease::lock_kind(self, "audience", &id) {
                store::finish(
                    &self.db(),
                    &id,
                    AudienceStatus::Failed,
                    Some(&crate::text!("audience.interrupted")),
                    self.now_ms(),
                )?;
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
    ) -> AudienceStatus {
        let short = |counted: u32| {
            let lag = (u64::from(counted) * 5 / 1000).max(5);
            u64::from(fetched) + lag < u64::from(counted)
        };
        if !short(expected) {
            return AudienceStatus::Complete;
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
            AudienceStatus::Incomplete
        } else {
            AudienceStatus::Complete
        }
    }
}

/// A page of users with their numbers read.
struct Page {
    users: Vec<crate::clients::zendesk::User>,
    phones: Vec<PhoneFound>,
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
    country: Option<crate::phone::Country>,
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
    country: Option<crate::phone::Country>,
) -> AppResult<Page> {
    let mut phones = phone::page_phones(&users, &[], country);
    if identities {
        let ids: Vec<u64> = users
            .iter()
            .zip(&phones)
            .filter(|(_, f)| f.e164.is_none())
            .map(|(u, _)| u.id)
            .collect();
        if !ids.is_empty() {
            let (_, found) = client.show_many(&ids).await?;
            phones = phone::page_phones(&users, &found, country);
        }
    }
    Ok(Page {
        users,
        phones,
        unreadable: 0,
    })
}

/// An audience being fetched: dropped before the fetch ended (an error, the task dropped), it is
/// marked `failed`, never left `fetching`.
struct Unfinished<'a> {
    ws: &'a Workspace,
    /// None once the fetch ended.
    id: Option<String>,
}

impl Unfinished<'_> {
    fn fail(&mut self, why: Text) {
        if let Some(id) = self.id.take() {
            let db = self.ws.db();
            if let Err(e) = store::finish(
                &db,
                &id,
                AudienceStatus::Failed,
                Some(&why),
                self.ws.now_ms(),
            ) {
                tracing::error!(audience = %id, "could not mark the fetch failed: {}", e.message);
            }
        }
    }
}

impl Drop for Unfinished<'_> {
    fn drop(&mut self) {
        self.fail(crate::text!("audience.interrupted"));
    }
}

/// Zendesk refusing a search is bad input: the query field, with Zendesk's own description.
fn query_error(e: AppError) -> AppError {
    if e.code == ErrorCode::Rejected {
        AppError::invalid_field("query", e.text)
    } else {
        e
    }
}

/// An empty query would export every user of the account: refused with what to write instead.
fn check_query(query: &str) -> AppResult<()> {
    if query.trim().is_empty() {
        return Err(AppError::invalid_field(
            "query",
            crate::text!("audience.query_empty"),
        ));
    }
    Ok(())
}
