//! The `relay` command line, driven as a user would (the built binary, a data folder each). The
//! tests that need a desktop session (a Secret Service for the keychain) come with the
//! `session-tests` feature, which `./x test` runs under a private D-Bus session. One binary: one
//! link of the app for all.

mod common;

mod cli;
mod sandbox_cli;

#[cfg(feature = "session-tests")]
mod audience_cli;
#[cfg(feature = "session-tests")]
mod crash;
#[cfg(feature = "session-tests")]
mod keychain;
#[cfg(feature = "session-tests")]
mod overlap_cli;
#[cfg(feature = "session-tests")]
mod schedule_cli;
#[cfg(feature = "session-tests")]
mod team_cli;
