-- Events, streams, the durable queue that turns events and schedule firings into runs, and the
-- messages live streams carry.

CREATE TABLE stream (
    stream_id   uuid PRIMARY KEY,
    env_id      uuid NOT NULL REFERENCES env (env_id),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE event (
    event_id    uuid PRIMARY KEY,
    env_id      uuid NOT NULL REFERENCES env (env_id),
    stream_id   uuid NOT NULL REFERENCES stream (stream_id),
    event_type  text NOT NULL,
    event_data  jsonb NOT NULL,
    event_time  timestamptz NOT NULL DEFAULT now(),
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- Set once the event's runs are queued (or it had no handler): the routing queue is the
    -- events where this is null.
    routed_at   timestamptz
);
CREATE INDEX event_env_created ON event (env_id, created_at DESC, event_id DESC);
CREATE INDEX event_unrouted ON event (created_at) WHERE routed_at IS NULL;

-- Runs: the columns the API shows, plus what a run needs to execute again after a crash.
ALTER TABLE run
    ADD COLUMN event_handler_id uuid,
    ADD COLUMN ns text,
    ADD COLUMN var text,
    ADD COLUMN meta jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN attempt integer NOT NULL DEFAULT 1;
ALTER TABLE run ALTER COLUMN stream_id SET NOT NULL;
ALTER TABLE run DROP CONSTRAINT run_status_check;
-- 'queued': waiting for a worker with a runtime; shown as running until it ends.
ALTER TABLE run ADD CONSTRAINT run_status_check CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled'));
CREATE INDEX run_stream ON run (stream_id, start_time);
CREATE INDEX run_event ON run (event_id) WHERE event_id IS NOT NULL;

-- Runs waiting to execute. A worker claims one with FOR UPDATE SKIP LOCKED and holds it with a
-- lease it renews while the run is in flight; a worker that dies loses the lease and the run is
-- picked up again (at least once).
CREATE TABLE run_job (
    run_id        uuid PRIMARY KEY REFERENCES run (run_id) ON DELETE CASCADE,
    available_at  timestamptz NOT NULL DEFAULT now(),
    locked_until  timestamptz,
    locked_by     text
);
CREATE INDEX run_job_ready ON run_job (available_at);

-- One row per schedule firing: the process that inserts it is the one that runs it.
CREATE TABLE schedule_firing (
    schedule_id  uuid NOT NULL,
    fire_time    timestamptz NOT NULL,
    run_id       uuid,
    PRIMARY KEY (schedule_id, fire_time)
);

-- What live streams carry: every message gets a sequence number (the SSE id, for Last-Event-ID)
-- and stays a while so late subscribers and reconnections can catch up.
CREATE TABLE stream_message (
    seq         bigserial PRIMARY KEY,
    env_id      uuid NOT NULL,
    stream_id   uuid,
    project_id  uuid,
    event       text NOT NULL,
    data        text NOT NULL,
    -- The env feed's form when it differs (run events there carry flat fields beside the run).
    env_data    text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stream_message_stream ON stream_message (stream_id, seq);
CREATE INDEX stream_message_env ON stream_message (env_id, seq);
CREATE INDEX stream_message_created ON stream_message (created_at);
