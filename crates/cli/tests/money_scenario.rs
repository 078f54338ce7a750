//! `corridor money evaluate` on generated scenarios with default settings: per typology,
//! precision and recall against the truth must stay above floors a little below what the test
//! preset gives (docs/benchmarks.md, "Money typologies").

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_corridor");

/// (typology, precision at least, recall at least), precision against the typology's own
/// truth list. Measured on seeds 11 and 12 (lowest of the two, precision / recall): fan-in
/// 0.967 / 0.969, fan-out 0.949 / 0.909, scatter-gather 0.960 / 1.000, gather-scatter 0.879 /
/// 0.913, cycle 0.818 / 1.000, structuring 0.863 / 0.989, pass-through 0.985 / 0.932, hawala
/// settlement 0.987 / 0.977.
const FLOORS: [(&str, f64, f64); 8] = [
    ("FAN_IN", 0.95, 0.95),
    ("FAN_OUT", 0.93, 0.89),
    ("SCATTER_GATHER", 0.93, 0.97),
    ("GATHER_SCATTER", 0.85, 0.9),
    ("CYCLE", 0.8, 0.95),
    ("STRUCTURING", 0.84, 0.97),
    ("PASS_THROUGH", 0.95, 0.9),
    ("HAWALA_SETTLEMENT", 0.97, 0.95),
];

fn corridor(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().expect("run corridor");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn typologies_found_on_the_test_preset() {
    for seed in ["11", "12"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let scn = dir.path().join("scn");
        let scn = scn.to_string_lossy().into_owned();
        corridor(&["synth", "--preset", "test", "--seed", seed, "--out", &scn]);
        let json = corridor(&["money", "evaluate", "--scenario", &scn, "--format", "json"]);
        let rows: Vec<serde_json::Value> = serde_json::from_str(&json).expect("json");
        for (typology, precision_min, recall_min) in FLOORS {
            let row = rows
                .iter()
                .find(|r| r["typology"] == typology)
                .expect("typology row");
            let key = "precision";
            let precision = row[key].as_f64().expect("precision");
            let recall = row["recall"].as_f64().expect("recall");
            assert!(
                precision >= precision_min && recall >= recall_min,
                "seed {seed} {typology}: {key} {precision:.3} (floor {precision_min}), recall \
                 {recall:.3} (floor {recall_min})"
            );
        }
    }
}
