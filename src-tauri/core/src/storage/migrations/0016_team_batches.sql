ALTER TABLE blackout ADD COLUMN number_key INTEGER;
    ALTER TABLE blackout ADD COLUMN shared INTEGER;
    ALTER TABLE blackout ADD COLUMN in_flight TEXT;
    UPDATE blackout SET shared = 2;
    UPDATE blackout SET shared = NULL WHERE origin IS NULL
        AND (CAST(fingerprint AS TEXT) || ':' || phone) IN (SELECT external_id FROM team_outbox WHERE kind = 'entry');
    DELETE FROM team_outbox WHERE kind = 'entry';
    CREATE INDEX blackout_by_number_key ON blackout (fingerprint, number_key, sent_at) WHERE number_key IS NOT NULL;
    CREATE INDEX blackout_unshared ON blackout (fingerprint, campaign_id) WHERE shared IS NULL;
    CREATE INDEX blackout_in_flight ON blackout (in_flight) WHERE in_flight IS NOT NULL;
    CREATE TABLE team_in_flight (
        external_id TEXT PRIMARY KEY NOT NULL,
        posted_at   INTEGER NOT NULL
    ) STRICT;
    ALTER TABLE suppressed ADD COLUMN number_key INTEGER;
    CREATE INDEX suppressed_by_number_key ON suppressed (number_key) WHERE number_key IS NOT NULL;