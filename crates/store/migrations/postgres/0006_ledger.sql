-- The ledger: typed transaction rows, one per (originator, transaction id). Append-only like
-- the record log: a transaction an originator sent is never rewritten here; re-sending the same
-- row is a no-op and a different row under the same id is refused by the store.

CREATE TABLE ledger_tx (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- arrival order
    originator    TEXT COLLATE "C" NOT NULL,
    tx_id         TEXT COLLATE "C" NOT NULL,
    ts_seconds    BIGINT NOT NULL,
    from_account  TEXT NOT NULL,
    to_account    TEXT NOT NULL,
    amount_minor  BIGINT NOT NULL,
    currency      TEXT NOT NULL,
    channel       TEXT NOT NULL,
    handling      TEXT NOT NULL,
    content_hash  BYTEA NOT NULL,
    source_id     BIGINT,
    source_line   BIGINT,
    ingested_at   TEXT NOT NULL,
    UNIQUE (originator, tx_id)
);

-- The canonical order every scan reads: time, then transaction id (the money kernels' order).
CREATE INDEX ledger_tx_canonical ON ledger_tx (ts_seconds, tx_id, originator);

CREATE FUNCTION ledger_tx_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_tx is append-only';
END $$;

CREATE TRIGGER ledger_tx_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_tx
FOR EACH STATEMENT EXECUTE FUNCTION ledger_tx_append_only();
