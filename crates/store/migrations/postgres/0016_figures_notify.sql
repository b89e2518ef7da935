-- Every instance keeps each organization's dashboard figures in memory (issue 11): projects
-- and contracts per status, payouts per currency. These triggers tell every instance, on the
-- same channel as access changes (0015), when a row they count changes: payload o:<org>.
-- PostgreSQL folds identical notifications of one transaction into one, so a bulk write of
-- one organization sends one. Only the columns the figures read fire on update.
CREATE FUNCTION nestcms_org_figures_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('nestcms_access', 'o:' || OLD.org_id::text);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('nestcms_access', 'o:' || NEW.org_id::text);
    END IF;
    RETURN NULL;
END $$;

-- Rows that name their parent, not the organization: the parent's. A parent already deleted
-- (a cascade) has sent its own notification.
CREATE FUNCTION nestcms_child_figures_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    org UUID;
BEGIN
    -- Each branch names only its own table's columns (PL/pgSQL resolves them when it runs).
    IF TG_TABLE_NAME = 'project_workers' THEN
        SELECT org_id INTO org FROM projects
            WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.project_id ELSE NEW.project_id END;
    ELSE
        SELECT org_id INTO org FROM contracts
            WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.contract_id ELSE NEW.contract_id END;
    END IF;
    IF org IS NOT NULL THEN
        PERFORM pg_notify('nestcms_access', 'o:' || org::text);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER projects_figures_changed
    AFTER INSERT OR UPDATE OF status, client_id, manager_id, org_id OR DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION nestcms_org_figures_changed();
CREATE TRIGGER contracts_figures_changed
    AFTER INSERT OR UPDATE OF status, client_id, org_id OR DELETE ON contracts
    FOR EACH ROW EXECUTE FUNCTION nestcms_org_figures_changed();
CREATE TRIGGER payouts_figures_changed AFTER INSERT OR UPDATE OR DELETE ON commission_payouts
    FOR EACH ROW EXECUTE FUNCTION nestcms_org_figures_changed();
CREATE TRIGGER workers_figures_changed AFTER INSERT OR UPDATE OR DELETE ON project_workers
    FOR EACH ROW EXECUTE FUNCTION nestcms_child_figures_changed();
CREATE TRIGGER contract_employees_figures_changed
    AFTER INSERT OR UPDATE OR DELETE ON contract_employees
    FOR EACH ROW EXECUTE FUNCTION nestcms_child_figures_changed();
