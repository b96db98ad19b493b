-- Every `serve` process writes a heartbeat here (every second) and counts the rows fresh within
-- ten seconds: an org's rate limit is divided among that many processes, so it holds for the
-- deployment as a whole. live_seen is the count the process divides by (for operators and tests).

CREATE TABLE serving_process (
    process_id uuid PRIMARY KEY,
    heartbeat_at timestamptz NOT NULL,
    live_seen integer NOT NULL
);
