//! Deconfliction through the binary: Serbia and North Macedonia each register an operation on
//! their own record of one man; once an analyst's judgement puts both records in one subject,
//! `corridor resolve` tells both owners whom to call, `corridor deconflict` finds nothing new,
//! and neither side's notices show the other's record ids or names.

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

fn ok(args: &[&str]) -> String {
    let (code, out, err) = corridor(args);
    assert_eq!(code, 0, "corridor {args:?}\nstdout: {out}\nstderr: {err}");
    out
}

const MAPPING: &str = r#"
[source]
agency = "AGENCY"
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

const RS_CONTACT: &str = "DI Jovanovic +381 11 000 0001";
const MK_CONTACT: &str = "Insp. Stojanovski, desk 3";

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write input");
    p.to_str().expect("utf-8 path").to_owned()
}

fn story(d: &Path, db: &str) {
    for (code, country, rows) in [
        (
            "RS_BP",
            "rs",
            "rs-1,PU-1,UGP,Arben Krasniqi,1985-02-03\nrs-2,PU-2,UGP,Jovan Petrovic,1980-01-02\n",
        ),
        ("MK_MVR", "mk", "mk-1,MK-1,Tab,Arben Krasniqi,1985-02-03\n"),
    ] {
        let map = write(
            d,
            &format!("{country}.toml"),
            &MAPPING.replace("AGENCY", code),
        );
        let csv = write(
            d,
            &format!("{country}.csv"),
            &format!("id,case,unit,name,dob\n{rows}"),
        );
        ok(&["ingest", "--store", db, "--mapping", &map, &csv]);
        let (name, contact) = (format!("{code} police"), format!("desk@{country}.example"));
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
        ]);
        let pw = write(
            d,
            &format!("{country}.pw"),
            &format!("{code} border desk 2026\n"),
        );
        let sup = format!("{country}.sup");
        ok(&[
            "user",
            "add",
            &sup,
            "--store",
            db,
            "--agency",
            code,
            "--role",
            "supervisor",
            "--password-file",
            &pw,
        ]);
    }
    let rs_pw = d.join("rs.pw").to_str().expect("utf-8").to_owned();
    let mk_pw = d.join("mk.pw").to_str().expect("utf-8").to_owned();
    let rs = [
        "--store",
        db,
        "--as",
        "rs.sup",
        "--password-file",
        rs_pw.as_str(),
    ];
    let mk = [
        "--store",
        db,
        "--as",
        "mk.sup",
        "--password-file",
        mk_pw.as_str(),
    ];
    ok(&[
        &[
            "grant",
            "--to",
            "MK_MVR",
            "--discovery",
            "--schema",
            "Person",
        ][..],
        &rs,
    ]
    .concat());
    ok(&[
        &[
            "grant",
            "--to",
            "RS_BP",
            "--discovery",
            "--schema",
            "Person",
        ][..],
        &mk,
    ]
    .concat());
    let out = ok(&[
        &[
            "operation",
            "add",
            "drina",
            "--name",
            "Operation Drina",
            "--owner",
            "rs.sup",
        ][..],
        &["--contact", RS_CONTACT][..],
        &rs,
    ]
    .concat());
    assert!(out.starts_with("operation drina of RS_BP"), "{out}");
    ok(&[
        &[
            "operation",
            "add",
            "vardar",
            "--name",
            "Operation Vardar",
            "--owner",
            "mk.sup",
        ][..],
        &["--contact", MK_CONTACT][..],
        &mk,
    ]
    .concat());
    ok(&[
        &["operation", "target", "drina", "--record", "rs-1"][..],
        &rs,
    ]
    .concat());
    ok(&[
        &["operation", "target", "vardar", "--record", "mk-1"][..],
        &mk,
    ]
    .concat());
    // Another agency's record is never a target.
    let (code, _, err) = corridor(
        &[
            &["operation", "target", "vardar", "--record", "rs-2"][..],
            &mk,
        ]
        .concat(),
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not a live record of MK_MVR"), "{err}");
    let out = ok(&[&["operation", "list"][..], &rs].concat());
    assert!(out.contains("drina") && !out.contains("vardar"), "{out}");

    ok(&[
        "judge",
        "RS_BP/rs-1",
        "MK_MVR/mk-1",
        "same",
        "--store",
        db,
        "--analyst",
        "a.kovac",
        "--reason",
        "same passport photo",
    ]);
    let out = ok(&["resolve", "--store", db]);
    assert!(
        out.contains("1 overlaps between agencies' operations, 2 notices written"),
        "{out}"
    );
    let out = ok(&["deconflict", "--store", db]);
    assert!(out.contains("0 notices written, 2 already given"), "{out}");

    for (auth, other, contact, hidden) in [
        (&rs, "MK_MVR", MK_CONTACT, ["mk-1", "vardar"]),
        (&mk, "RS_BP", RS_CONTACT, ["rs-1", "drina"]),
    ] {
        let out = ok(&[&["notices"][..], auth].concat());
        let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("D-")).collect();
        assert_eq!(lines.len(), 1, "{out}");
        assert!(
            lines[0].contains(&format!("an operation of {other} work P-")),
            "{out}"
        );
        assert!(
            lines[0].contains(&format!("(same subject): call {contact}")),
            "{out}"
        );
        for h in hidden {
            assert!(!out.contains(h), "{h} in {out}");
        }
        assert!(!out.contains("Krasniqi"), "{out}");
    }
    ok(&["audit", "verify", "--store", db]);
}

#[test]
fn resolving_one_man_tells_both_operations_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("corridor.db");
    story(dir.path(), db.to_str().expect("utf-8"));
}

#[test]
fn resolving_one_man_tells_both_operations_on_postgres() {
    let url = match std::env::var("CORRIDOR_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => u,
        _ if std::env::var("CORRIDOR_TEST_PG").as_deref() == Ok("skip") => return,
        _ => panic!(
            "CORRIDOR_TEST_PG_URL is not set (run scripts/test, or set CORRIDOR_TEST_PG=skip)"
        ),
    };
    let db = format!("deconflict_{}", std::process::id());
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .expect("drop");
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .expect("create");
    let (base, _) = url.rsplit_once('/').expect("a database in the URL");
    let dir = tempfile::tempdir().expect("temp dir");
    story(dir.path(), &format!("{base}/{db}"));
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .expect("drop");
}
