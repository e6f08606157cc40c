//! `relay optouts setup|remove|status|sync|list|confirm|dismiss`: the replies that say "no",
//! captured from Zendesk by Relay's trigger.

use super::output::Output;
use super::schedule::show_time;
use super::{open_workspace, runtime, CliResult};
use clap::Subcommand;
use relay_core::consent::optouts::{OptoutStatus, Reply};
use relay_core::paths::DataDir;

#[derive(Debug, Subcommand)]
pub enum OptoutsCommand {
    /// Make Relay's ticket trigger (or bring it up to date with the words), then read the
    /// replies. An admin's token only; a second setup changes nothing.
    Setup,
    /// Remove Relay's trigger (the opt-outs read so far stay on the list). An admin only.
    Remove,
    /// The trigger, the last read, how many opted out, the replies waiting for a decision.
    Status,
    /// Read the replies tagged since the last read, and apply them.
    Sync,
    /// The replies read: opt-outs and opt-ins, or with --maybe those waiting for a decision.
    List {
        #[arg(long)]
        maybe: bool,
    },
    /// Confirm a reply that only holds an opt-out word: its numbers are opted out.
    Confirm {
        /// The reply's id (`relay optouts list --maybe`).
        reply: String,
    },
    /// Dismiss a reply that only holds an opt-out word: nothing changes.
    Dismiss { reply: String },
}

fn print_reply(r: &Reply) {
    println!(
        "  {:<10} {:<14} ticket #{:<8} {}  \"{}\"  {}",
        r.verdict.as_ref(),
        r.comment_id,
        r.ticket_id,
        show_time(&r.at),
        r.text,
        r.numbers.join(", ")
    );
}

fn print_status(s: &OptoutStatus) {
    match (&s.trigger, &s.trigger_unknown) {
        (Some(t), _) => println!(
            "trigger    #{} {}{}",
            t.id,
            if t.active { "active" } else { "inactive" },
            if t.current {
                ""
            } else {
                " — its words are not the settings' (run relay optouts setup)"
            }
        ),
        (None, Some(why)) => println!("trigger    not known: {}", why.english()),
        (None, None) => println!("trigger    not set up (relay optouts setup, an admin)"),
    }
    println!(
        "last read  {}",
        s.last_read
            .as_deref()
            .map(show_time)
            .unwrap_or_else(|| "never".into())
    );
    if let Some(e) = &s.last_error {
        println!("           the last read failed: {}", e.english());
    }
    println!("opted out  {} number(s)", s.opted_out);
    println!(
        "maybe      {} repl(ies) waiting for a decision",
        s.maybe.len()
    );
    for r in &s.maybe {
        print_reply(r);
    }
}

pub fn run(action: OptoutsCommand, data: DataDir, out: Output) -> CliResult {
    let ws = open_workspace(data)?;
    let rt = runtime()?;
    match action {
        OptoutsCommand::Setup => {
            let s = rt.block_on(ws.setup_optouts())?;
            out.show(&s, print_status);
        }
        OptoutsCommand::Remove => {
            let s = rt.block_on(ws.remove_optouts())?;
            out.show(&s, |s| {
                println!("Relay's trigger is removed; the opt-outs read so far stay on the list.");
                print_status(s);
            });
        }
        OptoutsCommand::Status => {
            let s = rt.block_on(ws.optouts_status())?;
            out.show(&s, print_status);
        }
        OptoutsCommand::Sync => {
            let r = rt.block_on(ws.read_optouts(true))?;
            out.show(&r, |r| {
                println!(
                    "{} ticket(s), {} repl(ies) read: {} opted out, {} opted back in, {} waiting for a decision",
                    r.tickets, r.replies, r.opted_out, r.opted_in, r.maybe
                )
            });
        }
        OptoutsCommand::List { maybe } => {
            let s = rt.block_on(ws.optouts_status())?;
            let list = if maybe { s.maybe } else { s.recent };
            out.show(&list, |list| {
                if list.is_empty() {
                    println!("None.");
                }
                for r in list {
                    print_reply(r);
                }
            });
        }
        OptoutsCommand::Confirm { reply } => {
            let s = rt.block_on(ws.decide_reply(&reply, true))?;
            out.show(&s, |_| {
                println!("Reply {reply} confirmed: its numbers are opted out.")
            });
        }
        OptoutsCommand::Dismiss { reply } => {
            let s = rt.block_on(ws.decide_reply(&reply, false))?;
            out.show(&s, |_| println!("Reply {reply} dismissed."));
        }
    }
    Ok(())
}
