-- Security notices (issue 12): password and second-factor changes made before notices existed
-- are not announced after an upgrade.
INSERT INTO consumer_marks (consumer, event_id, done_at)
    SELECT 'security-notices', id, now() FROM security_events
    WHERE kind IN ('password_changed', 'mfa_enabled', 'mfa_disabled');
INSERT INTO consumer_progress (consumer, handled_to)
    SELECT 'security-notices', MAX(created_at) FROM security_events HAVING COUNT(*) > 0;

-- The security-notices consumer scans these every few seconds on every instance: only the
-- account changes it announces, by time.
CREATE INDEX security_events_notice_idx ON security_events (created_at, id)
    WHERE kind IN ('password_changed', 'mfa_enabled', 'mfa_disabled');
