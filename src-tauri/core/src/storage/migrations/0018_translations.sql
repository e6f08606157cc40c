CREATE TABLE fingerprint_alias (
        legacy          INTEGER PRIMARY KEY NOT NULL,
        current         INTEGER NOT NULL
    ) WITHOUT ROWID;
ALTER TABLE campaign_recipients ADD COLUMN language TEXT;
ALTER TABLE audiences ADD COLUMN languages TEXT;
