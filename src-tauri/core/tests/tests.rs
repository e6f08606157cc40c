//! relay-core's integration tests, in one binary: one link for all of them. The log file's
//! redaction is tested in its own binary (`logging.rs`): the subscriber is process-wide.

mod support;

mod architecture;
mod audience;
mod campaign;
mod clients;
mod consent;
mod custom_objects;
mod languages;
mod limits;
mod overlap;
mod phone_reference;
mod team;
mod template_library;
mod template_props;
mod timing;
