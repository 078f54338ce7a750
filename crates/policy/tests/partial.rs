//! A partial answer: the originator discloses some of a hit's records and not the others.

mod common;

use common::*;
use corridor_policy::{Access, Answer, NewGrant, PolicyStore, Query, RequestStatus, Scope};
use corridor_store::{RecordKey, Store};

fn run(store: &mut dyn Store) {
    append(
        store,
        vec![
            person("RS_BP", "rs-1", &[("name", "Mohammed Ahmadi")], eu("H2")),
            person(
                "RS_BP",
                "rs-2",
                &[("name", "Mohammed Ahmadi"), ("birthDate", "1990-01-01")],
                eu("H2"),
            ),
        ],
    );
    // Both records resolved into one subject.
    store
        .write_subjects(
            &corridor_store::ResolutionInfo {
                kind: "person".into(),
                log_position: 2,
                judgement_id: 0,
                method: "probabilistic".into(),
                model: "{}".into(),
                records: 2,
                subjects: 1,
                next_subject: 2,
                resolved_at: "2026-11-27T12:00:00Z".into(),
            },
            None,
            corridor_store::SubjectWrite::Replace,
            &["rs-1", "rs-2"].map(|r| corridor_store::SubjectMember {
                record: RecordKey::new("RS_BP", r),
                kind: "person".into(),
                subject_id: "P-0000001".into(),
                via: None,
            }),
            &[],
        )
        .unwrap();
    let mut policy = PolicyStore::open(store).unwrap();
    enrol(&mut policy);
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
                expires_at: NOW + DAY,
            },
        )
        .unwrap();
    let uk = ctx("uk_nca.analyst");
    let why = "Operation Kestrel: arrivals at Dover";
    let answer = policy
        .search(
            &uk,
            &Query {
                name: Some("Mohammed Ahmadi".into()),
                ..Query::default()
            },
            why,
        )
        .unwrap();
    assert_eq!(answer.hits.len(), 1);
    assert_eq!(answer.hits[0].records, 2);
    let request = policy
        .request(&uk, &answer.hits[0].hit_ref, "Suspected organiser at Dover")
        .unwrap();
    let rs = ctx("rs_bp.supervisor");
    let partial = |ids: &[&str]| Answer::Partial {
        record_ids: ids.iter().map(|s| (*s).to_owned()).collect(),
        conditions: "Intelligence only".into(),
        expires_at: NOW + DAY,
    };
    // Only records of the request, and at least one.
    assert!(policy.answer(&rs, &request.id, partial(&[])).is_err());
    assert!(policy.answer(&rs, &request.id, partial(&["rs-9"])).is_err());
    let answered = policy.answer(&rs, &request.id, partial(&["rs-2"])).unwrap();
    let RequestStatus::Approved { grant_ids } = &answered.status else {
        panic!("{answered:?}");
    };
    assert_eq!(grant_ids.len(), 1);
    let later = ctx_at("uk_nca.analyst", NOW + 60);
    let Access::Disclosed(d) = policy
        .read(&later, &RecordKey::new("RS_BP", "rs-2"), why)
        .unwrap()
    else {
        panic!("rs-2 was approved");
    };
    assert!(d.conditions().iter().any(|c| c == "Intelligence only"));
    assert!(matches!(
        policy
            .read(&later, &RecordKey::new("RS_BP", "rs-1"), why)
            .unwrap(),
        Access::HitOnly { .. }
    ));
    // The readable record's subject is shown by its opaque id.
    assert_eq!(
        policy
            .subject_ids(&[
                RecordKey::new("RS_BP", "rs-2"),
                RecordKey::new("RS_BP", "rs-9")
            ])
            .unwrap(),
        [Some("P-0000001".to_owned()), None]
    );
    // Answered once only.
    assert!(policy.answer(&rs, &request.id, partial(&["rs-1"])).is_err());
    drop(policy);
    let rows = store.audit_entries(0, 1000).unwrap();
    assert!(
        rows.iter()
            .any(|r| r.action == "answer" && r.detail.contains("partially approved"))
    );
}

#[test]
fn partial_approval_on_sqlite() {
    run(&mut sqlite_memory());
}

#[test]
fn partial_approval_on_postgres() {
    let Some(f) = PgFixture::new() else { return };
    run(&mut f.open());
}
