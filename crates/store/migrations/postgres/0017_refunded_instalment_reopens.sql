-- A fully refunded instalment payment no longer holds the instalment (issue 12): the client
-- owes it again and may pay it with a new payment. The one-live-payment rule of 0007 now also
-- sets refunded payments aside.
DROP INDEX payments_instalment_uq;
CREATE UNIQUE INDEX payments_instalment_uq ON payments (contract_id, instalment_seq)
    WHERE contract_id IS NOT NULL
      AND state NOT IN ('declined', 'cancelled', 'expired', 'failed', 'refunded');

-- A contract's page lists the payments of its instalments.
CREATE INDEX payments_contract_idx ON payments (contract_id, created_at) WHERE contract_id IS NOT NULL;
