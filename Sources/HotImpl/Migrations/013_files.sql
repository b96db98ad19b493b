-- The files API (docs/files.md): files of an env, kept in the build storage, and multipart uploads
-- with their parts.

CREATE TABLE file (
    file_id            uuid PRIMARY KEY,
    env_id             uuid NOT NULL REFERENCES env (env_id),
    -- Normalised: no leading "/", no "." or ".." segments, no empty segment.
    path               text NOT NULL,
    size               bigint NOT NULL CHECK (size >= 0),
    etag               text,
    content_type       text,
    storage_backend    text NOT NULL,
    storage_path       text NOT NULL,
    created_by_run_id  uuid,
    updated_by_run_id  uuid,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (env_id, path)
);
-- Listing: newest first within an env.
CREATE INDEX file_env_updated ON file (env_id, updated_at DESC, file_id DESC);

CREATE TABLE file_upload (
    upload_id          uuid PRIMARY KEY,
    env_id             uuid NOT NULL REFERENCES env (env_id),
    path               text NOT NULL,
    -- pending until completed or aborted; completing while its parts are being joined.
    status             text NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'completing', 'completed', 'aborted')),
    expected_size      bigint,
    content_type       text,
    part_size          bigint NOT NULL,
    parts_expected     integer,
    storage_backend    text NOT NULL,
    -- The storage's own id of the upload (S3's UploadId) and the key the file will have.
    backend_upload_id  text NOT NULL,
    storage_key        text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    expires_at         timestamptz NOT NULL
);
CREATE INDEX file_upload_expiry ON file_upload (expires_at) WHERE status = 'pending';

CREATE TABLE file_upload_part (
    upload_id          uuid NOT NULL REFERENCES file_upload (upload_id) ON DELETE CASCADE,
    part_number        integer NOT NULL CHECK (part_number BETWEEN 1 AND 10000),
    size               bigint NOT NULL,
    -- MD5 of the part's bytes (hex), and what the storage needs to join it (S3's ETag).
    md5                text NOT NULL,
    storage_tag        text NOT NULL,
    PRIMARY KEY (upload_id, part_number)
);
