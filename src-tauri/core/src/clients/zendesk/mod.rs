//! The Zendesk Support API client (API token auth: `email/token:TOKEN`); what it reads back in
//! `model`.

pub mod custom_objects;
mod model;
pub mod tickets;

use model::ExportPage;
pub use model::*;

use super::http::{Failure, Http, Idempotency};
use super::transport_error;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::settings::Settings;
use base64::Engine;
use futures_util::stream::{self, Stream};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

const SERVICE: &str = "Zendesk";
/// Offset pages followed at most (list endpoints are small: groups, fields, memberships).
const MAX_PAGES: usize = 500;
/// Times an export restarts from the first page after its cursor expired.
const MAX_RESTARTS: u32 = 5;

/// What a request is for: decides what a 404 or a 400 means to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// `users/me`: a 404 means there is no Zendesk account at this address.
    Profile,
    /// A search: a 400 or 422 carries Zendesk's own description of what is wrong with it.
    Search,
    /// A custom object write: a 400, 413 or 422 is a refusal of the record (its words kept).
    Record,
    /// A read of one thing by id: a 404 means it does not exist (not a failure).
    Lookup,
    Other,
}

#[derive(Clone)]
pub struct ZendeskClient {
    http: Http,
    base: String,
    /// Scheme, host and port of `base`: links Zendesk gives are followed only there.
    origin: url::Origin,
    host: String,
    email: String,
    auth: String,
    /// The share of the account's rate limit this client keeps to, if any (the team store's
    /// replicator); every client honours the account's 429 gate regardless.
    pace: Option<super::http::Pace>,
}

/// The path of an API URL, for messages (`/api/v2/users/me.json`).
fn api_path(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.path().to_string())
        .unwrap_or_else(|_| url.to_string())
}

/// The base URL of a workspace's Zendesk: its loopback override (the sandbox), or
/// `https://{subdomain}.zendesk.com`.
pub fn base_url(settings: &Settings) -> AppResult<String> {
    if !settings.zendesk_custom_url.is_empty() {
        crate::settings::check_loopback_url(&settings.zendesk_custom_url)
            .map_err(|e| AppError::invalid_field("zendesk_custom_url", e))?;
        return Ok(settings
            .zendesk_custom_url
            .trim_end_matches('/')
            .to_string());
    }
    if settings.zendesk_subdomain.is_empty() {
        return Err(AppError::new(
            ErrorCode::NotConfigured,
            crate::text!("zendesk.no_subdomain"),
        ));
    }
    Ok(format!(
        "https://{}.zendesk.com",
        settings.zendesk_subdomain
    ))
}

/// Removes `type:user` from an audience query (the export refuses `type:` and takes
/// `filter[type]=user` instead); any other `type:` is refused, since an audience is users.
pub fn strip_type_user(query: &str) -> AppResult<String> {
    let mut kept = Vec::new();
    for word in query.split_whitespace() {
        let lower = word.to_ascii_lowercase();
        if lower == "type:user" {
            continue;
        }
        if lower.starts_with("type:") || lower.starts_with("-type:") {
            return Err(AppError::invalid_field(
                "query",
                crate::text!("zendesk.query_type", word = word),
            ));
        }
        kept.push(word);
    }
    Ok(kept.join(" "))
}

impl ZendeskClient {
    pub fn new(http: Http, settings: &Settings, token: &str) -> AppResult<Self> {
        if settings.zendesk_email.is_empty() {
            return Err(AppError::new(
                ErrorCode::NotConfigured,
                crate::text!("zendesk.no_email"),
            ));
        }
        let base = base_url(settings)?;
        let host = base.split("://").nth(1).unwrap_or(&base).to_string();
        let auth = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{}/token:{token}", settings.zendesk_email))
        );
        crate::logging::redact_secret(&auth);
        crate::logging::redact_secret(auth.trim_start_matches("Basic "));
        let origin = url::Url::parse(&base)
            .map_err(|e| {
                AppError::invalid_field(
                    "zendesk_subdomain",
                    crate::text!("zendesk.bad_base", base = base, detail = e),
                )
            })?
            .origin();
        Ok(ZendeskClient {
            http: http.gated(&format!("zendesk {base}")),
            origin,
            base,
            host,
            email: settings.zendesk_email.clone(),
            auth,
            pace: None,
        })
    }

    /// Keeps `pace` for every request, shared with every other client given it.
    pub fn with_pace(mut self, pace: super::http::Pace) -> Self {
        self.pace = Some(pace);
        self
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// `path` is the API path asked for (`/api/v2/users/me.json`).
    fn error(&self, path: &str, purpose: Purpose, failure: Failure) -> AppError {
        match &failure {
            Failure::Status { status, .. }
                if *status == StatusCode::NOT_FOUND && purpose == Purpose::Profile =>
            {
                AppError::new(
                    ErrorCode::NotFound,
                    crate::text!("zendesk.no_account", host = self.host),
                )
            }
            Failure::Status { status, body, .. }
                if purpose == Purpose::Search
                    && (*status == StatusCode::BAD_REQUEST
                        || *status == StatusCode::UNPROCESSABLE_ENTITY) =>
            {
                AppError::new(
                    ErrorCode::Rejected,
                    crate::text!(
                        "zendesk.search_refused",
                        provider = super::provider_message(body)
                    ),
                )
            }
            Failure::Status { status, .. }
                if purpose == Purpose::Lookup && *status == StatusCode::NOT_FOUND =>
            {
                AppError::new(
                    ErrorCode::NotFound,
                    crate::text!("zendesk.not_there", path = path),
                )
            }
            // A record too large is refused with a 413 or a 422 (the documents give the limit,
            // 32 KB, not the status): both are a refusal.
            Failure::Status { status, body, .. }
                if purpose == Purpose::Record
                    && (*status == StatusCode::BAD_REQUEST
                        || *status == StatusCode::PAYLOAD_TOO_LARGE
                        || *status == StatusCode::UNPROCESSABLE_ENTITY) =>
            {
                AppError::new(
                    ErrorCode::Rejected,
                    crate::text!(
                        "zendesk.record_refused",
                        path = path,
                        provider = super::provider_message(body)
                    ),
                )
            }
            Failure::Status { status, .. } if *status == StatusCode::UNAUTHORIZED => AppError::new(
                ErrorCode::AuthFailed,
                crate::text!("zendesk.token_refused", email = self.email),
            ),
            Failure::Status { status, body, .. } if *status == StatusCode::FORBIDDEN => {
                AppError::new(
                    ErrorCode::Forbidden,
                    crate::text!(
                        "zendesk.forbidden",
                        email = self.email,
                        path = path,
                        provider = super::provider_message(body)
                    ),
                )
            }
            _ => transport_error(SERVICE, &self.host, failure),
        }
    }

    async fn get<T: DeserializeOwned>(&self, url: &str, purpose: Purpose) -> AppResult<T> {
        self.call(Method::GET, url, None, purpose).await
    }

    /// One request with an optional JSON body, repeated where safe (reads, and the writes
    /// Relay makes idempotent: upserts by external id, a unique name's create), its answer read
    /// as `T`.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        purpose: Purpose,
    ) -> AppResult<T> {
        let path = api_path(url);
        let bytes = self.send_for_bytes(method, url, body, purpose).await?;
        serde_json::from_slice::<T>(&bytes).map_err(|e| {
            AppError::new(
                ErrorCode::Unreachable,
                crate::text!(
                    "zendesk.not_understood",
                    path = path,
                    detail = e,
                    host = self.host
                ),
            )
        })
    }

    /// [`Self::call`] for an answer with no body to read (`204 No Content`); a 404 is
    /// [`ErrorCode::NotFound`].
    async fn call_empty(&self, method: Method, url: &str, body: Option<&Value>) -> AppResult<()> {
        self.send_for_bytes(method, url, body, Purpose::Lookup)
            .await
            .map(|_| ())
    }

    async fn send_for_bytes(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        purpose: Purpose,
    ) -> AppResult<bytes::Bytes> {
        let path = api_path(url);
        // Each request waits its turn in the client's pace, if it keeps one (the team store's
        // share of the account's limit); a try again after a 429 or a lost connection waits
        // another.
        if let Some(pace) = &self.pace {
            pace.ready().await;
        }
        let resp = self
            .http
            .send_paced(
                Idempotency::Safe,
                || {
                    let req = self
                        .http
                        .request(method.clone(), url)
                        .header("authorization", &self.auth);
                    match body {
                        Some(b) => req.json(b),
                        None => req,
                    }
                },
                None,
                self.pace.as_ref(),
            )
            .await
            .map_err(|f| self.error(&path, purpose, f))?;
        self.http
            .body(resp)
            .await
            .map_err(|f| super::body_error(SERVICE, &self.host, f))
    }

    /// A link Zendesk gave (`next_page`, `links.next`), if it stays on the configured service:
    /// Relay sends its credentials with each request, so it never follows one elsewhere.
    fn follow(&self, link: &str) -> AppResult<String> {
        match url::Url::parse(link) {
            Ok(u) if u.origin() == self.origin => Ok(link.to_string()),
            _ => Err(AppError::new(
                ErrorCode::Unreachable,
                crate::text!("zendesk.foreign_link", host = self.host, link = link),
            )),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The signed-in user (`GET /api/v2/users/me`).
    pub async fn me(&self) -> AppResult<User> {
        #[derive(Deserialize)]
        struct Me {
            user: User,
        }
        let me: Me = self
            .get(&self.url("/api/v2/users/me.json"), Purpose::Profile)
            .await?;
        // users/me answers an anonymous user (id null or role end-user) to unknown callers.
        if me.user.id == 0 {
            return Err(AppError::new(
                ErrorCode::AuthFailed,
                crate::text!("zendesk.anonymous", email = self.email),
            ));
        }
        Ok(me.user)
    }

    /// Follows offset pagination (`next_page`) of a list endpoint.
    async fn list<T: DeserializeOwned>(&self, path: &str, key: &str) -> AppResult<Vec<T>> {
        let mut out = Vec::new();
        let mut url = Some(self.url(path));
        let mut pages = 0;
        while let Some(u) = url.take() {
            let page: Value = self.get(&u, Purpose::Other).await?;
            let items: Vec<T> = serde_json::from_value(page[key].clone()).map_err(|e| {
                AppError::new(
                    ErrorCode::Unreachable,
                    crate::text!("zendesk.list_shape", key = key, detail = e),
                )
            })?;
            out.extend(items);
            pages += 1;
            url = match page["next_page"].as_str() {
                Some(next) if pages < MAX_PAGES => Some(self.follow(next)?),
                _ => None,
            };
        }
        Ok(out)
    }

    pub async fn groups(&self) -> AppResult<Vec<Group>> {
        self.list("/api/v2/groups.json", "groups").await
    }

    pub async fn memberships(&self, user_id: u64) -> AppResult<Vec<Membership>> {
        self.list(
            &format!("/api/v2/group_memberships.json?user_id={user_id}"),
            "group_memberships",
        )
        .await
    }

    pub async fn user_fields(&self) -> AppResult<Vec<UserField>> {
        self.list("/api/v2/user_fields.json", "user_fields").await
    }

    /// How many users a query matches (`GET /api/v2/search/count`).
    pub async fn search_count(&self, query: &str) -> AppResult<u64> {
        let q = format!("type:user {}", strip_type_user(query)?);
        let url = reqwest::Url::parse_with_params(
            &self.url("/api/v2/search/count.json"),
            [("query", q.as_str())],
        )
        .map_err(AppError::internal)?;
        let v: Value = self.get(url.as_str(), Purpose::Search).await?;
        Ok(v["count"].as_u64().unwrap_or(0))
    }

    /// The first `n` (≤ 100) users of a query (`GET /api/v2/search.json`).
    pub async fn search_sample(&self, query: &str, n: u32) -> AppResult<Vec<User>> {
        let q = format!("type:user {}", strip_type_user(query)?);
        let per_page = n.clamp(1, 100).to_string();
        let url = reqwest::Url::parse_with_params(
            &self.url("/api/v2/search.json"),
            [("query", q.as_str()), ("per_page", per_page.as_str())],
        )
        .map_err(AppError::internal)?;
        let v: Value = self.get(url.as_str(), Purpose::Search).await?;
        let users = v["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["result_type"] == "user")
            .filter_map(|r| serde_json::from_value(r.clone()).ok())
            .collect();
        Ok(users)
    }

    /// Every user a query matches, page by page (`GET /api/v2/search/export`, cursor pages of
    /// `page_size` ≤ 1,000), with how many results of each page could not be read. Nothing here
    /// depends on the export's order — Zendesk documents it as "ordered only by the `created_at`
    /// attribute" without saying which way, nor how ties fall: when a cursor expires the export
    /// starts again from the first page, and the caller skips by id the users it already has
    /// (the audience's key does it).
    pub fn export_users(
        &self,
        query: &str,
        page_size: u32,
    ) -> impl Stream<Item = AppResult<UserPage>> + '_ {
        let first = strip_type_user(query).and_then(|q| {
            reqwest::Url::parse_with_params(
                &self.url("/api/v2/search/export.json"),
                [
                    ("query", q.as_str()),
                    ("filter[type]", "user"),
                    ("page[size]", &page_size.clamp(1, 1000).to_string()),
                ],
            )
            .map(|u| u.to_string())
            .map_err(AppError::internal)
        });
        struct State {
            next: Option<String>,
            first: String,
            restarts: u32,
        }
        let init = first.map(|f| State {
            next: Some(f.clone()),
            first: f,
            restarts: 0,
        });
        stream::try_unfold(init, move |state| async move {
            let mut st = state?;
            loop {
                let Some(url) = st.next.take() else {
                    return Ok(None);
                };
                let is_cursor_page = url.contains("page%5Bafter%5D") || url.contains("page[after]");
                let resp = self
                    .http
                    .send(Idempotency::Safe, || {
                        self.http
                            .request(Method::GET, &url)
                            .header("authorization", &self.auth)
                    })
                    .await;
                let bytes = match resp {
                    Ok(r) => self
                        .http
                        .body(r)
                        .await
                        .map_err(|f| super::body_error(SERVICE, &self.host, f))?,
                    Err(Failure::Status { status, .. })
                        if is_cursor_page
                            && status.is_client_error()
                            && status != StatusCode::TOO_MANY_REQUESTS
                            && st.restarts < MAX_RESTARTS =>
                    {
                        // The cursor expired (Zendesk: after an hour): start again from the top.
                        tracing::info!(%status, restarts = st.restarts + 1, "export cursor refused: restarting from the first page");
                        st.restarts += 1;
                        st.next = Some(st.first.clone());
                        continue;
                    }
                    Err(f) => {
                        return Err(self.error("/api/v2/users/export.json", Purpose::Search, f))
                    }
                };
                let page = ExportPage::parse(&bytes)?;
                st.next = match (page.meta.has_more, page.links.next.as_deref()) {
                    (true, Some(next)) => Some(self.follow(next)?),
                    _ => None,
                };
                if page.results.is_empty() && page.unreadable == 0 {
                    if st.next.is_some() {
                        continue;
                    }
                    return Ok(None);
                }
                let out = UserPage {
                    users: page.results,
                    unreadable: page.unreadable,
                };
                return Ok(Some((out, Ok(st))));
            }
        })
    }

    /// Users with their identities, 100 ids per request (`GET /api/v2/users/show_many`).
    pub async fn show_many(&self, ids: &[u64]) -> AppResult<(Vec<User>, Vec<Identity>)> {
        let (mut users, mut identities) = (Vec::new(), Vec::new());
        for chunk in ids.chunks(100) {
            let list = chunk
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let url = self.url(&format!(
                "/api/v2/users/show_many.json?ids={list}&include=identities"
            ));
            let v: Value = self.get(&url, Purpose::Other).await?;
            users.extend(
                v["users"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|u| serde_json::from_value(u.clone()).ok()),
            );
            let all = v["identities"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            let before = identities.len();
            identities.extend(
                all.iter()
                    .filter_map(|i| serde_json::from_value::<Identity>(i.clone()).ok()),
            );
            let odd = all.len() - (identities.len() - before);
            if odd > 0 {
                // Without an id or a user id an identity belongs to nobody: its user keeps the
                // number of its phone field, or is excluded as having none — listed, not lost.
                tracing::warn!(
                    odd,
                    "identities Zendesk returned without an id or a user id were left out"
                );
            }
        }
        Ok((users, identities))
    }
}
