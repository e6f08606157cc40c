//! The Zendesk search syntax for users, as documented in "Zendesk Support search reference":
//!
//! - `keyword:value`, `keyword<value`, `>`, `<=`, `>=` (no spaces around the operator);
//! - keywords: `name`, `email`, `phone`, `role`, `tags`, `organization`, `external_id`,
//!   `created`, `type` and the custom field keys (`plan`, `signup_date`, `loyalty_points`, `city`);
//! - `"quoted phrases"`: for `tags`, all the tags; for text, the whole phrase;
//! - `-` before a term excludes it;
//! - the same keyword repeated is OR, different keywords AND;
//! - `none` matches an empty value (`organization:none`, `tags:none`);
//! - `name:jo*` prefix wildcard (not for `email`, as in Zendesk);
//! - dates `YYYY-MM-DD`, ISO 8601 datetimes, or relative `4hours`, `2days`, `3weeks`, `6months`,
//!   `1years`, `30minutes`;
//! - free words match the start of a word of the name or email.
//!
//! Anything else is refused with a description, as Zendesk's own search refuses it.

use crate::data::{SeedUser, ORGANIZATIONS, ORG_BASE};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Lt,
    Gt,
    Le,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub negated: bool,
    /// None for a free word.
    pub key: Option<String>,
    pub op: Op,
    pub value: String,
    pub quoted: bool,
    /// For date keywords: the value parsed once, against the query's `now`.
    pub date: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub terms: Vec<Term>,
    /// `type:` given in the query (`user`, `ticket`…).
    pub result_type: Option<String>,
}

const KEYWORDS: [&str; 13] = [
    "name",
    "email",
    "phone",
    "role",
    "tags",
    "organization",
    "external_id",
    "created",
    "type",
    "plan",
    "signup_date",
    "loyalty_points",
    "city",
];

fn split_terms(q: &str) -> Result<Vec<(String, bool)>, String> {
    // (text, contains a quoted part)
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut in_quotes = false;
    for c in q.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                quoted = true;
                cur.push(c);
            }
            c if c.is_whitespace() && !in_quotes => {
                if !cur.is_empty() {
                    out.push((std::mem::take(&mut cur), quoted));
                }
                quoted = false;
            }
            c => cur.push(c),
        }
    }
    if in_quotes {
        return Err("Invalid search: a quote (\") is not closed.".into());
    }
    if !cur.is_empty() {
        out.push((cur, quoted));
    }
    Ok(out)
}

/// Parses a query; relative dates (`4hours`) count back from `now`.
pub fn parse(query: &str, now: DateTime<Utc>) -> Result<Query, String> {
    let mut terms = Vec::new();
    let mut result_type = None;
    let raw = split_terms(query)?;
    if raw.len() > 64 {
        return Err("Invalid search: a query may have at most 64 words.".into());
    }
    for (text, quoted) in raw {
        let (negated, body) = match text.strip_prefix('-') {
            Some(rest) if !rest.is_empty() => (true, rest.to_string()),
            _ => (false, text.clone()),
        };
        let op_pos = body.find([':', '<', '>']);
        let (key, op, value) = match op_pos {
            Some(pos) if !body[..pos].contains('"') && pos > 0 => {
                let key = body[..pos].to_ascii_lowercase();
                let rest = &body[pos..];
                let (op, len) = if rest.starts_with("<=") {
                    (Op::Le, 2)
                } else if rest.starts_with(">=") {
                    (Op::Ge, 2)
                } else if rest.starts_with('<') {
                    (Op::Lt, 1)
                } else if rest.starts_with('>') {
                    (Op::Gt, 1)
                } else {
                    (Op::Eq, 1)
                };
                (Some(key), op, rest[len..].to_string())
            }
            _ => (None, Op::Eq, body.clone()),
        };
        let value = value.trim_matches('"').to_string();
        let mut date = None;
        if let Some(k) = &key {
            if !KEYWORDS.contains(&k.as_str()) {
                return Err(format!(
                    "Invalid search: \"{k}\" is not a user property or custom field key. Use name, email, phone, role, tags, organization, external_id, created or a user field key."
                ));
            }
            if value.is_empty() {
                return Err(format!(
                    "Invalid search: \"{k}\" needs a value after the operator."
                ));
            }
            if op != Op::Eq && !matches!(k.as_str(), "created" | "signup_date" | "loyalty_points") {
                return Err(format!(
                    "Invalid search: \"{k}\" cannot be compared with < or >; use {k}:value."
                ));
            }
            if value.ends_with('*') && k == "email" {
                return Err("Invalid search: wildcards are not supported for email.".into());
            }
            match k.as_str() {
                "created" | "signup_date" if value != "none" => {
                    date = Some(parse_date(&value, now)?);
                }
                "loyalty_points" if value != "none" => {
                    value.parse::<i64>().map_err(|_| {
                        format!("Invalid search: loyalty_points expects a number, got \"{value}\".")
                    })?;
                }
                "type" => {
                    result_type = Some(value.to_ascii_lowercase());
                    continue;
                }
                _ => {}
            }
        }
        terms.push(Term {
            negated,
            key,
            op,
            value,
            quoted,
            date,
        });
    }
    Ok(Query { terms, result_type })
}

/// Parses an absolute or relative date; relative ones count back from `now`.
pub fn parse_date(value: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Ok(d) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default()));
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(value) {
        return Ok(d.with_timezone(&Utc));
    }
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (n, unit) = value.split_at(split);
    if let Ok(n) = n.parse::<i64>() {
        let unit = unit.trim_end_matches('s');
        let d = match unit {
            "minute" => Some(chrono::Duration::minutes(n)),
            "hour" => Some(chrono::Duration::hours(n)),
            "day" => Some(chrono::Duration::days(n)),
            "week" => Some(chrono::Duration::weeks(n)),
            "month" => Some(chrono::Duration::days(30 * n)),
            "year" => Some(chrono::Duration::days(365 * n)),
            _ => None,
        };
        if let Some(d) = d {
            return Ok(now - d);
        }
    }
    Err(format!(
        "Invalid search: \"{value}\" is not a date. Use YYYY-MM-DD, an ISO 8601 time, or a relative time such as 4hours or 2weeks."
    ))
}

fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
}

fn text_matches(hay: Option<&str>, value: &str, quoted: bool, prefix_ok: bool) -> bool {
    let Some(hay) = hay.filter(|h| !h.is_empty()) else {
        return value == "none";
    };
    if value == "none" {
        return false;
    }
    let v = value.to_lowercase();
    if quoted {
        return hay.to_lowercase().contains(&v);
    }
    if let Some(prefix) = v.strip_suffix('*').filter(|_| prefix_ok) {
        return words(hay).any(|w| w.starts_with(prefix));
    }
    words(hay).any(|w| w == v) || hay.eq_ignore_ascii_case(value)
}

fn compare<T: PartialOrd>(a: T, op: Op, b: T) -> bool {
    match op {
        Op::Eq => a == b,
        Op::Lt => a < b,
        Op::Gt => a > b,
        Op::Le => a <= b,
        Op::Ge => a >= b,
    }
}

fn date_term(
    actual: Option<DateTime<Utc>>,
    op: Op,
    value: &str,
    wanted: Option<DateTime<Utc>>,
) -> bool {
    let Some(actual) = actual else {
        return value == "none";
    };
    let Some(wanted) = wanted else {
        return false;
    };
    if op == Op::Eq {
        // created:2024-01-01 means that day.
        return actual >= wanted && actual < wanted + chrono::Duration::days(1);
    }
    compare(actual, op, wanted)
}

fn digits_only(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_digit()).collect()
}

impl Term {
    fn matches(&self, u: &SeedUser) -> bool {
        let v = self.value.as_str();
        match self.key.as_deref() {
            None => {
                text_matches(Some(&u.name), v, self.quoted, true)
                    || text_matches(Some(&u.email), v, self.quoted, false)
            }
            Some("name") => text_matches(Some(&u.name), v, self.quoted, true),
            Some("email") => {
                if v == "none" {
                    return false;
                }
                u.email.eq_ignore_ascii_case(v)
                    || (v.contains('.') && u.email.to_lowercase().ends_with(&v.to_lowercase()))
            }
            Some("phone") => match &u.phone {
                None => v == "none",
                Some(p) => {
                    v != "none" && !digits_only(v).is_empty() && digits_only(p) == digits_only(v)
                }
            },
            Some("role") => u.role.eq_ignore_ascii_case(v),
            Some("tags") => {
                if v == "none" {
                    return u.tags.is_empty();
                }
                // A quoted list means every tag; a single tag must be present.
                v.split_whitespace()
                    .all(|t| u.tags.iter().any(|x| x.eq_ignore_ascii_case(t)))
            }
            Some("organization") => match u.organization {
                None => v == "none",
                Some(org) => {
                    let name = ORGANIZATIONS[(org - ORG_BASE) as usize];
                    v == org.to_string() || text_matches(Some(name), v, true, false)
                }
            },
            Some("external_id") => match &u.external_id {
                None => v == "none",
                Some(e) => e.eq_ignore_ascii_case(v),
            },
            Some("created") => date_term(Some(u.created_at), self.op, v, self.date),
            Some("plan") => match u.plan {
                None => v == "none",
                Some(p) => p.eq_ignore_ascii_case(v),
            },
            Some("signup_date") => {
                let d = u
                    .signup_date
                    .as_deref()
                    .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                    .map(|d| d.with_timezone(&Utc));
                date_term(d, self.op, v, self.date)
            }
            Some("loyalty_points") => match u.loyalty_points {
                None => v == "none",
                Some(points) => v
                    .parse::<i64>()
                    .map(|n| compare(points, self.op, n))
                    .unwrap_or(false),
            },
            Some("city") => text_matches(u.city, v, self.quoted, true),
            Some(_) => false,
        }
    }
}

impl Query {
    /// Does user `u` match? Positive terms: OR within a keyword, AND across keywords. Negated
    /// terms: any match excludes.
    pub fn matches(&self, u: &SeedUser) -> bool {
        if let Some(t) = &self.result_type {
            if t != "user" {
                return false;
            }
        }
        let mut groups: Vec<(Option<&str>, bool)> = Vec::new();
        for term in &self.terms {
            let hit = term.matches(u);
            if term.negated {
                if hit {
                    return false;
                }
                continue;
            }
            let key = term.key.as_deref();
            // Free words are each their own group (all must match), as Zendesk ANDs words.
            match groups.iter_mut().find(|(k, _)| *k == key && key.is_some()) {
                Some(group) => group.1 |= hit,
                None => groups.push((key, hit)),
            }
        }
        groups.iter().all(|(_, hit)| *hit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Population;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    }

    fn count(p: &Population, q: &str) -> u64 {
        let q = parse(q, now()).unwrap();
        (0..p.count).filter(|i| q.matches(&p.user(*i))).count() as u64
    }

    #[test]
    fn repeated_keyword_is_or_and_different_keywords_and() {
        let p = Population::new(5, 3000);
        let vip = count(&p, "tags:vip");
        let optout = count(&p, "tags:opt_out");
        let both_or = count(&p, "tags:vip tags:opt_out");
        let both_and = count(&p, "tags:\"vip opt_out\"");
        assert!(vip > 0 && optout > 0);
        assert_eq!(both_or, vip + optout - both_and, "OR over the same keyword");
        let gold = count(&p, "plan:gold");
        let vip_gold = count(&p, "tags:vip plan:gold");
        assert!(vip_gold < gold.min(vip), "AND across keywords narrows");
        assert_eq!(count(&p, "tags:vip -tags:vip"), 0);
        assert_eq!(count(&p, "-tags:vip") + vip, p.count);
    }

    #[test]
    fn none_wildcards_dates_and_numbers() {
        let p = Population::new(5, 2000);
        let with_org = count(&p, "-organization:none");
        assert_eq!(count(&p, "organization:none") + with_org, p.count);
        assert!(count(&p, "name:ca*") >= count(&p, "name:camille"));
        let before = count(&p, "created<2020-01-02");
        assert_eq!(
            before,
            1440.min(p.count),
            "one user a minute from 2020-01-01"
        );
        assert_eq!(count(&p, "created>=2020-01-02") + before, p.count);
        let rich = count(&p, "loyalty_points>=5000");
        let poor = count(&p, "loyalty_points<5000");
        assert_eq!(rich + poor + count(&p, "loyalty_points:none"), p.count);
        assert_eq!(count(&p, "role:admin"), 1);
        assert_eq!(count(&p, "role:agent"), 4);
    }

    #[test]
    fn type_user_is_recognized_and_other_types_match_nothing() {
        let q = parse("type:user tags:vip", now()).unwrap();
        assert_eq!(q.result_type.as_deref(), Some("user"));
        let p = Population::new(5, 100);
        assert_eq!(count(&p, "type:ticket"), 0);
    }

    #[test]
    fn unparseable_queries_say_why() {
        for (q, needle) in [
            ("tags:\"vip", "quote"),
            ("created>yesterdayish", "not a date"),
            ("loyalty_points>lots", "number"),
            ("favourite_color:blue", "not a user property"),
            ("tags>vip", "cannot be compared"),
            ("email:jo*", "wildcards"),
            ("name:", "needs a value"),
        ] {
            let err = parse(q, now()).unwrap_err();
            assert!(err.contains(needle), "{q}: {err}");
        }
    }
}
