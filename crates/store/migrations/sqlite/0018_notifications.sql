-- Notifications (issue 12): what was said to whom, per recipient, and through which channel.
-- Without SMTP or SMS configured a message is recorded here (channel 'log') and readable
-- through the API. One row per (event, recipient, kind): a consumer that runs an event twice,
-- after a crash or on two instances, produces the message once.
CREATE TABLE notifications (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id BLOB REFERENCES orgs (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    language TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    -- E-mail: tries so far, when to try next (also a claim's lease), why the last one failed.
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error TEXT,
    sent_at TEXT,
    source_event BLOB NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (source_event, user_id, kind)
) STRICT;
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE status = 'queued';

-- Which events each consumer has handled: the mark is written in the same transaction as the
-- consumer's effect, so a restart resumes exactly where it stopped.
CREATE TABLE consumer_marks (
    consumer TEXT NOT NULL,
    event_id BLOB NOT NULL,
    done_at TEXT NOT NULL,
    PRIMARY KEY (consumer, event_id)
) STRICT;

-- How far each consumer got (the time of the newest event it handled): it looks for unmarked
-- events from a while before this point on, not through the whole history.
CREATE TABLE consumer_progress (
    consumer TEXT PRIMARY KEY,
    handled_to TEXT NOT NULL
) STRICT;

-- Payments paid before receipts existed get none: their clients were told by other means, and
-- an upgrade must not send a message for each old payment.
INSERT INTO consumer_marks (consumer, event_id, done_at)
    SELECT 'receipts', id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z' FROM payment_events
    WHERE kind = 'state_changed' AND detail ->> 'to' = 'paid';
INSERT INTO consumer_progress (consumer, handled_to)
    SELECT 'receipts', MAX(created_at) FROM payment_events
    WHERE kind = 'state_changed' AND detail ->> 'to' = 'paid'
    HAVING COUNT(*) > 0;

-- The receipts consumer looks for payments that became paid.
CREATE INDEX payment_events_paid_idx ON payment_events (created_at, id)
    WHERE kind = 'state_changed' AND detail ->> 'to' = 'paid';
