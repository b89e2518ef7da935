-- Outgoing webhooks (issue 12): each organization's endpoints, one message per (endpoint,
-- event) holding the exact bytes every attempt sends, and a log of every attempt.
CREATE TABLE webhook_endpoints (
    id BLOB PRIMARY KEY,
    org_id BLOB NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    -- A JSON array of event types; empty for all.
    event_types TEXT NOT NULL,
    -- A JSON array of {secret, expires_at}, newest first.
    secrets TEXT NOT NULL,
    -- 'enabled' or 'disabled'.
    status TEXT NOT NULL,
    disabled_reason TEXT,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX webhook_endpoints_org_idx ON webhook_endpoints (org_id, created_at);

CREATE TABLE webhook_messages (
    id BLOB PRIMARY KEY,
    endpoint_id BLOB NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    org_id BLOB NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    event_id BLOB NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    -- 'pending', 'delivered' or 'failed'.
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- When a pending message is due (also a claim's lease).
    next_attempt_at TEXT,
    -- 'scheduled', 'manual' or 'test': what the next attempt is.
    next_trigger TEXT NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    UNIQUE (endpoint_id, event_id)
) STRICT;
CREATE INDEX webhook_messages_endpoint_idx ON webhook_messages (endpoint_id, created_at DESC, id DESC);
CREATE INDEX webhook_messages_due_idx ON webhook_messages (next_attempt_at) WHERE status = 'pending';

CREATE TABLE webhook_attempts (
    message_id BLOB NOT NULL REFERENCES webhook_messages (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    at TEXT NOT NULL,
    status_code INTEGER,
    excerpt TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    trigger TEXT NOT NULL,
    PRIMARY KEY (message_id, attempt)
) STRICT;

-- No endpoint existed before this migration: the consumer starts from the newest event
-- instead of reading the whole history once.
INSERT INTO consumer_progress (consumer, handled_to)
    SELECT 'webhooks', MAX(created_at) FROM payment_events HAVING COUNT(*) > 0;

CREATE INDEX payment_events_webhook_idx ON payment_events (created_at, id)
    WHERE kind IN ('state_changed', 'refund_settled');
