//! Deconfliction over resolved subjects: operations of two agencies that work one person, or
//! persons sharing a phone, are told of each other — whom to call, never what the other holds —
//! as far as each side's discovery setting allows.

mod common;

use std::collections::BTreeMap;

use common::*;
use corridor_model::{Envelope, Record};
use corridor_policy::{
    NewGrant, NewOperation, Notice, NoticeCause, PolicyError, PolicyStore, Scope,
};
use corridor_store::{
    Entry, NewVersion, Provenance, RecordKey, ResolutionInfo, Store, SubjectMember, SubjectWrite,
};

const RS_CONTACT: &str = "DI Jovanovic, +381 11 000 0001";
const UK_CONTACT: &str = "DS Harper, ops desk 4";

fn record(originator: &str, id: &str, schema: &str, props: &[(&str, &str)]) -> Entry {
    let mut properties: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in props {
        properties
            .entry((*k).to_owned())
            .or_default()
            .push((*v).to_owned());
    }
    Entry::Version(NewVersion::new(
        Record {
            id: id.into(),
            schema: schema.into(),
            properties,
        },
        Envelope {
            originator: originator.into(),
            contributor: "unit 7".into(),
            submitted_at: "2026-11-01".into(),
            source_ref: format!("case/{id}"),
            review_by: "2027-11-01".into(),
            grading: eu("H1"),
        },
        Provenance::default(),
    ))
}

/// Stores the subjects of `kind`: (subject id, members).
fn subjects(store: &mut dyn Store, kind: &str, groups: &[(&str, &[(&str, &str)])]) {
    let members: Vec<SubjectMember> = groups
        .iter()
        .flat_map(|(subject, keys)| {
            keys.iter().map(move |(o, r)| SubjectMember {
                record: RecordKey::new(*o, *r),
                kind: kind.into(),
                subject_id: (*subject).into(),
                via: None,
            })
        })
        .collect();
    let info = ResolutionInfo {
        kind: kind.into(),
        log_position: store.log_position().expect("position"),
        judgement_id: 0,
        method: "key".into(),
        model: String::new(),
        records: members.len() as u64,
        subjects: groups.len() as u64,
        next_subject: groups.len() as u64 + 1,
        resolved_at: "2026-11-27T12:00:00Z".into(),
    };
    store
        .write_subjects(&info, None, SubjectWrite::Replace, &members, &[])
        .expect("write subjects");
}

fn discovery(policy: &mut PolicyStore<'_>, from: &str, to: &str) {
    policy
        .grant(
            &ctx(from),
            &[],
            NewGrant {
                recipient: to.into(),
                named_users: vec![],
                scope: Scope::Discovery {
                    schemata: vec!["Person".into()],
                },
                conditions: String::new(),
                expires_at: NOW + 30 * DAY,
            },
        )
        .expect("discovery grant");
}

fn operation(policy: &mut PolicyStore<'_>, sup: &str, id: &str, owner: &str, contact: &str) {
    policy
        .register_operation(
            &ctx(sup),
            NewOperation {
                id: id.into(),
                name: format!("Operation {id}"),
                owner: owner.into(),
                contact: contact.into(),
            },
        )
        .expect("register operation");
}

fn target(policy: &mut PolicyStore<'_>, user: &str, id: &str, records: &[&str]) {
    let add: Vec<String> = records.iter().map(|r| (*r).to_owned()).collect();
    policy
        .operation_targets(&ctx(user), id, &add, &[])
        .expect("targets");
}

fn deconfliction_notices(policy: &mut PolicyStore<'_>, user: &str) -> Vec<Notice> {
    policy
        .notices(&ctx(user))
        .expect("notices")
        .into_iter()
        .filter(|n| n.cause == NoticeCause::Deconfliction)
        .collect()
}

/// RS_BP's and UK_NCA's records of one person, and each agency's operation on its own record.
fn two_operations_on_one_person(store: &mut dyn Store) {
    append(
        store,
        vec![
            record("RS_BP", "rs-71", "Person", &[("name", "Arben Krasniqi")]),
            record("UK_NCA", "uk-9", "Person", &[("name", "Arben Krasniqi")]),
        ],
    );
    subjects(
        store,
        "person",
        &[("P-0000001", &[("RS_BP", "rs-71"), ("UK_NCA", "uk-9")])],
    );
}

fn setup_operations(policy: &mut PolicyStore<'_>) {
    enrol(policy);
    operation(
        policy,
        "rs_bp.supervisor",
        "drina",
        "rs_bp.analyst",
        RS_CONTACT,
    );
    operation(
        policy,
        "uk_nca.supervisor",
        "heron",
        "uk_nca.analyst",
        UK_CONTACT,
    );
    target(policy, "rs_bp.analyst", "drina", &["rs-71"]);
    target(policy, "uk_nca.supervisor", "heron", &["uk-9"]);
}

fn same_subject(store: &mut dyn Store) {
    two_operations_on_one_person(store);
    let mut policy = PolicyStore::open(store).expect("open");
    setup_operations(&mut policy);
    discovery(&mut policy, "rs_bp.supervisor", "UK_NCA");
    discovery(&mut policy, "uk_nca.supervisor", "RS_BP");

    let report = policy.deconflict("console", NOW).expect("deconflict");
    assert_eq!(report.operations, 2);
    assert_eq!(report.targets, 2);
    assert_eq!(report.overlaps, 1);
    assert_eq!(report.notices_written, 2);
    assert_eq!(report.withheld, 0);

    let rs = deconfliction_notices(&mut policy, "rs_bp.analyst");
    assert_eq!(rs.len(), 1, "{rs:?}");
    assert_eq!(rs[0].holding_agency, "UK_NCA");
    assert_eq!(rs[0].searcher, "rs_bp.analyst");
    assert_eq!(rs[0].operations, ["drina"]);
    assert_eq!(rs[0].contact, UK_CONTACT);
    assert_eq!(rs[0].subject_id, "P-0000001");
    assert_eq!(rs[0].overlap, "same subject");
    assert!(rs[0].record_ids.is_empty());
    let uk = deconfliction_notices(&mut policy, "uk_nca.analyst");
    assert_eq!(uk.len(), 1, "{uk:?}");
    assert_eq!(uk[0].holding_agency, "RS_BP");
    assert_eq!(uk[0].contact, RS_CONTACT);
    assert_eq!(uk[0].operations, ["heron"]);
    // Neither side learns the other's record ids, content or operation.
    for (n, other_record, other_op) in [(&rs[0], "uk-9", "heron"), (&uk[0], "rs-71", "drina")] {
        let text = serde_json::to_string(n).expect("json");
        for secret in [other_record, other_op, "Krasniqi"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    // A third agency sees nothing.
    assert!(deconfliction_notices(&mut policy, "mk_mvr.analyst").is_empty());

    // A re-run finds the same overlap and writes nothing new.
    let again = policy.deconflict("console", NOW + 60).expect("re-run");
    assert_eq!(again.overlaps, 1);
    assert_eq!(again.notices_written, 0);
    assert_eq!(again.notices_existing, 2);
    assert_eq!(deconfliction_notices(&mut policy, "rs_bp.analyst").len(), 1);
    assert_eq!(
        deconfliction_notices(&mut policy, "uk_nca.analyst").len(),
        1
    );

    // Both runs are in the audit log, which still verifies; no record id is in it.
    let verified = policy.verify_audit(None).expect("verify");
    assert!(verified.broken.is_none(), "{verified:?}");
    drop(policy);
    let runs: Vec<_> = store
        .audit_entries(0, 1000)
        .expect("audit")
        .into_iter()
        .filter(|r| r.action == "deconfliction")
        .collect();
    assert_eq!(runs.len(), 2);
    assert!(runs[0].detail.contains("P-0000001"), "{}", runs[0].detail);
    assert!(!runs[0].detail.contains("uk-9") && !runs[0].detail.contains("rs-71"));
}

fn no_discovery(store: &mut dyn Store) {
    two_operations_on_one_person(store);
    let mut policy = PolicyStore::open(store).expect("open");
    setup_operations(&mut policy);
    // Only the UK lets Serbia discover its persons: Serbia is told, the UK is not.
    discovery(&mut policy, "uk_nca.supervisor", "RS_BP");
    let report = policy.deconflict("console", NOW).expect("deconflict");
    assert_eq!(report.overlaps, 1);
    assert_eq!(report.notices_written, 1);
    assert_eq!(report.withheld, 1);
    assert_eq!(deconfliction_notices(&mut policy, "rs_bp.analyst").len(), 1);
    assert!(deconfliction_notices(&mut policy, "uk_nca.analyst").is_empty());
}

fn no_discovery_either_way(store: &mut dyn Store) {
    two_operations_on_one_person(store);
    let mut policy = PolicyStore::open(store).expect("open");
    setup_operations(&mut policy);
    let report = policy.deconflict("console", NOW).expect("deconflict");
    assert_eq!(report.overlaps, 1);
    assert_eq!(report.notices_written, 0);
    assert_eq!(report.withheld, 2);
    assert!(deconfliction_notices(&mut policy, "rs_bp.analyst").is_empty());
    assert!(deconfliction_notices(&mut policy, "uk_nca.analyst").is_empty());
}

fn shared_phone(store: &mut dyn Store) {
    const NUMBER: &str = "+381601234567";
    append(
        store,
        vec![
            // Two persons resolved apart, one phone between them: RS_BP records the phone with
            // its holder, UK_NCA writes the number on its person.
            record("RS_BP", "rs-71", "Person", &[("name", "Arben Krasniqi")]),
            record(
                "RS_BP",
                "rs-ph-3",
                "Phone",
                &[("number", NUMBER), ("holder", "rs-71")],
            ),
            record(
                "UK_NCA",
                "uk-9",
                "Person",
                &[("name", "Dritan Hoxha"), ("phone", NUMBER)],
            ),
            record("UK_NCA", "uk-ph-1", "Phone", &[("number", NUMBER)]),
        ],
    );
    subjects(
        store,
        "person",
        &[
            ("P-0000001", &[("RS_BP", "rs-71")]),
            ("P-0000002", &[("UK_NCA", "uk-9")]),
        ],
    );
    subjects(
        store,
        "phone",
        &[("F-0000001", &[("RS_BP", "rs-ph-3"), ("UK_NCA", "uk-ph-1")])],
    );
    let mut policy = PolicyStore::open(store).expect("open");
    setup_operations(&mut policy);
    discovery(&mut policy, "rs_bp.supervisor", "UK_NCA");
    discovery(&mut policy, "uk_nca.supervisor", "RS_BP");
    let report = policy.deconflict("console", NOW).expect("deconflict");
    assert_eq!(report.overlaps, 1, "{report:?}");
    assert_eq!(report.notices_written, 2);
    for (user, contact) in [
        ("rs_bp.analyst", UK_CONTACT),
        ("uk_nca.analyst", RS_CONTACT),
    ] {
        let n = deconfliction_notices(&mut policy, user);
        assert_eq!(n.len(), 1, "{user}: {n:?}");
        assert_eq!(n[0].overlap, "shared phone");
        assert_eq!(n[0].subject_id, "F-0000001");
        assert_eq!(n[0].contact, contact);
        assert!(n[0].record_ids.is_empty());
    }
}

fn same_agency(store: &mut dyn Store) {
    append(
        store,
        vec![
            record("RS_BP", "rs-71", "Person", &[("name", "Arben Krasniqi")]),
            record("RS_BP", "rs-72", "Person", &[("name", "Arben Krasniqi")]),
        ],
    );
    subjects(
        store,
        "person",
        &[("P-0000001", &[("RS_BP", "rs-71"), ("RS_BP", "rs-72")])],
    );
    let mut policy = PolicyStore::open(store).expect("open");
    enrol(&mut policy);
    operation(
        &mut policy,
        "rs_bp.supervisor",
        "drina",
        "rs_bp.analyst",
        RS_CONTACT,
    );
    operation(
        &mut policy,
        "rs_bp.supervisor",
        "sava",
        "rs_bp.supervisor",
        RS_CONTACT,
    );
    target(&mut policy, "rs_bp.supervisor", "drina", &["rs-71"]);
    target(&mut policy, "rs_bp.supervisor", "sava", &["rs-72"]);
    let report = policy.deconflict("console", NOW).expect("deconflict");
    assert_eq!(report.operations, 2);
    assert_eq!(report.overlaps, 0);
    assert_eq!(report.notices_written, 0);
    assert!(deconfliction_notices(&mut policy, "rs_bp.analyst").is_empty());
}

fn refused(r: Result<impl std::fmt::Debug, PolicyError>, what: &str) {
    match r {
        Err(PolicyError::Refused(_)) => {}
        other => panic!("{what}: expected a refusal, got {other:?}"),
    }
}

fn operations_fail_closed(store: &mut dyn Store) {
    two_operations_on_one_person(store);
    let mut policy = PolicyStore::open(store).expect("open");
    enrol(&mut policy);
    let new = |owner: &str| NewOperation {
        id: "drina".into(),
        name: "Operation Drina".into(),
        owner: owner.into(),
        contact: RS_CONTACT.into(),
    };
    refused(
        policy.register_operation(&ctx("rs_bp.analyst"), new("rs_bp.analyst")),
        "an analyst registers",
    );
    refused(
        policy.register_operation(&ctx("rs_bp.supervisor"), new("uk_nca.analyst")),
        "an owner of another agency",
    );
    refused(
        policy.register_operation(&ctx("ghost"), new("rs_bp.analyst")),
        "an unknown user",
    );
    operation(
        &mut policy,
        "rs_bp.supervisor",
        "drina",
        "rs_bp.analyst",
        RS_CONTACT,
    );
    refused(
        policy.register_operation(&ctx("uk_nca.supervisor"), new("uk_nca.analyst")),
        "another agency takes the operation over",
    );
    refused(
        policy.operation_targets(&ctx("rs_bp.analyst"), "drina", &["uk-9".into()], &[]),
        "a target of another agency",
    );
    refused(
        policy.operation_targets(&ctx("uk_nca.supervisor"), "drina", &["rs-71".into()], &[]),
        "another agency's supervisor",
    );
    refused(
        policy.operation_targets(&ctx("rs_bp.auditor"), "drina", &["rs-71".into()], &[]),
        "an auditor who does not own it",
    );
    let op = policy
        .operation_targets(&ctx("rs_bp.analyst"), "drina", &["rs-71".into()], &[])
        .expect("the owner targets");
    assert_eq!(op.targets, ["rs-71"]);
    assert_eq!(
        policy
            .operations(&ctx("rs_bp.auditor"))
            .expect("list")
            .len(),
        1
    );
    assert!(
        policy
            .operations(&ctx("uk_nca.supervisor"))
            .expect("list")
            .is_empty()
    );
}

fn on_both(f: fn(&mut dyn Store)) {
    f(&mut sqlite_memory());
    if let Some(pg) = PgFixture::new() {
        f(&mut pg.open());
    }
}

#[test]
fn operations_on_one_subject_tell_both_owners_once() {
    on_both(same_subject);
}

#[test]
fn a_side_without_discovery_is_not_told() {
    on_both(no_discovery);
    on_both(no_discovery_either_way);
}

#[test]
fn a_shared_phone_subject_is_an_overlap() {
    on_both(shared_phone);
}

#[test]
fn operations_of_one_agency_are_not_deconflicted() {
    on_both(same_agency);
}

#[test]
fn operations_are_changed_only_by_their_agency() {
    on_both(operations_fail_closed);
}
