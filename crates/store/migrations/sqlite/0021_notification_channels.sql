-- Channels per person (issue 12): each asks for e-mail, SMS, both or neither (comma-separated;
-- e-mail until they choose). A message goes out once per channel, so the uniqueness of a
-- notification now includes its channel; SQLite cannot drop a table constraint, so the table
-- is rebuilt (nothing references it).
ALTER TABLE users ADD COLUMN notify_channels TEXT NOT NULL DEFAULT 'email';

CREATE TABLE notifications_new (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id BLOB REFERENCES orgs (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    language TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error TEXT,
    sent_at TEXT,
    source_event BLOB NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (source_event, user_id, kind, channel)
) STRICT;
INSERT INTO notifications_new (id, user_id, org_id, kind, channel, language, subject, body, status, attempts, next_attempt_at, last_error, sent_at, source_event, created_at)
    SELECT id, user_id, org_id, kind, channel, language, subject, body, status, attempts, next_attempt_at, last_error, sent_at, source_event, created_at
    FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_due_idx ON notifications (channel, next_attempt_at) WHERE status = 'queued';
