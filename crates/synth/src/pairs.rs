//! `truth/pairs.csv`: labelled record pairs for measuring resolution, FEBRL-style. Every pair of
//! records of the same person is a true pair (up to a bound per person); hard negatives are
//! pairs of records of *different* persons with the same name and nationality — the "many
//! Mohammad Ahmadi, AFG" problem — and records of siblings travelling together (same family and
//! father's name, one payer at home), sampled to about a tenth of the file.

use std::collections::BTreeMap;
use std::io::{self, BufWriter};
use std::path::Path;

use rand::Rng;

use crate::rng::stream;
use crate::world::World;

/// Most true pairs written per person (a migrant stopped 15 times has 105).
pub const TRUE_PAIRS_PER_PERSON_MAX: usize = 120;

/// Share of the file that is hard negatives.
pub const HARD_NEGATIVE_SHARE: f64 = 0.10;

/// Writes the pairs of `records` ((person index, "AGENCY/record id"), sorted by person).
pub(crate) fn write(
    records: &[(u32, Box<str>)],
    world: &World,
    seed: u64,
    path: &Path,
) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(BufWriter::new(std::fs::File::create(path)?));
    out.write_record(["record_a", "record_b", "same_person", "hard_negative"])?;
    let mut true_pairs = 0u64;
    for group in records.chunk_by(|a, b| a.0 == b.0) {
        let mut written = 0;
        'person: for (i, a) in group.iter().enumerate() {
            for b in &group[i + 1..] {
                if written == TRUE_PAIRS_PER_PERSON_MAX {
                    break 'person;
                }
                out.write_record([&*a.1, &*b.1, "1", "0"])?;
                written += 1;
            }
        }
        true_pairs += written as u64;
    }
    // Persons by (given, family, nationality): records of different persons in one bucket look
    // alike on every field an agency writes down.
    let mut buckets: BTreeMap<(usize, usize, &str), Vec<usize>> = BTreeMap::new();
    for (i, (person, _)) in records.iter().enumerate() {
        let p = &world.persons[*person as usize];
        buckets
            .entry((p.given, p.family, p.nationality))
            .or_default()
            .push(i);
    }
    // Siblings: migrants with one payer (a family travelling together).
    let mut payer_of: Vec<u32> = vec![u32::MAX; world.persons.len()];
    for j in &world.journeys {
        payer_of[j.migrant as usize] = j.payer;
    }
    let mut families: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, (person, _)) in records.iter().enumerate() {
        let payer = payer_of[*person as usize];
        if payer != u32::MAX {
            families.entry(payer).or_default().push(i);
        }
    }
    families.retain(|_, recs| recs.iter().any(|&r| records[r].0 != records[recs[0]].0));
    let wanted = (true_pairs as f64 * HARD_NEGATIVE_SHARE / (1.0 - HARD_NEGATIVE_SHARE)) as u64;
    let candidates: Vec<&Vec<usize>> = buckets
        .values()
        .chain(families.values())
        .filter(|b| b.len() > 1)
        .collect();
    let mut rng = stream(seed, "truth/pairs");
    let mut negatives = 0u64;
    // Bounded: each try picks two records of one bucket, and most tries succeed.
    let tries_max = wanted.saturating_mul(20);
    let mut tries = 0u64;
    while negatives < wanted && !candidates.is_empty() && tries < tries_max {
        tries += 1;
        let bucket = candidates[rng.random_range(0..candidates.len())];
        let a = &records[bucket[rng.random_range(0..bucket.len())]];
        let b = &records[bucket[rng.random_range(0..bucket.len())]];
        if a.0 != b.0 {
            out.write_record([&*a.1, &*b.1, "0", "1"])?;
            negatives += 1;
        }
    }
    out.flush()
}
