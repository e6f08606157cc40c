//! The filter language of record search: `{ATTRIBUTE: {OP: VALUE}}` with `$eq`, `$noteq`, `$in`,
//! `$exists`, `$gt`, `$gte`, `$lt`, `$lte`, combined by `$and` and `$or`.

use super::{time, Record};
use serde_json::{json, Value};

fn compare(a: &Value, op: &str, b: &Value) -> bool {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match op {
        "$eq" => text(a) == text(b),
        "$noteq" => text(a) != text(b),
        "$in" => b
            .as_array()
            .is_some_and(|l| l.iter().any(|x| text(x) == text(a))),
        "$exists" => a.is_null() != b.as_bool().unwrap_or(true),
        "$gt" | "$gte" | "$lt" | "$lte" => {
            if a.is_null() {
                return false;
            }
            let ord = match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
                _ => text(a).cmp(&text(b)),
            };
            match op {
                "$gt" => ord.is_gt(),
                "$gte" => ord.is_ge(),
                "$lt" => ord.is_lt(),
                _ => ord.is_le(),
            }
        }
        _ => false,
    }
}

/// Whether a record matches a filter (`{ATTRIBUTE: {OP: VALUE}}`, `$and`, `$or`).
pub(super) fn matches(r: &Record, filter: &Value) -> Result<bool, String> {
    let Some(obj) = filter.as_object() else {
        return Err("the filter must be an object".into());
    };
    for (k, cond) in obj {
        let ok = match k.as_str() {
            "$and" | "$or" => {
                let list = cond.as_array().ok_or(format!("{k} takes an array"))?;
                let mut results = list.iter().map(|f| matches(r, f));
                if k == "$and" {
                    results.try_fold(true, |acc, x| x.map(|x| acc && x))?
                } else {
                    results.try_fold(false, |acc, x| x.map(|x| acc || x))?
                }
            }
            attr => {
                let value = match attr {
                    "name" => json!(r.name),
                    "external_id" => json!(r.external_id),
                    "created_at" => json!(time(r.created_at)),
                    "updated_at" => json!(time(r.updated_at)),
                    "created_by_user" => json!(r.created_by.to_string()),
                    "updated_by_user" => json!(r.updated_by.to_string()),
                    other => match other.strip_prefix("custom_object_fields.") {
                        Some(f) => r.fields.get(f).cloned().unwrap_or(Value::Null),
                        None => return Err(format!("{other} cannot be filtered on")),
                    },
                };
                let ops = cond
                    .as_object()
                    .ok_or(format!("{attr} takes a comparison object"))?;
                let mut all = true;
                for (op, v) in ops {
                    if ![
                        "$eq", "$noteq", "$in", "$exists", "$gt", "$gte", "$lt", "$lte",
                    ]
                    .contains(&op.as_str())
                    {
                        return Err(format!("{op} is not a supported operator"));
                    }
                    all &= compare(&value, op, v);
                }
                all
            }
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}
