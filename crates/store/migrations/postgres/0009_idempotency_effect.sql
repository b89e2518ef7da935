-- The effect an idempotency key produced (a payment or refund id), written in the same
-- transaction as that effect, so a retry after a crash finds it instead of repeating it.
ALTER TABLE idempotency_keys ADD COLUMN effect_id TEXT;
