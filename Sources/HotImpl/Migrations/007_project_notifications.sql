-- Every process caches the projects it resolves by id or name, and the project list pages it
-- serves; this trigger tells all of them (on the `hot` channel, when the change commits) that a
-- project of an env changed: created, renamed, activated or deleted (an env's deletion cascades
-- here too, row by row). A project moved to another env names both.

CREATE FUNCTION hot_notify_project() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify('hot', json_build_object('k', 'project', 'id', OLD.project_id, 'env', OLD.env_id)::text);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.env_id IS DISTINCT FROM OLD.env_id) THEN
        PERFORM pg_notify('hot', json_build_object('k', 'project', 'id', NEW.project_id, 'env', NEW.env_id)::text);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER project_changed AFTER INSERT OR UPDATE OR DELETE ON project
    FOR EACH ROW EXECUTE FUNCTION hot_notify_project();
