CREATE TABLE audiences (
        id              TEXT PRIMARY KEY NOT NULL,
        query           TEXT NOT NULL,
        status          TEXT NOT NULL,
        users           INTEGER NOT NULL DEFAULT 0,
        pages           INTEGER NOT NULL DEFAULT 0,
        default_country TEXT NOT NULL,
        identities      INTEGER NOT NULL,
        fields          TEXT NOT NULL,
        message         TEXT,
        error           TEXT,
        created_at      INTEGER NOT NULL,
        finished_at     INTEGER
    ) STRICT;
    CREATE TABLE audience_members (
        audience_id     TEXT NOT NULL,
        user_id         INTEGER NOT NULL,
        seq             INTEGER NOT NULL,
        name            TEXT NOT NULL,
        email           TEXT,
        phone_raw       TEXT,
        phone           TEXT,
        phone_state     TEXT NOT NULL,
        phone_source    TEXT,
        locale          TEXT,
        time_zone       TEXT,
        external_id     TEXT,
        organization_id INTEGER,
        created_at      TEXT,
        user_fields     TEXT NOT NULL,
        removed         INTEGER NOT NULL DEFAULT 0,
        override        INTEGER NOT NULL DEFAULT 0,
        reason          TEXT,
        detail          TEXT,
        PRIMARY KEY (audience_id, user_id)
    ) STRICT;
    CREATE INDEX audience_members_by_reason ON audience_members (audience_id, reason, seq);
    CREATE TABLE suppressed (
        phone    TEXT PRIMARY KEY NOT NULL,
        note     TEXT NOT NULL DEFAULT '',
        added_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE blackout (
        user_id     INTEGER NOT NULL,
        phone       TEXT NOT NULL,
        fingerprint INTEGER NOT NULL,
        sent_at     INTEGER NOT NULL,
        campaign_id TEXT
    ) STRICT;
    CREATE INDEX blackout_by_user ON blackout (fingerprint, user_id, sent_at);
    CREATE INDEX blackout_by_phone ON blackout (fingerprint, phone, sent_at);