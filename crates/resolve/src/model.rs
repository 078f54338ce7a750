//! The Fellegi–Sunter model: per comparison and level, m (probability of the level among
//! matching pairs) and u (among non-matching pairs); the match weight of a level is
//! log2(m / u), and a pair's match weight is the prior's log2 odds plus the weights of its
//! levels. u is estimated from random pairs, m by expectation–maximisation over candidate pairs,
//! the prior from the expected number of matches; no labels are needed.

use serde::{Deserialize, Serialize};

use crate::block::BlockingRule;
use crate::compare::Comparator;
use crate::table::Role;

/// Bits of a pattern code per comparison (levels < 16).
pub const LEVEL_BITS: u32 = 4;
/// Comparisons per model: a pattern code is one `u64`.
pub const COMPARISONS_MAX: usize = (u64::BITS / LEVEL_BITS) as usize;
/// The format of `model.json`; bumped when a field changes meaning.
pub const MODEL_FORMAT: u32 = 1;
/// Smallest m or u probability: keeps weights finite when a level was never seen.
pub const PROBABILITY_MIN: f64 = 1e-6;

/// The level of comparison `c` in a pattern code.
#[inline]
pub fn level_of(code: u64, c: usize) -> u8 {
    ((code >> (LEVEL_BITS as usize * c)) & 0xF) as u8
}

/// One field's comparison and its trained parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComparisonModel {
    /// The compared field's header, for people reading explanations.
    pub name: String,
    /// The field's role.
    pub role: Role,
    /// Which occurrence of the role.
    #[serde(default)]
    pub occurrence: u8,
    /// How values are compared.
    pub comparator: Comparator,
    /// Whether exact agreement is weighted by how rare the value is.
    pub term_frequency: bool,
    /// m per level; index 0 (missing) is unused and kept at 1.
    pub m: Vec<f64>,
    /// u per level; index 0 (missing) is unused and kept at 1.
    pub u: Vec<f64>,
}

impl ComparisonModel {
    /// An untrained comparison with neutral starting values.
    pub fn new(name: &str, role: Role, occurrence: u8, comparator: Comparator) -> Self {
        let levels = comparator.levels();
        let mut m = vec![1.0; levels];
        let mut u = vec![1.0; levels];
        // Start EM from "exact is likely for matches, rare for non-matches".
        let rest = (levels - 2) as f64;
        for l in 1..levels {
            if l == 1 {
                m[l] = 0.8;
                u[l] = 0.01;
            } else {
                m[l] = 0.2 / rest;
                u[l] = 0.99 / rest;
            }
        }
        ComparisonModel {
            name: name.to_string(),
            role,
            occurrence,
            comparator,
            term_frequency: comparator.term_frequency_default(),
            m,
            u,
        }
    }

    /// log2(m/u) of a level; 0 for "missing".
    pub fn weight(&self, level: u8) -> f64 {
        if level == 0 {
            return 0.0;
        }
        let l = level as usize;
        (self.m[l].max(PROBABILITY_MIN) / self.u[l].max(PROBABILITY_MIN)).log2()
    }

    /// The weight of a level when scoring: [`ComparisonModel::weight`], except that a conflict
    /// weighs at most [`CONFLICT_WEIGHT`]: two identifiers (document numbers, national numbers,
    /// fingerprint hashes) both present and "different", or two full dates of birth (neither
    /// partial nor a 01-01 placeholder) that are different birthdays beyond a typing slip. EM, fed many same-name
    /// non-matches in its blocks, learns these levels far too mild; training keeps the learned
    /// weight so that the cap does not feed back into it.
    pub fn score_weight(&self, level: u8) -> f64 {
        let w = self.weight(level);
        let conflict = level as usize == self.m.len() - 1
            && matches!(self.comparator, Comparator::Identifier | Comparator::Date);
        if conflict { w.min(CONFLICT_WEIGHT) } else { w }
    }
}

/// A trained model, as written to `model.json` and read back with `--model`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// [`MODEL_FORMAT`].
    pub format: u32,
    /// The comparisons, at most [`COMPARISONS_MAX`].
    pub comparisons: Vec<ComparisonModel>,
    /// The blocking rules predictions use.
    pub blocking: Vec<String>,
    /// Probability that two records drawn at random are a match (the prior).
    pub probability_two_random_records_match: f64,
    /// How the parameters were obtained, for the record.
    #[serde(default)]
    pub training: TrainingReport,
}

/// What training did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingReport {
    /// Random pairs used for u.
    pub u_pairs_sampled: u64,
    /// EM sessions, one per blocking rule: the rule, its pairs, iterations and estimated share
    /// of matches among its pairs.
    pub sessions: Vec<SessionReport>,
    /// Labelled pairs used for m, when trained from labels.
    #[serde(default)]
    pub labelled_pairs: u64,
}

/// One EM session.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionReport {
    /// The blocking rule whose pairs were used (its fields' m are not estimated from them).
    pub rule: String,
    /// Candidate pairs agreeing on the rule's key.
    pub pairs: u64,
    /// Iterations until convergence (or the limit).
    pub iterations: u32,
    /// Estimated share of matches among the pairs.
    pub match_share: f64,
}

impl Model {
    /// log2 of the prior odds.
    pub fn prior_weight(&self) -> f64 {
        let p = self
            .probability_two_random_records_match
            .clamp(PROBABILITY_MIN * PROBABILITY_MIN, 1.0 - PROBABILITY_MIN);
        (p / (1.0 - p)).log2()
    }

    /// The blocking rules, parsed.
    pub fn blocking_rules(&self) -> Result<Vec<BlockingRule>, String> {
        self.blocking
            .iter()
            .map(|r| BlockingRule::parse(r))
            .collect()
    }

    /// Checks the invariants a model read from a file must keep.
    pub fn check(&self) -> Result<(), String> {
        if self.format != MODEL_FORMAT {
            return Err(format!(
                "model format {} (this build reads {MODEL_FORMAT})",
                self.format
            ));
        }
        if self.comparisons.is_empty() || self.comparisons.len() > COMPARISONS_MAX {
            return Err(format!(
                "{} comparisons (1..={COMPARISONS_MAX} allowed)",
                self.comparisons.len()
            ));
        }
        for c in &self.comparisons {
            let levels = c.comparator.levels();
            if c.m.len() != levels || c.u.len() != levels {
                return Err(format!(
                    "comparison '{}': {} levels expected for {:?}",
                    c.name, levels, c.comparator
                ));
            }
            if c.m
                .iter()
                .chain(&c.u)
                .any(|p| !(p.is_finite() && *p >= 0.0 && *p <= 1.0))
            {
                return Err(format!(
                    "comparison '{}': probability outside 0..=1",
                    c.name
                ));
            }
        }
        let p = self.probability_two_random_records_match;
        if !(p > 0.0 && p < 1.0) {
            return Err(format!("prior {p} outside (0, 1)"));
        }
        self.blocking_rules()?;
        Ok(())
    }
}

/// Most a conflicting identifier or date of birth may weigh when scoring: strong evidence of
/// different people however the training data ran.
pub const CONFLICT_WEIGHT: f64 = -10.0;

/// Converts a match weight (log2 odds) to a probability.
pub fn probability(weight: f64) -> f64 {
    let odds = weight.exp2();
    if odds.is_infinite() {
        1.0
    } else {
        odds / (1.0 + odds)
    }
}

/// Pattern counts: a distinct comparison vector and how many pairs have it.
pub type PatternCounts = Vec<(u64, f64)>;

/// Expectation–maximisation of m and the match share over pattern counts, u fixed. Comparisons
/// with `free[c] == false` take no part (their agreement is implied by how the pairs were
/// chosen). Returns the iterations used and the match share; updates `comparisons[c].m` for free
/// comparisons.
pub fn expectation_maximisation(
    comparisons: &mut [ComparisonModel],
    patterns: &PatternCounts,
    free: &[bool],
    iterations_max: u32,
) -> (u32, f64) {
    assert_eq!(free.len(), comparisons.len());
    let mut share: f64 = 0.1;
    let mut iterations = 0;
    while iterations < iterations_max {
        iterations += 1;
        let mut numerator: Vec<Vec<f64>> = comparisons
            .iter()
            .map(|c| vec![0.0; c.comparator.levels()])
            .collect();
        let mut matched = 0.0;
        let mut total = 0.0;
        let prior = (share / (1.0 - share)).log2();
        // log2(m/u) per comparison and level, once per iteration rather than per pattern.
        let table: Vec<Vec<f64>> = comparisons
            .iter()
            .map(|comp| (0..comp.m.len()).map(|l| comp.weight(l as u8)).collect())
            .collect();
        for &(code, count) in patterns {
            let mut w = prior;
            for (c, weights) in table.iter().enumerate() {
                if free[c] {
                    w += weights[level_of(code, c) as usize];
                }
            }
            let p = probability(w);
            matched += p * count;
            total += count;
            for (c, num) in numerator.iter_mut().enumerate() {
                if free[c] {
                    num[level_of(code, c) as usize] += p * count;
                }
            }
        }
        let mut change: f64 = 0.0;
        for (c, comp) in comparisons.iter_mut().enumerate() {
            if !free[c] {
                continue;
            }
            let present: f64 = numerator[c][1..].iter().sum();
            if present <= 0.0 {
                continue;
            }
            for l in 1..comp.m.len() {
                let m = (numerator[c][l] / present).max(PROBABILITY_MIN);
                change = change.max((m - comp.m[l]).abs());
                comp.m[l] = m;
            }
        }
        let new_share = if total > 0.0 {
            (matched / total).clamp(1e-9, 1.0 - 1e-9)
        } else {
            share
        };
        change = change.max((new_share - share).abs());
        share = new_share;
        if change < 1e-6 {
            break;
        }
    }
    (iterations, share)
}

/// Per comparison, the share of the matches among `patterns` that have a value on both sides,
/// given the match `share` found by [`expectation_maximisation`] over the same patterns and
/// `free` comparisons (the others get 0). Which records carry a field depends on who recorded
/// them, so this differs from the share of all pairs that have one.
pub fn presence_among_matches(
    comparisons: &[ComparisonModel],
    patterns: &PatternCounts,
    free: &[bool],
    share: f64,
) -> Vec<f64> {
    let prior = (share / (1.0 - share)).log2();
    let mut present = vec![0.0; comparisons.len()];
    let mut matched = 0.0;
    for &(code, count) in patterns {
        let w: f64 = prior
            + comparisons
                .iter()
                .enumerate()
                .filter(|&(c, _)| free[c])
                .map(|(c, comp)| comp.weight(level_of(code, c)))
                .sum::<f64>();
        let p = probability(w) * count;
        matched += p;
        for (c, slot) in present.iter_mut().enumerate() {
            if free[c] && level_of(code, c) != 0 {
                *slot += p;
            }
        }
    }
    if matched > 0.0 {
        for slot in &mut present {
            *slot /= matched;
        }
    }
    present
}

/// The share of matches among pairs with the given pattern counts, m and u fixed (EM on the
/// prior alone).
pub fn match_share(
    comparisons: &[ComparisonModel],
    patterns: &PatternCounts,
    iterations_max: u32,
) -> f64 {
    let weights: Vec<(f64, f64)> = patterns
        .iter()
        .map(|&(code, count)| {
            let w: f64 = comparisons
                .iter()
                .enumerate()
                .map(|(c, comp)| comp.weight(level_of(code, c)))
                .sum();
            (w, count)
        })
        .collect();
    let mut share: f64 = 0.01;
    for _ in 0..iterations_max {
        let prior = (share / (1.0 - share)).log2();
        let (mut matched, mut total) = (0.0, 0.0);
        for &(w, count) in &weights {
            matched += probability(prior + w) * count;
            total += count;
        }
        let new_share = if total > 0.0 {
            (matched / total).clamp(1e-12, 1.0 - 1e-9)
        } else {
            share
        };
        let done = (new_share - share).abs() < 1e-9;
        share = new_share;
        if done {
            break;
        }
    }
    share
}
