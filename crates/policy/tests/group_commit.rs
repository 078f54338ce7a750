//! Group commit on both backends: searches from several threads share audit commits, every
//! search still gets its own entry in one unbroken chain, and a search refused on its own
//! fails alone without taking a place in the chain.

mod common;

use common::*;
use corridor_policy::{NewGrant, PolicyStore, Query, Scope, SearchCall, SharedPolicy};
use corridor_store::Store;

const THREADS: usize = 2;
const SEARCHES_PER_THREAD: usize = 15;

fn setup(store: Box<dyn Store>) -> PolicyStore<'static> {
    let mut store = store;
    append(
        store.as_mut(),
        vec![
            person("RS_BP", "rs-1", &[("name", "Mohammed Ahmadi")], eu("H2")),
            person("MK_MVR", "mk-1", &[("name", "Muhamed Ahmadi")], eu("H0")),
        ],
    );
    let mut policy = PolicyStore::open_owned(store).unwrap();
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
    policy
}

fn run(store: Box<dyn Store>) {
    let mut policy = setup(store);
    let before = policy.verify_audit(None).unwrap().entries as i64;
    let query = Query {
        name: Some("Mohammed Ahmadi".into()),
        ..Query::default()
    };
    let uk = ctx("uk_nca.analyst");
    let why = "Operation Kestrel: arrivals at Dover";
    let answers = policy.search_batch(&[
        SearchCall {
            ctx: &uk,
            query: &query,
            justification: why,
        },
        SearchCall {
            ctx: &uk,
            query: &query,
            justification: "x",
        },
        SearchCall {
            ctx: &uk,
            query: &query,
            justification: why,
        },
    ]);
    assert_eq!(answers.len(), 3);
    let first = answers[0].as_ref().unwrap();
    assert!(answers[1].is_err(), "no justification: refused alone");
    let third = answers[2].as_ref().unwrap();
    assert_eq!(first.hits.len(), 1);
    assert_eq!(first.hits[0].agency, "RS_BP");
    assert_ne!(first.hits[0].hit_ref, third.hits[0].hit_ref);
    assert_eq!((first.audit_seq, third.audit_seq), (before + 1, before + 2));
    // Each search's hit can be asked for.
    policy
        .request(&uk, &third.hits[0].hit_ref, "Suspected organiser at Dover")
        .unwrap();

    let shared = SharedPolicy::new(policy);
    let seqs: Vec<i64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                let shared = &shared;
                let query = query.clone();
                let uk = uk.clone();
                scope.spawn(move || {
                    (0..SEARCHES_PER_THREAD)
                        .map(|_| {
                            let a = shared
                                .search(uk.clone(), query.clone(), why.to_owned())
                                .unwrap();
                            assert_eq!(a.hits.len(), 1);
                            a.audit_seq
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut sorted = seqs.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        THREADS * SEARCHES_PER_THREAD,
        "one entry per search"
    );
    let report = shared.with(|p| p.verify_audit(None)).unwrap();
    assert_eq!(report.broken, None, "{report:?}");
    // Before, two batched searches, one request, then the threads' searches.
    assert_eq!(
        report.entries as i64,
        before + 3 + (THREADS * SEARCHES_PER_THREAD) as i64
    );
    assert_eq!(*sorted.last().unwrap(), report.entries as i64);
}

#[test]
fn searches_share_commits_on_sqlite() {
    run(Box::new(sqlite_memory()));
}

#[test]
fn searches_share_commits_on_postgres() {
    let Some(f) = PgFixture::new() else { return };
    run(Box::new(f.open()));
}
