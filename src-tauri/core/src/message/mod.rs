//! The message: a local template, the integration it goes through, and the mapping of its
//! dynamic values to what each recipient gets (`mapping`); each recipient's message rendered and
//! checked against the channel's rules (`render`); the Sunshine Conversations notification it
//! becomes (`payload`).

pub mod mapping;
pub mod payload;
pub mod render;

use mapping::ValueMapping;
use serde::{Deserialize, Serialize};
use specta::Type;

/// The message an audience is checked for: a local template, the integration it goes through,
/// and the mapping of its dynamic values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct MessageSpec {
    pub template_id: String,
    pub integration_id: String,
    pub mapping: Vec<ValueMapping>,
}

#[cfg(test)]
mod tests;
