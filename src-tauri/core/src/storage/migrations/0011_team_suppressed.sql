INSERT OR IGNORE INTO team_outbox (kind, external_id, payload, queued_at)
        SELECT 'suppressed', 'suppressed:' || phone,
               json_object('number', phone, 'note', note, 'removed', json('false'), 'changed_at', added_at),
               added_at
        FROM suppressed;