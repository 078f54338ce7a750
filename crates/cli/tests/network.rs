//! `corridor network` end to end on a small edge list: every subcommand in both output forms,
//! the exports, record visibility, and errors that name the file, line and field.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_corridor");

/// Two triangles of callers joined by one broker (`b`), who also takes the money; a phone
/// shared by `x1` and `x2`; one weak edge. Records carry their originator as a prefix.
const EDGES: &str = "source,target,type,weight,from,to,records,source_kind,target_kind,amount
a1,a2,called,,2023-01-01,2023-02-01,RS_BP:1;RS_BP:2,person,person,
a2,a3,called,,2023-01-05,2023-01-05,RS_BP:3;RS_BP:4,person,person,
a1,a3,messaged,,2023-01-07,2023-03-07,RS_BP:5;RS_BP:6,person,person,
a3,b,paid,,2023-02-01,2023-02-01,RS_FIU:1;RS_FIU:2,person,person,3000
b,x1,paid,,2023-02-03,2023-02-03,RS_FIU:3;RS_FIU:4,person,person,2500
x1,x2,called,,2023-02-01,2023-04-01,UK_NCA:1;UK_NCA:2,person,person,
x2,x3,called,,2023-02-01,2023-04-01,UK_NCA:3;UK_NCA:4,person,person,
x1,x3,called,,2023-02-01,2023-04-01,UK_NCA:5;UK_NCA:6,person,person,
x1,+38160111222,uses,,2023-01-01,2023-12-31,UK_NCA:7,person,phone,
x2,+38160111222,uses,,2023-01-01,2023-12-31,UK_NCA:8,person,phone,
a1,z,travelled_with,1,2023-05-05,2023-05-05,,person,person,
";

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p.to_string_lossy().into_owned()
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().expect("run corridor");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (code, out, err) = run(&all);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

#[test]
fn every_subcommand_in_both_forms() {
    let dir = tempfile::tempdir().expect("tempdir");
    let edges = write(dir.path(), "edges.csv", EDGES);
    let s = json(&["network", "summary", "--edges", &edges]);
    assert_eq!(s["nodes"], 9);
    assert_eq!(s["edges"], 11);
    assert_eq!(s["components"], 1);
    // Dropping single-record edges cuts off z and the phone's uses edges.
    assert_eq!(s["network_sizes"][0], 7);

    let top = json(&[
        "network",
        "top",
        "--by",
        "betweenness",
        "--n",
        "3",
        "--kind",
        "person",
        "--edges",
        &edges,
    ]);
    let first = top["top"][0]["node"].as_str().expect("node");
    assert!(
        first == "b" || first == "a3" || first == "x1",
        "a bridge comes first, got {first}"
    );
    let money = json(&[
        "network", "top", "--by", "money", "--n", "1", "--edges", &edges,
    ]);
    assert_eq!(money["top"][0]["node"], "b");

    let c = json(&["network", "communities", "--edges", &edges]);
    assert!(c["communities_n"].as_u64().expect("n") >= 2);

    let p = json(&["network", "path", "a1", "x3", "--k", "2", "--edges", &edges]);
    let first = &p["paths"][0];
    assert_eq!(first["hops"], 4);
    assert_eq!(first["since"], "2023-02-03");
    assert_eq!(first["nodes"][2], "b");
    // Only calls and messages: the broker's payments are filtered out, so no path.
    let calls = json(&[
        "network",
        "path",
        "a1",
        "x3",
        "--types",
        "called,messaged",
        "--edges",
        &edges,
    ]);
    assert_eq!(calls["paths"].as_array().expect("paths").len(), 0);

    let e = json(&["network", "ego", "b", "--hops", "1", "--edges", &edges]);
    assert_eq!(e["nodes"].as_array().expect("nodes").len(), 3);
    let late = json(&[
        "network",
        "ego",
        "b",
        "--hops",
        "1",
        "--from",
        "2023-02-02",
        "--edges",
        &edges,
    ]);
    assert_eq!(
        late["nodes"].as_array().expect("nodes").len(),
        2,
        "a3's payment is before the window"
    );

    let d = json(&["network", "disrupt", "N0", "--k", "1", "--edges", &edges]);
    assert_eq!(d["removals"][0]["node"], "b");
    let m = json(&[
        "network",
        "disrupt",
        "a1",
        "--k",
        "1",
        "--objective",
        "money",
        "--edges",
        &edges,
    ]);
    assert_eq!(m["before"]["money"], 5500.0);
    assert_eq!(m["removals"][0]["node"], "b");
    assert_eq!(
        m["removals"][0]["money"], 0.0,
        "both payments ran through the broker"
    );

    for sub in [
        vec!["summary"],
        vec!["top"],
        vec!["communities"],
        vec!["path", "a1", "x3"],
        vec!["ego", "b"],
        vec!["disrupt", "N0"],
    ] {
        let mut args = vec!["network"];
        args.extend(sub.iter().copied());
        args.extend(["--edges", &edges]);
        let (code, out, err) = run(&args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(!out.trim().is_empty(), "{args:?} printed nothing");
    }
}

#[test]
fn exports_hold_every_visible_edge() {
    let dir = tempfile::tempdir().expect("tempdir");
    let edges = write(dir.path(), "edges.csv", EDGES);
    for (fmt, marker) in [
        ("graphml", "<edge "),
        ("gexf", "<edge "),
        ("ftm", "\"schema\""),
    ] {
        let out = dir.path().join(format!("g.{fmt}"));
        let (code, _, err) = run(&[
            "network",
            "export",
            "--as",
            fmt,
            "--out",
            out.to_str().expect("path"),
            "--edges",
            &edges,
        ]);
        assert_eq!(code, 0, "{fmt}: {err}");
        let text = std::fs::read_to_string(&out).expect("read");
        let n = text.matches(marker).count();
        let want = if fmt == "ftm" { 9 + 11 } else { 11 };
        assert_eq!(n, want, "{fmt}");
    }
    let ftm = std::fs::read_to_string(dir.path().join("g.ftm")).expect("read");
    for line in ftm.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        assert!(v["id"].is_string() && v["schema"].is_string());
    }
    assert!(ftm.contains("\"Payment\"") && ftm.contains("\"beneficiary\""));
}

#[test]
fn a_viewer_sees_only_its_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let edges = write(dir.path(), "edges.csv", EDGES);
    // Without the FIU's records the payments vanish: the two groups are no longer connected.
    let s = json(&[
        "network",
        "summary",
        "--visible-records",
        "RS_BP:,UK_NCA:",
        "--edges",
        &edges,
    ]);
    assert!(s["edges_by_type"].get("paid").is_none());
    let p = json(&[
        "network",
        "path",
        "a1",
        "x3",
        "--visible-records",
        "RS_BP:,UK_NCA:",
        "--edges",
        &edges,
    ]);
    assert_eq!(p["paths"].as_array().expect("paths").len(), 0);
}

#[test]
fn bad_input_names_file_line_and_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = write(
        dir.path(),
        "bad.csv",
        "source,target,type,weight,from,to,records\na,b,called,1,2023-01-01,,\na,b,phoned,1,,,\n",
    );
    let (code, _, err) = run(&["network", "summary", "--edges", &bad]);
    assert_eq!(code, 2);
    assert!(
        err.contains("bad.csv:3: type") && err.contains("phoned"),
        "{err}"
    );
    let bad = write(
        dir.path(),
        "date.csv",
        "source,target,type,weight,from,to,records\na,b,called,1,2023-02-30,,\n",
    );
    let (code, _, err) = run(&["network", "summary", "--edges", &bad]);
    assert_eq!(code, 2);
    assert!(
        err.contains("date.csv:2: from/to") && err.contains("2023-02-30"),
        "{err}"
    );
    let missing = write(dir.path(), "cols.csv", "source,target\na,b\n");
    let (code, _, err) = run(&["network", "summary", "--edges", &missing]);
    assert_eq!(code, 2);
    assert!(err.contains("no column \"type\""), "{err}");
    let (code, _, _) = run(&["network", "summary"]);
    assert_eq!(code, 2, "no graph given");
    let (code, _, err) = run(&["network", "path", "a", "nobody", "--edges", &missing]);
    assert_eq!(code, 2, "{err}");
}
