ALTER TABLE blackout ADD COLUMN state TEXT NOT NULL DEFAULT 'sent';
    ALTER TABLE campaigns ADD COLUMN blackout_days INTEGER NOT NULL DEFAULT 7;
    ALTER TABLE campaigns ADD COLUMN runner_host TEXT;
    ALTER TABLE campaign_recipients ADD COLUMN override INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX campaign_recipients_sending ON campaign_recipients (phone) WHERE state = 'sending';
    CREATE INDEX campaign_recipients_sending_user ON campaign_recipients (user_id) WHERE state = 'sending';
    INSERT INTO blackout (user_id, phone, fingerprint, sent_at, campaign_id, state)
        SELECT r.user_id, r.phone, k.fingerprint, COALESCE(r.updated_at, k.created_at), r.campaign_id, 'unknown'
        FROM campaign_recipients r JOIN campaigns k ON k.id = r.campaign_id
        WHERE r.state = 'unknown' AND k.test = 0 AND r.phone IS NOT NULL;
    UPDATE audience_members SET override = CAST(strftime('%s', 'now') AS INTEGER) * 1000 WHERE override = 1;