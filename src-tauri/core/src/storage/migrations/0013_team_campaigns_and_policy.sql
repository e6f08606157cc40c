CREATE TABLE team_campaigns (
        campaign_id TEXT PRIMARY KEY NOT NULL,
        desktop     TEXT NOT NULL,
        payload     TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    ) STRICT;
    CREATE TABLE team_campaign_pushed (
        campaign_id TEXT PRIMARY KEY NOT NULL,
        status      TEXT,
        payload     TEXT NOT NULL
    ) STRICT;
    CREATE TABLE team_policy (
        id         INTEGER PRIMARY KEY CHECK (id = 1),
        value      TEXT NOT NULL,
        changed_at TEXT NOT NULL
    ) STRICT;