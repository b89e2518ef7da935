-- Schedules (appointments and project timelines), salaries, and public articles with
-- full-text search (FTS5, kept in step by triggers).

CREATE TABLE schedules (
    id BLOB PRIMARY KEY,
    org_id BLOB NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('appointment', 'timeline')),
    title TEXT NOT NULL,
    project_id BLOB REFERENCES projects (id) ON DELETE CASCADE,
    client_id BLOB REFERENCES users (id),
    employee_id BLOB REFERENCES users (id),
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('scheduled', 'done', 'cancelled')),
    created_at TEXT NOT NULL,
    CHECK (ends_at > starts_at)
) STRICT;
CREATE INDEX schedules_org_idx ON schedules (org_id, starts_at);
CREATE INDEX schedules_employee_idx ON schedules (employee_id, starts_at);
CREATE INDEX schedules_client_idx ON schedules (client_id, starts_at);

CREATE TABLE salaries (
    id BLOB PRIMARY KEY,
    org_id BLOB NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    employee_id BLOB NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL,
    period TEXT NOT NULL CHECK (period IN ('monthly', 'yearly')),
    next_payout_date TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX salaries_org_idx ON salaries (org_id, employee_id);

CREATE TABLE articles (
    id BLOB PRIMARY KEY,
    org_id BLOB NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    author_id BLOB NOT NULL REFERENCES users (id),
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    published_at TEXT,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX articles_published_idx ON articles (status, id);
CREATE INDEX articles_org_idx ON articles (org_id, id);

CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, content = 'articles', content_rowid = 'rowid');
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, body) VALUES (new.rowid, new.title, new.body);
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, body) VALUES ('delete', old.rowid, old.title, old.body);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, body) VALUES ('delete', old.rowid, old.title, old.body);
    INSERT INTO articles_fts (rowid, title, body) VALUES (new.rowid, new.title, new.body);
END;
