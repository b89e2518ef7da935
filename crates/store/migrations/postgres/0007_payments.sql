-- Payments through PayTabs: the payment, its refunds, the IPN receipts that make redelivery
-- harmless, and the append-only event log.

CREATE TABLE payments (
    id UUID PRIMARY KEY,
    org_id UUID NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    client_id UUID NOT NULL REFERENCES users (id),
    contract_id UUID REFERENCES contracts (id),
    instalment_seq INTEGER,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL,
    description TEXT NOT NULL,
    state TEXT NOT NULL,
    tran_ref TEXT UNIQUE,
    redirect_url TEXT,
    page_issued_at TIMESTAMPTZ,
    refunded_minor BIGINT NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor),
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX payments_org_idx ON payments (org_id, id);
CREATE INDEX payments_state_idx ON payments (state, page_issued_at);
-- One live payment per instalment (failed attempts may be retried).
CREATE UNIQUE INDEX payments_instalment_uq ON payments (contract_id, instalment_seq)
    WHERE contract_id IS NOT NULL AND state NOT IN ('declined', 'cancelled', 'expired', 'failed');

CREATE TABLE refunds (
    id UUID PRIMARY KEY,
    payment_id UUID NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    reason TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed')),
    tran_ref TEXT,
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    settled_at TIMESTAMPTZ
);
CREATE INDEX refunds_payment_idx ON refunds (payment_id, id);

CREATE TABLE ipn_receipts (
    tran_ref TEXT NOT NULL,
    ipn_trace TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tran_ref, ipn_trace)
);

CREATE TABLE payment_events (
    id UUID PRIMARY KEY,
    payment_id UUID NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    actor_id UUID,
    source TEXT NOT NULL,
    gateway_trace TEXT,
    detail JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX payment_events_payment_idx ON payment_events (payment_id, id);

CREATE FUNCTION payment_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'payment_events is append-only';
END;
$$;
CREATE TRIGGER payment_events_no_update BEFORE UPDATE ON payment_events
    FOR EACH ROW EXECUTE FUNCTION payment_events_append_only();
