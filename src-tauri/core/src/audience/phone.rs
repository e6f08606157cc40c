//! Phone numbers: what Zendesk holds (the user's phone field, their phone identities) read as
//! E.164 with the `phonenumber` crate, national numbers in the workspace's default country.

use super::PhoneSource;
use crate::clients::zendesk::{Identity, User};
use std::collections::HashMap;

/// The country a workspace writes national numbers in, if set and known.
pub fn default_country(code: &str) -> Option<phonenumber::country::Id> {
    code.trim().to_ascii_uppercase().parse().ok()
}

/// A phone number in E.164 when it is a valid number (national numbers read in the default
/// country); None otherwise.
pub fn normalize_phone(raw: &str, country: Option<phonenumber::country::Id>) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || !raw.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let n = phonenumber::parse(country, raw).ok()?;
    phonenumber::is_valid(&n).then(|| n.format().mode(phonenumber::Mode::E164).to_string())
}

/// How a user's number was found.
pub struct PhoneFound {
    pub raw: Option<String>,
    pub e164: Option<String>,
    pub source: Option<PhoneSource>,
}

/// `user.phone` when valid; else, when identities are read, the first valid phone identity
/// (primary first); else what `user.phone` held, as invalid, or nothing.
pub fn pick_phone(
    user: &User,
    identities: &[&Identity],
    country: Option<phonenumber::country::Id>,
) -> PhoneFound {
    let raw = user
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    if let Some(r) = raw {
        if let Some(e) = normalize_phone(r, country) {
            return PhoneFound {
                raw: Some(r.to_string()),
                e164: Some(e),
                source: Some(PhoneSource::Field),
            };
        }
    }
    let mut ids: Vec<&&Identity> = identities
        .iter()
        .filter(|i| i.kind == "phone_number")
        .collect();
    ids.sort_by_key(|i| !i.primary);
    for i in ids {
        if let Some(e) = normalize_phone(&i.value, country) {
            return PhoneFound {
                raw: Some(i.value.clone()),
                e164: Some(e),
                source: Some(PhoneSource::Identity),
            };
        }
    }
    PhoneFound {
        raw: raw.map(str::to_string),
        e164: None,
        source: raw.map(|_| PhoneSource::Field),
    }
}

/// Stores one export page. `identities` holds the identities fetched for this page's users.
/// The numbers of a page of users: each user's phone field, else (when given) their phone
/// identities. Pure: the fetch runs it while the previous page is being stored.
pub fn page_phones(
    users: &[User],
    identities: &[Identity],
    country: Option<phonenumber::country::Id>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalized_with_the_default_country() {
        let fr = default_country("fr");
        assert_eq!(
            normalize_phone("06 12 34 56 78", fr).as_deref(),
            Some("+33612345678")
        );
        assert_eq!(
            normalize_phone("+1 (514) 555-0100", fr).as_deref(),
            Some("+15145550100")
        );
        assert_eq!(
            normalize_phone("06 12 34 56 78", None),
            None,
            "national needs a country"
        );
        for bad in ["", "n/a", "12345", "000", "call me", "+33 1"] {
            assert_eq!(normalize_phone(bad, fr), None, "{bad}");
        }
    }
}
