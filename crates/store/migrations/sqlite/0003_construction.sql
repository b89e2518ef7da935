-- The construction domain: offers, contracts with instalments, projects with steps, designs
-- (versioned), workers and notes, earnings, commissions and their payouts.
-- Money is INTEGER minor units beside a currency code. Dates are TEXT.

CREATE TABLE offers (
    id BLOB PRIMARY KEY,
    org_id BLOB NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    client_id BLOB NOT NULL REFERENCES users (id),
    author_id BLOB NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    scope TEXT NOT NULL,
    price_minor INTEGER NOT NULL CHECK (price_minor > 0),
    currency TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    status TEXT NOT NULL,
    contract_id BLOB,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX offers_org_idx ON offers (org_id, id);
CREATE INDEX offers_client_idx ON offers (org_id, client_id, id);

CREATE TABLE contracts (
    id BLOB PRIMARY KEY,
    org_id BLOB NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    offer_id BLOB UNIQUE REFERENCES offers (id),
    client_id BLOB NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    document_ref TEXT,
    total_minor INTEGER NOT NULL CHECK (total_minor > 0),
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX contracts_org_idx ON contracts (org_id, id);
CREATE INDEX contracts_client_idx ON contracts (org_id, client_id, id);
CREATE INDEX contracts_status_idx ON contracts (org_id, status);

CREATE TABLE contract_employees (
    contract_id BLOB NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    user_id BLOB NOT NULL REFERENCES users (id),
    PRIMARY KEY (contract_id, user_id)
) STRICT;

CREATE TABLE instalments (
    contract_id BLOB NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    due_date TEXT NOT NULL,
    PRIMARY KEY (contract_id, seq)
) STRICT;

CREATE TABLE projects (
    id BLOB PRIMARY KEY,
    org_id BLOB NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    contract_id BLOB REFERENCES contracts (id),
    client_id BLOB REFERENCES users (id),
    manager_id BLOB NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX projects_org_idx ON projects (org_id, id);
CREATE INDEX projects_status_idx ON projects (org_id, status);
CREATE INDEX projects_client_idx ON projects (org_id, client_id, id);
CREATE INDEX projects_manager_idx ON projects (manager_id);

CREATE TABLE project_steps (
    id BLOB PRIMARY KEY,
    project_id BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    start_date TEXT,
    end_date TEXT,
    completed_at TEXT,
    UNIQUE (project_id, position)
) STRICT;

CREATE TABLE designs (
    id BLOB PRIMARY KEY,
    project_id BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX designs_project_idx ON designs (project_id);

CREATE TABLE design_versions (
    design_id BLOB NOT NULL REFERENCES designs (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    url TEXT,
    file_key TEXT,
    file_name TEXT,
    content_type TEXT,
    size_bytes INTEGER,
    created_by BLOB NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (design_id, version)
) STRICT;

CREATE TABLE project_workers (
    project_id BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id BLOB NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (project_id, user_id)
) STRICT;
CREATE INDEX project_workers_user_idx ON project_workers (user_id);

CREATE TABLE notes (
    id BLOB PRIMARY KEY,
    project_id BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    target TEXT NOT NULL,
    design_id BLOB REFERENCES designs (id) ON DELETE CASCADE,
    author_id BLOB NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    read_at TEXT,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX notes_project_idx ON notes (project_id, id);

CREATE TABLE earnings (
    id BLOB PRIMARY KEY,
    org_id BLOB NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    project_id BLOB REFERENCES projects (id),
    kind TEXT NOT NULL CHECK (kind IN ('profit', 'loss')),
    period TEXT NOT NULL,
    period_start TEXT NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL,
    title TEXT NOT NULL,
    distributed_at TEXT,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX earnings_org_idx ON earnings (org_id, id);
-- Covers the trend, totals and top-projects queries (see docs/ANALYTICS.md).
CREATE INDEX earnings_analytics_idx ON earnings (org_id, currency, period_start, project_id, kind, amount_minor);
CREATE INDEX earnings_project_idx ON earnings (project_id, id);

CREATE TABLE commissions (
    id BLOB PRIMARY KEY,
    org_id BLOB NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    project_id BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    employee_id BLOB NOT NULL REFERENCES users (id),
    rate_bp INTEGER NOT NULL CHECK (rate_bp > 0 AND rate_bp <= 10000),
    created_at TEXT NOT NULL,
    UNIQUE (project_id, employee_id)
) STRICT;

CREATE TABLE commission_payouts (
    earning_id BLOB NOT NULL REFERENCES earnings (id),
    commission_id BLOB NOT NULL REFERENCES commissions (id),
    org_id BLOB NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    employee_id BLOB NOT NULL REFERENCES users (id),
    amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency TEXT NOT NULL,
    period_start TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (earning_id, commission_id)
) STRICT;
CREATE INDEX payouts_analytics_idx ON commission_payouts (org_id, currency, employee_id, amount_minor);
