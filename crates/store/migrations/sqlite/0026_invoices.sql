-- Invoices (issue 13): tax profiles, invoices and notes, gap-free numbers per series and the
-- organization's chain of documents (ZATCA's counter and previous-document hash).
CREATE TABLE tax_profiles (
    org_id BLOB PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    country TEXT NOT NULL,
    legal_name_en TEXT NOT NULL,
    legal_name_ar TEXT NOT NULL,
    vat_number TEXT,
    street TEXT NOT NULL,
    city TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    -- Basis points (1500 = 15 %).
    default_rate INTEGER NOT NULL,
    prices_include_vat INTEGER NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE invoices (
    id BLOB PRIMARY KEY,
    org_id BLOB NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    -- 'invoice', 'credit_note' or 'debit_note'.
    kind TEXT NOT NULL,
    -- 'standard' or 'simplified'.
    form TEXT NOT NULL,
    -- 'draft', 'issued', 'partially_paid', 'paid' or 'void'.
    state TEXT NOT NULL,
    number INTEGER,
    counter INTEGER,
    previous_hash TEXT,
    hash TEXT,
    issued_at TEXT,
    due_on TEXT,
    currency TEXT NOT NULL,
    prices_include_vat INTEGER NOT NULL,
    -- The seller's tax profile as it stood at issue.
    seller TEXT,
    buyer TEXT NOT NULL,
    client_id BLOB REFERENCES users (id) ON DELETE SET NULL,
    lines TEXT NOT NULL,
    -- Minor units; each the sum of the lines.
    total_net INTEGER NOT NULL,
    total_vat INTEGER NOT NULL,
    total_gross INTEGER NOT NULL,
    breakdown TEXT NOT NULL,
    paid INTEGER NOT NULL DEFAULT 0,
    credited INTEGER NOT NULL DEFAULT 0,
    payment_id BLOB REFERENCES payments (id) ON DELETE SET NULL,
    contract_id BLOB,
    instalment_seq INTEGER,
    -- The payment event that caused it: one document per event.
    source_event BLOB UNIQUE,
    references_id BLOB REFERENCES invoices (id),
    reason TEXT,
    note TEXT NOT NULL,
    created_by BLOB,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (org_id, kind, number),
    UNIQUE (org_id, counter)
) STRICT;
CREATE INDEX invoices_org_idx ON invoices (org_id, created_at DESC, id DESC);
CREATE INDEX invoices_payment_idx ON invoices (payment_id) WHERE payment_id IS NOT NULL;
CREATE INDEX invoices_references_idx ON invoices (references_id) WHERE references_id IS NOT NULL;

-- An issued document is immutable: only its state and what was paid or credited move, and
-- it is never deleted.
CREATE TRIGGER invoices_immutable BEFORE UPDATE ON invoices
    WHEN OLD.state <> 'draft' AND (
        NEW.number IS NOT OLD.number OR NEW.counter IS NOT OLD.counter
        OR NEW.hash IS NOT OLD.hash OR NEW.previous_hash IS NOT OLD.previous_hash
        OR NEW.issued_at IS NOT OLD.issued_at OR NEW.lines IS NOT OLD.lines
        OR NEW.buyer IS NOT OLD.buyer OR NEW.seller IS NOT OLD.seller
        OR NEW.total_gross IS NOT OLD.total_gross OR NEW.total_vat IS NOT OLD.total_vat
        OR NEW.kind IS NOT OLD.kind OR NEW.currency IS NOT OLD.currency
        OR NEW.state = 'draft')
BEGIN
    SELECT RAISE(ABORT, 'invoice_issued_immutable: an issued invoice is immutable');
END;
CREATE TRIGGER invoices_never_deleted BEFORE DELETE ON invoices
    WHEN OLD.state <> 'draft'
BEGIN
    SELECT RAISE(ABORT, 'invoice_issued_immutable: an issued invoice is never deleted');
END;

-- The last number given in each series.
CREATE TABLE invoice_sequences (
    org_id BLOB NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    last_number INTEGER NOT NULL,
    PRIMARY KEY (org_id, kind)
) STRICT;

-- The organization's chain of documents: the last counter and the last document's hash.
CREATE TABLE invoice_chains (
    org_id BLOB PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    counter INTEGER NOT NULL,
    last_hash TEXT NOT NULL
) STRICT;

-- The PDF of an issued document, kept as first rendered so it never changes, whatever later
-- releases do to the template.
CREATE TABLE invoice_pdfs (
    invoice_id BLOB PRIMARY KEY REFERENCES invoices (id),
    pdf BLOB NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

-- Money received against an invoice or debit note outside the gateway (bank transfer, cash).
CREATE TABLE invoice_payments (
    id BLOB PRIMARY KEY,
    invoice_id BLOB NOT NULL REFERENCES invoices (id),
    org_id BLOB NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    method TEXT NOT NULL,
    reference TEXT NOT NULL,
    paid_on TEXT NOT NULL,
    recorded_by BLOB NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX invoice_payments_invoice_idx ON invoice_payments (invoice_id);
