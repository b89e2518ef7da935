-- Invitations replace adding members directly by e-mail: the invitee accepts, and the inviter
-- learns nothing about whether an account uses the address; answering needs the invitation's
-- token, which only the inviter received.
CREATE TABLE invitations (
    id BLOB PRIMARY KEY,
    org_id BLOB NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'employee', 'client')),
    employee_type TEXT,
    invited_by BLOB NOT NULL REFERENCES users (id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'revoked', 'expired')),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    decided_at TEXT,
    -- SHA-256 of the token the invitee needs to answer (the token itself is never stored).
    token_hash TEXT NOT NULL UNIQUE
) STRICT;
CREATE UNIQUE INDEX invitations_one_pending ON invitations (org_id, email) WHERE status = 'pending';
