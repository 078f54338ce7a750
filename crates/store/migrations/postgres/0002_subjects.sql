-- Analysts' judgements (ground state) and resolved subjects (derived state).

-- A judgement says two records are, or are not, the same entity. Append-only like the log: a
-- changed mind is a newer judgement on the same pair, and the newest one wins.
CREATE TABLE judgements (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    originator_a TEXT COLLATE "C" NOT NULL,
    record_id_a  TEXT COLLATE "C" NOT NULL,
    originator_b TEXT COLLATE "C" NOT NULL,
    record_id_b  TEXT COLLATE "C" NOT NULL,
    verdict      TEXT NOT NULL CHECK (verdict IN ('same', 'different')),
    analyst      TEXT NOT NULL,
    reason       TEXT NOT NULL,
    judged_at    TEXT NOT NULL
);

CREATE FUNCTION judgements_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'judgements are append-only';
END $$;

CREATE TRIGGER judgements_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON judgements
FOR EACH STATEMENT EXECUTE FUNCTION judgements_append_only();

-- One row per kind of entity resolved (person, phone, …): what the subjects reflect. Derived,
-- replaced by each run.
CREATE TABLE resolutions (
    kind          TEXT COLLATE "C" PRIMARY KEY,
    log_position  BIGINT NOT NULL,
    judgement_id  BIGINT NOT NULL,
    method        TEXT NOT NULL,
    model         TEXT NOT NULL,
    records       BIGINT NOT NULL,
    subjects      BIGINT NOT NULL,
    next_subject  BIGINT NOT NULL,
    resolved_at   TEXT NOT NULL
);

-- Which subject each live record belongs to, and the link that put it there.
CREATE TABLE subject_members (
    originator     TEXT COLLATE "C" NOT NULL,
    record_id      TEXT COLLATE "C" NOT NULL,
    kind           TEXT COLLATE "C" NOT NULL,
    subject_id     TEXT COLLATE "C" NOT NULL,
    via_originator TEXT COLLATE "C",
    via_record_id  TEXT COLLATE "C",
    weight         DOUBLE PRECISION,
    PRIMARY KEY (originator, record_id)
);

CREATE INDEX subject_members_by_subject ON subject_members (subject_id);
CREATE INDEX subject_members_by_kind ON subject_members (kind, subject_id);
