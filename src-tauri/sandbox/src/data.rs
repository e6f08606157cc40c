//! The seeded population: a deterministic generator that computes user `i` from `(seed, i)` in
//! constant time and memory, so 2,000,000 users cost nothing until they are asked for.
//!
//! Every user carries the facts a test needs to derive expected results independently of the
//! API ([`PhoneKind`], country): how its phone is written, whether it is shared, whether it only
//! exists as an identity.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

/// Users 0..ADMINS+AGENTS are staff: 0 is the admin, 1..=4 agents. Everyone else is an end user.
pub const ADMIN_INDEX: u64 = 0;
pub const AGENTS: u64 = 4;
/// Ids start here so they look like Zendesk's and stay far below 2^53.
pub const ID_BASE: u64 = 360_000_000_000;
pub const ORG_BASE: u64 = 360_100_000_000;
pub const GROUP_BASE: u64 = 360_200_000_000;
pub const IDENTITY_BASE: u64 = 360_300_000_000;
pub const ADMIN_EMAIL: &str = "admin@relay-demo.test";

/// How a user's phone number is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneKind {
    /// `user.phone` in E.164 (`+33612345678`), valid.
    E164,
    /// `user.phone` in the national format of the user's country (`06 12 34 56 78`).
    National,
    /// `user.phone` that is no phone number at all (`12345`, `n/a`…).
    Invalid,
    /// No phone anywhere.
    Missing,
    /// `user.phone` in E.164, shared with other users (a family or shop number).
    Shared,
    /// `user.phone` empty; the number exists only as a `phone_number` identity.
    IdentityOnly,
    /// `user.phone` in E.164, a line that cannot receive a message: a fixed line (a toll-free
    /// number in the US and Mexico, where fixed lines and mobiles look alike).
    Landline,
    /// `user.phone`, the user's mobile in E.164 written in another script's digits (full-width,
    /// Arabic-Indic): a valid number.
    OtherScript,
    /// `user.phone`, the user's mobile written nationally with a letter typed for a digit (an `O`
    /// for a `0`, an `l` for a `1`): no number, never read as a keypad digit.
    Typo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Country {
    pub code: &'static str,
    pub locale: &'static str,
    pub time_zone: &'static str,
    pub iana: &'static str,
    first: &'static [&'static str],
    last: &'static [&'static str],
    cities: &'static [&'static str],
}

pub const COUNTRIES: [Country; 8] = [
    Country {
        code: "FR",
        locale: "fr",
        time_zone: "Paris",
        iana: "Europe/Paris",
        first: &[
            "Camille", "Léa", "Hugo", "Chloé", "Louis", "Manon", "Jules", "Inès",
        ],
        last: &[
            "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
        ],
        cities: &["Paris", "Lyon", "Marseille", "Toulouse", "Nantes"],
    },
    Country {
        code: "US",
        locale: "en-US",
        time_zone: "Eastern Time (US & Canada)",
        iana: "America/New_York",
        first: &[
            "James", "Olivia", "Liam", "Emma", "Noah", "Ava", "Mason", "Sophia",
        ],
        last: &[
            "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
        ],
        cities: &["New York", "Chicago", "Austin", "Seattle", "Boston"],
    },
    Country {
        code: "BR",
        locale: "pt-BR",
        time_zone: "Brasilia",
        iana: "America/Sao_Paulo",
        first: &[
            "João", "Maria", "Pedro", "Ana", "Lucas", "Júlia", "Gabriel", "Beatriz",
        ],
        last: &[
            "Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Costa", "Almeida",
        ],
        cities: &[
            "São Paulo",
            "Rio de Janeiro",
            "Belo Horizonte",
            "Curitiba",
            "Recife",
        ],
    },
    Country {
        code: "DE",
        locale: "de",
        time_zone: "Berlin",
        iana: "Europe/Berlin",
        first: &[
            "Lukas", "Mia", "Leon", "Hannah", "Finn", "Emilia", "Paul", "Lina",
        ],
        last: &[
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
        ],
        cities: &["Berlin", "Hamburg", "München", "Köln", "Frankfurt"],
    },
    Country {
        code: "ES",
        locale: "es",
        time_zone: "Madrid",
        iana: "Europe/Madrid",
        first: &[
            "Lucía", "Hugo", "Sofía", "Martín", "Paula", "Pablo", "Alba", "Álvaro",
        ],
        last: &[
            "García",
            "Fernández",
            "González",
            "Rodríguez",
            "López",
            "Martínez",
            "Sánchez",
            "Pérez",
        ],
        cities: &["Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao"],
    },
    Country {
        code: "GB",
        locale: "en-GB",
        time_zone: "London",
        iana: "Europe/London",
        first: &[
            "Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Freya",
        ],
        last: &[
            "Taylor", "Wilson", "Evans", "Walker", "Wright", "Roberts", "Hughes", "Green",
        ],
        cities: &["London", "Manchester", "Leeds", "Bristol", "Glasgow"],
    },
    Country {
        code: "IN",
        locale: "en-IN",
        time_zone: "New Delhi",
        iana: "Asia/Kolkata",
        first: &[
            "Aarav", "Ananya", "Vivaan", "Diya", "Arjun", "Saanvi", "Reyansh", "Aadhya",
        ],
        last: &[
            "Sharma", "Verma", "Patel", "Gupta", "Singh", "Kumar", "Reddy", "Iyer",
        ],
        cities: &["Mumbai", "Delhi", "Bengaluru", "Chennai", "Pune"],
    },
    Country {
        code: "MX",
        locale: "es-MX",
        time_zone: "Mexico City",
        iana: "America/Mexico_City",
        first: &[
            "Santiago",
            "Valentina",
            "Mateo",
            "Regina",
            "Sebastián",
            "Ximena",
            "Diego",
            "Camila",
        ],
        last: &[
            "Hernández",
            "García",
            "Martínez",
            "López",
            "González",
            "Pérez",
            "Rodríguez",
            "Sánchez",
        ],
        cities: &[
            "Ciudad de México",
            "Guadalajara",
            "Monterrey",
            "Puebla",
            "Mérida",
        ],
    },
];

pub const PLANS: [(&str, &str); 4] = [
    ("Free", "free"),
    ("Pro", "pro"),
    ("Gold", "gold"),
    ("Platinum", "platinum"),
];

pub const ORGANIZATIONS: [&str; 5] = [
    "Acme Retail",
    "Globex",
    "Initech",
    "Umbrella Travel",
    "Stark Services",
];

pub const GROUPS: [(&str, &str); 3] = [
    ("Support", "Front-line support"),
    ("Sales", "Account executives"),
    ("Marketing", "Campaigns and newsletters"),
];

/// (user index, group index) memberships of the staff.
pub const MEMBERSHIPS: [(u64, u64); 5] = [(0, 0), (0, 2), (1, 0), (2, 1), (3, 2)];

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

/// One generated user, with the facts behind its public fields.
#[derive(Debug, Clone)]
pub struct SeedUser {
    pub index: u64,
    pub id: u64,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub country: &'static Country,
    pub phone_kind: PhoneKind,
    /// `user.phone` as stored (None when missing or identity-only).
    pub phone: Option<String>,
    /// The number in E.164 when there is a real one (every kind but Invalid, Missing and Typo).
    pub e164: Option<String>,
    pub tags: Vec<String>,
    pub organization: Option<u64>,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub plan: Option<&'static str>,
    pub signup_date: Option<String>,
    pub loyalty_points: Option<i64>,
    pub city: Option<&'static str>,
    /// A multi-line text field: some notes have a line break (WhatsApp refuses those as values).
    pub delivery_note: Option<&'static str>,
    pub verified: bool,
    pub suspended: bool,
}

fn digits(h: u64, n: usize) -> String {
    let mut out = String::with_capacity(n);
    let mut x = h;
    for _ in 0..n {
        out.push(char::from(b'0' + (x % 10) as u8));
        x /= 10;
        if x == 0 {
            x = h.rotate_left(17) | 1;
        }
    }
    out
}

/// A valid mobile number of `country` from 64 random bits: (E.164, national format).
pub fn mobile(country: &Country, h: u64) -> (String, String) {
    match country.code {
        "FR" => {
            // 06 1x xx xx xx: metropolitan mobiles (06 9x includes overseas ranges).
            let d = digits(h, 7);
            (
                format!("+3361{d}"),
                format!("06 1{} {} {} {}", &d[0..1], &d[1..3], &d[3..5], &d[5..7]),
            )
        }
        "US" => {
            const AREAS: [&str; 6] = ["212", "312", "415", "617", "646", "718"];
            let area = AREAS[(h % AREAS.len() as u64) as usize];
            let ex = 200 + (h >> 8) % 700; // 200..899: a valid exchange
            let line = digits(h >> 20, 4);
            (
                format!("+1{area}{ex}{line}"),
                format!("({area}) {ex}-{line}"),
            )
        }
        "BR" => {
            let d = digits(h, 8);
            (
                format!("+55119{d}"),
                format!("(11) 9{}-{}", &d[0..4], &d[4..8]),
            )
        }
        "DE" => {
            let d = digits(h, 8);
            (format!("+49151{d}"), format!("0151 {d}"))
        }
        "ES" => {
            let d = digits(h, 8);
            (
                format!("+346{d}"),
                format!("6{} {} {} {}", &d[0..2], &d[2..4], &d[4..6], &d[6..8]),
            )
        }
        "GB" => {
            let d = digits(h, 6);
            (format!("+447400{d}"), format!("07400 {d}"))
        }
        "IN" => {
            // 98xxx xxxxx: a national number that does not start with the country code 91.
            let d = digits(h, 8);
            (format!("+9198{d}"), format!("98{} {}", &d[0..3], &d[3..8]))
        }
        _ => {
            // MX: Mexico City mobiles, 10 digits.
            let d = digits(h, 8);
            (format!("+5255{d}"), format!("55 {} {}", &d[0..4], &d[4..8]))
        }
    }
}

/// A number of `country` that cannot receive a message, in E.164, from 64 random bits: a fixed
/// line, or where fixed lines and mobiles look alike (US, Mexico) a toll-free number.
pub fn landline(country: &Country, h: u64) -> String {
    match country.code {
        "FR" => format!("+3314{}", digits(h, 7)),
        "US" => format!("+1800{}{}", 200 + h % 700, digits(h >> 12, 4)),
        "BR" => format!("+55113{}", digits(h, 7)),
        "DE" => format!("+4930{}", digits(h, 8)),
        "ES" => format!("+3491{}", digits(h, 7)),
        "GB" => format!("+44207{}", digits(h, 7)),
        "IN" => format!("+91112{}", digits(h, 7)),
        _ => format!("+52800{}", digits(h, 7)),
    }
}

/// Digits 0–9 of other scripts people type numbers in: full-width, Arabic-Indic.
const OTHER_SCRIPTS: [&str; 2] = ["０１２３４５６７８９", "٠١٢٣٤٥٦٧٨٩"];

fn in_script(text: &str, script: &str) -> String {
    let digits: Vec<char> = script.chars().collect();
    text.chars()
        .map(|c| c.to_digit(10).map_or(c, |d| digits[d as usize]))
        .collect()
}

/// A number with a letter typed for a digit: its first 0 as an `O`, else its first 1 as an `l`.
fn typo(written: &str) -> String {
    if let Some(at) = written.find('0') {
        format!("{}O{}", &written[..at], &written[at + 1..])
    } else if let Some(at) = written.find('1') {
        format!("{}l{}", &written[..at], &written[at + 1..])
    } else {
        format!("{written}O")
    }
}

const INVALID_PHONES: [&str; 5] = ["12345", "n/a", "+33 1", "call me", "000"];
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

fn ts(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl SeedUser {
    /// The user as Zendesk's API returns it to an admin (`UserForAdmin`).
    pub fn to_json(&self, base_url: &str) -> Value {
        let mut user_fields = serde_json::Map::new();
        user_fields.insert(
            "plan".into(),
            self.plan.map(Value::from).unwrap_or(Value::Null),
        );
        user_fields.insert(
            "signup_date".into(),
            self.signup_date
                .clone()
                .map(Value::from)
                .unwrap_or(Value::Null),
        );
        user_fields.insert(
            "loyalty_points".into(),
            self.loyalty_points.map(Value::from).unwrap_or(Value::Null),
        );
        user_fields.insert(
            "city".into(),
            self.city.map(Value::from).unwrap_or(Value::Null),
        );
        user_fields.insert(
            "delivery_note".into(),
            self.delivery_note.map(Value::from).unwrap_or(Value::Null),
        );
        let created = ts(&self.created_at);
        let mut v = json!({
            "id": self.id,
            "url": format!("{base_url}/api/v2/users/{}.json", self.id),
            "name": self.name,
            "email": self.email,
            "created_at": created,
            "updated_at": created,
            "time_zone": self.country.time_zone,
            "iana_time_zone": self.country.iana,
            "phone": self.phone,
            "shared_phone_number": matches!(self.phone_kind, PhoneKind::Shared),
            "photo": null,
            "locale_id": 1,
            "locale": self.country.locale,
            "organization_id": self.organization,
            "role": self.role,
            "verified": self.verified,
            "external_id": self.external_id,
            "tags": self.tags,
            "alias": "",
            "active": true,
            "shared": false,
            "shared_agent": false,
            "last_login_at": created,
            "two_factor_auth_enabled": null,
            "signature": "",
            "details": "",
            "notes": "",
            "role_type": if self.role == "admin" { Value::from(4) } else { Value::Null },
            "custom_role_id": null,
            "moderator": self.role != "end-user",
            "ticket_restriction": if self.role == "end-user" { Value::from("requested") } else { Value::Null },
            "only_private_comments": false,
            "restricted_agent": false,
            "suspended": self.suspended,
            "report_csv": self.role == "admin",
            "user_fields": user_fields,
        });
        // A non-nullable integer in the spec: only staff have a default group.
        if self.role != "end-user" {
            v["default_group_id"] = Value::from(GROUP_BASE);
        }
        v
    }

    /// The user's identities: its email, and a phone_number identity when the number is
    /// recorded as one (identity-only users, and a third of the users with a phone).
    pub fn identities(&self, base_url: &str) -> Vec<Value> {
        let created = ts(&self.created_at);
        let identity = |n: u64, kind: &str, value: &str, primary: bool| {
            let id = IDENTITY_BASE + self.index * 2 + n;
            json!({
                "id": id,
                "url": format!("{base_url}/api/v2/users/{}/identities/{id}.json", self.id),
                "user_id": self.id,
                "type": kind,
                "value": value,
                "verified": true,
                "primary": primary,
                "created_at": created,
                "updated_at": created,
                "undeliverable_count": 0,
                "deliverable_state": "deliverable",
                "verification_method": "low",
                "verified_at": created,
            })
        };
        let mut out = vec![identity(0, "email", &self.email, true)];
        let phone_identity = match self.phone_kind {
            PhoneKind::IdentityOnly => self.e164.as_ref().map(|e| spaced(e)),
            PhoneKind::E164 if self.index.is_multiple_of(3) => self.e164.clone(),
            _ => None,
        };
        if let Some(p) = phone_identity {
            out.push(identity(1, "phone_number", &p, false));
        }
        out
    }
}

/// `+33612345678` → `+33 6 12 34 56 78`-like spacing, as people type numbers into identities.
fn spaced(e164: &str) -> String {
    let (cc, rest) = e164.split_at(3.min(e164.len()));
    let mut out = cc.to_string();
    for (i, ch) in rest.chars().enumerate() {
        if i % 3 == 0 {
            out.push(' ');
        }
        out.push(ch);
    }
    out
}

/// The custom user fields, as `GET /api/v2/user_fields` returns them.
pub fn user_fields(base_url: &str) -> Vec<Value> {
    let created = "2020-01-01T00:00:00Z";
    let field = |id: u64, key: &str, title: &str, kind: &str, options: Option<Vec<Value>>| {
        let mut v = json!({
            "id": id,
            "url": format!("{base_url}/api/v2/user_fields/{id}.json"),
            "key": key,
            "type": kind,
            "title": title,
            "raw_title": title,
            "description": "",
            "raw_description": "",
            "position": id - 360_400_000_000,
            "active": true,
            "system": false,
            "regexp_for_validation": null,
            "created_at": created,
            "updated_at": created,
        });
        if let Some(o) = options {
            v["custom_field_options"] = Value::Array(o);
        }
        v
    };
    let options = PLANS
        .iter()
        .enumerate()
        .map(|(i, (name, value))| {
            let id = 360_410_000_000 + i as u64;
            json!({"id": id, "name": name, "raw_name": name, "value": value, "position": i,
                   "url": format!("{base_url}/api/v2/user_fields/360400000001/options/{id}.json")})
        })
        .collect();
    vec![
        field(360_400_000_001, "plan", "Plan", "dropdown", Some(options)),
        field(360_400_000_002, "signup_date", "Signup date", "date", None),
        field(
            360_400_000_003,
            "loyalty_points",
            "Loyalty points",
            "integer",
            None,
        ),
        field(360_400_000_004, "city", "City", "text", None),
        field(
            360_400_000_005,
            "delivery_note",
            "Delivery note",
            "textarea",
            None,
        ),
    ]
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
