//! Why each member of an audience is left out, if they are: the first reason that applies, set
//! for the whole audience in a few statements (a million members in seconds). The mapping's own
//! reasons (`missing_value`, `render_error`) are set afterwards by the check.

use crate::blackout::BlackoutCheck;
use crate::error::AppResult;
use crate::storage::Database;
use rusqlite::params;

/// Sets every member's reason from the phone, the suppression list, duplicates, the blackout
/// ledger and the unfinished campaigns of the message (the mapping's reasons are set afterwards by
/// `set_failures`).
pub fn classify(
    db: &Database,
    audience_id: &str,
    blackout: Option<BlackoutCheck>,
) -> AppResult<()> {
    db.write(|tx| classify_in(tx, audience_id, blackout))
}

fn classify_in(
    tx: &rusqlite::Connection,
    audience_id: &str,
    blackout: Option<BlackoutCheck>,
) -> AppResult<()> {
    tx.execute(
        &format!(
            "UPDATE audience_members SET detail = NULL, reason = CASE
                WHEN removed = 1 THEN 'removed'
                WHEN phone_state = 'missing' THEN 'no_phone'
                WHEN phone_state = 'invalid' THEN 'invalid_phone'
                WHEN {} THEN 'suppressed'
                ELSE NULL END
             WHERE audience_id = ?1",
            crate::suppression::PHONE_SUPPRESSED
        ),
        [audience_id],
    )?;
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
