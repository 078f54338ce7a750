-- Sharing policy (ground state) and the audit log.

-- The audit log: who did what, when, from where and why. Each entry commits to the one before
-- it (`prev_hash`, `hash`: BLAKE3, computed by the policy layer), so an edit, deletion,
-- insertion or reordering breaks the chain. Append-only like the record log.
CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY,   -- 1, 2, 3, … without gaps
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL,         -- the user
    agency        TEXT NOT NULL,         -- the user's agency
    origin        TEXT NOT NULL,         -- from where (host, terminal, address)
    action        TEXT NOT NULL,
    justification TEXT NOT NULL,
    detail        TEXT NOT NULL,         -- JSON: records, recipients, query, conditions
    prev_hash     BLOB NOT NULL,
    hash          BLOB NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- Signed checkpoints: an ed25519 signature over an entry's sequence number and hash.
CREATE TABLE audit_checkpoints (
    seq         INTEGER PRIMARY KEY,
    hash        BLOB NOT NULL,
    public_key  BLOB NOT NULL,
    signature   BLOB NOT NULL,
    signed_at   TEXT NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;

CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;

-- Policy documents (agencies, users, grants, hits, requests) as JSON the policy layer reads and
-- checks; every change is written in one transaction with the audit entry that records it.
CREATE TABLE policy_docs (
    kind        TEXT NOT NULL,
    id          TEXT NOT NULL,
    body        TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
