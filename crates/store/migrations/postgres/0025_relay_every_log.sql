-- The relay now hands domain events and the security events people are told of to the
-- message broker too (issue 12), so consumers at scale read them from queues. Those recorded
-- before the upgrade were handled already by the consumers that polled for them: they count
-- as delivered, so an upgrade does not replay history onto the broker.
INSERT INTO event_deliveries (event_id, delivered_at)
    SELECT id, now() FROM domain_events
    ON CONFLICT DO NOTHING;
INSERT INTO event_deliveries (event_id, delivered_at)
    SELECT id, now() FROM security_events
    WHERE kind IN ('password_changed', 'mfa_enabled', 'mfa_disabled')
    ON CONFLICT DO NOTHING;

-- The webhook sender takes the oldest due message of each endpoint, so one slow or flooded
-- endpoint never holds up the others: this finds an endpoint's older due message quickly.
CREATE INDEX webhook_messages_endpoint_due_idx ON webhook_messages (endpoint_id, next_attempt_at, id)
    WHERE status = 'pending';

-- Payment links (issue 12): payments created before links existed are not announced after an
-- upgrade.
INSERT INTO consumer_marks (consumer, event_id, done_at)
    SELECT 'payment-links', id, now() FROM payment_events WHERE kind = 'created';
INSERT INTO consumer_progress (consumer, handled_to)
    SELECT 'payment-links', MAX(created_at) FROM payment_events HAVING COUNT(*) > 0;

-- Until when a sender holds a message's attempt (NULL once it is logged): an endpoint with an
-- attempt in flight gets no second one at once, so a slow receiver takes one sender slot.
ALTER TABLE webhook_messages ADD COLUMN leased_until TIMESTAMPTZ;
