-- Idempotency keys for requests that create or move money (Stripe semantics), kept 24 hours;
-- and the payment event log made delete-proof as well as update-proof.
CREATE TABLE idempotency_keys (
    principal UUID NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('in_progress', 'done')),
    status INTEGER,
    response_body TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    locked_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

CREATE TRIGGER payment_events_no_delete BEFORE DELETE ON payment_events
    FOR EACH ROW EXECUTE FUNCTION payment_events_append_only();
