//! The conformance suite every [`Store`] backend must pass. Each check takes a [`Fixture`] that
//! makes a fresh, empty store and can open a second handle onto it; the backends' integration
//! tests run every check through [`conformance_tests!`](crate::conformance_tests), one test per
//! check, so a failure names both the backend and the property broken.

use std::collections::BTreeMap;

use corridor_model::envelope::GradingFields;
use corridor_model::{Envelope, Grading, Record};

use crate::{
    AuditCheckpoint, AuditRow, Batch, Entry, LedgerKey, LedgerRow, NewJudgement, NewVersion,
    PolicyDoc, Provenance, RecordKey, ResolutionInfo, SourceInfo, Store, StoreError, SubjectMember,
    SubjectWrite, Tombstone,
};

/// Makes stores for the checks.
pub trait Fixture {
    /// A new, empty, migrated store.
    fn fresh(&self) -> Box<dyn Store>;
    /// A second, independent handle onto the store `fresh` made last.
    fn reopen(&self) -> Box<dyn Store>;
}

/// A conformance check: panics, naming the broken property, when the backend fails it.
pub type Check = fn(&dyn Fixture);

/// Every check, by name.
pub const CHECKS: &[(&str, Check)] = &[
    ("empty_store", empty_store),
    ("append_and_read_back", append_and_read_back),
    ("reappend_is_a_no_op", reappend_is_a_no_op),
    ("changes_make_versions", changes_make_versions),
    ("duplicates_within_a_batch", duplicates_within_a_batch),
    ("tombstones", tombstones),
    ("failed_batch_commits_nothing", failed_batch_commits_nothing),
    ("scan_follows_positions", scan_follows_positions),
    (
        "scan_live_is_ordered_and_paged",
        scan_live_is_ordered_and_paged,
    ),
    ("sources_register_once", sources_register_once),
    ("second_handle_sees_commits", second_handle_sees_commits),
    ("concurrent_writers_agree", concurrent_writers_agree),
    ("judgements_are_kept_in_order", judgements_are_kept_in_order),
    ("subjects_replace_and_update", subjects_replace_and_update),
    (
        "subject_writes_detect_conflicts",
        subject_writes_detect_conflicts,
    ),
    ("policy_writes_are_atomic", policy_writes_are_atomic),
    (
        "erasure_audits_first_and_removes_every_version",
        erasure_audits_first_and_removes_every_version,
    ),
    ("ledger_appends_once", ledger_appends_once),
    (
        "ledger_scans_in_canonical_order",
        ledger_scans_in_canonical_order,
    ),
];

/// Generates one `#[test]` per conformance check. `$fixture` is an expression giving an
/// `Option` of a [`Fixture`]: `None` skips the checks (for a backend whose server the test run
/// was explicitly told not to expect), and the reason is printed.
#[macro_export]
macro_rules! conformance_tests {
    ($fixture:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let Some(fixture) = $fixture else {
                    eprintln!("skipped: no server for this backend in this run");
                    return;
                };
                let check = $crate::conformance::CHECKS
                    .iter()
                    .find(|(n, _)| *n == stringify!($name))
                    .expect("check exists");
                (check.1)(&fixture);
            }
        )*
        #[test]
        fn every_check_is_run() {
            let ours: &[&str] = &[$(stringify!($name)),*];
            for (name, _) in $crate::conformance::CHECKS {
                assert!(ours.contains(name), "conformance check {name} is not run");
            }
        }
    };
}

/// The whole suite for one backend: every check in [`CHECKS`], each its own `#[test]`.
#[macro_export]
macro_rules! conformance_suite {
    ($fixture:expr) => {
        $crate::conformance_tests!($fixture;
            empty_store,
            append_and_read_back,
            reappend_is_a_no_op,
            changes_make_versions,
            duplicates_within_a_batch,
            tombstones,
            failed_batch_commits_nothing,
            scan_follows_positions,
            scan_live_is_ordered_and_paged,
            sources_register_once,
            second_handle_sees_commits,
            concurrent_writers_agree,
            judgements_are_kept_in_order,
            subjects_replace_and_update,
            subject_writes_detect_conflicts,
            policy_writes_are_atomic,
            erasure_audits_first_and_removes_every_version,
            ledger_appends_once,
            ledger_scans_in_canonical_order,
        );
    };
}

/// A grading in `system` from (field, value) pairs: `source`, `intelligence`, `information`,
/// `handling`, `conditions`, `tlp`. Panics on an unknown field or an invalid grading: it is for
/// tests.
pub fn grading(system: &str, kv: &[(&str, &str)]) -> Grading {
    let mut f = GradingFields {
        system: system.into(),
        ..GradingFields::default()
    };
    for (k, v) in kv {
        let v = Some((*v).to_owned());
        match *k {
            "source" => f.source = v,
            "intelligence" => f.intelligence = v,
            "information" => f.information = v,
            "handling" => f.handling = v,
            "conditions" => f.conditions = v,
            "tlp" => f.tlp = v,
            other => panic!("unknown grading field {other}"),
        }
    }
    Grading::from_fields(&f).expect("test grading is valid")
}

/// An envelope from `originator`, graded in one of three systems by `kind`.
pub fn envelope(originator: &str, kind: usize) -> Envelope {
    let grading = match kind % 3 {
        0 => grading(
            "3x5x2",
            &[
                ("source", "2"),
                ("intelligence", "B"),
                ("handling", "C"),
                (
                    "conditions",
                    "Не за суд без сагласности; not for court\twithout consent\\",
                ),
            ],
        ),
        1 => grading(
            "4x4",
            &[("source", "B"), ("information", "2"), ("handling", "H2")],
        ),
        _ => grading("tlp", &[("tlp", "AMBER+STRICT")]),
    };
    Envelope {
        originator: originator.into(),
        contributor: "UGP Preševo / Управа".into(),
        submitted_at: "2024-03-01T10:00:00Z".into(),
        source_ref: format!("REF-{kind}"),
        review_by: "2027-03-01".into(),
        grading,
    }
}

/// A version of a Person record with the given name.
pub fn person(originator: &str, id: &str, name: &str) -> Entry {
    let mut properties = BTreeMap::new();
    properties.insert("name".to_owned(), vec![name.to_owned()]);
    properties.insert("nationality".to_owned(), vec!["af".to_owned()]);
    Entry::Version(NewVersion::new(
        Record {
            id: id.into(),
            schema: "Person".into(),
            properties,
        },
        envelope(originator, id.len()),
        Provenance {
            line: Some(7),
            cells: Some(r#"["x\ty","Ђорђе","=cmd|' /C calc'!A0"]"#.into()),
        },
    ))
}

fn batch(entries: Vec<Entry>) -> Batch {
    Batch {
        entries,
        ..Batch::default()
    }
}

fn empty_store(f: &dyn Fixture) {
    let mut s = f.fresh();
    assert_eq!(s.log_position().unwrap(), 0);
    assert!(s.schema_version().unwrap() >= 1);
    let c = s.counts().unwrap();
    assert_eq!((c.live_records, c.log_entries, c.batches), (0, 0, 0));
    assert!(s.scan(0, 10).unwrap().is_empty());
    assert!(s.head("RS_BP", "nope").unwrap().is_none());
    assert_eq!(s.verify().unwrap(), 0);
}

fn append_and_read_back(f: &dyn Fixture) {
    let mut s = f.fresh();
    let entries = vec![
        person("RS_BP", "a", "Ђорђе Јовановић"),
        person("RS_BP", "bb", "محمد أحمدي"),
        person("UK_NCA", "ccc", "Gëzim Hoxha"),
    ];
    let out = s.append_batch(&batch(entries.clone())).unwrap();
    assert_eq!((out.appended, out.unchanged, out.log_position), (3, 0, 3));
    let scanned = s.scan(0, 100).unwrap();
    assert_eq!(scanned.iter().map(|v| v.pos).collect::<Vec<_>>(), [1, 2, 3]);
    for (stored, entry) in scanned.iter().zip(&entries) {
        let Entry::Version(v) = entry else {
            unreachable!()
        };
        assert_eq!(stored.record, v.record);
        assert_eq!(
            stored.envelope, v.envelope,
            "envelope and grading are stored losslessly"
        );
        assert_eq!(stored.hash, v.hash);
        assert_eq!(stored.version, 1);
        assert!(!stored.tombstone);
        assert_eq!(stored.source_line, v.provenance.line);
        assert_eq!(stored.source_cells, v.provenance.cells);
        assert_eq!(stored.batch_id, out.batch_id);
    }
    let head = s.head("RS_BP", "bb").unwrap().unwrap();
    assert_eq!(head.record.properties["name"], ["محمد أحمدي"]);
    assert_eq!(s.verify().unwrap(), 3);
}

fn reappend_is_a_no_op(f: &dyn Fixture) {
    let mut s = f.fresh();
    let entries = vec![person("RS_BP", "a", "Marko"), person("RS_BP", "b", "Ana")];
    s.append_batch(&batch(entries.clone())).unwrap();
    let again = s.append_batch(&batch(entries)).unwrap();
    assert_eq!(
        (again.appended, again.unchanged, again.log_position),
        (0, 2, 2)
    );
    let c = s.counts().unwrap();
    assert_eq!((c.live_records, c.log_entries, c.batches), (2, 2, 2));
}

fn changes_make_versions(f: &dyn Fixture) {
    let mut s = f.fresh();
    s.append_batch(&batch(vec![person("RS_BP", "a", "Marko")]))
        .unwrap();
    // A later submission of the same content is not a new version.
    let mut resent = person("RS_BP", "a", "Marko");
    if let Entry::Version(v) = &mut resent {
        v.envelope.submitted_at = "2025-06-01".into();
    }
    assert_eq!(s.append_batch(&batch(vec![resent])).unwrap().appended, 0);
    let out = s
        .append_batch(&batch(vec![person("RS_BP", "a", "Marko Marković")]))
        .unwrap();
    assert_eq!(out.appended, 1);
    // Reverting to the first content is a change from the current version: a third version.
    s.append_batch(&batch(vec![person("RS_BP", "a", "Marko")]))
        .unwrap();
    let versions = s.versions("RS_BP", "a").unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(versions[1].record.properties["name"], ["Marko Marković"]);
    assert!(versions.windows(2).all(|w| w[0].pos < w[1].pos));
    assert_eq!(s.head("RS_BP", "a").unwrap().unwrap().version, 3);
    // The same id from another originator is another record.
    s.append_batch(&batch(vec![person("MK_BP", "a", "Marko")]))
        .unwrap();
    assert_eq!(s.versions("MK_BP", "a").unwrap().len(), 1);
    assert_eq!(s.verify().unwrap(), 2);
}

fn duplicates_within_a_batch(f: &dyn Fixture) {
    let mut s = f.fresh();
    let out = s
        .append_batch(&batch(vec![
            person("RS_BP", "a", "Marko"),
            person("RS_BP", "a", "Marko"),
            person("RS_BP", "b", "Ana"),
            person("RS_BP", "b", "Ana Anić"),
        ]))
        .unwrap();
    assert_eq!((out.appended, out.unchanged), (3, 1));
    assert_eq!(s.head("RS_BP", "b").unwrap().unwrap().version, 2);
    assert_eq!(
        s.head("RS_BP", "b").unwrap().unwrap().record.properties["name"],
        ["Ana Anić"]
    );
    assert_eq!(s.verify().unwrap(), 2);
}

fn tombstone(originator: &str, id: &str, reason: &str) -> Entry {
    Entry::Tombstone(Tombstone {
        record_id: id.into(),
        schema: "Person".into(),
        envelope: envelope(originator, 1),
        reason: reason.into(),
    })
}

fn tombstones(f: &dyn Fixture) {
    let mut s = f.fresh();
    s.append_batch(&batch(vec![
        person("RS_BP", "a", "Marko"),
        person("RS_BP", "b", "Ana"),
    ]))
    .unwrap();
    let out = s
        .append_batch(&batch(vec![tombstone("RS_BP", "a", "wrong person")]))
        .unwrap();
    assert_eq!(out.appended, 1);
    let head = s.head("RS_BP", "a").unwrap().unwrap();
    assert!(head.tombstone);
    assert_eq!(
        (head.version, head.note.as_deref()),
        (2, Some("wrong person"))
    );
    assert_eq!(
        s.versions("RS_BP", "a").unwrap().len(),
        2,
        "the retracted version stays"
    );
    let again = s
        .append_batch(&batch(vec![tombstone("RS_BP", "a", "wrong person")]))
        .unwrap();
    assert_eq!((again.appended, again.unchanged), (0, 1));
    let live = s.scan_live(None, 100).unwrap();
    assert_eq!(
        live.iter()
            .map(|v| v.record.id.as_str())
            .collect::<Vec<_>>(),
        ["b"]
    );
    let c = s.counts().unwrap();
    assert_eq!((c.live_records, c.tombstones, c.log_entries), (1, 1, 3));
    // A new version after a tombstone brings the record back.
    s.append_batch(&batch(vec![person("RS_BP", "a", "Marko")]))
        .unwrap();
    let head = s.head("RS_BP", "a").unwrap().unwrap();
    assert!(!head.tombstone);
    assert_eq!(head.version, 3);
    assert_eq!(s.verify().unwrap(), 2);
}

fn failed_batch_commits_nothing(f: &dyn Fixture) {
    let mut s = f.fresh();
    s.append_batch(&batch(vec![person("RS_BP", "a", "Marko")]))
        .unwrap();
    let before = s.counts().unwrap();
    let err = s
        .append_batch(&batch(vec![
            person("RS_BP", "b", "Ana"),
            person("RS_BP", "a", "Marko Marković"),
            tombstone("RS_BP", "never-sent", "x"),
        ]))
        .unwrap_err();
    assert!(matches!(err, StoreError::UnknownRecord { .. }), "{err}");
    assert_eq!(s.counts().unwrap(), before);
    assert!(s.head("RS_BP", "b").unwrap().is_none());
    let too_many: Vec<Entry> = (0..=corridor_model::limits::BATCH_RECORDS_MAX)
        .map(|_| person("RS_BP", "x", "X"))
        .collect();
    assert!(matches!(
        s.append_batch(&batch(too_many)),
        Err(StoreError::BatchTooLarge { .. })
    ));
    assert_eq!(s.counts().unwrap(), before);
    // The store still works after the failures.
    assert_eq!(
        s.append_batch(&batch(vec![person("RS_BP", "b", "Ana")]))
            .unwrap()
            .appended,
        1
    );
}

fn scan_follows_positions(f: &dyn Fixture) {
    let mut s = f.fresh();
    for chunk in 0..5 {
        let entries = (0..7)
            .map(|i| person("AL_ASP", &format!("r{chunk}-{i}"), "Arbër Krasniqi"))
            .collect();
        s.append_batch(&batch(entries)).unwrap();
    }
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let page = s.scan(after, 4).unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 4);
        after = page.last().unwrap().pos;
        seen.extend(page.into_iter().map(|v| v.pos));
    }
    assert_eq!(seen.len(), 35);
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "positions strictly increase"
    );
    assert_eq!(*seen.last().unwrap(), s.log_position().unwrap());
}

fn scan_live_is_ordered_and_paged(f: &dyn Fixture) {
    let mut s = f.fresh();
    let ids = ["b", "B", "a", "ä", "a1", "Z", "é"];
    let entries = ids
        .iter()
        .flat_map(|id| [person("XK_KP", id, "N"), person("AL_ASP", id, "N")])
        .collect();
    s.append_batch(&batch(entries)).unwrap();
    let mut got = Vec::new();
    let mut after: Option<(String, String)> = None;
    loop {
        let page = s
            .scan_live(after.as_ref().map(|(o, r)| (o.as_str(), r.as_str())), 3)
            .unwrap();
        let Some(last) = page.last() else { break };
        after = Some((last.envelope.originator.clone(), last.record.id.clone()));
        got.extend(
            page.into_iter()
                .map(|v| (v.envelope.originator, v.record.id)),
        );
    }
    let mut want: Vec<(String, String)> = ids
        .iter()
        .flat_map(|id| {
            [
                ("XK_KP".to_owned(), id.to_string()),
                ("AL_ASP".to_owned(), id.to_string()),
            ]
        })
        .collect();
    want.sort();
    assert_eq!(got, want, "byte order of (originator, record id)");
}

fn sources_register_once(f: &dyn Fixture) {
    let mut s = f.fresh();
    let src = SourceInfo {
        name: "presevo.csv".into(),
        file_hash: "ab".repeat(32),
        format: "csv".into(),
        mapping_hash: "ef".repeat(32),
        header: Some(vec!["ime".into(), "prezime".into()]),
        mapping: Some("[source]\nagency = \"RS_BP\"\n".into()),
    };
    let a = s.register_source(&src).unwrap();
    let b = s.register_source(&src).unwrap();
    assert_eq!(a, b);
    let other = s
        .register_source(&SourceInfo {
            file_hash: "cd".repeat(32),
            ..src.clone()
        })
        .unwrap();
    assert_ne!(a, other);
    let remapped = s
        .register_source(&SourceInfo {
            mapping_hash: "01".repeat(32),
            ..src.clone()
        })
        .unwrap();
    assert_ne!(
        a, remapped,
        "the same file through another mapping is another source"
    );
    assert_eq!(s.committed_through(a).unwrap(), 0);
    for (first, last) in [(2, 40), (41, 97)] {
        let out = s
            .append_batch(&Batch {
                source_id: Some(a),
                first_line: Some(first),
                last_line: Some(last),
                entries: vec![person("RS_BP", &format!("r{first}"), "Marko")],
            })
            .unwrap();
        assert_eq!(out.appended, 1);
    }
    assert_eq!(s.committed_through(a).unwrap(), 97);
    assert_eq!(s.committed_through(other).unwrap(), 0);
    assert_eq!(s.counts().unwrap().sources, 3);
}

fn second_handle_sees_commits(f: &dyn Fixture) {
    let mut s = f.fresh();
    s.append_batch(&batch(vec![person("RS_BP", "a", "Marko")]))
        .unwrap();
    let mut other = f.reopen();
    assert_eq!(other.log_position().unwrap(), 1);
    assert_eq!(
        other.head("RS_BP", "a").unwrap().unwrap().record.properties["name"],
        ["Marko"]
    );
    other
        .append_batch(&batch(vec![person("RS_BP", "a", "Marko M")]))
        .unwrap();
    assert_eq!(s.head("RS_BP", "a").unwrap().unwrap().version, 2);
}

fn concurrent_writers_agree(f: &dyn Fixture) {
    let mut s = f.fresh();
    s.counts().unwrap();
    let writers = 3;
    let rounds = 20;
    std::thread::scope(|scope| {
        for w in 0..writers {
            let mut store = f.reopen();
            scope.spawn(move || {
                for round in 0..rounds {
                    // Every writer updates the same shared record and one of its own.
                    let entries = vec![
                        person("RS_BP", "shared", &format!("w{w} r{round}")),
                        person("RS_BP", &format!("own{w}"), &format!("r{round}")),
                    ];
                    store.append_batch(&batch(entries)).unwrap();
                }
            });
        }
    });
    let versions = s.versions("RS_BP", "shared").unwrap();
    assert_eq!(versions.len(), writers * rounds);
    assert!(
        versions
            .iter()
            .enumerate()
            .all(|(i, v)| v.version == i as i64 + 1)
    );
    assert!(versions.windows(2).all(|w| w[0].pos < w[1].pos));
    assert_eq!(
        s.counts().unwrap().log_entries as usize,
        2 * writers * rounds
    );
    assert_eq!(s.verify().unwrap(), 1 + writers as u64);
}

fn judgement(a: &str, b: &str, same: bool) -> NewJudgement {
    NewJudgement {
        a: RecordKey::new("RS_BP", a),
        b: RecordKey::new("UK_NCA", b),
        same,
        analyst: "analyst.one".into(),
        reason: "Видео исти пасош; same passport photo".into(),
    }
}

fn judgements_are_kept_in_order(f: &dyn Fixture) {
    let mut s = f.fresh();
    assert_eq!(s.judgement_position().unwrap(), 0);
    let first = s.add_judgement(&judgement("a", "b", true)).unwrap();
    let second = s.add_judgement(&judgement("a", "b", false)).unwrap();
    assert!(second > first, "judgement ids grow");
    assert_eq!(s.judgement_position().unwrap(), second);
    let all = s.judgements(0).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].judgement, judgement("a", "b", true));
    assert!(
        !all[1].judgement.same,
        "a changed mind is a newer judgement"
    );
    assert_eq!(s.judgements(first).unwrap().len(), 1);
    let mut self_pair = judgement("a", "a", true);
    self_pair.b = self_pair.a.clone();
    assert!(matches!(
        s.add_judgement(&self_pair),
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(
        s.judgements(0).unwrap().len(),
        2,
        "a refused judgement is not kept"
    );
}

fn member(o: &str, r: &str, subject: &str, via: Option<(&str, &str, f64)>) -> SubjectMember {
    SubjectMember {
        record: RecordKey::new(o, r),
        kind: "person".into(),
        subject_id: subject.into(),
        via: via.map(|(o, r, w)| (RecordKey::new(o, r), w)),
    }
}

fn info(log_position: i64, subjects: u64) -> ResolutionInfo {
    ResolutionInfo {
        kind: "person".into(),
        log_position,
        judgement_id: 0,
        method: "probabilistic".into(),
        model: "{}".into(),
        records: 3,
        subjects,
        next_subject: subjects + 1,
        resolved_at: "2026-11-27T12:00:00Z".into(),
    }
}

fn subjects_replace_and_update(f: &dyn Fixture) {
    let mut s = f.fresh();
    assert!(s.resolution("person").unwrap().is_none());
    let first = vec![
        member("RS_BP", "1", "P-1", None),
        member("UK_NCA", "9", "P-1", Some(("RS_BP", "1", 14.5))),
        member("MK_BP", "2", "P-2", None),
    ];
    s.write_subjects(&info(10, 2), None, SubjectWrite::Replace, &first, &[])
        .unwrap();
    assert_eq!(s.resolution("person").unwrap().unwrap(), info(10, 2));
    let p1 = s.subject_members("P-1").unwrap();
    assert_eq!(p1, vec![first[0].clone(), first[1].clone()], "key order");
    assert_eq!(
        s.subject_of(&RecordKey::new("UK_NCA", "9")).unwrap(),
        Some(first[1].clone())
    );
    // An update moves one record, adds one and removes one; the rest stay.
    let moved = member("MK_BP", "2", "P-1", Some(("RS_BP", "1", 3.25)));
    let added = member("XK_KP", "7", "P-3", None);
    s.write_subjects(
        &info(12, 2),
        Some(10),
        SubjectWrite::Update,
        &[moved.clone(), added.clone()],
        &[RecordKey::new("UK_NCA", "9")],
    )
    .unwrap();
    assert_eq!(
        s.subject_members("P-1").unwrap(),
        vec![moved.clone(), first[0].clone()]
    );
    assert!(
        s.subject_of(&RecordKey::new("UK_NCA", "9"))
            .unwrap()
            .is_none()
    );
    let scanned = s.scan_subjects("person", None, 2).unwrap();
    assert_eq!(scanned, vec![moved.clone(), first[0].clone()]);
    let rest = s
        .scan_subjects("person", Some(&scanned[1].record), 10)
        .unwrap();
    assert_eq!(rest, vec![added]);
    assert!(s.scan_subjects("phone", None, 10).unwrap().is_empty());
    // A full run replaces every member of the kind.
    s.write_subjects(
        &info(20, 1),
        Some(12),
        SubjectWrite::Replace,
        &[member("RS_BP", "1", "P-1", None)],
        &[],
    )
    .unwrap();
    assert_eq!(s.scan_subjects("person", None, 10).unwrap().len(), 1);
    assert!(s.subject_members("P-3").unwrap().is_empty());
}

fn subject_writes_detect_conflicts(f: &dyn Fixture) {
    let mut s = f.fresh();
    let one = [member("RS_BP", "1", "P-1", None)];
    s.write_subjects(&info(5, 1), None, SubjectWrite::Replace, &one, &[])
        .unwrap();
    // A second run that started before the first committed must not overwrite it.
    let err = s
        .write_subjects(&info(6, 1), None, SubjectWrite::Replace, &one, &[])
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    let err = s
        .write_subjects(&info(6, 1), Some(4), SubjectWrite::Update, &one, &[])
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert_eq!(s.resolution("person").unwrap().unwrap().log_position, 5);
    let mut other = f.reopen();
    other
        .write_subjects(&info(6, 1), Some(5), SubjectWrite::Update, &one, &[])
        .unwrap();
    assert_eq!(s.resolution("person").unwrap().unwrap().log_position, 6);
}

fn audit_row(seq: i64) -> AuditRow {
    AuditRow {
        seq,
        at: "2026-11-27T12:00:00Z".into(),
        actor: "uk.analyst".into(),
        agency: "UK_NCA".into(),
        origin: "127.0.0.1".into(),
        action: "consultation".into(),
        justification: "Operation Kestrel".into(),
        detail: "{}".into(),
        prev_hash: vec![0; 32],
        hash: vec![seq as u8; 32],
    }
}

fn policy_writes_are_atomic(f: &dyn Fixture) {
    let mut s = f.fresh();
    assert!(s.audit_tail().unwrap().is_none());
    let doc = |id: &str, body: &str| PolicyDoc {
        kind: "grant".into(),
        id: id.into(),
        body: body.into(),
    };
    s.write_policy(&audit_row(1), &[doc("g1", "one")]).unwrap();
    s.write_policy(&audit_row(2), &[doc("g1", "two"), doc("g2", "x")])
        .unwrap();
    // The same place in the chain twice: refused, and the document with it is not written.
    assert!(s.write_policy(&audit_row(2), &[doc("g3", "y")]).is_err());
    assert!(s.policy_doc("grant", "g3").unwrap().is_none());
    assert_eq!(s.policy_doc("grant", "g1").unwrap().unwrap().body, "two");
    let ids: Vec<String> = s
        .policy_docs("grant", "", 10)
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(ids, ["g1", "g2"]);
    assert_eq!(s.policy_docs("grant", "g1", 10).unwrap().len(), 1);
    let rows = s.audit_entries(0, 10).unwrap();
    assert_eq!(rows, vec![audit_row(1), audit_row(2)]);
    assert_eq!(s.audit_tail().unwrap(), Some(audit_row(2)));
    assert_eq!(s.audit_entries(1, 10).unwrap(), vec![audit_row(2)]);
    let c = AuditCheckpoint {
        seq: 2,
        hash: vec![2; 32],
        public_key: vec![7; 32],
        signature: vec![9; 64],
        signed_at: "2026-11-27T12:00:01Z".into(),
    };
    s.add_audit_checkpoint(&c).unwrap();
    assert_eq!(s.audit_checkpoints(0, 10).unwrap(), vec![c]);
    assert!(s.audit_checkpoints(2, 10).unwrap().is_empty());
    // Group commit: several entries in one transaction, all or nothing.
    s.write_policy_batch(&[
        (audit_row(3), vec![doc("g4", "three")]),
        (audit_row(4), vec![]),
    ])
    .unwrap();
    assert!(
        s.write_policy_batch(&[(audit_row(5), vec![doc("g5", "z")]), (audit_row(4), vec![])])
            .is_err()
    );
    assert!(s.policy_doc("grant", "g5").unwrap().is_none());
    assert_eq!(s.audit_tail().unwrap(), Some(audit_row(4)));
    assert_eq!(s.policy_doc("grant", "g4").unwrap().unwrap().body, "three");
    s.write_policy_batch(&[]).unwrap();
    assert_eq!(s.audit_entries(0, 10).unwrap().len(), 4);
}

fn erasure_audits_first_and_removes_every_version(f: &dyn Fixture) {
    let mut s = f.fresh();
    s.append_batch(&batch(vec![
        person("RS_BP", "gone", "Marko Marković"),
        person("RS_BP", "kept", "Jovan Jovanović"),
    ]))
    .unwrap();
    s.append_batch(&batch(vec![person("RS_BP", "gone", "Marko Markovic")]))
        .unwrap();
    s.write_subjects(
        &info(3, 1),
        None,
        SubjectWrite::Replace,
        &[
            member("RS_BP", "gone", "P-1", None),
            member("RS_BP", "kept", "P-1", Some(("RS_BP", "gone", 9.5))),
        ],
        &[],
    )
    .unwrap();
    let gone = RecordKey::new("RS_BP", "gone");
    let mut entry = audit_row(1);
    entry.action = "erasure".into();
    s.write_policy(&entry, &[]).unwrap();
    // A taken place in the audit chain: nothing is erased.
    assert!(s.erase_record(&entry, &gone).is_err());
    assert_eq!(s.versions("RS_BP", "gone").unwrap().len(), 2);
    assert!(s.erasures(0, 10).unwrap().is_empty());
    // A record that does not exist: refused, and no audit entry is written.
    let mut second = audit_row(2);
    second.action = "erasure".into();
    assert!(matches!(
        s.erase_record(&second, &RecordKey::new("RS_BP", "never")),
        Err(StoreError::UnknownRecord { .. })
    ));
    assert_eq!(s.audit_tail().unwrap().map(|t| t.seq), Some(1));

    assert_eq!(s.erase_record(&second, &gone).unwrap(), 2);
    assert!(s.head("RS_BP", "gone").unwrap().is_none());
    assert!(s.versions("RS_BP", "gone").unwrap().is_empty());
    assert!(
        s.scan(0, 100)
            .unwrap()
            .iter()
            .all(|v| v.record.id != "gone")
    );
    let live: Vec<String> = s
        .scan_live(None, 100)
        .unwrap()
        .into_iter()
        .map(|v| v.record.id)
        .collect();
    assert_eq!(live, ["kept"]);
    assert_eq!(s.audit_tail().unwrap(), Some(second.clone()));
    let erased = s.erasures(0, 10).unwrap();
    assert_eq!(erased.len(), 1);
    assert_eq!(erased[0].record, gone);
    assert_eq!(erased[0].versions, 2);
    assert_eq!(erased[0].audit_seq, 2);
    assert_eq!(erased[0].through_pos, 3);
    // The erased record left its subject, and the link through it is gone.
    assert!(s.subject_of(&gone).unwrap().is_none());
    let kept = s
        .subject_of(&RecordKey::new("RS_BP", "kept"))
        .unwrap()
        .unwrap();
    assert_eq!(kept.via, None);
    // The log still checks, and the counts no longer include it.
    assert_eq!(s.verify().unwrap(), 1);
    let counts = s.counts().unwrap();
    assert_eq!((counts.live_records, counts.log_entries), (1, 1));
    // Sent again, the record starts afresh, and its new version is protected again.
    s.append_batch(&batch(vec![person("RS_BP", "gone", "Marko Marković")]))
        .unwrap();
    assert_eq!(s.head("RS_BP", "gone").unwrap().unwrap().version, 1);
    assert_eq!(s.verify().unwrap(), 2);
}

/// A ledger row of `originator` (TLP:AMBER, as FIUs grade).
pub fn ledger_row(originator: &str, tx_id: &str, ts_seconds: i64, amount_minor: i64) -> LedgerRow {
    LedgerRow {
        originator: originator.into(),
        tx_id: tx_id.into(),
        ts_seconds,
        from_account: "RS35105008123123123173".into(),
        to_account: "HWL-P0000042".into(),
        amount_minor,
        currency: "EUR".into(),
        channel: "hawala".into(),
        handling: grading("tlp", &[("tlp", "AMBER")]),
        source_line: Some(2),
    }
}

fn ledger_appends_once(f: &dyn Fixture) {
    let mut s = f.fresh();
    assert_eq!(s.ledger_len().unwrap(), 0);
    let rows = vec![
        ledger_row("RS_FIU", "T1", 100, 50_000),
        ledger_row("RS_FIU", "T2", 100, 70_000),
        // Another originator may use the same id: it is another transaction.
        ledger_row("UK_FIU", "T1", 50, 50_000),
    ];
    let out = s.append_ledger(Some(1), &rows).unwrap();
    assert_eq!((out.appended, out.unchanged), (3, 0));
    assert!(out.conflicts.is_empty());
    // Re-sending is a no-op, whatever line the row now comes from.
    let mut again = rows.clone();
    again[0].source_line = Some(99);
    let out = s.append_ledger(None, &again).unwrap();
    assert_eq!((out.appended, out.unchanged), (0, 3));
    // Other content under a stored id is refused and reported; the rest of the call is written,
    // and a repeat within one call is compared with the row the call wrote.
    let mut changed = ledger_row("RS_FIU", "T2", 100, 70_001);
    changed.channel = "cash".into();
    let out = s
        .append_ledger(
            None,
            &[
                ledger_row("RS_FIU", "T3", 300, 10_000),
                changed,
                ledger_row("RS_FIU", "T3", 300, 10_000),
                ledger_row("RS_FIU", "T3", 300, 10_002),
            ],
        )
        .unwrap();
    assert_eq!((out.appended, out.unchanged), (1, 1));
    assert_eq!(
        out.conflicts.iter().map(|c| c.index).collect::<Vec<_>>(),
        [1, 3]
    );
    assert!(out.conflicts[0].reason.contains("append-only"));
    assert_eq!(s.ledger_len().unwrap(), 4);
    let t2 = s
        .scan_ledger(None, 10)
        .unwrap()
        .into_iter()
        .find(|r| r.tx_id == "T2")
        .unwrap();
    assert_eq!((t2.amount_minor, t2.channel.as_str()), (70_000, "hawala"));
    // An invalid row fails the whole call and writes nothing.
    let err = s
        .append_ledger(
            None,
            &[
                ledger_row("RS_FIU", "T4", 400, 1),
                ledger_row("RS_FIU", "T5", 400, 0),
            ],
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    let too_many: Vec<LedgerRow> = (0..=crate::LEDGER_BATCH_MAX)
        .map(|i| ledger_row("RS_FIU", &format!("X{i}"), 1, 1))
        .collect();
    assert!(matches!(
        s.append_ledger(None, &too_many),
        Err(StoreError::BatchTooLarge { .. })
    ));
    assert_eq!(s.ledger_len().unwrap(), 4);
    // A second handle sees what was committed, with the handling as sent.
    let mut other = f.reopen();
    let first = other.scan_ledger(None, 1).unwrap();
    assert_eq!(first, [ledger_row("UK_FIU", "T1", 50, 50_000)]);
}

fn ledger_scans_in_canonical_order(f: &dyn Fixture) {
    let mut s = f.fresh();
    // Arrival order differs from the canonical one; equal times order by id, then originator.
    let rows: Vec<LedgerRow> = [
        ("RS_FIU", "b", 20),
        ("RS_FIU", "a", 20),
        ("AL_FIU", "a", 20),
        ("RS_FIU", "z", -5),
        ("RS_FIU", "c", 7),
    ]
    .iter()
    .map(|(o, id, ts)| ledger_row(o, id, *ts, 100))
    .collect();
    s.append_ledger(None, &rows[..2]).unwrap();
    s.append_ledger(None, &rows[2..]).unwrap();
    let mut seen: Vec<LedgerKey> = Vec::new();
    let mut after: Option<LedgerKey> = None;
    loop {
        let page = s.scan_ledger(after.as_ref(), 2).unwrap();
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = Some(last.key());
        seen.extend(page.iter().map(LedgerRow::key));
    }
    let want: Vec<(i64, &str, &str)> = vec![
        (-5, "z", "RS_FIU"),
        (7, "c", "RS_FIU"),
        (20, "a", "AL_FIU"),
        (20, "a", "RS_FIU"),
        (20, "b", "RS_FIU"),
    ];
    let got: Vec<(i64, &str, &str)> = seen
        .iter()
        .map(|k| (k.ts_seconds, k.tx_id.as_str(), k.originator.as_str()))
        .collect();
    assert_eq!(got, want);
    let mut all = Vec::new();
    crate::for_each_ledger(s.as_mut(), |r| -> Result<(), StoreError> {
        all.push(r.key());
        Ok(())
    })
    .unwrap();
    assert_eq!(all, seen);
}
