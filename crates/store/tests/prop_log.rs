//! The record log against a reference model of its documented semantics, over random sequences
//! of batches on a key space small enough that records are revised, retracted, revived and
//! re-sent many times:
//!
//! - a version whose content equals the record's current, non-retracted version is skipped;
//! - a tombstone of a record already retracted is skipped, whatever its reason;
//! - a tombstone of a record never sent fails the whole batch, which then commits nothing;
//! - each record's versions are numbered 1, 2, 3, … and log positions only grow.

use std::collections::BTreeMap;

use corridor_store::conformance::{envelope, person};
use corridor_store::{Batch, Entry, SqliteStore, Store, StoreError, Tombstone};
use proptest::prelude::*;

const ORIGINATORS: [&str; 2] = ["RS_BP", "AL_ASP"];
/// Distinct lengths, because `conformance::person` grades by id length: the hash then covers
/// three gradings, and a record's grading stays fixed, so its content is fixed by its name.
const IDS: [&str; 4] = ["a", "bb", "ccc", "dddd"];
const NAMES: [&str; 3] = ["Marko", "Ђорђе Јовановић", "محمد أحمدي"];
const REASONS: [&str; 2] = ["wrong person", "duplicate of another record"];

#[derive(Debug, Clone, Copy)]
enum Op {
    Version {
        originator: usize,
        id: usize,
        name: usize,
    },
    Tombstone {
        originator: usize,
        id: usize,
        reason: usize,
    },
}

type Key = (usize, usize);

impl Op {
    fn key(self) -> Key {
        match self {
            Op::Version { originator, id, .. } | Op::Tombstone { originator, id, .. } => {
                (originator, id)
            }
        }
    }

    fn entry(self) -> Entry {
        match self {
            Op::Version {
                originator,
                id,
                name,
            } => person(ORIGINATORS[originator], IDS[id], NAMES[name]),
            // As the conformance suite builds them: the retracting envelope's grading need not
            // be the record's.
            Op::Tombstone {
                originator,
                id,
                reason,
            } => Entry::Tombstone(Tombstone {
                record_id: IDS[id].into(),
                schema: "Person".into(),
                envelope: envelope(ORIGINATORS[originator], 1),
                reason: REASONS[reason].into(),
            }),
        }
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..ORIGINATORS.len(), 0..IDS.len(), 0..NAMES.len())
            .prop_map(|(originator, id, name)| Op::Version { originator, id, name }),
        1 => (0..ORIGINATORS.len(), 0..IDS.len(), 0..REASONS.len())
            .prop_map(|(originator, id, reason)| Op::Tombstone { originator, id, reason }),
    ]
}

/// One version as the reference model keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kept {
    Named(usize),
    Retracted(usize),
}

/// The log as the documentation describes it.
#[derive(Debug, Clone, Default)]
struct Reference {
    records: BTreeMap<Key, Vec<Kept>>,
    /// Every log entry in position order: whose, and which version of it.
    log: Vec<(Key, usize)>,
    batches: u64,
}

impl Reference {
    /// Applies a batch all or nothing: the appended and unchanged counts, or the record a
    /// tombstone named that does not exist.
    fn apply(&mut self, ops: &[Op]) -> Result<(u64, u64), Key> {
        let mut next = self.clone();
        let (mut appended, mut unchanged) = (0u64, 0u64);
        for &op in ops {
            let key = op.key();
            let head = next.records.get(&key).and_then(|v| v.last()).copied();
            let kept = match (op, head) {
                (Op::Version { name, .. }, Some(Kept::Named(current))) if current == name => None,
                (Op::Version { name, .. }, _) => Some(Kept::Named(name)),
                (Op::Tombstone { .. }, Some(Kept::Retracted(_))) => None,
                (Op::Tombstone { reason, .. }, Some(Kept::Named(_))) => {
                    Some(Kept::Retracted(reason))
                }
                (Op::Tombstone { .. }, None) => return Err(key),
            };
            match kept {
                None => unchanged += 1,
                Some(kept) => {
                    let versions = next.records.entry(key).or_default();
                    versions.push(kept);
                    next.log.push((key, versions.len()));
                    appended += 1;
                }
            }
        }
        next.batches += 1;
        *self = next;
        Ok((appended, unchanged))
    }
}

fn check_version(
    stored: &corridor_store::StoredVersion,
    kept: Kept,
    version: usize,
    key: Key,
) -> Result<(), TestCaseError> {
    let what = format!("{}/{} v{version}", ORIGINATORS[key.0], IDS[key.1]);
    prop_assert_eq!(stored.version, version as i64, "{}", what);
    match kept {
        Kept::Named(name) => {
            prop_assert!(!stored.tombstone, "{} is not a tombstone", what);
            prop_assert_eq!(
                stored.record.properties.get("name"),
                Some(&vec![NAMES[name].to_owned()]),
                "{}",
                what
            );
        }
        Kept::Retracted(reason) => {
            prop_assert!(stored.tombstone, "{} is a tombstone", what);
            prop_assert_eq!(stored.note.as_deref(), Some(REASONS[reason]), "{}", what);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn log_follows_the_reference_model(
        batches in prop::collection::vec(prop::collection::vec(op(), 0..=8), 0..=12),
    ) {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let mut reference = Reference::default();
        for (i, ops) in batches.iter().enumerate() {
            let batch = Batch {
                entries: ops.iter().map(|op| op.entry()).collect(),
                ..Batch::default()
            };
            let before = store.counts().unwrap();
            match (reference.apply(ops), store.append_batch(&batch)) {
                (Ok((appended, unchanged)), Ok(out)) => {
                    prop_assert_eq!(
                        (out.appended, out.unchanged),
                        (appended, unchanged),
                        "batch {}: {:?}",
                        i,
                        ops
                    );
                    prop_assert_eq!(out.log_position, reference.log.len() as i64, "batch {}", i);
                }
                (Err(key), Err(StoreError::UnknownRecord { originator, record_id })) => {
                    prop_assert_eq!(
                        (originator.as_str(), record_id.as_str()),
                        (ORIGINATORS[key.0], IDS[key.1]),
                        "batch {}",
                        i
                    );
                    prop_assert_eq!(store.counts().unwrap(), before, "failed batch {} committed", i);
                }
                (want, got) => {
                    prop_assert!(false, "batch {} {:?}: model {:?}, store {:?}", i, ops, want, got);
                }
            }
        }

        for (originator, &o) in ORIGINATORS.iter().enumerate() {
            for (id, &r) in IDS.iter().enumerate() {
                let key = (originator, id);
                let kept = reference.records.get(&key).cloned().unwrap_or_default();
                let head = store.head(o, r).unwrap();
                match (kept.last(), &head) {
                    (None, None) => {}
                    (Some(&last), Some(head)) => check_version(head, last, kept.len(), key)?,
                    _ => prop_assert!(false, "{}/{}: model {:?}, head {:?}", o, r, kept, head),
                }
                let versions = store.versions(o, r).unwrap();
                prop_assert_eq!(versions.len(), kept.len(), "versions of {}/{}", o, r);
                for (n, (stored, &want)) in versions.iter().zip(&kept).enumerate() {
                    check_version(stored, want, n + 1, key)?;
                }
                prop_assert!(
                    versions.windows(2).all(|w| w[0].pos < w[1].pos),
                    "positions of {}/{} increase",
                    o,
                    r
                );
            }
        }

        let scanned = store.scan(0, 10_000).unwrap();
        let positions: Vec<i64> = scanned.iter().map(|v| v.pos).collect();
        let want_positions: Vec<i64> = (1..=reference.log.len() as i64).collect();
        prop_assert_eq!(positions, want_positions, "positions are 1, 2, 3, … in append order");
        let order: Vec<(&str, &str, i64)> = scanned
            .iter()
            .map(|v| (v.envelope.originator.as_str(), v.record.id.as_str(), v.version))
            .collect();
        let want_order: Vec<(&str, &str, i64)> = reference
            .log
            .iter()
            .map(|&((o, r), version)| (ORIGINATORS[o], IDS[r], version as i64))
            .collect();
        prop_assert_eq!(order, want_order, "log order");

        let heads: Vec<Kept> = reference.records.values().filter_map(|v| v.last().copied()).collect();
        let counts = store.counts().unwrap();
        prop_assert_eq!(
            counts.live_records,
            heads.iter().filter(|k| matches!(k, Kept::Named(_))).count() as u64
        );
        prop_assert_eq!(counts.log_entries, reference.log.len() as u64);
        prop_assert_eq!(
            counts.tombstones,
            reference
                .records
                .values()
                .flatten()
                .filter(|k| matches!(k, Kept::Retracted(_)))
                .count() as u64
        );
        prop_assert_eq!(counts.batches, reference.batches);
        prop_assert_eq!(counts.sources, 0);
        prop_assert_eq!(counts.log_position, reference.log.len() as i64);
        prop_assert_eq!(store.verify().unwrap(), reference.records.len() as u64);
    }
}
