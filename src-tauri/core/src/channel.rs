//! What Relay sends through: the kinds of Sunshine Conversations integrations it knows, and the
//! two channels their messages take (a WhatsApp template message, or an SMS text).

use serde::{Deserialize, Serialize};
use specta::Type;

/// A messaging integration of the Sunshine Conversations app.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    Type,
    strum::AsRefStr,
    strum::Display,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum IntegrationKind {
    WhatsApp,
    Twilio,
    MessageBird,
}

impl IntegrationKind {
    /// The channel its messages take.
    pub fn channel(self) -> Channel {
        match self {
            IntegrationKind::WhatsApp => Channel::WhatsApp,
            IntegrationKind::Twilio | IntegrationKind::MessageBird => Channel::Sms,
        }
    }
}

/// How a message reaches the recipient. Its text form is part of the blackout's fingerprint
/// ("the same message"): `whatsapp` and `sms`, never to change.
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
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
#[serde(rename = "MessageChannel")] // the name in the bindings: `Channel` is Tauri's
pub enum Channel {
    WhatsApp,
    Sms,
}

crate::sql_text!(IntegrationKind, Channel);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_stored_and_hashed_are_the_ones_of_before() {
        assert_eq!(IntegrationKind::WhatsApp.as_ref(), "whatsapp");
        assert_eq!(IntegrationKind::MessageBird.as_ref(), "messagebird");
        assert_eq!(
            serde_json::to_value(IntegrationKind::Twilio).unwrap(),
            "twilio"
        );
        assert_eq!(Channel::WhatsApp.as_ref(), "whatsapp");
        assert_eq!(Channel::Sms.as_ref(), "sms");
        assert_eq!("messagebird".parse(), Ok(IntegrationKind::MessageBird));
        assert_eq!(IntegrationKind::Twilio.channel(), Channel::Sms);
    }
}
