//! The sandbox's integration tests, in one binary: one link for all of them.

mod support;

mod api;
mod contract;
mod custom_objects;
mod meta;
