//! The ledger in the store, end to end through the binary on both backends: a scenario's ledger
//! ingested with its agencies' files, re-ingest a no-op, bad rows rejected with file, line,
//! field and reason; alerts from the store equal to alerts from the file, rolled up to account
//! subjects and networks, and streamed from either equal to the batch's; payments as `paid` edges of the link graph; flows hop by hop.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_corridor");

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run corridor")
}

fn corridor(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&corridor(args)).expect("JSON output")
}

/// Alerts as (typology, transactions): what must not depend on where the ledger was read from.
fn alert_keys(alerts: &serde_json::Value) -> Vec<(String, Vec<String>)> {
    let mut keys: Vec<(String, Vec<String>)> = alerts
        .as_array()
        .expect("array")
        .iter()
        .map(|a| {
            (
                a["typology"].as_str().unwrap_or_default().to_owned(),
                a["transactions"]
                    .as_array()
                    .expect("transactions")
                    .iter()
                    .map(|t| t.as_str().unwrap_or_default().to_owned())
                    .collect(),
            )
        })
        .collect();
    keys.sort();
    keys
}

fn ledger_in_the_store(store: &str, dir: &Path) {
    let scn = dir.join("scn");
    let scn_s = scn.to_str().expect("utf-8 path");
    corridor(&["synth", "--preset", "demo", "--seed", "5", "--out", scn_s]);
    // Agencies' files carry deliberate errors, so some of their rows are rejected (exit 3).
    let out = run(&["ingest", "--store", store, "--scenario", scn_s]);
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ingest = String::from_utf8_lossy(&out.stdout).into_owned();
    let ledger_rows = std::fs::read_to_string(scn.join("ledger/transactions.csv"))
        .expect("ledger")
        .lines()
        .count()
        - 1;
    assert!(
        ingest.contains(&format!(
            "transactions.csv [FIU_LEDGER]: {ledger_rows} ledger rows read, {ledger_rows} appended, 0 unchanged, 0 rejected"
        )),
        "{ingest}"
    );
    // Re-ingest is a no-op.
    let again = corridor(&[
        "ingest",
        "--store",
        store,
        "--ledger",
        &format!("{scn_s}/ledger/transactions.csv"),
        "--origin",
        "FIU_LEDGER",
    ]);
    assert!(
        again.contains(&format!("0 appended, {ledger_rows} unchanged, 0 rejected")),
        "{again}"
    );

    // Another agency's file in its own columns, through a mapping, with bad rows.
    let bad = dir.join("bank.csv");
    std::fs::write(
        &bad,
        "ref;booked;payer;payee;sum\n\
         B1;2023-02-01T10:00:00Z;RS35105008123123123173;HWL-P0000001;1.234,50\n\
         B2;yesterday;RS35105008123123123173;HWL-P0000001;10,00\n\
         B3;2023-02-02;;HWL-P0000001;-5\n\
         B4;2023-02-03;RS35105008123123123173;HWL-P0000002;99,99\n",
    )
    .expect("write");
    let mapping = dir.join("bank.toml");
    std::fs::write(
        &mapping,
        "[ledger]\ndelimiter = \";\"\ndecimal_separator = \",\"\ncurrency = \"EUR\"\nchannel = \"bank\"\n\n\
         [columns]\nid = \"ref\"\ntimestamp = \"booked\"\nfrom_account = \"payer\"\nto_account = \"payee\"\namount = \"sum\"\n\n\
         [grading]\nsystem = \"3x5x2\"\nsource = \"1\"\nintelligence = \"B\"\nhandling = \"P\"\n",
    )
    .expect("write");
    let rejects = dir.join("bank.rejects.csv");
    let out = run(&[
        "ingest",
        "--store",
        store,
        "--ledger",
        bad.to_str().expect("utf-8"),
        "--mapping",
        mapping.to_str().expect("utf-8"),
        "--origin",
        "RS_BANK",
        "--rejects",
        rejects.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(3), "some rows rejected: exit 3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("4 ledger rows read, 2 appended, 0 unchanged, 2 rejected"),
        "{stdout}"
    );
    let rejects = std::fs::read_to_string(&rejects).expect("rejects file");
    let lines: Vec<&str> = rejects.lines().collect();
    assert_eq!(lines[0], "file,line,field,reason");
    assert!(lines[1].starts_with("bank.csv,3,timestamp,"), "{rejects}");
    assert!(
        lines[2].starts_with("bank.csv,4,from_account,empty"),
        "{rejects}"
    );
    assert!(lines[3].starts_with("bank.csv,4,amount,"), "{rejects}");
    assert_eq!(lines.len(), 4, "{rejects}");

    // The store's ledger gives the file's alerts; the mapped agency's rows are read apart.
    let from_file = json(&["money", "alerts", "--ledger", scn_s, "--format", "json"]);
    let from_store = json(&[
        "money",
        "alerts",
        "--store",
        store,
        "--origin",
        "FIU_LEDGER",
        "--format",
        "json",
    ]);
    assert!(!alert_keys(&from_file).is_empty());
    assert_eq!(alert_keys(&from_file), alert_keys(&from_store));
    // Streamed, from the file or from the store's pages: the batch's alerts, in its order,
    // field for field.
    let streamed_file = json(&[
        "money", "alerts", "--ledger", scn_s, "--stream", "--format", "json",
    ]);
    assert_eq!(streamed_file, from_file);
    let streamed_store = json(&[
        "money",
        "alerts",
        "--store",
        store,
        "--origin",
        "FIU_LEDGER",
        "--stream",
        "--format",
        "json",
    ]);
    assert_eq!(streamed_store, from_file);
    // Two scanner threads, each with some typologies, merge into the same alerts and order.
    let two_threads = json(&[
        "money",
        "alerts",
        "--store",
        store,
        "--origin",
        "FIU_LEDGER",
        "--stream",
        "--scan-threads",
        "2",
        "--format",
        "json",
    ]);
    assert_eq!(two_threads, from_file);
    let bank = json(&[
        "money",
        "account",
        "HWL-P0000002",
        "--store",
        store,
        "--origin",
        "RS_BANK",
        "--format",
        "json",
    ]);
    assert_eq!(bank["features"]["in_amount"], 99.99);

    // A bank's record of its customer: the account and its holder.
    let kyc = dir.join("customers.csv");
    std::fs::write(
        &kyc,
        "ref,account,given,family,dob
K1,HWL-P0000002,Marko,Petrović,01.05.1980
",
    )
    .expect("write");
    let kyc_mapping = dir.join("customers.toml");
    std::fs::write(
        &kyc_mapping,
        r#"[source]
agency = "RS_BANK"
contributor = "compliance"
language = "sr"
script = "Latn"
date_formats = ["%d.%m.%Y"]
review_after_days = 365
source_ref = { column = "ref" }

[grading]
system = "3x5x2"
source = "1"
intelligence = "B"
handling = "P"

[entities.account]
schema = "BankAccount"
id = { column = "account", prefix = "acct-" }
[entities.account.properties]
accountNumber = "account"
holder = "@customer"

[entities.customer]
schema = "Person"
id = { column = "ref", prefix = "cust-" }
[entities.customer.properties]
firstName = "given"
lastName = "family"
birthDate = "dob"
"#,
    )
    .expect("write");
    corridor(&[
        "ingest",
        "--store",
        store,
        "--mapping",
        kyc_mapping.to_str().expect("utf-8"),
        kyc.to_str().expect("utf-8"),
    ]);

    // Roll-up: accounts that agencies recorded resolve to account subjects, and the ledger's
    // payments between them are `paid` edges that put them in networks.
    corridor(&["resolve", "--store", store]);
    let held = json(&[
        "money",
        "account",
        "HWL-P0000002",
        "--store",
        store,
        "--origin",
        "RS_BANK",
        "--format",
        "json",
    ]);
    assert!(
        held["subject"]
            .as_str()
            .is_some_and(|s| s.starts_with("A-")),
        "{held}"
    );
    let holders = held["holders"].as_array().expect("holders");
    assert_eq!(holders.len(), 1, "{held}");
    assert!(
        holders[0].as_str().is_some_and(|h| h.starts_with("P-")),
        "{held}"
    );
    let by_holder = json(&[
        "money",
        "flows",
        holders[0].as_str().expect("str"),
        "--store",
        store,
        "--origin",
        "RS_BANK",
        "--format",
        "json",
    ]);
    assert_eq!(by_holder["accounts"], serde_json::json!(["HWL-P0000002"]));
    let alerts = json(&[
        "money",
        "alerts",
        "--store",
        store,
        "--origin",
        "FIU_LEDGER",
        "--format",
        "json",
    ]);
    let rolled: Vec<&serde_json::Value> = alerts
        .as_array()
        .expect("array")
        .iter()
        .filter(|a| {
            !a["account_subjects"]
                .as_array()
                .expect("subjects")
                .is_empty()
        })
        .collect();
    assert!(!rolled.is_empty(), "no alert reached an account subject");
    assert!(rolled.iter().all(|a| {
        a["account_subjects"][0]
            .as_str()
            .is_some_and(|s| s.starts_with("A-"))
    }),);
    assert!(
        rolled
            .iter()
            .any(|a| !a["networks"].as_array().expect("networks").is_empty())
    );
    let summary = json(&["network", "--store", store, "summary", "--format", "json"]);
    let paid = summary.to_string();
    assert!(paid.contains("\"paid\""), "{paid}");

    // Flows from an account subject: every hop starts no earlier than the one that reached it.
    let subject = rolled[0]["account_subjects"][0].as_str().expect("subject");
    let flows = json(&[
        "money",
        "flows",
        subject,
        "--store",
        store,
        "--origin",
        "FIU_LEDGER",
        "--hops",
        "3",
        "--format",
        "json",
    ]);
    let transfers = flows["transfers"].as_array().expect("transfers");
    assert!(!transfers.is_empty(), "{flows}");
    let mut reached: std::collections::HashMap<String, String> = Default::default();
    for account in flows["accounts"].as_array().expect("accounts") {
        reached.insert(account.as_str().expect("str").to_owned(), String::new());
    }
    for t in transfers {
        let hop = t["hop"].as_u64().expect("hop");
        assert!((1..=3).contains(&hop));
        let from = t["from"]["account"].as_str().expect("from");
        let at = t["at"].as_str().expect("at");
        let since = reached
            .get(from)
            .expect("a transfer leaves a reached account");
        assert!(at >= since.as_str(), "{t}");
        reached
            .entry(t["to"]["account"].as_str().expect("to").to_owned())
            .or_insert_with(|| at.to_owned());
    }
}

#[test]
fn ledger_in_the_store_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("c.db");
    ledger_in_the_store(db.to_str().expect("utf-8"), dir.path());
}

#[test]
fn ledger_in_the_store_postgres() {
    let url = match std::env::var("CORRIDOR_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => u,
        _ if std::env::var("CORRIDOR_TEST_PG").as_deref() == Ok("skip") => return,
        _ => panic!(
            "CORRIDOR_TEST_PG_URL is not set (run scripts/test, or set CORRIDOR_TEST_PG=skip)"
        ),
    };
    let db = format!("money_{}", std::process::id());
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .expect("drop");
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .expect("create");
    let (base, _) = url.rsplit_once('/').expect("url with a database");
    let dir = tempfile::tempdir().expect("tempdir");
    ledger_in_the_store(&format!("{base}/{db}"), dir.path());
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .expect("drop");
}
