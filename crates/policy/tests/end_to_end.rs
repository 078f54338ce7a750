//! The whole sharing path: a UK analyst searches a name in Cyrillic, gets a hit-only answer
//! from a Serbian record, asks for it, Serbia approves with a condition, and the analyst reads
//! the record with the condition attached; the audit log shows every step and verifies.

mod common;

use common::*;
use corridor_policy::{
    Access, Answer, Band, NewGrant, PolicyStore, Query, RequestStatus, Scope, audit,
};
use corridor_store::{RecordKey, Store};
use ed25519_dalek::SigningKey;

const SIGNING_SEED: [u8; 32] = [7; 32];

fn run(store: &mut dyn Store) {
    append(
        store,
        vec![
            person(
                "RS_BP",
                "rs-2291",
                &[("name", "Mohammed Ahmadi"), ("birthDate", "1991-03-04")],
                eu("H2"),
            ),
            person("RS_BP", "rs-2292", &[("name", "Jovan Petrović")], eu("H0")),
            person("MK_MVR", "mk-11", &[("name", "Muhamed Ahmadi")], eu("H0")),
        ],
    );
    let key = SigningKey::from_bytes(&SIGNING_SEED);
    let mut policy = PolicyStore::open(store).unwrap().with_signer(key.clone());
    enrol(&mut policy);

    // Serbia lets UK searches discover its persons; North Macedonia does not.
    policy
        .grant(
            &ctx("rs_bp.supervisor"),
            &[],
            NewGrant {
                recipient: "UK_NCA".into(),
                named_users: vec![],
                scope: Scope::Discovery {
                    schemata: vec!["Person".into()],
                },
                conditions: String::new(),
                expires_at: NOW + 365 * DAY,
            },
        )
        .unwrap();

    let uk = ctx("uk_nca.analyst");
    let query = Query {
        name: Some("Мухамед Ахмади".into()),
        ..Query::default()
    };
    // A search without a reason is refused and leaves no trace of results.
    assert!(policy.search(&uk, &query, "").is_err());
    let answer = policy
        .search(
            &uk,
            &query,
            "Operation Kestrel: arrivals at Dover, 2026-11-20",
        )
        .unwrap();
    assert!(answer.readable.is_empty());
    assert_eq!(answer.hits.len(), 1, "{answer:?}");
    let hit = &answer.hits[0];
    assert_eq!(hit.agency, "RS_BP");
    assert_eq!(hit.records, 1);
    assert!(hit.band >= Band::Probable, "{hit:?}");
    assert_eq!(hit.gradings, ["4x4 B/2/H2"]);
    assert_eq!(hit.contact, "desk@rs.example");
    // The answer carries nothing of the record itself.
    let text = serde_json::to_string(&answer).unwrap();
    for secret in ["rs-2291", "Mohammed", "1991", "mk-11", "MK_MVR"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    // Reading directly gives the hit-only answer, not the record.
    let target = RecordKey::new("RS_BP", "rs-2291");
    assert!(matches!(
        policy
            .read(&uk, &target, "Operation Kestrel follow-up")
            .unwrap(),
        Access::HitOnly { .. }
    ));

    let request = policy
        .request(
            &uk,
            &hit.hit_ref,
            "Suspected organiser of the Dover crossing on 2026-11-20",
        )
        .unwrap();
    // Only Serbia answers: not the requester, not a third agency.
    for who in ["uk_nca.supervisor", "mk_mvr.supervisor", "rs_bp.analyst"] {
        assert!(
            policy
                .answer(
                    &ctx(who),
                    &request.id,
                    Answer::Approve {
                        conditions: "x".into(),
                        expires_at: NOW + DAY
                    }
                )
                .is_err(),
            "{who} answered"
        );
    }
    let serbia = ctx_at("rs_bp.supervisor", NOW + 3600);
    let pending = policy.requests(&serbia).unwrap();
    assert_eq!(pending.len(), 1);
    let answered = policy
        .answer(
            &serbia,
            &request.id,
            Answer::Approve {
                conditions: "Intelligence only; not for court without RS_BP consent".into(),
                expires_at: NOW + 30 * DAY,
            },
        )
        .unwrap();
    assert!(matches!(answered.status, RequestStatus::Approved { .. }));

    let later = ctx_at("uk_nca.analyst", NOW + 7200);
    let Access::Disclosed(d) = policy
        .read(&later, &target, "Operation Kestrel: approved request")
        .unwrap()
    else {
        panic!("the approved record must be disclosed");
    };
    assert_eq!(d.record().properties["name"], ["Mohammed Ahmadi"]);
    assert!(
        d.conditions()
            .iter()
            .any(|c| c == "Intelligence only; not for court without RS_BP consent"),
        "{:?}",
        d.conditions()
    );
    assert!(d.conditions().iter().any(|c| c.starts_with("H2")));
    // The grant names the requester: a colleague still gets the hit only.
    assert!(matches!(
        policy
            .read(
                &ctx_at("uk_nca.supervisor", NOW + 7200),
                &target,
                "Kestrel review"
            )
            .unwrap(),
        Access::HitOnly { .. }
    ));
    // The UK cannot pass the record on to North Macedonia: the third-party rule.
    assert!(
        policy
            .grant(
                &ctx_at("uk_nca.supervisor", NOW + 7200),
                std::slice::from_ref(&target),
                NewGrant {
                    recipient: "MK_MVR".into(),
                    named_users: vec![],
                    scope: Scope::Record {
                        record_id: "rs-2291".into()
                    },
                    conditions: String::new(),
                    expires_at: NOW + DAY * 2,
                },
            )
            .is_err()
    );

    // Deconfliction: the UK analyst searched for operation Kestrel and met Serbian records;
    // Serbia learns who searched and which of its records, the UK only whom to call.
    let rs_notices = policy.notices(&ctx("rs_bp.analyst")).unwrap();
    assert_eq!(rs_notices.len(), 1);
    assert_eq!(rs_notices[0].searching_agency, "UK_NCA");
    assert_eq!(rs_notices[0].operations, ["kestrel"]);
    assert_eq!(rs_notices[0].record_ids, ["rs-2291"]);
    let uk_notices = policy.notices(&uk).unwrap();
    assert_eq!(uk_notices.len(), 1);
    assert!(uk_notices[0].record_ids.is_empty());
    assert!(policy.notices(&ctx("mk_mvr.analyst")).unwrap().is_empty());

    let report = policy.verify_audit(Some(&key.verifying_key())).unwrap();
    assert_eq!(report.broken, None, "{report:?}");
    assert!(report.checkpoints >= 2, "{report:?}");
    drop(policy);
    let rows = store.audit_entries(0, 1000).unwrap();
    let steps: Vec<&str> = rows
        .iter()
        .filter(|r| r.actor != "system")
        .map(|r| r.action.as_str())
        .collect();
    assert_eq!(
        steps,
        [
            "grant",
            "search",
            "consultation",
            "request",
            "answer",
            "disclosure",
            "consultation"
        ]
    );
    let disclosure = rows.iter().find(|r| r.action == "disclosure").unwrap();
    assert_eq!(disclosure.actor, "uk_nca.analyst");
    assert_eq!(disclosure.origin, "10.0.0.7");
    assert!(disclosure.detail.contains("UK_NCA"));
    assert!(
        disclosure
            .detail
            .contains("not for court without RS_BP consent")
    );
    let search = rows.iter().find(|r| r.action == "search").unwrap();
    assert!(search.justification.contains("Kestrel"));
    assert_eq!(
        audit::verify(store, Some(&key.verifying_key()))
            .unwrap()
            .broken,
        None
    );
}

#[test]
fn hit_request_approval_disclosure_on_sqlite() {
    run(&mut sqlite_memory());
}

#[test]
fn hit_request_approval_disclosure_on_postgres() {
    let Some(f) = PgFixture::new() else { return };
    run(&mut f.open());
}
