//! The HTTP API on a real server on loopback, over a store filled with the synthetic demo
//! scenario, resolved, with the demo agencies, users and standing agreements. Every endpoint,
//! its auth failures and limits, and the policy invariants, checked against an oracle that
//! decides on a second connection to the same store: no answer names a record, subject member
//! or graph node the user may not read, and hit-only answers carry no content.

use std::collections::{BTreeSet, HashSet};

use corridor_ingest::{Format, Options as IngestOptions};
use corridor_policy::{PolicyStore, RecordMeta, decide};
use corridor_store::{RecordKey, Store};
use serde_json::{Value, json};

const PASSWORD: &str = corridor_server::demo::DEMO_PASSWORD;
const WHY: &str = "Operation Corridor: smuggling route";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Generates the demo scenario, ingests every agency and resolves subjects.
fn fill(dir: &std::path::Path, store: &mut dyn Store) {
    let scenario = dir.join("scenario");
    let config = corridor_synth::Config::preset(corridor_synth::Preset::Demo, 5);
    let summary = corridor_synth::generate(&config, &scenario).expect("scenario");
    for agency in &summary.agencies {
        let mapping = std::fs::read_to_string(scenario.join(&agency.mapping_file)).unwrap();
        let format = if agency.ftm { Format::Ftm } else { Format::Csv };
        let options = IngestOptions {
            rejects_path: Some(dir.join(format!("{}.rejects.csv", agency.code))),
            ..IngestOptions::default()
        };
        corridor_ingest::ingest_file(
            store,
            &scenario.join(&agency.data_file),
            format,
            Some((&mapping, &agency.mapping_file)),
            &options,
            &mut |_| {},
        )
        .unwrap_or_else(|e| panic!("ingesting {}: {e}", agency.data_file));
    }
    // The bundled FIU example: payments for the money alerts.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mapping = std::fs::read_to_string(root.join("al_fiu_payments.toml")).unwrap();
    let options = IngestOptions {
        rejects_path: Some(dir.join("al_fiu.rejects.csv")),
        ..IngestOptions::default()
    };
    corridor_ingest::ingest_file(
        store,
        &root.join("al_fiu_payments.csv"),
        Format::Csv,
        Some((&mapping, "al_fiu_payments.toml")),
        &options,
        &mut |_| {},
    )
    .expect("ingesting the FIU example");
    corridor_subjects::resolve_kinds(
        store,
        &corridor_subjects::builtin_kinds(),
        &corridor_subjects::Options::default(),
    )
    .expect("resolve");
}

/// Decides on its own connection what a user may read.
struct Oracle {
    store: Box<dyn Store>,
}

impl Oracle {
    fn may_read(&mut self, user: &str, key: &RecordKey) -> bool {
        let Some(v) = self
            .store
            .head(&key.originator, &key.record_id)
            .unwrap()
            .filter(|v| !v.tombstone)
        else {
            return false;
        };
        // A fresh policy view of the directory and grants (the server may have changed them).
        let policy = PolicyStore::open(self.store.as_mut()).unwrap();
        let meta = RecordMeta {
            originator: &v.envelope.originator,
            record_id: &v.record.id,
            schema: &v.record.schema,
            grading: &v.envelope.grading,
        };
        decide(
            policy.directory().principal(user),
            policy.directory().agency(&key.originator).is_some(),
            &meta,
            policy.grants(),
            now(),
        )
        .is_allow()
    }

    fn members(&mut self, subject: &str) -> Vec<RecordKey> {
        self.store
            .subject_members(subject)
            .unwrap()
            .into_iter()
            .map(|m| m.record)
            .collect()
    }

    /// Every live record's key and a few properties.
    fn live(&mut self) -> Vec<(RecordKey, String, Option<String>)> {
        let mut out = Vec::new();
        corridor_store::for_each_live(self.store.as_mut(), |v| -> corridor_store::Result<()> {
            out.push((
                RecordKey::new(&v.envelope.originator, &v.record.id),
                v.record.schema.clone(),
                corridor_policy::serve::caption(&v.record).into(),
            ));
            Ok(())
        })
        .unwrap();
        out
    }
}

struct Client {
    base: String,
    http: ureq::Agent,
}

impl Client {
    fn new(addr: std::net::SocketAddr) -> Client {
        let http: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Client {
            base: format!("http://{addr}"),
            http,
        }
    }

    fn finish(mut r: ureq::http::Response<ureq::Body>) -> (u16, Value) {
        let status = r.status().as_u16();
        let text = r.body_mut().read_to_string().unwrap_or_default();
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
        };
        (status, v)
    }

    fn get(&self, token: Option<&str>, path: &str) -> (u16, Value) {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        Self::finish(req.call().unwrap())
    }

    fn get_text(&self, path: &str) -> (u16, String) {
        let mut r = self
            .http
            .get(format!("{}{path}", self.base))
            .call()
            .unwrap();
        (
            r.status().as_u16(),
            r.body_mut().read_to_string().unwrap_or_default(),
        )
    }

    fn post(&self, token: Option<&str>, path: &str, body: &Value) -> (u16, Value) {
        let mut req = self.http.post(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        Self::finish(req.send_json(body).unwrap())
    }

    fn post_raw(&self, token: Option<&str>, path: &str, ctype: &str, body: &[u8]) -> (u16, Value) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Content-Type", ctype);
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        Self::finish(req.send(body).unwrap())
    }

    /// Posts a body larger than the server takes on a raw connection, reading the answer while
    /// the body is still being written (the server may answer and close before it has all of
    /// it, which a client that writes first would see as a broken pipe).
    fn post_oversize(&self, path: &str, body: Vec<u8>) -> (u16, Value) {
        use std::io::{Read, Write};
        let addr = self.base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let mut writer = stream.try_clone().unwrap();
        let w = std::thread::spawn(move || {
            let _ = writer.write_all(head.as_bytes());
            let _ = writer.write_all(&body);
        });
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        let _ = w.join();
        let text = String::from_utf8_lossy(&raw);
        let status: u16 = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let json = text.split_once("\r\n\r\n").map_or("", |x| x.1);
        (status, serde_json::from_str(json).unwrap_or(Value::Null))
    }

    fn delete(&self, token: Option<&str>, path: &str) -> (u16, Value) {
        let mut req = self.http.delete(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        Self::finish(req.call().unwrap())
    }

    fn login(&self, user: &str) -> String {
        let (s, v) = self.post(
            None,
            "/api/v1/login",
            &json!({"user": user, "password": PASSWORD}),
        );
        assert_eq!(s, 200, "login {user}: {v}");
        v["token"].as_str().unwrap().to_owned()
    }
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn assert_error(status: u16, v: &Value, want_status: u16, code: &str) {
    assert_eq!(status, want_status, "{v}");
    assert_eq!(v["error"]["code"], code, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{v}"
    );
}

/// Every record key an answer names as `{origin, id}`.
fn keys_in(v: &Value, out: &mut BTreeSet<RecordKey>) {
    match v {
        Value::Object(m) => {
            if let (Some(Value::String(o)), Some(Value::String(i))) = (m.get("origin"), m.get("id"))
            {
                out.insert(RecordKey::new(o, i));
            }
            m.values().for_each(|x| keys_in(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| keys_in(x, out)),
        _ => {}
    }
}

fn run(store: Box<dyn Store>, writer: Box<dyn Store>, oracle_store: Box<dyn Store>) {
    let mut policy = PolicyStore::open_owned(store).unwrap();
    assert!(corridor_server::demo::ensure_demo_directory(&mut policy, "test", now()).unwrap());
    let server = corridor_server::start(policy, writer, "127.0.0.1:0".parse().unwrap(), 2).unwrap();
    let c = Client::new(server.addr);
    let mut oracle = Oracle {
        store: oracle_store,
    };

    // ---- public routes ----
    let (s, v) = c.get(None, "/healthz");
    assert_eq!((s, v["status"].as_str()), (200, Some("ok")));
    let (s, doc) = c.get(None, "/openapi.json");
    assert_eq!(s, 200);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    for path in [
        "/api/v1/search",
        "/api/v1/subjects/{id}",
        "/api/v1/records/{origin}/{id}",
        "/api/v1/networks/{id}/graph",
        "/api/v1/requests/{id}/answer",
        "/api/v1/grants/{id}",
        "/api/v1/audit/verify",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the document"
        );
    }
    let (s, page) = c.get_text("/");
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("Corridor"));
    let (s, v) = c.get(None, "/assets/none.js");
    assert_error(s, &v, 404, "not_found");

    // ---- auth failures ----
    let (s, v) = c.get(None, "/api/v1/me");
    assert_error(s, &v, 401, "unauthenticated");
    let (s, v) = c.get(Some("ct_0000"), "/api/v1/me");
    assert_error(s, &v, 401, "unauthenticated");
    let (s, v) = c.get(
        Some(&format!("ct_{}", "a".repeat(64))),
        "/api/v1/search?q=x&justification=whatever12",
    );
    assert_error(s, &v, 401, "unauthenticated");
    let (s, v) = c.post(
        None,
        "/api/v1/login",
        &json!({"user": "rs.analyst", "password": "wrong password!"}),
    );
    assert_error(s, &v, 401, "unauthenticated");
    let (s, v) = c.post(
        None,
        "/api/v1/login",
        &json!({"user": "nobody", "password": PASSWORD}),
    );
    assert_error(s, &v, 401, "unauthenticated");

    let rs = c.login("rs.analyst");
    let uk = c.login("uk.analyst");
    let auditor = c.login("uk.auditor");
    let (s, me) = c.get(Some(&rs), "/api/v1/me");
    assert_eq!(s, 200);
    assert_eq!(me["agency"], "RS_BP");
    assert_eq!(me["roles"], json!(["analyst"]));

    // Wrong role: analysts do not read the audit log, auditors do not search.
    let (s, v) = c.get(Some(&rs), "/api/v1/audit");
    assert_error(s, &v, 403, "forbidden");
    let (s, v) = c.get(Some(&rs), "/api/v1/audit/verify");
    assert_error(s, &v, 403, "forbidden");
    let (s, v) = c.get(
        Some(&auditor),
        &format!("/api/v1/search?q=Ali&justification={}", enc(WHY)),
    );
    assert_error(s, &v, 403, "forbidden");

    // ---- malformed input, limits, unknown ids and routes ----
    let (s, v) = c.post_raw(None, "/api/v1/login", "application/json", b"{\"user\": ");
    assert_error(s, &v, 400, "bad_request");
    let (s, v) = c.post(None, "/api/v1/login", &json!({"user": 7, "password": []}));
    assert_error(s, &v, 400, "bad_request");
    let (s, v) = c.post_raw(None, "/api/v1/login", "text/plain", b"user=rs");
    assert_error(s, &v, 415, "unsupported_media_type");
    let big = format!(
        "{{\"user\":\"{}\",\"password\":\"x\"}}",
        "a".repeat(200 * 1024)
    );
    let (s, v) = c.post_oversize("/api/v1/login", big.into_bytes());
    assert_error(s, &v, 413, "payload_too_large");
    let (s, v) = c.get(Some(&rs), "/api/v1/search?q=Ali");
    assert_error(s, &v, 400, "bad_request");
    let (s, v) = c.get(Some(&rs), "/api/v1/search?q=Ali&justification=short");
    assert_error(s, &v, 400, "bad_request");
    let (s, v) = c.get(
        Some(&rs),
        &format!("/api/v1/search?q=Ali&field=shoe&justification={}", enc(WHY)),
    );
    assert_error(s, &v, 400, "bad_request");
    let (s, v) = c.get(
        Some(&rs),
        &format!("/api/v1/search?q=Ali&limit=lots&justification={}", enc(WHY)),
    );
    assert_error(s, &v, 400, "bad_request");
    let (s, v) = c.get(Some(&auditor), "/api/v1/audit?after=abc");
    assert_error(s, &v, 400, "bad_request");
    let (s, v) = c.get(
        Some(&rs),
        &format!("/api/v1/subjects/P-9999999?justification={}", enc(WHY)),
    );
    assert_error(s, &v, 404, "not_found");
    let (s, v) = c.get(
        Some(&rs),
        &format!(
            "/api/v1/records/RS_BP/no-such-record?justification={}",
            enc(WHY)
        ),
    );
    assert_error(s, &v, 404, "not_found");
    let (s, v) = c.get(
        Some(&rs),
        &format!(
            "/api/v1/networks/N-000000000000/graph?justification={}",
            enc(WHY)
        ),
    );
    assert_error(s, &v, 404, "not_found");
    let (s, v) = c.get(
        Some(&rs),
        &format!("/api/v1/subjects/P-9999999/ego?justification={}", enc(WHY)),
    );
    assert_error(s, &v, 404, "not_found");
    let (s, v) = c.get(
        Some(&rs),
        &format!("/api/v1/subjects/P-1/ego?hops=9&justification={}", enc(WHY)),
    );
    assert_error(s, &v, 400, "bad_request");
    let (s, v) = c.get(Some(&rs), "/api/v1/nothing-here");
    assert_error(s, &v, 404, "not_found");
    let (s, v) = c.delete(Some(&rs), "/api/v1/me");
    assert_error(s, &v, 405, "method_not_allowed");
    let (s, v) = c.post(
        Some(&rs),
        "/api/v1/requests",
        &json!({"hit_id": "H-nope", "justification": WHY}),
    );
    assert_error(s, &v, 404, "not_found");
    let (s, v) = c.post(Some(&rs), "/api/v1/requests", &json!({"hit_id": "H-nope"}));
    assert_error(s, &v, 400, "bad_request");
    let rs_sup = c.login("rs.supervisor");
    let (s, v) = c.post(
        Some(&rs_sup),
        "/api/v1/requests/R-nope/answer",
        &json!({"decision": "refuse", "reason": "no"}),
    );
    assert_error(s, &v, 404, "not_found");
    let (s, v) = c.post(
        Some(&rs_sup),
        "/api/v1/requests/R-nope/answer",
        &json!({"decision": "maybe"}),
    );
    assert_error(s, &v, 400, "bad_request");
    let (s, v) = c.delete(Some(&rs_sup), "/api/v1/grants/G-nope");
    assert_error(s, &v, 404, "not_found");

    // ---- search: readable subjects for RS, hit-only for the UK ----
    let live = oracle.live();
    let (target_key, target_name) = live
        .iter()
        .filter(|(k, schema, name)| {
            k.originator == "RS_BP"
                && schema == "Person"
                && name.as_ref().is_some_and(|n| n.contains(' '))
        })
        .map(|(k, _, n)| (k.clone(), n.clone().unwrap()))
        .find(|(k, _)| oracle.may_read("rs.analyst", k))
        .expect("a readable RS_BP person");
    assert!(!oracle.may_read("uk.analyst", &target_key));
    let q = format!(
        "/api/v1/search?q={}&field=name&justification={}",
        enc(&target_name),
        enc(WHY)
    );
    let (s, found) = c.get(Some(&rs), &q);
    assert_eq!(s, 200, "{found}");
    let mut named = BTreeSet::new();
    keys_in(&found["subjects"], &mut named);
    assert!(
        named.contains(&target_key),
        "{target_key} not found by its name: {found}"
    );
    for k in &named {
        assert!(
            oracle.may_read("rs.analyst", k),
            "search named {k}, which rs.analyst may not read"
        );
    }
    let (s, uk_found) = c.get(Some(&uk), &q);
    assert_eq!(s, 200, "{uk_found}");
    let mut uk_named = BTreeSet::new();
    keys_in(&uk_found["subjects"], &mut uk_named);
    for k in &uk_named {
        assert!(
            oracle.may_read("uk.analyst", k),
            "search named {k} to uk.analyst"
        );
    }
    let hits = uk_found["hits"].as_array().unwrap();
    let hit = hits
        .iter()
        .find(|h| h["agency"] == "RS_BP")
        .unwrap_or_else(|| panic!("no RS_BP hit for the UK: {uk_found}"));
    assert!(hit["count"].as_u64().unwrap() >= 1);
    // Hit-only answers carry no content: no name, no record id.
    let hits_text = uk_found["hits"].to_string();
    assert!(!hits_text.contains(&target_name), "{hits_text}");
    assert!(!hits_text.contains(&target_key.record_id), "{hits_text}");
    let (s, v) = c.get(
        Some(&uk),
        &format!(
            "/api/v1/records/RS_BP/{}?justification={}",
            enc(&target_key.record_id),
            enc(WHY)
        ),
    );
    assert_error(s, &v, 403, "hit_only");
    assert!(!v.to_string().contains(&target_name));

    // ---- records ----
    let (s, rec) = c.get(
        Some(&rs),
        &format!(
            "/api/v1/records/RS_BP/{}?justification={}",
            enc(&target_key.record_id),
            enc(WHY)
        ),
    );
    assert_eq!(s, 200, "{rec}");
    assert_eq!(rec["origin"], "RS_BP");
    assert_eq!(rec["schema"], "Person");
    assert!(rec["grading"]["code"].as_str().is_some());
    assert!(!rec["properties"].as_object().unwrap().is_empty());
    assert_eq!(rec["caption"], target_name.as_str());

    // ---- subjects: members only where readable, others counted or left out ----
    let subject_id = found["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["records"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["id"] == target_key.record_id.as_str())
        })
        .and_then(|s| s["subject_id"].as_str())
        .expect("the target's subject")
        .to_owned();
    let (s, subj) = c.get(
        Some(&rs),
        &format!("/api/v1/subjects/{subject_id}?justification={}", enc(WHY)),
    );
    assert_eq!(s, 200, "{subj}");
    let mut subj_keys = BTreeSet::new();
    keys_in(&subj, &mut subj_keys);
    for k in &subj_keys {
        assert!(oracle.may_read("rs.analyst", k), "subject page named {k}");
    }
    let members = oracle.members(&subject_id);
    let readable_members: HashSet<_> = members
        .iter()
        .filter(|k| oracle.may_read("rs.analyst", k))
        .cloned()
        .collect();
    assert_eq!(
        subj["records"].as_array().unwrap().len(),
        readable_members.len()
    );
    // A subject with a member rs.analyst may not read: the page never names it.
    let mut mixed = None;
    for (k, schema, _) in &live {
        if schema != "Person" || k.originator == "RS_BP" || oracle.may_read("rs.analyst", k) {
            continue;
        }
        let Some(m) = oracle.store.subject_of(k).unwrap() else {
            continue;
        };
        let members = oracle.members(&m.subject_id);
        if members.iter().any(|x| oracle.may_read("rs.analyst", x)) {
            mixed = Some((m.subject_id, k.clone()));
            break;
        }
    }
    eprintln!("a subject mixing readable and hidden members: {mixed:?}");
    if let Some((mixed_subject, hidden)) = mixed {
        let (s, v) = c.get(
            Some(&rs),
            &format!(
                "/api/v1/subjects/{mixed_subject}?justification={}",
                enc(WHY)
            ),
        );
        assert_eq!(s, 200, "{v}");
        assert!(
            !v.to_string().contains(&format!("\"{}\"", hidden.record_id)),
            "hidden member named: {v}"
        );
    }
    // The UK reads none of the RS subject: same answer as no subject.
    let (s, v) = c.get(
        Some(&uk),
        &format!("/api/v1/subjects/{subject_id}?justification={}", enc(WHY)),
    );
    assert_error(s, &v, 404, "not_found");

    // ---- judgements ----
    let other_rs = live
        .iter()
        .find(|(k, schema, _)| k.originator == "RS_BP" && schema == "Person" && *k != target_key)
        .map(|(k, _, _)| k.clone())
        .unwrap();
    let body = json!({"a": {"origin": "RS_BP", "id": target_key.record_id}, "b": {"origin": "RS_BP", "id": other_rs.record_id}, "verdict": "different", "reason": "different dates of birth"});
    let (s, v) = c.post(Some(&rs), "/api/v1/judgements", &body);
    assert_eq!(s, 201, "{v}");
    assert!(v["judgement_id"].as_i64().unwrap() > 0);
    let (s, v) = c.post(Some(&uk), "/api/v1/judgements", &body);
    assert_error(s, &v, 403, "forbidden");
    let (s, v) = c.post(Some(&rs), "/api/v1/judgements", &json!({"a": {"origin": "RS_BP", "id": "x"}, "b": {"origin": "RS_BP", "id": "y"}, "verdict": "perhaps", "reason": "r"}));
    assert_error(s, &v, 400, "bad_request");

    // ---- networks, charts, ego ----
    let (s, nets) = c.get(
        Some(&rs),
        &format!("/api/v1/networks?justification={}", enc(WHY)),
    );
    assert_eq!(s, 200, "{nets}");
    let nets = nets.as_array().unwrap().clone();
    assert!(!nets.is_empty(), "rs.analyst sees no network");
    let check_graph = |g: &Value, user: &str, oracle: &mut Oracle| {
        let nodes = g["nodes"].as_array().unwrap();
        let ids: HashSet<&str> = nodes.iter().map(|n| n["id"].as_str().unwrap()).collect();
        for n in nodes {
            let id = n["id"].as_str().unwrap();
            assert!(n["x"].as_f64().unwrap().abs() <= 1.0 && n["y"].as_f64().unwrap().abs() <= 1.0);
            if !id.starts_with("X-") {
                let m = oracle.members(id);
                assert!(
                    m.iter().any(|k| oracle.may_read(user, k)),
                    "graph node {id} has no member {user} may read"
                );
            }
        }
        for e in g["edges"].as_array().unwrap() {
            assert!(
                ids.contains(e["source"].as_str().unwrap())
                    && ids.contains(e["target"].as_str().unwrap())
            );
            assert!(e["weight"].as_u64().unwrap() >= 1);
        }
    };
    let net_id = nets[0]["network_id"].as_str().unwrap();
    let (s, g) = c.get(
        Some(&rs),
        &format!("/api/v1/networks/{net_id}/graph?justification={}", enc(WHY)),
    );
    assert_eq!(s, 200, "{g}");
    assert!(!g["nodes"].as_array().unwrap().is_empty());
    check_graph(&g, "rs.analyst", &mut oracle);
    let centre = g["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| !n["id"].as_str().unwrap().starts_with("X-"))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, ego) = c.get(
        Some(&rs),
        &format!(
            "/api/v1/subjects/{centre}/ego?hops=2&justification={}",
            enc(WHY)
        ),
    );
    assert_eq!(s, 200, "{ego}");
    assert!(
        ego["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == centre.as_str())
    );
    check_graph(&ego, "rs.analyst", &mut oracle);
    // The UK sees none of the route's networks (it reads none of their records).
    let (s, uk_nets) = c.get(
        Some(&uk),
        &format!("/api/v1/networks?justification={}", enc(WHY)),
    );
    assert_eq!(s, 200);
    for n in uk_nets.as_array().unwrap() {
        assert_ne!(n["network_id"], net_id, "the UK sees an RS network");
    }
    let (s, v) = c.get(
        Some(&uk),
        &format!("/api/v1/networks/{net_id}/graph?justification={}", enc(WHY)),
    );
    assert_error(s, &v, 404, "not_found");
    let (s, v) = c.get(
        Some(&uk),
        &format!("/api/v1/subjects/{centre}/ego?justification={}", enc(WHY)),
    );
    assert_error(s, &v, 404, "not_found");

    // ---- money alerts: only readable payments ----
    let alfiu = c.login("alfiu.analyst");
    for user_token in [
        (&rs, "rs.analyst"),
        (&uk, "uk.analyst"),
        (&alfiu, "alfiu.analyst"),
    ] {
        let (s, alerts) = c.get(
            Some(user_token.0),
            &format!("/api/v1/money/alerts?limit=200&justification={}", enc(WHY)),
        );
        assert_eq!(s, 200, "{alerts}");
        eprintln!(
            "{}: {} money alerts",
            user_token.1,
            alerts.as_array().unwrap().len()
        );
        for a in alerts.as_array().unwrap() {
            let txs = a["transactions"].as_array().unwrap();
            assert!(!txs.is_empty(), "an alert with no readable payment: {a}");
            for t in txs {
                let (o, r) = t.as_str().unwrap().split_once('/').unwrap();
                assert!(
                    oracle.may_read(user_token.1, &RecordKey::new(o, r)),
                    "alert names {t}"
                );
            }
        }
    }
    // ---- money flows: from an account in one of the FIU analyst's alerts ----
    let (s, alerts) = c.get(
        Some(&alfiu),
        &format!("/api/v1/money/alerts?limit=200&justification={}", enc(WHY)),
    );
    assert_eq!(s, 200);
    let start = alerts
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["subjects"].as_array().unwrap().iter())
        .filter_map(|v| v.as_str())
        .next()
        .map(str::to_owned);
    if let Some(start) = start {
        let (s, f) = c.get(
            Some(&alfiu),
            &format!(
                "/api/v1/money/flows/{start}?hops=3&justification={}",
                enc(WHY)
            ),
        );
        assert_eq!(s, 200, "{f}");
        let links = f["links"].as_array().unwrap();
        assert!(!links.is_empty(), "flows of {start}: {f}");
        assert!(
            links
                .iter()
                .all(|l| l["amount_minor"].as_i64().unwrap() > 0
                    && l["count"].as_u64().unwrap() >= 1)
        );
        assert!(
            links.iter().any(|l| l["source"] == start.as_str()),
            "the money leaves {start}: {f}"
        );
        // Serbia reads none of the FIU's payments of that account: not found, nothing named.
        let (s, v) = c.get(
            Some(&rs),
            &format!("/api/v1/money/flows/{start}?justification={}", enc(WHY)),
        );
        assert_error(s, &v, 404, "not_found");
        let (s, v) = c.get(
            Some(&alfiu),
            &format!(
                "/api/v1/money/flows/{start}?hops=9&justification={}",
                enc(WHY)
            ),
        );
        assert_error(s, &v, 400, "bad_request");
    } else {
        panic!("the FIU analyst's alerts name no account subject: {alerts}");
    }
    let (s, v) = c.get(
        Some(&alfiu),
        &format!("/api/v1/money/flows/P-9999999?justification={}", enc(WHY)),
    );
    assert_error(s, &v, 404, "not_found");
    let (s, v) = c.get(
        Some(&rs),
        &format!(
            "/api/v1/money/alerts?typology=PONZI&justification={}",
            enc(WHY)
        ),
    );
    assert_error(s, &v, 400, "bad_request");

    // ---- map: places and legs from readable crossings and interceptions ----
    let (s, m) = c.get(
        Some(&rs),
        &format!("/api/v1/map?justification={}", enc(WHY)),
    );
    assert_eq!(s, 200, "{m}");
    let places = m["places"].as_array().unwrap();
    assert!(!places.is_empty(), "no place on rs.analyst's map: {m}");
    assert!(
        places
            .iter()
            .all(|p| p["lat"].is_f64() && p["count"].as_u64().unwrap() >= 1)
    );
    let (s, mn) = c.get(
        Some(&rs),
        &format!("/api/v1/map?network={net_id}&justification={}", enc(WHY)),
    );
    assert_eq!(s, 200, "{mn}");
    let total = |v: &Value| {
        v["places"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["count"].as_u64().unwrap())
            .sum::<u64>()
    };
    assert!(total(&mn) <= total(&m));
    let (s, v) = c.get(
        Some(&uk),
        &format!("/api/v1/map?network={net_id}&justification={}", enc(WHY)),
    );
    assert_error(s, &v, 404, "not_found");
    let (s, um) = c.get(
        Some(&uk),
        &format!("/api/v1/map?justification={}", enc(WHY)),
    );
    assert_eq!(s, 200);
    // The UK reads UK Border Force's arrivals under their standing agreement, and none of the
    // route's police records (graded H2: by request only), so Dover is its only place.
    let uk_places: Vec<&str> = um["places"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        uk_places.iter().all(|&n| n == "Dover"),
        "the UK reads no Balkan crossing or interception: {um}"
    );

    // ---- notices: the UK's search for its operation met RS records ----
    let (s, uk_notices) = c.get(Some(&uk), "/api/v1/notices");
    assert_eq!(s, 200, "{uk_notices}");
    let n = uk_notices
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["holding_agency"] == "RS_BP")
        .expect("a notice for the UK");
    assert_eq!(
        n["record_ids"],
        json!([]),
        "the searcher learns no record ids"
    );
    let (s, rs_notices) = c.get(Some(&rs), "/api/v1/notices");
    assert_eq!(s, 200);
    assert!(
        rs_notices
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["searching_agency"] == "UK_NCA")
    );
    let (s, v) = c.get(Some(&auditor), "/api/v1/notices");
    assert_error(s, &v, 403, "forbidden");

    // ---- requests and answers ----
    let hit_id = hit["hit_id"].as_str().unwrap();
    let (s, req) = c.post(
        Some(&uk),
        "/api/v1/requests",
        &json!({"hit_id": hit_id, "justification": WHY}),
    );
    assert_eq!(s, 201, "{req}");
    assert_eq!(req["status"], "pending");
    assert_eq!(
        req["records"],
        json!([]),
        "the requester learns no record ids"
    );
    let req_id = req["id"].as_str().unwrap().to_owned();
    let (s, v) = c.post(
        Some(&rs),
        "/api/v1/requests",
        &json!({"hit_id": hit_id, "justification": WHY}),
    );
    assert_error(s, &v, 403, "forbidden");
    let (s, list) = c.get(Some(&uk), "/api/v1/requests");
    assert_eq!(s, 200);
    assert!(
        list["outgoing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == req_id.as_str())
    );
    let (s, list) = c.get(Some(&rs_sup), "/api/v1/requests");
    assert_eq!(s, 200);
    let incoming = list["incoming"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == req_id.as_str())
        .expect("incoming request");
    assert!(!incoming["records"].as_array().unwrap().is_empty());
    // Only a supervisor of the originator answers.
    let (s, v) = c.post(
        Some(&rs),
        &format!("/api/v1/requests/{req_id}/answer"),
        &json!({"decision": "approve"}),
    );
    assert_error(s, &v, 403, "forbidden");
    let (s, v) = c.post(
        Some(&rs_sup),
        &format!("/api/v1/requests/{req_id}/answer"),
        &json!({"decision": "partial"}),
    );
    assert_error(s, &v, 400, "bad_request");
    let (s, v) = c.post(
        Some(&rs_sup),
        &format!("/api/v1/requests/{req_id}/answer"),
        &json!({"decision": "partial", "records": ["not-in-the-request"]}),
    );
    assert_error(s, &v, 403, "forbidden");
    let (s, ans) = c.post(Some(&rs_sup), &format!("/api/v1/requests/{req_id}/answer"), &json!({"decision": "approve", "conditions": ["No onward disclosure"], "reason": "joint operation"}));
    assert_eq!(s, 200, "{ans}");
    assert_eq!(ans["status"], "approved");
    let (s, v) = c.post(
        Some(&rs_sup),
        &format!("/api/v1/requests/{req_id}/answer"),
        &json!({"decision": "refuse", "reason": "late"}),
    );
    assert_error(s, &v, 409, "conflict");
    // Now the UK reads what was approved, with the conditions.
    let (s, after) = c.get(Some(&uk), &q);
    assert_eq!(s, 200);
    let mut now_named = BTreeSet::new();
    keys_in(&after["subjects"], &mut now_named);
    assert!(!now_named.is_empty(), "approval disclosed nothing: {after}");
    for k in &now_named {
        assert!(oracle.may_read("uk.analyst", k), "{k}");
    }
    let k = now_named.iter().next().unwrap();
    let (s, rec) = c.get(
        Some(&uk),
        &format!(
            "/api/v1/records/{}/{}?justification={}",
            k.originator,
            enc(&k.record_id),
            enc(WHY)
        ),
    );
    assert_eq!(s, 200, "{rec}");
    assert!(
        rec["conditions"]
            .to_string()
            .contains("No onward disclosure"),
        "{rec}"
    );

    // ---- grants ----
    let (s, v) = c.get(Some(&rs_sup), "/api/v1/grants");
    assert_eq!(s, 200);
    let before = v.as_array().unwrap().len();
    assert!(before > 0);
    let new = json!({"recipient": "UK_BF", "scope": {"kind": "discovery", "schemata": ["Person"]}, "conditions": "", "expires_at": now() + 3600});
    let (s, g) = c.post(Some(&rs_sup), "/api/v1/grants", &new);
    assert_eq!(s, 201, "{g}");
    let gid = g["id"].as_str().unwrap().to_owned();
    assert_eq!(g["grantor"], "RS_BP");
    let (s, v) = c.post(Some(&rs), "/api/v1/grants", &new);
    assert_error(s, &v, 403, "forbidden");
    let (s, v) = c.post(
        Some(&rs_sup),
        "/api/v1/grants",
        &json!({"recipient": "UK_BF", "scope": {"kind": "everything"}, "expires_at": 1}),
    );
    assert_error(s, &v, 400, "bad_request");
    let (s, v) = c.get(Some(&rs_sup), "/api/v1/grants");
    assert_eq!((s, v.as_array().unwrap().len()), (200, before + 1));
    let (s, v) = c.delete(Some(&rs), &format!("/api/v1/grants/{gid}"));
    assert_error(s, &v, 403, "forbidden");
    let (s, _) = c.delete(Some(&rs_sup), &format!("/api/v1/grants/{gid}"));
    assert_eq!(s, 204);

    // ---- audit (auditors only) ----
    let (s, log) = c.get(Some(&auditor), "/api/v1/audit?after=0&limit=5000");
    assert_eq!(s, 200, "{log}");
    let log = log.as_array().unwrap();
    assert!(!log.is_empty() && log.len() <= corridor_policy::serve::AUDIT_PAGE_MAX);
    assert!(log.iter().any(|e| e["action"] == "search"));
    let (s, v) = c.get(Some(&auditor), "/api/v1/audit/verify");
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["intact"], true, "{v}");

    // ---- logout ----
    let (s, _) = c.post(Some(&rs), "/api/v1/logout", &json!({}));
    assert_eq!(s, 204);
    let (s, v) = c.get(Some(&rs), "/api/v1/me");
    assert_error(s, &v, 401, "unauthenticated");

    server.stop();
}

#[test]
fn api_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api.db");
    let locator = path.display().to_string();
    {
        let mut store = corridor_store::open(&locator).unwrap();
        fill(dir.path(), store.as_mut());
    }
    let store = corridor_store::open(&locator).unwrap();
    let writer = corridor_store::open(&locator).unwrap();
    let oracle = corridor_store::open(&locator).unwrap();
    run(store, writer, oracle);
}

#[test]
fn api_on_postgres() {
    let url = match std::env::var("CORRIDOR_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => url,
        _ if std::env::var("CORRIDOR_TEST_PG").as_deref() == Ok("skip") => {
            eprintln!("skipped: CORRIDOR_TEST_PG=skip");
            return;
        }
        _ => panic!("CORRIDOR_TEST_PG_URL is not set (or set CORRIDOR_TEST_PG=skip)"),
    };
    let dir = tempfile::tempdir().unwrap();
    let schema = format!("server_api_{}", std::process::id());
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .unwrap();
    let mut pg = corridor_store::PgStore::open_in_schema(&url, &schema).unwrap();
    fill(dir.path(), &mut pg);
    let writer = corridor_store::PgStore::open_in_schema(&url, &schema).unwrap();
    let oracle = corridor_store::PgStore::open_in_schema(&url, &schema).unwrap();
    run(Box::new(pg), Box::new(writer), Box::new(oracle));
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .unwrap();
}
