//! Money over the store's ledger table, on a real server on loopback, on SQLite and
//! PostgreSQL: ledger rows are decided like records (originator and handling, fail closed),
//! alerts, flows and accounts show only readable rows, the account's subject and holders only
//! when the records behind them are readable, every answer is audited first, and the server
//! sees rows appended while it runs.

use corridor_model::Grading;
use corridor_model::envelope::Tlp;
use corridor_policy::PolicyStore;
use corridor_store::{LedgerRow, Store};
use serde_json::{Value, json};

mod common;

use common::{Client, assert_error, enc, example, now};

const WHY: &str = "Operation Vjosa: following the money";

/// Account numbers: B gets a fan-in from S1..S5 and passes money on to C (readable), D
/// (TLP:RED, the FIU's own eyes only) and E (an originator no directory knows).
const B: &str = "AL62202110090000000123456789";
const C: &str = "RS35260005601001611379";
const D: &str = "ACC-RED-D";
const E: &str = "ACC-ZZ-E";
const DAY: i64 = 86_400;
const T0: i64 = 1_735_689_600; // 2025-01-01

fn row(
    originator: &str,
    tx: &str,
    ts: i64,
    from: &str,
    to: &str,
    minor: i64,
    tlp: Tlp,
) -> LedgerRow {
    LedgerRow {
        originator: originator.into(),
        tx_id: tx.into(),
        ts_seconds: ts,
        from_account: from.into(),
        to_account: to.into(),
        amount_minor: minor,
        currency: "EUR".into(),
        channel: "bank".into(),
        handling: Grading::Tlp(tlp),
        source_line: None,
    }
}

/// The FIU's example file (BankAccount records of B and C), a holder of S1 as JSON lines, the
/// subjects resolved, and the ledger rows.
fn fill(store: &mut dyn Store, dir: &std::path::Path) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let options = corridor_ingest::Options {
        rejects_path: Some(dir.join("fiu.rejects.csv")),
        ..corridor_ingest::Options::default()
    };
    corridor_ingest::ingest_file(
        store,
        &root.join("al_fiu_payments.csv"),
        corridor_ingest::Format::Csv,
        Some((&example("al_fiu_payments.toml"), "al_fiu_payments.toml")),
        &options,
        &mut |_| {},
    )
    .expect("the FIU example");
    let envelope = json!({"originator": "AL_FIU", "contributor": "GDPML",
        "submitted_at": "2025-01-20T09:00:00Z", "source_ref": "STR-2025-0001",
        "review_by": "2030-01-20", "grading": {"system": "tlp", "tlp": "AMBER"}});
    let lines = [
        json!({"id": "fiu-holder-1", "schema": "Person",
               "properties": {"firstName": ["Dritan"], "lastName": ["Mema"]},
               "corridor": envelope}),
        json!({"id": "fiu-acct-s1", "schema": "BankAccount",
               "properties": {"accountNumber": ["ACC-S1"], "holder": ["fiu-holder-1"]},
               "corridor": envelope}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let path = dir.join("holders.ftm.jsonl");
    std::fs::write(&path, text).unwrap();
    let options = corridor_ingest::Options {
        rejects_path: Some(dir.join("holders.rejects.csv")),
        ..corridor_ingest::Options::default()
    };
    let s = corridor_ingest::ingest_file(
        store,
        &path,
        corridor_ingest::Format::Ftm,
        None,
        &options,
        &mut |_| {},
    )
    .expect("holders");
    assert_eq!(s.rows_rejected, 0, "{s:?}");
    corridor_subjects::resolve_kinds(
        store,
        &corridor_subjects::builtin_kinds(),
        &corridor_subjects::Options::default(),
    )
    .expect("resolve");
    let mut rows: Vec<LedgerRow> = (1..=5)
        .map(|i| {
            row(
                "AL_FIU",
                &format!("FIU-{i}"),
                T0 + i * 3_600,
                &format!("ACC-S{i}"),
                B,
                200_000,
                Tlp::Amber,
            )
        })
        .collect();
    rows.push(row("AL_FIU", "FIU-6", T0 + DAY, B, C, 990_000, Tlp::Amber));
    rows.push(row("AL_FIU", "FIU-7", T0 + DAY + 60, B, D, 5_000, Tlp::Red));
    rows.push(row(
        "ZZ_FIU",
        "ZZ-1",
        T0 + DAY + 120,
        B,
        E,
        4_000,
        Tlp::Clear,
    ));
    let out = store.append_ledger(None, &rows).unwrap();
    assert_eq!(out.appended, rows.len() as u64, "{out:?}");
}

/// Every string in an answer.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

fn assert_never_names(v: &Value, hidden: &[&str]) {
    let mut all = Vec::new();
    strings(v, &mut all);
    for h in hidden {
        assert!(
            !all.iter().any(|s| s.contains(h)),
            "the answer names {h}: {v}"
        );
    }
}

fn run(store: Box<dyn Store>, writer: Box<dyn Store>, mut oracle: Box<dyn Store>) {
    let accounts = corridor_subjects::accounts::account_index(oracle.as_mut()).unwrap();
    let b_subject = accounts
        .get(B)
        .expect("B has a BankAccount record")
        .subject
        .clone();
    let s1 = accounts
        .get("ACC-S1")
        .expect("S1 has a BankAccount record")
        .clone();
    assert_eq!(s1.holders.len(), 1, "{s1:?}");
    let mut policy = PolicyStore::open_owned(store).unwrap();
    assert!(corridor_server::demo::ensure_demo_directory(&mut policy, "test", now()).unwrap());
    // The demo's standing agreements cover `Thing`s; payments (an `Interval` in the data
    // model, as ledger rows are decided) need an agreement naming them: the FIU gives the UK
    // one up to TLP:AMBER.
    let desk = corridor_policy::Context {
        user: "desk.al_fiu".into(),
        origin: "test".into(),
        now: now(),
    };
    policy
        .grant(
            &desk,
            &[],
            corridor_policy::NewGrant {
                recipient: "UK_NCA".into(),
                named_users: Vec::new(),
                scope: corridor_policy::Scope::Standing {
                    schemata: vec!["Payment".into()],
                    ceiling: corridor_policy::HandlingCeiling {
                        uk_permitted: true,
                        europol: None,
                        tlp: Some(corridor_policy::TlpCeiling::Amber),
                    },
                },
                conditions: "payments for Operation Vjosa".into(),
                expires_at: now() + 86_400,
            },
        )
        .unwrap();
    let server = corridor_server::start(policy, writer, "127.0.0.1:0".parse().unwrap(), 2).unwrap();
    let c = Client::new(server.addr);
    let why = enc(WHY);
    let fiu = c.login("alfiu.analyst");
    let uk = c.login("uk.analyst");
    let rs = c.login("rs.analyst");
    let auditor = c.login("uk.auditor");

    // ---- alerts: the fan-in into B, with readable ledger rows only ----
    for (who, token) in [("fiu", &fiu), ("uk", &uk)] {
        let (s, v) = c.get(
            Some(token),
            &format!("/api/v1/money/alerts?typology=FAN_IN&justification={why}"),
        );
        assert_eq!(s, 200, "{who}: {v}");
        // The kernel reports each edge in one alert of a kind: the fan-in may come in parts.
        let fan_in: Vec<&Value> = v
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["accounts"].as_array().unwrap().iter().any(|x| x == B))
            .collect();
        assert!(!fan_in.is_empty(), "{who}: no fan-in into B: {v}");
        let mut txs: Vec<&str> = fan_in
            .iter()
            .flat_map(|a| a["transactions"].as_array().unwrap())
            .map(|t| t.as_str().unwrap())
            .collect();
        txs.sort_unstable();
        txs.dedup();
        assert_eq!(
            txs,
            (1..=5)
                .map(|i| format!("ledger:AL_FIU/FIU-{i}"))
                .collect::<Vec<_>>(),
            "{who}: {v}"
        );
        for a in &fan_in {
            assert!(
                a["subjects"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x == b_subject.as_str()),
                "{who}: B's account subject: {a}"
            );
        }
        assert_never_names(&v, &["ZZ-1", "ZZ_FIU", E]);
    }
    // RS_BP has no agreement with the FIU: none of its rows, so no alert about them.
    let (s, v) = c.get(
        Some(&rs),
        &format!("/api/v1/money/alerts?justification={why}"),
    );
    assert_eq!(s, 200, "{v}");
    assert_never_names(&v, &["ledger:AL_FIU", B, "ZZ-1"]);

    // ---- flows out of B's subject: RED only for its originator, the unknown one for nobody --
    let flows = |token: &str| {
        let (s, v) = c.get(
            Some(token),
            &format!("/api/v1/money/flows/{b_subject}?hops=2&justification={why}"),
        );
        assert_eq!(s, 200, "{v}");
        let targets: Vec<String> = v["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["target"].as_str().unwrap().to_owned())
            .collect();
        assert_never_names(&v, &["ZZ", E]);
        targets
    };
    let fiu_targets = flows(&fiu);
    assert!(fiu_targets.iter().any(|t| t == C) && fiu_targets.iter().any(|t| t == D));
    let uk_targets = flows(&uk);
    assert!(uk_targets.iter().any(|t| t == C), "{uk_targets:?}");
    assert!(!uk_targets.iter().any(|t| t == D), "{uk_targets:?}");
    let (s, v) = c.get(
        Some(&rs),
        &format!("/api/v1/money/flows/{b_subject}?justification={why}"),
    );
    assert_error(s, &v, 404, "not_found");

    // ---- the account: features over readable rows only ----
    let account = |token: &str, id: &str| {
        c.get(
            Some(token),
            &format!("/api/v1/money/accounts/{}?justification={why}", enc(id)),
        )
    };
    let (s, v) = account(&uk, B);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["account"], B);
    assert_eq!(v["subject"], b_subject.as_str(), "{v}");
    assert_eq!(v["features"]["in_count"], 5, "{v}");
    assert_eq!(v["features"]["in_amount_minor"], 1_000_000, "{v}");
    assert_eq!(v["features"]["out_count"], 1, "only C: {v}");
    assert!(
        v["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["typology"] == "FAN_IN"),
        "{v}"
    );
    assert_never_names(&v, &["FIU-7", D, "ZZ-1", E]);
    let (s, v) = account(&fiu, B);
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["features"]["out_count"], 2,
        "C and the FIU's own RED row: {v}"
    );
    // Holders: S1's holder, through the FIU's BankAccount record the UK may read.
    let (s, v) = account(&uk, "ACC-S1");
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["subject"], s1.subject.as_str(), "{v}");
    assert_eq!(v["holders"], json!(s1.holders), "{v}");
    // Unknown, unreadable, and only-unreadable accounts are one and the same 404.
    let (s, unknown) = account(&uk, "NO-SUCH-ACCOUNT");
    assert_error(s, &unknown, 404, "not_found");
    for (token, id) in [(&uk, E), (&fiu, E), (&rs, B), (&rs, "ACC-S1"), (&uk, D)] {
        let (s, v) = account(token, id);
        assert_error(s, &v, 404, "not_found");
        assert_eq!(v, unknown, "{id}");
    }
    // A record key is never an account in answers (it is masked): not looked up either.
    let (s, v) = account(&uk, "AL_FIU/STR-2024-0091");
    assert_error(s, &v, 404, "not_found");
    // Auth, role and bad input.
    let (s, v) = c.get(
        None,
        &format!("/api/v1/money/accounts/{B}?justification={why}"),
    );
    assert_error(s, &v, 401, "unauthenticated");
    let (s, v) = account(&auditor, B);
    assert_error(s, &v, 403, "forbidden");
    let (s, v) = c.get(
        Some(&uk),
        &format!("/api/v1/money/accounts/{B}?justification=short"),
    );
    assert_error(s, &v, 400, "bad_request");
    let (s, v) = c.get(Some(&uk), &format!("/api/v1/money/accounts/{B}"));
    assert_error(s, &v, 400, "bad_request");
    let (s, v) = account(&uk, &"9".repeat(300));
    assert_error(s, &v, 400, "bad_request");
    let (s, v) = account(&uk, "a\u{7}b");
    assert_error(s, &v, 400, "bad_request");

    // ---- audited first: the UK's account answer is a disclosure naming the rows shown ----
    let (s, v) = c.get(Some(&auditor), "/api/v1/audit?limit=1000");
    assert_eq!(s, 200, "{v}");
    let entries = v.as_array().unwrap();
    let shown: Vec<&Value> = entries
        .iter()
        .filter(|e| e["actor"] == "uk.analyst" && e["detail"]["answer"] == "money account")
        .collect();
    assert!(!shown.is_empty(), "{v}");
    for e in &shown {
        assert_eq!(e["action"], "disclosure", "{e}");
        let rows = e["detail"]["ledger"].as_array().unwrap();
        assert!(!rows.is_empty(), "{e}");
        assert!(
            rows.iter()
                .all(|r| r.as_str().unwrap().starts_with("ledger:AL_FIU/FIU-")
                    && r != "ledger:AL_FIU/FIU-7"),
            "{e}"
        );
    }
    // The FIU consulting its own rows is a consultation.
    assert!(entries.iter().any(|e| e["actor"] == "alfiu.analyst"
        && e["detail"]["answer"] == "money account"
        && e["action"] == "consultation"));

    // ---- rows appended while the server runs are seen by the next answer ----
    oracle
        .append_ledger(
            None,
            &[row(
                "AL_FIU",
                "FIU-8",
                T0 + 2 * DAY,
                B,
                C,
                7_000,
                Tlp::Green,
            )],
        )
        .unwrap();
    let (s, v) = account(&uk, B);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["features"]["out_count"], 2, "C twice now: {v}");

    // ---- the document describes the route ----
    let (s, doc) = c.get(None, "/openapi.json");
    assert_eq!(s, 200);
    assert!(doc["paths"].get("/api/v1/money/accounts/{id}").is_some());
    assert!(doc["paths"].get("/api/v1/ingest").is_some());
    server.stop();
}

#[test]
fn money_api_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let locator = dir.path().join("money.db").display().to_string();
    {
        let mut store = corridor_store::open(&locator).unwrap();
        fill(store.as_mut(), dir.path());
    }
    let store = corridor_store::open(&locator).unwrap();
    let writer = corridor_store::open(&locator).unwrap();
    let oracle = corridor_store::open(&locator).unwrap();
    run(store, writer, oracle);
}

#[test]
fn money_api_on_postgres() {
    let Some(url) = common::pg_url() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let schema = format!("server_money_{}", std::process::id());
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .unwrap();
    let mut pg = corridor_store::PgStore::open_in_schema(&url, &schema).unwrap();
    fill(&mut pg, dir.path());
    let writer = corridor_store::PgStore::open_in_schema(&url, &schema).unwrap();
    let oracle = corridor_store::PgStore::open_in_schema(&url, &schema).unwrap();
    run(Box::new(pg), Box::new(writer), Box::new(oracle));
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .unwrap();
}
