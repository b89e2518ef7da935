-- Schedules (appointments and project timelines), salaries, and public articles with
-- full-text search.

CREATE TABLE schedules (
    id UUID PRIMARY KEY,
    org_id UUID NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('appointment', 'timeline')),
    title TEXT NOT NULL,
    project_id UUID REFERENCES projects (id) ON DELETE CASCADE,
    client_id UUID REFERENCES users (id),
    employee_id UUID REFERENCES users (id),
    starts_at TIMESTAMPTZ NOT NULL,
    ends_at TIMESTAMPTZ NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('scheduled', 'done', 'cancelled')),
    created_at TIMESTAMPTZ NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX schedules_org_idx ON schedules (org_id, starts_at);
CREATE INDEX schedules_employee_idx ON schedules (employee_id, starts_at);
CREATE INDEX schedules_client_idx ON schedules (client_id, starts_at);

CREATE TABLE salaries (
    id UUID PRIMARY KEY,
    org_id UUID NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    employee_id UUID NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL,
    period TEXT NOT NULL CHECK (period IN ('monthly', 'yearly')),
    next_payout_date DATE NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX salaries_org_idx ON salaries (org_id, employee_id);

CREATE TABLE articles (
    id UUID PRIMARY KEY,
    org_id UUID NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    author_id UUID NOT NULL REFERENCES users (id),
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    published_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    search TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || body)) STORED
);
CREATE INDEX articles_published_idx ON articles (status, id);
CREATE INDEX articles_org_idx ON articles (org_id, id);
CREATE INDEX articles_search_idx ON articles USING GIN (search);
