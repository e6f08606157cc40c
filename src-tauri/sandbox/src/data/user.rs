//! A generated user: its facts ([`SeedUser`]) and how the API shows it (the user, its
//! identities).

use super::{Country, PhoneKind, GROUP_BASE, IDENTITY_BASE};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

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

fn ts(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl SeedUser {
    /// The user's Zendesk locale: their country's, and for some of them (by index, so the rest
    /// of the seed is unchanged) another form real accounts hold — a region Meta has (`fr-CA`,
    /// `de-CH`), Latin American Spanish (`es-419`, which Meta lacks), a bare language Meta has
    /// only per region (`pt`), a language Meta lacks (`eu`, Basque).
    pub fn locale(&self) -> &'static str {
        match (self.country.code, self.index % 5) {
            ("FR", 3) => "fr-CA",
            ("DE", 4) => "de-CH",
            ("MX", 1 | 2) => "es-419",
            ("BR", 2) => "pt",
            ("ES", 4) => "eu",
            _ => self.country.locale,
        }
    }

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
            "locale": self.locale(),
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
