-- Erasure: the one exception to the append-only record log. A record whose review date has
-- passed without a decision to keep it is erased after a grace period. Each erasure is first
-- written to the audit log, then recorded here, then the record's versions are deleted, all in
-- one transaction (`Store::erase_record`). The log's delete trigger lets a version go only when
-- an erasure of its record is recorded here covering its position, so no other path deletes.

CREATE TABLE erasures (
    originator    TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    through_pos   INTEGER NOT NULL,   -- versions at or below this log position are erased
    versions      INTEGER NOT NULL,   -- how many versions were removed
    audit_seq     INTEGER NOT NULL,   -- the audit entry that records the erasure
    erased_at     TEXT NOT NULL,
    PRIMARY KEY (originator, record_id, through_pos)
) WITHOUT ROWID;

CREATE TRIGGER erasures_no_update BEFORE UPDATE ON erasures
BEGIN SELECT RAISE(ABORT, 'erasures are append-only'); END;

CREATE TRIGGER erasures_no_delete BEFORE DELETE ON erasures
BEGIN SELECT RAISE(ABORT, 'erasures are append-only'); END;

-- Followers (the discovery index) ask for erasures after the last one they saw.
CREATE INDEX erasures_by_audit_seq ON erasures (audit_seq);

-- A version may be deleted only under a recorded erasure of its record that covers its
-- position: a version appended after the erasure (the record sent again) is protected again.
DROP TRIGGER record_log_no_delete;

CREATE TRIGGER record_log_no_delete BEFORE DELETE ON record_log
WHEN NOT EXISTS (SELECT 1 FROM erasures e
                 WHERE e.originator = OLD.originator AND e.record_id = OLD.record_id
                   AND e.through_pos >= OLD.pos)
BEGIN SELECT RAISE(ABORT, 'record_log is append-only: only a recorded erasure deletes'); END;
