-- Sessions and service keys: credentials issued by an API key, scoped by their own permissions.

CREATE TABLE session (
    session_id    uuid PRIMARY KEY,
    api_key_id    uuid NOT NULL REFERENCES api_key (api_key_id),
    env_id        uuid NOT NULL REFERENCES env (env_id),
    -- SHA-256 (hex) of the token's secret part.
    secret_hash   text NOT NULL,
    permissions   jsonb NOT NULL,
    metadata      jsonb,
    expires_at    timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    last_used_at  timestamptz
);
CREATE INDEX session_api_key_active ON session (api_key_id, expires_at) WHERE revoked_at IS NULL;

CREATE TABLE service_key (
    service_key_id  uuid PRIMARY KEY,
    api_key_id      uuid NOT NULL REFERENCES api_key (api_key_id),
    env_id          uuid NOT NULL REFERENCES env (env_id),
    name            text,
    description     text,
    secret_hash     text NOT NULL,
    permissions     jsonb NOT NULL,
    -- AES-256-GCM sealed box (nonce | ciphertext | tag), base64; the metadata is a secret at rest.
    metadata_sealed text,
    expires_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz,
    last_used_at    timestamptz
);
CREATE INDEX service_key_api_key ON service_key (api_key_id, created_at);
