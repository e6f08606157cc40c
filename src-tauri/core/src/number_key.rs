//! A phone number as a keyed hash: the first 8 bytes of HMAC-SHA256 under the workspace's key,
//! read as a signed 64-bit integer. What the team's store holds in place of a number (ledger
//! entries, the suppression list), and what a desktop compares a number with. Without the key
//! the hash tells nothing of the number; with it, anyone can test a number (the space of phone
//! numbers is small), so the key is kept like a secret: in the keychain and in the team's store,
//! never in the database.
//!
//! SQL reaches it through `relay_number_key(number)`, registered on every connection of a
//! workspace: NULL while the key is not known (nothing hashed can then be in the ledger).

use hmac::{Hmac, Mac};
use rusqlite::functions::FunctionFlags;
use sha2::Sha256;
use std::sync::{Arc, RwLock};

/// The workspace's key: 32 random bytes.
pub type Key = [u8; 32];

/// The key as every connection of a workspace reads it (set once known).
#[derive(Clone, Default)]
pub struct NumberKeys(Arc<RwLock<Option<Key>>>);

impl NumberKeys {
    pub fn get(&self) -> Option<Key> {
        *self.0.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set(&self, key: Key) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Some(key);
    }

    /// The number's hash under the key, when it is known.
    pub fn hash(&self, number: &str) -> Option<i64> {
        self.get().map(|k| hash(&k, number))
    }

    /// Makes `relay_number_key(TEXT)` available to `conn`'s SQL.
    pub fn register(&self, conn: &rusqlite::Connection) -> rusqlite::Result<()> {
        let keys = self.clone();
        conn.create_scalar_function(
            "relay_number_key",
            1,
            FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
            move |ctx| {
                let number: Option<String> = ctx.get(0)?;
                Ok(number.and_then(|n| keys.hash(&n)))
            },
        )
    }
}

/// The hash of an E.164 number under `key`.
pub fn hash(key: &Key, number: &str) -> i64 {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"relay-number:");
    mac.update(number.as_bytes());
    let out = mac.finalize().into_bytes();
    i64::from_be_bytes(out[..8].try_into().expect("32 bytes"))
}

/// A new random key.
pub fn generate() -> Key {
    rand::random()
}

/// The key as text (the store's record, the keychain's entry), and back.
pub fn encode(key: &Key) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
}

pub fn decode(text: &str) -> Option<Key> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim())
        .ok()?
        .try_into()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_number_under_the_same_key_hashes_the_same_and_differs_under_another() {
        let a = [7u8; 32];
        let b = [8u8; 32];
        assert_eq!(hash(&a, "+33612345678"), hash(&a, "+33612345678"));
        assert_ne!(hash(&a, "+33612345678"), hash(&a, "+33612345679"));
        assert_ne!(hash(&a, "+33612345678"), hash(&b, "+33612345678"));
        assert_eq!(decode(&encode(&a)), Some(a));
        assert_eq!(decode("not a key"), None);
    }

    #[test]
    fn sql_reads_the_hash_once_the_key_is_known() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let keys = NumberKeys::default();
        keys.register(&conn).unwrap();
        let read = |c: &rusqlite::Connection| -> Option<i64> {
            c.query_row("SELECT relay_number_key('+33612345678')", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(read(&conn), None);
        keys.set([1u8; 32]);
        assert_eq!(read(&conn), Some(hash(&[1u8; 32], "+33612345678")));
    }
}
