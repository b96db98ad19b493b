-- Every process caches the credentials it authenticates; these triggers tell all of them (on the
-- `hot` channel, delivered when the change commits) when a cached credential may have changed:
-- revoked, re-scoped, moved, or its org's plan changed. Writes of last_used_at do not fire them.

CREATE FUNCTION hot_notify_credential() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind text := TG_ARGV[0];
    id uuid;
BEGIN
    EXECUTE format('SELECT ($1).%I', TG_ARGV[1]) INTO id USING OLD;
    PERFORM pg_notify('hot', json_build_object('k', kind, 'id', id)::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER api_key_changed AFTER UPDATE OF revoked_at, permissions, secret_hash, env_id OR DELETE ON api_key
    FOR EACH ROW EXECUTE FUNCTION hot_notify_credential('apikey', 'api_key_id');
CREATE TRIGGER session_changed AFTER UPDATE OF revoked_at, permissions, secret_hash, expires_at, env_id, api_key_id OR DELETE ON session
    FOR EACH ROW EXECUTE FUNCTION hot_notify_credential('cred', 'session_id');
CREATE TRIGGER service_key_changed AFTER UPDATE OF revoked_at, permissions, secret_hash, expires_at, env_id, api_key_id OR DELETE ON service_key
    FOR EACH ROW EXECUTE FUNCTION hot_notify_credential('cred', 'service_key_id');
CREATE TRIGGER env_changed AFTER UPDATE OF name, org_id, active OR DELETE ON env
    FOR EACH ROW EXECUTE FUNCTION hot_notify_credential('env', 'env_id');
CREATE TRIGGER org_changed AFTER UPDATE OF plan OR DELETE ON org
    FOR EACH ROW EXECUTE FUNCTION hot_notify_credential('org', 'org_id');
