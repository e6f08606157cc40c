//! Non-secret workspace settings.
//!
//! They are stored as one flat JSON object, `settings.json` in the data folder, read and written
//! by the app and the CLI alike through [`JsonFileBackend`] (under a lock, written whole then
//! renamed); its keys are the field names of [`Settings`]. Secrets are never fields here: they
//! live in the keychain (see `secrets`).
//!
//! `model`: the settings and their defaults; `validate`: what each field accepts, with what to do
//! instead; `text`: one setting given as text (`relay settings set`); `urls`: the loopback-only
//! policy for custom base URLs; `store`: the settings file.

mod model;
mod store;
mod text;
mod urls;
mod validate;

pub use model::*;
pub use store::{JsonFileBackend, SettingsBackend};
pub use urls::{check_loopback_url, check_update_url};
pub use validate::key_id_problem;

#[cfg(test)]
mod tests;
