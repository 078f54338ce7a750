//! Reminders on both backends: a disclosure request that waits for the originator's answer
//! longer than the agency's `request_remind_hours` (48 h unless set) shows as overdue and
//! becomes a reminder notice for the originator's supervisors only, and goes away with the
//! answer.

mod common;

use common::*;
use corridor_policy::{
    Answer, NewGrant, NoticeCause, PolicyStore, Query, Retention, Scope,
    review::REQUEST_REMIND_HOURS_DEFAULT,
};
use corridor_store::Store;

const HOUR: i64 = 3_600;

fn reminders(policy: &mut PolicyStore<'_>, user: &str, at: i64) -> Vec<String> {
    policy
        .notices(&ctx_at(user, at))
        .unwrap()
        .into_iter()
        .filter(|n| n.cause == NoticeCause::RequestWaiting)
        .map(|n| n.id)
        .collect()
}

fn run(mut store: Box<dyn Store>) {
    append(
        store.as_mut(),
        vec![person(
            "RS_BP",
            "rs-1",
            &[("name", "Mohammed Ahmadi")],
            eu("H2"),
        )],
    );
    let mut policy = PolicyStore::open(store.as_mut()).unwrap();
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
                expires_at: NOW + 30 * DAY,
            },
        )
        .unwrap();
    let why = "Operation Kestrel: arrivals at Dover";
    let query = Query {
        name: Some("Мухамед Ахмади".into()),
        ..Query::default()
    };
    let found = policy.search(&ctx("uk_nca.analyst"), &query, why).unwrap();
    let request = policy
        .request(&ctx("uk_nca.analyst"), &found.hits[0].hit_ref, why)
        .unwrap();
    let wait = i64::from(REQUEST_REMIND_HOURS_DEFAULT) * HOUR;

    // Not yet due.
    assert!(reminders(&mut policy, "rs_bp.supervisor", NOW + wait - HOUR).is_empty());
    let listed = policy
        .requests(&ctx_at("rs_bp.supervisor", NOW + wait - HOUR))
        .unwrap();
    assert!(!listed[0].overdue);
    // Due: the originator's supervisors are reminded, nobody else.
    assert_eq!(
        reminders(&mut policy, "rs_bp.supervisor", NOW + wait),
        vec![request.id.clone()]
    );
    for other in [
        "rs_bp.analyst",
        "uk_nca.analyst",
        "uk_nca.supervisor",
        "mk_mvr.supervisor",
    ] {
        assert!(
            reminders(&mut policy, other, NOW + wait).is_empty(),
            "{other} was reminded of another agency's request"
        );
    }
    let n = policy
        .notices(&ctx_at("rs_bp.supervisor", NOW + wait))
        .unwrap()
        .into_iter()
        .find(|n| n.cause == NoticeCause::RequestWaiting)
        .unwrap();
    assert_eq!(
        (n.searching_agency.as_str(), n.holding_agency.as_str()),
        ("UK_NCA", "RS_BP")
    );
    assert_eq!(n.record_ids, vec!["rs-1".to_owned()]);
    assert_eq!(n.contact, "desk@gb.example");
    for user in ["rs_bp.supervisor", "uk_nca.analyst"] {
        let listed = policy.requests(&ctx_at(user, NOW + wait)).unwrap();
        assert!(listed[0].overdue, "{user} sees the request as overdue");
    }

    // The agency sets its own delay.
    policy
        .set_retention(
            "console",
            Retention {
                request_remind_hours: 12,
                ..Retention::default_for("RS_BP")
            },
            NOW,
        )
        .unwrap();
    assert_eq!(
        reminders(&mut policy, "rs_bp.supervisor", NOW + 12 * HOUR).len(),
        1
    );
    assert!(reminders(&mut policy, "rs_bp.supervisor", NOW + 11 * HOUR).is_empty());
    let bad = Retention {
        request_remind_hours: 0,
        ..Retention::default_for("RS_BP")
    };
    assert!(policy.set_retention("console", bad, NOW).is_err());

    // Answered: no more reminders.
    policy
        .answer(
            &ctx_at("rs_bp.supervisor", NOW + wait),
            &request.id,
            Answer::Refuse {
                reason: "Ongoing covert operation".into(),
            },
        )
        .unwrap();
    assert!(reminders(&mut policy, "rs_bp.supervisor", NOW + 10 * wait).is_empty());
    let listed = policy
        .requests(&ctx_at("rs_bp.supervisor", NOW + 10 * wait))
        .unwrap();
    assert!(!listed[0].overdue);
}

#[test]
fn reminders_on_sqlite() {
    run(Box::new(sqlite_memory()));
}

#[test]
fn reminders_on_postgres() {
    let Some(f) = PgFixture::new() else { return };
    run(Box::new(f.open()));
}
