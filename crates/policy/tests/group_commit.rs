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

fn run(store: Box<dyn Store>, writer: Box<dyn Store>) {
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

    let shared = SharedPolicy::new(policy, writer).unwrap();
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
    // Other acts follow the searches' entries in the same chain.
    let a = shared
        .search(uk.clone(), query.clone(), why.to_owned())
        .unwrap();
    let hit = a.hits[0].hit_ref.clone();
    shared
        .with(|p| p.request(&uk, &hit, "Suspected organiser at Dover"))
        .unwrap();
    let b = shared.search(uk.clone(), query, why.to_owned()).unwrap();
    assert_eq!(b.audit_seq, a.audit_seq + 2);
    let report = shared.with(|p| p.verify_audit(None)).unwrap();
    assert_eq!(report.broken, None, "{report:?}");
}

#[test]
fn searches_share_commits_on_sqlite() {
    let (_dir, path) = sqlite_file();
    run(
        Box::new(corridor_store::SqliteStore::open(&path).unwrap()),
        Box::new(corridor_store::SqliteStore::open(&path).unwrap()),
    );
}

#[test]
fn searches_share_commits_on_postgres() {
    let Some(f) = PgFixture::new() else { return };
    run(Box::new(f.open()), Box::new(f.open()));
}

/// A commit that fails discloses nothing: here the writer's log already holds the places the
/// searches' entries would take, so every write is refused and every search fails.
#[test]
fn a_failed_commit_discloses_nothing() {
    let (_dir_a, a) = sqlite_file();
    let (_dir_b, b) = sqlite_file();
    let open = |p: &std::path::Path| -> Box<dyn Store> {
        Box::new(corridor_store::SqliteStore::open(p).unwrap())
    };
    let query = Query {
        name: Some("Mohammed Ahmadi".into()),
        ..Query::default()
    };
    let why = "Operation Kestrel: arrivals at Dover";
    {
        // The other store's log runs one entry further than the policy layer's.
        let mut other = setup(open(&b));
        other.search(&ctx("uk_nca.analyst"), &query, why).unwrap();
    }
    let policy = setup(open(&a));
    let shared = SharedPolicy::new(policy, open(&b)).unwrap();
    for _ in 0..3 {
        let r = shared.search(ctx("uk_nca.analyst"), query.clone(), why.to_owned());
        assert!(r.is_err(), "an answer left without its audit entry: {r:?}");
    }
    let report = shared.with(|p| p.verify_audit(None)).unwrap();
    assert_eq!(report.broken, None);
}
