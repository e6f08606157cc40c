//! `relay team status|sync|campaigns|policy`: this desktop and the team's store (Zendesk
//! custom objects).

use super::output::Output;
use super::schedule::show_time;
use super::{open_workspace, runtime, CliResult};
use clap::Subcommand;
use relay_core::paths::DataDir;
use relay_core::team::policy::{Policy, TeamPolicy};

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// This desktop's name in the store, entries waiting to be pushed, the last push and pull.
    Status,
    /// Make the store's object types if missing (an admin's token can), push this desktop's
    /// entries, pull the others'.
    Sync,
    /// The other desktops' campaigns (as last pulled): who sends them, from where, counts.
    Campaigns,
    /// Delete the records an earlier Relay kept one per entry, numbers in clear (after folding
    /// them into this desktop's ledger: nothing stops blacking out). An admin's token only.
    DeleteOldRecords,
    /// The team's policy (blackout days, default country, quiet hours, who may send, consent,
    /// opt-out words, the WhatsApp messaging limit, language rules), applied
    /// on every desktop over its own settings; `set` publishes it (an admin's token only).
    Policy {
        #[command(subcommand)]
        action: Option<PolicyCommand>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Show the policy this desktop applies and who published it.
    Show,
    /// Publish the team's policy: what is not given keeps the value this desktop applies now.
    Set(Box<PolicySet>),
}

/// `relay team policy set`'s values.
#[derive(Debug, clap::Args)]
pub struct PolicySet {
    #[arg(long, value_name = "DAYS")]
    blackout_days: Option<u16>,
    /// ISO country (`FR`) for numbers written without `+`; `none` for none.
    #[arg(long, value_name = "CC|none")]
    default_country: Option<String>,
    /// `HH:MM-HH:MM` in each recipient's time zone, or `off`.
    #[arg(long, value_name = "HH:MM-HH:MM|off")]
    quiet_hours: Option<String>,
    /// Roles allowed to send, comma-separated (`admin,agent,12345`); `any` for no restriction.
    #[arg(long, value_name = "ROLES|any")]
    roles: Option<String>,
    /// Group ids whose members may send, comma-separated; `any` for no restriction.
    #[arg(long, value_name = "IDS|any")]
    groups: Option<String>,
    /// Who agreed to WhatsApp messages: `tag:NAME` or `field:KEY=VALUE`; `none` for no rule.
    #[arg(long, value_name = "RULE|none")]
    consent_whatsapp: Option<String>,
    /// Who agreed to SMS: `tag:NAME` or `field:KEY=VALUE`; `none` for no rule.
    #[arg(long, value_name = "RULE|none")]
    consent_sms: Option<String>,
    /// The replies that opt out, comma-separated (`STOP,ARRÊT,BAJA`).
    #[arg(long, value_name = "WORDS")]
    optout_words: Option<String>,
    /// The replies that opt back in, comma-separated (`START,UNSTOP`).
    #[arg(long, value_name = "WORDS")]
    optin_words: Option<String>,
    /// The WhatsApp portfolio's messaging limit: 250, 2000, 10000, 100000 or unlimited;
    /// `none` for not set.
    #[arg(long, value_name = "LIMIT|none")]
    whatsapp_limit: Option<String>,
    /// The WhatsApp integrations sharing that limit, comma-separated; `any` for all.
    #[arg(long, value_name = "IDS|any")]
    whatsapp_portfolio: Option<String>,
    /// Meta's rules lifted for the account, comma-separated (`marketing_us`); `none` for none.
    #[arg(long, value_name = "RULES|none")]
    meta_rules_lifted: Option<String>,
    /// The translation for a locale the template has no translation of, comma-separated
    /// `LOCALE=CODE` rules (`pt=pt_BR,es-419=es_MX`).
    #[arg(long, value_name = "RULES")]
    language_rules: Option<String>,
}

fn list(v: &str) -> Vec<String> {
    if v.trim().eq_ignore_ascii_case("any") {
        return Vec::new();
    }
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn print_policy(p: &Policy) {
    let or = |s: &str, none: &'static str| {
        if s.is_empty() {
            none.to_string()
        } else {
            s.to_string()
        }
    };
    println!("blackout days    {}", p.blackout_days);
    println!("default country  {}", or(&p.default_country, "none"));
    println!("quiet hours      {}", or(&p.quiet_hours, "off"));
    println!(
        "roles            {}",
        or(&p.allowed_roles.join(", "), "any")
    );
    println!(
        "groups           {}",
        or(&p.allowed_groups.join(", "), "any")
    );
    println!("consent WhatsApp {}", or(&p.consent_whatsapp, "no rule"));
    println!("consent SMS      {}", or(&p.consent_sms, "no rule"));
    println!("opt-out words    {}", p.optout_words.join(", "));
    println!("opt-in words     {}", p.optin_words.join(", "));
    println!("WhatsApp limit   {}", or(&p.whatsapp_limit, "not set"));
    println!(
        "portfolio        {}",
        or(
            &p.whatsapp_portfolio.join(", "),
            "every WhatsApp integration"
        )
    );
    println!(
        "Meta rules off   {}",
        or(&p.meta_rules_lifted.join(", "), "none")
    );
    println!(
        "language rules   {}",
        or(&p.language_rules.join(", "), "none")
    );
}

fn print_team_policy(t: &TeamPolicy) {
    print_policy(&t.policy);
    println!(
        "published by {} from {} at {}",
        t.changed_by, t.desktop, t.changed_at
    );
}

pub fn run(action: TeamCommand, data: DataDir, out: Output) -> CliResult {
    let ws = open_workspace(data)?;
    match action {
        TeamCommand::Status => {
            out.show(&ws.team_status()?, |s| {
                println!("desktop        {}", s.desktop);
                println!("waiting        {} entr(ies) to push", s.pending);
                if s.failing > 0 {
                    println!(
                        "refused        {} of them, last: {}",
                        s.failing,
                        s.last_error.as_deref().unwrap_or("?")
                    );
                }
                println!(
                    "last push      {}",
                    s.last_push.as_deref().unwrap_or("never")
                );
                println!(
                    "last pull      {}",
                    s.last_pull.as_deref().unwrap_or("never")
                );
                println!(
                    "pulled         {} entr(ies) from other desktops",
                    s.pulled_entries
                );
                if s.settling > 0 {
                    println!("syncing        {} ended send(s) whose entries still go to the team (their claims kept)", s.settling);
                }
                if s.legacy_records > 0 {
                    println!("old records    {} record(s) of an earlier Relay (numbers in clear) folded here: `relay team delete-old-records` deletes them", s.legacy_records);
                }
            });
        }
        TeamCommand::DeleteOldRecords => {
            let deleted = runtime()?.block_on(ws.team_delete_legacy())?;
            out.show(&serde_json::json!({ "deleted": deleted }), |_| {
                println!("{deleted} record(s) of an earlier Relay deleted from the team's store (their entries stay in this desktop's ledger).");
            });
        }
        TeamCommand::Campaigns => {
            out.show(&ws.team_campaigns()?, |list| {
                if list.is_empty() {
                    println!("No campaigns from other desktops (as of the last sync).");
                }
                for c in list {
                    let k = &c.counts;
                    println!(
                        "{}  {}  {} ({})  by {} from {}{}",
                        c.id,
                        c.status,
                        c.template_name,
                        c.kind,
                        c.sender,
                        c.desktop,
                        if c.desktop_only { "  this desktop only" } else { "" }
                    );
                    println!(
                        "    sent {}  failed {}  unknown {}  skipped {}  pending {}   made {}, last heard {}",
                        k.sent,
                        k.failed,
                        k.unknown,
                        k.skipped,
                        k.pending,
                        show_time(&c.created_at),
                        c.updated_at
                    );
                }
            });
        }
        TeamCommand::Policy { action } => match action.unwrap_or(PolicyCommand::Show) {
            PolicyCommand::Show => {
                let team = ws.team_policy()?;
                let applied = Policy::of(&ws.settings()?);
                out.show(
                    &serde_json::json!({ "team_policy": team, "applied": applied }),
                    |_| match &team {
                        Some(t) => print_team_policy(t),
                        None => {
                            println!("The team has no policy yet: this desktop applies its own settings:");
                            print_policy(&applied);
                        }
                    },
                );
            }
            PolicyCommand::Set(set) => {
                let PolicySet {
                    blackout_days,
                    default_country,
                    quiet_hours,
                    roles,
                    groups,
                    consent_whatsapp,
                    consent_sms,
                    optout_words,
                    optin_words,
                    whatsapp_limit,
                    whatsapp_portfolio,
                    meta_rules_lifted,
                    language_rules,
                } = *set;
                let mut p = Policy::of(&ws.settings()?);
                if let Some(d) = blackout_days {
                    p.blackout_days = d;
                }
                if let Some(c) = default_country {
                    p.default_country = if c.eq_ignore_ascii_case("none") {
                        String::new()
                    } else {
                        c
                    };
                }
                if let Some(q) = quiet_hours {
                    p.quiet_hours = if q.eq_ignore_ascii_case("off") {
                        String::new()
                    } else {
                        q
                    };
                }
                if let Some(r) = roles {
                    p.allowed_roles = list(&r);
                }
                if let Some(g) = groups {
                    p.allowed_groups = list(&g);
                }
                let rule = |r: String| {
                    if r.eq_ignore_ascii_case("none") {
                        String::new()
                    } else {
                        r
                    }
                };
                if let Some(r) = consent_whatsapp {
                    p.consent_whatsapp = rule(r);
                }
                if let Some(r) = consent_sms {
                    p.consent_sms = rule(r);
                }
                if let Some(w) = optout_words {
                    p.optout_words = list(&w);
                }
                if let Some(w) = optin_words {
                    p.optin_words = list(&w);
                }
                if let Some(l) = whatsapp_limit {
                    p.whatsapp_limit = rule(l);
                }
                if let Some(i) = whatsapp_portfolio {
                    p.whatsapp_portfolio = list(&i);
                }
                if let Some(r) = meta_rules_lifted {
                    p.meta_rules_lifted = list(&rule(r));
                }
                if let Some(r) = language_rules {
                    p.language_rules = list(&r);
                }
                let team = runtime()?.block_on(ws.set_team_policy(p))?;
                out.show(&team, |t| {
                    println!("The team's policy is published; every desktop applies it from its next sync.");
                    print_team_policy(t);
                });
            }
        },
        TeamCommand::Sync => {
            let report = runtime()?.block_on(ws.team_sync())?;
            let status = ws.team_status()?;
            out.show(
                &serde_json::json!({ "sync": report, "status": status }),
                |_| {
                    println!(
                        "pushed {} entr(ies), {} still waiting; pulled {} record(s), {} new here ({} requests)",
                        report.pushed, status.pending, report.pulled, report.merged, report.requests
                    );
                },
            );
        }
    }
    Ok(())
}
