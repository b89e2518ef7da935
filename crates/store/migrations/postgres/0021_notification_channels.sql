-- Channels per person (issue 12): each asks for e-mail, SMS, both or neither (comma-separated;
-- e-mail until they choose). A message goes out once per channel, so the uniqueness of a
-- notification now includes its channel.
ALTER TABLE users ADD COLUMN notify_channels TEXT NOT NULL DEFAULT 'email';

ALTER TABLE notifications DROP CONSTRAINT notifications_source_event_user_id_kind_key;
ALTER TABLE notifications ADD CONSTRAINT notifications_once UNIQUE (source_event, user_id, kind, channel);

DROP INDEX notifications_due_idx;
CREATE INDEX notifications_due_idx ON notifications (channel, next_attempt_at) WHERE status = 'queued';
