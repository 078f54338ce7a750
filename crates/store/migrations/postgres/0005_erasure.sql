-- Erasure: the one exception to the append-only record log. A record whose review date has
-- passed without a decision to keep it is erased after a grace period. Each erasure is first
-- written to the audit log, then recorded here, then the record's versions are deleted, all in
-- one transaction (`Store::erase_record`). The log's delete trigger lets a version go only when
-- an erasure of its record is recorded here covering its position, so no other path deletes.

CREATE TABLE erasures (
    originator    TEXT COLLATE "C" NOT NULL,
    record_id     TEXT COLLATE "C" NOT NULL,
    through_pos   BIGINT NOT NULL,    -- versions at or below this log position are erased
    versions      BIGINT NOT NULL,    -- how many versions were removed
    audit_seq     BIGINT NOT NULL,    -- the audit entry that records the erasure
    erased_at     TEXT NOT NULL,
    PRIMARY KEY (originator, record_id, through_pos)
);

CREATE TRIGGER erasures_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON erasures
FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- Followers (the discovery index) ask for erasures after the last one they saw.
CREATE INDEX erasures_by_audit_seq ON erasures (audit_seq);

-- UPDATE and TRUNCATE stay refused outright; DELETE is checked row by row: a version may go
-- only under a recorded erasure of its record that covers its position.
DROP TRIGGER record_log_append_only ON record_log;

CREATE TRIGGER record_log_append_only BEFORE UPDATE OR TRUNCATE ON record_log
FOR EACH STATEMENT EXECUTE FUNCTION record_log_append_only();

-- The erasures table is looked up in the trigger's own schema, whatever the connection's
-- search_path, so that a store in a schema of its own guards itself.
CREATE FUNCTION record_log_erase_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    erased BOOLEAN;
BEGIN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.erasures e
                    WHERE e.originator = $1 AND e.record_id = $2 AND e.through_pos >= $3)',
                   TG_TABLE_SCHEMA)
        INTO erased USING OLD.originator, OLD.record_id, OLD.pos;
    IF NOT erased THEN
        RAISE EXCEPTION 'record_log is append-only: only a recorded erasure deletes';
    END IF;
    RETURN OLD;
END $$;

CREATE TRIGGER record_log_erase_only BEFORE DELETE ON record_log
FOR EACH ROW EXECUTE FUNCTION record_log_erase_only();
