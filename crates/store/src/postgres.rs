//! The PostgreSQL backend, for deployments where many analysts and services share one store.
//!
//! Appends take a transaction-scoped advisory lock, so batches commit one at a time and in log
//! position order: a follower that has read everything up to position N can never later find a
//! smaller position appear (which concurrent sequence allocation alone would allow). The log
//! rows travel by COPY, the fastest path PostgreSQL has.

use std::collections::{HashMap, HashSet};
use std::io::Write;

use ::postgres::types::ToSql;
use ::postgres::{Client, NoTls, Transaction};

use crate::ledger;
use crate::plan::{GradingCache, Head, Plan, Row, plan};
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
        include_str!("../migrations/postgres/0001_record_log.sql"),
    ),
    (
        2,
        "subjects",
        include_str!("../migrations/postgres/0002_subjects.sql"),
    ),
    (
        4,
        "policy",
        include_str!("../migrations/postgres/0004_policy.sql"),
    ),
    (
        5,
        "erasure",
        include_str!("../migrations/postgres/0005_erasure.sql"),
    ),
    (
        6,
        "ledger",
        include_str!("../migrations/postgres/0006_ledger.sql"),
    ),
];

/// Advisory lock key that serialises subject writes, so that the expected-position check and
/// the write are one step even when the kind has never been resolved (no row to lock).
const SUBJECTS_LOCK_KEY: i64 = 0x7375_626a_6563_7473;

/// Advisory lock key that serialises log appends ("corridor" in ASCII, as a number).
const APPEND_LOCK_KEY: i64 = 0x636f_7272_6964_6f72;
/// Advisory lock key that serialises migrations across processes starting at once.
const MIGRATE_LOCK_KEY: i64 = APPEND_LOCK_KEY + 1;

/// The PostgreSQL backend.
pub struct PgStore {
    client: Client,
}

impl PgStore {
    /// Connects (`postgres://user@host:port/db`) and applies pending migrations.
    pub fn open(url: &str) -> Result<PgStore> {
        let client = Client::connect(url, NoTls)?;
        PgStore::init(client)
    }

    /// Connects with every table in `schema` (created if missing): lets one database hold many
    /// independent stores, which the conformance tests use to run in parallel.
    pub fn open_in_schema(url: &str, schema: &str) -> Result<PgStore> {
        let valid = !schema.is_empty()
            && schema.len() <= 48
            && schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(StoreError::Corrupt(format!(
                "schema name '{schema}' must be 1 to 48 of a-z, 0-9 and _"
            )));
        }
        let mut client = Client::connect(url, NoTls)?;
        client.batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {schema}; SET search_path TO {schema}"
        ))?;
        PgStore::init(client)
    }

    fn init(mut client: Client) -> Result<PgStore> {
        client.batch_execute("SET client_min_messages TO warning")?;
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK_KEY])?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        )?;
        let current: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )?
            .get(0);
        let known = MIGRATIONS.last().map_or(0, |m| m.0);
        if current > known {
            return Err(StoreError::TooNew {
                found: current,
                known,
            });
        }
        let done: Vec<i64> = tx
            .query("SELECT version FROM schema_migrations", &[])?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
        // Numbers may have gaps (branches reserve theirs), and a lower number can arrive after
        // a higher one was applied: every known migration not yet applied runs, in order.
        for (version, name, sql) in MIGRATIONS.iter().filter(|m| !done.contains(&m.0)) {
            tx.batch_execute(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                &[version, name, &crate::now_rfc3339()],
            )?;
        }
        tx.commit()?;
        Ok(PgStore { client })
    }

    fn query_versions(
        &mut self,
        sql: &str,
        params: &[&(dyn ::postgres::types::ToSql + Sync)],
    ) -> Result<Vec<StoredVersion>> {
        let rows = self.client.query(sql, params)?;
        rows.into_iter()
            .map(|r| {
                Columns {
                    pos: r.try_get(0)?,
                    originator: r.try_get(1)?,
                    record_id: r.try_get(2)?,
                    version: r.try_get(3)?,
                    schema: r.try_get(4)?,
                    tombstone: r.try_get(5)?,
                    properties: r.try_get(6)?,
                    content_hash: r.try_get(7)?,
                    contributor: r.try_get(8)?,
                    submitted_at: r.try_get(9)?,
                    source_ref: r.try_get(10)?,
                    review_by: r.try_get(11)?,
                    grading: r.try_get(12)?,
                    note: r.try_get(13)?,
                    batch_id: r.try_get(14)?,
                    source_line: r.try_get(15)?,
                    source_cells: r.try_get(16)?,
                }
                .into_version()
            })
            .collect()
    }
}

fn load_heads(tx: &mut Transaction<'_>, batch: &Batch) -> Result<HashMap<(String, String), Head>> {
    let (originators, ids): (Vec<&str>, Vec<&str>) = batch.entries.iter().map(|e| e.key()).unzip();
    let rows = tx.query(
        "SELECT h.originator, h.record_id, h.version, h.content_hash, h.tombstone, h.pos
         FROM record_heads h
         JOIN unnest($1::text[], $2::text[]) AS k (originator, record_id)
           ON h.originator = k.originator AND h.record_id = k.record_id",
        &[&originators, &ids],
    )?;
    let mut heads = HashMap::with_capacity(rows.len());
    for r in rows {
        let hash: Vec<u8> = r.try_get(3)?;
        let hash: [u8; 32] = hash
            .try_into()
            .map_err(|_| StoreError::Corrupt("head hash is not 32 bytes".into()))?;
        heads.insert(
            (r.try_get(0)?, r.try_get(1)?),
            Head {
                pos: r.try_get(5)?,
                version: r.try_get(2)?,
                hash: ContentHash(hash),
                tombstone: r.try_get(4)?,
            },
        );
    }
    Ok(heads)
}

/// Appends one value in COPY text format: backslash escapes for the four characters the format
/// reserves, `\N` for NULL.
fn copy_text(out: &mut Vec<u8>, value: Option<&str>) {
    let Some(value) = value else {
        out.extend_from_slice(b"\\N");
        return;
    };
    for &b in value.as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => out.push(b),
        }
    }
}

/// The planned rows in COPY text format. Numbers and the hash are written straight into the
/// buffer: this runs on the single writer thread, once per appended version.
fn copy_rows(planned: &Plan<'_>, batch_id: i64) -> Vec<u8> {
    use std::io::Write as _;
    let mut cache = GradingCache::default();
    let mut buf = Vec::with_capacity(planned.rows.len() * 768);
    for p in &planned.rows {
        let row = Row::of(p.entry);
        // Writing into a Vec cannot fail.
        let _ = write!(buf, "{}\t", p.pos);
        copy_text(&mut buf, Some(row.originator));
        buf.push(b'\t');
        copy_text(&mut buf, Some(row.record_id));
        let _ = write!(buf, "\t{}\t", p.version);
        copy_text(&mut buf, Some(row.schema));
        buf.extend_from_slice(if row.tombstone { b"\tt\t" } else { b"\tf\t" });
        copy_text(&mut buf, Some(row.properties));
        buf.extend_from_slice(b"\t\\\\x");
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for b in row.hash.0 {
            buf.push(HEX[usize::from(b >> 4)]);
            buf.push(HEX[usize::from(b & 15)]);
        }
        for v in [
            row.contributor,
            row.submitted_at,
            row.source_ref,
            row.review_by,
        ] {
            buf.push(b'\t');
            copy_text(&mut buf, Some(v));
        }
        buf.push(b'\t');
        copy_text(&mut buf, Some(cache.json(row.grading)));
        buf.push(b'\t');
        copy_text(&mut buf, row.note);
        let _ = write!(buf, "\t{batch_id}\t");
        match row.source_line {
            Some(l) => {
                let _ = write!(buf, "{l}");
            }
            None => buf.extend_from_slice(b"\\N"),
        }
        buf.push(b'\t');
        copy_text(&mut buf, row.source_cells);
        buf.push(b'\t');
        match p.prev_pos {
            Some(prev) => {
                let _ = write!(buf, "{prev}");
            }
            None => buf.extend_from_slice(b"\\N"),
        }
        buf.push(b'\n');
    }
    buf
}

impl PgStore {
    fn query_members(
        &mut self,
        sql: &str,
        params: &[&(dyn ::postgres::types::ToSql + Sync)],
    ) -> Result<Vec<SubjectMember>> {
        let rows = self.client.query(sql, params)?;
        rows.into_iter()
            .map(|r| {
                Ok(MemberColumns {
                    originator: r.try_get(0)?,
                    record_id: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    subject_id: r.try_get(3)?,
                    via_originator: r.try_get(4)?,
                    via_record_id: r.try_get(5)?,
                    weight: r.try_get(6)?,
                }
                .into_member())
            })
            .collect()
    }
}

impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn schema_version(&mut self) -> Result<i64> {
        Ok(self
            .client
            .query_one(sql::SCHEMA_VERSION, &[])?
            .try_get(0)?)
    }

    fn register_source(&mut self, s: &SourceInfo) -> Result<i64> {
        let header = s
            .header
            .as_ref()
            .map(|h| serde_json::to_string(h).unwrap_or_default());
        self.client.execute(
            sql::INSERT_SOURCE,
            &[
                &s.name,
                &s.file_hash,
                &s.format,
                &s.mapping_hash,
                &header,
                &s.mapping,
                &crate::now_rfc3339(),
            ],
        )?;
        Ok(self
            .client
            .query_one(
                sql::SOURCE_ID,
                &[&s.name, &s.file_hash, &s.format, &s.mapping_hash],
            )?
            .try_get(0)?)
    }

    fn committed_through(&mut self, source_id: i64) -> Result<u64> {
        let line: i64 = self
            .client
            .query_one(sql::COMMITTED_THROUGH, &[&source_id])?
            .try_get(0)?;
        Ok(u64::try_from(line).unwrap_or(0))
    }

    fn append_batch(&mut self, batch: &Batch) -> Result<BatchOutcome> {
        if batch.entries.len() > BATCH_RECORDS_MAX {
            return Err(StoreError::BatchTooLarge {
                entries: batch.entries.len(),
                limit: BATCH_RECORDS_MAX,
            });
        }
        let mut tx = self.client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK_KEY])?;
        // Under the lock the log cannot grow, so MAX(pos) + 1 is the next position.
        let first_pos: i64 = tx.query_one(sql::NEXT_POSITION, &[])?.try_get(0)?;
        let heads = load_heads(&mut tx, batch)?;
        let planned = plan(batch, first_pos, |o, r| {
            Ok(heads.get(&(o.to_owned(), r.to_owned())).copied())
        })?;
        let first_line = batch.first_line.and_then(|l| i64::try_from(l).ok());
        let last_line = batch.last_line.and_then(|l| i64::try_from(l).ok());
        let batch_id: i64 = tx
            .query_one(
                "INSERT INTO batches (source_id, first_line, last_line, entries, appended, committed_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    &batch.source_id,
                    &first_line,
                    &last_line,
                    &(batch.entries.len() as i64),
                    &(planned.rows.len() as i64),
                    &crate::now_rfc3339(),
                ],
            )?
            .try_get(0)?;
        if !planned.rows.is_empty() {
            let buf = copy_rows(&planned, batch_id);
            let mut writer = tx.copy_in(
                "COPY record_log (pos, originator, record_id, version, schema, tombstone,
                    properties, content_hash, contributor, submitted_at, source_ref, review_by,
                    grading, note, batch_id, source_line, source_cells, prev_pos) FROM STDIN",
            )?;
            writer.write_all(&buf)?;
            writer.finish()?;
            let n = planned.newest.len();
            let (mut originators, mut ids, mut versions, mut positions, mut hashes, mut tombs) = (
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
            );
            for &i in &planned.newest {
                let p = &planned.rows[i];
                let (o, r) = p.entry.key();
                originators.push(o);
                ids.push(r);
                versions.push(p.version);
                positions.push(p.pos);
                hashes.push(p.entry.hash().0.to_vec());
                tombs.push(matches!(p.entry, crate::Entry::Tombstone(_)));
            }
            tx.execute(
                "INSERT INTO record_heads (originator, record_id, version, pos, content_hash, tombstone)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[],
                                      $5::bytea[], $6::boolean[])
                 ON CONFLICT (originator, record_id) DO UPDATE SET version = excluded.version,
                    pos = excluded.pos, content_hash = excluded.content_hash,
                    tombstone = excluded.tombstone",
                &[&originators, &ids, &versions, &positions, &hashes, &tombs],
            )?;
        }
        let outcome = planned.outcome(batch_id, first_pos);
        tx.commit()?;
        Ok(outcome)
    }

    fn head(&mut self, originator: &str, record_id: &str) -> Result<Option<StoredVersion>> {
        Ok(self
            .query_versions(&sql::HEAD, &[&originator, &record_id])?
            .pop())
    }

    fn versions(&mut self, originator: &str, record_id: &str) -> Result<Vec<StoredVersion>> {
        self.query_versions(&sql::VERSIONS, &[&originator, &record_id])
    }

    fn scan(&mut self, after: i64, limit: usize) -> Result<Vec<StoredVersion>> {
        let limit = limit.min(SCAN_LIMIT_MAX) as i64;
        self.query_versions(&sql::SCAN, &[&after, &limit])
    }

    fn scan_live(
        &mut self,
        after: Option<(&str, &str)>,
        limit: usize,
    ) -> Result<Vec<StoredVersion>> {
        let (o, r) = after.unwrap_or(("", ""));
        let limit = limit.min(SCAN_LIMIT_MAX) as i64;
        self.query_versions(&sql::SCAN_LIVE, &[&o, &r, &limit])
    }

    fn log_position(&mut self) -> Result<i64> {
        Ok(self.client.query_one(sql::LOG_POSITION, &[])?.try_get(0)?)
    }

    fn counts(&mut self) -> Result<StoreCounts> {
        let r = self.client.query_one(sql::COUNTS, &[])?;
        let n = |i: usize| -> Result<u64> { Ok(r.try_get::<_, i64>(i)? as u64) };
        Ok(StoreCounts {
            live_records: n(0)?,
            log_entries: n(1)?,
            tombstones: n(2)?,
            batches: n(3)?,
            sources: n(4)?,
            log_position: r.try_get(5)?,
        })
    }

    fn verify(&mut self) -> Result<u64> {
        let mut count = |q: &str| -> Result<i64> { Ok(self.client.query_one(q, &[])?.try_get(0)?) };
        let bad_heads = count(sql::VERIFY_HEADS)?;
        let bad_links = count(sql::VERIFY_CHAINS)?;
        crate::verify_verdict(bad_heads, bad_links, count(sql::HEADS_COUNT)?)
    }

    fn add_judgement(&mut self, j: &NewJudgement) -> Result<i64> {
        check_judgement(j)?;
        Ok(self
            .client
            .query_one(
                sql::INSERT_JUDGEMENT,
                &[
                    &j.a.originator,
                    &j.a.record_id,
                    &j.b.originator,
                    &j.b.record_id,
                    &verdict(j.same),
                    &j.analyst,
                    &j.reason,
                    &crate::now_rfc3339(),
                ],
            )?
            .try_get(0)?)
    }

    fn judgements(&mut self, after: i64) -> Result<Vec<StoredJudgement>> {
        let rows = self
            .client
            .query(sql::JUDGEMENTS, &[&after, &(JUDGEMENTS_MAX as i64)])?;
        rows.into_iter()
            .map(|r| {
                Ok(StoredJudgement {
                    id: r.try_get(0)?,
                    judgement: NewJudgement {
                        a: RecordKey::new(r.try_get::<_, String>(1)?, r.try_get::<_, String>(2)?),
                        b: RecordKey::new(r.try_get::<_, String>(3)?, r.try_get::<_, String>(4)?),
                        same: parse_verdict(r.try_get(5)?)?,
                        analyst: r.try_get(6)?,
                        reason: r.try_get(7)?,
                    },
                    judged_at: r.try_get(8)?,
                })
            })
            .collect()
    }

    fn judgement_position(&mut self) -> Result<i64> {
        Ok(self
            .client
            .query_one(sql::JUDGEMENT_POSITION, &[])?
            .try_get(0)?)
    }

    fn resolution(&mut self, kind: &str) -> Result<Option<ResolutionInfo>> {
        let Some(r) = self.client.query_opt(sql::RESOLUTION.as_str(), &[&kind])? else {
            return Ok(None);
        };
        let count = |i: usize| -> Result<u64> { Ok(r.try_get::<_, i64>(i)? as u64) };
        Ok(Some(ResolutionInfo {
            kind: r.try_get(0)?,
            log_position: r.try_get(1)?,
            judgement_id: r.try_get(2)?,
            method: r.try_get(3)?,
            model: r.try_get(4)?,
            records: count(5)?,
            subjects: count(6)?,
            next_subject: count(7)?,
            resolved_at: r.try_get(8)?,
        }))
    }

    fn write_subjects(
        &mut self,
        info: &ResolutionInfo,
        expected_log_position: Option<i64>,
        mode: SubjectWrite,
        members: &[SubjectMember],
        removed: &[RecordKey],
    ) -> Result<()> {
        let mut tx = self.client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SUBJECTS_LOCK_KEY])?;
        let stored: Option<i64> = tx
            .query_opt(sql::RESOLUTION.as_str(), &[&info.kind])?
            .map(|r| r.try_get(1))
            .transpose()?;
        check_expected(&info.kind, stored, expected_log_position)?;
        if mode == SubjectWrite::Replace {
            tx.execute(sql::DELETE_MEMBERS_OF_KIND, &[&info.kind])?;
        }
        if !removed.is_empty() {
            let delete = tx.prepare(sql::DELETE_MEMBER)?;
            for key in removed {
                tx.execute(&delete, &[&key.originator, &key.record_id])?;
            }
        }
        for chunk in members.chunks(sql::MEMBER_ROWS_PER_STATEMENT) {
            let statement = tx.prepare(&sql::upsert_members(chunk.len()))?;
            let vias: Vec<_> = chunk.iter().map(SubjectMember::via_columns).collect();
            let mut values: Vec<&(dyn ::postgres::types::ToSql + Sync)> =
                Vec::with_capacity(chunk.len() * 7);
            for (m, via) in chunk.iter().zip(&vias) {
                values.extend_from_slice(&[
                    &m.record.originator,
                    &m.record.record_id,
                    &m.kind,
                    &m.subject_id,
                    &via.0,
                    &via.1,
                    &via.2,
                ]);
            }
            tx.execute(&statement, &values)?;
        }
        tx.execute(
            sql::UPSERT_RESOLUTION.as_str(),
            &[
                &info.kind,
                &info.log_position,
                &info.judgement_id,
                &info.method,
                &info.model,
                &(info.records as i64),
                &(info.subjects as i64),
                &(info.next_subject as i64),
                &info.resolved_at,
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn subject_of(&mut self, record: &RecordKey) -> Result<Option<SubjectMember>> {
        Ok(self
            .query_members(&sql::MEMBER_OF, &[&record.originator, &record.record_id])?
            .pop())
    }

    fn subject_members(&mut self, subject_id: &str) -> Result<Vec<SubjectMember>> {
        self.query_members(
            &sql::MEMBERS_OF_SUBJECT,
            &[&subject_id, &(SUBJECT_MEMBERS_MAX as i64)],
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
        self.query_members(&sql::SCAN_MEMBERS, &[&kind, &o, &r, &limit])
    }

    fn write_policy(&mut self, e: &AuditRow, docs: &[PolicyDoc]) -> Result<()> {
        check_docs(docs)?;
        let mut tx = self.client.transaction()?;
        insert_policy(&mut tx, e, docs)?;
        tx.commit()?;
        Ok(())
    }

    fn write_policy_batch(&mut self, writes: &[(AuditRow, Vec<PolicyDoc>)]) -> Result<()> {
        policy::check_batch(writes)?;
        let mut tx = self.client.transaction()?;
        for (e, docs) in writes {
            insert_policy(&mut tx, e, docs)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn audit_entries(&mut self, after: i64, limit: usize) -> Result<Vec<AuditRow>> {
        let limit = limit.min(POLICY_ROWS_MAX) as i64;
        let rows = self
            .client
            .query(&policy::audit_entries_sql(), &[&after, &limit])?;
        rows.iter().map(audit_row).collect()
    }

    fn audit_tail(&mut self) -> Result<Option<AuditRow>> {
        let row = self.client.query_opt(&policy::audit_tail_sql(), &[])?;
        row.as_ref().map(audit_row).transpose()
    }

    fn add_audit_checkpoint(&mut self, c: &AuditCheckpoint) -> Result<()> {
        self.client.execute(
            policy::INSERT_CHECKPOINT,
            &[&c.seq, &c.hash, &c.public_key, &c.signature, &c.signed_at],
        )?;
        Ok(())
    }

    fn audit_checkpoints(&mut self, after: i64, limit: usize) -> Result<Vec<AuditCheckpoint>> {
        let limit = limit.min(POLICY_ROWS_MAX) as i64;
        let rows = self.client.query(policy::CHECKPOINTS, &[&after, &limit])?;
        rows.iter()
            .map(|r| {
                Ok(AuditCheckpoint {
                    seq: r.try_get(0)?,
                    hash: r.try_get(1)?,
                    public_key: r.try_get(2)?,
                    signature: r.try_get(3)?,
                    signed_at: r.try_get(4)?,
                })
            })
            .collect()
    }

    fn policy_docs(&mut self, kind: &str, after: &str, limit: usize) -> Result<Vec<PolicyDoc>> {
        let limit = limit.min(POLICY_ROWS_MAX) as i64;
        let rows = self.client.query(policy::DOCS, &[&kind, &after, &limit])?;
        rows.iter().map(policy_doc).collect()
    }

    fn policy_doc(&mut self, kind: &str, id: &str) -> Result<Option<PolicyDoc>> {
        let row = self.client.query_opt(policy::DOC, &[&kind, &id])?;
        row.as_ref().map(policy_doc).transpose()
    }

    fn erase_record(&mut self, e: &AuditRow, record: &RecordKey) -> Result<u64> {
        let (o, r) = (record.originator.as_str(), record.record_id.as_str());
        let mut tx = self.client.transaction()?;
        // The append lock: no batch can add a version of this record between finding its
        // versions and deleting them.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK_KEY])?;
        let positions: Vec<i64> = tx
            .query(policy::ERASE_POSITIONS, &[&o, &r])?
            .iter()
            .map(|row| row.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
        let Some(&through_pos) = positions.last() else {
            return Err(StoreError::UnknownRecord {
                originator: o.to_owned(),
                record_id: r.to_owned(),
            });
        };
        insert_policy(&mut tx, e, &[])?;
        let versions = positions.len() as i64;
        tx.execute(
            policy::INSERT_ERASURE,
            &[&o, &r, &through_pos, &versions, &e.seq, &e.at],
        )?;
        tx.execute("DELETE FROM record_log WHERE pos = ANY($1)", &[&positions])?;
        tx.execute(policy::DELETE_HEAD, &[&o, &r])?;
        tx.execute(policy::DELETE_ERASED_MEMBER, &[&o, &r])?;
        tx.execute(policy::UNLINK_ERASED_MEMBER, &[&o, &r])?;
        tx.commit()?;
        Ok(positions.len() as u64)
    }

    fn erasures(&mut self, after_seq: i64, limit: usize) -> Result<Vec<Erasure>> {
        let limit = limit.min(POLICY_ROWS_MAX) as i64;
        let rows = self.client.query(policy::ERASURES, &[&after_seq, &limit])?;
        rows.iter()
            .map(|row| {
                Ok(Erasure {
                    record: RecordKey::new(
                        &row.try_get::<_, String>(0)?,
                        &row.try_get::<_, String>(1)?,
                    ),
                    through_pos: row.try_get(2)?,
                    versions: u64::try_from(row.try_get::<_, i64>(3)?).unwrap_or(0),
                    audit_seq: row.try_get(4)?,
                    erased_at: row.try_get(5)?,
                })
            })
            .collect()
    }

    fn append_ledger(
        &mut self,
        source_id: Option<i64>,
        rows: &[LedgerRow],
    ) -> Result<LedgerAppend> {
        ledger::check_rows(rows)?;
        let now = crate::now_rfc3339();
        let mut tx = self.client.transaction()?;
        let mut written: HashSet<(String, String)> = HashSet::new();
        for chunk in rows.chunks(ledger::LEDGER_ROWS_PER_STATEMENT) {
            let handling: Vec<String> = chunk.iter().map(LedgerRow::handling_json).collect();
            let hashes: Vec<Vec<u8>> = chunk.iter().map(|r| r.content_hash().to_vec()).collect();
            let lines: Vec<Option<i64>> = chunk
                .iter()
                .map(|r| r.source_line.and_then(|l| i64::try_from(l).ok()))
                .collect();
            let mut params: Vec<&(dyn ToSql + Sync)> =
                Vec::with_capacity(chunk.len() * ledger::INSERT_PARAMS);
            for (i, r) in chunk.iter().enumerate() {
                params.extend_from_slice(&[
                    &r.originator,
                    &r.tx_id,
                    &r.ts_seconds,
                    &r.from_account,
                    &r.to_account,
                    &r.amount_minor,
                    &r.currency,
                    &r.channel,
                    &handling[i],
                    &hashes[i],
                    &source_id,
                    &lines[i],
                    &now,
                ]);
            }
            let stmt = tx.prepare(&ledger::insert_sql(chunk.len()))?;
            for row in tx.query(&stmt, &params)? {
                written.insert((row.try_get(0)?, row.try_get(1)?));
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
            let stored: Vec<u8> = tx
                .query_one(ledger::STORED_HASH, &[&r.originator, &r.tx_id])?
                .try_get(0)?;
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
        let rows = self
            .client
            .query(&ledger::scan_sql(), &[&ts, &id, &originator, &limit])?;
        rows.iter()
            .map(|r| {
                ledger::row_of(
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get(2)?,
                    r.try_get(3)?,
                    r.try_get(4)?,
                    r.try_get(5)?,
                    r.try_get(6)?,
                    r.try_get(7)?,
                    r.try_get(8)?,
                    r.try_get(9)?,
                )
            })
            .collect()
    }

    fn ledger_len(&mut self) -> Result<u64> {
        let n: i64 = self.client.query_one(ledger::COUNT, &[])?.try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

fn insert_policy(tx: &mut Transaction<'_>, e: &AuditRow, docs: &[PolicyDoc]) -> Result<()> {
    let now = crate::now_rfc3339();
    tx.execute(
        policy::INSERT_AUDIT,
        &[
            &e.seq,
            &e.at,
            &e.actor,
            &e.agency,
            &e.origin,
            &e.action,
            &e.justification,
            &e.detail,
            &e.prev_hash,
            &e.hash,
        ],
    )?;
    for d in docs {
        tx.execute(policy::UPSERT_DOC, &[&d.kind, &d.id, &d.body, &now])?;
    }
    Ok(())
}

fn audit_row(r: &::postgres::Row) -> Result<AuditRow> {
    Ok(AuditRow {
        seq: r.try_get(0)?,
        at: r.try_get(1)?,
        actor: r.try_get(2)?,
        agency: r.try_get(3)?,
        origin: r.try_get(4)?,
        action: r.try_get(5)?,
        justification: r.try_get(6)?,
        detail: r.try_get(7)?,
        prev_hash: r.try_get(8)?,
        hash: r.try_get(9)?,
    })
}

fn policy_doc(r: &::postgres::Row) -> Result<PolicyDoc> {
    Ok(PolicyDoc {
        kind: r.try_get(0)?,
        id: r.try_get(1)?,
        body: r.try_get(2)?,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn copy_text_escapes_reserved_bytes() {
        let mut out = Vec::new();
        super::copy_text(&mut out, Some("a\tb\nc\\d\re"));
        assert_eq!(out, b"a\\tb\\nc\\\\d\\re");
        out.clear();
        super::copy_text(&mut out, None);
        assert_eq!(out, b"\\N");
    }
}
