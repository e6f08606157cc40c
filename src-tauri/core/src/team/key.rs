//! The workspace's number key (see [`crate::number_key`]): made once, by the first desktop that
//! needs it, as a record of unique name in the store (two desktops making it at once: one name
//! wins, the other reads it), read by every desktop of the account, and kept in each one's
//! keychain so its ledger can be checked while the store cannot be reached.

use super::schema::CLAIM;
use crate::clients::zendesk::custom_objects::{Created, RecordInput};
use crate::clients::zendesk::ZendeskClient;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::number_key::{self, Key};
use crate::workspace::Workspace;
use serde_json::{json, Map, Value};

/// The record's name (in the object of unique names, with the claims).
const NAME: &str = "relay:number-key";
/// The keychain entry's name.
const KEYCHAIN: &str = "team_number_key";

impl Workspace {
    /// The key as this desktop knows it (memory, then its keychain), if it does.
    pub(crate) fn known_number_key(&self) -> Option<Key> {
        let keys = self.db().number_keys().clone();
        if let Some(k) = keys.get() {
            return Some(k);
        }
        // Once a process: the keychain is not asked again for a key it does not hold.
        if !self.team().look_for_key() {
            return None;
        }
        match self.secrets().get_own(KEYCHAIN) {
            Ok(Some(text)) => {
                let key = number_key::decode(&text)?;
                keys.set(key);
                Some(key)
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!("the team's number key could not be read from the keychain: {e}");
                None
            }
        }
    }

    /// The team's key: the store's record of it, read (or made, with the key this desktop keeps
    /// if it keeps one — a record deleted by hand is so made again) once per process; then as
    /// known here.
    pub(crate) async fn team_number_key(&self, z: &ZendeskClient) -> AppResult<Key> {
        let known = self.known_number_key();
        if let Some(k) = known.filter(|_| self.team().key_checked()) {
            return Ok(k);
        }
        let mut fields = Map::new();
        let proposal = known.unwrap_or_else(number_key::generate);
        fields.insert("holder".into(), json!(number_key::encode(&proposal)));
        fields.insert("state".into(), json!("key"));
        let mine = RecordInput {
            name: Some(NAME.into()),
            external_id: Some(NAME.into()),
            custom_object_fields: fields,
        };
        let record = match z.create_unique(CLAIM, &mine).await? {
            Created::Created(r) | Created::NameTaken(r) => r,
        };
        let key = record
            .custom_object_fields
            .get("holder")
            .and_then(Value::as_str)
            .and_then(number_key::decode)
            .ok_or_else(|| {
                AppError::new(ErrorCode::Unreachable, crate::text!("team.key_unreadable"))
            })?;
        if known.is_some_and(|k| k != key) {
            tracing::warn!("the team's number key in the store is not the one this desktop kept: the store's is used from now on");
        }
        if known != Some(key) {
            self.db().number_keys().set(key);
            // Kept for when the store cannot be reached; without it the next process reads it
            // from the store again.
            if let Err(e) = self.secrets().set_own(KEYCHAIN, &number_key::encode(&key)) {
                tracing::warn!("the team's number key could not be kept in the keychain: {e}");
            }
        }
        // The list's numbers in clear found by their hash from now on (pulled removals, say).
        self.db()
            .write(|tx| crate::suppression::fill_number_keys(tx))?;
        self.team().set_key_checked();
        Ok(key)
    }
}
