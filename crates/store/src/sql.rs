//! SQL that both backends run unchanged. `$n` placeholders work in SQLite as in PostgreSQL (as
//! long as they first appear in order); booleans are tested with `NOT`, which both read the same
//! way. Keeping one text per query is what lets the conformance suite speak for both.

use std::sync::LazyLock;

/// Columns of a stored version, in the order [`crate::Columns`] reads them.
pub(crate) const SELECT_COLUMNS: &str = "pos, originator, record_id, version, schema, tombstone, \
    properties, content_hash, contributor, submitted_at, source_ref, review_by, grading, note, \
    batch_id, source_line, source_cells";

/// [`SELECT_COLUMNS`] qualified by a table alias.
fn prefixed(alias: &str) -> String {
    SELECT_COLUMNS
        .split(", ")
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Most versions `versions` walks back through: a bound on the chain walk, far above any real
/// record's history.
pub(crate) const VERSIONS_MAX: i64 = 1_000_000;

/// The newest version of ($1 originator, $2 record id).
pub(crate) static HEAD: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {SELECT_COLUMNS} FROM record_log WHERE pos =
           (SELECT pos FROM record_heads WHERE originator = $1 AND record_id = $2)"
    )
});

/// Every version of ($1, $2), oldest first, found by walking the chain back from the head: no
/// index on the log is needed for it.
pub(crate) static VERSIONS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH RECURSIVE chain (pos, depth) AS (
           SELECT pos, 0 FROM record_heads WHERE originator = $1 AND record_id = $2
           UNION ALL
           SELECT l.prev_pos, c.depth + 1 FROM record_log l JOIN chain c ON l.pos = c.pos
           WHERE l.prev_pos IS NOT NULL AND c.depth < {VERSIONS_MAX})
         SELECT {SELECT_COLUMNS} FROM record_log WHERE pos IN (SELECT pos FROM chain)
         ORDER BY version"
    )
});

/// Up to $2 log entries after position $1.
pub(crate) static SCAN: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {SELECT_COLUMNS} FROM record_log WHERE pos > $1 ORDER BY pos LIMIT $2")
});

/// Up to $3 live heads after key ($1, $2), in byte order of the key (PostgreSQL's key columns
/// are `COLLATE "C"`, SQLite compares bytes), so both backends export alike.
pub(crate) static SCAN_LIVE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {} FROM record_heads h JOIN record_log l ON l.pos = h.pos
         WHERE NOT h.tombstone AND (h.originator, h.record_id) > ($1, $2)
         ORDER BY h.originator, h.record_id LIMIT $3",
        prefixed("l")
    )
});

pub(crate) const LOG_POSITION: &str = "SELECT COALESCE(MAX(pos), 0) FROM record_log";

pub(crate) const NEXT_POSITION: &str = "SELECT COALESCE(MAX(pos), 0) + 1 FROM record_log";

pub(crate) const SCHEMA_VERSION: &str = "SELECT MAX(version) FROM schema_migrations";

/// The newest migration applied and how many are: both must match the build's list for a
/// store to need no migration, because numbers may have gaps that a later build fills.
pub(crate) const MIGRATIONS_APPLIED: &str =
    "SELECT COALESCE(MAX(version), 0), COUNT(*) FROM schema_migrations";

pub(crate) const COMMITTED_THROUGH: &str =
    "SELECT COALESCE(MAX(last_line), 0) FROM batches WHERE source_id = $1";

pub(crate) const SOURCE_ID: &str = "SELECT id FROM sources
    WHERE name = $1 AND file_hash = $2 AND format = $3 AND mapping_hash = $4";

pub(crate) const INSERT_SOURCE: &str = "INSERT INTO sources
    (name, file_hash, format, mapping_hash, header, mapping, registered_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (name, file_hash, format, mapping_hash) DO NOTHING";

/// Live records, log entries, tombstones, batches, sources, log position.
pub(crate) const COUNTS: &str = "SELECT
    (SELECT COUNT(*) FROM record_heads WHERE NOT tombstone),
    (SELECT COUNT(*) FROM record_log),
    (SELECT COUNT(*) FROM record_log WHERE tombstone),
    (SELECT COUNT(*) FROM batches),
    (SELECT COUNT(*) FROM sources),
    (SELECT COALESCE(MAX(pos), 0) FROM record_log)";

pub(crate) const HEADS_COUNT: &str = "SELECT COUNT(*) FROM record_heads";

/// Counts records whose head disagrees with the newest version in the log, in either direction.
pub(crate) const VERIFY_HEADS: &str = "
    SELECT COUNT(*) FROM (
      SELECT l.originator, l.record_id, MAX(l.version) AS v FROM record_log l
      GROUP BY l.originator, l.record_id) m
    FULL OUTER JOIN record_heads h ON h.originator = m.originator AND h.record_id = m.record_id
    LEFT JOIN record_log hl ON hl.pos = h.pos
    WHERE h.version IS NULL OR m.v IS NULL OR h.version <> m.v OR hl.version IS NULL
       OR hl.version <> h.version OR hl.content_hash <> h.content_hash
       OR hl.originator <> h.originator OR hl.record_id <> h.record_id";

/// Counts log entries whose `prev_pos` link does not point at the same record's previous
/// version, or whose batch does not exist.
pub(crate) const VERIFY_CHAINS: &str = "
    SELECT COUNT(*) FROM record_log l
    LEFT JOIN record_log p ON p.pos = l.prev_pos
    LEFT JOIN batches b ON b.id = l.batch_id
    WHERE b.id IS NULL
       OR (l.version = 1 AND l.prev_pos IS NOT NULL)
       OR (l.version > 1 AND (p.pos IS NULL OR p.version <> l.version - 1
           OR p.originator <> l.originator OR p.record_id <> l.record_id))";

/// Columns of a subject member, in the order [`crate::subjects::SubjectMember`] is read.
pub(crate) const MEMBER_COLUMNS: &str =
    "originator, record_id, kind, subject_id, via_originator, via_record_id, weight";

/// Member rows per INSERT: 7 parameters each stays far below both backends' limits.
pub(crate) const MEMBER_ROWS_PER_STATEMENT: usize = 500;

/// Inserts (or updates) `rows` members, parameters numbered from $1.
pub(crate) fn upsert_members(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|i| {
            let b = i * 7;
            format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7
            )
        })
        .collect();
    format!(
        "INSERT INTO subject_members ({MEMBER_COLUMNS}) VALUES {}
         ON CONFLICT (originator, record_id) DO UPDATE SET kind = excluded.kind,
            subject_id = excluded.subject_id, via_originator = excluded.via_originator,
            via_record_id = excluded.via_record_id, weight = excluded.weight",
        values.join(", ")
    )
}

pub(crate) const DELETE_MEMBERS_OF_KIND: &str = "DELETE FROM subject_members WHERE kind = $1";

pub(crate) const DELETE_MEMBER: &str =
    "DELETE FROM subject_members WHERE originator = $1 AND record_id = $2";

pub(crate) static MEMBER_OF: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {MEMBER_COLUMNS} FROM subject_members WHERE originator = $1 AND record_id = $2")
});

/// Members of subject $1, at most $2, in key order.
pub(crate) static MEMBERS_OF_SUBJECT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {MEMBER_COLUMNS} FROM subject_members WHERE subject_id = $1
         ORDER BY originator, record_id LIMIT $2"
    )
});

/// Members of kind $1 after key ($2, $3), at most $4, in key order.
pub(crate) static SCAN_MEMBERS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {MEMBER_COLUMNS} FROM subject_members
         WHERE kind = $1 AND (originator, record_id) > ($2, $3)
         ORDER BY originator, record_id LIMIT $4"
    )
});

pub(crate) const RESOLUTION_COLUMNS: &str = "kind, log_position, judgement_id, method, model, \
    records, subjects, next_subject, resolved_at";

pub(crate) static RESOLUTION: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {RESOLUTION_COLUMNS} FROM resolutions WHERE kind = $1"));

pub(crate) static UPSERT_RESOLUTION: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO resolutions ({RESOLUTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (kind) DO UPDATE SET log_position = excluded.log_position,
            judgement_id = excluded.judgement_id, method = excluded.method,
            model = excluded.model, records = excluded.records, subjects = excluded.subjects,
            next_subject = excluded.next_subject, resolved_at = excluded.resolved_at"
    )
});

pub(crate) const INSERT_JUDGEMENT: &str = "INSERT INTO judgements
    (originator_a, record_id_a, originator_b, record_id_b, verdict, analyst, reason, judged_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";

/// Judgements after id $1, oldest first, at most $2.
pub(crate) const JUDGEMENTS: &str = "SELECT id, originator_a, record_id_a, originator_b,
    record_id_b, verdict, analyst, reason, judged_at FROM judgements WHERE id > $1
    ORDER BY id LIMIT $2";

pub(crate) const JUDGEMENT_POSITION: &str = "SELECT COALESCE(MAX(id), 0) FROM judgements";
