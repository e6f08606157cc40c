CREATE TABLE team_outbox (
        kind        TEXT NOT NULL,
        external_id TEXT NOT NULL,
        payload     TEXT NOT NULL,
        queued_at   INTEGER NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 0,
        last_error  TEXT,
        PRIMARY KEY (kind, external_id)
    ) STRICT;
    CREATE TABLE team_sync (
        kind      TEXT PRIMARY KEY NOT NULL,
        cursor    TEXT,
        pulled_at INTEGER,
        pushed_at INTEGER
    ) STRICT;
    ALTER TABLE blackout ADD COLUMN origin TEXT;
    ALTER TABLE campaigns ADD COLUMN desktop_only INTEGER NOT NULL DEFAULT 0;
    INSERT OR REPLACE INTO team_outbox (kind, external_id, payload, queued_at)
        SELECT 'entry', fingerprint || ':' || phone,
               json_object('fingerprint', CAST(fingerprint AS TEXT), 'number', phone,
                           'user_id', CAST(user_id AS TEXT), 'sent_at', MAX(sent_at),
                           'state', state, 'campaign', campaign_id),
               MAX(sent_at)
        FROM blackout GROUP BY fingerprint, phone;