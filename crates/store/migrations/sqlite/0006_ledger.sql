-- The ledger: typed transaction rows, one per (originator, transaction id). Append-only like
-- the record log: a transaction an originator sent is never rewritten here; re-sending the same
-- row is a no-op and a different row under the same id is refused by the store.

CREATE TABLE ledger_tx (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,  -- arrival order
    originator    TEXT NOT NULL,                      -- the agency that sent the row
    tx_id         TEXT NOT NULL,                      -- the transaction's id at the source
    ts_seconds    INTEGER NOT NULL,                   -- seconds since 1970-01-01 UTC
    from_account  TEXT NOT NULL,
    to_account    TEXT NOT NULL,
    amount_minor  INTEGER NOT NULL,                   -- minor units (cents)
    currency      TEXT NOT NULL,                      -- ISO 4217
    channel       TEXT NOT NULL,                      -- cash, bank, mto, hawala, crypto, …
    handling      TEXT NOT NULL,                      -- JSON grading, the originator's system
    content_hash  BLOB NOT NULL,                      -- BLAKE3 of the row's content
    source_id     INTEGER,                            -- sources (id)
    source_line   INTEGER,
    ingested_at   TEXT NOT NULL,
    UNIQUE (originator, tx_id)
);

-- The canonical order every scan reads: time, then transaction id (the money kernels' order).
CREATE INDEX ledger_tx_canonical ON ledger_tx (ts_seconds, tx_id, originator);

CREATE TRIGGER ledger_tx_no_update BEFORE UPDATE ON ledger_tx
BEGIN SELECT RAISE(ABORT, 'ledger_tx is append-only'); END;

CREATE TRIGGER ledger_tx_no_delete BEFORE DELETE ON ledger_tx
BEGIN SELECT RAISE(ABORT, 'ledger_tx is append-only'); END;
