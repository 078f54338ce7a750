//! The conformance suite on the SQLite backend, plus what only SQLite has: a file that survives
//! reopening and triggers that refuse to rewrite the log.

use corridor_store::conformance::{Fixture, person};
use corridor_store::{Batch, SqliteStore, Store};

struct SqliteFixture {
    dir: tempfile::TempDir,
}

impl SqliteFixture {
    fn new() -> Self {
        SqliteFixture {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }
    fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("corridor.db")
    }
}

impl Fixture for SqliteFixture {
    fn fresh(&self) -> Box<dyn Store> {
        Box::new(SqliteStore::open(self.path()).expect("open fresh store"))
    }
    fn reopen(&self) -> Box<dyn Store> {
        Box::new(SqliteStore::open(self.path()).expect("reopen store"))
    }
}

corridor_store::conformance_suite!(Some(SqliteFixture::new()));

#[test]
fn log_survives_reopen_and_refuses_rewrites() {
    let f = SqliteFixture::new();
    {
        let mut s = f.fresh();
        let batch = Batch {
            entries: vec![person("RS_BP", "a", "Marko")],
            ..Batch::default()
        };
        s.append_batch(&batch).unwrap();
        // SQLite's triggers fire per row: the judgements table needs a row to refuse changing.
        s.add_judgement(&corridor_store::NewJudgement {
            a: corridor_store::RecordKey::new("RS_BP", "a"),
            b: corridor_store::RecordKey::new("MK_BP", "b"),
            same: false,
            analyst: "analyst.one".into(),
            reason: "different fathers".into(),
        })
        .unwrap();
    }
    let mut s = f.reopen();
    assert_eq!(s.log_position().unwrap(), 1);
    assert_eq!(s.schema_version().unwrap(), 6);
    s.append_ledger(
        None,
        &[corridor_store::conformance::ledger_row(
            "RS_FIU", "T1", 1, 100,
        )],
    )
    .unwrap();
    let conn = rusqlite_conn(&f.path());
    for sql in [
        "UPDATE record_log SET properties = '{}'",
        "DELETE FROM record_log",
        "UPDATE judgements SET verdict = 'same'",
        "DELETE FROM judgements",
        // An erasure recorded for another record does not open this one.
        "INSERT INTO erasures VALUES ('RS_BP', 'other', 99, 1, 1, 'x'); DELETE FROM record_log",
        "DELETE FROM erasures",
        "UPDATE erasures SET versions = 0",
        "UPDATE ledger_tx SET amount_minor = 1",
        "DELETE FROM ledger_tx",
    ] {
        let err = conn.execute_batch(sql).unwrap_err().to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

fn rusqlite_conn(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

#[test]
fn a_store_from_a_newer_build_is_refused() {
    let f = SqliteFixture::new();
    drop(f.fresh());
    let conn = rusqlite_conn(&f.path());
    conn.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 'x')",
        [],
    )
    .unwrap();
    drop(conn);
    match SqliteStore::open(f.path()) {
        Err(corridor_store::StoreError::TooNew { found: 99, known }) => assert!(known < 99),
        Err(e) => panic!("want TooNew, got {e}"),
        Ok(_) => panic!("a store migrated by a newer build must not be opened"),
    }
}

/// Migration numbers may have gaps, and a branch's lower number can be merged after a higher
/// one was applied: the runner applies every known migration that is missing, not only those
/// above the newest.
#[test]
fn a_missing_lower_migration_is_applied_late() {
    let f = SqliteFixture::new();
    drop(f.fresh());
    let conn = rusqlite_conn(&f.path());
    // Make the store look as if 0002 had not existed when 0004 was applied.
    conn.execute_batch(
        "DELETE FROM schema_migrations WHERE version = 2;
         DROP TABLE judgements; DROP TABLE resolutions; DROP TABLE subject_members;",
    )
    .unwrap();
    drop(conn);
    let mut s = f.reopen();
    assert_eq!(s.schema_version().unwrap(), 6);
    assert_eq!(s.judgement_position().unwrap(), 0);
    let conn = rusqlite_conn(&f.path());
    let versions: Vec<i64> = conn
        .prepare("SELECT version FROM schema_migrations ORDER BY version")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(versions, [1, 2, 4, 5, 6]);
}
