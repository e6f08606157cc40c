//! The seeded population: a deterministic generator that computes user `i` from `(seed, i)` in
//! constant time and memory, so 2,000,000 users cost nothing until they are asked for.
//!
//! Every user carries the facts a test needs to derive expected results independently of the
//! API ([`PhoneKind`], country): how its phone is written, whether it is shared, whether it only
//! exists as an identity.

mod account;
mod countries;
mod phones;
mod user;

pub use account::{user_fields, GROUPS, MEMBERSHIPS, ORGANIZATIONS, PLANS};
pub use countries::{Country, COUNTRIES};
pub use phones::{landline, mobile, PhoneKind};
pub use user::SeedUser;

use chrono::{TimeZone, Utc};
use phones::{in_script, typo, INVALID_PHONES, OTHER_SCRIPTS};

/// Users 0..ADMINS+AGENTS are staff: 0 is the admin, 1..=4 agents. Everyone else is an end user.
pub const ADMIN_INDEX: u64 = 0;
pub const AGENTS: u64 = 4;
/// Ids start here so they look like Zendesk's and stay far below 2^53.
pub const ID_BASE: u64 = 360_000_000_000;
pub const ORG_BASE: u64 = 360_100_000_000;
pub const GROUP_BASE: u64 = 360_200_000_000;
pub const IDENTITY_BASE: u64 = 360_300_000_000;
pub const ADMIN_EMAIL: &str = "admin@relay-demo.test";

/// splitmix64: a fast, well-mixed hash; `(seed, index, salt)` → 64 random-looking bits.
fn mix(seed: u64, index: u64, salt: u64) -> u64 {
    let mut z = seed
        .wrapping_add(index.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(salt.wrapping_mul(0xD1B5_4A32_D192_ED03));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seeded users of one sandbox.
#[derive(Debug, Clone, Copy)]
pub struct Population {
    pub seed: u64,
    pub count: u64,
}

/// One in five has a line break.
const DELIVERY_NOTES: [&str; 5] = [
    "Leave it with the neighbour",
    "Ring twice",
    "Back door",
    "Call on arrival",
    "Ring twice\nLeave at the door",
];

impl Population {
    pub fn new(seed: u64, count: u64) -> Self {
        Population { seed, count }
    }

    pub fn id_of(&self, index: u64) -> u64 {
        ID_BASE + index
    }

    pub fn index_of(&self, id: u64) -> Option<u64> {
        id.checked_sub(ID_BASE).filter(|i| *i < self.count)
    }

    /// The phone kind of user `index`, from its own hash: 50 % E.164, 3 % landlines, 2 % in
    /// another script's digits, 10 % national, 3 % invalid, 2 % with a letter typed for a digit,
    /// 12 % missing, 6 % shared, 12 % identity only. Staff always have E.164.
    pub fn phone_kind(&self, index: u64) -> PhoneKind {
        if index <= AGENTS {
            return PhoneKind::E164;
        }
        match mix(self.seed, index, 1) % 100 {
            0..=49 => PhoneKind::E164,
            50..=52 => PhoneKind::Landline,
            53..=54 => PhoneKind::OtherScript,
            55..=64 => PhoneKind::National,
            65..=67 => PhoneKind::Invalid,
            68..=69 => PhoneKind::Typo,
            70..=81 => PhoneKind::Missing,
            82..=87 => PhoneKind::Shared,
            _ => PhoneKind::IdentityOnly,
        }
    }

    /// The pool of shared numbers: about one per 40 users, so most shared numbers have 2+ users.
    pub fn shared_pool_size(&self) -> u64 {
        (self.count / 40).max(1)
    }

    /// The shared number `slot` (country from the slot, so it is the same for every user of it).
    pub fn shared_number(&self, slot: u64) -> String {
        let country = &COUNTRIES[(mix(self.seed, slot, 90) % COUNTRIES.len() as u64) as usize];
        mobile(country, mix(self.seed, slot, 91)).0
    }

    pub fn user(&self, index: u64) -> SeedUser {
        let h = |salt| mix(self.seed, index, salt);
        let country = &COUNTRIES[(h(2) % COUNTRIES.len() as u64) as usize];
        let (role, first, last, email) = if index == ADMIN_INDEX {
            ("admin", "Ada", "Admin", ADMIN_EMAIL.to_string())
        } else if index <= AGENTS {
            let first = country.first[(h(3) % 8) as usize];
            (
                "agent",
                first,
                "Agent",
                format!("agent{index}@relay-demo.test"),
            )
        } else {
            let first = country.first[(h(3) % 8) as usize];
            let last = country.last[(h(4) % 8) as usize];
            let email = format!(
                "{}.{}.{index}@example.com",
                ascii_lower(first),
                ascii_lower(last)
            );
            ("end-user", first, last, email)
        };
        let phone_kind = self.phone_kind(index);
        let (own_e164, national) = mobile(country, h(5));
        let (phone, e164) = match phone_kind {
            PhoneKind::E164 => (Some(own_e164.clone()), Some(own_e164)),
            PhoneKind::National => (Some(national), Some(own_e164)),
            PhoneKind::Invalid => (Some(INVALID_PHONES[(h(6) % 5) as usize].to_string()), None),
            PhoneKind::Missing => (None, None),
            PhoneKind::Shared => {
                let n = self.shared_number(h(7) % self.shared_pool_size());
                (Some(n.clone()), Some(n))
            }
            PhoneKind::IdentityOnly => (None, Some(own_e164)),
            PhoneKind::Landline => {
                let n = landline(country, h(8));
                (Some(n.clone()), Some(n))
            }
            PhoneKind::OtherScript => {
                let script = OTHER_SCRIPTS[(h(9) % OTHER_SCRIPTS.len() as u64) as usize];
                (Some(in_script(&own_e164, script)), Some(own_e164))
            }
            PhoneKind::Typo => (Some(typo(&national)), None),
        };
        let mut tags = Vec::new();
        if h(10) % 10 == 0 {
            tags.push("vip".to_string());
        }
        if h(11) % 10 < 6 {
            tags.push("whatsapp_optin".to_string());
        }
        if h(12) % 10 < 5 {
            tags.push("sms_optin".to_string());
        }
        if h(13) % 20 == 0 {
            tags.push("opt_out".to_string());
        }
        tags.push(country.code.to_ascii_lowercase());
        let organization = (h(14) % 4 == 0).then(|| ORG_BASE + h(15) % ORGANIZATIONS.len() as u64);
        let external_id = (h(16) % 5 != 0).then(|| format!("cust-{index:07}"));
        let base = Utc
            .with_ymd_and_hms(2020, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default();
        // Strictly increasing with the index: the export's created_at order is the index order.
        let created_at = base + chrono::Duration::seconds((index * 60 + h(17) % 60) as i64);
        let plan = (h(18) % 10 != 0).then(|| PLANS[(h(19) % 4) as usize].1);
        let signup_date = (h(20) % 8 != 0).then(|| {
            let d = created_at + chrono::Duration::days((h(21) % 30) as i64);
            format!("{}T00:00:00+00:00", d.format("%Y-%m-%d"))
        });
        let loyalty_points = (h(22) % 6 != 0).then(|| (h(23) % 10_000) as i64);
        let city = (h(24) % 7 != 0).then(|| country.cities[(h(25) % 5) as usize]);
        let delivery_note = (h(28) % 4 == 0).then(|| DELIVERY_NOTES[(h(29) % 5) as usize]);
        SeedUser {
            index,
            id: self.id_of(index),
            name: format!("{first} {last}"),
            email,
            role,
            country,
            phone_kind,
            phone,
            e164,
            tags,
            organization,
            external_id,
            created_at,
            plan,
            signup_date,
            loyalty_points,
            city,
            delivery_note,
            verified: h(26) % 10 != 0,
            suspended: h(27) % 100 == 0,
        }
    }

    /// The staff user with this email (admin or agents), if any.
    pub fn staff_by_email(&self, email: &str) -> Option<SeedUser> {
        (0..=AGENTS.min(self.count.saturating_sub(1)))
            .map(|i| self.user(i))
            .find(|u| u.email.eq_ignore_ascii_case(email))
    }
}

fn ascii_lower(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' | 'Á' => 'a',
            'é' | 'è' | 'ê' | 'É' => 'e',
            'í' | 'ï' | 'Í' => 'i',
            'ó' | 'ö' | 'ô' | 'Ó' => 'o',
            'ú' | 'ü' | 'Ú' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            'ß' => 's',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_users_and_another_seed_others() {
        let a = Population::new(7, 1000);
        let b = Population::new(7, 1000);
        let c = Population::new(8, 1000);
        for i in [0, 5, 999] {
            assert_eq!(a.user(i).to_json("x"), b.user(i).to_json("x"));
        }
        assert_ne!(a.user(500).to_json("x"), c.user(500).to_json("x"));
    }

    #[test]
    fn every_phone_kind_occurs_in_proportion() {
        let p = Population::new(1, 20_000);
        let mut counts = std::collections::HashMap::new();
        for i in 0..p.count {
            *counts
                .entry(format!("{:?}", p.phone_kind(i)))
                .or_insert(0u64) += 1;
        }
        for (kind, share) in [
            ("E164", 50),
            ("Landline", 3),
            ("OtherScript", 2),
            ("National", 10),
            ("Invalid", 3),
            ("Typo", 2),
            ("Missing", 12),
            ("Shared", 6),
            ("IdentityOnly", 12),
        ] {
            let n = counts[kind] as f64 / p.count as f64 * 100.0;
            assert!(
                (n - share as f64).abs() < 1.5,
                "{kind}: {n:.1}% instead of about {share}%"
            );
        }
    }

    #[test]
    fn created_at_increases_with_the_index() {
        let p = Population::new(3, 500);
        for i in 1..p.count {
            assert!(p.user(i).created_at > p.user(i - 1).created_at);
        }
    }

    #[test]
    fn staff_are_found_by_email() {
        let p = Population::new(3, 100);
        assert_eq!(
            p.staff_by_email("ADMIN@relay-demo.test").unwrap().role,
            "admin"
        );
        assert_eq!(
            p.staff_by_email("agent2@relay-demo.test").unwrap().role,
            "agent"
        );
        assert!(p.staff_by_email("someone@example.com").is_none());
    }
}
