//! `corridor audit`: keygen, checkpoint, verify (intact and tampered) and export.

use std::process::Command;

use corridor_policy::{Agency, PolicyStore};
use corridor_store::SqliteStore;

const BIN: &str = env!("CARGO_BIN_EXE_corridor");

fn corridor(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().expect("run corridor");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn verify_export_and_detect_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("corridor.db");
    let db_s = db.to_str().unwrap();
    {
        let mut store = SqliteStore::open(&db).unwrap();
        let mut policy = PolicyStore::open(&mut store).unwrap();
        for (code, country) in [("RS_BP", "rs"), ("UK_NCA", "gb"), ("MK_MVR", "mk")] {
            policy
                .register_agency(
                    "console",
                    Agency {
                        code: code.into(),
                        country: country.into(),
                        name: format!("{code} desk"),
                        contact: "desk@example.org".into(),
                    },
                    1_795_780_800,
                )
                .unwrap();
        }
    }
    let key = dir.path().join("audit.key");
    let (code, public, err) = corridor(&["audit", "keygen", "--out", key.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let public = public.trim().to_owned();
    assert_eq!(public.len(), 64);
    let (code, _, err) = corridor(&[
        "audit",
        "checkpoint",
        "--store",
        db_s,
        "--key-file",
        key.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = corridor(&["audit", "verify", "--store", db_s, "--public-key", &public]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 entries, 1 signed checkpoints"), "{out}");
    assert!(out.contains("intact"), "{out}");

    let (code, out, _) = corridor(&["audit", "export", "--store", db_s]);
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[1]["action"], "directory");
    assert_eq!(lines[3]["checkpoint"], 3);

    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "DROP TRIGGER audit_log_no_update;
         UPDATE audit_log SET origin = 'elsewhere' WHERE seq = 2;",
    )
    .unwrap();
    drop(conn);
    let (code, _, err) = corridor(&["audit", "verify", "--store", db_s, "--public-key", &public]);
    assert_eq!(code, 1);
    assert!(err.contains("BROKEN at entry 2"), "{err}");
}
