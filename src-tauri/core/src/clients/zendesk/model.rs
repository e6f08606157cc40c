//! What Zendesk sends back, as Relay reads it: users (text fields lenient about the JSON type
//! some integration wrote), identities, groups, memberships, user fields, and the search export's
//! pages (a result that is not a user is counted, not dropped silently).

use crate::error::{AppError, AppResult, ErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: u64,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub role_type: Option<i64>,
    #[serde(default)]
    pub custom_role_id: Option<u64>,
    /// Text, as Zendesk documents it; a number or anything else some integration wrote there is
    /// kept as its JSON text (then read as an invalid number: the user is not lost).
    #[serde(default, deserialize_with = "lenient_text")]
    pub phone: Option<String>,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub iana_time_zone: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub external_id: Option<String>,
    #[serde(default)]
    pub organization_id: Option<u64>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub user_fields: Map<String, Value>,
    #[serde(default)]
    pub default_group_id: Option<u64>,
    #[serde(default)]
    pub suspended: bool,
}

/// A text field as text, whatever JSON some integration put there: a string as is, null as
/// nothing, a number or an array as its JSON text.
fn lenient_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

fn lenient_value<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(lenient_text(d)?.unwrap_or_default())
}

/// A page of the search export.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ExportPage {
    #[serde(default)]
    pub(super) results: Vec<User>,
    #[serde(default)]
    pub(super) meta: ExportMeta,
    #[serde(default)]
    pub(super) links: ExportLinks,
    /// Results that were not readable users (no id): left out, and counted.
    #[serde(skip)]
    pub(super) unreadable: u32,
}

/// A page of users the export gave, and how many of its results were not readable as users.
#[derive(Debug, Default)]
pub struct UserPage {
    pub users: Vec<User>,
    pub unreadable: u32,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ExportMeta {
    #[serde(default)]
    pub(super) has_more: bool,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ExportLinks {
    #[serde(default)]
    pub(super) next: Option<String>,
}

impl ExportPage {
    /// Parsed straight into users (no intermediate JSON tree: a million users go through here).
    /// A page with a result that is not a user (an unexpected shape, no id) is read again
    /// leniently: what does not parse is counted as unreadable, never silently dropped. A body
    /// that is not JSON at all is an error.
    pub(super) fn parse(bytes: &[u8]) -> AppResult<ExportPage> {
        if let Ok(page) = serde_json::from_slice::<ExportPage>(bytes) {
            return Ok(page);
        }
        let mut v: Value = serde_json::from_slice(bytes).map_err(|e| {
            AppError::new(
                ErrorCode::Unreachable,
                crate::text!("zendesk.export_not_json", detail = e),
            )
        })?;
        let Some(results) = v["results"].as_array_mut() else {
            return Err(AppError::new(
                ErrorCode::Unreachable,
                crate::text!("zendesk.export_no_results"),
            ));
        };
        let mut unreadable = 0;
        let results = results
            .iter_mut()
            .filter_map(|r| {
                let user = serde_json::from_value::<User>(r.take()).ok();
                unreadable += u32::from(user.is_none());
                user
            })
            .collect();
        Ok(ExportPage {
            results,
            meta: ExportMeta {
                has_more: v["meta"]["has_more"].as_bool().unwrap_or(false),
            },
            links: ExportLinks {
                next: v["links"]["next"].as_str().map(str::to_string),
            },
            unreadable,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub id: u64,
    pub user_id: u64,
    #[serde(rename = "type")]
    pub kind: String,
    /// Text; a number (or anything else) is kept as its JSON text, as for `User::phone`.
    #[serde(default, deserialize_with = "lenient_value")]
    pub value: String,
    #[serde(default)]
    pub primary: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    pub id: u64,
    pub user_id: u64,
    pub group_id: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldOption {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserField {
    pub id: u64,
    pub key: String,
    pub title: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub custom_field_options: Vec<FieldOption>,
}

fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_page_with_an_odd_result_keeps_the_users_around_it() {
        let fine = br#"{"results": [{"id": 1, "name": "Ann"}, {"id": 2, "name": "Bob"}],
            "meta": {"has_more": true}, "links": {"next": "https://x/next"}}"#;
        let page = ExportPage::parse(fine).unwrap();
        assert_eq!(page.results.len(), 2);
        assert!(page.meta.has_more);
        assert_eq!(page.links.next.as_deref(), Some("https://x/next"));
        // The second result is not a user (no id): the typed parse fails, the lenient one counts it.
        let odd =
            br#"{"results": [{"id": 1, "name": "Ann"}, {"name": "?"}, {"id": 3, "name": "Cy"}],
            "meta": {"has_more": false}, "links": {"next": null}}"#;
        let page = ExportPage::parse(odd).unwrap();
        assert_eq!(
            page.results.iter().map(|u| u.id).collect::<Vec<_>>(),
            vec![1, 3]
        );
        assert!(!page.meta.has_more);
        assert_eq!(page.unreadable, 1, "counted, not silently dropped");
        let err = ExportPage::parse(b"<html>").unwrap_err();
        assert!(err.message.contains("not JSON"), "{}", err.message);
    }
}
