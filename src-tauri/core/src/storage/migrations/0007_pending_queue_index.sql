DROP INDEX campaign_recipients_by_state;
    CREATE INDEX campaign_recipients_pending ON campaign_recipients (campaign_id, seq) WHERE state = 'pending';