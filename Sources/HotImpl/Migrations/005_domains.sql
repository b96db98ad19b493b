-- Custom domains. A row moves pending_validation → validated → provisioning → active; deleting
-- marks it for teardown, after which the checker removes it. The checker claims due rows with a
-- lease (claim_token, locked_until), so several processes never advance one domain at once.

CREATE TABLE domain (
    domain_id               uuid PRIMARY KEY,
    env_id                  uuid NOT NULL REFERENCES env (env_id),
    -- Stored form: lower-case ASCII (see DomainName). One registration across all envs,
    -- a deleting one included until its teardown ends.
    domain                  text NOT NULL UNIQUE,
    status                  text NOT NULL DEFAULT 'pending_validation'
                            CHECK (status IN ('pending_validation', 'validated', 'provisioning', 'active', 'deleting')),
    certificate_ref         text,
    validation_cname_name   text,
    validation_cname_value  text,
    distribution_ref        text,
    distribution_domain     text,
    -- The last failure of a provider call; cleared by the next success.
    provisioning_error      text,
    -- Checks since the last progress: the backoff grows with them.
    attempts                integer NOT NULL DEFAULT 0,
    next_check_at           timestamptz NOT NULL DEFAULT now(),
    claim_token             uuid,
    locked_until            timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    validated_at            timestamptz,
    active_at               timestamptz
);
CREATE INDEX domain_env_created ON domain (env_id, created_at DESC, domain_id DESC);
CREATE INDEX domain_due ON domain (next_check_at) WHERE status <> 'active';
