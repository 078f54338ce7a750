//! `POST /api/v1/ingest` on a real server on loopback, on SQLite and PostgreSQL: the per-row
//! report, atomic batches and idempotent re-upload, the uploader's agency as the only
//! originator, roles, limits and bad input, and the collection in the audit log.

use corridor_policy::PolicyStore;
use corridor_store::{RecordKey, Store};
use serde_json::{Value, json};

mod common;

use common::{Client, assert_error, example, now};

const WHY: &str = "Intake of the FIU's suspicious-transaction reports";

fn upload(name: &str, format: &str, mapping: Option<&str>, data: &str) -> Value {
    let mut b = json!({"name": name, "format": format, "data": data, "justification": WHY});
    if let Some(m) = mapping {
        b["mapping"] = json!(m);
    }
    b
}

fn run(store: Box<dyn Store>, writer: Box<dyn Store>, mut oracle: Box<dyn Store>) {
    let mut policy = PolicyStore::open_owned(store).unwrap();
    assert!(corridor_server::demo::ensure_demo_directory(&mut policy, "test", now()).unwrap());
    let server = corridor_server::start(policy, writer, "127.0.0.1:0".parse().unwrap(), 2).unwrap();
    let c = Client::new(server.addr);
    let mapping = example("al_fiu_payments.toml");
    let csv = example("al_fiu_payments.csv");
    let rows = csv.lines().skip(1).filter(|l| !l.trim().is_empty()).count() as u64;
    assert!(rows >= 5, "the example has {rows} rows");

    // ---- authentication, roles, bad input: nothing written ----
    let body = upload("al_fiu_payments.csv", "csv", Some(&mapping), &csv);
    let (s, v) = c.post(None, "/api/v1/ingest", &body);
    assert_error(s, &v, 401, "unauthenticated");
    let auditor = c.login("uk.auditor");
    let (s, v) = c.post(Some(&auditor), "/api/v1/ingest", &body);
    assert_error(s, &v, 403, "forbidden");
    // Another agency's analyst cannot ingest records in the FIU's name.
    let rs = c.login("rs.analyst");
    let (s, v) = c.post(Some(&rs), "/api/v1/ingest", &body);
    assert_error(s, &v, 400, "bad_request");
    assert!(v["error"]["message"].as_str().unwrap().contains("AL_FIU"));
    let fiu = c.login("alfiu.analyst");
    for (bad, why) in [
        (upload("x.csv", "xlsx", Some(&mapping), &csv), "format"),
        (upload("x.csv", "csv", None, &csv), "mapping"),
        (upload("", "csv", Some(&mapping), &csv), "name"),
        (upload("a\nb.csv", "csv", Some(&mapping), &csv), "name"),
        (upload("x.csv", "csv", Some("not = [toml"), &csv), "mapping"),
        (upload("x.csv", "csv", Some(&mapping), ""), "header"),
        (
            json!({"name": "x.csv", "format": "csv", "mapping": mapping, "data": csv,
                   "justification": "short"}),
            "justification",
        ),
        (
            json!({"name": "x.csv", "format": "csv", "data": csv, "justification": WHY,
                   "extra": 1}),
            "unknown field",
        ),
    ] {
        let (s, v) = c.post(Some(&fiu), "/api/v1/ingest", &bad);
        assert_error(s, &v, 400, "bad_request");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(why),
            "{why}: {v}"
        );
    }
    let (s, v) = c.post_raw(Some(&fiu), "/api/v1/ingest", "text/csv", csv.as_bytes());
    assert_error(s, &v, 415, "unsupported_media_type");
    // Over the route's limit (16 MiB): refused before it is read, never a 500.
    let big = "x".repeat(17 << 20);
    let (s, v) = c.post_oversize(
        &fiu,
        "/api/v1/ingest",
        upload("big.csv", "csv", Some(&mapping), &big)
            .to_string()
            .into_bytes(),
    );
    assert_error(s, &v, 413, "payload_too_large");
    assert_eq!(oracle.log_position().unwrap(), 0, "nothing was written");

    // ---- the upload: the example's two bad rows are rejected, named by line and field ----
    let (s, v) = c.post(Some(&fiu), "/api/v1/ingest", &body);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["agency"], "AL_FIU");
    assert_eq!(v["rows_read"], rows, "{v}");
    assert_eq!(v["rows_accepted"], rows - 2, "{v}");
    assert_eq!(v["rows_rejected"], 2, "{v}");
    let appended = v["records_appended"].as_u64().unwrap();
    assert!(appended >= rows - 2, "{v}");
    assert_eq!(
        v["rejects"],
        json!([
            {"line": 5, "field": "iban_paguesi",
             "reason": "BankAccount.iban: IBAN check digits do not match"},
            {"line": 6, "field": "monedha",
             "reason": "Payment.currency: 'LEKE' is not an ISO 4217 currency code"},
        ]),
        "{v}"
    );
    let position = oracle.log_position().unwrap();
    assert_eq!(position as u64, appended);
    let live = corridor_store::for_each_live(oracle.as_mut(), |v| {
        assert_eq!(v.envelope.originator, "AL_FIU");
        assert_eq!(v.envelope.grading.to_string(), "TLP:AMBER");
        Ok::<_, corridor_store::StoreError>(())
    });
    live.unwrap();

    // ---- the same file again: nothing new ----
    let (s, v) = c.post(Some(&fiu), "/api/v1/ingest", &body);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["records_appended"], 0, "{v}");
    assert_eq!(v["rows_accepted"], rows - 2, "{v}");
    assert_eq!(v["rows_rejected"], 2, "{v}");
    assert_eq!(oracle.log_position().unwrap(), position);

    // ---- rejects name line, field and reason; the good rows are kept ----
    let mut lines: Vec<&str> = csv.lines().collect();
    let header = lines[0];
    let good = lines[1].replace("STR-2024-0091", "STR-2024-9001");
    let bad_date = lines[2]
        .replace("STR-2024-0092", "STR-2024-9002")
        .replace("06.03.2024", "31.02.2024");
    lines.truncate(0);
    let text = format!("{header}\n{good}\n{bad_date}\n");
    let (s, v) = c.post(
        Some(&fiu),
        "/api/v1/ingest",
        &upload("amended.csv", "csv", Some(&mapping), &text),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["rows_accepted"].as_u64(), v["rows_rejected"].as_u64()),
        (Some(1), Some(1)),
        "{v}"
    );
    let rejects = v["rejects"].as_array().unwrap();
    assert!(!rejects.is_empty(), "{v}");
    assert!(rejects.iter().all(|r| r["line"] == 3), "{v}");
    assert!(
        rejects
            .iter()
            .any(|r| r["field"] == "data" && !r["reason"].as_str().unwrap().is_empty()),
        "{v}"
    );
    assert!(oracle.log_position().unwrap() > position);

    // ---- JSON lines: a line naming another originator is rejected, the rest kept ----
    let mk_lines = example("mk_bp_persons.ftm.jsonl");
    let mut lines: Vec<Value> = mk_lines
        .lines()
        .take(2)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    lines[1]["corridor"]["originator"] = json!("RS_BP");
    let forged_id = lines[1]["id"].as_str().unwrap().to_owned();
    let kept_id = lines[0]["id"].as_str().unwrap().to_owned();
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let mk = c.login("mk.analyst");
    let (s, v) = c.post(
        Some(&mk),
        "/api/v1/ingest",
        &upload("persons.jsonl", "ftm", None, &text),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["agency"], "MK_BP", "{v}");
    assert_eq!(
        v["rows_accepted"].as_u64(),
        Some(lines.len() as u64 - 1),
        "{v}"
    );
    assert_eq!(v["rows_rejected"], 1, "{v}");
    assert_eq!(v["rejects"][0]["line"], 2, "{v}");
    assert_eq!(v["rejects"][0]["field"], "corridor.originator", "{v}");
    assert!(oracle.head("RS_BP", &forged_id).unwrap().is_none());
    assert!(oracle.head("MK_BP", &forged_id).unwrap().is_none());
    assert!(oracle.head("MK_BP", &kept_id).unwrap().is_some());
    // The FIU may not send the MK lines at all.
    let (s, v) = c.post(
        Some(&fiu),
        "/api/v1/ingest",
        &upload("persons.jsonl", "ftm", None, &mk_lines),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["rows_accepted"], 0, "{v}");
    let originator_lines: Vec<u64> = v["rejects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["field"] == "corridor.originator")
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(originator_lines, [1, 2, 3], "{v}");

    // ---- the collections are audited, the refused ones are not collections ----
    let audit = c.login("uk.auditor");
    let (s, v) = c.get(Some(&audit), "/api/v1/audit?limit=1000");
    assert_eq!(s, 200, "{v}");
    let collections: Vec<&Value> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "collection")
        .collect();
    // Two uploads of the example, the amended file, the FIU's JSON lines and the empty file
    // (audited first, refused after its header could not be read), and MK's JSON lines. The
    // refusals before reading (role, mapping, another agency's mapping) are not collections.
    assert_eq!(collections.len(), 6, "{collections:?}");
    assert!(collections.iter().all(
        |e| (e["actor"] == "alfiu.analyst" && e["agency"] == "AL_FIU")
            || (e["actor"] == "mk.analyst" && e["agency"] == "MK_BP")
    ));

    // The uploaded records are searchable through the policy layer at once.
    let (s, v) = c.get(
        Some(&fiu),
        "/api/v1/search?q=Xhevdet%20%C3%87ela&justification=checking%20the%20intake",
    );
    assert_eq!(s, 200, "{v}");
    let named: Vec<RecordKey> = v["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["records"].as_array().unwrap().iter())
        .map(|r| RecordKey::new(r["origin"].as_str().unwrap(), r["id"].as_str().unwrap()))
        .collect();
    assert!(!named.is_empty(), "{v}");
    server.stop();
}

#[test]
fn ingest_api_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let locator = dir.path().join("ingest.db").display().to_string();
    let store = corridor_store::open(&locator).unwrap();
    let writer = corridor_store::open(&locator).unwrap();
    let oracle = corridor_store::open(&locator).unwrap();
    run(store, writer, oracle);
}

#[test]
fn ingest_api_on_postgres() {
    let Some(url) = common::pg_url() else {
        return;
    };
    let schema = format!("server_ingest_{}", std::process::id());
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .unwrap();
    let store = corridor_store::PgStore::open_in_schema(&url, &schema).unwrap();
    let writer = corridor_store::PgStore::open_in_schema(&url, &schema).unwrap();
    let oracle = corridor_store::PgStore::open_in_schema(&url, &schema).unwrap();
    run(Box::new(store), Box::new(writer), Box::new(oracle));
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .unwrap();
}
