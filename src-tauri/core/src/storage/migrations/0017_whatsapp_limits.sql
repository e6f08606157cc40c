ALTER TABLE campaigns ADD COLUMN waits_for TEXT;
    CREATE INDEX blackout_pulled_by_time ON blackout (sent_at) WHERE origin IS NOT NULL;
