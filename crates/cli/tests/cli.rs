//! The `corridor` binary end to end: exit statuses, the demo, and what a `kill -9` in the middle
//! of a large ingest leaves behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_corridor");

const MAPPING: &str = r#"
[source]
agency = "RS_BP"
contributor = "UGP Test"
date_formats = ["%d.%m.%Y"]
review_after_days = 365
[grading]
system = "4x4"
source = "B"
information = "2"
handling = "H1"
[entities.p]
schema = "Person"
id = { column = "id" }
[entities.p.properties]
firstName = "ime"
lastName = "prezime"
birthDate = "rodjen"
nationality = "drz"
"#;

fn write_persons(dir: &Path, rows: usize, bad_every: Option<usize>) -> (PathBuf, PathBuf) {
    use std::io::Write;
    let csv = dir.join("persons.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&csv).unwrap());
    writeln!(f, "id,ime,prezime,rodjen,drz").unwrap();
    let first = [
        "Ђорђе",
        "Mohammad",
        "Gëzim",
        "Ljubiša",
        "Abdul Rahman",
        "Хусеин",
    ];
    let last = [
        "Јовановић",
        "Ahmadi",
        "Hoxha",
        "Petrović",
        "Rahimi",
        "Krasniqi",
    ];
    for i in 0..rows {
        let date = if bad_every.is_some_and(|n| i % n == n - 1) {
            "31.02.1990".to_owned()
        } else {
            format!("{:02}.{:02}.{}", 1 + i % 28, 1 + i % 12, 1960 + i % 45)
        };
        writeln!(
            f,
            "p{i},{},{},{date},{}",
            first[i % first.len()],
            last[(i / 7) % last.len()],
            ["AFG", "SRB", "ALB", "SYR"][i % 4]
        )
        .unwrap();
    }
    f.flush().unwrap();
    let mapping = dir.join("persons.toml");
    std::fs::write(&mapping, MAPPING).unwrap();
    (csv, mapping)
}

fn corridor(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().expect("run corridor");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn exit_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    let (good, mapping) = write_persons(dir.path(), 50, None);
    let (g, m) = (good.to_str().unwrap(), mapping.to_str().unwrap());
    let (code, out, _) = corridor(&["ingest", "--store", db, "--mapping", m, g]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("50 rows read, 50 accepted, 0 rejected; 50 records appended"),
        "{out}"
    );

    let sub = dir.path().join("mixed");
    std::fs::create_dir(&sub).unwrap();
    let (mixed, mapping2) = write_persons(&sub, 50, Some(10));
    let (code, out, _) = corridor(&[
        "ingest",
        "--store",
        db,
        "--mapping",
        mapping2.to_str().unwrap(),
        mixed.to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("45 accepted, 5 rejected"), "{out}");

    let bad_mapping = dir.path().join("bad.toml");
    std::fs::write(&bad_mapping, MAPPING.replace("\"H1\"", "\"H9\"")).unwrap();
    let (code, _, err) = corridor(&[
        "ingest",
        "--store",
        db,
        "--mapping",
        bad_mapping.to_str().unwrap(),
        g,
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("bad.toml: grading.handling: handling code 'H9'"),
        "{err}"
    );
    let (code, _, err) = corridor(&[
        "ingest",
        "--store",
        db,
        "--mapping",
        m,
        "/nonexistent/x.csv",
    ]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = corridor(&["ingest", "--store", db]);
    assert_eq!(code, 2, "clap usage error");

    let not_a_db = dir.path().join("garbage.db");
    std::fs::write(&not_a_db, b"this is not a database file, it is text").unwrap();
    let (code, _, err) = corridor(&[
        "ingest",
        "--store",
        not_a_db.to_str().unwrap(),
        "--mapping",
        m,
        g,
    ]);
    assert_eq!(code, 1, "{err}");

    let (code, out, _) = corridor(&["status", "--store", db]);
    assert_eq!(code, 0);
    assert!(out.contains("live records:    50"), "{out}");
}

#[test]
fn demo_runs_and_is_idempotent() {
    let (code, out, err) = corridor(&["demo", "--no-serve"]);
    assert_eq!(code, 0, "{out}\n{err}");
    for agency in ["[RS_BP]", "[UK_NCA]", "[AL_FIU]"] {
        assert!(out.contains(agency), "{out}");
    }
    assert!(
        out.contains("re-ingesting every file again appended 0 records"),
        "{out}"
    );
    // The analysts' side is prepared too: networks, money alerts, users and agreements.
    assert!(out.contains("networks (edges of at least"), "{out}");
    let money = out
        .lines()
        .find(|l| l.starts_with("money: "))
        .unwrap_or_else(|| panic!("no money line: {out}"));
    assert!(!money.contains(" 0 alerts"), "{money}");
    assert!(
        out.contains("sharing: 13 agencies, 12 users, "),
        "the demo users and agreements: {out}"
    );
}

/// Starts an ingest of `rows` rows, kills it with SIGKILL once some batches are committed but
/// before the end, then checks the store and completes the file with a re-run.
fn kill_midway_and_resume(
    locator: &str,
    dir: &Path,
    rows: usize,
    batch: usize,
    position: impl Fn() -> i64,
) {
    let (csv, mapping) = write_persons(dir, rows, None);
    let args = [
        "ingest",
        "--store",
        locator,
        "--mapping",
        mapping.to_str().unwrap(),
        "--batch-records",
        &batch.to_string(),
        csv.to_str().unwrap(),
    ];
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let pos = position();
        if pos >= 2 * batch as i64 {
            break;
        }
        assert!(Instant::now() < deadline, "ingest made no progress");
        assert!(
            child.try_wait().unwrap().is_none(),
            "ingest finished before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL: no destructors, no rollback handlers.
    child.wait().unwrap();

    let mut store = corridor_store::open(locator).unwrap();
    let c = store.counts().unwrap();
    assert!(
        c.log_entries > 0 && (c.log_entries as usize) < rows,
        "killed midway: {c:?}"
    );
    assert_eq!(
        c.log_entries as usize % batch,
        0,
        "only whole batches: {c:?}"
    );
    assert_eq!(store.verify().unwrap(), c.log_entries);
    drop(store);

    let out = Command::new(BIN).args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut store = corridor_store::open(locator).unwrap();
    let after = store.counts().unwrap();
    assert_eq!(after.live_records as usize, rows);
    assert_eq!(
        after.log_entries as usize, rows,
        "no duplicates after the resume"
    );
    assert_eq!(store.verify().unwrap() as usize, rows);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let resumed = format!(
        "{} records appended, {} unchanged",
        rows - c.log_entries as usize,
        c.log_entries
    );
    assert!(stdout.contains(&resumed), "{stdout}");
}

#[test]
fn kill_9_midway_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let path = db.clone();
    kill_midway_and_resume(
        db.to_str().unwrap(),
        dir.path(),
        300_000,
        5_000,
        move || {
            // A plain read connection: WAL lets it read while the ingest writes.
            let Ok(conn) = rusqlite::Connection::open(&path) else {
                return 0;
            };
            conn.query_row("SELECT COALESCE(MAX(pos), 0) FROM record_log", [], |r| {
                r.get(0)
            })
            .unwrap_or(0)
        },
    );
}

#[test]
fn kill_9_midway_postgres() {
    let url = match std::env::var("CORRIDOR_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => u,
        _ if std::env::var("CORRIDOR_TEST_PG").as_deref() == Ok("skip") => return,
        _ => panic!(
            "CORRIDOR_TEST_PG_URL is not set (run scripts/test, or set CORRIDOR_TEST_PG=skip)"
        ),
    };
    let db = format!("crash_{}", std::process::id());
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .unwrap();
    let (base, _) = url.rsplit_once('/').unwrap();
    let locator = format!("{base}/{db}");
    let dir = tempfile::tempdir().unwrap();
    let poll = locator.clone();
    kill_midway_and_resume(&locator, dir.path(), 200_000, 5_000, move || {
        let Ok(mut c) = postgres::Client::connect(&poll, postgres::NoTls) else {
            return 0;
        };
        c.query_one("SELECT COALESCE(MAX(pos), 0) FROM record_log", &[])
            .map(|r| r.get(0))
            .unwrap_or(0)
    });
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .unwrap();
}
