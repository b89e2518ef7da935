-- Organization-level compound earnings: the net of a period's project earnings in one
-- currency, rolled up once, with the earnings it was made from.
CREATE TABLE compound_earnings (
    id BLOB PRIMARY KEY,
    org_id BLOB NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    period_start TEXT NOT NULL,
    currency TEXT NOT NULL,
    net_minor INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (org_id, period, period_start, currency)
) STRICT;

CREATE TABLE compound_components (
    compound_id BLOB NOT NULL REFERENCES compound_earnings (id) ON DELETE CASCADE,
    earning_id BLOB NOT NULL REFERENCES earnings (id),
    PRIMARY KEY (compound_id, earning_id)
) STRICT;
