//! The embedded backend: one SQLite file in WAL mode with full sync, so a committed batch
//! survives a crash or power loss and readers never block the writer.

use std::collections::HashSet;
use std::path::Path;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};

use crate::ledger;
use crate::plan::{GradingCache, Head, Planned, Row, plan};
use crate::policy::{self, check_docs};
use crate::sql;
use crate::subjects::{MemberColumns, check_expected, check_judgement, parse_verdict, verdict};
use crate::{AuditCheckpoint, AuditRow, Erasure, POLICY_ROWS_MAX, PolicyDoc};
use crate::{
    Batch, BatchOutcome, Columns, Result, SCAN_LIMIT_MAX, SourceInfo, Store, StoreCounts,
    StoreError, StoredVersion,
};
use crate::{
    JUDGEMENTS_MAX, NewJudgement, RecordKey, ResolutionInfo, SUBJECT_MEMBERS_MAX, StoredJudgement,
    SubjectMember, SubjectWrite,
};
use crate::{LEDGER_SCAN_MAX, LedgerAppend, LedgerConflict, LedgerKey, LedgerRow};
use corridor_model::ContentHash;
use corridor_model::limits::BATCH_RECORDS_MAX;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "record_log",
        include_str!("../migrations/sqlite/0001_record_log.sql"),
    ),
    (
        2,
        "subjects",
        include_str!("../migrations/sqlite/0002_subjects.sql"),
    ),
    (
        4,
        "policy",
        include_str!("../migrations/sqlite/0004_policy.sql"),
    ),
    (
        5,
        "erasure",
        include_str!("../migrations/sqlite/0005_erasure.sql"),
    ),
    (
        6,
        "ledger",
        include_str!("../migrations/sqlite/0006_ledger.sql"),
    ),
];

/// Page cache per connection, in KiB.
const CACHE_KIB: i64 = 64 * 1024;

/// Page cache, in KiB, of a handle that commits many small transactions (the policy layer).
/// SQLite trims the page cache at the end of every write transaction, and with the ingest-sized
/// cache that trimming took a quarter of a search's CPU time; at this size a hit / no-hit
/// search over a million records ran at 268 instead of 152 queries/s (docs/benchmarks.md).
const SMALL_COMMITS_CACHE_KIB: i64 = 2 * 1024;
/// WAL pages after which a connection that prefers small commits checkpoints (4 MiB).
const SMALL_COMMITS_CHECKPOINT_PAGES: i64 = 1024;

/// WAL pages (4 KiB each) after which a commit checkpoints the WAL into the database file.
const WAL_AUTOCHECKPOINT_PAGES: i64 = 16 * 1024;

/// Log rows per INSERT statement: fewer statements, less per-statement work, while
/// 18 × 64 parameters stay far below SQLite's limit of 32,766.
const ROWS_PER_STATEMENT: usize = 64;

fn insert_log_sql(rows: usize) -> String {
    let one = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    format!(
        "INSERT INTO record_log (pos, originator, record_id, version, schema, tombstone,
            properties, content_hash, contributor, submitted_at, source_ref, review_by, grading,
            note, batch_id, source_line, source_cells, prev_pos) VALUES {}",
        vec![one; rows].join(", ")
    )
}

fn upsert_heads_sql(rows: usize) -> String {
    format!(
        "INSERT INTO record_heads (originator, record_id, version, pos, content_hash, tombstone)
         VALUES {}
         ON CONFLICT (originator, record_id) DO UPDATE SET version = excluded.version,
            pos = excluded.pos, content_hash = excluded.content_hash,
            tombstone = excluded.tombstone",
        vec!["(?, ?, ?, ?, ?, ?)"; rows].join(", ")
    )
}

fn grading_of(entry: &crate::Entry) -> &corridor_model::Grading {
    match entry {
        crate::Entry::Version(v) => &v.envelope.grading,
        crate::Entry::Tombstone(t) => &t.envelope.grading,
    }
}

/// How long a writer waits for another process's write transaction before failing.
const BUSY_TIMEOUT_MS: u64 = 30_000;

/// The SQLite backend.
pub struct SqliteStore {
    conn: Connection,
}

impl SqliteStore {
    /// Opens (creating if needed) the store file and applies pending migrations.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore> {
        let conn = Connection::open(path)?;
        SqliteStore::init(conn)
    }

    /// A private in-memory store, for tests and examples.
    pub fn open_in_memory() -> Result<SqliteStore> {
        SqliteStore::init(Connection::open_in_memory()?)
    }

    /// Sets this connection's page cache, in KiB (the default, `CACHE_KIB`, suits ingest's
    /// large batches). SQLite trims its page cache at the end of every write transaction, at a
    /// cost that can grow with the cache, so a connection that commits many small transactions
    /// (one audit entry per search) may do better with a smaller one.
    pub fn set_cache_kib(&mut self, kib: i64) -> Result<()> {
        if !(1..=CACHE_KIB * 64).contains(&kib) {
            return Err(StoreError::Invalid(format!(
                "a page cache of {kib} KiB: give 1 to {} KiB",
                CACHE_KIB * 64
            )));
        }
        self.conn.pragma_update(None, "cache_size", -kib)?;
        Ok(())
    }

    fn init(conn: Connection) -> Result<SqliteStore> {
        conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))?;
        // WAL: readers and one writer at once; FULL: a commit is on disk before it returns.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // A batch of 10,000 records touches more pages than the default 2 MiB cache holds;
        // spilling mid-transaction costs more than the memory.
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        // Checkpoint after ~64 MiB of WAL rather than 4 MiB: fewer, larger copies into the file.
        conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        let mut store = SqliteStore { conn };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<()> {
        // Readers opening a store that is being written must not queue for the write lock, so
        // the lock is taken only when a migration is actually pending.
        let known = MIGRATIONS.last().map_or(0, |m| m.0);
        let applied: Option<(i64, i64)> = self
            .conn
            .query_row(sql::MIGRATIONS_APPLIED, [], |r| Ok((r.get(0)?, r.get(1)?)))
            .ok();
        if applied == Some((known, MIGRATIONS.len() as i64)) {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        )?;
        let current: i64 = tx.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )?;
        let known = MIGRATIONS.last().map_or(0, |m| m.0);
        if current > known {
            return Err(StoreError::TooNew {
                found: current,
                known,
            });
        }
        let done: Vec<i64> = {
            let mut stmt = tx.prepare("SELECT version FROM schema_migrations")?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        // Numbers may have gaps (branches reserve theirs), and a lower number can arrive after
        // a higher one was applied: every known migration not yet applied runs, in order.
        for (version, name, sql) in MIGRATIONS.iter().filter(|m| !done.contains(&m.0)) {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                params![version, name, crate::now_rfc3339()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn query_versions(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<StoredVersion>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params, |r| {
            Ok(Columns {
                pos: r.get(0)?,
                originator: r.get(1)?,
                record_id: r.get(2)?,
                version: r.get(3)?,
                schema: r.get(4)?,
                tombstone: r.get(5)?,
                properties: r.get(6)?,
                content_hash: r.get(7)?,
                contributor: r.get(8)?,
                submitted_at: r.get(9)?,
                source_ref: r.get(10)?,
                review_by: r.get(11)?,
                grading: r.get(12)?,
                note: r.get(13)?,
                batch_id: r.get(14)?,
                source_line: r.get(15)?,
                source_cells: r.get(16)?,
            })
        })?;
        rows.map(|c| c.map_err(StoreError::from).and_then(Columns::into_version))
            .collect()
    }
}

impl SqliteStore {
    fn query_members(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<SubjectMember>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params, |r| {
            Ok(MemberColumns {
                originator: r.get(0)?,
                record_id: r.get(1)?,
                kind: r.get(2)?,
                subject_id: r.get(3)?,
                via_originator: r.get(4)?,
                via_record_id: r.get(5)?,
                weight: r.get(6)?,
            })
        })?;
        rows.map(|c| Ok(c?.into_member())).collect()
    }
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn schema_version(&mut self) -> Result<i64> {
        Ok(self.conn.query_row(sql::SCHEMA_VERSION, [], |r| r.get(0))?)
    }

    fn register_source(&mut self, s: &SourceInfo) -> Result<i64> {
        let header = s
            .header
            .as_ref()
            .map(|h| serde_json::to_string(h).unwrap_or_default());
        self.conn.execute(
            sql::INSERT_SOURCE,
            params![
                s.name,
                s.file_hash,
                s.format,
                s.mapping_hash,
                header,
                s.mapping,
                crate::now_rfc3339()
            ],
        )?;
        Ok(self.conn.query_row(
            sql::SOURCE_ID,
            params![s.name, s.file_hash, s.format, s.mapping_hash],
            |r| r.get(0),
        )?)
    }

    fn committed_through(&mut self, source_id: i64) -> Result<u64> {
        let line: i64 = self
            .conn
            .query_row(sql::COMMITTED_THROUGH, params![source_id], |r| r.get(0))?;
        Ok(u64::try_from(line).unwrap_or(0))
    }

    fn append_batch(&mut self, batch: &Batch) -> Result<BatchOutcome> {
        if batch.entries.len() > BATCH_RECORDS_MAX {
            return Err(StoreError::BatchTooLarge {
                entries: batch.entries.len(),
                limit: BATCH_RECORDS_MAX,
            });
        }
        // IMMEDIATE takes the write lock now, so two processes appending cannot both read the
        // same head and then collide on the version number.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // The write lock is held and the log never shrinks, so MAX(pos) + 1 is the next position.
        let first_pos: i64 = tx.query_row(sql::NEXT_POSITION, [], |r| r.get(0))?;
        let planned = {
            let mut head_stmt = tx.prepare_cached(
                "SELECT version, content_hash, tombstone, pos FROM record_heads
                 WHERE originator = ?1 AND record_id = ?2",
            )?;
            plan(batch, first_pos, |o, r| {
                let row = head_stmt
                    .query_row(params![o, r], |row| {
                        Ok((
                            row.get::<_, i64>(0)?,
                            row.get::<_, Vec<u8>>(1)?,
                            row.get(2)?,
                            row.get::<_, i64>(3)?,
                        ))
                    })
                    .optional()?;
                row.map(|(version, hash, tombstone, pos)| {
                    let hash: [u8; 32] = hash
                        .try_into()
                        .map_err(|_| StoreError::Corrupt(format!("head hash of {o}/{r}")))?;
                    Ok(Head {
                        pos,
                        version,
                        hash: ContentHash(hash),
                        tombstone,
                    })
                })
                .transpose()
            })?
        };
        tx.execute(
            "INSERT INTO batches (source_id, first_line, last_line, entries, appended, committed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                batch.source_id,
                batch.first_line.and_then(|l| i64::try_from(l).ok()),
                batch.last_line.and_then(|l| i64::try_from(l).ok()),
                batch.entries.len() as i64,
                planned.rows.len() as i64,
                crate::now_rfc3339()
            ],
        )?;
        let batch_id = tx.last_insert_rowid();
        let mut cache = GradingCache::default();
        let gradings: Vec<String> = planned
            .rows
            .iter()
            .map(|p| cache.json(grading_of(p.entry)).to_owned())
            .collect();
        for (chunk_index, chunk) in planned.rows.chunks(ROWS_PER_STATEMENT).enumerate() {
            let mut insert = tx.prepare_cached(&insert_log_sql(chunk.len()))?;
            let base = chunk_index * ROWS_PER_STATEMENT;
            let rows: Vec<Row<'_>> = chunk.iter().map(|p| Row::of(p.entry)).collect();
            let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() * 18);
            for (i, (row, p)) in rows.iter().zip(chunk).enumerate() {
                values.extend_from_slice(&[
                    &p.pos as &dyn rusqlite::ToSql,
                    &row.originator,
                    &row.record_id,
                    &p.version,
                    &row.schema,
                    &row.tombstone,
                    &row.properties,
                    &row.hash.0,
                    &row.contributor,
                    &row.submitted_at,
                    &row.source_ref,
                    &row.review_by,
                    &gradings[base + i],
                    &row.note,
                    &batch_id,
                    &row.source_line,
                    &row.source_cells,
                    &p.prev_pos,
                ]);
            }
            insert.execute(values.as_slice())?;
        }
        for chunk in planned.newest.chunks(ROWS_PER_STATEMENT) {
            let mut upsert = tx.prepare_cached(&upsert_heads_sql(chunk.len()))?;
            let rows: Vec<(Row<'_>, &Planned<'_>)> = chunk
                .iter()
                .map(|&i| (Row::of(planned.rows[i].entry), &planned.rows[i]))
                .collect();
            let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() * 6);
            for (row, p) in &rows {
                values.extend_from_slice(&[
                    &row.originator as &dyn rusqlite::ToSql,
                    &row.record_id,
                    &p.version,
                    &p.pos,
                    &row.hash.0,
                    &row.tombstone,
                ]);
            }
            upsert.execute(values.as_slice())?;
        }
        let outcome = planned.outcome(batch_id, first_pos);
        tx.commit()?;
        Ok(outcome)
    }

    fn head(&mut self, originator: &str, record_id: &str) -> Result<Option<StoredVersion>> {
        Ok(self
            .query_versions(&sql::HEAD, params![originator, record_id])?
            .pop())
    }

    fn versions(&mut self, originator: &str, record_id: &str) -> Result<Vec<StoredVersion>> {
        self.query_versions(&sql::VERSIONS, params![originator, record_id])
    }

    fn scan(&mut self, after: i64, limit: usize) -> Result<Vec<StoredVersion>> {
        let limit = limit.min(SCAN_LIMIT_MAX) as i64;
        self.query_versions(&sql::SCAN, params![after, limit])
    }

    fn scan_live(
        &mut self,
        after: Option<(&str, &str)>,
        limit: usize,
    ) -> Result<Vec<StoredVersion>> {
        let (o, r) = after.unwrap_or(("", ""));
        let limit = limit.min(SCAN_LIMIT_MAX) as i64;
        self.query_versions(&sql::SCAN_LIVE, params![o, r, limit])
    }

    fn log_position(&mut self) -> Result<i64> {
        Ok(self.conn.query_row(sql::LOG_POSITION, [], |r| r.get(0))?)
    }

    fn counts(&mut self) -> Result<StoreCounts> {
        Ok(self.conn.query_row(sql::COUNTS, [], |r| {
            let n = |i: usize| -> rusqlite::Result<u64> { Ok(r.get::<_, i64>(i)? as u64) };
            Ok(StoreCounts {
                live_records: n(0)?,
                log_entries: n(1)?,
                tombstones: n(2)?,
                batches: n(3)?,
                sources: n(4)?,
                log_position: r.get(5)?,
            })
        })?)
    }

    fn verify(&mut self) -> Result<u64> {
        let count = |q: &str| self.conn.query_row(q, [], |r| r.get::<_, i64>(0));
        crate::verify_verdict(
            count(sql::VERIFY_HEADS)?,
            count(sql::VERIFY_CHAINS)?,
            count(sql::HEADS_COUNT)?,
        )
    }

    fn add_judgement(&mut self, j: &NewJudgement) -> Result<i64> {
        check_judgement(j)?;
        Ok(self.conn.query_row(
            sql::INSERT_JUDGEMENT,
            params![
                j.a.originator,
                j.a.record_id,
                j.b.originator,
                j.b.record_id,
                verdict(j.same),
                j.analyst,
                j.reason,
                crate::now_rfc3339()
            ],
            |r| r.get(0),
        )?)
    }

    fn judgements(&mut self, after: i64) -> Result<Vec<StoredJudgement>> {
        let mut stmt = self.conn.prepare_cached(sql::JUDGEMENTS)?;
        let rows = stmt.query_map(params![after, JUDGEMENTS_MAX as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                [
                    r.get::<_, String>(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ],
            ))
        })?;
        rows.map(|row| {
            let (id, [oa, ra, ob, rb, v, analyst, reason, at]) = row?;
            Ok(StoredJudgement {
                id,
                judgement: NewJudgement {
                    a: RecordKey::new(oa, ra),
                    b: RecordKey::new(ob, rb),
                    same: parse_verdict(&v)?,
                    analyst,
                    reason,
                },
                judged_at: at,
            })
        })
        .collect()
    }

    fn judgement_position(&mut self) -> Result<i64> {
        Ok(self
            .conn
            .query_row(sql::JUDGEMENT_POSITION, [], |r| r.get(0))?)
    }

    fn resolution(&mut self, kind: &str) -> Result<Option<ResolutionInfo>> {
        Ok(self
            .conn
            .query_row(&sql::RESOLUTION, params![kind], |r| {
                Ok(ResolutionInfo {
                    kind: r.get(0)?,
                    log_position: r.get(1)?,
                    judgement_id: r.get(2)?,
                    method: r.get(3)?,
                    model: r.get(4)?,
                    records: r.get::<_, i64>(5)? as u64,
                    subjects: r.get::<_, i64>(6)? as u64,
                    next_subject: r.get::<_, i64>(7)? as u64,
                    resolved_at: r.get(8)?,
                })
            })
            .optional()?)
    }

    fn write_subjects(
        &mut self,
        info: &ResolutionInfo,
        expected_log_position: Option<i64>,
        mode: SubjectWrite,
        members: &[SubjectMember],
        removed: &[RecordKey],
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let stored: Option<i64> = tx
            .query_row(&sql::RESOLUTION, params![info.kind], |r| r.get(1))
            .optional()?;
        check_expected(&info.kind, stored, expected_log_position)?;
        if mode == SubjectWrite::Replace {
            tx.execute(sql::DELETE_MEMBERS_OF_KIND, params![info.kind])?;
        }
        {
            let mut delete = tx.prepare_cached(sql::DELETE_MEMBER)?;
            for key in removed {
                delete.execute(params![key.originator, key.record_id])?;
            }
        }
        for chunk in members.chunks(sql::MEMBER_ROWS_PER_STATEMENT) {
            let mut insert = tx.prepare_cached(&sql::upsert_members(chunk.len()))?;
            let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() * 7);
            let vias: Vec<_> = chunk.iter().map(SubjectMember::via_columns).collect();
            for (m, via) in chunk.iter().zip(&vias) {
                values.extend_from_slice(&[
                    &m.record.originator as &dyn rusqlite::ToSql,
                    &m.record.record_id,
                    &m.kind,
                    &m.subject_id,
                    &via.0,
                    &via.1,
                    &via.2,
                ]);
            }
            insert.execute(values.as_slice())?;
        }
        tx.execute(
            &sql::UPSERT_RESOLUTION,
            params![
                info.kind,
                info.log_position,
                info.judgement_id,
                info.method,
                info.model,
                info.records as i64,
                info.subjects as i64,
                info.next_subject as i64,
                info.resolved_at
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn subject_of(&mut self, record: &RecordKey) -> Result<Option<SubjectMember>> {
        Ok(self
            .query_members(
                &sql::MEMBER_OF,
                params![record.originator, record.record_id],
            )?
            .pop())
    }

    fn subject_members(&mut self, subject_id: &str) -> Result<Vec<SubjectMember>> {
        self.query_members(
            &sql::MEMBERS_OF_SUBJECT,
            params![subject_id, SUBJECT_MEMBERS_MAX as i64],
        )
    }

    fn scan_subjects(
        &mut self,
        kind: &str,
        after: Option<&RecordKey>,
        limit: usize,
    ) -> Result<Vec<SubjectMember>> {
        let (o, r) = after.map_or(("", ""), |k| (k.originator.as_str(), k.record_id.as_str()));
        let limit = limit.min(SCAN_LIMIT_MAX) as i64;
        self.query_members(&sql::SCAN_MEMBERS, params![kind, o, r, limit])
    }

    fn write_policy(&mut self, e: &AuditRow, docs: &[PolicyDoc]) -> Result<()> {
        check_docs(docs)?;
        let tx = self.conn.transaction()?;
        insert_policy(&tx, e, docs)?;
        tx.commit()?;
        Ok(())
    }

    fn write_policy_batch(&mut self, writes: &[(AuditRow, Vec<PolicyDoc>)]) -> Result<()> {
        policy::check_batch(writes)?;
        let tx = self.conn.transaction()?;
        for (e, docs) in writes {
            insert_policy(&tx, e, docs)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn audit_entries(&mut self, after: i64, limit: usize) -> Result<Vec<AuditRow>> {
        let limit = limit.min(POLICY_ROWS_MAX) as i64;
        let mut stmt = self.conn.prepare_cached(&policy::audit_entries_sql())?;
        let rows = stmt.query_map(params![after, limit], audit_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn audit_tail(&mut self) -> Result<Option<AuditRow>> {
        Ok(self
            .conn
            .query_row(&policy::audit_tail_sql(), [], audit_row)
            .optional()?)
    }

    fn add_audit_checkpoint(&mut self, c: &AuditCheckpoint) -> Result<()> {
        self.conn.execute(
            policy::INSERT_CHECKPOINT,
            params![c.seq, c.hash, c.public_key, c.signature, c.signed_at],
        )?;
        Ok(())
    }

    fn audit_checkpoints(&mut self, after: i64, limit: usize) -> Result<Vec<AuditCheckpoint>> {
        let limit = limit.min(POLICY_ROWS_MAX) as i64;
        let mut stmt = self.conn.prepare_cached(policy::CHECKPOINTS)?;
        let rows = stmt.query_map(params![after, limit], |r| {
            Ok(AuditCheckpoint {
                seq: r.get(0)?,
                hash: r.get(1)?,
                public_key: r.get(2)?,
                signature: r.get(3)?,
                signed_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn policy_docs(&mut self, kind: &str, after: &str, limit: usize) -> Result<Vec<PolicyDoc>> {
        let limit = limit.min(POLICY_ROWS_MAX) as i64;
        let mut stmt = self.conn.prepare_cached(policy::DOCS)?;
        let rows = stmt.query_map(params![kind, after, limit], policy_doc)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn policy_doc(&mut self, kind: &str, id: &str) -> Result<Option<PolicyDoc>> {
        Ok(self
            .conn
            .query_row(policy::DOC, params![kind, id], policy_doc)
            .optional()?)
    }

    fn prefer_small_commits(&mut self) -> Result<()> {
        self.set_cache_kib(SMALL_COMMITS_CACHE_KIB)?;
        // Many small commits reach the ingest's checkpoint size often, and the commit that does
        // copies all of it into the database and syncs it while every answer waiting on that
        // commit waits too: smaller checkpoints, more often, keep each stall short.
        self.conn
            .pragma_update(None, "wal_autocheckpoint", SMALL_COMMITS_CHECKPOINT_PAGES)?;
        Ok(())
    }

    fn erase_record(&mut self, e: &AuditRow, record: &RecordKey) -> Result<u64> {
        let (o, r) = (record.originator.as_str(), record.record_id.as_str());
        // Immediate: the write lock is held from the first read, so no append to this record
        // can slip in between finding its versions and deleting them.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let positions: Vec<i64> = {
            let mut stmt = tx.prepare_cached(policy::ERASE_POSITIONS)?;
            stmt.query_map(params![o, r], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        let Some(&through_pos) = positions.last() else {
            return Err(StoreError::UnknownRecord {
                originator: o.to_owned(),
                record_id: r.to_owned(),
            });
        };
        insert_policy(&tx, e, &[])?;
        tx.execute(
            policy::INSERT_ERASURE,
            params![o, r, through_pos, positions.len() as i64, e.seq, e.at],
        )?;
        for pos in &positions {
            tx.execute(policy::DELETE_VERSION, params![pos])?;
        }
        tx.execute(policy::DELETE_HEAD, params![o, r])?;
        tx.execute(policy::DELETE_ERASED_MEMBER, params![o, r])?;
        tx.execute(policy::UNLINK_ERASED_MEMBER, params![o, r])?;
        tx.commit()?;
        Ok(positions.len() as u64)
    }

    fn erasures(&mut self, after_seq: i64, limit: usize) -> Result<Vec<Erasure>> {
        let limit = limit.min(POLICY_ROWS_MAX) as i64;
        let mut stmt = self.conn.prepare_cached(policy::ERASURES)?;
        let rows = stmt.query_map(params![after_seq, limit], erasure_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn append_ledger(
        &mut self,
        source_id: Option<i64>,
        rows: &[LedgerRow],
    ) -> Result<LedgerAppend> {
        ledger::check_rows(rows)?;
        let now = crate::now_rfc3339();
        let tx = self.conn.transaction()?;
        let mut written: HashSet<(String, String)> = HashSet::new();
        for chunk in rows.chunks(ledger::LEDGER_ROWS_PER_STATEMENT) {
            let owned: Vec<[Value; ledger::INSERT_PARAMS]> = chunk
                .iter()
                .map(|r| {
                    [
                        Value::Text(r.originator.clone()),
                        Value::Text(r.tx_id.clone()),
                        Value::Integer(r.ts_seconds),
                        Value::Text(r.from_account.clone()),
                        Value::Text(r.to_account.clone()),
                        Value::Integer(r.amount_minor),
                        Value::Text(r.currency.clone()),
                        Value::Text(r.channel.clone()),
                        Value::Text(r.handling_json()),
                        Value::Blob(r.content_hash().to_vec()),
                        source_id.map_or(Value::Null, Value::Integer),
                        r.source_line
                            .and_then(|l| i64::try_from(l).ok())
                            .map_or(Value::Null, Value::Integer),
                        Value::Text(now.clone()),
                    ]
                })
                .collect();
            let mut stmt = tx.prepare_cached(&ledger::insert_sql(chunk.len()))?;
            let mut out = stmt.query(rusqlite::params_from_iter(owned.iter().flatten()))?;
            while let Some(row) = out.next()? {
                written.insert((row.get(0)?, row.get(1)?));
            }
        }
        let mut outcome = LedgerAppend {
            appended: written.len() as u64,
            ..LedgerAppend::default()
        };
        let mut seen: HashSet<(&str, &str)> = HashSet::new();
        for (index, r) in rows.iter().enumerate() {
            let key = (r.originator.as_str(), r.tx_id.as_str());
            // The first row of a key that was written is the written one; any other row of the
            // key (a repeat in the batch, or one stored earlier) is compared with what is stored.
            if seen.insert(key) && written.contains(&(r.originator.clone(), r.tx_id.clone())) {
                continue;
            }
            let stored: Vec<u8> =
                tx.query_row(ledger::STORED_HASH, params![r.originator, r.tx_id], |x| {
                    x.get(0)
                })?;
            if stored == r.content_hash() {
                outcome.unchanged += 1;
            } else {
                outcome.conflicts.push(LedgerConflict {
                    index,
                    reason: ledger::conflict_reason(r),
                });
            }
        }
        tx.commit()?;
        Ok(outcome)
    }

    fn scan_ledger(&mut self, after: Option<&LedgerKey>, limit: usize) -> Result<Vec<LedgerRow>> {
        let limit = limit.min(LEDGER_SCAN_MAX) as i64;
        let (ts, id, originator) = ledger::cursor(after);
        let mut stmt = self.conn.prepare_cached(&ledger::scan_sql())?;
        let mut rows = stmt.query(params![ts, id, originator, limit])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(ledger::row_of(
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
            )?);
        }
        Ok(out)
    }

    fn ledger_len(&mut self) -> Result<u64> {
        let n: i64 = self.conn.query_row(ledger::COUNT, [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

fn insert_policy(tx: &rusqlite::Transaction<'_>, e: &AuditRow, docs: &[PolicyDoc]) -> Result<()> {
    let now = crate::now_rfc3339();
    tx.prepare_cached(policy::INSERT_AUDIT)?.execute(params![
        e.seq,
        e.at,
        e.actor,
        e.agency,
        e.origin,
        e.action,
        e.justification,
        e.detail,
        e.prev_hash,
        e.hash
    ])?;
    for d in docs {
        tx.prepare_cached(policy::UPSERT_DOC)?
            .execute(params![d.kind, d.id, d.body, now])?;
    }
    Ok(())
}

fn erasure_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Erasure> {
    Ok(Erasure {
        record: RecordKey::new(&r.get::<_, String>(0)?, &r.get::<_, String>(1)?),
        through_pos: r.get(2)?,
        versions: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
        audit_seq: r.get(4)?,
        erased_at: r.get(5)?,
    })
}

fn audit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        seq: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        agency: r.get(3)?,
        origin: r.get(4)?,
        action: r.get(5)?,
        justification: r.get(6)?,
        detail: r.get(7)?,
        prev_hash: r.get(8)?,
        hash: r.get(9)?,
    })
}

fn policy_doc(r: &rusqlite::Row<'_>) -> rusqlite::Result<PolicyDoc> {
    Ok(PolicyDoc {
        kind: r.get(0)?,
        id: r.get(1)?,
        body: r.get(2)?,
    })
}
