-- The MCP tools and webhooks a build's manifest declares (docs/bundles.md, docs/calls.md).

CREATE TABLE mcp_tool (
    mcp_tool_id    uuid PRIMARY KEY,
    build_id       uuid NOT NULL REFERENCES build (build_id) ON DELETE CASCADE,
    project_id     uuid NOT NULL REFERENCES project (project_id) ON DELETE CASCADE,
    service        text NOT NULL,
    name           text NOT NULL,
    ns             text NOT NULL,
    var            text NOT NULL,
    description    text,
    title          text,
    input_schema   jsonb NOT NULL,
    output_schema  jsonb,
    annotations    jsonb,
    auth_mode      text NOT NULL CHECK (auth_mode IN ('required', 'none')),
    meta           jsonb NOT NULL DEFAULT '{}',
    module         text,
    position       integer NOT NULL,
    UNIQUE (build_id, service, name)
);
CREATE INDEX mcp_tool_function ON mcp_tool (ns, var);

CREATE TABLE webhook (
    webhook_id   uuid PRIMARY KEY,
    build_id     uuid NOT NULL REFERENCES build (build_id) ON DELETE CASCADE,
    project_id   uuid NOT NULL REFERENCES project (project_id) ON DELETE CASCADE,
    service      text NOT NULL,
    path         text NOT NULL,
    method       text NOT NULL,
    name         text,
    ns           text NOT NULL,
    var          text NOT NULL,
    description  text,
    auth_mode    text NOT NULL CHECK (auth_mode IN ('required', 'none')),
    meta         jsonb NOT NULL DEFAULT '{}',
    module       text,
    -- 12 hex digits made when the project first declares the webhook, kept by its later builds.
    token        text NOT NULL,
    position     integer NOT NULL,
    UNIQUE (build_id, service, path, method)
);
CREATE INDEX webhook_function ON webhook (ns, var);
CREATE INDEX webhook_endpoint ON webhook (project_id, service, path, method);
