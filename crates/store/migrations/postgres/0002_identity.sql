-- Identity and access: users, organizations, memberships, grants, sessions, login throttling
-- and the append-only security audit log.

CREATE TABLE users (
    id UUID PRIMARY KEY,
    email TEXT NOT NULL,
    full_name TEXT NOT NULL,
    phone TEXT,
    address JSONB,
    password_hash TEXT NOT NULL,
    password_changed_at TIMESTAMPTZ NOT NULL,
    totp_secret TEXT,
    mfa_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    totp_last_step BIGINT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX users_email_uq ON users (email);

CREATE TABLE recovery_codes (
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TIMESTAMPTZ,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE orgs (
    id UUID PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    address JSONB,
    profit_bp INTEGER NOT NULL CHECK (profit_bp BETWEEN 0 AND 10000),
    require_mfa BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE memberships (
    org_id UUID NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'employee', 'client')),
    employee_type TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE grants (
    id UUID PRIMARY KEY,
    org_id UUID NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    verb TEXT NOT NULL,
    object_kind TEXT NOT NULL,
    object_id UUID NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('granted', 'revoked')),
    granted_by UUID NOT NULL REFERENCES users (id),
    granted_at TIMESTAMPTZ NOT NULL,
    revoked_by UUID REFERENCES users (id),
    revoked_at TIMESTAMPTZ
);
CREATE INDEX grants_lookup_idx ON grants (org_id, user_id, object_kind, object_id);

CREATE TABLE sessions (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    session_id UUID NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    rotated_at TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

CREATE TABLE login_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE security_events (
    id UUID PRIMARY KEY,
    org_id UUID,
    actor_id UUID,
    subject_id UUID,
    session_id UUID,
    kind TEXT NOT NULL,
    ip TEXT,
    detail JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX security_events_org_idx ON security_events (org_id, id);
CREATE INDEX security_events_subject_idx ON security_events (subject_id, id);

CREATE FUNCTION security_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'security_events is append-only';
END;
$$;
CREATE TRIGGER security_events_no_change BEFORE UPDATE OR DELETE ON security_events
    FOR EACH ROW EXECUTE FUNCTION security_events_append_only();
