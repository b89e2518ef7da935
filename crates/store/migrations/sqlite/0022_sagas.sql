-- Sagas (issue 12): what a paid payment or a settled refund sets in motion, step by step, so a
-- crash resumes at the step it stopped and people can see how far it got. One per event.
CREATE TABLE sagas (
    id BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    org_id BLOB NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    payment_id BLOB NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    event_id BLOB NOT NULL UNIQUE,
    -- 'running', 'completed' or 'compensated'.
    state TEXT NOT NULL,
    -- A JSON array of {name, status, at, note}, in order.
    steps TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- When a running saga is next run (also a claim's lease).
    next_attempt_at TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX sagas_payment_idx ON sagas (payment_id, created_at);
CREATE INDEX sagas_due_idx ON sagas (next_attempt_at) WHERE state = 'running';

-- Payments paid and refunds settled before sagas existed start none: their effects were
-- handled by hand or by the receipts consumer.
INSERT INTO consumer_progress (consumer, handled_to)
    SELECT 'sagas', MAX(created_at) FROM payment_events HAVING COUNT(*) > 0;
INSERT INTO consumer_marks (consumer, event_id, done_at)
    SELECT 'sagas', id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z' FROM payment_events
    WHERE kind IN ('state_changed', 'refund_settled');
