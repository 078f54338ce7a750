//! `corridor link` end to end: outputs, model reuse, explanations and input errors.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_corridor");

const PEOPLE: &str = "\
rec_id,given_name,surname,date_of_birth,suburb,soc_sec_id
a1,Đorđe,Jovanović,19870503,Novi Sad,1234567
a2,Djordje,Jovanovic,19870503,Novi Sad,1234567
a3,Ђорђе,Јовановић,19870503,Нови Сад,1234576
b1,Mohammad,Ahmadi,19980101,Kabul,7654321
b2,Мухамед,Ахмади,19980101,Kabul,7654321
c1,Gëzim,Hoxha,19750212,Tirana,5550001
d1,Ljubomir,Živković,19601130,Niš,9990001
e1,Arbër,Krasniqi,19910704,Prishtina,4440001
";

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().expect("run corridor");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn deduplicates_with_detected_columns_and_reuses_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "people.csv", PEOPLE);
    let out = dir.path().join("out");
    let out_s = out.display().to_string();
    let (code, stdout, stderr) = run(&["link", &input, "--out", &out_s]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let clusters = std::fs::read_to_string(out.join("clusters.csv")).unwrap();
    let lines: Vec<&str> = clusters.lines().collect();
    assert_eq!(lines[0], "record_id,cluster_id");
    assert_eq!(lines.len(), 9, "every record exactly once: {clusters}");
    assert!(
        lines.contains(&"a2,a1") && lines.contains(&"a3,a1"),
        "{clusters}"
    );
    assert!(lines.contains(&"b2,b1"), "{clusters}");
    assert!(lines.contains(&"c1,c1"), "{clusters}");
    let pairs = std::fs::read_to_string(out.join("pairs.csv")).unwrap();
    assert!(pairs.starts_with("record_id_l,record_id_r,match_probability,match_weight\n"));

    let model = out.join("model.json").display().to_string();
    let out2 = dir.path().join("out2").display().to_string();
    let (code, _, stderr) = run(&["link", &input, "--out", &out2, "--model", &model]);
    assert_eq!(code, 0, "{stderr}");
    let again = std::fs::read_to_string(Path::new(&out2).join("clusters.csv")).unwrap();
    assert_eq!(again, clusters);

    let (code, stdout, stderr) = run(&["link", &input, "--model", &model, "--explain", "a1", "a3"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("a1 ~ a3: match weight"), "{stdout}");
    assert!(stdout.contains("prior") && stdout.contains("soc_sec_id") && stdout.contains("total"));
}

#[test]
fn judgements_split_and_join() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "people.csv", PEOPLE);
    let judgements = write(
        dir.path(),
        "j.csv",
        "record_id_l,record_id_r,judgement\na1,a3,different\nc1,d1,same\n",
    );
    let out = dir.path().join("out");
    let out_s = out.display().to_string();
    let (code, stdout, stderr) =
        run(&["link", &input, "--out", &out_s, "--judgements", &judgements]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let clusters = std::fs::read_to_string(out.join("clusters.csv")).unwrap();
    let cluster = |id: &str| {
        clusters
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{id},")).map(str::to_string))
            .unwrap()
    };
    assert_ne!(cluster("a1"), cluster("a3"));
    assert_eq!(cluster("c1"), cluster("d1"));
}

#[test]
fn links_two_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        dir.path(),
        "a.csv",
        "id,name,dob\n1,Đorđe Jovanović,1987-05-03\n2,Gëzim Hoxha,1975-02-12\n",
    );
    let b = write(
        dir.path(),
        "b.csv",
        "id,name,dob\nx,Jovanovic Djordje,03.05.1987\ny,Arber Krasniqi,1991\n",
    );
    let out = dir.path().join("out");
    let out_s = out.display().to_string();
    let (code, stdout, stderr) = run(&["link", &a, &b, "--out", &out_s]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let clusters = std::fs::read_to_string(out.join("clusters.csv")).unwrap();
    assert!(
        clusters.starts_with("record_id,cluster_id,input\n"),
        "{clusters}"
    );
    assert!(clusters.contains("x,1,2"), "{clusters}");
    assert!(clusters.contains("y,y,2"), "{clusters}");
}

#[test]
fn bad_input_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let dup = write(dir.path(), "dup.csv", "rec_id,given_name\nr1,Ana\nr1,Ana\n");
    let out = dir.path().join("out").display().to_string();
    let (code, _, stderr) = run(&["link", &dup, "--out", &out]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("dup.csv:3: column 'rec_id': record id 'r1' appears twice"),
        "{stderr}"
    );

    let ragged = write(
        dir.path(),
        "ragged.csv",
        "rec_id,given_name\nr1,Ana\nr2,Ana,extra\n",
    );
    let (code, _, stderr) = run(&["link", &ragged, "--out", &out]);
    assert_eq!(code, 2);
    assert!(stderr.contains("ragged.csv:3"), "{stderr}");

    let (code, _, stderr) = run(&["link", &dup, "--out", &out, "--column", "id=nope"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no column named 'nope'"), "{stderr}");

    let (code, _, stderr) = run(&["link", &dup, "--out", &out, "--column", "colour=x"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown role 'colour'"), "{stderr}");
}
