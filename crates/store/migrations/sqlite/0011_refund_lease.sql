-- When a reconciler last took a pending refund in hand: a lease, so that two instances never
-- both ask the gateway to execute the same refund.
ALTER TABLE refunds ADD COLUMN reconciling_since TEXT;
