CREATE TABLE templates (
        id         TEXT PRIMARY KEY NOT NULL,
        name       TEXT NOT NULL,
        body       TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX templates_by_update ON templates (updated_at DESC);