ALTER TABLE suppressed ADD COLUMN reason TEXT NOT NULL DEFAULT 'manual';
    ALTER TABLE suppressed ADD COLUMN evidence TEXT;
    ALTER TABLE audience_members ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE audience_members ADD COLUMN consent_override INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE audience_members ADD COLUMN consent_note TEXT;
    ALTER TABLE audiences ADD COLUMN tags_kept INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE audiences ADD COLUMN channel TEXT;
    CREATE TABLE optout_replies (
        comment_id INTEGER PRIMARY KEY NOT NULL,
        ticket_id  INTEGER NOT NULL,
        user_id    INTEGER NOT NULL,
        text       TEXT NOT NULL,
        word       TEXT,
        verdict    TEXT NOT NULL,
        numbers    TEXT NOT NULL,
        at         INTEGER NOT NULL,
        channel    TEXT NOT NULL,
        read_at    INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX optout_replies_by_verdict ON optout_replies (verdict, at);
    CREATE TABLE optout_tickets (
        ticket_id  INTEGER PRIMARY KEY NOT NULL,
        updated_at TEXT NOT NULL,
        read_at    INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE optout_sync (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        cursor  TEXT,
        read_at INTEGER,
        error   TEXT
    ) STRICT;