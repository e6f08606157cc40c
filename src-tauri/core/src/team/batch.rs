//! A batch: many ledger entries of one desktop in one record of the team's store, written once
//! and never updated (an update would lose a concurrent writer's entries; a second push of the
//! same entries makes another batch, and merging is idempotent).
//!
//! The record's own fields carry what its entries share: the desktop, the campaigns, the time
//! span, the count and the format's version. Its `entries` field holds the entries, format 1:
//! base64url (no padding) of, per group of entries of one message in one campaign,
//! `varint(campaign index + 1, 0 for none) · fingerprint (8 bytes, big-endian) · varint(count)`,
//! then per entry, in time order, `number key (8 bytes, big-endian) ·
//! varint((ms since the previous entry, or since first_at) × 2 + (1 if unknown))`. About ten
//! bytes an entry: 2,000 entries fit Zendesk's 32 KB per record with room to spare
//! (<https://developer.zendesk.com/api-reference/custom-data/introduction/>).

use crate::blackout::{Pulled, Reach, Recipient, Unshared};
use base64::Engine;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The format written here.
pub const FORMAT: i64 = 1;
/// The most entries a batch holds.
pub const MAX_ENTRIES: usize = 2_000;
/// The most characters its `entries` field takes (Zendesk's limit is 32 KB for the whole
/// record: the other fields take well under a kilobyte).
pub const MAX_TEXT: usize = 28_000;
/// The most characters of campaign ids a batch lists (a batch spans a few campaigns; a backlog
/// may span many, whose ids beyond this are left out of the field and of its entries' groups).
const MAX_CAMPAIGNS_TEXT: usize = 2_000;

/// A batch made from entries of this desktop: its record's fields, and the rows it holds.
pub struct Batch {
    pub fields: Map<String, Value>,
    pub rows: Vec<i64>,
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn read_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn read_i64(bytes: &[u8], at: &mut usize) -> Option<i64> {
    let v = i64::from_be_bytes(bytes.get(*at..*at + 8)?.try_into().ok()?);
    *at += 8;
    Some(v)
}

/// Makes the batch of as many of `entries` (in their order) as fit; the rest wait for the next.
/// `hash` gives a number's key. None when `entries` is empty.
pub fn make(entries: &[Unshared], desktop: &str, hash: impl Fn(&str) -> i64) -> Option<Batch> {
    let mut n = entries.len().min(MAX_ENTRIES);
    loop {
        if n == 0 {
            return None;
        }
        let batch = encode(&entries[..n], desktop, &hash);
        let text = batch.fields["entries"].as_str().map_or(0, str::len);
        if text <= MAX_TEXT {
            return Some(batch);
        }
        // Too long (entries far apart in time take more bytes): fewer, in proportion.
        n = (n * MAX_TEXT / text).min(n - 1) * 19 / 20;
    }
}

fn encode(entries: &[Unshared], desktop: &str, hash: &impl Fn(&str) -> i64) -> Batch {
    let mut campaigns: Vec<&str> = Vec::new();
    let mut campaigns_text = 0usize;
    let mut groups: BTreeMap<(usize, i64), Vec<&Unshared>> = BTreeMap::new();
    for e in entries {
        let campaign = match e.campaign.as_deref() {
            None => 0,
            Some(c) => match campaigns.iter().position(|k| *k == c) {
                Some(i) => i + 1,
                None if campaigns_text + c.len() < MAX_CAMPAIGNS_TEXT => {
                    campaigns.push(c);
                    campaigns_text += c.len() + 1;
                    campaigns.len()
                }
                None => 0,
            },
        };
        groups.entry((campaign, e.fingerprint)).or_default().push(e);
    }
    let first_at = entries.iter().map(|e| e.sent_at_ms).min().unwrap_or(0);
    let last_at = entries.iter().map(|e| e.sent_at_ms).max().unwrap_or(0);
    let mut out = Vec::with_capacity(entries.len() * 10);
    let mut rows = Vec::with_capacity(entries.len());
    for ((campaign, fingerprint), mut group) in groups {
        group.sort_by_key(|e| (e.sent_at_ms, e.row));
        varint(&mut out, campaign as u64);
        out.extend_from_slice(&fingerprint.to_be_bytes());
        varint(&mut out, group.len() as u64);
        let mut previous = first_at;
        for e in group {
            out.extend_from_slice(&hash(&e.phone).to_be_bytes());
            let delta = (e.sent_at_ms - previous).max(0) as u64;
            varint(&mut out, delta * 2 + u64::from(e.state == Reach::Unknown));
            previous = e.sent_at_ms;
            rows.push(e.row);
        }
    }
    let mut fields = Map::new();
    fields.insert("desktop".into(), json!(desktop));
    fields.insert("campaigns".into(), json!(campaigns.join(",")));
    fields.insert("first_at".into(), json!(first_at));
    fields.insert("last_at".into(), json!(last_at));
    fields.insert("count".into(), json!(entries.len()));
    fields.insert("format".into(), json!(FORMAT));
    fields.insert(
        "entries".into(),
        json!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&out)),
    );
    Batch { fields, rows }
}

/// Why a batch record cannot be read.
#[derive(Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// Written by a later Relay (its format is newer than this one reads).
    NewerFormat(i64),
    /// Not a batch, or damaged.
    Malformed,
}

/// The entries a batch record holds.
pub fn read(fields: &Map<String, Value>) -> Result<Vec<Pulled>, Unreadable> {
    let int = |k: &str| {
        fields.get(k).and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
    };
    let format = int("format").ok_or(Unreadable::Malformed)?;
    if format > FORMAT {
        return Err(Unreadable::NewerFormat(format));
    }
    let first_at = int("first_at").ok_or(Unreadable::Malformed)?;
    let count = int("count")
        .filter(|c| (0..=MAX_ENTRIES as i64).contains(c))
        .ok_or(Unreadable::Malformed)? as usize;
    let desktop = fields
        .get("desktop")
        .and_then(Value::as_str)
        .map(str::to_string);
    let campaigns: Vec<&str> = fields
        .get("campaigns")
        .and_then(Value::as_str)
        .map(|c| c.split(',').filter(|c| !c.is_empty()).collect())
        .unwrap_or_default();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(
            fields
                .get("entries")
                .and_then(Value::as_str)
                .ok_or(Unreadable::Malformed)?,
        )
        .map_err(|_| Unreadable::Malformed)?;
    let mut out = Vec::with_capacity(count);
    let mut at = 0;
    while at < bytes.len() {
        let bad = || Unreadable::Malformed;
        let campaign = read_varint(&bytes, &mut at).ok_or_else(bad)? as usize;
        let fingerprint = read_i64(&bytes, &mut at).ok_or_else(bad)?;
        let n = read_varint(&bytes, &mut at).ok_or_else(bad)?;
        let campaign = campaign
            .checked_sub(1)
            .and_then(|i| campaigns.get(i))
            .map(|c| c.to_string());
        let mut previous = first_at;
        if n > (count - out.len().min(count)) as u64 {
            return Err(Unreadable::Malformed);
        }
        for _ in 0..n {
            let key = read_i64(&bytes, &mut at).ok_or_else(bad)?;
            let v = read_varint(&bytes, &mut at).ok_or_else(bad)?;
            let sent_at_ms = previous.checked_add((v / 2) as i64).ok_or_else(bad)?;
            previous = sent_at_ms;
            out.push(Pulled {
                fingerprint,
                recipient: Recipient::Keyed(key),
                sent_at_ms,
                state: if v & 1 == 1 {
                    Reach::Unknown
                } else {
                    Reach::Sent
                },
                campaign: campaign.clone(),
                desktop: desktop.clone(),
            });
        }
    }
    if out.len() != count {
        return Err(Unreadable::Malformed);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(row: i64, fingerprint: i64, phone: &str, at: i64, campaign: Option<&str>) -> Unshared {
        Unshared {
            row,
            fingerprint,
            phone: phone.into(),
            sent_at_ms: at,
            state: if row % 3 == 0 {
                Reach::Unknown
            } else {
                Reach::Sent
            },
            campaign: campaign.map(str::to_string),
        }
    }

    fn hash(p: &str) -> i64 {
        crate::number_key::hash(&[3; 32], p)
    }

    #[test]
    fn a_batch_reads_back_as_the_entries_it_was_made_of() {
        let entries: Vec<Unshared> = (0..500)
            .map(|i| {
                entry(
                    i,
                    if i % 2 == 0 { -42 } else { 7 },
                    &format!("+336{:08}", i * 7919),
                    1_700_000_000_000 + (i * 37) % 1000 * 13,
                    [Some("a"), Some("b"), None][(i % 3) as usize],
                )
            })
            .collect();
        let b = make(&entries, "host/abcd", hash).unwrap();
        assert_eq!(b.rows.len(), 500);
        assert_eq!(b.fields["campaigns"], "a,b");
        let mut read = read(&b.fields).unwrap();
        let mut want: Vec<Pulled> = entries
            .iter()
            .map(|e| Pulled {
                fingerprint: e.fingerprint,
                recipient: Recipient::Keyed(hash(&e.phone)),
                sent_at_ms: e.sent_at_ms,
                state: e.state,
                campaign: e.campaign.clone(),
                desktop: Some("host/abcd".into()),
            })
            .collect();
        let key = |p: &Pulled| {
            format!(
                "{:?}",
                (p.fingerprint, &p.recipient, p.sent_at_ms, &p.campaign)
            )
        };
        read.sort_by_key(key);
        want.sort_by_key(key);
        assert_eq!(read, want);
    }

    #[test]
    fn a_batch_holds_two_thousand_entries_of_a_send_and_stays_within_32_kb() {
        // A fast send (a millisecond apart) and a backlog spread over a year, both.
        for spread in [1i64, 15_768_000] {
            let entries: Vec<Unshared> = (0..5_000)
                .map(|i| {
                    entry(
                        i,
                        99,
                        &format!("+1555{:07}", i),
                        1_600_000_000_000 + i * spread,
                        Some("0123456789abcdef0123456789abcdef"),
                    )
                })
                .collect();
            let b = make(&entries, "host/abcd", hash).unwrap();
            let record = serde_json::to_string(&b.fields).unwrap();
            assert!(record.len() < 32 * 1024 - 1024, "{} bytes", record.len());
            if spread == 1 {
                assert_eq!(b.rows.len(), MAX_ENTRIES);
            } else {
                assert!(b.rows.len() >= 1_500, "{}", b.rows.len());
            }
            assert_eq!(read(&b.fields).unwrap().len(), b.rows.len());
        }
    }

    #[test]
    fn a_damaged_or_newer_batch_is_said_so() {
        let entries = vec![entry(1, 5, "+33612345678", 1_000, Some("c"))];
        let mut b = make(&entries, "d", hash).unwrap();
        b.fields.insert("count".into(), json!(2));
        assert_eq!(read(&b.fields), Err(Unreadable::Malformed));
        // A count no batch can hold is refused before anything is read.
        b.fields.insert("count".into(), json!(-1));
        assert_eq!(read(&b.fields), Err(Unreadable::Malformed));
        b.fields.insert("count".into(), json!(u32::MAX));
        assert_eq!(read(&b.fields), Err(Unreadable::Malformed));
        b.fields.insert("format".into(), json!(2));
        assert_eq!(read(&b.fields), Err(Unreadable::NewerFormat(2)));
        assert!(make(&[], "d", hash).is_none());
    }
}
