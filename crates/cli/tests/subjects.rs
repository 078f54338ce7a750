//! `corridor resolve`, `judge`, `subject` and `network --store` end to end on the demo store.

use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_corridor"))
        .args(args)
        .output()
        .expect("run corridor");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn resolve_judge_subject_and_network_on_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    let (code, out, err) = run(&["demo", "--no-serve", "--store", db]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("person"), "the demo resolves: {out}");

    // The demo resolved everything: nothing is left to do.
    let (code, out, _) = run(&["resolve", "--store", db]);
    assert_eq!(code, 0);
    assert_eq!(out.matches("up to date").count(), 6, "{out}");

    // A subject by id, then by one of its records, in JSON.
    let (code, out, err) = run(&["subject", "--store", db, "P-0000001", "--json"]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let first = doc["records"][0]["record"].as_str().unwrap().to_string();
    let (code, out, _) = run(&["subject", "--store", db, &first]);
    assert_eq!(code, 0);
    assert!(out.starts_with("subject P-0000001 (person)"), "{out}");

    // Judging: bad verdicts and unknown records are usage errors; a good one is kept and
    // applied by the next resolve.
    let (code, _, err) = run(&[
        "judge",
        "--store",
        db,
        &first,
        &first,
        "maybe",
        "--analyst",
        "a",
        "--reason",
        "r",
    ]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&[
        "judge",
        "--store",
        db,
        &first,
        "RS_BP/nope",
        "same",
        "--analyst",
        "a",
        "--reason",
        "r",
    ]);
    assert_eq!(
        (code, err.contains("no record RS_BP/nope")),
        (2, true),
        "{err}"
    );
    let records: Vec<String> = doc["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["record"].as_str().unwrap().to_string())
        .collect();
    if records.len() >= 2 {
        let (code, out, err) = run(&[
            "judge",
            "--store",
            db,
            &records[0],
            &records[1],
            "different",
            "--analyst",
            "analyst.one",
            "--reason",
            "different fathers' names",
        ]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("are different"), "{out}");
        let (code, out, _) = run(&["resolve", "--store", db, "--kind", "person"]);
        assert_eq!(code, 0);
        assert!(out.contains("1 judgements honoured"), "{out}");
        let (_, a, _) = run(&["subject", "--store", db, &records[0]]);
        let (_, b, _) = run(&["subject", "--store", db, &records[1]]);
        assert_ne!(
            a.lines().next(),
            b.lines().next(),
            "judged apart: {a} / {b}"
        );
    }

    // The link graph over the store's subjects.
    let (code, out, err) = run(&["network", "--store", db, "summary"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("nodes:") && out.contains("intercepted_together"),
        "{out}"
    );
    let (code, _, err) = run(&["resolve", "--store", db, "--kind", "people"]);
    assert_eq!(
        (code, err.contains("unknown kind 'people'")),
        (2, true),
        "{err}"
    );
}

#[test]
fn evaluate_maps_the_truth_onto_store_subjects() {
    let dir = tempfile::tempdir().unwrap();
    let scn = dir.path().join("scn");
    let db = dir.path().join("c.db");
    let (scn, db) = (scn.to_str().unwrap(), db.to_str().unwrap());
    let (code, _, err) = run(&["synth", "--preset", "demo", "--seed", "3", "--out", scn]);
    assert_eq!(code, 0, "{err}");
    // Every agency's files through their mappings; 3: some rows rejected, as the scenario
    // writes a few malformed ones on purpose.
    let (code, _, err) = run(&["ingest", "--store", db, "--scenario", scn]);
    assert!(code == 0 || code == 3, "{err}");
    let (code, _, err) = run(&["ingest", "--store", db, "--scenario", db]);
    assert_eq!(code, 2, "not a scenario directory: {err}");
    let (code, _, err) = run(&["resolve", "--store", db]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(&[
        "network",
        "--store",
        db,
        "--from-truth",
        scn,
        "--format",
        "json",
        "evaluate",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    // Member persons were found among the subjects: the truth was mapped onto them.
    assert!(doc["member_persons"].as_u64().unwrap() > 0, "{doc}");
    assert!(doc["communities"]["ari"].as_f64().is_some(), "{doc}");
}
