//! How the account's active triggers fire on a ticket's update: their conditions matched (words
//! and phrases, role, update type, status, channel), their actions applied to the ticket.

use super::{Store, Ticket, Trigger};
use serde_json::Value;

/// Via ids of the channels replies come in by (the via types reference).
fn via_id(channel: &str) -> i64 {
    match channel {
        "mail" => 4,
        "web_service" => 5,
        _ => 55,
    }
}

/// The words of a `comment_includes_word` value: words, and "quoted phrases".
fn words_of(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in value.chars() {
        match c {
            '"' => {
                if !cur.trim().is_empty() {
                    out.push(cur.trim().to_lowercase());
                }
                cur.clear();
                quoted = !quoted;
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(cur.to_lowercase());
                }
                cur.clear();
            }
            c => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_lowercase());
    }
    out
}

/// Whether a comment holds a word (or phrase) as Zendesk's "contains at least one of the
/// following words" matches it: whole words, case-insensitive.
fn holds(comment: &str, word: &str) -> bool {
    let norm = |t: &str| -> String {
        t.to_lowercase()
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(" {} ", norm(comment)).contains(&format!(" {} ", norm(word)))
}

/// What a trigger's conditions see of an update.
struct Update<'a> {
    ticket: &'a Ticket,
    comment: &'a str,
    author_is_end_user: bool,
    created: bool,
}

pub(super) fn status_rank(s: &str) -> u8 {
    match s {
        "new" => 0,
        "open" => 1,
        "pending" => 2,
        "hold" => 3,
        "solved" => 4,
        _ => 5,
    }
}

fn condition_holds(c: &Value, u: &Update) -> bool {
    let field = c["field"].as_str().unwrap_or_default();
    let op = c["operator"].as_str().unwrap_or_default();
    let value = match &c["value"] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    };
    let is = |hit: bool| {
        if op.starts_with("is_not") || op.starts_with("not_") {
            !hit
        } else {
            hit
        }
    };
    match field {
        "comment_includes_word" => match op {
            "includes" | "not_includes" => is(words_of(&value).iter().any(|w| holds(u.comment, w))),
            _ => is(u.comment.to_lowercase().contains(&value.to_lowercase())),
        },
        "role" => is((value == "end_user") == u.author_is_end_user),
        "update_type" => is((value.eq_ignore_ascii_case("create")) == u.created),
        "current_via_id" => is(value == via_id(&u.ticket.channel).to_string()),
        "status" => {
            let (have, want) = (status_rank(&u.ticket.status), status_rank(&value));
            match op {
                "less_than" => have < want,
                "greater_than" => have > want,
                _ => is(have == want),
            }
        }
        _ => false,
    }
}

fn trigger_fires(t: &Trigger, u: &Update) -> bool {
    let list = |k: &str| {
        t.conditions
            .get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (all, any) = (list("all"), list("any"));
    all.iter().all(|c| condition_holds(c, u))
        && (any.is_empty() || any.iter().any(|c| condition_holds(c, u)))
}

fn tag_list(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => s.split_whitespace().map(str::to_lowercase).collect(),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_lowercase)
            .collect(),
        _ => vec![],
    }
}

/// Runs the account's active triggers on an update of ticket `id`, in position order, each
/// once (Zendesk runs the cycle until none fires; these actions never make another fire).
pub(super) fn run_triggers(
    st: &mut Store,
    id: u64,
    comment: &str,
    author_is_end_user: bool,
    created: bool,
) {
    let mut triggers: Vec<Trigger> = st.triggers.values().filter(|t| t.active).cloned().collect();
    triggers.sort_by_key(|t| (t.position, t.id));
    for t in triggers {
        let Some(ticket) = st.tickets.get(&id) else {
            return;
        };
        let fires = trigger_fires(
            &t,
            &Update {
                ticket,
                comment,
                author_is_end_user,
                created,
            },
        );
        if !fires {
            continue;
        }
        let Some(ticket) = st.tickets.get_mut(&id) else {
            return;
        };
        for a in t.actions.as_array().into_iter().flatten() {
            let value = &a["value"];
            match a["field"].as_str().unwrap_or_default() {
                "current_tags" => ticket.tags.extend(tag_list(value)),
                "set_tags" => ticket.tags = tag_list(value).into_iter().collect(),
                "remove_tags" => {
                    for tag in tag_list(value) {
                        ticket.tags.remove(&tag);
                    }
                }
                "status" => {
                    if let Some(v) = value.as_str() {
                        ticket.status = v.to_string();
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_phrases_match_whole_words() {
        assert_eq!(
            words_of("stop arret \"opt out\" baja"),
            vec!["stop", "arret", "opt out", "baja"]
        );
        assert!(holds("Please STOP.", "stop"));
        assert!(holds("I want to opt-out", "opt out"));
        assert!(!holds("unstoppable", "stop"));
    }
}
