//! The functions a server answers through: a batch is decided record by record exactly as
//! `decide` would, audited in one entry before anything is returned, and refused whole (with
//! nothing written) when the audit entry cannot be written; hit-only records carry no content.

mod common;

use common::*;
use corridor_graph::Visibility;
use corridor_policy::serve::Seen;
use corridor_policy::{Access, EuCeiling, HandlingCeiling, NewGrant, PolicyStore, Scope, audit};
use corridor_store::{RecordKey, Store};

fn entries(store: &mut PolicyStore<'_>) -> u64 {
    store.verify_audit(None).unwrap().entries
}

fn run(store: &mut dyn Store) {
    append(
        store,
        vec![
            person("RS_BP", "rs-1", &[("name", "Mohammed Ahmadi")], eu("H0")),
            person("RS_BP", "rs-2", &[("name", "Jovan Petrović")], eu("H2")),
            person("MK_MVR", "mk-1", &[("name", "Muhamed Ahmadi")], eu("H0")),
        ],
    );
    let mut policy = PolicyStore::open(store).unwrap();
    enrol(&mut policy);
    // Serbia shares persons up to H1 with the UK (rs-2, H2, stays out); North Macedonia lets
    // the UK discover its persons only.
    policy
        .grant(
            &ctx("rs_bp.supervisor"),
            &[],
            NewGrant {
                recipient: "UK_NCA".into(),
                named_users: vec![],
                scope: Scope::Standing {
                    schemata: vec!["Person".into()],
                    ceiling: HandlingCeiling {
                        europol: Some(EuCeiling::H1),
                        ..HandlingCeiling::default()
                    },
                },
                conditions: "no onward disclosure".into(),
                expires_at: NOW + 30 * DAY,
            },
        )
        .unwrap();
    policy
        .grant(
            &ctx("mk_mvr.supervisor"),
            &[],
            NewGrant {
                recipient: "UK_NCA".into(),
                named_users: vec![],
                scope: Scope::Discovery {
                    schemata: vec!["Person".into()],
                },
                conditions: String::new(),
                expires_at: NOW + 30 * DAY,
            },
        )
        .unwrap();
    let uk = ctx("uk_nca.analyst");
    let keys = [
        RecordKey::new("RS_BP", "rs-1"),
        RecordKey::new("RS_BP", "rs-2"),
        RecordKey::new("MK_MVR", "mk-1"),
        RecordKey::new("RS_BP", "no-such-record"),
    ];
    let catalog = policy.catalog().unwrap();
    assert_eq!(catalog.len(), 3);
    assert!(policy.catalog_current(&catalog).unwrap());

    // A screening: one entry, decisions as `decide` gives them.
    let before = entries(&mut policy);
    let screen = policy
        .screen(&uk, &catalog, &keys, "Operation Kestrel: screening", "test")
        .unwrap();
    assert_eq!(
        screen.seen,
        [Seen::Readable, Seen::Hidden, Seen::HitOnly, Seen::Hidden]
    );
    assert_eq!(entries(&mut policy), before + 1);

    // No reason: refused whole, nothing written, nothing returned.
    assert!(policy.screen(&uk, &catalog, &keys, "", "test").is_err());
    assert!(policy.read_many(&uk, &keys, "why", "test").is_err());
    assert_eq!(entries(&mut policy), before + 1);

    // A batch read: content for the readable record only, with its conditions.
    let access = policy
        .read_many(&uk, &keys, "Operation Kestrel: reading", "test")
        .unwrap();
    assert_eq!(entries(&mut policy), before + 2);
    match &access[0] {
        Access::Disclosed(d) => {
            assert_eq!(d.record().id, "rs-1");
            assert!(d.conditions().iter().any(|c| c.contains("no onward")));
        }
        other => panic!("rs-1: {other:?}"),
    }
    assert_eq!(access[1], Access::Denied);
    assert!(matches!(&access[2], Access::HitOnly { agency, .. } if agency == "MK_MVR"));
    assert_eq!(access[3], Access::Denied);
    let tail = policy.verify_audit(None).unwrap();
    assert!(tail.broken.is_none());

    // The graph's visibility agrees, and costs no audit entry.
    let vis = policy.viewer_records(&uk, &catalog).unwrap();
    assert!(vis.record_visible("RS_BP/rs-1"));
    assert!(!vis.record_visible("RS_BP/rs-2") && !vis.record_visible("MK_MVR/mk-1"));
    assert_eq!(
        policy
            .readable_names(&uk, &catalog, &["RS_BP/rs-1", "RS_BP/rs-2", "junk"])
            .unwrap(),
        [true, false, false]
    );
    assert_eq!(entries(&mut policy), before + 2);

    // Roles: an auditor reads the log but no record; an analyst not the log.
    let auditor = ctx("uk_nca.auditor");
    assert!(
        policy
            .screen(&auditor, &catalog, &keys, "Operation Kestrel: audit", "t")
            .is_err()
    );
    assert!(policy.audit_page(&uk, 0, 10).is_err());
    let page = policy.audit_page(&auditor, 0, 5_000).unwrap();
    assert!(!page.is_empty() && page.len() <= corridor_policy::serve::AUDIT_PAGE_MAX);
    assert!(
        page.iter()
            .any(|e| e.action == audit::Action::Disclosure.as_str())
    );
    assert!(policy.verify_audit_as(&uk, None).is_err());
    assert!(
        policy
            .verify_audit_as(&auditor, None)
            .unwrap()
            .broken
            .is_none()
    );
}

#[test]
fn serve_functions_on_sqlite() {
    run(&mut sqlite_memory());
}

#[test]
fn serve_functions_on_postgres() {
    let Some(f) = PgFixture::new() else { return };
    run(&mut f.open());
}
