-- The record log and what hangs off it. Append-only: see the trigger at the end.
-- Text, not jsonb, for properties and grading: jsonb reorders keys and would not give back the
-- bytes that were hashed.

CREATE TABLE sources (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          TEXT NOT NULL,
    file_hash     TEXT NOT NULL,
    format        TEXT NOT NULL,
    mapping_hash  TEXT NOT NULL,
    header        TEXT,
    mapping       TEXT,
    registered_at TEXT NOT NULL,
    UNIQUE (name, file_hash, format, mapping_hash)
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

-- How far a source has been committed: where a re-run of the same file resumes.
CREATE INDEX batches_by_source ON batches (source_id, last_line);

CREATE TABLE record_log (
    pos           BIGINT PRIMARY KEY,   -- given by the appender under the append lock
    originator    TEXT COLLATE "C" NOT NULL,
    record_id     TEXT COLLATE "C" NOT NULL,
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
    batch_id      BIGINT NOT NULL,      -- batches (id); checked by verify, not per row
    source_line   BIGINT,
    source_cells  TEXT,
    prev_pos      BIGINT                -- the record's previous version, if any
);
-- As in SQLite: no index on (originator, record_id, version). record_heads finds the newest
-- version and prev_pos chains back; appends are serialised by an advisory lock.

CREATE TABLE record_heads (
    originator   TEXT COLLATE "C" NOT NULL,
    record_id    TEXT COLLATE "C" NOT NULL,
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
