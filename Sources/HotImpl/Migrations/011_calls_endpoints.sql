-- Webhooks and MCP tools are reached at URLs that name the org by its slug and the env by its name
-- (docs/calls.md). The default org's slug is `default`; another org's is its name made URL-safe,
-- followed by the first 8 hex digits of its id, so two orgs of one name never share a slug.
ALTER TABLE org ADD COLUMN slug text GENERATED ALWAYS AS (
    CASE WHEN is_default THEN 'default'
         ELSE coalesce(nullif(trim(both '-' from left(regexp_replace(lower(name), '[^a-z0-9]+', '-', 'g'), 40)), ''), 'org')
              || '-' || left(replace(org_id::text, '-', ''), 8)
    END) STORED;
CREATE UNIQUE INDEX org_slug ON org (slug);

-- Who made a call through a webhook or an MCP tool: `{"via", "service", "name", "request_id",
-- "credential": {"kind", "id"} | null}`. Never a secret: a service key's metadata is read (and
-- decrypted) from the key when its run is sent to the runtime.
ALTER TABLE event ADD COLUMN caller jsonb;

-- Webhooks are looked up by their URL: service, path and token within the deployed builds.
CREATE INDEX webhook_token ON webhook (token);
