//! Entity resolution for Corridor: which records describe the same person.
//!
//! The pipeline, each step a kernel over columns:
//!
//! 1. [`table`]: records as columns with a [`Role`] each, put in canonical order (source, id) so
//!    that every result is a function of the set of records, not of the input order.
//! 2. [`compare`]: each field normalised once into a dictionary of values (Latin name keys,
//!    romanisation variants, parsed dates, plate keys), then pairs compared into levels.
//! 3. [`block`]: candidate pairs from several blocking rules.
//! 4. [`model`]: Fellegi–Sunter. u from random pairs, m by EM (one session per blocking rule,
//!    the rule's own fields held out), the prior from the expected number of matches;
//!    term-frequency adjustment on exact agreement.
//! 5. [`cluster`]: components over pairs above the threshold, with must-link / cannot-link
//!    judgements; the cluster id is the canonical-first record of the cluster.
//!
//! ```no_run
//! use corridor_resolve::{Engine, Settings, table::{ColumnMap, Table}};
//! let table = Table::from_csv(std::fs::File::open("febrl3.csv")?, "febrl3.csv", 0,
//!     &ColumnMap::default(), &Default::default())?;
//! let engine = Engine::new(table, Settings::default())?;
//! let result = engine.run(None, &[])?;
//! println!("{} clusters", result.cluster_stats.clusters);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Per-level parameters live in parallel arrays (m, u, counts) indexed by level: an index loop
// says that more plainly than zipped iterators.
#![allow(clippy::needless_range_loop)]

pub mod block;
pub mod cluster;
pub mod compare;
pub mod eval;
pub mod incremental;
pub mod model;
pub mod sim;
pub mod table;

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use crate::block::{
    BlockStats, BlockingRule, KeyTransform, Pair, candidate_pairs, default_rules, rule_keys,
};
use crate::cluster::{ClusterStats, Edge, cluster};
use crate::compare::{Comparator, Prepared};
use crate::model::{
    COMPARISONS_MAX, ComparisonModel, LEVEL_BITS, MODEL_FORMAT, Model, PatternCounts,
    SessionReport, TrainingReport, expectation_maximisation, level_of, match_share,
    presence_among_matches, probability,
};
pub use crate::table::Role;
use crate::table::{Field, Table};

/// Blocking rules per model (a pair's agreeing rules are a `u32` mask).
pub const RULES_MAX: usize = 32;

/// How strongly EM sessions over purer pairs outweigh the others when their m are combined
/// (a session weighs its pairs × its match share to this power). A session over pairs that
/// share a common name (given and family name in any order) finds a match share near 0.88, but
/// its "matches" take in namesakes: on the synthetic scenario it has two in three of them
/// born on different days and half with different fingerprints, against one in thirty in the
/// same names' session within a year of birth. At 32, one non-match in eight costs a session
/// nearly all its say (0.875³² ≈ 0.014), while sessions at 0.99 keep three quarters of it.
const SESSION_PURITY_EXPONENT: i32 = 32;

/// Slots of the per-thread cache of comparison levels (a power of two). Candidate pairs repeat
/// the same two values of a field many times over (common names in every block), and a string
/// comparison costs more than a look-up.
const LEVEL_CACHE_SLOTS: usize = 1 << 15;

/// Pairs one parallel task compares at least. Each task starts a fresh level cache of
/// [`LEVEL_CACHE_SLOTS`] entries (256 KiB of zeroed pages); left to split freely, rayon made so
/// many tasks that zeroing their caches took a fifth of the comparison time.
const PAIRS_PER_TASK_MIN: usize = 1 << 16;
/// Bits of a value id in a level cache key: ids from 2^26 on are compared without the cache.
const LEVEL_CACHE_ID_BITS: u32 = 26;

/// True for comparators whose levels cost string work worth remembering (the others cost less
/// than a look-up that misses the processor's cache).
fn cacheable(comparator: Comparator) -> bool {
    matches!(
        comparator,
        Comparator::Name | Comparator::FullName | Comparator::Text
    )
}

/// Pseudo-records of a name's overall frequency mixed into its frequency within a country (see
/// [`Engine::tf_within`]): a country with few records says little about its names.
const CONTEXT_PSEUDO_RECORDS: f64 = 20.0;

/// Errors of resolution. Input errors name the input, line and column.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A problem with an input file.
    #[error("{file}:{line}{}: {reason}", column.as_ref().map(|c| format!(": column '{c}'")).unwrap_or_default())]
    Input {
        /// The input's name.
        file: String,
        /// 1-based line (0 when unknown).
        line: u64,
        /// The column, when one is at fault.
        column: Option<String>,
        /// What is wrong.
        reason: String,
    },
    /// A limit was exceeded.
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// A model that does not fit the input or is malformed.
    #[error("model: {0}")]
    Model(String),
    /// Judgements that contradict each other or name unknown records.
    #[error("judgements: {0}")]
    Judgement(String),
    /// A configuration value out of range.
    #[error("configuration: {0}")]
    Config(String),
}

impl Error {
    pub(crate) fn input(file: &str, line: u64, column: Option<&str>, reason: String) -> Error {
        Error::Input {
            file: file.to_string(),
            line,
            column: column.map(str::to_string),
            reason,
        }
    }
}

/// Limits on everything a run can grow.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// Records per input.
    pub records_max: usize,
    /// Compared columns per input.
    pub fields_max: usize,
    /// Bytes per cell.
    pub value_bytes_max: usize,
    /// Candidate pairs over all blocking rules.
    pub pairs_max: usize,
    /// Records in one block; larger blocks (a key shared by too many records to be evidence)
    /// are skipped and counted.
    pub block_records_max: usize,
    /// Pairs one blocking rule may give, per record (a rule over budget is skipped and
    /// reported: at that size its key says little).
    pub rule_pairs_per_record_max: usize,
    /// Pairs one blocking rule may give whatever the number of records.
    pub rule_pairs_floor: usize,
    /// EM iterations per session.
    pub em_iterations_max: u32,
    /// Random pairs sampled for u, at most.
    pub u_pairs_max: usize,
    /// Random pairs sampled for u per record (with `u_pairs_min` and `u_pairs_max` as bounds):
    /// small inputs need fewer pairs for the same precision of the levels that matter.
    pub u_pairs_per_record: usize,
    /// Random pairs sampled for u, at least (when there are that many pairs).
    pub u_pairs_min: usize,
    /// Judgements.
    pub judgements_max: usize,
}

impl Limits {
    /// The pair budget of one blocking rule over `records` records.
    pub fn rule_pairs_max(&self, records: usize) -> usize {
        self.rule_pairs_floor
            .max(records.saturating_mul(self.rule_pairs_per_record_max))
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            records_max: 20_000_000,
            fields_max: COMPARISONS_MAX,
            value_bytes_max: 4096,
            pairs_max: 400_000_000,
            block_records_max: 2_000,
            rule_pairs_per_record_max: 5,
            rule_pairs_floor: 500_000,
            em_iterations_max: 100,
            u_pairs_max: 500_000,
            u_pairs_per_record: 2,
            u_pairs_min: 50_000,
            judgements_max: 1_000_000,
        }
    }
}

/// Run settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Pairs at or above this match probability are links.
    pub threshold: f64,
    /// Seed of the random-pair sample for u.
    pub seed: u64,
    /// Limits.
    pub limits: Limits,
    /// Blocking rules; `None` for the defaults of the roles present.
    pub blocking: Option<Vec<BlockingRule>>,
    /// Term-frequency adjustment on comparators that support it.
    pub term_frequency: bool,
    /// Pairs at or above this probability are returned (for `pairs.csv`); links always are.
    pub pairs_probability_min: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            threshold: 0.5,
            seed: 0x00C0_FFEE,
            limits: Limits::default(),
            blocking: None,
            term_frequency: true,
            pairs_probability_min: 0.5,
        }
    }
}

/// A judgement by an analyst about two records (record indices in canonical order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Judgement {
    /// One record.
    pub l: u32,
    /// The other.
    pub r: u32,
    /// True: same entity (must-link); false: different (cannot-link).
    pub same: bool,
}

/// How the weight of one comparison depends on the others, for one model.
///
/// Names go with languages: weighing an exact name by its frequency among all records and
/// adding the weight of agreeing countries counts the same evidence twice ("Murat" is rare
/// among all records, not among Turkish ones). When the countries agree, a name is weighed by
/// its frequency among the records of that country instead.
///
/// A father's name written as the family name (patronymic naming is usual in much of the
/// Middle East, Afghanistan and Albania) makes the family names disagree without saying
/// anything against the match: that disagreement is set aside. So is the disagreement of a lone
/// name in the family-name cell, its given name missing (registration forms' `FNU Tarek`), with
/// the family name of a record whose given name it is.
struct PairContext {
    /// The country comparison.
    country: Option<usize>,
    /// Per comparison, the field whose frequencies within countries it uses.
    within_country: Vec<Option<usize>>,
    /// The family name comparison.
    family: Option<usize>,
    /// The prepared family name and father's name fields (table order), when both are present.
    family_father: Option<(usize, usize)>,
    /// The prepared given name and family name fields (table order), when both are present.
    given_family: Option<(usize, usize)>,
}

/// The level label of a family name disagreement set aside (see [`PairContext`]).
const FATHER_AS_FAMILY_LABEL: &str =
    "different, set aside: one's family name is the other's father's name";
/// The level label of a lone family name's disagreement set aside (see [`PairContext`]).
const LONE_NAME_LABEL: &str =
    "different, set aside: one's lone name, in the family cell, is the other's given name";

/// Candidate pairs with their comparison vectors.
pub struct Candidates {
    /// The pairs, sorted.
    pub pairs: Vec<Pair>,
    /// Per pair, its pattern code (levels, [`LEVEL_BITS`] bits per comparison).
    pub codes: Vec<u64>,
    /// Pattern counts per blocking rule: pairs agreeing on that rule's key.
    pub rule_patterns: Vec<PatternCounts>,
    /// Pattern counts over all candidate pairs.
    pub patterns: PatternCounts,
    /// Counts from blocking.
    pub stats: BlockStats,
}

/// A scored pair.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoredPair {
    /// Left record (canonical index).
    pub l: u32,
    /// Right record.
    pub r: u32,
    /// Match weight, log2 odds.
    pub weight: f64,
    /// Match probability.
    pub probability: f64,
}

/// The outcome of a run.
pub struct Resolution {
    /// The model used (trained here or given).
    pub model: Model,
    /// Pairs at or above `pairs_probability_min` (and every link).
    pub pairs: Vec<ScoredPair>,
    /// Per record (canonical index), the canonical index of its cluster's first record.
    pub cluster_of: Vec<u32>,
    /// Candidate pairs compared.
    pub candidate_pairs: u64,
    /// Blocking counts.
    pub block_stats: BlockStats,
    /// Clustering counts.
    pub cluster_stats: ClusterStats,
    /// Wall time of each phase: blocking and comparison, training, scoring, clustering.
    pub phase_times: Vec<(&'static str, std::time::Duration)>,
}

/// One field's part of an explanation.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldWeight {
    /// Comparison name (the column header).
    pub name: String,
    /// The left record's value as given.
    pub value_l: String,
    /// The right record's value.
    pub value_r: String,
    /// Level label.
    pub level: &'static str,
    /// m of the level.
    pub m: f64,
    /// u of the level (the value's term frequency when adjusted).
    pub u: f64,
    /// log2(m/u) with any term-frequency adjustment: this field's share of the match weight.
    pub weight: f64,
}

/// Why two records match or not: the prior and per-field weights, which add up to the total.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// log2 prior odds.
    pub prior_weight: f64,
    /// Per comparison.
    pub fields: Vec<FieldWeight>,
    /// Total match weight.
    pub weight: f64,
    /// Match probability.
    pub probability: f64,
}

/// Records prepared for resolution, in canonical order.
pub struct Engine {
    table: Table,
    prepared: Vec<Prepared>,
    /// The given/family swap comparison, when both name columns are present.
    swap: Option<Prepared>,
    /// Per field (table order), per record: the term frequency of its value among records of
    /// its country, for name fields when a country column is present (else empty).
    country_tf: Vec<Vec<f64>>,
    /// The country field (table order), when there is one.
    country_field: Option<usize>,
    /// Per field with `country_tf`, the counts behind it kept live, so that records added one
    /// at a time ([`incremental`]) weigh names by the frequencies of all records held; empty
    /// for a full run, which reads `country_tf`.
    country_live: Vec<Option<CountryCounts>>,
    /// Index of (source, id) → canonical record index.
    index: HashMap<(u8, String), u32>,
    link: bool,
    settings: Settings,
}

/// The counts behind a name's frequency within its country.
#[derive(Clone, Debug, Default)]
pub(crate) struct CountryCounts {
    /// Per country value id, records with both a name and that country.
    pub(crate) context: Vec<u32>,
    /// Per (name value id, country value id), records.
    pub(crate) pair: HashMap<(u32, u32), u32>,
}

impl CountryCounts {
    fn of(field: &Prepared, context: &Prepared) -> CountryCounts {
        let mut counts = CountryCounts {
            context: vec![0; context.text.len()],
            pair: HashMap::new(),
        };
        for (&v, &c) in field.value.iter().zip(&context.value) {
            counts.add(v, c);
        }
        counts
    }

    /// Counts one record with name value `v` and country value `c` (0: missing).
    pub(crate) fn add(&mut self, v: u32, c: u32) {
        if v == 0 || c == 0 {
            return;
        }
        if self.context.len() <= c as usize {
            self.context.resize(c as usize + 1, 0);
        }
        self.context[c as usize] += 1;
        *self.pair.entry((v, c)).or_insert(0) += 1;
    }

    /// The frequency of `v` (a value of `field`) among records of country `c`, shrunk towards
    /// its overall frequency by [`CONTEXT_PSEUDO_RECORDS`] (0 when either is missing).
    fn frequency(&self, field: &Prepared, v: u32, c: u32) -> f64 {
        if v == 0 || c == 0 {
            return 0.0;
        }
        let overall = field.term_frequency(v);
        let pair = f64::from(self.pair.get(&(v, c)).copied().unwrap_or(0));
        let context = f64::from(self.context.get(c as usize).copied().unwrap_or(0));
        (pair + CONTEXT_PSEUDO_RECORDS * overall) / (context + CONTEXT_PSEUDO_RECORDS)
    }
}

/// A whole name written in the given-name cell with no family name (`Mohammad Nazari` and
/// nothing), split as most agencies on the route write a whole name: the last part is the
/// family name. Otherwise such a record's family name compares as missing and its given name as
/// different from everyone's, while the same person's other records have the two in their
/// cells. `None` when the names are compared as written (a family name present, or one part).
pub fn split_given_name(given: Option<&str>, family: Option<&str>) -> Option<(String, String)> {
    if family.is_some_and(|f| !corridor_text::names::name_parts(f).is_empty()) {
        return None;
    }
    let (given_parts, family_parts) = corridor_text::names::split_full_name(given?);
    if family_parts.is_empty() {
        return None;
    }
    Some((given_parts.join(" "), family_parts.join(" ")))
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A multiply-and-fold hasher for the integer keys of pattern counts: millions of look-ups, and
/// keys that come from the records, not from anyone choosing them to collide.
#[derive(Default, Clone, Copy)]
pub(crate) struct IntHasher(u64);

impl std::hash::Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        let x = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = x ^ (x >> 29);
    }
}

type IntMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<IntHasher>>;
/// A set with [`IntHasher`].
pub(crate) type IntSet<K> = HashSet<K, std::hash::BuildHasherDefault<IntHasher>>;

fn count_patterns(codes: impl Iterator<Item = u64>) -> PatternCounts {
    let mut map: IntMap<u64, f64> = IntMap::default();
    for c in codes {
        *map.entry(c).or_insert(0.0) += 1.0;
    }
    let mut v: PatternCounts = map.into_iter().collect();
    v.sort_unstable_by_key(|p| p.0);
    v
}

impl Engine {
    /// Prepares a table (one source: deduplicate; sources 0 and 1: link across).
    pub fn new(table: Table, settings: Settings) -> Result<Engine, Error> {
        if !(settings.threshold > 0.0 && settings.threshold < 1.0) {
            return Err(Error::Config(format!(
                "threshold {} outside (0, 1)",
                settings.threshold
            )));
        }
        if table.len() > u32::MAX as usize / 2 {
            return Err(Error::Limit(format!("{} records", table.len())));
        }
        let link = table.sources.iter().any(|&s| s != 0);
        if table.sources.iter().any(|&s| s > 1) {
            return Err(Error::Config("at most two inputs".to_string()));
        }
        let order = table.canonical_order();
        let table = table.permuted(&order);
        // The name columns as compared: a whole name in the given-name cell split in two.
        let split = Self::split_names(&table);
        let compared = |k: usize| match &split {
            Some((g, f, given, _)) if k == *g => given,
            Some((g, f, _, family)) if k == *f => family,
            _ => &table.fields[k],
        };
        let mut prepared: Vec<Prepared> = (0..table.fields.len())
            .into_par_iter()
            .map(|k| Prepared::new(compared(k), Comparator::for_role(table.fields[k].role)))
            .collect();
        let name = |role: Role| {
            table
                .fields
                .iter()
                .position(|f| f.role == role && f.occurrence == 0)
                .map(compared)
        };
        if let (Some(k), Some(g), Some(f)) = (
            Self::full_name_field(&table),
            name(Role::GivenName),
            name(Role::FamilyName),
        ) {
            prepared[k].derive_full_names(g, f);
        }
        let swap = match (name(Role::GivenName), name(Role::FamilyName)) {
            (Some(g), Some(f)) => Some(Prepared::new_swap(g, f)),
            _ => None,
        };
        let position = |role: Role| {
            table
                .fields
                .iter()
                .position(|f| f.role == role && f.occurrence == 0)
        };
        let country = position(Role::Country);
        let country_tf = table
            .fields
            .iter()
            .zip(&prepared)
            .map(|(f, p)| match country {
                Some(k)
                    if matches!(
                        f.role,
                        Role::GivenName | Role::FamilyName | Role::FatherName | Role::FullName
                    ) && p.comparator.term_frequency_default() =>
                {
                    Self::tf_within(p, &prepared[k])
                }
                _ => Vec::new(),
            })
            .collect();
        let index = table
            .ids
            .iter()
            .zip(&table.sources)
            .enumerate()
            .map(|(i, (id, &s))| ((s, id.clone()), i as u32))
            .collect();
        Ok(Engine {
            table,
            prepared,
            swap,
            country_tf,
            country_field: country,
            country_live: Vec::new(),
            index,
            link,
            settings,
        })
    }

    /// The given and family name columns (table order) with every record's names as compared
    /// ([`split_given_name`]), when the table has both and some record's are split.
    fn split_names(table: &Table) -> Option<(usize, usize, Field, Field)> {
        let position = |role: Role| {
            table
                .fields
                .iter()
                .position(|f| f.role == role && f.occurrence == 0)
        };
        let (g, f) = (position(Role::GivenName)?, position(Role::FamilyName)?);
        let mut given = table.fields[g].clone();
        let mut family = table.fields[f].clone();
        let mut split = 0usize;
        for (gv, fv) in given.values.iter_mut().zip(family.values.iter_mut()) {
            if let Some((a, b)) = split_given_name(gv.as_deref(), fv.as_deref()) {
                *gv = Some(a.into_boxed_str());
                *fv = Some(b.into_boxed_str());
                split += 1;
            }
        }
        (split > 0).then_some((g, f, given, family))
    }

    /// The whole-name field (table order) whose missing values are made of the given and family
    /// names (see [`Prepared::derive_full_names`]), when the table has all three.
    pub(crate) fn full_name_field(table: &Table) -> Option<usize> {
        let position = |role: Role| {
            table
                .fields
                .iter()
                .position(|f| f.role == role && f.occurrence == 0)
        };
        let k = position(Role::FullName)?;
        (Comparator::for_role(Role::FullName) == Comparator::FullName
            && position(Role::GivenName).is_some()
            && position(Role::FamilyName).is_some())
        .then_some(k)
    }

    /// Per record, how common its value of `field` is among the records with its value of
    /// `context`, shrunk towards the overall frequency by [`CONTEXT_PSEUDO_RECORDS`] (0 when
    /// either is missing).
    fn tf_within(field: &Prepared, context: &Prepared) -> Vec<f64> {
        let counts = CountryCounts::of(field, context);
        field
            .value
            .iter()
            .zip(&context.value)
            .map(|(&v, &c)| counts.frequency(field, v, c))
            .collect()
    }

    /// Keeps the within-country counts live from now on (for records added one at a time):
    /// scoring then reads them instead of the frequencies computed when the engine was made.
    pub(crate) fn keep_country_counts_live(&mut self) {
        let Some(country) = self.country_field else {
            return;
        };
        self.country_live = self
            .country_tf
            .iter()
            .zip(&self.prepared)
            .map(|(tf, p)| (!tf.is_empty()).then(|| CountryCounts::of(p, &self.prepared[country])))
            .collect();
    }

    /// Counts record `x`, just added to the prepared fields, in the live within-country counts
    /// and gives it its frequencies.
    pub(crate) fn count_country(&mut self, x: u32) {
        let Some(country) = self.country_field else {
            return;
        };
        let c = self.prepared[country].value[x as usize];
        for (k, live) in self.country_live.iter_mut().enumerate() {
            let Some(live) = live else { continue };
            let field = &self.prepared[k];
            let v = field.value[x as usize];
            live.add(v, c);
            let tf = live.frequency(field, v, c);
            self.country_tf[k].push(tf);
        }
    }

    /// The records in canonical order.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// True when linking two inputs (rather than deduplicating one).
    pub fn is_link(&self) -> bool {
        self.link
    }

    /// The canonical index of a record.
    pub fn record(&self, source: u8, id: &str) -> Option<u32> {
        self.index.get(&(source, id.to_string())).copied()
    }

    /// All pairs a run considers: n(n-1)/2 when deduplicating, n0·n1 when linking.
    pub fn total_pairs(&self) -> f64 {
        let n = self.table.len() as f64;
        if self.link {
            let n1 = self.table.sources.iter().filter(|&&s| s == 1).count() as f64;
            (n - n1) * n1
        } else {
            n * (n - 1.0) / 2.0
        }
    }

    /// An untrained model for the fields present: one comparison per field, default blocking.
    pub fn default_model(&self) -> Model {
        let mut comparisons: Vec<ComparisonModel> = self
            .table
            .fields
            .iter()
            .map(|f| {
                let mut c = ComparisonModel::new(
                    &f.name,
                    f.role,
                    f.occurrence,
                    Comparator::for_role(f.role),
                );
                c.term_frequency &= self.settings.term_frequency;
                c
            })
            .collect();
        if self.swap.is_some() && comparisons.len() < COMPARISONS_MAX {
            comparisons.push(ComparisonModel::new(
                "given/family swapped",
                Role::GivenName,
                0,
                Comparator::NameSwap,
            ));
        }
        let rules = match &self.settings.blocking {
            Some(r) => r.clone(),
            None => {
                let roles: Vec<(Role, u8)> = self
                    .table
                    .fields
                    .iter()
                    .map(|f| (f.role, f.occurrence))
                    .collect();
                default_rules(&roles)
            }
        };
        Model {
            format: MODEL_FORMAT,
            comparisons,
            blocking: rules.iter().map(BlockingRule::describe).collect(),
            probability_two_random_records_match: 1e-4,
            training: TrainingReport::default(),
        }
    }

    /// For each comparison of the model, the prepared field it compares.
    fn fields_of(&self, model: &Model) -> Result<Vec<&Prepared>, Error> {
        if model.comparisons.len() > COMPARISONS_MAX {
            return Err(Error::Model(format!(
                "{} comparisons, at most {COMPARISONS_MAX}",
                model.comparisons.len()
            )));
        }
        model
            .comparisons
            .iter()
            .map(|c| {
                if c.comparator == Comparator::NameSwap {
                    return self.swap.as_ref().ok_or_else(|| {
                        Error::Model(format!(
                            "comparison '{}' needs given_name and family_name columns",
                            c.name
                        ))
                    });
                }
                let k = self
                    .table
                    .fields
                    .iter()
                    .position(|f| f.role == c.role && f.occurrence == c.occurrence)
                    .ok_or_else(|| {
                        Error::Model(format!(
                            "comparison '{}' needs a {} column, which the input lacks",
                            c.name,
                            c.role.as_str()
                        ))
                    })?;
                let p = &self.prepared[k];
                if p.comparator != c.comparator {
                    return Err(Error::Model(format!(
                        "comparison '{}' uses {:?}, the field is prepared for {:?}",
                        c.name, c.comparator, p.comparator
                    )));
                }
                Ok(p)
            })
            .collect()
    }

    fn code(fields: &[&Prepared], l: u32, r: u32) -> u64 {
        let mut code = 0u64;
        for (c, f) in fields.iter().enumerate() {
            code |= u64::from(f.level(l, r)) << (LEVEL_BITS as usize * c);
        }
        code
    }

    /// Every record's value ids for the comparisons, one row per record (the swap comparison
    /// takes two slots: given, then family), so that comparing a pair reads two rows rather
    /// than one scattered column per field.
    fn rows(fields: &[&Prepared], n: usize) -> (Vec<u32>, usize) {
        let width: usize = fields
            .iter()
            .map(|f| {
                if f.comparator == Comparator::NameSwap {
                    2
                } else {
                    1
                }
            })
            .sum();
        let mut rows = vec![0u32; n * width];
        rows.par_chunks_mut(width.max(1))
            .enumerate()
            .for_each(|(i, row)| {
                let mut k = 0;
                for f in fields {
                    row[k] = f.value[i];
                    k += 1;
                    if f.comparator == Comparator::NameSwap {
                        row[k] = f.other[i];
                        k += 1;
                    }
                }
            });
        (rows, width)
    }

    /// [`Engine::code_of_rows_cached`] without a cache, for one record's few pairs
    /// ([`incremental`]): the same levels, each pair's value ids compared smaller first.
    #[inline]
    fn code_of_rows(fields: &[&Prepared], a: &[u32], b: &[u32]) -> u64 {
        let mut code = 0u64;
        let mut k = 0;
        for (c, f) in fields.iter().enumerate() {
            let level = if f.comparator == Comparator::NameSwap {
                let level = f.swap_level_ids(a[k], a[k + 1], b[k], b[k + 1]);
                k += 2;
                level
            } else {
                let (x, y) = (a[k].min(b[k]), a[k].max(b[k]));
                k += 1;
                f.level_ids(x, y)
            };
            code |= u64::from(level) << (LEVEL_BITS as usize * c);
        }
        code
    }

    /// The pattern code of two records' rows (see [`Engine::rows`]); equals [`Engine::code`].
    /// String comparisons are remembered in `cache` (see [`LEVEL_CACHE_SLOTS`]).
    #[inline]
    fn code_of_rows_cached(fields: &[&Prepared], a: &[u32], b: &[u32], cache: &mut [u64]) -> u64 {
        let mut code = 0u64;
        let mut k = 0;
        for (c, f) in fields.iter().enumerate() {
            let level = if f.comparator == Comparator::NameSwap {
                let level = f.swap_level_ids(a[k], a[k + 1], b[k], b[k + 1]);
                k += 2;
                level
            } else {
                let (x, y) = (a[k].min(b[k]), a[k].max(b[k]));
                k += 1;
                if x == 0 || x == y || !cacheable(f.comparator) || y >= 1 << LEVEL_CACHE_ID_BITS {
                    f.level_ids(x, y)
                } else {
                    let key = ((c as u64) << (2 * LEVEL_CACHE_ID_BITS))
                        | (u64::from(x) << LEVEL_CACHE_ID_BITS)
                        | u64::from(y);
                    let slot = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize
                        & (cache.len() - 1);
                    let entry = cache[slot];
                    if entry >> LEVEL_BITS == key {
                        (entry & 0xF) as u8
                    } else {
                        let level = f.level_ids(x, y);
                        cache[slot] = (key << LEVEL_BITS) | u64::from(level);
                        level
                    }
                }
            };
            code |= u64::from(level) << (LEVEL_BITS as usize * c);
        }
        code
    }

    /// Per blocking rule of the model, every record's key.
    fn keys(&self, model: &Model) -> Result<Vec<Vec<u64>>, Error> {
        let rules = model.blocking_rules().map_err(Error::Model)?;
        let keyed: Vec<(&Prepared, Role, u8)> = self
            .table
            .fields
            .iter()
            .zip(&self.prepared)
            .map(|(f, p)| (p, f.role, f.occurrence))
            .collect();
        let n = self.table.len();
        Ok(rules
            .par_iter()
            .map(|r| rule_keys(r, &keyed, self.swap.as_ref(), n))
            .collect())
    }

    /// Blocking recall: the share of `pairs` (true pairs, when known) that blocking with the
    /// model's rules makes candidates, given the blocks a run skipped (`stats`).
    pub fn blocking_recall(
        &self,
        model: &Model,
        stats: &BlockStats,
        pairs: &[Pair],
    ) -> Result<f64, Error> {
        if pairs.is_empty() {
            return Ok(1.0);
        }
        let keys = self.keys(model)?;
        let found = pairs
            .par_iter()
            .filter(|&&(l, r)| crate::block::is_candidate(&keys, stats, l, r))
            .count();
        Ok(found as f64 / pairs.len() as f64)
    }

    /// Blocks and compares: the candidate pairs of the model's rules and their patterns.
    pub fn candidates(&self, model: &Model) -> Result<Candidates, Error> {
        let fields = self.fields_of(model)?;
        let keys = self.keys(model)?;
        if keys.len() > RULES_MAX {
            return Err(Error::Model(format!(
                "{} blocking rules, at most {RULES_MAX}",
                keys.len()
            )));
        }
        let key_rows = crate::block::key_rows(&keys, self.table.len());
        let (pairs, stats) = candidate_pairs(
            &keys,
            &key_rows,
            &self.table.sources,
            self.link,
            &self.settings.limits,
        )?;
        drop(keys);
        let (rows, width) = Self::rows(&fields, self.table.len());
        let row = |i: u32| &rows[i as usize * width..(i as usize + 1) * width];
        let rules = key_rows.len() / self.table.len().max(1);
        let key_row = |i: u32| &key_rows[i as usize * rules..(i as usize + 1) * rules];
        // One pass: each pair's pattern code, and which rules' keys it agrees on (for the EM
        // sessions: a rule's session sees every candidate pair agreeing on its key, whichever
        // rule generated it).
        let (codes, masks): (Vec<u64>, Vec<u32>) = pairs
            .par_iter()
            .with_min_len(PAIRS_PER_TASK_MIN)
            .map_init(
                || vec![0u64; LEVEL_CACHE_SLOTS],
                |cache, &(l, r)| {
                    let code = Self::code_of_rows_cached(&fields, row(l), row(r), cache);
                    let mut mask = 0u32;
                    for (q, (&a, &b)) in key_row(l).iter().zip(key_row(r)).enumerate() {
                        if a != 0 && a == b {
                            mask |= 1 << q;
                        }
                    }
                    (code, mask)
                },
            )
            .unzip();
        drop(rows);
        let by_mask: IntMap<(u64, u32), f64> = codes
            .par_iter()
            .zip(&masks)
            .fold(
                IntMap::default,
                |mut map: IntMap<(u64, u32), f64>, (&c, &m)| {
                    *map.entry((c, m)).or_insert(0.0) += 1.0;
                    map
                },
            )
            .reduce(IntMap::default, |mut a, b| {
                for (k, v) in b {
                    *a.entry(k).or_insert(0.0) += v;
                }
                a
            });
        drop(masks);
        let rule_patterns: Vec<PatternCounts> = (0..rules)
            .map(|q| {
                let mut map: IntMap<u64, f64> = IntMap::default();
                for (&(code, mask), &count) in &by_mask {
                    if mask & (1 << q) != 0 {
                        *map.entry(code).or_insert(0.0) += count;
                    }
                }
                let mut v: PatternCounts = map.into_iter().collect();
                v.sort_unstable_by_key(|p| p.0);
                v
            })
            .collect();
        let patterns = count_patterns(codes.iter().copied());
        Ok(Candidates {
            pairs,
            codes,
            rule_patterns,
            patterns,
            stats,
        })
    }

    /// Random pairs (deterministic for the seed), for u.
    fn random_pairs(&self, count: usize) -> Vec<Pair> {
        let n = self.table.len() as u64;
        let n0 = self.table.sources.iter().filter(|&&s| s == 0).count() as u64;
        let mut state = self.settings.seed;
        let mut out = Vec::with_capacity(count);
        if n < 2 || (self.link && (n0 == 0 || n0 == n)) {
            return out;
        }
        while out.len() < count {
            let (a, b) = if self.link {
                (
                    splitmix(&mut state) % n0,
                    n0 + splitmix(&mut state) % (n - n0),
                )
            } else {
                (splitmix(&mut state) % n, splitmix(&mut state) % n)
            };
            if a != b {
                out.push((a.min(b) as u32, a.max(b) as u32));
            }
        }
        out
    }

    /// Trains m, u and the prior without labels.
    pub fn train(&self, mut model: Model, candidates: &Candidates) -> Result<Model, Error> {
        let fields = self.fields_of(&model)?;
        let limits = &self.settings.limits;
        // u: level frequencies among random pairs (almost all non-matches).
        let wanted = self
            .table
            .len()
            .saturating_mul(limits.u_pairs_per_record)
            .clamp(
                limits.u_pairs_min.min(limits.u_pairs_max),
                limits.u_pairs_max,
            );
        let sample = (wanted as f64).min(self.total_pairs()) as usize;
        let random = self.random_pairs(sample);
        let (rows, width) = Self::rows(&fields, self.table.len());
        let row = |i: u32| &rows[i as usize * width..(i as usize + 1) * width];
        let u_patterns = count_patterns(
            random
                .par_iter()
                .with_min_len(PAIRS_PER_TASK_MIN)
                .map_init(
                    || vec![0u64; LEVEL_CACHE_SLOTS],
                    |cache, &(l, r)| Self::code_of_rows_cached(&fields, row(l), row(r), cache),
                )
                .collect::<Vec<_>>()
                .into_iter(),
        );
        drop(rows);
        for (c, comp) in model.comparisons.iter_mut().enumerate() {
            let mut counts = vec![0.0; comp.u.len()];
            for &(code, n) in &u_patterns {
                counts[level_of(code, c) as usize] += n;
            }
            let present: f64 = counts[1..].iter().sum();
            if present > 0.0 {
                // Half a pair for unseen levels, so that a level never seen among random
                // pairs (a rare exact identifier) gets a large but finite weight.
                let floor = 0.5 / present;
                for l in 1..comp.u.len() {
                    comp.u[l] = (counts[l] / present).max(floor);
                }
                let sum: f64 = comp.u[1..].iter().sum();
                for l in 1..comp.u.len() {
                    comp.u[l] /= sum;
                }
            }
        }
        // m: EM per blocking rule, the rule's fields held out.
        let rules = model.blocking_rules().map_err(Error::Model)?;
        let mut m_sum: Vec<Vec<f64>> = model
            .comparisons
            .iter()
            .map(|c| vec![0.0; c.m.len()])
            .collect();
        let mut m_weight = vec![0.0f64; model.comparisons.len()];
        let mut presence_sum = vec![0.0f64; model.comparisons.len()];
        let mut sessions = Vec::new();
        let mut session_shares: Vec<(usize, f64, f64)> = Vec::new();
        for (r, (rule, patterns)) in rules.iter().zip(&candidates.rule_patterns).enumerate() {
            let free: Vec<bool> = model
                .comparisons
                .iter()
                .map(|c| {
                    !rule.parts.iter().any(|p| {
                        (p.role == c.role && p.occurrence == c.occurrence)
                            || (p.transform == KeyTransform::Unordered
                                && matches!(c.role, Role::GivenName | Role::FamilyName)
                                && c.occurrence == 0)
                    })
                })
                .collect();
            let pairs: f64 = patterns.iter().map(|p| p.1).sum();
            if pairs < 1.0 {
                continue;
            }
            let mut comps = model.comparisons.clone();
            let (iterations, share) =
                expectation_maximisation(&mut comps, patterns, &free, limits.em_iterations_max);
            // A session is as trustworthy as its pairs are pure: EM over pairs that are nearly
            // all matches (agreeing on a document number) measures the other fields among
            // matches directly, while EM over pairs that share a common name may settle on
            // another split. Weight: pairs × share^SESSION_PURITY_EXPONENT, so that the purest
            // sessions with enough pairs decide.
            let weight = pairs * share.powi(SESSION_PURITY_EXPONENT);
            let presence = presence_among_matches(&comps, patterns, &free, share);
            for (c, comp) in comps.iter().enumerate() {
                if free[c] {
                    m_weight[c] += weight;
                    presence_sum[c] += weight * presence[c];
                    for (s, m) in m_sum[c].iter_mut().zip(&comp.m) {
                        *s += weight * m;
                    }
                }
            }
            session_shares.push((r, share, pairs));
            sessions.push(SessionReport {
                rule: rule.describe(),
                pairs: pairs as u64,
                iterations,
                match_share: share,
            });
        }
        for (c, comp) in model.comparisons.iter_mut().enumerate() {
            if m_weight[c] > 0.0 {
                for l in 1..comp.m.len() {
                    comp.m[l] = m_sum[c][l] / m_weight[c];
                }
            }
        }
        // Prior. A session's rule, when its parts are exact values and none of its blocks was
        // skipped, saw every pair agreeing on its key: its matches are share × pairs, and they
        // are the fraction P(key agrees | match) of all matches, which m and the fields'
        // presence among matches give. The median over such rules, divided by all pairs, is
        // the prior.
        let n = self.table.len().max(1) as f64;
        let mut estimates: Vec<f64> = Vec::new();
        for &(r, share, pairs) in &session_shares {
            let rule = &rules[r];
            let trimmed = candidates
                .stats
                .blocks_skipped_per_rule
                .get(r)
                .copied()
                .unwrap_or(0);
            if trimmed > 0
                || rule
                    .parts
                    .iter()
                    .any(|p| p.transform != KeyTransform::Value)
            {
                continue;
            }
            let mut recall = 1.0;
            for part in &rule.parts {
                let Some(c) = model
                    .comparisons
                    .iter()
                    .position(|c| c.role == part.role && c.occurrence == part.occurrence)
                else {
                    recall = 0.0;
                    break;
                };
                if matches!(
                    model.comparisons[c].comparator,
                    Comparator::Date | Comparator::NameSwap
                ) {
                    recall = 0.0;
                    break;
                }
                // Among matches, as the other rules' sessions saw them; the share of all pairs
                // with both values when no session could see the field.
                let presence = if m_weight[c] > 0.0 {
                    presence_sum[c] / m_weight[c]
                } else {
                    (f64::from(fields[c].present) / n).powi(2)
                };
                recall *= presence * model.comparisons[c].m[1];
            }
            if recall > 0.01 {
                estimates.push(share * pairs / recall);
            }
        }
        let expected = if estimates.is_empty() {
            // No rule to count with: the expected matches among the candidates, an upper
            // bound (pairs agreeing on a blocked field look better than random pairs).
            let total_candidates: f64 = candidates.patterns.iter().map(|p| p.1).sum();
            match_share(
                &model.comparisons,
                &candidates.patterns,
                limits.em_iterations_max,
            ) * total_candidates
        } else {
            estimates.sort_unstable_by(f64::total_cmp);
            estimates[estimates.len() / 2]
        };
        let prior = (expected / self.total_pairs().max(1.0)).clamp(1e-12, 0.5);
        model.probability_two_random_records_match = prior;
        model.training = TrainingReport {
            u_pairs_sampled: random.len() as u64,
            sessions,
            labelled_pairs: 0,
        };
        model.check().map_err(Error::Model)?;
        Ok(model)
    }

    /// Sets m from labelled matching pairs (supervised training): the level frequencies among
    /// them. u stays as estimated from random pairs.
    pub fn train_from_labels(&self, mut model: Model, matches: &[Pair]) -> Result<Model, Error> {
        let fields = self.fields_of(&model)?;
        if matches.is_empty() {
            return Err(Error::Config("no labelled matching pairs".to_string()));
        }
        for (c, comp) in model.comparisons.iter_mut().enumerate() {
            let mut counts = vec![0.0; comp.m.len()];
            for &(l, r) in matches {
                counts[fields[c].level(l, r) as usize] += 1.0;
            }
            let present: f64 = counts[1..].iter().sum();
            if present > 0.0 {
                for l in 1..comp.m.len() {
                    comp.m[l] = ((counts[l] + 0.1) / (present + 0.1 * (comp.m.len() - 1) as f64))
                        .max(model::PROBABILITY_MIN);
                }
            }
        }
        model.training.labelled_pairs = matches.len() as u64;
        model.check().map_err(Error::Model)?;
        Ok(model)
    }

    /// Which comparisons of `model` take their term frequencies from a context (see
    /// [`PairContext`]).
    fn pair_context(&self, model: &Model) -> PairContext {
        let find = |role: Role| {
            model.comparisons.iter().position(|c| {
                c.role == role && c.occurrence == 0 && c.comparator == Comparator::for_role(role)
            })
        };
        let country = find(Role::Country);
        let within_country = model
            .comparisons
            .iter()
            .map(|c| {
                if country.is_none() || !c.term_frequency {
                    return None;
                }
                self.table
                    .fields
                    .iter()
                    .position(|f| f.role == c.role && f.occurrence == c.occurrence)
                    .filter(|&k| !self.country_tf[k].is_empty())
            })
            .collect();
        let field = |role: Role| {
            self.table
                .fields
                .iter()
                .position(|f| f.role == role && f.occurrence == 0)
        };
        PairContext {
            country,
            within_country,
            family: find(Role::FamilyName),
            family_father: field(Role::FamilyName).zip(field(Role::FatherName)),
            given_family: field(Role::GivenName).zip(field(Role::FamilyName)),
        }
    }

    /// Why comparison `c`, the family name, disagrees in the pair (`l`, `r`) with pattern
    /// `code` without saying anything against the match, if it does (see [`PairContext`]): one
    /// record's family name is the other's father's name, or one's lone name in the family cell
    /// is the other's given name. The level label to show; `None` when the weight counts.
    fn family_set_aside(
        &self,
        ctx: &PairContext,
        c: usize,
        code: u64,
        (l, r): Pair,
    ) -> Option<&'static str> {
        if Some(c) != ctx.family || level_of(code, c) <= 1 {
            return None;
        }
        // `a`'s value of `x` is `b`'s value of `y`, both present.
        let same = |x: &Prepared, y: &Prepared, a: u32, b: u32| {
            let (v, w) = (x.value[a as usize], y.value[b as usize]);
            v != 0 && w != 0 && x.text[v as usize] == y.text[w as usize]
        };
        if let Some((family, father)) = ctx.family_father {
            let (family, father) = (&self.prepared[family], &self.prepared[father]);
            if same(family, father, l, r) || same(family, father, r, l) {
                return Some(FATHER_AS_FAMILY_LABEL);
            }
        }
        if let Some((given, family)) = ctx.given_family {
            let (given, family) = (&self.prepared[given], &self.prepared[family]);
            let lone = |a: u32, b: u32| given.value[a as usize] == 0 && same(family, given, a, b);
            if lone(l, r) || lone(r, l) {
                return Some(LONE_NAME_LABEL);
            }
        }
        None
    }

    /// The term-frequency adjustment of comparison `c` at exact agreement in a pair with
    /// pattern `code`: log2(u / tf), tf the frequency of record `l`'s value in its context.
    fn tf_of(
        &self,
        comp: &ComparisonModel,
        field: &Prepared,
        ctx: &PairContext,
        c: usize,
        code: u64,
        l: u32,
    ) -> f64 {
        let floor = 1.0 / f64::from(field.present.max(1));
        let tf = match (ctx.country, ctx.within_country[c]) {
            (Some(country), Some(k)) if level_of(code, country) == 1 => {
                match (&self.country_live.get(k), self.country_field) {
                    (Some(Some(live)), Some(cf)) => {
                        let v = self.prepared[k].value[l as usize];
                        let c = self.prepared[cf].value[l as usize];
                        live.frequency(&self.prepared[k], v, c)
                    }
                    _ => self.country_tf[k][l as usize],
                }
            }
            _ => field.term_frequency(field.value[l as usize]),
        };
        let u = comp.u[1].max(model::PROBABILITY_MIN);
        (u / tf.max(floor)).log2()
    }

    fn weight_of(
        &self,
        model: &Model,
        fields: &[&Prepared],
        table: &[Vec<f64>],
        ctx: &PairContext,
        (l, r): Pair,
        code: u64,
    ) -> f64 {
        let mut w = model.prior_weight();
        for (c, comp) in model.comparisons.iter().enumerate() {
            let level = level_of(code, c);
            if self.family_set_aside(ctx, c, code, (l, r)).is_some() {
                continue;
            }
            w += table[c][level as usize];
            if level == 1 && comp.term_frequency {
                w += self.tf_of(comp, fields[c], ctx, c, code, l);
            }
        }
        w
    }

    /// Scores candidate pairs; returns those at or above `pairs_probability_min` or the
    /// threshold, whichever is lower.
    pub fn score(&self, model: &Model, candidates: &Candidates) -> Result<Vec<ScoredPair>, Error> {
        let fields = self.fields_of(model)?;
        assert_eq!(candidates.pairs.len(), candidates.codes.len());
        let table: Vec<Vec<f64>> = model
            .comparisons
            .iter()
            .map(|c| (0..c.m.len()).map(|l| c.score_weight(l as u8)).collect())
            .collect();
        let p_min = self
            .settings
            .pairs_probability_min
            .min(self.settings.threshold);
        let w_min = (p_min / (1.0 - p_min)).log2();
        let ctx = self.pair_context(model);
        Ok(candidates
            .pairs
            .par_iter()
            .zip(&candidates.codes)
            .filter_map(|(&(l, r), &code)| {
                let w = self.weight_of(model, &fields, &table, &ctx, (l, r), code);
                (w >= w_min).then(|| ScoredPair {
                    l,
                    r,
                    weight: w,
                    probability: probability(w),
                })
            })
            .collect())
    }

    /// Explains the score of records `l` and `r` (canonical indices).
    pub fn explain(&self, model: &Model, l: u32, r: u32) -> Result<Explanation, Error> {
        let fields = self.fields_of(model)?;
        assert!((l as usize) < self.table.len() && (r as usize) < self.table.len());
        let prior_weight = model.prior_weight();
        let mut total = prior_weight;
        let mut out = Vec::new();
        let ctx = self.pair_context(model);
        let code = Self::code(&fields, l, r);
        for (c, comp) in model.comparisons.iter().enumerate() {
            let level = fields[c].level(l, r);
            let aside_label = self.family_set_aside(&ctx, c, code, (l, r));
            let aside = aside_label.is_some();
            let mut weight = if aside { 0.0 } else { comp.score_weight(level) };
            let mut u = comp.u[level as usize];
            if level == 1 && comp.term_frequency {
                weight += self.tf_of(comp, fields[c], &ctx, c, code, l);
                u = comp.m[1] / weight.exp2();
            }
            let raw = |role: Role, occurrence: u8, i: u32| {
                self.table
                    .fields
                    .iter()
                    .find(|f| f.role == role && f.occurrence == occurrence)
                    .and_then(|f| f.values[i as usize].as_deref())
                    .unwrap_or("")
                    .to_string()
            };
            let value = |i: u32| {
                if comp.comparator == Comparator::NameSwap {
                    format!(
                        "{} / {}",
                        raw(Role::GivenName, 0, i),
                        raw(Role::FamilyName, 0, i)
                    )
                } else {
                    raw(comp.role, comp.occurrence, i)
                }
            };
            total += weight;
            out.push(FieldWeight {
                name: comp.name.clone(),
                value_l: value(l),
                value_r: value(r),
                level: aside_label
                    .unwrap_or_else(|| comp.comparator.level_labels()[level as usize]),
                m: if level == 0 || aside {
                    1.0
                } else {
                    comp.m[level as usize]
                },
                u: if level == 0 || aside { 1.0 } else { u },
                weight,
            });
        }
        let sum: f64 = prior_weight + out.iter().map(|f| f.weight).sum::<f64>();
        assert!((sum - total).abs() < 1e-9);
        Ok(Explanation {
            prior_weight,
            fields: out,
            weight: total,
            probability: probability(total),
        })
    }

    /// Clusters scored pairs at or above the threshold, honouring judgements.
    pub fn cluster(
        &self,
        pairs: &[ScoredPair],
        judgements: &[Judgement],
    ) -> Result<(Vec<u32>, ClusterStats), Error> {
        if judgements.len() > self.settings.limits.judgements_max {
            return Err(Error::Limit(format!(
                "{} judgements, more than judgements_max {}",
                judgements.len(),
                self.settings.limits.judgements_max
            )));
        }
        let mut edges: Vec<Edge> = pairs
            .iter()
            .filter(|p| p.probability >= self.settings.threshold)
            .map(|p| Edge {
                l: p.l,
                r: p.r,
                weight: p.weight,
            })
            .collect();
        let must: Vec<(u32, u32)> = judgements
            .iter()
            .filter(|j| j.same)
            .map(|j| (j.l, j.r))
            .collect();
        let cannot: Vec<(u32, u32)> = judgements
            .iter()
            .filter(|j| !j.same)
            .map(|j| (j.l, j.r))
            .collect();
        cluster(self.table.len(), &mut edges, &must, &cannot)
    }

    /// The whole run: train (unless a model is given), score, cluster.
    pub fn run(&self, model: Option<Model>, judgements: &[Judgement]) -> Result<Resolution, Error> {
        let given = model.is_some();
        let model = match model {
            Some(m) => {
                m.check().map_err(Error::Model)?;
                m
            }
            None => self.default_model(),
        };
        let mut phase_times = Vec::new();
        let mut clock = std::time::Instant::now();
        let mut lap = |name: &'static str| {
            phase_times.push((name, clock.elapsed()));
            clock = std::time::Instant::now();
        };
        let candidates = self.candidates(&model)?;
        lap("blocking and comparison");
        let model = if given {
            model
        } else {
            self.train(model, &candidates)?
        };
        lap("training");
        let pairs = self.score(&model, &candidates)?;
        lap("scoring");
        let (cluster_of, cluster_stats) = self.cluster(&pairs, judgements)?;
        lap("clustering");
        Ok(Resolution {
            model,
            pairs,
            cluster_of,
            candidate_pairs: candidates.pairs.len() as u64,
            block_stats: candidates.stats,
            phase_times,
            cluster_stats,
        })
    }
}
