-- Every instance keeps open sessions, memberships and grants in memory (issue 11). These
-- triggers tell the others when one changes: NOTIFY is part of the transaction, so it is
-- delivered at commit and never for a change rolled back. Payloads: s:<session>,
-- m:<org>:<user>, g:<org>:<user>. Changes made by hand in psql are heard too.
CREATE FUNCTION nestcms_session_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('nestcms_access', 's:' || OLD.id::text);
    RETURN NULL;
END $$;

-- Memberships and grants both name (org_id, user_id).
CREATE FUNCTION nestcms_member_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tag TEXT := CASE TG_TABLE_NAME WHEN 'memberships' THEN 'm:' ELSE 'g:' END;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('nestcms_access', tag || OLD.org_id::text || ':' || OLD.user_id::text);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('nestcms_access', tag || NEW.org_id::text || ':' || NEW.user_id::text);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER sessions_access_changed AFTER UPDATE OF revoked_at, user_id OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION nestcms_session_changed();
CREATE TRIGGER memberships_access_changed AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION nestcms_member_access_changed();
CREATE TRIGGER grants_access_changed AFTER INSERT OR UPDATE OR DELETE ON grants
    FOR EACH ROW EXECUTE FUNCTION nestcms_member_access_changed();

-- The instances listening, so a writer knows whose confirmation to wait for (see
-- `nestcms_store::access::fanout`). Each listener refreshes its row every few seconds; an old
-- row is an instance that stopped.
CREATE TABLE access_listeners (
    instance UUID PRIMARY KEY,
    heartbeat_at TIMESTAMPTZ NOT NULL
);
