//! Each recipient's time zone, and where it came from: the Zendesk user's own (`iana_time_zone`,
//! an IANA name); else the country of their phone number when that country has one zone; else the
//! workspace's (a setting; the desktop's own when empty).

use crate::error::{AppError, AppResult};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use specta::Type;
use std::collections::HashMap;
use std::sync::LazyLock;

/// Where a recipient's time zone came from.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Type,
    strum::AsRefStr,
    strum::Display,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ZoneSource {
    /// The Zendesk user's time zone.
    User,
    /// The country of their phone number (a country with one time zone).
    Phone,
    /// The workspace's time zone.
    Workspace,
}

crate::sql_text!(ZoneSource);

/// Countries with a single time zone (the tz database's `zone.tab`).
static COUNTRY_ZONES: LazyLock<HashMap<&'static str, Tz>> = LazyLock::new(|| {
    include_str!("country_zones.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (country, zone) = l.split_once('\t')?;
            Some((country, zone.trim().parse().ok()?))
        })
        .collect()
});

/// The time zone of a phone number's country, when that country has exactly one.
pub fn zone_of_number(e164: &str) -> Option<Tz> {
    let region = crate::phone::region_of(e164)?;
    COUNTRY_ZONES.get(region.as_str()).copied()
}

/// The desktop's own time zone (UTC when the system does not say).
pub fn desktop_zone() -> Tz {
    iana_time_zone::get_timezone()
        .ok()
        .and_then(|name| name.parse().ok())
        .unwrap_or(Tz::UTC)
}

/// Reads a time zone setting: an IANA name (`Europe/Paris`); empty is the desktop's.
pub fn parse_zone(name: &str, field: &str) -> AppResult<Option<Tz>> {
    let name = name.trim();
    if name.is_empty() {
        return Ok(None);
    }
    name.parse::<Tz>().map(Some).map_err(|_| {
        AppError::invalid_field(field, crate::text!("timing.zone_unknown", value = name))
    })
}

/// Resolves recipients' time zones for one workspace.
#[derive(Debug, Clone, Copy)]
pub struct ZoneResolver {
    pub workspace: Tz,
}

impl ZoneResolver {
    /// The workspace's zone from its setting (empty: the desktop's).
    pub fn new(setting: &str) -> ZoneResolver {
        ZoneResolver {
            workspace: parse_zone(setting, "time_zone")
                .ok()
                .flatten()
                .unwrap_or_else(desktop_zone),
        }
    }

    /// A recipient's zone: the user's (an IANA name; Zendesk's display names such as
    /// "Eastern Time (US & Canada)" are not read), the number's country's, or the workspace's.
    pub fn resolve(&self, user_zone: Option<&str>, phone: Option<&str>) -> (Tz, ZoneSource) {
        if let Some(z) = user_zone.and_then(|z| z.trim().parse::<Tz>().ok()) {
            return (z, ZoneSource::User);
        }
        if let Some(z) = phone.and_then(zone_of_number) {
            return (z, ZoneSource::Phone);
        }
        (self.workspace, ZoneSource::Workspace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_users_zone_then_the_numbers_country_then_the_workspaces() {
        let r = ZoneResolver {
            workspace: "Asia/Tokyo".parse().unwrap(),
        };
        let name = |(z, s): (Tz, ZoneSource)| (z.name().to_string(), s);
        assert_eq!(
            name(r.resolve(Some("America/Sao_Paulo"), Some("+33612345678"))),
            ("America/Sao_Paulo".into(), ZoneSource::User)
        );
        // A display name is not an IANA zone: the number's country decides (France: one zone).
        assert_eq!(
            name(r.resolve(Some("Paris"), Some("+33612345678"))),
            ("Europe/Paris".into(), ZoneSource::Phone)
        );
        assert_eq!(
            name(r.resolve(None, Some("+919876543210"))),
            ("Asia/Kolkata".into(), ZoneSource::Phone)
        );
        // The United States and Brazil have several zones: the workspace's.
        assert_eq!(
            name(r.resolve(None, Some("+12125550123"))),
            ("Asia/Tokyo".into(), ZoneSource::Workspace)
        );
        assert_eq!(
            name(r.resolve(None, Some("+5511912345678"))),
            ("Asia/Tokyo".into(), ZoneSource::Workspace)
        );
        assert_eq!(
            name(r.resolve(None, None)),
            ("Asia/Tokyo".into(), ZoneSource::Workspace)
        );
        assert!(COUNTRY_ZONES.len() > 150, "{}", COUNTRY_ZONES.len());
        assert!(parse_zone("Mars/Olympus", "time_zone").is_err());
        assert_eq!(parse_zone(" ", "time_zone").unwrap(), None);
    }
}
