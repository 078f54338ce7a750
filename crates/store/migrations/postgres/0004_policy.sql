-- Sharing policy (ground state) and the audit log.

-- The audit log: who did what, when, from where and why. Each entry commits to the one before
-- it (`prev_hash`, `hash`: BLAKE3, computed by the policy layer), so an edit, deletion,
-- insertion or reordering breaks the chain. Append-only like the record log.
CREATE TABLE audit_log (
    seq           BIGINT PRIMARY KEY,    -- 1, 2, 3, … without gaps
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL,         -- the user
    agency        TEXT NOT NULL,         -- the user's agency
    origin        TEXT NOT NULL,         -- from where (host, terminal, address)
    action        TEXT NOT NULL,
    justification TEXT NOT NULL,
    detail        TEXT NOT NULL,         -- JSON: records, recipients, query, conditions
    prev_hash     BYTEA NOT NULL,
    hash          BYTEA NOT NULL
);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- Signed checkpoints: an ed25519 signature over an entry's sequence number and hash.
CREATE TABLE audit_checkpoints (
    seq         BIGINT PRIMARY KEY,
    hash        BYTEA NOT NULL,
    public_key  BYTEA NOT NULL,
    signature   BYTEA NOT NULL,
    signed_at   TEXT NOT NULL
);

CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
ON audit_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- Policy documents (agencies, users, grants, hits, requests) as JSON the policy layer reads and
-- checks; every change is written in one transaction with the audit entry that records it.
CREATE TABLE policy_docs (
    kind        TEXT COLLATE "C" NOT NULL,
    id          TEXT COLLATE "C" NOT NULL,
    body        TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
