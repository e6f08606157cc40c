//! The send engine: a campaign's pending recipients sent at its rate (a `governor` limiter),
//! with bounded concurrency, under one runner (`lease`).
//!
//! Every state is written before and after the call (`ledger`): the claim (`pending →
//! sending`, with the blackout checked in the same transaction) is committed — durably — before
//! the request leaves; the outcome and its blackout entry after it lands. The database work runs
//! on the database thread (`storage::Writer`), never on the async runtime: a busy disk or another
//! writer holding the lock stalls new claims, not the requests in flight, whose outcomes wait in
//! memory until they are written. When the run must stop — paused, cancelled, auto-paused after
//! consecutive failures, or on a database error — the requests in flight land first and their
//! outcomes are recorded; only a run killed mid-call leaves rows `sending`, which the next run
//! turns `unknown`.

//!
//! `control` is what the outside sees; `run` a campaign's run from start to end; `engine` its
//! loop, which keeps the calls in flight (`calls`), the outcomes not yet written (`book`) and
//! the counts (`tally`).

mod book;
mod calls;
mod control;
mod engine;
mod run;
mod tally;

pub use control::{check_rate, estimate_secs, CampaignControl, CampaignProgress, MAX_RATE};
