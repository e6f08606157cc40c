//! The account's fixed records: plans, organizations, groups and the staff's memberships, and
//! the custom user fields as `GET /api/v2/user_fields` returns them.

use serde_json::{json, Value};

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
