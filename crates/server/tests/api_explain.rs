//! Per-field weights in subject explanations, on a real server on loopback over the resolved
//! demo scenario, on SQLite and PostgreSQL: each link a viewer may read both ends of explains
//! its comparisons (name, level, m, u, weight), which with the prior add up to the link's
//! weight; no explanation names a record the viewer may not read.

use std::collections::BTreeMap;

use corridor_policy::{PolicyStore, RecordMeta, decide};
use corridor_store::{RecordKey, Store, SubjectMember};

mod common;

use common::{Client, enc, now};

const WHY: &str = "Operation Kestrel: who is who";

fn may_read(store: &mut dyn Store, user: &str, key: &RecordKey) -> bool {
    let Some(v) = store
        .head(&key.originator, &key.record_id)
        .unwrap()
        .filter(|v| !v.tombstone)
    else {
        return false;
    };
    let policy = PolicyStore::open(store).unwrap();
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

fn run(store: Box<dyn Store>, writer: Box<dyn Store>, mut oracle: Box<dyn Store>) {
    // Person subjects with scored links, by subject.
    let mut subjects: BTreeMap<String, Vec<SubjectMember>> = BTreeMap::new();
    corridor_store::for_each_member(oracle.as_mut(), "person", |m| {
        subjects.entry(m.subject_id.clone()).or_default().push(m);
        Ok::<_, corridor_store::StoreError>(())
    })
    .unwrap();
    subjects.retain(|_, ms| ms.iter().any(|m| m.via.is_some()));
    assert!(!subjects.is_empty(), "the demo resolves persons with links");
    let mut policy = PolicyStore::open_owned(store).unwrap();
    assert!(corridor_server::demo::ensure_demo_directory(&mut policy, "test", now()).unwrap());
    let server = corridor_server::start(policy, writer, "127.0.0.1:0".parse().unwrap(), 2).unwrap();
    let c = Client::new(server.addr);
    let why = enc(WHY);
    let mut links_explained = 0usize;
    for user in ["uk.analyst", "rs.analyst"] {
        let token = c.login(user);
        for (id, members) in subjects.iter().take(40) {
            let (s, v) = c.get(
                Some(&token),
                &format!("/api/v1/subjects/{id}?justification={why}"),
            );
            if s == 404 {
                continue;
            }
            assert_eq!(s, 200, "{v}");
            let links = v["explanation"].as_array().unwrap();
            for x in links {
                let a = RecordKey::new(
                    x["a"]["origin"].as_str().unwrap(),
                    x["a"]["id"].as_str().unwrap(),
                );
                let b = RecordKey::new(
                    x["b"]["origin"].as_str().unwrap(),
                    x["b"]["id"].as_str().unwrap(),
                );
                assert!(
                    may_read(oracle.as_mut(), user, &a) && may_read(oracle.as_mut(), user, &b),
                    "{user} is shown a link to a record it may not read: {x}"
                );
                let fields = x["fields"].as_array().unwrap();
                assert!(!fields.is_empty(), "a scored link explains its fields: {x}");
                let prior = x["prior_weight"].as_f64().unwrap();
                let total: f64 = prior
                    + fields
                        .iter()
                        .map(|f| f["weight"].as_f64().unwrap())
                        .sum::<f64>();
                let explained = x["explained_weight"].as_f64().unwrap();
                assert!((total - explained).abs() < 1e-9, "parts add up: {x}");
                // Nothing was added since the resolution: today's weight is the stored one.
                let stored = x["weight"].as_f64().unwrap();
                assert!(
                    (explained - stored).abs() < 1e-6,
                    "{explained} vs {stored}: {x}"
                );
                for f in fields {
                    assert!(!f["field"].as_str().unwrap().is_empty(), "{f}");
                    assert!(!f["level"].as_str().unwrap().is_empty(), "{f}");
                    let (m, u) = (f["m"].as_f64().unwrap(), f["u"].as_f64().unwrap());
                    assert!(m > 0.0 && m <= 1.0 && u > 0.0, "{f}");
                    // Values never travel with the parts.
                    assert!(
                        f.get("value_l").is_none() && f.get("value_r").is_none(),
                        "{f}"
                    );
                }
                links_explained += 1;
            }
            // Every stored link between two readable members is explained.
            let readable: Vec<bool> = members
                .iter()
                .map(|m| may_read(oracle.as_mut(), user, &m.record))
                .collect();
            let expected = members
                .iter()
                .zip(&readable)
                .filter(|(m, r)| {
                    **r && m.via.as_ref().is_some_and(|(via, _)| {
                        members
                            .iter()
                            .zip(&readable)
                            .any(|(o, ro)| *ro && &o.record == via)
                    })
                })
                .count();
            assert_eq!(links.len(), expected, "{user} {id}: {v}");
        }
    }
    assert!(links_explained > 0, "no link was explained");
    server.stop();
}

#[test]
fn explain_api_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let locator = dir.path().join("explain.db").display().to_string();
    {
        let mut store = corridor_store::open(&locator).unwrap();
        common::fill_demo(dir.path(), store.as_mut());
    }
    let store = corridor_store::open(&locator).unwrap();
    let writer = corridor_store::open(&locator).unwrap();
    let oracle = corridor_store::open(&locator).unwrap();
    run(store, writer, oracle);
}

#[test]
fn explain_api_on_postgres() {
    let Some(url) = common::pg_url() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let schema = format!("server_explain_{}", std::process::id());
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .unwrap();
    let mut pg = corridor_store::PgStore::open_in_schema(&url, &schema).unwrap();
    common::fill_demo(dir.path(), &mut pg);
    let writer = corridor_store::PgStore::open_in_schema(&url, &schema).unwrap();
    let oracle = corridor_store::PgStore::open_in_schema(&url, &schema).unwrap();
    run(Box::new(pg), Box::new(writer), Box::new(oracle));
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .unwrap();
}
