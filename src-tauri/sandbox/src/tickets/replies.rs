//! End users' replies: played through `POST /_sandbox/inbound` (or the demo's, once a trigger can
//! hear them), each added to the user's open ticket of its channel or a new one, then the
//! triggers run.

use super::firing::{run_triggers, status_rank};
use super::ticket::ticket_json;
use super::{error, store, Comment, Ticket};
use crate::server::Shared;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// A reply the demo account has received, played once an active trigger can hear it.
#[derive(Debug, Clone)]
pub struct DemoReply {
    pub user_index: u64,
    pub text: &'static str,
    pub channel: &'static str,
}

const TICKET_BASE: u64 = 4_000;
const COMMENT_BASE: u64 = 360_700_000_000;

#[derive(Deserialize)]
pub(super) struct Inbound {
    from: String,
    text: String,
    #[serde(default = "default_channel")]
    channel: String,
}

fn default_channel() -> String {
    "whatsapp".into()
}

/// The via type of a reply's channel.
fn via_of(channel: &str) -> Option<&'static str> {
    match channel {
        "whatsapp" => Some("whatsapp"),
        "sms" => Some("native_messaging"),
        "email" => Some("mail"),
        _ => None,
    }
}

pub(super) async fn inbound(State(s): State<Shared>, Json(b): Json<Inbound>) -> Response {
    let Some(channel) = via_of(&b.channel) else {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidChannel",
            "channel is whatsapp, sms or email",
        );
    };
    if b.text.trim().is_empty() {
        return error(StatusCode::BAD_REQUEST, "InvalidText", "text is empty");
    }
    let Some(index) =
        (0..s.pop.count).find(|i| s.pop.user(*i).e164.as_deref() == Some(b.from.trim()))
    else {
        return error(
            StatusCode::NOT_FOUND,
            "UnknownNumber",
            "No user of the account has this number (E.164, as the user's phone or a phone identity).",
        );
    };
    let ticket = receive(&s, index, &b.text, channel);
    Json(json!({"ticket": ticket})).into_response()
}

/// A reply from user `index` on `channel` (a via type): added to their open ticket of that
/// channel, or a new one; then the triggers run. Returns the ticket.
pub(crate) fn receive(s: &Shared, index: u64, text: &str, channel: &str) -> Value {
    let now = s.now();
    let user_id = s.pop.id_of(index);
    let mut st = store(s);
    st.next_comment += 1;
    let comment = Comment {
        id: COMMENT_BASE + st.next_comment,
        author_id: user_id,
        body: text.to_string(),
        public: true,
        channel: channel.to_string(),
        created_at: now,
    };
    let open = st
        .tickets
        .values()
        .find(|t| t.requester_id == user_id && t.channel == channel && status_rank(&t.status) < 4)
        .map(|t| t.id);
    let (id, created) = match open {
        Some(id) => {
            if let Some(t) = st.tickets.get_mut(&id) {
                t.comments.push(comment);
                t.updated_at = now;
                t.status = "open".into();
            }
            (id, false)
        }
        None => {
            st.next_ticket += 1;
            let id = TICKET_BASE + st.next_ticket;
            let name = s.pop.user(index).name;
            st.tickets.insert(
                id,
                Ticket {
                    id,
                    requester_id: user_id,
                    subject: format!("Conversation with {name}"),
                    status: "new".into(),
                    tags: BTreeSet::new(),
                    channel: channel.to_string(),
                    created_at: now,
                    updated_at: now,
                    comments: vec![comment],
                },
            );
            (id, true)
        }
    };
    run_triggers(&mut st, id, text, true, created);
    st.tickets
        .get(&id)
        .map(|t| ticket_json(&s.info.base_url, t))
        .unwrap_or(Value::Null)
}

/// The demo's replies: the first end users with a mobile in E.164 answered a campaign — STOP on
/// WhatsApp, ARRÊT by SMS, WhatsApp's opt-out button, and a reply that only holds the word.
pub fn demo_replies(pop: &crate::data::Population) -> Vec<DemoReply> {
    const REPLIES: [(&str, &str); 4] = [
        ("STOP", "whatsapp"),
        ("Arrêt", "native_messaging"),
        ("Stop promotions", "whatsapp"),
        ("please don't stop the deals, they're great", "whatsapp"),
    ];
    (crate::data::AGENTS + 1..pop.count)
        .filter(|i| pop.phone_kind(*i) == crate::data::PhoneKind::E164)
        .zip(REPLIES)
        .map(|(user_index, (text, channel))| DemoReply {
            user_index,
            text,
            channel,
        })
        .collect()
}

/// Plays the demo's replies, once, when an active trigger exists to hear them.
pub(super) fn play_demo_replies(s: &Shared) {
    let replies = {
        let mut st = store(s);
        if !st.triggers.values().any(|t| t.active) {
            return;
        }
        std::mem::take(&mut st.demo_replies)
    };
    for r in replies {
        receive(s, r.user_index, r.text, r.channel);
    }
}
