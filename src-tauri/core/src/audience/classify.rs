//! Why each member of an audience is left out, if they are: the first reason that applies, set
//! for the whole audience in a few statements (a million members in seconds). The mapping's own
//! reasons (`missing_value`, `render_error`) are set afterwards by the check.

use crate::blackout::BlackoutCheck;
use crate::consent::ConsentRule;
use crate::error::AppResult;
use crate::meta::rules::MetaRule;
use crate::phone::region_of;
use crate::phone::NumberKind;
use crate::storage::Database;
use crate::text::Text;
use rusqlite::params;
use strum::VariantArray;

/// Sets every member's reason from the phone (its kind of line too), the suppression list, duplicates, the blackout
/// ledger and the unfinished campaigns of the message (the mapping's reasons are set afterwards by
/// `set_failures`).
pub fn classify(
    db: &Database,
    audience_id: &str,
    blackout: Option<BlackoutCheck>,
    consent: Option<&ConsentRule>,
    meta: &[&MetaRule],
) -> AppResult<()> {
    // Numbers read under earlier rules are read again first.
    super::store::reread(db, audience_id)?;
    db.write(|tx| classify_in(tx, audience_id, blackout, consent, meta))
}

/// Leaves out, with reason `meta_rule` and its words, the members whose message a rule of Meta's
/// catches (`meta::rules`: accepted by the API, never delivered). Only the numbers of the
/// countries' calling codes are read.
fn meta_rules(tx: &rusqlite::Connection, audience_id: &str, rules: &[&MetaRule]) -> AppResult<()> {
    for rule in rules {
        let words = Text::new(&format!("meta_rule.{}", rule.id));
        for prefix in rule.prefixes() {
            let caught: Vec<i64> = {
                let mut stmt = tx.prepare_cached(
                    "SELECT rowid, phone FROM audience_members
                     WHERE audience_id = ?1 AND reason IS NULL AND substr(phone, 1, length(?2)) = ?2",
                )?;
                let rows = stmt.query_map(params![audience_id, prefix], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })?;
                let mut out = Vec::new();
                for row in rows {
                    let (rowid, phone) = row?;
                    if rule.catches(region_of(&phone).as_deref()) {
                        out.push(rowid);
                    }
                }
                out
            };
            let mut set = tx.prepare_cached(
                "UPDATE audience_members SET reason = 'meta_rule', detail = ?2 WHERE rowid = ?1",
            )?;
            for rowid in caught {
                set.execute(params![rowid, words])?;
            }
        }
    }
    Ok(())
}

fn classify_in(
    tx: &rusqlite::Connection,
    audience_id: &str,
    blackout: Option<BlackoutCheck>,
    consent: Option<&ConsentRule>,
    meta: &[&MetaRule],
) -> AppResult<()> {
    let include_fixed: bool = tx.query_row(
        "SELECT include_fixed_lines FROM audiences WHERE id = ?1",
        [audience_id],
        |r| r.get(0),
    )?;
    // The kinds of line a message cannot reach (NumberKind::can_receive), as SQL words.
    let unreachable = NumberKind::VARIANTS
        .iter()
        .filter(|k| !k.can_receive(include_fixed))
        .map(|k| format!("'{}'", k.as_ref()))
        .collect::<Vec<_>>()
        .join(", ");
    tx.execute(
        &format!(
            "UPDATE audience_members SET
                reason = CASE
                    WHEN removed = 1 THEN 'removed'
                    WHEN phone_state = 'missing' THEN 'no_phone'
                    WHEN phone_state = 'invalid' THEN 'invalid_phone'
                    WHEN phone_kind IN ({unreachable}) THEN 'cannot_receive'
                    WHEN {opted_out} THEN 'opted_out'
                    WHEN {suppressed} THEN 'suppressed'
                    ELSE NULL END,
                detail = CASE
                    WHEN removed = 1 THEN NULL
                    WHEN phone_state = 'invalid' AND phone_problem IS NOT NULL
                        THEN json_object('key', 'phone.problem.' || phone_problem)
                    WHEN phone_state = 'ok' AND phone_kind IN ({unreachable})
                        THEN json_object('key', 'phone.kind.' || phone_kind)
                    WHEN phone_state = 'ok' AND {opted_out} THEN {evidence}
                    ELSE NULL END
             WHERE audience_id = ?1",
            opted_out = crate::suppression::PHONE_OPTED_OUT,
            suppressed = crate::suppression::PHONE_SUPPRESSED,
            evidence = crate::suppression::OPT_OUT_EVIDENCE,
        ),
        [audience_id],
    )?;
    // Consent, whatever the query said: the rule of the message's channel kind, unless an admin
    // allowed the member. An audience fetched before tags were kept has none to check.
    if let Some(rule) = consent {
        let (holds, value) = rule.sql();
        let tags_kept: bool = tx.query_row(
            "SELECT tags_kept FROM audiences WHERE id = ?1",
            [audience_id],
            |r| r.get(0),
        )?;
        let missing = if tags_kept || matches!(rule, ConsentRule::Field { .. }) {
            crate::text!("consent.missing", rule => rule.describe())
        } else {
            crate::text!("consent.tags_not_kept", rule => rule.describe())
        };
        tx.execute(
            &format!(
                "UPDATE audience_members SET reason = 'no_consent', detail = ?3
                 WHERE audience_id = ?1 AND reason IS NULL AND consent_override = 0 AND NOT ({holds})"
            ),
            params![audience_id, value, missing],
        )?;
    }
    meta_rules(tx, audience_id, meta)?;
    // One message per number: the user with the lowest id (the oldest account) keeps it — the
    // same one whatever order the export came in.
    tx.execute(
        "UPDATE audience_members SET reason = 'duplicate_phone'
         WHERE audience_id = ?1 AND rowid IN (
            SELECT rowid FROM (
                SELECT rowid, ROW_NUMBER() OVER (PARTITION BY phone ORDER BY user_id) AS n
                FROM audience_members WHERE audience_id = ?1 AND reason IS NULL
            ) WHERE n > 1)",
        [audience_id],
    )?;
    if let Some(b) = blackout {
        // An override (its time in `override`) lets through the sends made before it, not the
        // ones after: a campaign sent from this audience blacks them out again.
        tx.execute(
            &format!(
                "UPDATE audience_members SET reason = 'blackout'
                 WHERE audience_id = ?1 AND reason IS NULL AND {}",
                crate::blackout::MEMBER_REACHED
            ),
            params![audience_id, b.fingerprint, b.since_ms],
        )?;
        // Those an unfinished campaign of the message still has to send are left to it.
        crate::campaign::ledger::fill_elsewhere(tx, b.fingerprint)?;
        tx.execute(
            "UPDATE audience_members SET reason = 'in_other_campaign',
                detail = (SELECT json_object('key', 'audience.left_to',
                                             'params', json_object('campaign', e.campaign_id))
                          FROM temp.elsewhere e
                          WHERE e.phone = audience_members.phone OR e.user_id = audience_members.user_id LIMIT 1)
             WHERE audience_id = ?1 AND reason IS NULL AND (
                phone IN (SELECT phone FROM temp.elsewhere)
                OR user_id IN (SELECT user_id FROM temp.elsewhere))",
            [audience_id],
        )
        ?;
    }
    Ok(())
}
