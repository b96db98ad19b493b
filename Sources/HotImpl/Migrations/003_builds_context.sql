-- Builds and what their bundles declare (event handlers, schedules), deployments, and the
-- encrypted context variables of a project.

CREATE TABLE build (
    build_id         uuid PRIMARY KEY,
    project_id       uuid NOT NULL REFERENCES project (project_id) ON DELETE CASCADE,
    env_id           uuid NOT NULL REFERENCES env (env_id),
    -- SHA-256 (hex) of the archive, checked against the bytes received.
    hash             text NOT NULL,
    size             bigint NOT NULL CHECK (size >= 0),
    -- 'bundle' for uploads through the API; 'live' for development builds.
    build_type       text NOT NULL DEFAULT 'bundle',
    deployed         boolean NOT NULL DEFAULT false,
    active           boolean NOT NULL DEFAULT true,
    storage_path     text,
    storage_backend  text,
    bundle_name      text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
-- A project has at most one deployed build: two can never be marked at once.
CREATE UNIQUE INDEX build_one_deployed ON build (project_id) WHERE deployed;
CREATE INDEX build_project ON build (project_id, created_at DESC);
CREATE INDEX build_env ON build (env_id, created_at DESC);

CREATE TABLE event_handler (
    event_handler_id  uuid PRIMARY KEY,
    build_id          uuid NOT NULL REFERENCES build (build_id) ON DELETE CASCADE,
    project_id        uuid NOT NULL REFERENCES project (project_id) ON DELETE CASCADE,
    event_type        text NOT NULL,
    ns                text NOT NULL,
    var               text NOT NULL,
    -- The handler's manifest `meta` (e.g. `retry`), as JSON.
    meta              jsonb NOT NULL DEFAULT '{}',
    -- Order in the manifest, so lists are stable.
    position          integer NOT NULL
);
CREATE INDEX event_handler_build ON event_handler (build_id, position);
CREATE INDEX event_handler_type ON event_handler (event_type, build_id);

CREATE TABLE schedule (
    schedule_id  uuid PRIMARY KEY,
    build_id     uuid NOT NULL REFERENCES build (build_id) ON DELETE CASCADE,
    project_id   uuid NOT NULL REFERENCES project (project_id) ON DELETE CASCADE,
    cron         text NOT NULL,
    ns           text NOT NULL,
    var          text NOT NULL,
    meta         jsonb NOT NULL DEFAULT '{}',
    position     integer NOT NULL
);
CREATE INDEX schedule_build ON schedule (build_id, position);

-- One row per deploy, written in the deploy's transaction: the durable record that workers
-- consume (they set processed_at) to pick up the new handlers and schedules.
CREATE TABLE deployment (
    deployment_id  uuid PRIMARY KEY,
    build_id       uuid NOT NULL REFERENCES build (build_id) ON DELETE CASCADE,
    project_id     uuid NOT NULL REFERENCES project (project_id) ON DELETE CASCADE,
    env_id         uuid NOT NULL REFERENCES env (env_id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    processed_at   timestamptz
);
CREATE INDEX deployment_pending ON deployment (created_at) WHERE processed_at IS NULL;

CREATE TABLE context_variable (
    project_id    uuid NOT NULL REFERENCES project (project_id) ON DELETE CASCADE,
    key           text NOT NULL,
    -- AES-256-GCM sealed box (nonce | ciphertext | tag), base64, with the project id and key as
    -- associated data: a value copied to another row does not open.
    value_sealed  text NOT NULL,
    description   text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, key)
);

-- Runs: what org usage counts today; the events issue adds the queue that creates them.
CREATE TABLE run (
    run_id         uuid PRIMARY KEY,
    env_id         uuid NOT NULL REFERENCES env (env_id),
    project_id     uuid REFERENCES project (project_id) ON DELETE SET NULL,
    build_id       uuid REFERENCES build (build_id) ON DELETE SET NULL,
    stream_id      uuid,
    event_id       uuid,
    schedule_id    uuid,
    origin_run_id  uuid,
    run_type       text NOT NULL CHECK (run_type IN ('call', 'event', 'schedule', 'run', 'eval', 'repl')),
    status         text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
    result         jsonb,
    start_time     timestamptz NOT NULL DEFAULT now(),
    stop_time      timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX run_env_start ON run (env_id, start_time DESC);
