//! Leiden community detection (Traag, Waltman and van Eck 2019, "From Louvain to Leiden:
//! guaranteeing well-connected communities"), maximising modularity with a resolution γ:
//!
//! `Q = Σ_c [ in_c / m − γ (K_c / 2m)² ]`
//!
//! where `m` is the total edge weight, `in_c` the weight inside community `c` and `K_c` the sum of
//! its nodes' strengths. Each iteration has three phases:
//!
//! 1. **Fast local moving**: nodes are visited from a queue (first in a random order); a node
//!    moves to the neighbouring community (or an empty one) that raises `Q` most, and its
//!    neighbours outside that community are queued again.
//! 2. **Refinement**: inside each community, starting from singletons, a node that is still a
//!    singleton and well connected to its community joins a well-connected sub-community,
//!    chosen at random with probability ∝ `exp(ΔQ / θ)` among those that do not lower `Q`. Each
//!    refined sub-community is therefore connected.
//! 3. **Aggregation**: the refined sub-communities become the nodes of the next level, which
//!    starts from the communities of phase 1.
//!
//! Levels repeat until phase 1 leaves every node alone or nothing is left to aggregate;
//! iterations repeat (each starting from the last partition) until one does not raise the
//! quality, or `iterations_max`. With a fixed seed the result is deterministic.

use crate::graph::{EdgeId, EdgeType, NodeId};
use crate::rng::Rng;
use crate::view::View;

/// How an edge's record count becomes its weight in the modularity Leiden maximises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weighting {
    /// The number of records: a pair that spoke 500 times weighs 500 times one that met once.
    Records,
    /// `1 + ln(records)`: repetition counts, with diminishing returns, so that one heavy
    /// link (an organiser's daily calls to a cell leader) does not outweigh a whole group's
    /// lighter ones.
    LogRecords,
    /// 1 per typed edge, whatever its records: structure only.
    Links,
}

impl Weighting {
    /// The weight of an edge with `records` records.
    #[inline]
    pub fn of(self, records: u32) -> f64 {
        match self {
            Weighting::Records => f64::from(records),
            Weighting::LogRecords => 1.0 + f64::from(records).ln(),
            Weighting::Links => 1.0,
        }
    }
}

/// An edge's weight for Leiden: its records by `weighting`, times its type's factor.
#[inline]
fn link_weight(view: &View<'_>, e: EdgeId, cfg: &LeidenConfig) -> f64 {
    cfg.weighting.of(view.weight(e)) * cfg.type_factor[view.graph().edge(e).kind as usize]
}

/// Leiden's settings.
#[derive(Clone, Copy, Debug)]
pub struct LeidenConfig {
    /// How record counts become weights.
    pub weighting: Weighting,
    /// A factor per edge type (indexed by `EdgeType as usize`) applied after `weighting`:
    /// how much one link of that type says about belonging together.
    pub type_factor: [f64; EdgeType::ALL.len()],
    /// Resolution γ: above 1 gives smaller communities, below 1 larger.
    pub resolution: f64,
    /// Randomness of refinement, θ, in units of edge weight: near 0 is greedy.
    pub theta: f64,
    /// Full iterations at most; each starts from the previous partition. Stops earlier when
    /// an iteration does not raise the quality.
    pub iterations_max: u32,
    /// Seed of the node order and of refinement's choices.
    pub seed: u64,
}

impl Default for LeidenConfig {
    fn default() -> Self {
        LeidenConfig {
            weighting: Weighting::Records,
            type_factor: [1.0; EdgeType::ALL.len()],
            resolution: 1.0,
            theta: 0.01,
            iterations_max: 20,
            seed: 20231101,
        }
    }
}

/// Type factors for recovering networks from a link graph of records, indexed by
/// `EdgeType as usize`; what [`LeidenConfig::networks`] uses.
///
/// - **associate, member: 10.** One record states a standing working relation. Under
///   [`Weighting::LogRecords`] 10 is what a pair recorded about 8,000 times weighs
///   (1 + ln 8,100): a relation stated once counts as much as the heaviest stream of calls.
/// - **uses, owns, called, messaged: 1.** A shared phone or vehicle, and the people who talk
///   to each other, are the everyday fabric of one group.
/// - **paid, travelled with, intercepted together: 0.1.** Each says that two parties dealt,
///   not that they belong together: one migrant travels with drivers of several cells and
///   pays through several brokers, so these links bind every network to its clients and its
///   clients to every other network. At full weight they outnumber the rest and glue
///   networks together.
pub const NETWORK_TYPE_FACTORS: [f64; EdgeType::ALL.len()] = {
    let mut f = [1.0; EdgeType::ALL.len()];
    f[EdgeType::TravelledWith as usize] = 0.1;
    f[EdgeType::InterceptedTogether as usize] = 0.1;
    f[EdgeType::Paid as usize] = 0.1;
    f[EdgeType::Associate as usize] = 10.0;
    f[EdgeType::Member as usize] = 10.0;
    f
};

impl LeidenConfig {
    /// The settings that recover networks from a link graph of records: repetition counts with
    /// diminishing returns ([`Weighting::LogRecords`]), each type weighed by what one link of
    /// it says about belonging together ([`NETWORK_TYPE_FACTORS`]), resolution 1.
    /// [`LeidenConfig::default`] stays plain modularity on record counts, the textbook
    /// definition other tools compute.
    pub fn networks() -> LeidenConfig {
        LeidenConfig {
            weighting: Weighting::LogRecords,
            type_factor: NETWORK_TYPE_FACTORS,
            resolution: 1.0,
            ..LeidenConfig::default()
        }
    }
}

/// Leiden's result.
#[derive(Clone, Debug)]
pub struct Communities {
    /// Community of each node id (`u32::MAX` outside the view). Communities are numbered by
    /// size, largest first, ties by smallest member id.
    pub membership: Vec<u32>,
    /// Size of each community.
    pub sizes: Vec<usize>,
    /// Modularity of the partition (at the configured resolution and weighting).
    pub modularity: f64,
    /// Iterations run.
    pub iterations: u32,
}

/// A weighted graph with self-loops, in CSR form: one level of the aggregation.
struct Level {
    offsets: Vec<usize>,
    nbr: Vec<u32>,
    w: Vec<f64>,
    /// Strength: for the first level the sum of incident weights; above, the sum of the
    /// strengths of the nodes merged.
    k: Vec<f64>,
}

impl Level {
    fn n(&self) -> usize {
        self.k.len()
    }

    fn from_view(view: &View<'_>, index: &[u32], n: usize, cfg: &LeidenConfig) -> Level {
        let mut offsets = Vec::with_capacity(n + 1);
        let mut nbr = Vec::new();
        let mut w = Vec::new();
        let mut k = Vec::with_capacity(n);
        offsets.push(0);
        for v in view.nodes() {
            let mut strength = 0.0;
            let mut last = u32::MAX;
            for (u, e) in view.neighbors(v) {
                let x = link_weight(view, e, cfg);
                strength += x;
                let ui = index[u as usize];
                // Parallel edges (several types between one pair) merge into one link.
                if ui == last {
                    *w.last_mut().expect("a previous link") += x;
                } else {
                    nbr.push(ui);
                    w.push(x);
                    last = ui;
                }
            }
            k.push(strength);
            offsets.push(nbr.len());
        }
        Level { offsets, nbr, w, k }
    }

    fn links(&self, v: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.offsets[v], self.offsets[v + 1]);
        (&self.nbr[a..b], &self.w[a..b])
    }

    /// The level whose nodes are the groups of `group` (numbered `0..groups_n`).
    fn aggregate(&self, group: &[u32], groups_n: usize) -> Level {
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); groups_n];
        for (v, &g) in group.iter().enumerate() {
            members[g as usize].push(v as u32);
        }
        let mut offsets = Vec::with_capacity(groups_n + 1);
        let mut nbr = Vec::new();
        let mut w = Vec::new();
        let mut k = vec![0.0; groups_n];
        let mut acc = vec![0.0; groups_n];
        let mut touched: Vec<u32> = Vec::new();
        offsets.push(0);
        for (g, ms) in members.iter().enumerate() {
            for &v in ms {
                k[g] += self.k[v as usize];
                let (ns, ws) = self.links(v as usize);
                for (&u, &x) in ns.iter().zip(ws) {
                    let h = group[u as usize];
                    if acc[h as usize] == 0.0 {
                        touched.push(h);
                    }
                    acc[h as usize] += x;
                }
            }
            touched.sort_unstable();
            for &h in &touched {
                nbr.push(h);
                w.push(acc[h as usize]);
                acc[h as usize] = 0.0;
            }
            touched.clear();
            offsets.push(nbr.len());
        }
        Level { offsets, nbr, w, k }
    }
}

struct Run<'a> {
    cfg: &'a LeidenConfig,
    rng: Rng,
    /// Twice the total edge weight.
    m2: f64,
}

impl Run<'_> {
    /// Phase 1. `comm` holds each node's community (ids `0..n`); returns whether any moved.
    fn move_nodes(&mut self, lv: &Level, comm: &mut [u32]) -> bool {
        let n = lv.n();
        let gamma = self.cfg.resolution;
        let mut ktot = vec![0.0; n];
        let mut size = vec![0u32; n];
        for v in 0..n {
            ktot[comm[v] as usize] += lv.k[v];
            size[comm[v] as usize] += 1;
        }
        let mut empty: Vec<u32> = (0..n as u32).filter(|&c| size[c as usize] == 0).collect();
        let mut queue: std::collections::VecDeque<u32> = {
            let mut order: Vec<u32> = (0..n as u32).collect();
            self.rng.shuffle(&mut order);
            order.into()
        };
        let mut queued = vec![true; n];
        let mut wc = vec![0.0; n];
        let mut touched: Vec<u32> = Vec::new();
        let mut moved = false;
        while let Some(v) = queue.pop_front() {
            let v = v as usize;
            queued[v] = false;
            let (ns, ws) = lv.links(v);
            let cur = comm[v];
            for (&u, &x) in ns.iter().zip(ws) {
                if u as usize == v {
                    continue;
                }
                let c = comm[u as usize];
                if wc[c as usize] == 0.0 {
                    touched.push(c);
                }
                wc[c as usize] += x;
            }
            let kv = lv.k[v];
            ktot[cur as usize] -= kv;
            size[cur as usize] -= 1;
            // Gains scaled by m: w(v, c) − γ k_v K_c / 2m.
            let scale = gamma * kv / self.m2;
            let mut best = cur;
            let mut best_gain = wc[cur as usize] - scale * ktot[cur as usize];
            for &c in &touched {
                let gain = wc[c as usize] - scale * ktot[c as usize];
                if gain > best_gain {
                    best_gain = gain;
                    best = c;
                }
            }
            if best_gain < 0.0 && size[cur as usize] > 0 {
                // Alone is better than anywhere (gain 0).
                if let Some(&c) = empty.last() {
                    best = c;
                }
            }
            for &c in &touched {
                wc[c as usize] = 0.0;
            }
            touched.clear();
            if best != cur {
                if size[best as usize] == 0 {
                    // It was taken from `empty` (the only way to pick an empty community).
                    let popped = empty.pop();
                    debug_assert_eq!(popped, Some(best));
                }
                if size[cur as usize] == 0 {
                    empty.push(cur);
                }
                moved = true;
                for &u in ns {
                    let ui = u as usize;
                    if ui != v && !queued[ui] && comm[ui] != best {
                        queued[ui] = true;
                        queue.push_back(u);
                    }
                }
            }
            comm[v] = best;
            ktot[best as usize] += kv;
            size[best as usize] += 1;
        }
        moved
    }

    /// Phase 2: the refined partition (sub-communities of `comm`, numbered `0..r`).
    fn refine(&mut self, lv: &Level, comm: &[u32]) -> (Vec<u32>, usize) {
        let n = lv.n();
        let gamma = self.cfg.resolution;
        let theta = self.cfg.theta;
        let mut ktot_c = vec![0.0; n];
        for v in 0..n {
            ktot_c[comm[v] as usize] += lv.k[v];
        }
        // Weight from each node to the rest of its community.
        let mut to_comm = vec![0.0; n];
        for v in 0..n {
            let (ns, ws) = lv.links(v);
            to_comm[v] = ns
                .iter()
                .zip(ws)
                .filter(|&(&u, _)| u as usize != v && comm[u as usize] == comm[v])
                .map(|(_, &x)| x)
                .sum();
        }
        // Refined communities: start as singletons (refined id = node id).
        let mut refined: Vec<u32> = (0..n as u32).collect();
        let mut rk: Vec<f64> = lv.k.clone();
        let mut rsize = vec![1u32; n];
        // E(T, C − T) for each refined community T.
        let mut rext: Vec<f64> = to_comm.clone();
        let mut order: Vec<u32> = (0..n as u32).collect();
        self.rng.shuffle(&mut order);
        order.sort_by_key(|&v| comm[v as usize]); // stable: random within a community
        let mut wt = vec![0.0; n];
        let mut touched: Vec<u32> = Vec::new();
        let mut cand: Vec<(u32, f64)> = Vec::new();
        for &v in &order {
            let v = v as usize;
            let c = comm[v] as usize;
            let kc = ktot_c[c];
            let kv = lv.k[v];
            if rsize[refined[v] as usize] != 1 {
                continue;
            }
            if to_comm[v] < gamma * kv * (kc - kv) / self.m2 {
                continue; // not well connected to its community
            }
            let (ns, ws) = lv.links(v);
            for (&u, &x) in ns.iter().zip(ws) {
                let ui = u as usize;
                if ui == v || comm[ui] as usize != c {
                    continue;
                }
                let t = refined[ui];
                if wt[t as usize] == 0.0 {
                    touched.push(t);
                }
                wt[t as usize] += x;
            }
            let own = refined[v];
            let scale = gamma * kv / self.m2;
            cand.clear();
            cand.push((own, 0.0));
            let mut best_gain = 0.0;
            for &t in &touched {
                let ti = t as usize;
                let well = rext[ti] >= gamma * rk[ti] * (kc - rk[ti]) / self.m2;
                let gain = wt[ti] - scale * rk[ti];
                if well && gain >= 0.0 {
                    cand.push((t, gain));
                    if gain > best_gain {
                        best_gain = gain;
                    }
                }
            }
            let chosen = if cand.len() == 1 {
                own
            } else {
                // exp((gain − best) / θ): the best has weight 1; no overflow.
                let total: f64 = cand
                    .iter()
                    .map(|&(_, g)| ((g - best_gain) / theta).exp())
                    .sum();
                let mut r = self.rng.unit() * total;
                let mut pick = cand[cand.len() - 1].0;
                for &(t, g) in &cand {
                    r -= ((g - best_gain) / theta).exp();
                    if r < 0.0 {
                        pick = t;
                        break;
                    }
                }
                pick
            };
            if chosen != own {
                let ti = chosen as usize;
                // v was a singleton: E(T ∪ v, C − T − v) = E(T) + E(v) − 2 w(v, T).
                rext[ti] = rext[ti] + rext[own as usize] - 2.0 * wt[ti];
                rk[ti] += kv;
                rsize[ti] += 1;
                rsize[own as usize] = 0;
                refined[v] = chosen;
            }
            for &t in &touched {
                wt[t as usize] = 0.0;
            }
            touched.clear();
        }
        renumber(&mut refined)
    }
}

/// Relative quality gain below which an iteration counts as not improving.
const QUALITY_GAIN_MIN: f64 = 1e-12;

/// Modularity of a partition of a level (each link is stored from both ends).
fn level_quality(lv: &Level, part: &[u32], gamma: f64, m2: f64) -> f64 {
    let comms = part.iter().max().map_or(0, |&c| c as usize + 1);
    let mut inside = vec![0.0; comms];
    let mut k = vec![0.0; comms];
    for v in 0..lv.n() {
        let c = part[v] as usize;
        k[c] += lv.k[v];
        let (ns, ws) = lv.links(v);
        for (&u, &x) in ns.iter().zip(ws) {
            if part[u as usize] as usize == c {
                inside[c] += x;
            }
        }
    }
    inside
        .iter()
        .zip(&k)
        .map(|(&i, &kc)| i / m2 - gamma * (kc / m2) * (kc / m2))
        .sum()
}

/// Renumbers labels to `0..count` in order of first appearance; returns the count.
fn renumber(labels: &mut [u32]) -> (Vec<u32>, usize) {
    let mut map = vec![u32::MAX; labels.len().max(1)];
    let mut next = 0u32;
    for l in labels.iter_mut() {
        let m = &mut map[*l as usize];
        if *m == u32::MAX {
            *m = next;
            next += 1;
        }
        *l = *m;
    }
    (labels.to_vec(), next as usize)
}

/// One iteration from `start` (a partition of the first level's nodes, ids `0..n`).
fn iterate(run: &mut Run<'_>, base: &Level, start: &[u32]) -> Vec<u32> {
    let n0 = base.n();
    let mut lv_owned: Option<Level> = None;
    // Which node of the current level each original node is in.
    let mut node_of: Vec<u32> = (0..n0 as u32).collect();
    let mut comm: Vec<u32> = start.to_vec();
    loop {
        let lv = lv_owned.as_ref().unwrap_or(base);
        run.move_nodes(lv, &mut comm);
        let (comm_now, comms_n) = renumber(&mut comm);
        comm = comm_now;
        if comms_n == lv.n() {
            break; // every node alone: nothing to aggregate
        }
        let (refined, refined_n) = run.refine(lv, &comm);
        if refined_n == lv.n() {
            break; // refinement merged nothing: aggregating would repeat this level
        }
        let mut next_comm = vec![0u32; refined_n];
        for v in 0..lv.n() {
            next_comm[refined[v] as usize] = comm[v];
        }
        let next = lv.aggregate(&refined, refined_n);
        for x in node_of.iter_mut() {
            *x = refined[*x as usize];
        }
        comm = next_comm;
        lv_owned = Some(next);
    }
    node_of.iter().map(|&x| comm[x as usize]).collect()
}

/// Modularity of `membership` (indexed by node id; `u32::MAX` outside the view) on the view,
/// at resolution `resolution`. Weights are the view's record counts.
pub fn modularity(view: &View<'_>, membership: &[u32], resolution: f64) -> f64 {
    let cfg = LeidenConfig {
        resolution,
        ..LeidenConfig::default()
    };
    weighted_modularity(view, membership, &cfg)
}

/// [`modularity`] with the edge weights and resolution of `cfg`.
pub fn weighted_modularity(view: &View<'_>, membership: &[u32], cfg: &LeidenConfig) -> f64 {
    let g = view.graph();
    let resolution = cfg.resolution;
    let strength: Vec<f64> = (0..view.id_bound() as NodeId)
        .map(|v| {
            view.neighbors(v)
                .map(|(_, e)| link_weight(view, e, cfg))
                .sum()
        })
        .collect();
    let m: f64 = view.edges().map(|e| link_weight(view, e, cfg)).sum();
    if m == 0.0 {
        return 0.0;
    }
    let comms = membership
        .iter()
        .filter(|&&c| c != u32::MAX)
        .max()
        .map_or(0, |&c| c as usize + 1);
    let mut inside = vec![0.0; comms];
    let mut ktot = vec![0.0; comms];
    for e in view.edges() {
        let edge = g.edge(e);
        let (a, b) = (
            membership[edge.source as usize],
            membership[edge.target as usize],
        );
        if a == b {
            inside[a as usize] += link_weight(view, e, cfg);
        }
    }
    for v in view.nodes() {
        ktot[membership[v as usize] as usize] += strength[v as usize];
    }
    inside
        .iter()
        .zip(&ktot)
        .map(|(&i, &k)| i / m - resolution * (k / (2.0 * m)).powi(2))
        .sum()
}

/// Leiden communities of the view.
pub fn leiden(view: &View<'_>, cfg: &LeidenConfig) -> Communities {
    assert!(
        cfg.resolution > 0.0 && cfg.theta > 0.0,
        "resolution and θ must be positive"
    );
    let n_ids = view.id_bound();
    let mut index = vec![u32::MAX; n_ids];
    let nodes: Vec<NodeId> = view.nodes().collect();
    for (i, &v) in nodes.iter().enumerate() {
        index[v as usize] = i as u32;
    }
    assert!(
        cfg.type_factor.iter().all(|&f| f >= 0.0 && f.is_finite()),
        "type factors must be finite and non-negative"
    );
    let base = Level::from_view(view, &index, nodes.len(), cfg);
    let m2: f64 = base.k.iter().sum();
    let mut run = Run {
        cfg,
        rng: Rng::new(cfg.seed, "leiden"),
        m2,
    };
    let mut part: Vec<u32> = (0..nodes.len() as u32).collect();
    let mut iterations = 0;
    if m2 > 0.0 {
        let mut q = level_quality(&base, &part, cfg.resolution, m2);
        while iterations < cfg.iterations_max {
            iterations += 1;
            let mut next = iterate(&mut run, &base, &part);
            let (next, _) = renumber(&mut next);
            let q_next = level_quality(&base, &next, cfg.resolution, m2);
            // Stop at the first iteration that does not raise the quality (beyond rounding):
            // later ones would only reshuffle ties.
            let improved = q_next > q + QUALITY_GAIN_MIN * q.abs().max(1.0);
            if q_next >= q {
                part = next;
                q = q_next;
            }
            if !improved {
                break;
            }
        }
    }
    // Number communities by size, then smallest member, so output is stable.
    let (part, comms_n) = {
        let mut p = part;
        renumber(&mut p)
    };
    let mut sizes = vec![0usize; comms_n];
    for &c in &part {
        sizes[c as usize] += 1;
    }
    let mut order: Vec<usize> = (0..comms_n).collect();
    order.sort_by_key(|&c| std::cmp::Reverse(sizes[c])); // stable: first appearance = smallest id
    let mut rank = vec![0u32; comms_n];
    for (r, &c) in order.iter().enumerate() {
        rank[c] = r as u32;
    }
    let mut membership = vec![u32::MAX; n_ids];
    for (i, &v) in nodes.iter().enumerate() {
        membership[v as usize] = rank[part[i] as usize];
    }
    let sizes: Vec<usize> = order.iter().map(|&c| sizes[c]).collect();
    let modularity = weighted_modularity(view, &membership, cfg);
    Communities {
        membership,
        sizes,
        modularity,
        iterations,
    }
}
