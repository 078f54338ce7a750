//! Review and retention on both backends: a record past its review date is hidden from
//! everyone but its originator's supervisors; a decision to retain brings it back; past the
//! grace period a sweep erases it, auditing first; the erased record is gone from search,
//! read, the live scan and the log, and the audit log shows the erasure and still verifies.

mod common;

use common::*;
use corridor_policy::review::{day_of, format_day, parse_day};
use corridor_policy::{Access, NewGrant, PolicyStore, Query, Retention, ReviewState, Scope, audit};
use corridor_store::{RecordKey, Store};
use ed25519_dalek::SigningKey;

/// `common::person` sets every review date to this day.
const REVIEW_BY: &str = "2027-11-01";

fn at_day(date: &str, offset_days: i64) -> i64 {
    (parse_day(date).unwrap() + offset_days) * DAY + 12 * 3_600
}

fn run(store: &mut dyn Store) {
    append(
        store,
        vec![
            person("RS_BP", "rs-1", &[("name", "Mohammed Ahmadi")], eu("H0")),
            person(
                "RS_BP",
                "rs-2",
                &[("name", "Mohammed Ahmadi"), ("birthDate", "1990-01-01")],
                eu("H0"),
            ),
        ],
    );
    let key = SigningKey::from_bytes(&[3; 32]);
    let mut policy = PolicyStore::open(store).unwrap().with_signer(key.clone());
    enrol(&mut policy);
    policy
        .set_retention(
            "console",
            Retention {
                agency: "RS_BP".into(),
                review_days: 730,
                grace_days: 30,
                remind_days: 14,
                request_remind_hours: 24,
            },
            NOW,
        )
        .unwrap();
    // Out-of-range rules are refused.
    assert!(
        policy
            .set_retention(
                "console",
                Retention {
                    agency: "RS_BP".into(),
                    review_days: 0,
                    grace_days: 30,
                    remind_days: 14,
                    request_remind_hours: 24,
                },
                NOW,
            )
            .is_err()
    );
    // The UK reads Serbian persons under a standing agreement.
    policy
        .grant(
            &ctx("rs_bp.supervisor"),
            &[],
            NewGrant {
                recipient: "UK_NCA".into(),
                named_users: vec![],
                scope: Scope::Standing {
                    schemata: vec!["Person".into()],
                    ceiling: corridor_policy::HandlingCeiling {
                        europol: Some(corridor_policy::EuCeiling::H1),
                        ..Default::default()
                    },
                },
                conditions: String::new(),
                expires_at: at_day(REVIEW_BY, 400),
            },
        )
        .unwrap();
    let query = Query {
        name: Some("Mohammed Ahmadi".into()),
        ..Query::default()
    };
    let why = "Operation Kestrel: arrivals at Dover";
    let readable = |policy: &mut PolicyStore<'_>, user: &str, now: i64| -> Vec<String> {
        policy
            .search(&ctx_at(user, now), &query, why)
            .unwrap()
            .readable
            .into_iter()
            .map(|(k, _)| k.to_string())
            .collect()
    };
    let before = at_day(REVIEW_BY, -20);
    assert_eq!(
        readable(&mut policy, "uk_nca.analyst", before),
        ["RS_BP/rs-1", "RS_BP/rs-2"]
    );

    // Reminders: within 14 days of the date the records are due; only Serbia's supervisors ask.
    let due_at = at_day(REVIEW_BY, -10);
    assert!(
        policy
            .review_due(&ctx_at("rs_bp.analyst", due_at), None, 14)
            .is_err()
    );
    assert!(
        policy
            .review_due(&ctx_at("uk_nca.supervisor", due_at), Some("RS_BP"), 14)
            .is_err()
    );
    let due = policy
        .review_due(&ctx_at("rs_bp.supervisor", due_at), None, 14)
        .unwrap();
    assert_eq!(due.len(), 2);
    assert!(
        due.iter()
            .all(|d| d.state == ReviewState::Due && d.review_by == REVIEW_BY)
    );
    assert!(
        policy
            .review_due(&ctx_at("rs_bp.supervisor", before), None, 14)
            .unwrap()
            .is_empty()
    );

    // Serbia keeps rs-2 for another year; the date must be later and within the review period.
    let sup = ctx_at("rs_bp.supervisor", due_at);
    let rs2 = RecordKey::new("RS_BP", "rs-2");
    assert!(
        policy
            .retain(&sup, &rs2, "2027-10-01", "still under investigation")
            .is_err()
    );
    assert!(
        policy
            .retain(&sup, &rs2, "2031-01-01", "still under investigation")
            .is_err()
    );
    assert!(policy.retain(&sup, &rs2, "2028-11-01", "x").is_err());
    assert!(
        policy
            .retain(
                &ctx_at("uk_nca.supervisor", due_at),
                &rs2,
                "2028-11-01",
                "Kestrel needs it"
            )
            .is_err()
    );
    policy
        .retain(
            &sup,
            &rs2,
            "2028-11-01",
            "Operation Kestrel prosecution is pending",
        )
        .unwrap();

    // Past the date: rs-1 is hidden from the UK and from Serbia's own analyst, not from
    // Serbia's supervisor, who reviews it.
    let hidden_at = at_day(REVIEW_BY, 5);
    assert_eq!(
        readable(&mut policy, "uk_nca.analyst", hidden_at),
        ["RS_BP/rs-2"]
    );
    assert_eq!(
        readable(&mut policy, "rs_bp.analyst", hidden_at),
        ["RS_BP/rs-2"]
    );
    assert_eq!(
        readable(&mut policy, "rs_bp.supervisor", hidden_at),
        ["RS_BP/rs-1", "RS_BP/rs-2"]
    );
    let rs1 = RecordKey::new("RS_BP", "rs-1");
    assert_eq!(
        policy
            .read(&ctx_at("uk_nca.analyst", hidden_at), &rs1, why)
            .unwrap(),
        Access::Denied
    );
    assert!(matches!(
        policy
            .read(&ctx_at("rs_bp.supervisor", hidden_at), &rs1, why)
            .unwrap(),
        Access::Disclosed(_)
    ));
    let swept = policy.sweep("console", hidden_at).unwrap();
    assert_eq!(
        swept.hidden,
        [("RS_BP/rs-1".to_owned(), REVIEW_BY.to_owned())]
    );
    assert!(swept.erased.is_empty());
    // Each passing of a date is audited once.
    assert!(
        policy
            .sweep("console", hidden_at + DAY)
            .unwrap()
            .hidden
            .is_empty()
    );

    // Past the grace period: the sweep erases rs-1 and only rs-1.
    let erase_at = at_day(REVIEW_BY, 31);
    assert_eq!(format_day(day_of(erase_at)), "2027-12-02");
    let swept = policy.sweep("console", erase_at).unwrap();
    assert_eq!(swept.erased.len(), 1, "{swept:?}");
    assert_eq!(swept.erased[0].0, "RS_BP/rs-1");
    assert_eq!(swept.erased[0].1, 1);
    assert!(policy.sweep("console", erase_at).unwrap().erased.is_empty());
    // Gone for everyone, Serbia's supervisor included.
    assert_eq!(
        readable(&mut policy, "rs_bp.supervisor", erase_at),
        ["RS_BP/rs-2"]
    );
    assert_eq!(
        policy
            .read(&ctx_at("rs_bp.supervisor", erase_at), &rs1, why)
            .unwrap(),
        Access::Denied
    );
    assert_eq!(
        readable(&mut policy, "uk_nca.analyst", erase_at),
        ["RS_BP/rs-2"]
    );
    let report = policy.verify_audit(Some(&key.verifying_key())).unwrap();
    assert_eq!(report.broken, None, "{report:?}");
    drop(policy);

    assert!(store.head("RS_BP", "rs-1").unwrap().is_none());
    assert!(store.versions("RS_BP", "rs-1").unwrap().is_empty());
    assert!(
        store
            .scan(0, 100)
            .unwrap()
            .iter()
            .all(|v| v.record.id != "rs-1")
    );
    let live: Vec<String> = store
        .scan_live(None, 100)
        .unwrap()
        .into_iter()
        .map(|v| v.record.id)
        .collect();
    assert_eq!(live, ["rs-2"]);
    let rows = store.audit_entries(0, 1000).unwrap();
    let erasure = rows
        .iter()
        .find(|r| r.action == "erasure")
        .expect("erasure audited");
    assert!(erasure.detail.contains("RS_BP/rs-1"), "{}", erasure.detail);
    assert!(erasure.justification.contains(REVIEW_BY));
    let erased = store.erasures(0, 10).unwrap();
    assert_eq!(erased.len(), 1);
    assert_eq!(erased[0].audit_seq, erasure.seq);
    let retain = rows
        .iter()
        .find(|r| r.action == "review" && r.detail.contains("\"retain\""))
        .expect("retain audited");
    assert_eq!(retain.actor, "rs_bp.supervisor");
    assert!(retain.justification.contains("prosecution"));
    assert_eq!(
        audit::verify(store, Some(&key.verifying_key()))
            .unwrap()
            .broken,
        None
    );
}

#[test]
fn review_hide_retain_erase_on_sqlite() {
    run(&mut sqlite_memory());
}

#[test]
fn review_hide_retain_erase_on_postgres() {
    let Some(f) = PgFixture::new() else { return };
    run(&mut f.open());
}
