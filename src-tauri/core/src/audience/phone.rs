//! A user's number: what Zendesk holds (the user's phone field, their phone identities) read
//! with [`crate::phone`], national numbers in the workspace's default country.

use super::PhoneSource;
use crate::clients::zendesk::{Identity, User};
use crate::phone::{self, Country, NumberKind, PhoneProblem};
use std::collections::HashMap;

/// How a user's number was found: what was read (as it was written), and either the number it
/// is or why it is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneFound {
    pub raw: Option<String>,
    pub e164: Option<String>,
    pub source: Option<PhoneSource>,
    pub kind: Option<NumberKind>,
    /// The extension dropped from what was written.
    pub extension: Option<String>,
    /// Why `raw` is not a number, when it is not.
    pub problem: Option<PhoneProblem>,
}

impl PhoneFound {
    /// `raw` (from `source`) read.
    pub fn read(raw: &str, source: PhoneSource, country: Option<Country>) -> PhoneFound {
        match phone::read(raw, country) {
            Ok(n) => PhoneFound {
                raw: Some(raw.to_string()),
                e164: Some(n.e164),
                source: Some(source),
                kind: Some(n.kind),
                extension: n.extension,
                problem: None,
            },
            Err(problem) => PhoneFound {
                raw: Some(raw.to_string()),
                e164: None,
                source: Some(source),
                kind: None,
                extension: None,
                problem: Some(problem),
            },
        }
    }

    fn none() -> PhoneFound {
        PhoneFound {
            raw: None,
            e164: None,
            source: None,
            kind: None,
            extension: None,
            problem: None,
        }
    }
}

/// `user.phone` when it is a number; else, when identities are read, the first phone identity
/// that is one (primary first); else what `user.phone` held, with why it is not a number, or
/// nothing.
pub fn pick_phone(user: &User, identities: &[&Identity], country: Option<Country>) -> PhoneFound {
    let field = user
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|r| PhoneFound::read(r, PhoneSource::Field, country));
    if let Some(f) = &field {
        if f.e164.is_some() {
            return f.clone();
        }
    }
    let mut ids: Vec<&&Identity> = identities
        .iter()
        .filter(|i| i.kind == "phone_number" && !i.value.trim().is_empty())
        .collect();
    ids.sort_by_key(|i| !i.primary);
    for i in ids {
        let found = PhoneFound::read(i.value.trim(), PhoneSource::Identity, country);
        if found.e164.is_some() {
            return found;
        }
    }
    field.unwrap_or_else(PhoneFound::none)
}

/// The numbers of a page of users: each user's phone field, else (when given) their phone
/// identities. Pure: the fetch runs it while the previous page is being stored.
pub fn page_phones(
    users: &[User],
    identities: &[Identity],
    country: Option<Country>,
) -> Vec<PhoneFound> {
    let mut by_user: HashMap<u64, Vec<&Identity>> = HashMap::new();
    for i in identities {
        by_user.entry(i.user_id).or_default().push(i);
    }
    users
        .iter()
        .map(|u| {
            pick_phone(
                u,
                by_user.get(&u.id).map_or(&[][..], Vec::as_slice),
                country,
            )
        })
        .collect()
}
