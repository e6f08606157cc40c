CREATE TABLE campaigns (
        id               TEXT PRIMARY KEY NOT NULL,
        template_id      TEXT NOT NULL,
        template_name    TEXT NOT NULL,
        language         TEXT NOT NULL,
        integration_id   TEXT NOT NULL,
        channel          TEXT NOT NULL,
        fingerprint      INTEGER NOT NULL,
        audience_id      TEXT,
        query            TEXT NOT NULL,
        rate             INTEGER NOT NULL,
        auto_pause_after INTEGER NOT NULL,
        test             INTEGER NOT NULL DEFAULT 0,
        status           TEXT NOT NULL,
        pause_reason     TEXT,
        created_at       INTEGER NOT NULL,
        started_at       INTEGER,
        finished_at      INTEGER,
        runner           TEXT,
        lease_until      INTEGER
    ) STRICT;
    CREATE INDEX campaigns_by_creation ON campaigns (created_at DESC);
    CREATE TABLE campaign_recipients (
        campaign_id     TEXT NOT NULL,
        seq             INTEGER NOT NULL,
        user_id         INTEGER NOT NULL,
        name            TEXT NOT NULL,
        phone           TEXT,
        payload         TEXT,
        segments        INTEGER NOT NULL DEFAULT 0,
        state           TEXT NOT NULL,
        reason          TEXT,
        error           TEXT,
        notification_id TEXT,
        attempts        INTEGER NOT NULL DEFAULT 0,
        updated_at      INTEGER,
        PRIMARY KEY (campaign_id, seq)
    ) STRICT;
    CREATE INDEX campaign_recipients_by_state ON campaign_recipients (campaign_id, state, seq);