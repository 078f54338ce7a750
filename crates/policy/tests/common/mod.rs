//! Shared test fixtures: three agencies, their users, records graded in each system, and the
//! two backends.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

use corridor_model::{Envelope, Grading, Record};
use corridor_policy::{Agency, Context, PolicyStore, Role, User};
use corridor_store::{Batch, Entry, NewVersion, PgStore, Provenance, SqliteStore, Store};

/// 2026-11-27T12:00:00Z.
pub const NOW: i64 = 1_795_780_800;
pub const DAY: i64 = 86_400;

pub use corridor_store::conformance::grading;

pub fn eu(h: &str) -> Grading {
    grading(
        "4x4",
        &[("source", "B"), ("information", "2"), ("handling", h)],
    )
}

pub fn tlp(t: &str) -> Grading {
    grading("tlp", &[("tlp", t)])
}

pub fn uk_p() -> Grading {
    grading(
        "3x5x2",
        &[("source", "2"), ("intelligence", "B"), ("handling", "P")],
    )
}

pub fn uk_c() -> Grading {
    grading(
        "3x5x2",
        &[
            ("source", "1"),
            ("intelligence", "A"),
            ("handling", "C"),
            ("conditions", "Not for court without NCA consent"),
        ],
    )
}

pub fn person(originator: &str, id: &str, props: &[(&str, &str)], grading: Grading) -> Entry {
    let mut properties = BTreeMap::new();
    for (k, v) in props {
        properties
            .entry((*k).to_owned())
            .or_insert_with(Vec::new)
            .push((*v).to_owned());
    }
    Entry::Version(NewVersion::new(
        Record {
            id: id.into(),
            schema: "Person".into(),
            properties,
        },
        Envelope {
            originator: originator.into(),
            contributor: "unit 7".into(),
            submitted_at: "2026-11-01".into(),
            source_ref: format!("case/{id}"),
            review_by: "2027-11-01".into(),
            grading,
        },
        Provenance::default(),
    ))
}

pub fn append(store: &mut dyn Store, entries: Vec<Entry>) {
    store
        .append_batch(&Batch {
            entries,
            ..Batch::default()
        })
        .expect("append");
}

pub fn ctx(user: &str) -> Context {
    ctx_at(user, NOW)
}

pub fn ctx_at(user: &str, now: i64) -> Context {
    Context {
        user: user.into(),
        origin: "10.0.0.7".into(),
        now,
    }
}

pub const AGENCIES: [(&str, &str); 3] = [("RS_BP", "rs"), ("UK_NCA", "gb"), ("MK_MVR", "mk")];

/// Three agencies, each with an analyst, a supervisor and an auditor.
pub fn enrol(policy: &mut PolicyStore<'_>) {
    for (code, country) in AGENCIES {
        policy
            .register_agency(
                "console",
                Agency {
                    code: code.into(),
                    country: country.into(),
                    name: format!("{code} intelligence"),
                    contact: format!("desk@{country}.example"),
                },
                NOW - DAY,
            )
            .expect("agency");
        let lower = code.to_ascii_lowercase();
        for (suffix, role) in [
            ("analyst", Role::Analyst),
            ("supervisor", Role::Supervisor),
            ("auditor", Role::Auditor),
        ] {
            policy
                .register_user(
                    "console",
                    User {
                        id: format!("{lower}.{suffix}"),
                        agency: code.into(),
                        roles: vec![role],
                        operations: vec!["kestrel".into()],
                        active: true,
                    },
                    NOW - DAY,
                )
                .expect("user");
        }
    }
}

pub fn sqlite_file() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("corridor.db");
    (dir, path)
}

/// A PostgreSQL store in a schema of its own, or `None` when the run skips PostgreSQL.
pub struct PgFixture {
    pub url: String,
    pub schema: String,
}

impl PgFixture {
    pub fn new() -> Option<Self> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let url = match std::env::var("CORRIDOR_TEST_PG_URL") {
            Ok(url) if !url.is_empty() => url,
            _ if std::env::var("CORRIDOR_TEST_PG").as_deref() == Ok("skip") => return None,
            _ => panic!(
                "CORRIDOR_TEST_PG_URL is not set: run the tests through scripts/test, or set \
                 CORRIDOR_TEST_PG=skip to skip PostgreSQL on purpose"
            ),
        };
        let schema = format!(
            "pol_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
        c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .expect("drop schema");
        Some(PgFixture { url, schema })
    }

    pub fn open(&self) -> PgStore {
        PgStore::open_in_schema(&self.url, &self.schema).expect("open")
    }

    pub fn client(&self) -> postgres::Client {
        let mut c = postgres::Client::connect(&self.url, postgres::NoTls).expect("connect");
        c.batch_execute(&format!("SET search_path TO {}", self.schema))
            .expect("search path");
        c
    }
}

impl Drop for PgFixture {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

pub fn sqlite_memory() -> SqliteStore {
    SqliteStore::open_in_memory().expect("open")
}
