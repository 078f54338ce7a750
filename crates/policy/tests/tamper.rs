//! The audit log against tampering, on both backends: someone with write access to the database
//! drops the append-only triggers and flips a byte, deletes an entry, swaps two, truncates the
//! tail, or rewrites the chain; `verify` names the first bad entry every time. And a disclosure
//! whose audit entry cannot be written does not happen.

mod common;

use common::*;
use corridor_policy::{Access, NewGrant, PolicyStore, Scope, audit};
use corridor_store::{RecordKey, SqliteStore, Store};
use ed25519_dalek::SigningKey;

const ENTRIES: i64 = 12;

fn key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

/// Twelve entries (three agencies, nine users), signed at the end.
fn fill(store: &mut dyn Store) {
    let mut policy = PolicyStore::open(store).unwrap();
    enrol(&mut policy);
    drop(policy);
    audit::checkpoint(store, &key(), NOW).unwrap();
    let report = audit::verify(store, Some(&key().verifying_key())).unwrap();
    assert_eq!(report.entries, ENTRIES as u64);
    assert_eq!(report.broken, None);
}

fn broken_at(store: &mut dyn Store) -> i64 {
    let report = audit::verify(store, Some(&key().verifying_key())).unwrap();
    report.broken.expect("tampering must be detected").seq
}

/// Each tampering, as SQL both backends run, with the entry verify must name.
const CASES: &[(&str, &str, i64)] = &[
    (
        "flip a byte of the content",
        "UPDATE audit_log SET detail = replace(detail, 'intelligence', 'intelligencf') WHERE seq = 5",
        5,
    ),
    (
        "change the actor",
        "UPDATE audit_log SET actor = 'someone' WHERE seq = 7",
        7,
    ),
    ("delete an entry", "DELETE FROM audit_log WHERE seq = 4", 4),
    (
        "swap two entries",
        "UPDATE audit_log SET seq = -seq WHERE seq IN (5, 6);
         UPDATE audit_log SET seq = 6 WHERE seq = -5;
         UPDATE audit_log SET seq = 5 WHERE seq = -6",
        5,
    ),
    (
        "truncate the tail",
        "DELETE FROM audit_log WHERE seq >= 10",
        10,
    ),
    (
        "delete the first entry",
        "DELETE FROM audit_log WHERE seq = 1",
        1,
    ),
];

#[test]
fn sqlite_detects_every_tampering() {
    for (what, sql, seq) in CASES {
        let (_dir, path) = sqlite_file();
        fill(&mut SqliteStore::open(&path).unwrap());
        let conn = rusqlite::Connection::open(&path).unwrap();
        let err = conn
            .execute("DELETE FROM audit_log WHERE seq = 3", [])
            .unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
        conn.execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
            .unwrap();
        conn.execute_batch(sql).unwrap();
        drop(conn);
        let got = broken_at(&mut SqliteStore::open(&path).unwrap());
        assert_eq!(got, *seq, "{what}");
    }
}

#[test]
fn postgres_detects_every_tampering() {
    for (what, sql, seq) in CASES {
        let Some(f) = PgFixture::new() else { return };
        fill(&mut f.open());
        let mut c = f.client();
        let err = c
            .batch_execute("DELETE FROM audit_log WHERE seq = 3")
            .unwrap_err();
        let msg = err
            .as_db_error()
            .map(|e| e.message().to_owned())
            .unwrap_or_default();
        assert!(msg.contains("append-only"), "{msg}");
        c.batch_execute("DROP TRIGGER audit_log_append_only ON audit_log")
            .unwrap();
        c.batch_execute(sql).unwrap();
        let got = broken_at(&mut f.open());
        assert_eq!(got, *seq, "{what}");
    }
}

/// Rewriting entry 5 and re-hashing everything after it makes a consistent chain, which only
/// the signed checkpoint (made with a key the database does not hold) exposes.
#[test]
fn a_rehashed_chain_is_caught_by_the_checkpoint() {
    let (_dir, path) = sqlite_file();
    fill(&mut SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("DROP TRIGGER audit_log_no_update;")
        .unwrap();
    let mut store = SqliteStore::open(&path).unwrap();
    let mut rows = store.audit_entries(0, 100).unwrap();
    rows[4].actor = "forger".into();
    for i in 4..rows.len() {
        if i > 0 {
            rows[i].prev_hash = rows[i - 1].hash.clone();
        }
        rows[i].hash = audit::entry_hash(&rows[i]).to_vec();
        conn.execute(
            "UPDATE audit_log SET actor = ?1, prev_hash = ?2, hash = ?3 WHERE seq = ?4",
            rusqlite::params![rows[i].actor, rows[i].prev_hash, rows[i].hash, rows[i].seq],
        )
        .unwrap();
    }
    assert_eq!(broken_at(&mut store), ENTRIES);
    // A checkpoint signed by the forger's own key is not trusted either.
    let report = audit::verify(&mut store, None).unwrap();
    assert!(report.broken.is_some());
}

#[test]
fn a_checkpoint_by_another_key_is_refused() {
    let mut store = sqlite_memory();
    fill(&mut store);
    let other = SigningKey::from_bytes(&[1; 32]);
    let mut policy = PolicyStore::open(&mut store).unwrap();
    policy
        .register_agency(
            "console",
            corridor_policy::Agency {
                code: "AL_PSH".into(),
                country: "al".into(),
                name: "Albanian State Police".into(),
                contact: "desk@al.example".into(),
            },
            NOW,
        )
        .unwrap();
    drop(policy);
    audit::checkpoint(&mut store, &other, NOW).unwrap();
    assert_eq!(broken_at(&mut store), ENTRIES + 1);
}

#[test]
fn no_disclosure_without_its_audit_entry() {
    let (_dir, path) = sqlite_file();
    let mut store = SqliteStore::open(&path).unwrap();
    append(
        &mut store,
        vec![person("RS_BP", "r1", &[("name", "Arben Hoxha")], eu("H0"))],
    );
    let mut policy = PolicyStore::open(&mut store).unwrap();
    enrol(&mut policy);
    policy
        .grant(
            &ctx("rs_bp.supervisor"),
            &[RecordKey::new("RS_BP", "r1")],
            NewGrant {
                recipient: "UK_NCA".into(),
                named_users: vec![],
                scope: Scope::Record {
                    record_id: "r1".into(),
                },
                conditions: "intelligence only".into(),
                expires_at: NOW + DAY,
            },
        )
        .unwrap();
    let key = RecordKey::new("RS_BP", "r1");
    assert!(matches!(
        policy
            .read(&ctx("uk_nca.analyst"), &key, "Kestrel check one")
            .unwrap(),
        Access::Disclosed(_)
    ));
    // The audit log stops accepting entries (a full disk, a lost connection).
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER audit_full BEFORE INSERT ON audit_log
         BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
    )
    .unwrap();
    assert!(
        policy
            .read(&ctx("uk_nca.analyst"), &key, "Kestrel check two")
            .is_err()
    );
}
