//! Who may be messaged: consent per channel kind ([`rule`]), and the replies that say "no"
//! ([`words`]: Relay's exact rule; [`optouts`]: captured from Zendesk, honoured on every desktop).

pub mod optouts;
pub mod rule;
pub mod words;

pub use rule::ConsentRule;
