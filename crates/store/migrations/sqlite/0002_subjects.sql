-- Analysts' judgements (ground state) and resolved subjects (derived state).

-- A judgement says two records are, or are not, the same entity. Append-only like the log: a
-- changed mind is a newer judgement on the same pair, and the newest one wins.
CREATE TABLE judgements (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    originator_a TEXT NOT NULL,
    record_id_a  TEXT NOT NULL,
    originator_b TEXT NOT NULL,
    record_id_b  TEXT NOT NULL,
    verdict      TEXT NOT NULL CHECK (verdict IN ('same', 'different')),
    analyst      TEXT NOT NULL,
    reason       TEXT NOT NULL,
    judged_at    TEXT NOT NULL
);

CREATE TRIGGER judgements_no_update BEFORE UPDATE ON judgements
BEGIN SELECT RAISE(ABORT, 'judgements are append-only'); END;

CREATE TRIGGER judgements_no_delete BEFORE DELETE ON judgements
BEGIN SELECT RAISE(ABORT, 'judgements are append-only'); END;

-- One row per kind of entity resolved (person, phone, …): what the subjects reflect. Derived,
-- replaced by each run.
CREATE TABLE resolutions (
    kind          TEXT PRIMARY KEY,
    log_position  INTEGER NOT NULL,   -- every log entry up to here is reflected
    judgement_id  INTEGER NOT NULL,   -- every judgement up to here is honoured
    method        TEXT NOT NULL,      -- probabilistic | key
    model         TEXT NOT NULL,      -- the trained model (JSON), '' for key matching
    records       INTEGER NOT NULL,
    subjects      INTEGER NOT NULL,
    next_subject  INTEGER NOT NULL,   -- the next subject number to mint
    resolved_at   TEXT NOT NULL
) WITHOUT ROWID;

-- Which subject each live record belongs to, and the link that put it there.
CREATE TABLE subject_members (
    originator    TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    via_originator TEXT,              -- the member it links to most strongly (NULL: founder)
    via_record_id  TEXT,
    weight        REAL,               -- that link's match weight (log2 odds)
    PRIMARY KEY (originator, record_id)
) WITHOUT ROWID;

CREATE INDEX subject_members_by_subject ON subject_members (subject_id);
CREATE INDEX subject_members_by_kind ON subject_members (kind, subject_id);
