-- The record log and what hangs off it. Append-only: see the trigger at the end.
-- Text, not jsonb, for properties and grading: jsonb reorders keys and would not give back the
-- bytes that were hashed.

CREATE TABLE sources (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          TEXT NOT NULL,
    file_hash     TEXT NOT NULL,
    format        TEXT NOT NULL,
    header        TEXT,
    mapping       TEXT,
    registered_at TEXT NOT NULL,
    UNIQUE (name, file_hash, format)
);

CREATE TABLE batches (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_id    BIGINT REFERENCES sources (id),
    first_line   BIGINT,
    last_line    BIGINT,
    entries      BIGINT NOT NULL,
    appended     BIGINT NOT NULL,
    committed_at TEXT NOT NULL
);

CREATE TABLE record_log (
    pos           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    originator    TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    version       BIGINT NOT NULL,
    schema        TEXT NOT NULL,
    tombstone     BOOLEAN NOT NULL,
    properties    TEXT NOT NULL,
    content_hash  BYTEA NOT NULL,
    contributor   TEXT NOT NULL,
    submitted_at  TEXT NOT NULL,
    source_ref    TEXT NOT NULL,
    review_by     TEXT NOT NULL,
    grading       TEXT NOT NULL,
    note          TEXT,
    batch_id      BIGINT NOT NULL REFERENCES batches (id),
    source_line   BIGINT,
    source_cells  TEXT,
    UNIQUE (originator, record_id, version)
);

CREATE TABLE record_heads (
    originator   TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    version      BIGINT NOT NULL,
    pos          BIGINT NOT NULL,
    content_hash BYTEA NOT NULL,
    tombstone    BOOLEAN NOT NULL,
    PRIMARY KEY (originator, record_id)
);

CREATE FUNCTION record_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'record_log is append-only';
END $$;

CREATE TRIGGER record_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON record_log
FOR EACH STATEMENT EXECUTE FUNCTION record_log_append_only();
