-- Organizations, environments, API keys and projects: what the first endpoints need.

CREATE TABLE org (
    org_id      uuid PRIMARY KEY,
    name        text NOT NULL,
    plan        text NOT NULL DEFAULT 'self-hosted'
                CHECK (plan IN ('starter', 'pro', 'scale', 'enterprise', 'self-hosted')),
    is_default  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- At most one default org.
CREATE UNIQUE INDEX org_default ON org (is_default) WHERE is_default;

CREATE TABLE env (
    env_id      uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES org (org_id),
    name        text NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, name)
);

CREATE TABLE api_key (
    api_key_id   uuid PRIMARY KEY,
    env_id       uuid NOT NULL REFERENCES env (env_id),
    name         text,
    -- SHA-256 of the token's secret part; the secret itself is never stored.
    secret_hash  text NOT NULL,
    permissions  jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);
CREATE INDEX api_key_env ON api_key (env_id);

CREATE TABLE project (
    project_id  uuid PRIMARY KEY,
    env_id      uuid NOT NULL REFERENCES env (env_id),
    name        text NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (env_id, name)
);
