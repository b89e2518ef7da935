-- The W3C trace context of the work that recorded each payment event, so the relay and
-- consumers continue the same trace (issue 10).
ALTER TABLE payment_events ADD COLUMN traceparent TEXT;
ALTER TABLE payment_events ADD COLUMN tracestate TEXT;
