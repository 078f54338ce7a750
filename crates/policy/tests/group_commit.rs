//! Group commit on both backends: searches from several threads share audit commits, every
//! search still gets its own entry in one unbroken chain, and a search refused on its own
//! fails alone without taking a place in the chain. Reads (`SharedPolicy::read`) share commits
//! the same way, acts that change policy state are refused inside them, and a disclosure's
//! signed checkpoint is made once its entry is durable.

mod common;

use common::*;
use corridor_policy::{
    Access, NewGrant, PolicyError, PolicyStore, Query, Scope, SearchCall, SharedPolicy,
};
use corridor_store::RecordKey;
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

/// Reads from several threads, each a search and a disclosure of a granted record, share
/// commits: every read has its entries in one unbroken chain, in the order decided, and each
/// disclosure is covered by a signed checkpoint made after its entry was written.
/// With `deferred`, the reads go through `read_then` and a commit thread of their own.
fn reads(store: Box<dyn Store>, writer: Box<dyn Store>, deferred: bool) {
    let mut policy = setup(store);
    policy
        .grant(
            &ctx("mk_mvr.supervisor"),
            &[RecordKey::new("MK_MVR", "mk-1")],
            NewGrant {
                recipient: "UK_NCA".into(),
                named_users: vec![],
                scope: Scope::Record {
                    record_id: "mk-1".into(),
                },
                conditions: "Not for court without consent".into(),
                expires_at: NOW + DAY,
            },
        )
        .unwrap();
    let mut policy = policy.with_signer(ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]));
    let before = policy.verify_audit(None).unwrap();
    let shared = SharedPolicy::new(policy, writer).unwrap();
    let why = "Operation Kestrel: arrivals at Dover";
    let key = RecordKey::new("MK_MVR", "mk-1");
    let seqs: Vec<(i64, i64)> = std::thread::scope(|scope| {
        let committer = deferred.then(|| scope.spawn(|| shared.commit_loop()));
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                let (shared, key) = (&shared, key.clone());
                scope.spawn(move || {
                    (0..SEARCHES_PER_THREAD)
                        .map(|_| {
                            let key = key.clone();
                            read_with(
                                shared,
                                deferred,
                                move |p| -> Result<(i64, i64), PolicyError> {
                                    let uk = ctx("uk_nca.analyst");
                                    let q = Query {
                                        name: Some("Мухамед Ахмади".into()),
                                        ..Query::default()
                                    };
                                    let found = p.search(&uk, &q, why)?;
                                    let Access::Disclosed(d) = p.read(&uk, &key, why)? else {
                                        panic!("the granted record was not disclosed");
                                    };
                                    assert_eq!(d.conditions().len(), 1);
                                    Ok((found.audit_seq, d.audit_seq()))
                                },
                            )
                            .unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let seqs = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        shared.close_commits();
        if let Some(c) = committer {
            c.join().unwrap();
        }
        seqs
    });
    for &(search, read) in &seqs {
        assert_eq!(read, search + 1, "one read's entries are consecutive");
    }
    let mut all: Vec<i64> = seqs.iter().flat_map(|&(a, b)| [a, b]).collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 2 * THREADS * SEARCHES_PER_THREAD);
    let report = shared.with(|p| p.verify_audit(None)).unwrap();
    assert_eq!(report.broken, None, "{report:?}");
    assert_eq!(report.entries, before.entries + all.len() as u64);
    assert!(
        report.checkpoints > before.checkpoints,
        "disclosures are covered by signed checkpoints: {report:?}"
    );
    // An act that changes policy state is refused inside a read, and leaves no entry.
    let refused = shared.read(|p| {
        p.register_agency(
            "console",
            corridor_policy::Agency {
                code: "GR_HP".into(),
                country: "gr".into(),
                name: "Hellenic Police".into(),
                contact: "desk@gr.example".into(),
            },
            NOW,
        )
    });
    assert!(
        matches!(refused, Err(PolicyError::Refused(_))),
        "{refused:?}"
    );
    let after = shared.with(|p| p.verify_audit(None)).unwrap();
    assert_eq!(after.entries, report.entries);
    assert!(shared.with(|p| p.directory().agency("GR_HP").is_none()));
}

/// A read through `read` (this thread commits) or `read_then` (a commit thread does; the answer
/// comes back over a channel).
fn read_with<R: Send + 'static>(
    shared: &SharedPolicy,
    deferred: bool,
    f: impl FnOnce(&mut PolicyStore<'static>) -> Result<R, PolicyError>,
) -> Result<R, PolicyError> {
    if !deferred {
        return shared.read(f);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    shared.read_then(f, move |out| tx.send(out).unwrap());
    rx.recv().expect("read_then always answers")
}

#[test]
fn reads_share_commits_on_sqlite() {
    for deferred in [false, true] {
        let (_dir, path) = sqlite_file();
        reads(
            Box::new(corridor_store::SqliteStore::open(&path).unwrap()),
            Box::new(corridor_store::SqliteStore::open(&path).unwrap()),
            deferred,
        );
    }
}

#[test]
fn reads_share_commits_on_postgres() {
    for deferred in [false, true] {
        let Some(f) = PgFixture::new() else { return };
        reads(Box::new(f.open()), Box::new(f.open()), deferred);
    }
}

/// A read whose commit fails returns an error, never its answer.
#[test]
fn a_failed_read_commit_discloses_nothing() {
    let (_dir_a, a) = sqlite_file();
    let (_dir_b, b) = sqlite_file();
    let open = |p: &std::path::Path| -> Box<dyn Store> {
        Box::new(corridor_store::SqliteStore::open(p).unwrap())
    };
    let why = "Operation Kestrel: arrivals at Dover";
    {
        let mut other = setup(open(&b));
        other
            .read(&ctx("rs_bp.analyst"), &RecordKey::new("RS_BP", "rs-1"), why)
            .unwrap();
    }
    let shared = SharedPolicy::new(setup(open(&a)), open(&b)).unwrap();
    for _ in 0..3 {
        let r =
            shared.read(|p| p.read(&ctx("rs_bp.analyst"), &RecordKey::new("RS_BP", "rs-1"), why));
        assert!(r.is_err(), "a record left without its audit entry");
    }
    // The same through `read_then` and a commit thread.
    std::thread::scope(|scope| {
        let committer = scope.spawn(|| shared.commit_loop());
        for _ in 0..3 {
            let r = read_with(&shared, true, |p| {
                p.read(&ctx("rs_bp.analyst"), &RecordKey::new("RS_BP", "rs-1"), why)
                    .map(|a| matches!(a, Access::Disclosed(_)))
            });
            assert!(r.is_err(), "a record left without its audit entry");
        }
        shared.close_commits();
        committer.join().unwrap();
    });
    let report = shared.with(|p| p.verify_audit(None)).unwrap();
    assert_eq!(report.broken, None);
}
