-- Invoices (issue 13): tax profiles, invoices and notes, gap-free numbers per series and the
-- organization's chain of documents (ZATCA's counter and previous-document hash).
CREATE TABLE tax_profiles (
    org_id UUID PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    country TEXT NOT NULL,
    legal_name_en TEXT NOT NULL,
    legal_name_ar TEXT NOT NULL,
    vat_number TEXT,
    street TEXT NOT NULL,
    city TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    -- Basis points (1500 = 15 %).
    default_rate INTEGER NOT NULL,
    prices_include_vat BOOLEAN NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE invoices (
    id UUID PRIMARY KEY,
    org_id UUID NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    -- 'invoice', 'credit_note' or 'debit_note'.
    kind TEXT NOT NULL,
    -- 'standard' or 'simplified'.
    form TEXT NOT NULL,
    -- 'draft', 'issued', 'partially_paid', 'paid' or 'void'.
    state TEXT NOT NULL,
    number BIGINT,
    counter BIGINT,
    previous_hash TEXT,
    hash TEXT,
    issued_at TIMESTAMPTZ,
    due_on DATE,
    currency TEXT NOT NULL,
    prices_include_vat BOOLEAN NOT NULL,
    -- The seller's tax profile as it stood at issue.
    seller JSONB,
    buyer JSONB NOT NULL,
    client_id UUID REFERENCES users (id) ON DELETE SET NULL,
    lines JSONB NOT NULL,
    -- Minor units; each the sum of the lines.
    total_net BIGINT NOT NULL,
    total_vat BIGINT NOT NULL,
    total_gross BIGINT NOT NULL,
    breakdown JSONB NOT NULL,
    paid BIGINT NOT NULL DEFAULT 0,
    credited BIGINT NOT NULL DEFAULT 0,
    payment_id UUID REFERENCES payments (id) ON DELETE SET NULL,
    contract_id UUID,
    instalment_seq INTEGER,
    -- The payment event that caused it: one document per event.
    source_event UUID UNIQUE,
    references_id UUID REFERENCES invoices (id),
    reason TEXT,
    note TEXT NOT NULL,
    created_by UUID,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, kind, number),
    UNIQUE (org_id, counter)
);
CREATE INDEX invoices_org_idx ON invoices (org_id, created_at DESC, id DESC);
CREATE INDEX invoices_payment_idx ON invoices (payment_id) WHERE payment_id IS NOT NULL;
CREATE INDEX invoices_references_idx ON invoices (references_id) WHERE references_id IS NOT NULL;

-- An issued document is immutable: only its state and what was paid or credited move, and
-- it is never deleted.
CREATE FUNCTION invoices_issued_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.state <> 'draft' THEN
            RAISE EXCEPTION 'an issued invoice is never deleted' USING ERRCODE = 'check_violation', CONSTRAINT = 'invoice_issued_immutable';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.state <> 'draft' AND (
        NEW.number IS DISTINCT FROM OLD.number OR NEW.counter IS DISTINCT FROM OLD.counter
        OR NEW.hash IS DISTINCT FROM OLD.hash OR NEW.previous_hash IS DISTINCT FROM OLD.previous_hash
        OR NEW.issued_at IS DISTINCT FROM OLD.issued_at OR NEW.lines IS DISTINCT FROM OLD.lines
        OR NEW.buyer IS DISTINCT FROM OLD.buyer OR NEW.seller IS DISTINCT FROM OLD.seller
        OR NEW.total_gross IS DISTINCT FROM OLD.total_gross OR NEW.total_vat IS DISTINCT FROM OLD.total_vat
        OR NEW.kind IS DISTINCT FROM OLD.kind OR NEW.currency IS DISTINCT FROM OLD.currency
        OR NEW.state = 'draft'
    ) THEN
        RAISE EXCEPTION 'an issued invoice is immutable' USING ERRCODE = 'check_violation', CONSTRAINT = 'invoice_issued_immutable';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER invoices_immutable BEFORE UPDATE OR DELETE ON invoices
    FOR EACH ROW EXECUTE FUNCTION invoices_issued_immutable();

-- The last number given in each series.
CREATE TABLE invoice_sequences (
    org_id UUID NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    last_number BIGINT NOT NULL,
    PRIMARY KEY (org_id, kind)
);

-- The organization's chain of documents: the last counter and the last document's hash.
CREATE TABLE invoice_chains (
    org_id UUID PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    counter BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);

-- The PDF of an issued document, kept as first rendered so it never changes, whatever later
-- releases do to the template.
CREATE TABLE invoice_pdfs (
    invoice_id UUID PRIMARY KEY REFERENCES invoices (id),
    pdf BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Money received against an invoice or debit note outside the gateway (bank transfer, cash).
CREATE TABLE invoice_payments (
    id UUID PRIMARY KEY,
    invoice_id UUID NOT NULL REFERENCES invoices (id),
    org_id UUID NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    method TEXT NOT NULL,
    reference TEXT NOT NULL,
    paid_on DATE NOT NULL,
    recorded_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX invoice_payments_invoice_idx ON invoice_payments (invoice_id);
