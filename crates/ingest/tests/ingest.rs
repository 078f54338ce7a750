//! Ingest end to end on a real (SQLite) store: exact accepted rows and exact reject reasons for a
//! file that mixes good rows with every kind of bad one; idempotent re-runs; a failing batch that
//! leaves earlier batches committed and itself nothing; FtM export → ingest round trips.

use std::path::{Path, PathBuf};

use corridor_ingest::{Format, IngestError, Options, Summary, ingest_file};
use corridor_store::{Batch, BatchOutcome, SqliteStore, Store, StoreError};

const MAPPING: &str = r#"
[source]
agency = "RS_BP"
contributor = "UGP Test"
date_formats = ["%d.%m.%Y"]
phone_region = "RS"
review_after_days = 365
submitted_at = "2024-05-01T00:00:00Z"

[grading]
system = "4x4"
source = { column = "izvor" }
information = "2"
handling = "H1"

[entities.p]
schema = "Person"
id = { column = "id" }
[entities.p.properties]
name = "ime"
birthDate = "rodjen"
nationality = "drz"
phone = "tel"
notes = "napomena"
"#;

fn mixed_csv() -> Vec<u8> {
    let mut f: Vec<u8> = b"\xEF\xBB\xBF".to_vec();
    let lines: Vec<Vec<u8>> = vec![
        b"id,ime,rodjen,drz,tel,izvor,napomena".to_vec(),
        "p1,Ђорђе Јовановић,12.06.1984,SRB,063 123 4567,B,ok"
            .as_bytes()
            .to_vec(),
        "p2,\"Ana\r\nAnić\",01.01.1990,rs,,A,\"multi\r\nline note\""
            .as_bytes()
            .to_vec(),
        b"p3,Marko,31.02.1990,SRB,,B,".to_vec(),
        b"p4,Ivan,01.01.1980,SRB,,D,".to_vec(),
        b"p5,Bad\xff,01.01.1980,SRB,,B,".to_vec(),
        b"p6,Short,01.01.1980".to_vec(),
        b"p7,=cmd|' /C calc'!A0,,SRB,,B,\"=HYPERLINK(\"\"http://x\"\")\"".to_vec(),
        format!("p8,Over,,SRB,,B,{}", "x".repeat(9000)).into_bytes(),
        b",,,,,,".to_vec(),
        b"p9,Zoran,1975,XK,+381 63 1234567,C,\"quote \"\"inside\"\"\"".to_vec(),
        b"p10,Bad Phone,,SRB,12,B,".to_vec(),
        b"p11,No Nat,,Serbia,,B,x".to_vec(),
        b"p12,Multi,99.99.1999,ZZ,,B,".to_vec(),
    ];
    for l in lines {
        f.extend_from_slice(&l);
        f.extend_from_slice(b"\r\n");
    }
    f
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn ingest(
    store: &mut dyn Store,
    path: &Path,
    batch_records: usize,
) -> Result<Summary, IngestError> {
    let options = Options {
        batch_records,
        submitted_at: "2024-05-02T00:00:00Z".into(),
        ..Options::default()
    };
    ingest_file(
        store,
        path,
        Format::Csv,
        Some((MAPPING, "test.toml")),
        &options,
        &mut |_| {},
    )
}

#[test]
fn mixed_rows_exact_accepts_and_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "mixed.csv", &mixed_csv());
    let mut store = SqliteStore::open(dir.path().join("c.db")).unwrap();
    let s = ingest(&mut store, &csv, 3).unwrap();
    assert_eq!(
        (s.rows_read, s.rows_accepted, s.rows_rejected, s.rows_empty),
        (12, 4, 8, 1)
    );
    assert_eq!((s.records_appended, s.records_unchanged), (4, 0));
    assert_eq!(s.exit_code(), 3);

    let rejects = std::fs::read_to_string(dir.path().join("mixed.csv.rejects.csv")).unwrap();
    let want = "\
file,line,field,reason
mixed.csv,6,rodjen,Person.birthDate: '31.02.1990' read as '1990-02-31': day 31 does not exist in 1990-02
mixed.csv,7,izvor,\"grading: 4x4 source code 'D' is not A, B, C or X\"
mixed.csv,8,ime,not valid UTF-8 (byte 4 of the field)
mixed.csv,9,,\"row has 3 columns, the header has 7\"
mixed.csv,11,napomena,\"field has 9000 bytes, the limit is 8192\"
mixed.csv,14,tel,\"Person.phone: phone number must have 4 to 17 digits, found 2\"
mixed.csv,15,drz,Person.nationality: 'Serbia' is not an ISO 3166 country code
mixed.csv,16,rodjen,Person.birthDate: '99.99.1999' read as '1999-99-99': month 99 in '1999-99-99' is not 1..12
mixed.csv,16,drz,Person.nationality: 'ZZ' is not an ISO 3166 country code
";
    assert_eq!(rejects, want);

    let live = store.scan_live(None, 100).unwrap();
    let ids: Vec<&str> = live.iter().map(|v| v.record.id.as_str()).collect();
    assert_eq!(ids, ["p1", "p2", "p7", "p9"]);
    let prop = |i: usize, p: &str| live[i].record.properties[p].clone();
    assert_eq!(prop(0, "name"), ["Ђорђе Јовановић"]);
    assert_eq!(prop(0, "birthDate"), ["1984-06-12"]);
    assert_eq!(prop(0, "nationality"), ["rs"]);
    assert_eq!(prop(0, "phone"), ["+381631234567"]);
    assert_eq!(
        prop(1, "name"),
        ["Ana Anić"],
        "a quoted newline in a name collapses"
    );
    assert_eq!(
        prop(1, "notes"),
        ["multi\r\nline note"],
        "free text keeps its lines"
    );
    assert_eq!(
        prop(2, "name"),
        ["=cmd|' /C calc'!A0"],
        "stored verbatim, not executed"
    );
    assert_eq!(prop(2, "notes"), ["=HYPERLINK(\"http://x\")"]);
    assert_eq!(prop(3, "birthDate"), ["1975"], "year-only stays year-only");
    assert_eq!(prop(3, "nationality"), ["xk"]);
    assert_eq!(prop(3, "notes"), ["quote \"inside\""]);
    let lines: Vec<Option<u64>> = live.iter().map(|v| v.source_line).collect();
    assert_eq!(lines, [Some(2), Some(3), Some(10), Some(13)]);
    let grades: Vec<String> = live
        .iter()
        .map(|v| v.envelope.grading.to_string())
        .collect();
    assert_eq!(
        grades,
        ["4x4 B/2/H1", "4x4 A/2/H1", "4x4 B/2/H1", "4x4 C/2/H1"]
    );
    assert_eq!(live[0].envelope.review_by, "2025-05-01");
    assert_eq!(live[0].envelope.source_ref, "mixed.csv:2");
    // The raw row is kept: nothing the agency sent is lost.
    let cells: Vec<String> =
        serde_json::from_str(live[0].source_cells.as_deref().unwrap()).unwrap();
    assert_eq!(cells[4], "063 123 4567");
    assert_eq!(store.verify().unwrap(), 4);
}

#[test]
fn rerun_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "mixed.csv", &mixed_csv());
    let mut store = SqliteStore::open(dir.path().join("c.db")).unwrap();
    ingest(&mut store, &csv, 2).unwrap();
    let before = store.counts().unwrap();
    let again = ingest(&mut store, &csv, 2).unwrap();
    assert_eq!((again.records_appended, again.records_unchanged), (0, 4));
    let after = store.counts().unwrap();
    assert_eq!(after.log_position, before.log_position);
    assert_eq!(after.sources, 1, "the same file is one source");
}

#[test]
fn a_file_that_updates_its_own_records_reruns_as_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = b"id,ime,rodjen,drz,tel,izvor,napomena\n".to_vec();
    for round in 0..3 {
        for i in 0..4 {
            f.extend(format!("p{i},Osoba {i},01.02.1990,AFG,,B,round {round}\n").as_bytes());
        }
    }
    let csv = write(dir.path(), "changes.csv", &f);
    let mut store = SqliteStore::open(dir.path().join("c.db")).unwrap();
    let first = ingest(&mut store, &csv, 5).unwrap();
    assert_eq!((first.records_appended, first.records_unchanged), (12, 0));
    let again = ingest(&mut store, &csv, 5).unwrap();
    assert_eq!((again.records_appended, again.records_unchanged), (0, 12));
    assert_eq!(store.versions("RS_BP", "p3").unwrap().len(), 3);
    assert_eq!(
        store
            .head("RS_BP", "p3")
            .unwrap()
            .unwrap()
            .record
            .properties["notes"],
        ["round 2"]
    );
}

/// A store that fails the n-th append, as a full disk or a lost connection would.
struct FailingStore {
    inner: SqliteStore,
    appends_before_failure: usize,
}

impl Store for FailingStore {
    fn backend(&self) -> &'static str {
        "failing"
    }
    fn schema_version(&mut self) -> corridor_store::Result<i64> {
        self.inner.schema_version()
    }
    fn register_source(&mut self, s: &corridor_store::SourceInfo) -> corridor_store::Result<i64> {
        self.inner.register_source(s)
    }
    fn committed_through(&mut self, source_id: i64) -> corridor_store::Result<u64> {
        self.inner.committed_through(source_id)
    }
    fn append_batch(&mut self, b: &Batch) -> corridor_store::Result<BatchOutcome> {
        if self.appends_before_failure == 0 {
            return Err(StoreError::Io(std::io::Error::other("disk full")));
        }
        self.appends_before_failure -= 1;
        self.inner.append_batch(b)
    }
    fn head(
        &mut self,
        o: &str,
        r: &str,
    ) -> corridor_store::Result<Option<corridor_store::StoredVersion>> {
        self.inner.head(o, r)
    }
    fn versions(
        &mut self,
        o: &str,
        r: &str,
    ) -> corridor_store::Result<Vec<corridor_store::StoredVersion>> {
        self.inner.versions(o, r)
    }
    fn scan(
        &mut self,
        after: i64,
        limit: usize,
    ) -> corridor_store::Result<Vec<corridor_store::StoredVersion>> {
        self.inner.scan(after, limit)
    }
    fn scan_live(
        &mut self,
        after: Option<(&str, &str)>,
        limit: usize,
    ) -> corridor_store::Result<Vec<corridor_store::StoredVersion>> {
        self.inner.scan_live(after, limit)
    }
    fn log_position(&mut self) -> corridor_store::Result<i64> {
        self.inner.log_position()
    }
    fn counts(&mut self) -> corridor_store::Result<corridor_store::StoreCounts> {
        self.inner.counts()
    }
    fn verify(&mut self) -> corridor_store::Result<u64> {
        self.inner.verify()
    }
    fn add_judgement(&mut self, j: &corridor_store::NewJudgement) -> corridor_store::Result<i64> {
        self.inner.add_judgement(j)
    }
    fn judgements(
        &mut self,
        after: i64,
    ) -> corridor_store::Result<Vec<corridor_store::StoredJudgement>> {
        self.inner.judgements(after)
    }
    fn judgement_position(&mut self) -> corridor_store::Result<i64> {
        self.inner.judgement_position()
    }
    fn resolution(
        &mut self,
        kind: &str,
    ) -> corridor_store::Result<Option<corridor_store::ResolutionInfo>> {
        self.inner.resolution(kind)
    }
    fn write_subjects(
        &mut self,
        info: &corridor_store::ResolutionInfo,
        expected: Option<i64>,
        mode: corridor_store::SubjectWrite,
        members: &[corridor_store::SubjectMember],
        removed: &[corridor_store::RecordKey],
    ) -> corridor_store::Result<()> {
        self.inner
            .write_subjects(info, expected, mode, members, removed)
    }
    fn subject_of(
        &mut self,
        r: &corridor_store::RecordKey,
    ) -> corridor_store::Result<Option<corridor_store::SubjectMember>> {
        self.inner.subject_of(r)
    }
    fn subject_members(
        &mut self,
        s: &str,
    ) -> corridor_store::Result<Vec<corridor_store::SubjectMember>> {
        self.inner.subject_members(s)
    }
    fn scan_subjects(
        &mut self,
        kind: &str,
        after: Option<&corridor_store::RecordKey>,
        limit: usize,
    ) -> corridor_store::Result<Vec<corridor_store::SubjectMember>> {
        self.inner.scan_subjects(kind, after, limit)
    }
    fn write_policy(
        &mut self,
        e: &corridor_store::AuditRow,
        d: &[corridor_store::PolicyDoc],
    ) -> corridor_store::Result<()> {
        self.inner.write_policy(e, d)
    }
    fn audit_entries(
        &mut self,
        after: i64,
        limit: usize,
    ) -> corridor_store::Result<Vec<corridor_store::AuditRow>> {
        self.inner.audit_entries(after, limit)
    }
    fn audit_tail(&mut self) -> corridor_store::Result<Option<corridor_store::AuditRow>> {
        self.inner.audit_tail()
    }
    fn add_audit_checkpoint(
        &mut self,
        c: &corridor_store::AuditCheckpoint,
    ) -> corridor_store::Result<()> {
        self.inner.add_audit_checkpoint(c)
    }
    fn audit_checkpoints(
        &mut self,
        after: i64,
        limit: usize,
    ) -> corridor_store::Result<Vec<corridor_store::AuditCheckpoint>> {
        self.inner.audit_checkpoints(after, limit)
    }
    fn policy_docs(
        &mut self,
        kind: &str,
        after: &str,
        limit: usize,
    ) -> corridor_store::Result<Vec<corridor_store::PolicyDoc>> {
        self.inner.policy_docs(kind, after, limit)
    }
    fn policy_doc(
        &mut self,
        kind: &str,
        id: &str,
    ) -> corridor_store::Result<Option<corridor_store::PolicyDoc>> {
        self.inner.policy_doc(kind, id)
    }
    fn write_policy_batch(
        &mut self,
        w: &[(corridor_store::AuditRow, Vec<corridor_store::PolicyDoc>)],
    ) -> corridor_store::Result<()> {
        self.inner.write_policy_batch(w)
    }
    fn erase_record(
        &mut self,
        e: &corridor_store::AuditRow,
        r: &corridor_store::RecordKey,
    ) -> corridor_store::Result<u64> {
        self.inner.erase_record(e, r)
    }
    fn erasures(
        &mut self,
        after_seq: i64,
        limit: usize,
    ) -> corridor_store::Result<Vec<corridor_store::Erasure>> {
        self.inner.erasures(after_seq, limit)
    }
    fn append_ledger(
        &mut self,
        source_id: Option<i64>,
        rows: &[corridor_store::LedgerRow],
    ) -> corridor_store::Result<corridor_store::LedgerAppend> {
        self.inner.append_ledger(source_id, rows)
    }
    fn scan_ledger(
        &mut self,
        after: Option<&corridor_store::LedgerKey>,
        limit: usize,
    ) -> corridor_store::Result<Vec<corridor_store::LedgerRow>> {
        self.inner.scan_ledger(after, limit)
    }
    fn ledger_len(&mut self) -> corridor_store::Result<u64> {
        self.inner.ledger_len()
    }
}

fn good_csv(rows: usize) -> Vec<u8> {
    let mut f = b"id,ime,rodjen,drz,tel,izvor,napomena\n".to_vec();
    for i in 0..rows {
        f.extend(format!("p{i},Osoba {i},01.02.1990,AFG,,B,\n").as_bytes());
    }
    f
}

#[test]
fn failed_batch_commits_nothing_and_a_rerun_completes() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "good.csv", &good_csv(25));
    let db = dir.path().join("c.db");
    let mut failing = FailingStore {
        inner: SqliteStore::open(&db).unwrap(),
        appends_before_failure: 1,
    };
    let err = ingest(&mut failing, &csv, 10).unwrap_err();
    let IngestError::Failed { message, committed } = err else {
        panic!("want a failure")
    };
    assert!(message.contains("disk full"), "{message}");
    assert_eq!(
        (committed.rows_accepted, committed.records_appended),
        (10, 10)
    );
    let mut store = SqliteStore::open(&db).unwrap();
    assert_eq!(
        store.counts().unwrap().log_entries,
        10,
        "only the first batch"
    );
    let s = ingest(&mut store, &csv, 10).unwrap();
    assert_eq!((s.records_appended, s.records_unchanged), (15, 10));
    assert_eq!(store.counts().unwrap().live_records, 25);
    assert_eq!(store.verify().unwrap(), 25);
}

#[test]
fn ftm_export_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "mixed.csv", &mixed_csv());
    let mut first = SqliteStore::open(dir.path().join("a.db")).unwrap();
    ingest(&mut first, &csv, 100).unwrap();
    let mut exported = Vec::new();
    assert_eq!(
        corridor_ingest::export::ftm(&mut first, &mut exported).unwrap(),
        4
    );
    let lines = write(dir.path(), "export.ftm.jsonl", &exported);

    let none = Options::default();
    // Into the store it came from: nothing new.
    let s = ingest_file(&mut first, &lines, Format::Ftm, None, &none, &mut |_| {}).unwrap();
    assert_eq!(
        (s.rows_accepted, s.records_appended, s.records_unchanged),
        (4, 0, 4)
    );
    // Into a fresh store: the same records, exported byte for byte alike.
    let mut second = SqliteStore::open(dir.path().join("b.db")).unwrap();
    let s = ingest_file(&mut second, &lines, Format::Ftm, None, &none, &mut |_| {}).unwrap();
    assert_eq!((s.rows_accepted, s.rows_rejected), (4, 0));
    let mut again = Vec::new();
    corridor_ingest::export::ftm(&mut second, &mut again).unwrap();
    assert_eq!(
        String::from_utf8(again).unwrap(),
        String::from_utf8(exported).unwrap()
    );
}

#[test]
fn ftm_lines_without_envelope_take_the_mapping_or_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let lines = write(
        dir.path(),
        "bare.jsonl",
        "{\"id\":\"x1\",\"schema\":\"Person\",\"properties\":{\"name\":[\"Qasim Noori\"]}}\n\
         {\"id\":\"x2\",\"schema\":\"Spaceship\",\"properties\":{\"name\":[\"Q\"]}}\n\
         {\"id\":\"x3\",\"schema\":\"Person\",\"properties\":{\"name\":\"not a list\"}}\n"
            .as_bytes(),
    );
    let mut store = SqliteStore::open_in_memory().unwrap();
    let options = Options {
        submitted_at: "2024-05-02T00:00:00Z".into(),
        ..Options::default()
    };
    let s = ingest_file(&mut store, &lines, Format::Ftm, None, &options, &mut |_| {}).unwrap();
    assert_eq!((s.rows_accepted, s.rows_rejected), (0, 3));
    let mapping = MAPPING.replace("source = { column = \"izvor\" }", "source = \"B\"");
    let s = ingest_file(
        &mut store,
        &lines,
        Format::Ftm,
        Some((&mapping, "m.toml")),
        &options,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!((s.rows_accepted, s.rows_rejected), (1, 2));
    let rejects = std::fs::read_to_string(dir.path().join("bare.jsonl.rejects.csv")).unwrap();
    assert!(
        rejects.contains("bare.jsonl,2,schema,'Spaceship' is not a schema"),
        "{rejects}"
    );
    assert!(
        rejects.contains("bare.jsonl,3,properties.name,must be a list of strings"),
        "{rejects}"
    );
    let head = store.head("RS_BP", "x1").unwrap().unwrap();
    assert_eq!(head.envelope.grading.to_string(), "4x4 B/2/H1");
}

#[test]
fn usage_errors_name_the_mapping_and_commit_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "good.csv", &good_csv(3));
    let mut store = SqliteStore::open_in_memory().unwrap();
    let bad = MAPPING.replace("\"rodjen\"", "\"born\"");
    let err = ingest_file(
        &mut store,
        &csv,
        Format::Csv,
        Some((&bad, "rs.toml")),
        &Options::default(),
        &mut |_| {},
    )
    .unwrap_err();
    let IngestError::Usage(msg) = err else {
        panic!("want usage")
    };
    assert!(
        msg.starts_with("mapping rs.toml: entities.p.properties.birthDate: column 'born'"),
        "{msg}"
    );
    assert_eq!(store.counts().unwrap().log_entries, 0);
}
