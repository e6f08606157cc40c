CREATE TABLE integrations (
        id                 TEXT PRIMARY KEY NOT NULL,
        kind               TEXT NOT NULL,
        name               TEXT NOT NULL,
        templates_synced_at INTEGER
    ) STRICT;
    CREATE TABLE remote_templates (
        integration_id  TEXT NOT NULL,
        name            TEXT NOT NULL,
        language        TEXT NOT NULL,
        remote_id       TEXT,
        category        TEXT,
        status          TEXT NOT NULL,
        rejected_reason TEXT,
        components      TEXT NOT NULL,
        synced_at       INTEGER NOT NULL,
        PRIMARY KEY (integration_id, name, language)
    ) STRICT;
    CREATE TABLE template_submissions (
        template_id    TEXT NOT NULL,
        integration_id TEXT NOT NULL,
        fingerprint    TEXT NOT NULL,
        submitted_at   INTEGER NOT NULL,
        PRIMARY KEY (template_id, integration_id)
    ) STRICT;