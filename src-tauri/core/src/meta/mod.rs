//! Meta's rules for WhatsApp business messages that Relay keeps before sending, because Meta
//! enforces them after accepting a message — by dropping it, silently to a desktop (the failure
//! reaches only a webhook): the portfolio's messaging limit ([`budget`]) and the rules under which
//! a message is never delivered ([`rules`]).

pub mod budget;
pub mod rules;
