//! The conformance suite on the PostgreSQL backend. It needs a server: set
//! `CORRIDOR_TEST_PG_URL` (the repository's test script starts a throwaway one on loopback).
//! Without it these tests fail rather than pass silently, unless `CORRIDOR_TEST_PG=skip` says
//! that skipping is intended.

use std::sync::atomic::{AtomicU32, Ordering};

use corridor_store::conformance::Fixture;
use corridor_store::{PgStore, Store};

struct PgFixture {
    url: String,
    schema: String,
}

fn pg_url() -> Option<String> {
    match std::env::var("CORRIDOR_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CORRIDOR_TEST_PG").as_deref() == Ok("skip") => None,
        _ => panic!(
            "CORRIDOR_TEST_PG_URL is not set: run the tests through scripts/test, which starts \
             PostgreSQL, or set CORRIDOR_TEST_PG=skip to skip PostgreSQL on purpose"
        ),
    }
}

impl PgFixture {
    /// A fixture on a schema of its own, so tests run in parallel on one database.
    fn new() -> Option<Self> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let url = pg_url()?;
        let schema = format!(
            "conf_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .expect("drop schema");
        Some(PgFixture { url, schema })
    }
}

impl Drop for PgFixture {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

impl Fixture for PgFixture {
    fn fresh(&self) -> Box<dyn Store> {
        Box::new(PgStore::open_in_schema(&self.url, &self.schema).expect("open fresh store"))
    }
    fn reopen(&self) -> Box<dyn Store> {
        self.fresh()
    }
}

corridor_store::conformance_suite!(PgFixture::new());

#[test]
fn log_refuses_rewrites() {
    let Some(f) = PgFixture::new() else { return };
    // Deletes are checked per row (only a recorded erasure may delete): the log needs a row.
    f.fresh()
        .append_batch(&corridor_store::Batch {
            entries: vec![corridor_store::conformance::person("RS_BP", "a", "Marko")],
            ..corridor_store::Batch::default()
        })
        .unwrap();
    let mut c = postgres::Client::connect(&f.url, postgres::NoTls).unwrap();
    for (sql, table) in [
        ("UPDATE", "record_log"),
        ("DELETE FROM", "record_log"),
        ("TRUNCATE", "record_log"),
        ("UPDATE", "judgements"),
        ("DELETE FROM", "judgements"),
        ("TRUNCATE", "judgements"),
        ("DELETE FROM", "erasures"),
        ("TRUNCATE", "erasures"),
        ("UPDATE", "ledger_tx"),
        ("DELETE FROM", "ledger_tx"),
        ("TRUNCATE", "ledger_tx"),
    ] {
        let stmt = match (sql, table) {
            ("UPDATE", "record_log") => format!("UPDATE {}.record_log SET note = 'x'", f.schema),
            ("UPDATE", "ledger_tx") => {
                format!("UPDATE {}.ledger_tx SET amount_minor = 1", f.schema)
            }
            ("UPDATE", _) => format!("UPDATE {}.judgements SET reason = 'x'", f.schema),
            (other, table) => format!("{other} {}.{table}", f.schema),
        };
        let err = c.batch_execute(&stmt).unwrap_err();
        let msg = err
            .as_db_error()
            .map(|e| e.message().to_owned())
            .unwrap_or_default();
        assert!(msg.contains("append-only"), "{stmt}: {msg}");
    }
}
