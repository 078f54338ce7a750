//! The sharing workflow through the binary: agencies and users are registered, records are
//! ingested, a UK analyst searches `Мухамед Ахмади`, gets a hit-only answer from Serbia's
//! record, files a request with a justification, Serbia approves with a condition, and the UK
//! analyst reads the record with the condition attached; `audit verify` passes and the audit
//! export shows each step. Then review and retention: a decision to retain, a sweep that
//! erases what is past its review date and grace period, and an export, search and read that
//! no longer find it, with the erasure in a still intact audit log.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_corridor");

fn corridor(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env_remove("CORRIDOR_STORE")
        .env_remove("CORRIDOR_TOKEN_FILE")
        .env_remove("CORRIDOR_USER")
        .output()
        .expect("run corridor");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs a command that must succeed; returns its standard output.
fn ok(args: &[&str]) -> String {
    let (code, out, err) = corridor(args);
    assert_eq!(code, 0, "corridor {args:?}\nstdout: {out}\nstderr: {err}");
    out
}

const RS_MAPPING: &str = r#"
[source]
agency = "RS_BP"
contributor = { column = "unit" }
review_after_days = 1095
source_ref = { column = "case" }

[grading]
system = "4x4"
source = "B"
information = "2"
handling = "H2"

[entities.person]
schema = "Person"
id = { column = "id" }
[entities.person.properties]
name = "name"
birthDate = "dob"
"#;

const RS_CSV: &str = "id,case,unit,name,dob\n\
rs-2291,PU-2026-0117,UGP Presevo,Mohammed Ahmadi,1991-03-04\n\
rs-2292,PU-2026-0118,UGP Presevo,Jovan Petrovic,1980-01-02\n";

const MK_MAPPING: &str = r#"
[source]
agency = "MK_MVR"
contributor = { column = "unit" }
review_after_days = 365
source_ref = { column = "case" }

[grading]
system = "4x4"
source = "B"
information = "2"
handling = "H0"

[entities.person]
schema = "Person"
id = { column = "id" }
[entities.person.properties]
name = "name"
"#;

const MK_CSV: &str = "id,case,unit,name\nmk-11,MK-77,Tabanovce,Muhamed Ahmadi\n";

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_owned()
}

/// The first whitespace-separated word after `prefix` on the line that starts with it.
fn word_after(text: &str, prefix: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no line starting with '{prefix}' in:\n{text}"))
        .to_owned()
}

#[test]
fn hit_request_approval_disclosure_and_erasure_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("corridor.db");
    story(dir.path(), db.to_str().unwrap());
}

#[test]
fn hit_request_approval_disclosure_and_erasure_on_postgres() {
    let url = match std::env::var("CORRIDOR_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => u,
        _ if std::env::var("CORRIDOR_TEST_PG").as_deref() == Ok("skip") => return,
        _ => panic!(
            "CORRIDOR_TEST_PG_URL is not set (run scripts/test, or set CORRIDOR_TEST_PG=skip)"
        ),
    };
    let db = format!("sharing_{}", std::process::id());
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .unwrap();
    let (base, _) = url.rsplit_once('/').unwrap();
    let dir = tempfile::tempdir().unwrap();
    story(dir.path(), &format!("{base}/{db}"));
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .unwrap();
}

/// The whole story against the store at `db` (a SQLite path or a PostgreSQL URL), with its
/// input files in `d`.
fn story(d: &Path, db: &str) {
    let rs_map = write(d, "rs.toml", RS_MAPPING);
    let rs_csv = write(d, "rs.csv", RS_CSV);
    let mk_map = write(d, "mk.toml", MK_MAPPING);
    let mk_csv = write(d, "mk.csv", MK_CSV);
    ok(&["ingest", "--store", db, "--mapping", &rs_map, &rs_csv]);
    ok(&["ingest", "--store", db, "--mapping", &mk_map, &mk_csv]);

    // The administrator registers agencies and users; passwords only ever come from files.
    for (code, country) in [("RS_BP", "rs"), ("UK_NCA", "gb"), ("MK_MVR", "mk")] {
        let contact = format!("desk@{country}.example");
        let name = format!("{code} intelligence");
        ok(&[
            "agency",
            "add",
            code,
            "--store",
            db,
            "--country",
            country,
            "--name",
            &name,
            "--contact",
            &contact,
            "--review-days",
            "2000",
            "--grace-days",
            "30",
        ]);
    }
    let uk_pw = write(d, "uk.pw", "correct horse battery staple\n");
    let rs_pw = write(d, "rs.pw", "Serbian border desk 2026\n");
    let wrong_pw = write(d, "wrong.pw", "not the password at all\n");
    ok(&[
        "user",
        "add",
        "uk.analyst",
        "--store",
        db,
        "--agency",
        "UK_NCA",
        "--role",
        "analyst",
        "--operation",
        "kestrel",
        "--password-file",
        &uk_pw,
    ]);
    ok(&[
        "user",
        "add",
        "rs.supervisor",
        "--store",
        db,
        "--agency",
        "RS_BP",
        "--role",
        "supervisor",
        "--password-file",
        &rs_pw,
    ]);
    ok(&[
        "user",
        "add",
        "uk.leaver",
        "--store",
        db,
        "--agency",
        "UK_NCA",
        "--role",
        "analyst",
        "--password-file",
        &uk_pw,
    ]);
    ok(&["user", "suspend", "uk.leaver", "--store", db]);
    let rs = ["--as", "rs.supervisor", "--password-file", rs_pw.as_str()];

    // Serbia lets UK searches discover its persons; North Macedonia grants nothing.
    let out = ok(&[
        &[
            "grant",
            "--store",
            db,
            "--to",
            "UK_NCA",
            "--discovery",
            "--schema",
            "Person",
        ][..],
        &rs[..],
    ]
    .concat());
    assert!(out.starts_with("grant G-"), "{out}");

    // A wrong password, a suspended user and a missing credential are refused.
    let search = |auth: &[&str]| {
        corridor(
            &[
                &["search", "--store", db, "--name", "Мухамед Ахмади"][..],
                auth,
                &[
                    "--justification",
                    "Operation Kestrel: arrivals at Dover, 2026-11-20",
                ][..],
            ]
            .concat(),
        )
    };
    assert_eq!(
        search(&["--as", "uk.analyst", "--password-file", &wrong_pw]).0,
        1
    );
    assert_eq!(
        search(&["--as", "uk.leaver", "--password-file", &uk_pw]).0,
        1
    );
    assert_eq!(search(&[]).0, 1);

    // The UK analyst logs in once and uses the token.
    let token = d.join("uk.token");
    let token = token.to_str().unwrap();
    ok(&[
        "login",
        "--store",
        db,
        "--user",
        "uk.analyst",
        "--password-file",
        &uk_pw,
        "--out",
        token,
    ]);
    let uk = ["--token-file", token];
    let (code, out, err) = search(&uk);
    assert_eq!(code, 0, "{err}");
    let hit = word_after(&out, "hit ");
    assert!(hit.starts_with("H-"), "{out}");
    assert!(out.contains("at RS_BP"), "{out}");
    assert!(out.contains("1 record(s)"), "{out}");
    assert!(out.contains("4x4 B/2/H2"), "{out}");
    assert!(out.contains("desk@rs.example"), "{out}");
    assert!(!out.contains("readable"), "{out}");
    for secret in ["rs-2291", "Mohammed", "1991", "mk-11", "MK_MVR"] {
        assert!(!out.contains(secret), "{secret} in {out}");
    }
    // Reading before approval gives the hit only.
    let read = |why: &str| {
        ok(&[
            &[
                "read",
                "RS_BP/rs-2291",
                "--store",
                db,
                "--justification",
                why,
            ][..],
            &uk[..],
        ]
        .concat())
    };
    assert!(read("Operation Kestrel follow-up").starts_with("hit only"));

    let out = ok(&[
        &["request", hit.as_str(), "--store", db][..],
        &uk[..],
        &[
            "--justification",
            "Suspected organiser of the Dover crossing on 2026-11-20",
        ][..],
    ]
    .concat());
    let request = word_after(&out, "request ");
    assert!(out.contains("sent to RS_BP"), "{out}");

    // Serbia sees the request and approves it with a condition; the UK cannot answer it.
    let out = ok(&[&["requests", "--store", db][..], &rs[..]].concat());
    assert!(out.contains(&request) && out.contains("pending"), "{out}");
    let condition = "Intelligence only; not for court without RS_BP consent";
    let (code, _, _) = corridor(
        &[
            &[
                "answer",
                request.as_str(),
                "approve",
                "--store",
                db,
                "--condition",
                "x",
            ][..],
            &uk[..],
        ]
        .concat(),
    );
    assert_eq!(code, 1, "the requester cannot answer");
    let out = ok(&[
        &[
            "answer",
            request.as_str(),
            "approve",
            "--store",
            db,
            "--condition",
            condition,
        ][..],
        &["--days", "30"][..],
        &rs[..],
    ]
    .concat());
    assert!(out.contains("approved"), "{out}");

    // The UK analyst now reads the record, with the condition attached.
    let out = read("Operation Kestrel: approved request");
    let record: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(record["properties"]["name"][0], "Mohammed Ahmadi");
    let conditions: Vec<&str> = record["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(conditions.contains(&condition), "{conditions:?}");
    assert!(
        conditions.iter().any(|c| c.starts_with("H2")),
        "{conditions:?}"
    );

    // Searching again, the approved record is readable by key (with its subject once
    // resolved), no longer a hit.
    let (code, out, err) = search(&uk);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("readable RS_BP/rs-2291 ("), "{out}");
    assert!(!out.contains("hit H-"), "{out}");

    // Deconfliction: the Kestrel search met Serbian records.
    let out = ok(&[&["notices", "--store", db][..], &rs[..]].concat());
    assert!(
        out.contains("uk.analyst (UK_NCA) searching for kestrel met RS_BP: rs-2291"),
        "{out}"
    );

    ok(&["audit", "verify", "--store", db]);
    let export = ok(&["audit", "export", "--store", db]);
    let steps: Vec<(String, String)> = export
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["action"].is_string() && v["actor"] != "system")
        .filter(|v| v["action"] != "authentication")
        .map(|v| {
            (
                v["actor"].as_str().unwrap().to_owned(),
                v["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want = [
        ("rs.supervisor", "grant"),
        ("uk.analyst", "search"),
        ("uk.analyst", "consultation"),
        ("uk.analyst", "request"),
        ("rs.supervisor", "answer"),
        ("uk.analyst", "disclosure"),
        ("uk.analyst", "search"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    assert_eq!(steps, want, "{export}");
    assert!(export.contains(condition));
    assert!(
        export.contains("\"outcome\":\"refused\""),
        "failed logins are audited"
    );
    assert!(
        !export.contains("correct horse"),
        "no password reaches the audit log"
    );

    // Review and retention. Serbia's records are due within 1095 days of ingest.
    let out = ok(&[
        &["review", "due", "--store", db, "--within-days", "1200"][..],
        &rs[..],
    ]
    .concat());
    let review_by = word_after(&out, "RS_BP/rs-2292\tPerson\treview by ");
    assert!(out.contains("RS_BP/rs-2291"), "{out}");
    // Keep rs-2292 a year longer than its review date.
    let year: i32 = review_by[..4].parse().unwrap();
    let until = format!("{}{}", year + 1, &review_by[4..]);
    let out = ok(&[
        &[
            "review",
            "retain",
            "RS_BP/rs-2292",
            "--store",
            db,
            "--until",
            &until,
        ][..],
        &["--reason", "Kestrel prosecution pending"][..],
        &rs[..],
    ]
    .concat());
    assert!(out.contains(&format!("retained until {until}")), "{out}");

    // Forty days past the review date (grace 30): rs-2291 is erased, rs-2292 is kept; North
    // Macedonia's record (reviewed after a year) is erased too.
    let day = |date: &str, plus: i64| -> String {
        let d = corridor_policy::review::parse_day(date).unwrap() + plus;
        corridor_policy::review::format_day(d)
    };
    let out = ok(&[
        "review",
        "sweep",
        "--store",
        db,
        "--now",
        &day(&review_by, 40),
    ]);
    assert!(out.contains("erased RS_BP/rs-2291: 1 version(s)"), "{out}");
    assert!(out.contains("erased MK_MVR/mk-11"), "{out}");
    assert!(!out.contains("rs-2292"), "{out}");

    let export = ok(&["export", "--store", db]);
    assert!(
        !export.contains("rs-2291") && !export.contains("mk-11"),
        "{export}"
    );
    assert!(export.contains("rs-2292"), "{export}");
    let (code, out, err) = search(&uk);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("no hit"), "{out}");
    assert!(read("Operation Kestrel: approved request").starts_with("no such record"));

    let out = ok(&["audit", "verify", "--store", db]);
    assert!(out.contains("intact"), "{out}");
    let export = ok(&["audit", "export", "--store", db]);
    let erasures: Vec<serde_json::Value> = export
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["action"] == "erasure")
        .collect();
    assert_eq!(erasures.len(), 2, "{export}");
    assert!(
        erasures
            .iter()
            .any(|e| e["detail"]["record"] == "RS_BP/rs-2291"),
        "{erasures:?}"
    );
}
