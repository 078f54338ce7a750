-- The record log and what hangs off it. Append-only: see the triggers at the end.

CREATE TABLE sources (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,            -- file name as given to ingest, no directories
    file_hash     TEXT NOT NULL,            -- BLAKE3 of the file's bytes
    format        TEXT NOT NULL,            -- csv | ftm
    mapping_hash  TEXT NOT NULL,            -- BLAKE3 of the mapping's text ('' without one)
    header        TEXT,                     -- JSON array of column names (CSV)
    mapping       TEXT,                     -- the mapping file's text, as used
    registered_at TEXT NOT NULL,
    UNIQUE (name, file_hash, format, mapping_hash)
);

CREATE TABLE batches (
    id           INTEGER PRIMARY KEY,
    source_id    INTEGER REFERENCES sources (id),
    first_line   INTEGER,
    last_line    INTEGER,
    entries      INTEGER NOT NULL,
    appended     INTEGER NOT NULL,
    committed_at TEXT NOT NULL
);

-- How far a source has been committed: where a re-run of the same file resumes.
CREATE INDEX batches_by_source ON batches (source_id, last_line);

CREATE TABLE record_log (
    pos           INTEGER PRIMARY KEY AUTOINCREMENT,  -- the log position derived state follows
    originator    TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    version       INTEGER NOT NULL,
    schema        TEXT NOT NULL,
    tombstone     INTEGER NOT NULL,
    properties    TEXT NOT NULL,                      -- JSON object: property -> [values]
    content_hash  BLOB NOT NULL,
    contributor   TEXT NOT NULL,
    submitted_at  TEXT NOT NULL,
    source_ref    TEXT NOT NULL,
    review_by     TEXT NOT NULL,
    grading       TEXT NOT NULL,                      -- JSON, the originator's code system
    note          TEXT,                               -- why a tombstone retracts
    batch_id      INTEGER NOT NULL,                   -- batches (id); checked by verify
    source_line   INTEGER,
    source_cells  TEXT,                               -- JSON array: the raw row, as read
    prev_pos      INTEGER                             -- the record's previous version, if any
);
-- No index on (originator, record_id, version): record_heads finds a record's newest version
-- and prev_pos chains back through the older ones, so each append maintains one index fewer.
-- Versions stay unique because appends are serialised by the write lock and numbered from
-- the head (and `verify` checks the chains). Links are checked by `verify`, not by foreign
-- keys: a foreign key costs an index probe per appended row.

CREATE TABLE record_heads (
    originator   TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    version      INTEGER NOT NULL,
    pos          INTEGER NOT NULL,
    content_hash BLOB NOT NULL,
    tombstone    INTEGER NOT NULL,
    PRIMARY KEY (originator, record_id)
) WITHOUT ROWID;

CREATE TRIGGER record_log_no_update BEFORE UPDATE ON record_log
BEGIN SELECT RAISE(ABORT, 'record_log is append-only'); END;

CREATE TRIGGER record_log_no_delete BEFORE DELETE ON record_log
BEGIN SELECT RAISE(ABORT, 'record_log is append-only'); END;
