//! The demo's users and agreements, as the workspace relies on them: the UK analyst logs in,
//! reads the partners' records under standing agreements, gets only a hit for Serbian border
//! police records, asks, and reads them once Serbia approves with a condition.

use std::process::Command;

use corridor_policy::{Access, Answer, Context, PolicyStore, Query};
use corridor_store::RecordKey;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs() as i64
}

#[test]
fn the_demo_users_share_as_agreed_and_a_request_discloses_with_its_condition() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let out = Command::new(env!("CARGO_BIN_EXE_corridor"))
        .args(["demo", "--no-serve", "--store", db.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut store = corridor_store::open(db.to_str().unwrap()).unwrap();
    let mut policy = PolicyStore::open(store.as_mut()).unwrap();
    let t = now();
    assert!(
        policy
            .login("test", "uk.analyst", "corridor-demo", 3_600, t)
            .is_ok(),
        "the printed demo password logs in"
    );
    assert!(
        policy
            .login("test", "uk.analyst", "wrong password", 3_600, t)
            .is_err()
    );
    let uk = Context {
        user: "uk.analyst".into(),
        origin: "test".into(),
        now: t + 1,
    };
    // A Serbian record in Cyrillic, of a person also recorded by North Macedonia.
    let query = Query {
        name: Some("Мохаммад Ахмади".into()),
        ..Query::default()
    };
    let answer = policy.search(&uk, &query, "Operation Kestrel").unwrap();
    assert!(
        answer.readable.iter().all(|(k, _)| k.originator != "RS_BP"),
        "Serbia's records are not readable by the UK without a request"
    );
    assert!(
        !answer.readable.is_empty(),
        "partners' records under standing agreements are readable"
    );
    let hit = answer
        .hits
        .iter()
        .find(|h| h.agency == "RS_BP")
        .expect("a hit held by the Serbian border police");
    let request = policy
        .request(&uk, &hit.hit_ref, "Operation Kestrel: crossing from Serbia")
        .unwrap();

    let rs = Context {
        user: "rs.supervisor".into(),
        origin: "test".into(),
        now: t + 2,
    };
    let incoming = policy.requests(&rs).unwrap();
    assert!(incoming.iter().any(|r| r.id == request.id));
    let condition = "Intelligence only: not for evidential use";
    policy
        .answer(
            &rs,
            &request.id,
            Answer::Approve {
                conditions: condition.into(),
                expires_at: t + 86_400,
            },
        )
        .unwrap();

    let uk = Context { now: t + 3, ..uk };
    let again = policy.search(&uk, &query, "Operation Kestrel").unwrap();
    let serbian: Vec<&RecordKey> = again
        .readable
        .iter()
        .map(|(k, _)| k)
        .filter(|k| k.originator == "RS_BP")
        .collect();
    assert!(!serbian.is_empty(), "the approved records are readable now");
    match policy.read(&uk, serbian[0], "Operation Kestrel").unwrap() {
        Access::Disclosed(d) => assert!(
            d.conditions().iter().any(|c| c == condition),
            "the condition travels with the record: {:?}",
            d.conditions()
        ),
        other => panic!("expected a disclosure, got {other:?}"),
    }
}
