-- Which payment events the relay has handed to the message broker (the event log itself is
-- append-only, so delivery is recorded beside it).
CREATE TABLE event_deliveries (
    event_id UUID PRIMARY KEY,
    delivered_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX payment_events_created_idx ON payment_events (created_at, id);
