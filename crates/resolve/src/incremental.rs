//! Incremental resolution: one new record at a time against an index built from a full run.
//!
//! [`Index::new`] takes the engine of a full run, its model, pairs and clusters, and keeps what
//! adding a record needs: per blocking rule, the records of every key; every record's value ids
//! as one row (as [`Engine::candidates`] compares them); the dictionaries' reverse lookups; and
//! the clusters as a union–find with their cannot-links and the links between them.
//!
//! [`Index::add`] then resolves one record:
//!
//! 1. **Normalise** its values into the fields' dictionaries exactly as [`Prepared::new`] does
//!    ([`Prepared::push`]). Value counts are kept live, so term frequencies are those of all
//!    records held, the new one included: its pairs weigh what a full run over the same records
//!    would give them. Pairs scored earlier are not rescored as counts move; over millions of
//!    records one record moves a frequency by less than one part in a million of the total.
//! 2. **Block** it with the model's rules against the keys' record lists. A block that the new
//!    record would take past `block_records_max` is skipped, as a full run skips it; a block the
//!    rule's pair budget trimmed when the index was built stays skipped (budgets are not
//!    re-decided per record). Skipped blocks are counted in the [`Assignment`].
//! 3. **Score** the candidates as [`Engine::score`] scores pairs: the same pattern code, the
//!    same term-frequency adjustment, the same weight. The existing record is the pair's left
//!    side, the new one the right, as in a full run where the new record sorts last.
//! 4. **Cluster** it by the rule of [`crate::cluster`](mod@crate::cluster): its links above the threshold, strongest
//!    first, each joining the new record's cluster to another only when at least half the record
//!    pairs between them are links and no cannot-link would end up inside one cluster. A record
//!    linked to several clusters therefore joins the strongest one it may, and then merges
//!    further ones only where that rule allows. Existing clusters are never split or re-formed:
//!    that needs a full run.
//!
//! A record id already in the index is an error, not an update: a corrected record may have to
//! leave its cluster, which only a full run can decide.
//!
//! New records get the next record index, so after additions indices are no longer in
//! canonical (source, id) order; a cluster is still named by its smallest record index, so an
//! existing cluster keeps its id when records join it.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use crate::block::{BlockingRule, record_key};
use crate::cluster::{LINKAGE_SHARE_DEN, LINKAGE_SHARE_NUM};
use crate::compare::{Interner, Prepared};
use crate::model::{Model, probability};
use crate::table::Role;
use crate::{Engine, Error, Judgement, PairContext, RULES_MAX, ScoredPair};

/// Candidate records one added record is compared with, at most. Past it, the largest blocks
/// are skipped first (their sizes summed), as a rule over its pair budget loses its largest
/// blocks in a full run.
pub const CANDIDATES_PER_RECORD_MAX: usize = 50_000;

/// What adding one record did.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    /// The record's index.
    pub record: u32,
    /// Its cluster: the cluster's smallest record index.
    pub cluster: u32,
    /// True when it joined no existing cluster.
    pub founded: bool,
    /// The clusters it joined, by their ids before joining, in the order joined (more than one:
    /// it merged them).
    pub joined: Vec<u32>,
    /// Pairs with existing records at or above `pairs_probability_min` or the threshold,
    /// whichever is lower (what a full run returns), strongest first; ties by record index.
    pub pairs: Vec<ScoredPair>,
    /// How many of `pairs`, from the first, are links (at or above the threshold).
    pub links: usize,
    /// Existing records compared with it.
    pub candidates: u32,
    /// Blocks skipped: over `block_records_max` with it, trimmed by a rule's budget when the
    /// index was built, or over [`CANDIDATES_PER_RECORD_MAX`].
    pub blocks_skipped: u32,
    /// Links left out because joining would break a cannot-link.
    pub links_cut: u32,
    /// Links left out because their clusters were too loosely linked to join.
    pub links_loose: u32,
}

impl Assignment {
    /// The links: pairs at or above the threshold, strongest first.
    pub fn links(&self) -> &[ScoredPair] {
        &self.pairs[..self.links]
    }
}

/// One blocking rule's keys: the records built with the index as a sorted table (compact at
/// ten million records, where a map of vectors would cost several times more), and the records
/// added since in a map.
struct Blocks {
    /// Distinct keys, sorted.
    keys: Vec<u64>,
    /// `members[starts[k]..starts[k + 1]]` hold key `keys[k]`.
    starts: Vec<u32>,
    members: Vec<u32>,
    added: HashMap<u64, Vec<u32>>,
    /// Keys whose blocks the rule's pair budget trimmed when the index was built.
    trimmed: HashSet<u64>,
}

impl Blocks {
    /// Records built into the index and added since that hold `key`.
    fn block(&self, key: u64) -> (&[u32], &[u32]) {
        let built = match self.keys.binary_search(&key) {
            Ok(k) => &self.members[self.starts[k] as usize..self.starts[k + 1] as usize],
            Err(_) => &[],
        };
        let added = self.added.get(&key).map_or(&[][..], Vec::as_slice);
        (built, added)
    }

    /// The rule's table over every record's key, with the blocks its budget trims, decided as
    /// [`crate::block::candidate_pairs`] decides them.
    fn build(keys: &[u64], sources: &[u8], link: bool, limits: &crate::Limits) -> Blocks {
        let mut order: Vec<(u64, u32)> = keys
            .iter()
            .enumerate()
            .filter(|(_, k)| **k != 0)
            .map(|(i, k)| (*k, i as u32))
            .collect();
        order.par_sort_unstable();
        let mut distinct = Vec::new();
        let mut starts = Vec::new();
        let mut groups: Vec<(usize, usize)> = Vec::new();
        let mut start = 0;
        while start < order.len() {
            let mut end = start + 1;
            while end < order.len() && order[end].0 == order[start].0 {
                end += 1;
            }
            distinct.push(order[start].0);
            starts.push(start as u32);
            if end - start <= limits.block_records_max && end - start > 1 {
                groups.push((start, end));
            }
            start = end;
        }
        starts.push(order.len() as u32);
        let group_pairs: Vec<u64> = groups
            .iter()
            .map(|&(s, e)| crate::block::block_pairs(&order[s..e], sources, link))
            .collect();
        let budget = limits.rule_pairs_max(keys.len()) as u64;
        let trimmed: HashSet<u64> = crate::block::trim_to_budget(&group_pairs, budget)
            .iter()
            .enumerate()
            .filter(|(_, d)| **d)
            .map(|(i, _)| order[groups[i].0].0)
            .collect();
        Blocks {
            keys: distinct,
            starts,
            members: order.into_iter().map(|(_, i)| i).collect(),
            added: HashMap::new(),
            trimmed,
        }
    }
}

/// Clusters as a union–find over records, with what the joining rule needs per cluster.
struct Clusters {
    parent: Vec<u32>,
    /// Per root: records in the cluster.
    size: Vec<u32>,
    /// Per root: the smallest record index, the cluster's id.
    least: Vec<u32>,
    /// Per root with any: cannot-link partners of its records.
    forbidden: HashMap<u32, Vec<u32>>,
    /// Per root with any: links (pairs above the threshold) to each other root.
    links: HashMap<u32, HashMap<u32, u32>>,
}

impl Clusters {
    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }

    fn root(&self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            x = self.parent[x as usize];
        }
        x
    }

    fn conflict(&mut self, a: u32, b: u32) -> bool {
        let len = |c: &Clusters, r: u32| c.forbidden.get(&r).map_or(0, Vec::len);
        let (small, other) = if len(self, a) <= len(self, b) {
            (a, b)
        } else {
            (b, a)
        };
        let Some(list) = self.forbidden.remove(&small) else {
            return false;
        };
        let hit = list.iter().any(|&partner| self.find(partner) == other);
        self.forbidden.insert(small, list);
        hit
    }

    fn dense(&self, a: u32, b: u32) -> bool {
        let links = self
            .links
            .get(&a)
            .and_then(|m| m.get(&b))
            .map_or(0, |&n| u64::from(n));
        let pairs = u64::from(self.size[a as usize]) * u64::from(self.size[b as usize]);
        links * LINKAGE_SHARE_DEN >= pairs * LINKAGE_SHARE_NUM
    }

    fn link(&mut self, a: u32, b: u32) {
        *self.links.entry(a).or_default().entry(b).or_insert(0) += 1;
        *self.links.entry(b).or_default().entry(a).or_insert(0) += 1;
    }

    /// Joins the clusters of roots `a` and `b`; returns the new root.
    fn union(&mut self, a: u32, b: u32) -> u32 {
        let (big, small) = if self.size[a as usize] >= self.size[b as usize] {
            (a, b)
        } else {
            (b, a)
        };
        self.parent[small as usize] = big;
        self.size[big as usize] += self.size[small as usize];
        self.least[big as usize] = self.least[big as usize].min(self.least[small as usize]);
        if let Some(moved) = self.forbidden.remove(&small) {
            self.forbidden.entry(big).or_default().extend(moved);
        }
        let moved = self.links.remove(&small).unwrap_or_default();
        if let Some(own) = self.links.get_mut(&big) {
            own.remove(&small);
        }
        for (other, count) in moved {
            if other == big {
                continue;
            }
            if let Some(theirs) = self.links.get_mut(&other) {
                theirs.remove(&small);
                *theirs.entry(big).or_insert(0) += count;
            }
            *self.links.entry(big).or_default().entry(other).or_insert(0) += count;
        }
        if self.links.get(&big).is_some_and(HashMap::is_empty) {
            self.links.remove(&big);
        }
        big
    }
}

/// Where a comparison's values live: a table field's prepared column, or the swap comparison.
#[derive(Clone, Copy)]
enum Slot {
    Field(usize),
    Swap,
}

/// An engine's records, model and clusters, ready to resolve new records one at a time.
pub struct Index {
    engine: Engine,
    model: Model,
    /// Per comparison of the model, its prepared field.
    slots: Vec<Slot>,
    /// Per table field, its dictionary's lookups.
    interners: Vec<Interner>,
    swap_interner: Option<Interner>,
    rules: Vec<BlockingRule>,
    blocks: Vec<Blocks>,
    /// Every record's value ids for the comparisons (see [`Engine::rows`]), `width` per record.
    rows: Vec<u32>,
    width: usize,
    /// Per comparison and level, its weight when scoring.
    weights: Vec<Vec<f64>>,
    /// Which comparisons weigh names within their country, and the father's-name rule.
    context: PairContext,
    clusters: Clusters,
}

impl Index {
    /// Builds the index from a full run: its engine, its model, its pairs (those at or above
    /// the threshold count as links between clusters; pass the run's pairs, or none to treat
    /// clusters as unlinked) and `cluster_of`, which must put every record in a cluster named
    /// by one of its members (a run's own `cluster_of`, or every record alone). From then on a
    /// cluster is named by its smallest record index, as a run names it. Judgements are checked
    /// against the clusters: must-link pairs are joined, and a cannot-link pair inside one
    /// cluster is an error. Building took 19 to 28 s over ten million records on two shared
    /// cores, besides the engine (`docs/benchmarks.md`).
    pub fn new(
        mut engine: Engine,
        model: Model,
        cluster_of: Vec<u32>,
        pairs: &[ScoredPair],
        judgements: &[Judgement],
    ) -> Result<Index, Error> {
        model.check().map_err(Error::Model)?;
        // Names are weighed by their frequency within their country among all records held,
        // the added ones included, as a full run over the same records would weigh them.
        engine.keep_country_counts_live();
        let context = engine.pair_context(&model);
        let n = engine.table.len();
        let limits = &engine.settings.limits;
        if judgements.len() > limits.judgements_max {
            return Err(Error::Limit(format!(
                "{} judgements, more than judgements_max {}",
                judgements.len(),
                limits.judgements_max
            )));
        }
        let slots: Vec<Slot> = engine
            .fields_of(&model)?
            .into_iter()
            .map(
                |f| match engine.prepared.iter().position(|p| std::ptr::eq(p, f)) {
                    Some(k) => Slot::Field(k),
                    None => Slot::Swap,
                },
            )
            .collect();
        let rules = model.blocking_rules().map_err(Error::Model)?;
        if rules.len() > RULES_MAX {
            return Err(Error::Model(format!(
                "{} blocking rules, at most {RULES_MAX}",
                rules.len()
            )));
        }
        let clusters = Self::clusters(&engine, cluster_of, pairs, judgements)?;
        let keys = engine.keys(&model)?;
        let blocks: Vec<Blocks> = keys
            .iter()
            .map(|k| Blocks::build(k, &engine.table.sources, engine.link, limits))
            .collect();
        drop(keys);
        let (rows, width) = {
            let fields = engine.fields_of(&model)?;
            Engine::rows(&fields, n)
        };
        let weights = model
            .comparisons
            .iter()
            .map(|c| (0..c.m.len()).map(|l| c.score_weight(l as u8)).collect())
            .collect();
        let interners = engine.prepared.par_iter().map(Prepared::interner).collect();
        let swap_interner = engine.swap.as_ref().map(Prepared::interner);
        Ok(Index {
            engine,
            model,
            slots,
            interners,
            swap_interner,
            rules,
            blocks,
            rows,
            width,
            weights,
            context,
            clusters,
        })
    }

    fn clusters(
        engine: &Engine,
        cluster_of: Vec<u32>,
        pairs: &[ScoredPair],
        judgements: &[Judgement],
    ) -> Result<Clusters, Error> {
        let n = engine.table.len();
        if cluster_of.len() != n {
            return Err(Error::Config(format!(
                "cluster_of has {} entries for {n} records",
                cluster_of.len()
            )));
        }
        for (i, &c) in cluster_of.iter().enumerate() {
            if c as usize >= n || cluster_of[c as usize] != c {
                return Err(Error::Config(format!(
                    "record {i}'s cluster {c} is not named by one of its records"
                )));
            }
        }
        let mut size = vec![0u32; n];
        for &c in &cluster_of {
            size[c as usize] += 1;
        }
        let mut clusters = Clusters {
            parent: cluster_of,
            size,
            least: (0..n as u32).collect(),
            forbidden: HashMap::new(),
            links: HashMap::new(),
        };
        for i in 0..n as u32 {
            let root = clusters.parent[i as usize] as usize;
            clusters.least[root] = clusters.least[root].min(i);
        }
        let known = |r: u32| (r as usize) < n;
        for j in judgements {
            if !known(j.l) || !known(j.r) {
                return Err(Error::Judgement(format!(
                    "judgement on records {} and {}: only {n} records",
                    j.l, j.r
                )));
            }
            if !j.same {
                if j.l == j.r {
                    return Err(Error::Judgement(
                        "a record cannot be judged different from itself".to_string(),
                    ));
                }
                let (a, b) = (clusters.find(j.l), clusters.find(j.r));
                clusters.forbidden.entry(a).or_default().push(j.r);
                clusters.forbidden.entry(b).or_default().push(j.l);
            }
        }
        let mut must: Vec<(u32, u32)> = judgements
            .iter()
            .filter(|j| j.same)
            .map(|j| (j.l.min(j.r), j.l.max(j.r)))
            .collect();
        must.sort_unstable();
        for (a, b) in must {
            let (ra, rb) = (clusters.find(a), clusters.find(b));
            if ra != rb {
                if clusters.conflict(ra, rb) {
                    return Err(Error::Judgement(format!(
                        "the must-link judgements joining records {a} and {b} contradict a \
                         cannot-link"
                    )));
                }
                clusters.union(ra, rb);
            }
        }
        for j in judgements.iter().filter(|j| !j.same) {
            if clusters.find(j.l) == clusters.find(j.r) {
                return Err(Error::Judgement(format!(
                    "records {} and {} are judged different but share a cluster",
                    j.l, j.r
                )));
            }
        }
        let threshold = engine.settings.threshold;
        let mut seen: HashSet<(u32, u32)> = HashSet::new();
        for p in pairs.iter().filter(|p| p.probability >= threshold) {
            if !known(p.l) || !known(p.r) {
                return Err(Error::Config(format!(
                    "pair of records {} and {}: only {n} records",
                    p.l, p.r
                )));
            }
            let (a, b) = (clusters.find(p.l), clusters.find(p.r));
            if a != b && seen.insert((p.l.min(p.r), p.l.max(p.r))) {
                clusters.link(a, b);
            }
        }
        Ok(clusters)
    }

    /// Records held.
    pub fn len(&self) -> usize {
        self.engine.table.len()
    }

    /// True when no records are held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index of a record.
    pub fn record(&self, source: u8, id: &str) -> Option<u32> {
        self.engine.record(source, id)
    }

    /// A record's cluster: its smallest record index.
    pub fn cluster_of(&self, record: u32) -> u32 {
        self.clusters.least[self.clusters.root(record) as usize]
    }

    /// The engine, with every record added (for explanations: [`Engine::explain`]).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The model records are scored with.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Blocks trimmed by each rule's pair budget when the index was built.
    pub fn blocks_trimmed(&self) -> Vec<usize> {
        self.blocks.iter().map(|b| b.trimmed.len()).collect()
    }

    /// Reserves room for `additional` more records in every per-record column and lookup, so
    /// that adding them never moves one: at ten million records, growing a column or rehashing
    /// the id lookup takes from milliseconds to a second, all inside one `add`.
    pub fn reserve(&mut self, additional: usize) {
        let engine = &mut self.engine;
        engine.table.ids.reserve(additional);
        engine.table.sources.reserve(additional);
        engine.index.reserve(additional);
        for f in &mut engine.table.fields {
            f.values.reserve(additional);
        }
        for (p, interner) in engine.prepared.iter_mut().zip(&mut self.interners) {
            p.reserve(additional, interner);
        }
        if let (Some(swap), Some(interner)) = (&mut engine.swap, &mut self.swap_interner) {
            swap.reserve(additional, interner);
        }
        self.rows.reserve(additional * self.width);
        let c = &mut self.clusters;
        c.parent.reserve(additional);
        c.size.reserve(additional);
        c.least.reserve(additional);
    }

    /// Checks a new record before anything changes: its source, id, fields and value sizes.
    /// Returns its value per table field, trimmed, empty as missing.
    fn check<'a>(
        &self,
        source: u8,
        id: &str,
        values: &[(Role, u8, Option<&'a str>)],
    ) -> Result<Vec<Option<&'a str>>, Error> {
        let label = format!("new record '{id}'");
        let limits = &self.engine.settings.limits;
        let fail =
            |column: Option<&str>, reason: String| Err(Error::input(&label, 0, column, reason));
        if id.trim().is_empty() {
            return fail(None, "empty record id".to_string());
        }
        let allowed = if self.engine.link { 1 } else { 0 };
        if source > allowed {
            return fail(
                None,
                format!("source {source}: this index takes sources 0..={allowed}"),
            );
        }
        if self.engine.record(source, id).is_some() {
            return fail(
                None,
                format!(
                    "record id '{id}' is already in the index (a corrected record needs a full run)"
                ),
            );
        }
        if self.len() >= limits.records_max || self.len() >= u32::MAX as usize / 2 {
            return Err(Error::Limit(format!(
                "{} records, records_max {}",
                self.len() + 1,
                limits.records_max
            )));
        }
        let fields = &self.engine.table.fields;
        let mut out: Vec<Option<&str>> = vec![None; fields.len()];
        let mut given = vec![false; fields.len()];
        for &(role, occurrence, value) in values {
            let Some(k) = fields
                .iter()
                .position(|f| f.role == role && f.occurrence == occurrence)
            else {
                return fail(
                    Some(role.as_str()),
                    format!("no {} field #{occurrence} in the index", role.as_str()),
                );
            };
            if std::mem::replace(&mut given[k], true) {
                return fail(Some(role.as_str()), "value given twice".to_string());
            }
            if let Some(v) = value {
                if v.len() > limits.value_bytes_max {
                    return fail(
                        Some(role.as_str()),
                        format!(
                            "value of {} bytes, more than value_bytes_max {}",
                            v.len(),
                            limits.value_bytes_max
                        ),
                    );
                }
                let v = v.trim();
                out[k] = (!v.is_empty()).then_some(v);
            }
        }
        Ok(out)
    }

    /// Resolves one new record: `values` by (role, occurrence) of the index's fields (fields
    /// not given are missing), `source` 0 (or 1 when linking two inputs) and an id new to that
    /// source. The record is added to the index and to a cluster.
    pub fn add(
        &mut self,
        source: u8,
        id: &str,
        values: &[(Role, u8, Option<&str>)],
    ) -> Result<Assignment, Error> {
        let values = self.check(source, id, values)?;
        let x = self.len() as u32;
        self.push(source, id, &values);

        // Block.
        let limits = &self.engine.settings.limits;
        let keyed: Vec<(&Prepared, Role, u8)> = self
            .engine
            .table
            .fields
            .iter()
            .zip(&self.engine.prepared)
            .map(|(f, p)| (p, f.role, f.occurrence))
            .collect();
        let keys: Vec<u64> = self
            .rules
            .iter()
            .map(|r| record_key(r, &keyed, self.engine.swap.as_ref(), x as usize))
            .collect();
        let mut blocks_skipped = 0u32;
        let mut found: Vec<(usize, &[u32], &[u32])> = Vec::new();
        for (rule, &key) in keys.iter().enumerate() {
            if key == 0 {
                continue;
            }
            let blocks = &self.blocks[rule];
            let (built, added) = blocks.block(key);
            let size = built.len() + added.len();
            if size == 0 {
                continue;
            }
            if size + 1 > limits.block_records_max || blocks.trimmed.contains(&key) {
                blocks_skipped += 1;
                continue;
            }
            found.push((size, built, added));
        }
        let dropped = cap_blocks(&mut found, CANDIDATES_PER_RECORD_MAX);
        blocks_skipped += dropped as u32;
        let total: usize = found.iter().map(|f| f.0).sum();
        let sources = &self.engine.table.sources;
        let mut candidates: Vec<u32> = Vec::with_capacity(total);
        for &(_, built, added) in &found {
            candidates.extend(built.iter().chain(added));
        }
        if self.engine.link {
            candidates.retain(|&y| sources[y as usize] != source);
        }
        candidates.sort_unstable();
        candidates.dedup();

        // Score.
        let fields: Vec<&Prepared> = self
            .slots
            .iter()
            .map(|s| match *s {
                Slot::Field(k) => &self.engine.prepared[k],
                Slot::Swap => self
                    .engine
                    .swap
                    .as_ref()
                    .expect("a swap comparison is only built with its field"),
            })
            .collect();
        let settings = &self.engine.settings;
        let threshold = settings.threshold;
        let p_min = settings.pairs_probability_min.min(threshold);
        let w_min = (p_min / (1.0 - p_min)).log2();
        let width = self.width;
        let row = |i: u32| &self.rows[i as usize * width..(i as usize + 1) * width];
        let mut pairs: Vec<ScoredPair> = candidates
            .iter()
            .filter_map(|&y| {
                let code = Engine::code_of_rows(&fields, row(y), row(x));
                let w = self.engine.weight_of(
                    &self.model,
                    &fields,
                    &self.weights,
                    &self.context,
                    (y, x),
                    code,
                );
                (w >= w_min).then(|| ScoredPair {
                    l: y,
                    r: x,
                    weight: w,
                    probability: probability(w),
                })
            })
            .collect();
        pairs.sort_unstable_by(|a, b| b.weight.total_cmp(&a.weight).then(a.l.cmp(&b.l)));
        let links = pairs
            .iter()
            .take_while(|p| p.probability >= threshold)
            .count();

        // Record the keys, then cluster.
        for (blocks, &key) in self.blocks.iter_mut().zip(&keys) {
            if key != 0 {
                blocks.added.entry(key).or_default().push(x);
            }
        }
        let mut assignment = Assignment {
            record: x,
            cluster: x,
            founded: true,
            joined: Vec::new(),
            links,
            candidates: candidates.len() as u32,
            blocks_skipped,
            links_cut: 0,
            links_loose: 0,
            pairs,
        };
        self.join(&mut assignment);
        Ok(assignment)
    }

    /// Appends a checked record to the engine's table and fields, the rows and the clusters.
    fn push(&mut self, source: u8, id: &str, values: &[Option<&str>]) {
        let x = self.len() as u32;
        let engine = &mut self.engine;
        let full_name = Engine::full_name_field(&engine.table);
        let name_of = |fields: &[crate::table::Field], role: Role| {
            fields
                .iter()
                .position(|f| f.role == role && f.occurrence == 0)
                .and_then(|k| values[k])
        };
        let (given, family) = (
            name_of(&engine.table.fields, Role::GivenName),
            name_of(&engine.table.fields, Role::FamilyName),
        );
        // The names as compared, split as `Engine::new` splits them.
        let split = crate::split_given_name(given, family);
        let positions = (
            engine
                .table
                .fields
                .iter()
                .position(|f| f.role == Role::GivenName && f.occurrence == 0),
            engine
                .table
                .fields
                .iter()
                .position(|f| f.role == Role::FamilyName && f.occurrence == 0),
        );
        let compared = |k: usize, value: Option<&'_ str>| -> Option<String> {
            match (&split, positions) {
                (Some((g, _)), (Some(kg), _)) if k == kg => Some(g.clone()),
                (Some((_, f)), (_, Some(kf))) if k == kf => Some(f.clone()),
                _ => value.map(str::to_string),
            }
        };
        for (k, ((field, prepared), (&value, interner))) in engine
            .table
            .fields
            .iter_mut()
            .zip(&mut engine.prepared)
            .zip(values.iter().zip(&mut self.interners))
            .enumerate()
        {
            field.values.push(value.map(Into::into));
            if Some(k) == full_name {
                prepared.push_full_name(value, given, family, interner);
            } else {
                prepared.push(compared(k, value).as_deref(), interner);
            }
        }
        if let (Some(swap), Some(interner)) = (&mut engine.swap, &mut self.swap_interner) {
            let name = |role: Role| {
                engine
                    .table
                    .fields
                    .iter()
                    .position(|f| f.role == role && f.occurrence == 0)
                    .and_then(|k| values[k])
            };
            let (g, f) = match &split {
                Some((g, f)) => (Some(g.as_str()), Some(f.as_str())),
                None => (name(Role::GivenName), name(Role::FamilyName)),
            };
            swap.push_swap(g, f, interner);
        }
        engine.count_country(x);
        engine.table.ids.push(id.to_string());
        engine.table.sources.push(source);
        engine.index.insert((source, id.to_string()), x);
        for slot in &self.slots {
            match *slot {
                Slot::Field(k) => self.rows.push(engine.prepared[k].value[x as usize]),
                Slot::Swap => {
                    if let Some(swap) = &engine.swap {
                        self.rows.push(swap.value[x as usize]);
                        self.rows.push(swap.other[x as usize]);
                    }
                }
            }
        }
        let c = &mut self.clusters;
        c.parent.push(x);
        c.size.push(1);
        c.least.push(x);
    }

    /// Joins the new record's cluster by its links, as [`crate::cluster::cluster`] would.
    fn join(&mut self, a: &mut Assignment) {
        let x = a.record;
        let c = &mut self.clusters;
        for p in &a.pairs[..a.links] {
            let root = c.find(p.l);
            c.link(x, root);
        }
        for p in &a.pairs[..a.links] {
            let (rx, ry) = (c.find(x), c.find(p.l));
            if rx == ry {
                continue;
            }
            if c.conflict(rx, ry) {
                a.links_cut += 1;
                continue;
            }
            if !c.dense(rx, ry) {
                a.links_loose += 1;
                continue;
            }
            a.joined.push(c.least[ry as usize]);
            c.union(rx, ry);
        }
        let root = c.find(x);
        a.cluster = c.least[root as usize];
        a.founded = a.joined.is_empty();
    }
}

/// Drops the largest blocks (size first) until their sizes sum to at most `max`; returns how
/// many were dropped. A stable sort keeps rule order among blocks of one size.
fn cap_blocks<T>(blocks: &mut Vec<(usize, T, T)>, max: usize) -> usize {
    let mut total: usize = blocks.iter().map(|b| b.0).sum();
    if total <= max {
        return 0;
    }
    blocks.sort_by_key(|b| std::cmp::Reverse(b.0));
    let mut drop = 0;
    while total > max {
        total -= blocks[drop].0;
        drop += 1;
    }
    blocks.drain(..drop);
    drop
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Settings;
    use crate::compare::Comparator;
    use crate::table::{Field, Table};

    fn field(role: Role, values: &[&str]) -> Field {
        Field {
            role,
            occurrence: 0,
            name: role.as_str().to_string(),
            values: values
                .iter()
                .map(|v| (!v.is_empty()).then(|| (*v).into()))
                .collect(),
        }
    }

    #[test]
    fn pushing_values_one_by_one_prepares_what_new_does() {
        let cases: [(Role, &[&str]); 5] = [
            (
                Role::GivenName,
                &[
                    "Muhammad",
                    "Мухамед",
                    "",
                    "Mohammed",
                    "FNU",
                    "Ђорђе",
                    "Djordje",
                    "Muhammad",
                ],
            ),
            (
                Role::DateOfBirth,
                &["1987-05-03", "1987", "", "1990-01-01", "junk", "3.5.1987"],
            ),
            (Role::Plate, &["BG 123-AA", "BG123AA", "", "8G 123 AA"]),
            (Role::Phone, &["+381 60 123 4567", "060 1234567", ""]),
            (
                Role::FullName,
                &["Jovanović Đorđe", "Djordje Jovanovic", "", "Ali"],
            ),
        ];
        for (role, values) in cases {
            let f = field(role, values);
            let comparator = Comparator::for_role(role);
            let whole = Prepared::new(&f, comparator);
            let mut pushed = Prepared::new(&field(role, &[]), comparator);
            let mut interner = pushed.interner();
            for v in &f.values {
                pushed.push(v.as_deref(), &mut interner);
            }
            assert_eq!(whole.value, pushed.value, "{role:?}");
            assert_eq!(whole.text, pushed.text);
            assert_eq!(whole.count, pushed.count);
            assert_eq!(whole.phonetic, pushed.phonetic);
            assert_eq!(whole.date, pushed.date);
            assert_eq!(whole.folded, pushed.folded);
            assert_eq!(whole.present, pushed.present);
            // From half the column: the interner rebuilt from a prepared field continues it.
            let half = f.values.len() / 2;
            let mut part = Prepared::new(
                &Field {
                    values: f.values[..half].to_vec(),
                    ..f.clone()
                },
                comparator,
            );
            let mut interner = part.interner();
            for v in &f.values[half..] {
                part.push(v.as_deref(), &mut interner);
            }
            assert_eq!(whole.value, part.value, "{role:?} from half");
            assert_eq!(whole.phonetic, part.phonetic);
            assert_eq!(whole.count, part.count);
        }
    }

    #[test]
    fn swap_push_matches_new_swap() {
        let g = field(Role::GivenName, &["Ali", "Hoxha", "", "Ahmad"]);
        let f = field(Role::FamilyName, &["Hoxha", "Ali", "Krasniqi", ""]);
        let whole = Prepared::new_swap(&g, &f);
        let mut pushed =
            Prepared::new_swap(&field(Role::GivenName, &[]), &field(Role::FamilyName, &[]));
        let mut interner = pushed.interner();
        for (a, b) in g.values.iter().zip(&f.values) {
            pushed.push_swap(a.as_deref(), b.as_deref(), &mut interner);
        }
        // `new_swap` numbers the whole given column before the family column, pushing numbers
        // record by record: the ids differ, the values they stand for and their counts agree.
        let texts = |p: &Prepared, ids: &[u32]| -> Vec<Box<str>> {
            ids.iter().map(|&i| p.text[i as usize].clone()).collect()
        };
        assert_eq!(texts(&whole, &whole.value), texts(&pushed, &pushed.value));
        assert_eq!(texts(&whole, &whole.other), texts(&pushed, &pushed.other));
        let counted = |p: &Prepared| {
            let mut v: Vec<(Box<str>, u32)> = p
                .text
                .iter()
                .cloned()
                .zip(p.count.iter().copied())
                .collect();
            v.sort();
            v
        };
        assert_eq!(counted(&whole), counted(&pushed));
    }

    fn people() -> Table {
        Table {
            ids: (0..6).map(|i| format!("r{i}")).collect(),
            sources: vec![0; 6],
            fields: vec![
                field(
                    Role::GivenName,
                    &["Ali", "Ali", "Ahmad", "Ahmad", "Djordje", "Ali"],
                ),
                field(
                    Role::FamilyName,
                    &["Hoxha", "Hoxha", "Karimi", "Karimi", "Ilic", "Krasniqi"],
                ),
                field(
                    Role::DateOfBirth,
                    &[
                        "1990-02-03",
                        "1990-02-03",
                        "1985-07-08",
                        "1985-07-08",
                        "1970-01-09",
                        "1990-02-03",
                    ],
                ),
                field(
                    Role::Phone,
                    &[
                        "+38160111",
                        "+38160111",
                        "+38160222",
                        "+38160222",
                        "+38160333",
                        "",
                    ],
                ),
            ],
        }
    }

    fn index(judgements: &[Judgement]) -> Index {
        index_with(judgements, Settings::default())
    }

    fn index_with(judgements: &[Judgement], settings: Settings) -> Index {
        let engine = Engine::new(people(), settings).unwrap();
        let run = engine.run(None, judgements).unwrap();
        Index::new(engine, run.model, run.cluster_of, &run.pairs, judgements).unwrap()
    }

    /// Values of a record that duplicates records 0 and 1.
    fn ali() -> Vec<(Role, u8, Option<&'static str>)> {
        vec![
            (Role::GivenName, 0, Some("Ali")),
            (Role::FamilyName, 0, Some("Hoxha")),
            (Role::DateOfBirth, 0, Some("1990-02-03")),
            (Role::Phone, 0, Some("+38160111")),
        ]
    }

    #[test]
    fn a_duplicate_joins_and_a_stranger_founds() {
        let mut ix = index(&[]);
        assert_eq!(ix.cluster_of(1), 0);
        let a = ix.add(0, "n1", &ali()).unwrap();
        assert_eq!((a.record, a.cluster, a.founded), (6, 0, false));
        assert_eq!(a.joined, vec![0]);
        assert!(a.links().iter().any(|p| p.l == 0) && a.links().iter().any(|p| p.l == 1));
        assert_eq!(ix.cluster_of(6), 0);
        assert_eq!(ix.record(0, "n1"), Some(6));
        let b = ix
            .add(
                0,
                "n2",
                &[
                    (Role::GivenName, 0, Some("Zoran")),
                    (Role::FamilyName, 0, Some("Zukic")),
                ],
            )
            .unwrap();
        assert!(b.founded);
        assert_eq!(b.cluster, 7);
        assert_eq!(ix.len(), 8);
        // The engine holds the added records: explanations work on them.
        let e = ix.engine().explain(ix.model(), 0, 6).unwrap();
        assert!(e.weight > 0.0);
    }

    #[test]
    fn input_errors_change_nothing() {
        let mut ix = index(&[]);
        assert!(ix.add(0, "r1", &[]).is_err(), "existing id");
        assert!(ix.add(0, " ", &[]).is_err());
        assert!(
            ix.add(1, "n", &[]).is_err(),
            "second source in a deduplication"
        );
        assert!(ix.add(0, "n", &[(Role::Email, 0, Some("a@b"))]).is_err());
        assert!(
            ix.add(
                0,
                "n",
                &[(Role::GivenName, 0, Some("A")), (Role::GivenName, 0, None)]
            )
            .is_err()
        );
        let long = "x".repeat(5000);
        assert!(
            ix.add(0, "n", &[(Role::GivenName, 0, Some(&long))])
                .is_err()
        );
        assert_eq!(ix.len(), 6);
        assert!(ix.add(0, "n", &[]).is_ok());
    }

    #[test]
    fn cannot_link_keeps_a_new_record_from_merging_judged_clusters() {
        // 0/1 and 5 are the same name and date but judged different: a record linking both
        // joins the strongest side only.
        let judgements = [Judgement {
            l: 0,
            r: 5,
            same: false,
        }];
        // Six records train a timid model: a low threshold makes the record link both sides,
        // which is what this test is about.
        let settings = Settings {
            threshold: 0.01,
            pairs_probability_min: 0.01,
            ..Settings::default()
        };
        let mut ix = index_with(&judgements, settings);
        assert_ne!(ix.cluster_of(0), ix.cluster_of(5));
        let mut v = ali();
        v[3] = (Role::Phone, 0, None);
        let a = ix.add(0, "n1", &v).unwrap();
        assert_ne!(ix.cluster_of(0), ix.cluster_of(5));
        assert_eq!(ix.cluster_of(a.record), a.cluster);
        assert!(a.links > 0, "{a:?}");
        assert!(a.cluster == 0 || a.cluster == 5);
    }

    #[test]
    fn contradictory_inputs_are_errors() {
        let engine = Engine::new(people(), Settings::default()).unwrap();
        let run = engine.run(None, &[]).unwrap();
        // 0 and 1 share a cluster in the run: judging them different contradicts it.
        let bad = [Judgement {
            l: 0,
            r: 1,
            same: false,
        }];
        assert!(matches!(
            Index::new(
                engine,
                run.model.clone(),
                run.cluster_of.clone(),
                &run.pairs,
                &bad
            ),
            Err(Error::Judgement(_))
        ));
        let engine = Engine::new(people(), Settings::default()).unwrap();
        assert!(Index::new(engine, run.model.clone(), vec![1, 0, 2, 3, 4, 5], &[], &[]).is_err());
    }

    #[test]
    fn candidate_cap_drops_the_largest_blocks_first() {
        let mut blocks = vec![(5, 'a', 'a'), (9, 'b', 'b'), (2, 'c', 'c'), (9, 'd', 'd')];
        assert_eq!(cap_blocks(&mut blocks, 30), 0);
        assert_eq!(blocks.len(), 4);
        assert_eq!(cap_blocks(&mut blocks, 10), 2);
        assert_eq!(blocks, vec![(5, 'a', 'a'), (2, 'c', 'c')]);
        assert_eq!(cap_blocks(&mut blocks, 0), 2);
        assert!(blocks.is_empty());
    }

    #[test]
    fn linking_compares_across_inputs_only() {
        let mut t = people();
        t.sources = vec![0, 1, 0, 1, 0, 1];
        let engine = Engine::new(t, Settings::default()).unwrap();
        assert!(engine.is_link());
        let run = engine.run(None, &[]).unwrap();
        let mut ix = Index::new(engine, run.model, run.cluster_of, &run.pairs, &[]).unwrap();
        let id_of = |ix: &Index, i: u32| {
            let t = ix.engine().table();
            (t.sources[i as usize], t.ids[i as usize].clone())
        };
        // Record 0 of input 0 and record 1 of input 1 are both Ali Hoxha.
        let a = ix.add(1, "n1", &ali()).unwrap();
        assert!(!a.pairs.is_empty());
        assert!(a.pairs.iter().all(|p| id_of(&ix, p.l).0 == 0));
        assert!(
            a.links()
                .iter()
                .any(|p| id_of(&ix, p.l) == (0, "r0".to_string()))
        );
        // An id is unique within its input, not across them.
        assert!(ix.add(0, "n1", &ali()).is_ok());
        assert!(ix.add(2, "n2", &ali()).is_err());
    }

    #[test]
    fn skipped_blocks_are_those_a_full_run_skips() {
        let given = ["Ali", "Ahmad", "Omar", "Ali", "Hasan"];
        let family = ["Hoxha", "Karimi", "Hoxha", "Ilic"];
        let dates = ["1990-02-03", "1985", "", "1970-01-09"];
        let n = 40;
        let pick = |pool: &[&'static str], i: usize, k: usize| pool[(i * k + i / 3) % pool.len()];
        let values = |pool: &[&'static str], k: usize| -> Vec<&'static str> {
            (0..n).map(|i| pick(pool, i, k)).collect()
        };
        let table = Table {
            ids: (0..n).map(|i| format!("r{i:02}")).collect(),
            sources: vec![0; n],
            fields: vec![
                field(Role::GivenName, &values(&given, 3)),
                field(Role::FamilyName, &values(&family, 5)),
                field(Role::DateOfBirth, &values(&dates, 7)),
            ],
        };
        let settings = Settings {
            limits: crate::Limits {
                block_records_max: 12,
                rule_pairs_floor: 20,
                rule_pairs_per_record_max: 0,
                ..crate::Limits::default()
            },
            ..Settings::default()
        };
        let engine = Engine::new(table, settings).unwrap();
        let model = engine.default_model();
        let run = engine.run(Some(model.clone()), &[]).unwrap();
        let max = engine.settings.limits.block_records_max;
        let ix = Index::new(engine, model, run.cluster_of, &[], &[]).unwrap();
        assert!(
            ix.blocks_trimmed().iter().sum::<usize>() > 0,
            "the budget must bite"
        );
        let mut oversized = 0;
        for (r, blocks) in ix.blocks.iter().enumerate() {
            let mut skipped: HashSet<u64> = blocks.trimmed.clone();
            for (k, &key) in blocks.keys.iter().enumerate() {
                if (blocks.starts[k + 1] - blocks.starts[k]) as usize > max {
                    skipped.insert(key);
                    oversized += 1;
                }
            }
            assert_eq!(skipped, run.block_stats.skipped_keys[r], "rule {r}");
        }
        assert!(oversized > 0, "the block limit must bite");
    }

    #[test]
    fn record_key_equals_rule_keys() {
        let engine = Engine::new(people(), Settings::default()).unwrap();
        let model = engine.default_model();
        let keys = engine.keys(&model).unwrap();
        let keyed: Vec<(&Prepared, Role, u8)> = engine
            .table
            .fields
            .iter()
            .zip(&engine.prepared)
            .map(|(f, p)| (p, f.role, f.occurrence))
            .collect();
        for (rule, k) in model.blocking_rules().unwrap().iter().zip(&keys) {
            for (i, &key) in k.iter().enumerate() {
                assert_eq!(record_key(rule, &keyed, engine.swap.as_ref(), i), key);
            }
        }
    }
}
