//! Pruning: the batches whose entries are all older than the longest blackout allowed, deleted
//! from the store in bulk delete jobs by an admin's desktop, at most once a day.

use crate::clients::zendesk::custom_objects::{ItemOutcome, MAX_ITEMS};
use crate::clients::zendesk::ZendeskClient;
use crate::error::AppResult;
use crate::team::outbox;
use crate::team::schema::BATCH;
use crate::workspace::Workspace;
use serde_json::{json, Value};

/// Where the last pruning is noted (as a pull).
const PRUNED: &str = "relay_batch:pruned";

/// How long a batch is kept in the store: the longest blackout allowed.
pub const KEEP_DAYS: i64 = 365;

impl Workspace {
    /// Deletes the batches whose entries are all older than the longest blackout allowed, in
    /// bulk delete jobs; an admin's desktop, at most once a day.
    pub(crate) async fn team_prune(&self, z: &ZendeskClient) -> AppResult<u32> {
        let now = self.now_ms();
        let last = {
            let db = self.db();
            outbox::sync_times(db.connection(), PRUNED)?.1
        };
        if last.is_some_and(|l| now - l < 86_400_000) {
            return Ok(0);
        }
        if z.me().await?.role != "admin" {
            return Ok(0);
        }
        let before = now - KEEP_DAYS * 86_400_000;
        let filter = json!({"custom_object_fields.last_at": {"$lt": before}});
        let deleted = delete_matching(z, BATCH, &filter).await?;
        self.db()
            .write(|tx| outbox::set_pulled(tx, PRUNED, None, now))?;
        if deleted > 0 {
            tracing::info!(
                deleted,
                "batches past the longest blackout deleted from the team's store"
            );
        }
        Ok(deleted)
    }
}

/// Deletes every record of `object` matching `filter`, a page of 100 at a time, each in a bulk
/// delete job, until none is left, a job deletes nothing, or a page holds only records already
/// deleted (the search index lagging behind). Returns how many were deleted.
pub(super) async fn delete_matching(
    z: &ZendeskClient,
    object: &str,
    filter: &Value,
) -> AppResult<u32> {
    let mut tried = std::collections::HashSet::new();
    let mut deleted = 0;
    loop {
        let page = z
            .search_page(object, filter, "updated_at", MAX_ITEMS, None)
            .await?;
        let ids: Vec<String> = page
            .records
            .iter()
            .map(|r| r.id.clone())
            .filter(|id| tried.insert(id.clone()))
            .collect();
        if ids.is_empty() {
            break;
        }
        let gone = z
            .bulk_delete(object, &ids)
            .await?
            .iter()
            .filter(|o| matches!(o, ItemOutcome::Written(_)))
            .count();
        deleted += gone as u32;
        if gone == 0 {
            break;
        }
    }
    Ok(deleted)
}
