//! Corridor's record log behind one [`Store`] interface, with two backends: [`SqliteStore`]
//! (embedded, one file, WAL, the default) and [`PgStore`] (PostgreSQL, for multi-user
//! deployments). Both pass the same [`conformance`] suite.
//!
//! The log is append-only. A correction is a new version of a record; a retraction is a
//! tombstone. Appending the content the current version already has is a no-op, which is what
//! makes re-ingesting a file, or resuming a killed ingest, add nothing twice. Every appended
//! version gets a log position that only grows, and versions become visible in position order,
//! so derived state can follow the log with "everything after position N".
//!
//! ```
//! use corridor_store::{Store, SqliteStore};
//! let mut store = SqliteStore::open_in_memory().unwrap();
//! assert_eq!(store.log_position().unwrap(), 0);
//! assert_eq!(store.backend(), "sqlite");
//! ```

pub mod conformance;
mod ledger;
mod plan;
mod policy;
mod postgres;
mod sql;
mod sqlite;
mod subjects;

use std::collections::BTreeMap;

use corridor_model::{ContentHash, Envelope, Record};

pub use crate::ledger::{
    LEDGER_BATCH_MAX, LEDGER_FIELD_BYTES_MAX, LEDGER_SCAN_MAX, LedgerAppend, LedgerConflict,
    LedgerKey, LedgerRow,
};
pub use crate::policy::{
    AuditCheckpoint, AuditRow, Erasure, POLICY_DOC_BYTES_MAX, POLICY_ROWS_MAX, PolicyDoc,
};
pub use crate::postgres::PgStore;
pub use crate::sqlite::SqliteStore;
pub use crate::subjects::{
    JUDGEMENTS_MAX, NewJudgement, RecordKey, ResolutionInfo, SUBJECT_MEMBERS_MAX, StoredJudgement,
    SubjectMember, SubjectWrite,
};

/// Why a store operation failed. Nothing of the failing batch is committed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] ::postgres::Error),
    #[error("the store's schema is at migration {found}, newer than this build knows ({known})")]
    TooNew { found: i64, known: i64 },
    #[error("cannot retract {originator}/{record_id}: no such record")]
    UnknownRecord {
        originator: String,
        record_id: String,
    },
    #[error("batch of {entries} entries is over the limit of {limit}")]
    BatchTooLarge { entries: usize, limit: usize },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Where a record version came from inside its source file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    /// The 1-based line the row or JSON line starts on.
    pub line: Option<u64>,
    /// The raw row as read (JSON array of cells, aligned with the source's header), so that
    /// nothing the agency sent is lost even when the mapping does not use a column.
    pub cells: Option<String>,
}

/// A new version of a record, validated and hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVersion {
    pub record: Record,
    pub envelope: Envelope,
    pub hash: ContentHash,
    pub provenance: Provenance,
    /// The properties as the log stores them (JSON), encoded where the version is made so that
    /// the encoding runs on the producer's thread, not the single writer's.
    properties_json: String,
}

impl NewVersion {
    /// A version whose hash and stored encoding are computed from its content.
    pub fn new(record: Record, envelope: Envelope, provenance: Provenance) -> Self {
        let hash = ContentHash::of_record(&record, &envelope);
        let properties_json = properties_json(&record);
        NewVersion {
            record,
            envelope,
            hash,
            provenance,
            properties_json,
        }
    }

    /// The properties as stored.
    pub fn properties_json(&self) -> &str {
        &self.properties_json
    }
}

/// A retraction of a record's current version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tombstone {
    pub record_id: String,
    /// The schema of the record retracted (kept so the log reads on its own).
    pub schema: String,
    /// Who retracts, when, under which grading; `originator` must own the record.
    pub envelope: Envelope,
    pub reason: String,
}

/// One entry of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Version(NewVersion),
    Tombstone(Tombstone),
}

impl Entry {
    pub(crate) fn key(&self) -> (&str, &str) {
        match self {
            Entry::Version(v) => (&v.envelope.originator, &v.record.id),
            Entry::Tombstone(t) => (&t.envelope.originator, &t.record_id),
        }
    }

    pub(crate) fn hash(&self) -> ContentHash {
        match self {
            Entry::Version(v) => v.hash,
            Entry::Tombstone(t) => {
                ContentHash::of_tombstone(&t.envelope.originator, &t.record_id, &t.reason)
            }
        }
    }
}

/// A source file, registered once however often it is ingested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    pub name: String,
    /// BLAKE3 of the file's bytes, hex.
    pub file_hash: String,
    pub format: String,
    /// BLAKE3 of the mapping's text, hex (empty without a mapping): the same file read through
    /// another mapping is another source.
    pub mapping_hash: String,
    pub header: Option<Vec<String>>,
    pub mapping: Option<String>,
}

/// A batch: appended in one transaction, whole or not at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    pub source_id: Option<i64>,
    pub first_line: Option<u64>,
    pub last_line: Option<u64>,
    pub entries: Vec<Entry>,
}

/// What appending a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub batch_id: i64,
    /// Versions and tombstones written to the log.
    pub appended: u64,
    /// Entries that matched the record's current version and were skipped.
    pub unchanged: u64,
    /// The log position after the batch.
    pub log_position: i64,
}

/// One version as the log holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVersion {
    pub pos: i64,
    pub version: i64,
    pub tombstone: bool,
    pub record: Record,
    pub envelope: Envelope,
    pub hash: ContentHash,
    pub note: Option<String>,
    pub batch_id: i64,
    pub source_line: Option<u64>,
    pub source_cells: Option<String>,
}

/// Totals, for summaries and checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreCounts {
    /// Records whose current version is not a tombstone.
    pub live_records: u64,
    /// Rows in the log: every version and tombstone.
    pub log_entries: u64,
    pub tombstones: u64,
    pub batches: u64,
    pub sources: u64,
    pub log_position: i64,
}

/// Most versions one scan call returns.
pub const SCAN_LIMIT_MAX: usize = 10_000;

/// The record log's interface. Implementations are transactional: `append_batch` commits all of
/// a batch or nothing, and no reader ever sees part of a batch.
pub trait Store: Send {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// The newest migration applied.
    fn schema_version(&mut self) -> Result<i64>;

    /// Registers a source file (idempotent on name, hash and format) and returns its id.
    fn register_source(&mut self, source: &SourceInfo) -> Result<i64>;

    /// The last source line of `source_id` that a committed batch covers (0 if none): a re-run
    /// of the same file through the same mapping resumes after it.
    fn committed_through(&mut self, source_id: i64) -> Result<u64>;

    /// Appends a batch atomically. Entries whose content equals the record's current version are
    /// skipped; the rest get the next version numbers and log positions in batch order.
    fn append_batch(&mut self, batch: &Batch) -> Result<BatchOutcome>;

    /// The current version (possibly a tombstone) of a record.
    fn head(&mut self, originator: &str, record_id: &str) -> Result<Option<StoredVersion>>;

    /// Every version of a record, oldest first.
    fn versions(&mut self, originator: &str, record_id: &str) -> Result<Vec<StoredVersion>>;

    /// Up to `limit` (at most [`SCAN_LIMIT_MAX`]) log entries after position `after`, in order.
    fn scan(&mut self, after: i64, limit: usize) -> Result<Vec<StoredVersion>>;

    /// Up to `limit` current, non-retracted versions ordered by (originator, record id), after
    /// the given key: the export and rebuild path.
    fn scan_live(
        &mut self,
        after: Option<(&str, &str)>,
        limit: usize,
    ) -> Result<Vec<StoredVersion>>;

    /// The highest log position committed (0 for an empty log).
    fn log_position(&mut self) -> Result<i64>;

    /// Totals.
    fn counts(&mut self) -> Result<StoreCounts>;

    /// Checks that the current-version index agrees with the log: every record's head is its
    /// highest version and nothing is missing. Returns the number of records checked.
    fn verify(&mut self) -> Result<u64>;

    /// Records an analyst's judgement on two records and returns its id.
    fn add_judgement(&mut self, judgement: &NewJudgement) -> Result<i64>;

    /// Judgements with an id above `after`, oldest first (at most [`JUDGEMENTS_MAX`]).
    fn judgements(&mut self, after: i64) -> Result<Vec<StoredJudgement>>;

    /// The newest judgement's id (0 when there is none).
    fn judgement_position(&mut self) -> Result<i64>;

    /// What the stored subjects of `kind` reflect, if it was ever resolved.
    fn resolution(&mut self, kind: &str) -> Result<Option<ResolutionInfo>>;

    /// Writes a resolution of `info.kind` atomically: the members (replacing every member of
    /// the kind, or updating the given ones), the removal of `removed`, and `info`. Fails with
    /// [`StoreError::Conflict`] unless the stored resolution still reflects
    /// `expected_log_position` (`None`: never resolved), so that two runs cannot interleave.
    fn write_subjects(
        &mut self,
        info: &ResolutionInfo,
        expected_log_position: Option<i64>,
        mode: SubjectWrite,
        members: &[SubjectMember],
        removed: &[RecordKey],
    ) -> Result<()>;

    /// The subject a record belongs to.
    fn subject_of(&mut self, record: &RecordKey) -> Result<Option<SubjectMember>>;

    /// A subject's members in key order (at most [`SUBJECT_MEMBERS_MAX`]).
    fn subject_members(&mut self, subject_id: &str) -> Result<Vec<SubjectMember>>;

    /// Up to `limit` (at most [`SCAN_LIMIT_MAX`]) members of `kind` after `after`, in key order.
    fn scan_subjects(
        &mut self,
        kind: &str,
        after: Option<&RecordKey>,
        limit: usize,
    ) -> Result<Vec<SubjectMember>>;

    /// Appends one audit entry and writes `docs` (replacing documents of the same kind and id)
    /// in one transaction: a policy change is never stored without the entry that records it.
    /// Fails, writing nothing, when an entry with `entry.seq` exists already, so two writers
    /// racing for the same place in the chain cannot both succeed.
    fn write_policy(&mut self, entry: &AuditRow, docs: &[PolicyDoc]) -> Result<()>;

    /// Appends several audit entries, each with its documents, in one transaction: one commit
    /// (one sync) for acts audited one by one but made durable together (group commit). All or
    /// nothing; fails, writing nothing, when any entry's `seq` exists already or there are more
    /// than [`POLICY_ROWS_MAX`] entries.
    fn write_policy_batch(&mut self, writes: &[(AuditRow, Vec<PolicyDoc>)]) -> Result<()>;

    /// Up to `limit` (at most [`POLICY_ROWS_MAX`]) audit entries with `seq` above `after`, in
    /// order.
    fn audit_entries(&mut self, after: i64, limit: usize) -> Result<Vec<AuditRow>>;

    /// The audit entry with the highest `seq`.
    fn audit_tail(&mut self) -> Result<Option<AuditRow>>;

    /// Stores a signed checkpoint.
    fn add_audit_checkpoint(&mut self, checkpoint: &AuditCheckpoint) -> Result<()>;

    /// Up to `limit` (at most [`POLICY_ROWS_MAX`]) checkpoints with `seq` above `after`.
    fn audit_checkpoints(&mut self, after: i64, limit: usize) -> Result<Vec<AuditCheckpoint>>;

    /// Up to `limit` (at most [`POLICY_ROWS_MAX`]) documents of `kind` with ids after `after`,
    /// in id order.
    fn policy_docs(&mut self, kind: &str, after: &str, limit: usize) -> Result<Vec<PolicyDoc>>;

    /// One policy document.
    fn policy_doc(&mut self, kind: &str, id: &str) -> Result<Option<PolicyDoc>>;

    /// Tunes this handle for many small commits (the policy layer's one audit entry per act)
    /// rather than large batches. A hint: a backend with nothing to tune does nothing.
    fn prefer_small_commits(&mut self) -> Result<()> {
        Ok(())
    }

    /// Erases every version of a record: the one exception to the append-only log. In one
    /// transaction it appends `entry` (the audit entry recording the erasure, written first, as
    /// in [`Store::write_policy`]), records the erasure in `erasures`, deletes the record's
    /// versions and head, and takes it out of its subject. Returns the versions removed. Fails,
    /// changing nothing, when the record has no versions ([`StoreError::UnknownRecord`]) or
    /// `entry.seq` is taken.
    fn erase_record(&mut self, entry: &AuditRow, record: &RecordKey) -> Result<u64>;

    /// Up to `limit` (at most [`POLICY_ROWS_MAX`]) recorded erasures whose audit entry is above
    /// `after_seq`, in audit order.
    fn erasures(&mut self, after_seq: i64, limit: usize) -> Result<Vec<Erasure>>;
    /// Appends ledger rows (at most [`LEDGER_BATCH_MAX`]) in one transaction, whole or not at
    /// all. A row whose (originator, transaction id) is stored with the same content is counted
    /// unchanged; with other content it is refused and reported in
    /// [`LedgerAppend::conflicts`], and the other rows are still written. An invalid row
    /// ([`LedgerRow::check`]) fails the whole call.
    fn append_ledger(&mut self, source_id: Option<i64>, rows: &[LedgerRow])
    -> Result<LedgerAppend>;

    /// Up to `limit` (at most [`LEDGER_SCAN_MAX`]) ledger rows after `after` in canonical order
    /// (timestamp, transaction id, originator); from the start when `after` is `None`.
    fn scan_ledger(&mut self, after: Option<&LedgerKey>, limit: usize) -> Result<Vec<LedgerRow>>;

    /// Rows in the ledger.
    fn ledger_len(&mut self) -> Result<u64>;
}

/// Calls `f` with every ledger row in canonical order, reading [`LEDGER_SCAN_MAX`] at a time.
pub fn for_each_ledger<E: From<StoreError>>(
    store: &mut dyn Store,
    mut f: impl FnMut(LedgerRow) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let mut after: Option<LedgerKey> = None;
    loop {
        let page = store.scan_ledger(after.as_ref(), LEDGER_SCAN_MAX)?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = Some(last.key());
        for r in page {
            f(r)?;
        }
    }
}

/// Calls `f` with every live record (its current, non-retracted version) in (originator, id)
/// order, reading [`SCAN_LIMIT_MAX`] at a time: the one paging loop for exports, rebuilds and
/// derivations.
pub fn for_each_live<E: From<StoreError>>(
    store: &mut dyn Store,
    mut f: impl FnMut(StoredVersion) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let mut after: Option<(String, String)> = None;
    loop {
        let page = store.scan_live(
            after.as_ref().map(|(o, r)| (o.as_str(), r.as_str())),
            SCAN_LIMIT_MAX,
        )?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = Some((last.envelope.originator.clone(), last.record.id.clone()));
        for v in page {
            f(v)?;
        }
    }
}

/// Calls `f` with every stored member of the subjects of `kind`, in record key order.
pub fn for_each_member<E: From<StoreError>>(
    store: &mut dyn Store,
    kind: &str,
    mut f: impl FnMut(SubjectMember) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let mut after: Option<RecordKey> = None;
    loop {
        let page = store.scan_subjects(kind, after.as_ref(), SCAN_LIMIT_MAX)?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = Some(last.record.clone());
        for m in page {
            f(m)?;
        }
    }
}

/// Opens the store a locator names: `postgres://…` or `postgresql://…` for PostgreSQL, otherwise
/// a SQLite file path (an optional `sqlite:` prefix is allowed). Migrations run on open.
pub fn open(locator: &str) -> Result<Box<dyn Store>> {
    if locator.starts_with("postgres://") || locator.starts_with("postgresql://") {
        Ok(Box::new(PgStore::open(locator)?))
    } else {
        let path = locator.strip_prefix("sqlite:").unwrap_or(locator);
        Ok(Box::new(SqliteStore::open(path)?))
    }
}

/// The current UTC time, RFC 3339 (whole seconds).
pub fn now_rfc3339() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format_unix_seconds(now.as_secs() as i64)
}

/// UTC RFC 3339 for a Unix time, by the civil-from-days algorithm (no time-zone data needed).
pub fn format_unix_seconds(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = corridor_text::calendar::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

pub(crate) fn properties_json(record: &Record) -> String {
    // A BTreeMap of strings always serialises.
    serde_json::to_string(&record.properties).unwrap_or_else(|_| "{}".into())
}

/// Columns of a stored version, in the order of [`sql::SELECT_COLUMNS`].
pub(crate) struct Columns {
    pub pos: i64,
    pub originator: String,
    pub record_id: String,
    pub version: i64,
    pub schema: String,
    pub tombstone: bool,
    pub properties: String,
    pub content_hash: Vec<u8>,
    pub contributor: String,
    pub submitted_at: String,
    pub source_ref: String,
    pub review_by: String,
    pub grading: String,
    pub note: Option<String>,
    pub batch_id: i64,
    pub source_line: Option<i64>,
    pub source_cells: Option<String>,
}

impl Columns {
    pub(crate) fn into_version(self) -> Result<StoredVersion> {
        let corrupt = |what: &str, e: &dyn std::fmt::Display| {
            StoreError::Corrupt(format!("log position {}: {what}: {e}", self.pos))
        };
        let properties: BTreeMap<String, Vec<String>> =
            serde_json::from_str(&self.properties).map_err(|e| corrupt("properties", &e))?;
        let grading = serde_json::from_str(&self.grading).map_err(|e| corrupt("grading", &e))?;
        let hash: [u8; 32] = self
            .content_hash
            .as_slice()
            .try_into()
            .map_err(|_| corrupt("content hash", &"not 32 bytes"))?;
        Ok(StoredVersion {
            pos: self.pos,
            version: self.version,
            tombstone: self.tombstone,
            record: Record {
                id: self.record_id,
                schema: self.schema,
                properties,
            },
            envelope: Envelope {
                originator: self.originator,
                contributor: self.contributor,
                submitted_at: self.submitted_at,
                source_ref: self.source_ref,
                review_by: self.review_by,
                grading,
            },
            hash: ContentHash(hash),
            note: self.note,
            batch_id: self.batch_id,
            source_line: self.source_line.and_then(|l| u64::try_from(l).ok()),
            source_cells: self.source_cells,
        })
    }
}

/// Turns the two integrity counts into the verdict `Store::verify` returns.
pub(crate) fn verify_verdict(bad_heads: i64, bad_links: i64, heads: i64) -> Result<u64> {
    if bad_heads != 0 {
        return Err(StoreError::Corrupt(format!(
            "{bad_heads} records whose head does not match their newest log entry"
        )));
    }
    if bad_links != 0 {
        return Err(StoreError::Corrupt(format!(
            "{bad_links} log entries whose previous-version link or batch is wrong"
        )));
    }
    Ok(u64::try_from(heads).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    #[test]
    fn unix_seconds_format() {
        assert_eq!(super::format_unix_seconds(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            super::format_unix_seconds(951_782_400),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            super::format_unix_seconds(1_798_761_599),
            "2026-12-31T23:59:59Z"
        );
    }
}
