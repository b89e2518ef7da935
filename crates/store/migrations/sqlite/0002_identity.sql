-- Identity and access: users, organizations, memberships, grants, sessions, login throttling
-- and the append-only security audit log.

CREATE TABLE users (
    id BLOB PRIMARY KEY,
    email TEXT NOT NULL,
    full_name TEXT NOT NULL,
    phone TEXT,
    address TEXT,
    password_hash TEXT NOT NULL,
    password_changed_at TEXT NOT NULL,
    totp_secret TEXT,
    mfa_enabled INTEGER NOT NULL DEFAULT 0,
    totp_last_step INTEGER,
    created_at TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX users_email_uq ON users (email);

CREATE TABLE recovery_codes (
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TEXT,
    PRIMARY KEY (user_id, code_hash)
) STRICT;

CREATE TABLE orgs (
    id BLOB PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    address TEXT,
    profit_bp INTEGER NOT NULL CHECK (profit_bp BETWEEN 0 AND 10000),
    require_mfa INTEGER NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE memberships (
    org_id BLOB NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'employee', 'client')),
    employee_type TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id)
) STRICT;
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE grants (
    id BLOB PRIMARY KEY,
    org_id BLOB NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    verb TEXT NOT NULL,
    object_kind TEXT NOT NULL,
    object_id BLOB NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('granted', 'revoked')),
    granted_by BLOB NOT NULL REFERENCES users (id),
    granted_at TEXT NOT NULL,
    revoked_by BLOB REFERENCES users (id),
    revoked_at TEXT
) STRICT;
CREATE INDEX grants_lookup_idx ON grants (org_id, user_id, object_kind, object_id);

CREATE TABLE sessions (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    ip TEXT,
    user_agent TEXT
) STRICT;
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    session_id BLOB NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    rotated_at TEXT
) STRICT;
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

CREATE TABLE login_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure_at TEXT NOT NULL
) STRICT;

CREATE TABLE security_events (
    id BLOB PRIMARY KEY,
    org_id BLOB,
    actor_id BLOB,
    subject_id BLOB,
    session_id BLOB,
    kind TEXT NOT NULL,
    ip TEXT,
    detail TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX security_events_org_idx ON security_events (org_id, id);
CREATE INDEX security_events_subject_idx ON security_events (subject_id, id);

CREATE TRIGGER security_events_no_update BEFORE UPDATE ON security_events
BEGIN
    SELECT RAISE(ABORT, 'security_events is append-only');
END;
CREATE TRIGGER security_events_no_delete BEFORE DELETE ON security_events
BEGIN
    SELECT RAISE(ABORT, 'security_events is append-only');
END;
