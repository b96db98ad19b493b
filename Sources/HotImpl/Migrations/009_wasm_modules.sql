-- The embedded WebAssembly runtime (docs/handlers.md): a build's modules, stored with the build
-- at upload (already validated; `.wat` entries compiled to binary), and which module each declared
-- function runs. Workers read a module by (build, path) and keep it parsed in memory.

CREATE TABLE build_module (
    build_id  uuid NOT NULL REFERENCES build (build_id) ON DELETE CASCADE,
    -- The zip entry the module came from, e.g. `shop/orders.wasm` or `shop/orders.wat`.
    path      text NOT NULL,
    wasm      bytea NOT NULL,
    PRIMARY KEY (build_id, path)
);

-- The module entry of a function, when its build carries one; NULL: the HTTP runtime runs it.
ALTER TABLE event_handler ADD COLUMN module text;
ALTER TABLE schedule ADD COLUMN module text;
ALTER TABLE run ADD COLUMN module text;

-- Whether the embedded runtime runs the job: a process without an HTTP runtime claims only these.
ALTER TABLE run_job ADD COLUMN embedded boolean NOT NULL DEFAULT false;
CREATE INDEX run_job_embedded_ready ON run_job (available_at) WHERE embedded;
