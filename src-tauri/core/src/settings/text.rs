//! One setting given as text (`relay settings set KEY VALUE`): parsed by the type of the field it
//! names; secrets and unknown keys refused.

use super::model::{Settings, SECRET_KEYS};
use crate::error::{AppError, AppResult};
use serde_json::{Map, Value};

impl Settings {
    /// Sets one key from text, as `relay settings set KEY VALUE` does. The value is parsed by the
    /// key's type: numbers, `true/false`, comma-separated lists, `id=rate,id=rate` maps.
    /// Nothing is changed when the key or value is refused.
    pub fn with_key(&self, key: &str, value: &str) -> AppResult<Settings> {
        if SECRET_KEYS.contains(&key) {
            return Err(AppError::invalid_field(
                key,
                crate::text!("settings.is_secret", key = key),
            ));
        }
        let mut map = self.to_map();
        let current = map.get(key).cloned().ok_or_else(|| {
            AppError::invalid_field(
                key,
                crate::text!(
                    "settings.unknown",
                    key = key,
                    known = Settings::keys().join(", ")
                ),
            )
        })?;
        let new = parse_like(&current, key, value)?;
        map.insert(key.to_string(), new);
        let settings = Settings::from_map(&map)?.normalized();
        settings.validate()?;
        Ok(settings)
    }
}

fn parse_like(current: &Value, key: &str, raw: &str) -> AppResult<Value> {
    let raw = raw.trim();
    Ok(match current {
        Value::Bool(_) => match raw.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "on" => Value::Bool(true),
            "false" | "no" | "0" | "off" => Value::Bool(false),
            _ => {
                return Err(AppError::invalid_field(
                    key,
                    crate::text!("settings.expected_bool"),
                ))
            }
        },
        Value::Number(_) => {
            let n: u64 = raw.parse().map_err(|_| {
                AppError::invalid_field(key, crate::text!("settings.expected_number", value = raw))
            })?;
            let limit = if key == "blackout_days" {
                u16::MAX as u64
            } else {
                u32::MAX as u64
            };
            if n > limit {
                return Err(AppError::invalid_field(
                    key,
                    crate::text!("settings.too_large", value = n),
                ));
            }
            Value::from(n)
        }
        Value::Array(_) => Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_string()))
                .collect(),
        ),
        Value::Object(_) => {
            let mut obj = Map::new();
            for pair in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let (id, rate) = pair.split_once('=').ok_or_else(|| {
                    AppError::invalid_field(key, crate::text!("settings.rates_shape"))
                })?;
                let rate: u32 = rate.trim().parse().map_err(|_| {
                    AppError::invalid_field(
                        key,
                        crate::text!("settings.rate_not_number", value = rate.trim()),
                    )
                })?;
                obj.insert(id.trim().to_string(), Value::from(rate));
            }
            Value::Object(obj)
        }
        _ => Value::String(raw.to_string()),
    })
}
