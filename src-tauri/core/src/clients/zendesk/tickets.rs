//! What Relay's opt-out capture asks of the Support API: ticket triggers (list, create, update,
//! delete), the tickets a search finds (`search/export`, `filter[type]=ticket`), a ticket's
//! comments, and the tags of tickets and users.

use super::{Purpose, ZendeskClient};
use crate::error::{AppError, AppResult, ErrorCode};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A ticket trigger as Zendesk returns it (`TriggerObject`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Trigger {
    pub id: u64,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub conditions: Value,
    #[serde(default)]
    pub actions: Value,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// What a trigger is made of, as Relay writes it (`TriggerWithCategoryRequest`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TriggerSpec {
    pub title: String,
    pub description: String,
    pub active: bool,
    pub conditions: Value,
    pub actions: Value,
}

/// A ticket as a search returns it (`TicketObject`: what Relay reads of it).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Ticket {
    pub id: u64,
    #[serde(default)]
    pub requester_id: Option<u64>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    /// True when the ticket came in by a messaging channel (WhatsApp, SMS…).
    #[serde(default)]
    pub from_messaging_channel: Option<bool>,
    #[serde(default)]
    pub via: Option<Via>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Via {
    /// The via type (`whatsapp`, `native_messaging`, `mail`…) or, in some answers, its id.
    #[serde(default)]
    pub channel: Value,
}

impl Via {
    pub fn name(&self) -> String {
        match &self.channel {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }
}

/// A comment of a ticket (`TicketCommentObject`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Comment {
    pub id: u64,
    #[serde(default)]
    pub author_id: Option<u64>,
    /// The comment as plain text (`plain_body`), else as written (`body`).
    #[serde(default)]
    pub plain_body: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default = "yes")]
    pub public: bool,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub via: Option<Via>,
}

fn yes() -> bool {
    true
}

impl Comment {
    pub fn text(&self) -> &str {
        self.plain_body
            .as_deref()
            .or(self.body.as_deref())
            .unwrap_or_default()
    }
}

/// Search export pages of tickets followed at most (1,000 tickets each).
const MAX_TICKET_PAGES: usize = 200;

impl ZendeskClient {
    /// The account's ticket triggers (offset pages of 100).
    pub async fn triggers(&self) -> AppResult<Vec<Trigger>> {
        self.list("/api/v2/triggers.json?per_page=100", "triggers")
            .await
    }

    pub async fn create_trigger(&self, spec: &TriggerSpec) -> AppResult<Trigger> {
        #[derive(Deserialize)]
        struct One {
            trigger: Trigger,
        }
        let body = json!({ "trigger": spec });
        let one: One = self
            .call(
                Method::POST,
                &self.url("/api/v2/triggers.json"),
                Some(&body),
                Purpose::Record,
            )
            .await?;
        Ok(one.trigger)
    }

    /// Replaces a trigger's title, description, state, conditions and actions (Zendesk replaces
    /// conditions and actions together).
    pub async fn update_trigger(&self, id: u64, spec: &TriggerSpec) -> AppResult<Trigger> {
        #[derive(Deserialize)]
        struct One {
            trigger: Trigger,
        }
        let body = json!({ "trigger": spec });
        let one: One = self
            .call(
                Method::PUT,
                &self.url(&format!("/api/v2/triggers/{id}.json")),
                Some(&body),
                Purpose::Lookup,
            )
            .await?;
        Ok(one.trigger)
    }

    /// Deletes a trigger; one already gone is fine.
    pub async fn delete_trigger(&self, id: u64) -> AppResult<()> {
        match self
            .call_empty(
                Method::DELETE,
                &self.url(&format!("/api/v2/triggers/{id}.json")),
                None,
            )
            .await
        {
            Err(e) if e.code == ErrorCode::NotFound => Ok(()),
            other => other,
        }
    }

    /// Every ticket a search finds (`GET /api/v2/search/export`, `filter[type]=ticket`, cursor
    /// pages of 1,000), whatever order the export gives them in.
    pub async fn search_tickets(&self, query: &str) -> AppResult<Vec<Ticket>> {
        #[derive(Deserialize, Default)]
        struct Page {
            #[serde(default)]
            results: Vec<Value>,
            #[serde(default)]
            meta: Meta,
            #[serde(default)]
            links: Links,
        }
        #[derive(Deserialize, Default)]
        struct Meta {
            #[serde(default)]
            has_more: bool,
        }
        #[derive(Deserialize, Default)]
        struct Links {
            #[serde(default)]
            next: Option<String>,
        }
        let first = reqwest::Url::parse_with_params(
            &self.url("/api/v2/search/export.json"),
            [
                ("query", query),
                ("filter[type]", "ticket"),
                ("page[size]", "1000"),
            ],
        )
        .map_err(AppError::internal)?;
        let mut url = Some(first.to_string());
        let (mut out, mut pages) = (Vec::new(), 0);
        while let Some(u) = url.take() {
            let page: Page = self.get(&u, Purpose::Search).await?;
            out.extend(
                page.results
                    .into_iter()
                    .filter(|r| r["result_type"].as_str().is_none_or(|t| t == "ticket"))
                    .filter_map(|r| serde_json::from_value::<Ticket>(r).ok()),
            );
            pages += 1;
            url = match (page.meta.has_more, page.links.next) {
                (true, Some(next)) if pages < MAX_TICKET_PAGES => Some(self.follow(&next)?),
                _ => None,
            };
        }
        Ok(out)
    }

    /// A ticket's comments, oldest first (offset pages of 100).
    pub async fn ticket_comments(&self, ticket_id: u64) -> AppResult<Vec<Comment>> {
        self.list(
            &format!("/api/v2/tickets/{ticket_id}/comments.json?per_page=100&sort_order=asc"),
            "comments",
        )
        .await
    }

    /// Adds tags to a ticket (`PUT /api/v2/tickets/{id}/tags`).
    pub async fn add_ticket_tags(&self, ticket_id: u64, tags: &[&str]) -> AppResult<()> {
        self.add_tags("tickets", ticket_id, tags).await
    }

    /// Adds tags to a user (`PUT /api/v2/users/{id}/tags`; the account must allow user tags).
    pub async fn add_user_tags(&self, user_id: u64, tags: &[&str]) -> AppResult<()> {
        self.add_tags("users", user_id, tags).await
    }

    /// `PUT /api/v2/{kind}/{id}/tags`: adds the tags, keeping the others.
    async fn add_tags(&self, kind: &str, id: u64, tags: &[&str]) -> AppResult<()> {
        let body = json!({ "tags": tags });
        let _: Value = self
            .call(
                Method::PUT,
                &self.url(&format!("/api/v2/{kind}/{id}/tags.json")),
                Some(&body),
                Purpose::Lookup,
            )
            .await?;
        Ok(())
    }

    /// Removes tags from a user (`DELETE /api/v2/users/{id}/tags`).
    pub async fn remove_user_tags(&self, user_id: u64, tags: &[&str]) -> AppResult<()> {
        let body = json!({ "tags": tags });
        self.call_empty(
            Method::DELETE,
            &self.url(&format!("/api/v2/users/{user_id}/tags.json")),
            Some(&body),
        )
        .await
    }
}
