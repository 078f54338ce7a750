//! `corridor network`: the link graph and its analytics from the command line.
//!
//! Until resolved subjects are in the store, the graph comes from a file:
//!
//! - `--edges FILE.csv`: an edge list with the header
//!   `source,target,type,weight,from,to,records` and, optionally, `source_kind`, `target_kind`
//!   and `amount`. `type` is one of uses, owns, called, messaged, travelled_with,
//!   intercepted_together, paid, associate, member; `weight` is the number of records (used
//!   when `records` is empty); `from`/`to` are `YYYY-MM-DD` (empty: unknown); `records` is the
//!   record ids separated by `;` (they become the weight, and are what `--visible-records`
//!   filters); kinds are person, phone, vehicle, vessel, account, organization, address.
//! - `--from-truth DIR`: the graph of a `corridor synth` output's ground truth (see
//!   [`load_truth`]), which also enables `evaluate`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use corridor_graph::betweenness::error_bound;
use corridor_graph::eval::{adjusted_rand_index, normalized_mutual_information};
use corridor_graph::paths::degree_by_type;
use corridor_graph::{
    AllVisible, BetweennessMode, Day, EdgeFilter, EdgeInput, EdgeType, EdgeTypes, Graph,
    GraphBuilder, Interval, LeidenConfig, NETWORK_EDGE_WEIGHT_MIN, NETWORK_TYPE_FACTORS, NodeId,
    NodeKind, Objective, PageRankConfig, RecordFilter, View, Visibility, Weighting, betweenness,
    components, disrupt, ego, k_shortest_paths, leiden, networks, organiser_rank, pagerank,
    sample_size,
};
use serde_json::{Value, json};

const EXIT_USAGE: u8 = 2;
/// Rows an edge-list file may have; more is an error, not an out-of-memory.
const EDGE_ROWS_MAX: usize = 100_000_000;
/// Record ids one edge-list row may list.
const ROW_RECORDS_MAX: usize = 100_000;
/// Views with more nodes than this get sampled betweenness by default.
const BETWEENNESS_EXACT_NODES_MAX: usize = 5_000;
/// (ε, δ) of sampled betweenness by default: every node within 0.01 of its normalised
/// betweenness with probability 0.99.
const BETWEENNESS_EPSILON: f64 = 0.01;
const BETWEENNESS_DELTA: f64 = 0.01;
/// Sources for sampled betweenness by default at most (the (ε, δ) rule may want more).
const BETWEENNESS_SOURCES_MAX: usize = 2_000;

/// Arguments of `corridor network`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  corridor network summary --store corridor.db
  corridor network top --by betweenness --store corridor.db
  corridor network summary --edges links.csv
  corridor network top --n 20 --from-truth scenario
  corridor network top --by pagerank --n 20 --from-truth scenario
  corridor network communities --from-truth scenario --format json
  corridor network path P0000001 P0000200 --k 3 --types called,paid --from 2023-03-01 --edges links.csv
  corridor network ego P0000001 --hops 2 --from 2023-06-01 --to 2023-06-30 --edges links.csv
  corridor network disrupt N0 --k 5 --objective money --from-truth scenario
  corridor network export --as graphml --out links.graphml --edges links.csv
  corridor network evaluate --from-truth scenario
  corridor network evaluate --from-truth scenario --weighting records --type-weight all=1

Edge list (--edges): CSV with header source,target,type,weight,from,to,records
[,source_kind,target_kind,amount]. type: uses, owns, called, messaged, travelled_with,
intercepted_together, paid, associate, member. records: ids separated by ';' (their count is
the weight). Dates YYYY-MM-DD, empty for unknown.

Communities (`C0`, …) are Leiden's: by default with 1 + ln(records) as weights, each edge type
weighed by what one link of it says about belonging together (associate and member 10; uses,
owns, called, messaged 1; paid, travelled_with, intercepted_together 0.1) and resolution 1.
These are the networks as detected; `--weighting records --type-weight all=1` gives plain
modularity. `N0`, `N1`, … are the connected components after dropping edges asserted by a
single record, `N0` the largest: pieces held together by repeated records, not networks.
`top` ranks by `organiser` unless told otherwise: the money on a person's payments per person
they are recorded in contact with (persons only).
Exit status: 0 done; 2 bad arguments or input; 1 failure.")]
pub struct NetworkArgs {
    #[command(subcommand)]
    command: NetworkCommand,
    /// Edge list to build the graph from (see below).
    #[arg(long, global = true, conflicts_with_all = ["from_truth", "store"])]
    edges: Option<PathBuf>,
    /// Build the graph from a store's resolved subjects and the records linking them (run
    /// `corridor resolve` first).
    /// With --from-truth too, the graph comes from the store and the truth is mapped onto its
    /// subjects (each subject is the true person most of its records describe), so `evaluate`
    /// measures what resolution and the graph recover together.
    #[arg(long, global = true)]
    store: Option<String>,
    /// Build the graph from a `corridor synth` output directory's truth files.
    #[arg(long, global = true)]
    from_truth: Option<PathBuf>,
    /// Output as an aligned table or as JSON.
    #[arg(long, global = true, value_enum, default_value = "table")]
    format: OutFormat,
    /// Keep only these edge types (comma-separated).
    #[arg(long, global = true, value_delimiter = ',')]
    types: Vec<String>,
    /// Keep only edges recorded on or after this day (YYYY-MM-DD).
    #[arg(long = "from", global = true, value_name = "DATE")]
    since: Option<String>,
    /// Keep only edges recorded on or before this day (YYYY-MM-DD).
    #[arg(long = "to", global = true, value_name = "DATE")]
    until: Option<String>,
    /// Keep only edges asserted by at least this many records.
    #[arg(long, global = true, default_value_t = 1)]
    weight_min: u32,
    /// See only records whose id starts with one of these prefixes (comma-separated), as a
    /// viewer would who may see only those originators' records.
    #[arg(long, global = true, value_delimiter = ',')]
    visible_records: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OutFormat {
    Table,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum RankBy {
    /// Who runs it (recommended): money on a person's Payment edges per distinct person they
    /// are recorded calling, messaging, travelling or stopped with. Persons only.
    Organiser,
    /// Weighted PageRank.
    Pagerank,
    /// Betweenness (sampled above 5,000 nodes, with its error bound).
    Betweenness,
    /// Weighted degree (records on the node's edges).
    Degree,
    /// Money: the sum of Payment amounts on the node's edges, in and out.
    Money,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum WeightingArg {
    /// Weight = records.
    Records,
    /// Weight = 1 + ln(records).
    Log,
    /// Weight = 1 per typed edge.
    Links,
}

impl WeightingArg {
    fn get(self) -> Weighting {
        match self {
            WeightingArg::Records => Weighting::Records,
            WeightingArg::Log => Weighting::LogRecords,
            WeightingArg::Links => Weighting::Links,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ObjectiveArg {
    /// Key-player fragmentation.
    Fragmentation,
    /// Most money any remaining piece still moves.
    Money,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ExportAs {
    /// GraphML (yEd, Gephi, networkx, igraph).
    Graphml,
    /// GEXF 1.3 (Gephi).
    Gexf,
    /// FollowTheMoney entity JSON lines: nodes as entities, edges as interval entities.
    Ftm,
}

#[derive(clap::Subcommand)]
enum NetworkCommand {
    /// Nodes, edges by type, components and networks.
    Summary,
    /// The top nodes by a centrality.
    Top {
        /// The ranking.
        #[arg(long, value_enum, default_value = "organiser")]
        by: RankBy,
        /// How many.
        #[arg(long, default_value_t = 20)]
        n: usize,
        /// Only nodes of this kind (person, phone, account, …).
        #[arg(long)]
        kind: Option<String>,
        /// Betweenness sources (default: the (ε = 0.01, δ = 0.01) rule, at most 2,000; exact up to 5,000 nodes).
        #[arg(long)]
        samples: Option<usize>,
        /// Seed of the betweenness sample.
        #[arg(long, default_value_t = 20231101)]
        seed: u64,
    },
    /// Leiden communities.
    Communities {
        /// Resolution γ (above 1: smaller communities).
        #[arg(long, default_value_t = 1.0)]
        resolution: f64,
        /// How record counts become edge weights.
        #[arg(long, value_enum, default_value = "log")]
        weighting: WeightingArg,
        /// Set one edge type's factor, e.g. associate=20; all=1 sets every type (comma-separated
        /// TYPE=FACTOR, applied in order over the defaults above).
        #[arg(long, value_delimiter = ',', value_name = "TYPE=FACTOR")]
        type_weight: Vec<String>,
        /// Seed.
        #[arg(long, default_value_t = 20231101)]
        seed: u64,
        /// Communities listed.
        #[arg(long, default_value_t = 20)]
        n: usize,
        /// Also write node,community to this CSV.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// How A is connected to B: the k shortest paths, each hop with its edges and dates.
    Path {
        /// First node's name.
        a: String,
        /// Second node's name.
        b: String,
        /// Paths.
        #[arg(long, default_value_t = 1)]
        k: usize,
    },
    /// The nodes within some hops of A, and the edges among them.
    Ego {
        /// The centre's name.
        a: String,
        /// Hops.
        #[arg(long, default_value_t = 2)]
        hops: u32,
    },
    /// The k nodes whose removal most disrupts a network (N<i>, C<i>, or a node's name:
    /// the network containing it).
    Disrupt {
        /// N<i> (network i), C<i> (Leiden community i) or a node's name.
        network: String,
        /// Nodes to remove.
        #[arg(long, default_value_t = 5)]
        k: usize,
        /// What to disrupt.
        #[arg(long, value_enum, default_value = "fragmentation")]
        objective: ObjectiveArg,
    },
    /// Write the (filtered, visible) graph as GraphML, GEXF or FtM JSON lines.
    Export {
        /// File format.
        #[arg(long = "as", id = "export_as", value_enum)]
        export_as: ExportAs,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// With --from-truth: how well communities and networks recover the true networks (ARI,
    /// NMI over member persons) and how many organisers and money collectors each ranking puts
    /// in its top N (persons only).
    Evaluate {
        /// N of recall@N.
        #[arg(long, default_value_t = 20)]
        top: usize,
        /// Leiden resolution.
        #[arg(long, default_value_t = 1.0)]
        resolution: f64,
        /// How record counts become edge weights for Leiden.
        #[arg(long, value_enum, default_value = "log")]
        weighting: WeightingArg,
        /// Set one edge type's factor, e.g. associate=20; all=1 sets every type (comma-separated
        /// TYPE=FACTOR, applied in order over the defaults).
        #[arg(long, value_delimiter = ',', value_name = "TYPE=FACTOR")]
        type_weight: Vec<String>,
        /// Seed.
        #[arg(long, default_value_t = 20231101)]
        seed: u64,
    },
}

fn usage(message: impl std::fmt::Display) -> Result<u8> {
    eprintln!("error: {message}");
    Ok(EXIT_USAGE)
}

/// What the truth files say about member persons.
#[derive(Default)]
pub struct Truth {
    /// Person id → (network id, role), first membership row.
    pub members: BTreeMap<String, (String, String)>,
}

/// Runs the command; returns the exit status.
pub fn run(args: NetworkArgs) -> Result<u8> {
    let started = Instant::now();
    let (graph, truth) = match (&args.edges, &args.from_truth, &args.store) {
        (Some(path), None, None) => match load_edges(path) {
            Ok(g) => (g, None),
            Err(e) => return usage(format!("{e:#}")),
        },
        (None, Some(dir), None) => match load_truth(dir) {
            Ok((g, t)) => (g, Some(t)),
            Err(e) => return usage(format!("{e:#}")),
        },
        (None, None, Some(locator)) => {
            let mut store = crate::open_store(locator)?;
            let (g, _) = corridor_subjects::links::link_graph(store.as_mut())?;
            (g, None)
        }
        (None, Some(dir), Some(locator)) => {
            let mut store = crate::open_store(locator)?;
            let (g, _) = corridor_subjects::links::link_graph(store.as_mut())?;
            match subject_truth(store.as_mut(), dir) {
                Ok(t) => (g, Some(t)),
                Err(e) => return usage(format!("{e:#}")),
            }
        }
        _ => {
            return usage(
                "give the graph with --store STORE, --edges FILE.csv or --from-truth DIR",
            );
        }
    };
    let mut filter = EdgeFilter {
        weight_min: args.weight_min.max(1),
        ..EdgeFilter::default()
    };
    if !args.types.is_empty() {
        let mut types = Vec::new();
        for t in &args.types {
            match t.trim().parse::<EdgeType>() {
                Ok(t) => types.push(t),
                Err(e) => return usage(format!("--types: {e}")),
            }
        }
        filter.types = EdgeTypes::of(&types);
    }
    for (arg, value, slot) in [
        ("--from", &args.since, &mut filter.window.from),
        ("--to", &args.until, &mut filter.window.to),
    ] {
        if let Some(v) = value {
            match Day::parse(v) {
                Some(d) => *slot = d,
                None => return usage(format!("{arg}: {v:?} is not a YYYY-MM-DD date")),
            }
        }
    }
    let prefixes = args.visible_records.clone();
    let restricted =
        RecordFilter(move |r: &str| prefixes.iter().any(|p| r.starts_with(p.as_str())));
    let viewer: &dyn Visibility = if args.visible_records.is_empty() {
        &AllVisible
    } else {
        &restricted
    };
    let view = View::for_viewer(&graph, viewer).filtered(&filter);
    eprintln!(
        "graph: {} nodes, {} edges ({} visible) in {:.1}s",
        graph.nodes_n(),
        graph.edges_n(),
        view.edges().count(),
        started.elapsed().as_secs_f64()
    );
    let json = args.format == OutFormat::Json;
    let out = match args.command {
        NetworkCommand::Summary => summary(&view),
        NetworkCommand::Top {
            by,
            n,
            kind,
            samples,
            seed,
        } => {
            let kind = match kind.map(|k| k.parse::<NodeKind>()).transpose() {
                Ok(k) => k,
                Err(e) => return usage(format!("--kind: {e}")),
            };
            top(&view, by, n, kind, samples, seed)
        }
        NetworkCommand::Communities {
            resolution,
            weighting,
            type_weight,
            seed,
            n,
            out,
        } => {
            if resolution <= 0.0 {
                return usage("--resolution must be positive");
            }
            let type_factor = match type_factors(&type_weight) {
                Ok(f) => f,
                Err(e) => return usage(format!("--type-weight: {e:#}")),
            };
            let cfg = LeidenConfig {
                resolution,
                weighting: weighting.get(),
                type_factor,
                seed,
                ..LeidenConfig::networks()
            };
            communities(&view, &cfg, n, out.as_deref())?
        }
        NetworkCommand::Path { a, b, k } => {
            let (Some(x), Some(y)) = (graph.find(&a), graph.find(&b)) else {
                return usage(format!("no node named {a:?} or {b:?}"));
            };
            path(&view, x, y, k.max(1))
        }
        NetworkCommand::Ego { a, hops } => {
            let Some(x) = graph.find(&a) else {
                return usage(format!("no node named {a:?}"));
            };
            ego_out(&view, x, hops)
        }
        NetworkCommand::Disrupt {
            network,
            k,
            objective,
        } => {
            let nodes = match select_network(&view, &network) {
                Ok(n) => n,
                Err(e) => return usage(format!("{e:#}")),
            };
            let objective = match objective {
                ObjectiveArg::Fragmentation => Objective::Fragmentation,
                ObjectiveArg::Money => Objective::Money,
            };
            let d = match disrupt(&view, &nodes, k, objective) {
                Ok(d) => d,
                Err(e) => return usage(e),
            };
            disruption_out(&view, &network, &d)
        }
        NetworkCommand::Export { export_as, out } => {
            let sink: Box<dyn Write> = match &out {
                Some(p) => {
                    Box::new(File::create(p).with_context(|| format!("creating {}", p.display()))?)
                }
                None => Box::new(std::io::stdout().lock()),
            };
            let mut w = BufWriter::new(sink);
            match export_as {
                ExportAs::Graphml => write_graphml(&view, &mut w)?,
                ExportAs::Gexf => write_gexf(&view, &mut w)?,
                ExportAs::Ftm => write_ftm(&view, &mut w)?,
            }
            w.flush()?;
            return Ok(0);
        }
        NetworkCommand::Evaluate {
            top,
            resolution,
            weighting,
            type_weight,
            seed,
        } => {
            let Some(truth) = &truth else {
                return usage("evaluate needs --from-truth DIR");
            };
            let type_factor = match type_factors(&type_weight) {
                Ok(f) => f,
                Err(e) => return usage(format!("--type-weight: {e:#}")),
            };
            let cfg = LeidenConfig {
                resolution,
                weighting: weighting.get(),
                type_factor,
                seed,
                ..LeidenConfig::networks()
            };
            evaluate(&view, truth, top, &cfg)
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&out.json)?);
    } else {
        print!("{}", out.text);
    }
    Ok(0)
}

/// The recommended type factors with `TYPE=FACTOR` settings applied in order (`all=` sets
/// every type).
fn type_factors(specs: &[String]) -> Result<[f64; EdgeType::ALL.len()]> {
    let mut f = NETWORK_TYPE_FACTORS;
    for spec in specs {
        let (t, x) = spec
            .split_once('=')
            .ok_or_else(|| anyhow!("{spec:?} is not TYPE=FACTOR"))?;
        let x: f64 = x
            .trim()
            .parse()
            .ok()
            .filter(|x: &f64| x.is_finite() && *x >= 0.0)
            .ok_or_else(|| anyhow!("{spec:?}: the factor must be a number ≥ 0"))?;
        if t.trim() == "all" {
            f = [x; EdgeType::ALL.len()];
        } else {
            let t: EdgeType = t.trim().parse()?;
            f[t as usize] = x;
        }
    }
    Ok(f)
}

/// The Leiden settings in words, for output.
fn leiden_note(cfg: &LeidenConfig) -> String {
    let weighting = match cfg.weighting {
        Weighting::Records => "records",
        Weighting::LogRecords => "1 + ln(records)",
        Weighting::Links => "1 per link",
    };
    let factors: Vec<String> = EdgeType::ALL
        .iter()
        .filter(|t| cfg.type_factor[**t as usize] != 1.0)
        .map(|t| format!("{t}×{}", cfg.type_factor[*t as usize]))
        .collect();
    format!(
        "weights {weighting}{}{}, resolution {}, seed {}",
        if factors.is_empty() { "" } else { ", " },
        factors.join(" "),
        cfg.resolution,
        cfg.seed
    )
}

/// A command's output in both forms.
struct Output {
    text: String,
    json: Value,
}

fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut width: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
        let mut s = String::new();
        for (i, c) in cells.enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            s.push_str(c);
            s.extend(std::iter::repeat_n(' ', width[i] - c.chars().count()));
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(&mut headers.iter().copied());
    out += &line(
        &mut width
            .iter()
            .map(|&w| &"----------------------------------------"[..w.min(40)]),
    );
    for r in rows {
        out += &line(&mut r.iter().map(String::as_str));
    }
    out
}

fn summary(view: &View<'_>) -> Output {
    let g = view.graph();
    let mut by_type: BTreeMap<&str, (usize, u64)> = BTreeMap::new();
    for e in view.edges() {
        let x = by_type.entry(g.edge(e).kind.name()).or_default();
        x.0 += 1;
        x.1 += u64::from(view.weight(e));
    }
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for v in view.nodes() {
        *by_kind.entry(g.kind(v).name()).or_default() += 1;
    }
    let comps = components(view);
    let nets = networks(view, NETWORK_EDGE_WEIGHT_MIN);
    let nontrivial: Vec<usize> = nets.sizes.iter().copied().filter(|&s| s > 1).collect();
    let mut text = format!(
        "nodes: {}\nedges: {}\ncomponents: {} (largest {})\nnetworks (edges of ≥ {} records): {} with ≥ 2 nodes (largest {})\n\n",
        view.nodes_n(),
        view.edges().count(),
        comps.sizes.len(),
        comps.sizes.first().copied().unwrap_or(0),
        NETWORK_EDGE_WEIGHT_MIN,
        nontrivial.len(),
        nontrivial.first().copied().unwrap_or(0),
    );
    let rows: Vec<Vec<String>> = by_type
        .iter()
        .map(|(t, (n, w))| vec![t.to_string(), n.to_string(), w.to_string()])
        .collect();
    text += &table(&["edge type", "edges", "records"], &rows);
    text += "\n";
    let rows: Vec<Vec<String>> = by_kind
        .iter()
        .map(|(k, n)| vec![k.to_string(), n.to_string()])
        .collect();
    text += &table(&["node kind", "nodes"], &rows);
    let json = json!({
        "nodes": view.nodes_n(),
        "edges": view.edges().count(),
        "edges_by_type": by_type.iter().map(|(t, (n, w))| (t.to_string(), json!({"edges": n, "records": w}))).collect::<serde_json::Map<_, _>>(),
        "nodes_by_kind": by_kind,
        "components": comps.sizes.len(),
        "largest_component": comps.sizes.first().copied().unwrap_or(0),
        "network_edge_records_min": NETWORK_EDGE_WEIGHT_MIN,
        "networks": nontrivial.len(),
        "network_sizes": nontrivial.iter().take(50).collect::<Vec<_>>(),
    });
    Output { text, json }
}

/// Scores for a ranking, and a note on how they were computed.
fn scores(view: &View<'_>, by: RankBy, samples: Option<usize>, seed: u64) -> (Vec<f64>, String) {
    match by {
        RankBy::Organiser => (
            organiser_rank(view).score,
            "organiser: money on the person's payments / (1 + persons they are recorded in contact with)"
                .to_string(),
        ),
        RankBy::Pagerank => {
            let pr = pagerank(view, &PageRankConfig::default());
            let note = format!(
                "weighted PageRank, damping 0.85, {} iterations{}",
                pr.iterations,
                if pr.converged { "" } else { " (not converged)" }
            );
            (pr.score, note)
        }
        RankBy::Betweenness => {
            let n = view.nodes_n();
            let k = samples.unwrap_or_else(|| {
                if n <= BETWEENNESS_EXACT_NODES_MAX {
                    n
                } else {
                    sample_size(BETWEENNESS_EPSILON, BETWEENNESS_DELTA, n)
                        .min(BETWEENNESS_SOURCES_MAX)
                }
            });
            let bc = betweenness(view, BetweennessMode::Sampled { sources: k, seed });
            let note = if bc.exact {
                "betweenness (normalised), exact".to_string()
            } else {
                format!(
                    "betweenness (normalised), {} sampled sources: every value within ±{:.4} with probability {}",
                    bc.sources_n,
                    error_bound(bc.sources_n, BETWEENNESS_DELTA, n),
                    1.0 - BETWEENNESS_DELTA
                )
            };
            (bc.normalized, note)
        }
        RankBy::Degree => (
            view.strengths(),
            "weighted degree (records on the node's edges)".to_string(),
        ),
        RankBy::Money => {
            let g = view.graph();
            let money = (0..view.id_bound() as NodeId)
                .map(|v| {
                    view.neighbors(v)
                        .filter(|&(_, e)| g.edge(e).kind == EdgeType::Paid)
                        .map(|(_, e)| view.amount(e))
                        .sum()
                })
                .collect();
            (
                money,
                "money: Payment amounts on the node's edges, in and out".to_string(),
            )
        }
    }
}

fn ranked(view: &View<'_>, score: &[f64], kind: Option<NodeKind>) -> Vec<NodeId> {
    let g = view.graph();
    let mut nodes: Vec<NodeId> = view
        .nodes()
        .filter(|&v| kind.is_none_or(|k| g.kind(v) == k))
        .collect();
    nodes.sort_by(|&a, &b| {
        score[b as usize]
            .total_cmp(&score[a as usize])
            .then(a.cmp(&b))
    });
    nodes
}

fn top(
    view: &View<'_>,
    by: RankBy,
    n: usize,
    kind: Option<NodeKind>,
    samples: Option<usize>,
    seed: u64,
) -> Output {
    let g = view.graph();
    let (score, note) = scores(view, by, samples, seed);
    let degrees = degree_by_type(view);
    let order = ranked(view, &score, kind);
    let describe = |v: NodeId| -> String {
        EdgeType::ALL
            .iter()
            .filter(|t| degrees[v as usize][**t as usize] > 0)
            .map(|t| format!("{} {}", t.name(), degrees[v as usize][*t as usize]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rows: Vec<Vec<String>> = order
        .iter()
        .take(n)
        .enumerate()
        .map(|(i, &v)| {
            vec![
                (i + 1).to_string(),
                g.name(v).to_string(),
                g.kind(v).name().to_string(),
                format!("{:.6}", score[v as usize]),
                describe(v),
            ]
        })
        .collect();
    let text =
        format!("{note}\n\n") + &table(&["rank", "node", "kind", "score", "edges by type"], &rows);
    let json = json!({
        "by": note,
        "top": order.iter().take(n).map(|&v| json!({
            "node": g.name(v), "kind": g.kind(v), "score": score[v as usize],
            "degree_by_type": EdgeType::ALL.iter().filter(|t| degrees[v as usize][**t as usize] > 0)
                .map(|t| (t.name().to_string(), json!(degrees[v as usize][*t as usize]))).collect::<serde_json::Map<_, _>>(),
        })).collect::<Vec<_>>(),
    });
    Output { text, json }
}

fn communities(
    view: &View<'_>,
    cfg: &LeidenConfig,
    n: usize,
    out: Option<&Path>,
) -> Result<Output> {
    let g = view.graph();
    let (resolution, seed) = (cfg.resolution, cfg.seed);
    let c = leiden(view, cfg);
    let note = leiden_note(cfg);
    if let Some(path) = out {
        let mut w = BufWriter::new(
            File::create(path).with_context(|| format!("creating {}", path.display()))?,
        );
        writeln!(w, "node,community")?;
        for v in view.nodes() {
            writeln!(w, "{},C{}", csv_cell(g.name(v)), c.membership[v as usize])?;
        }
        w.flush()?;
    }
    let pr = pagerank(view, &PageRankConfig::default()).score;
    let mut members: Vec<Vec<NodeId>> = vec![Vec::new(); c.sizes.len()];
    for v in view.nodes() {
        members[c.membership[v as usize] as usize].push(v);
    }
    for m in &mut members {
        m.sort_by(|&a, &b| pr[b as usize].total_cmp(&pr[a as usize]).then(a.cmp(&b)));
    }
    let rows: Vec<Vec<String>> = members
        .iter()
        .take(n)
        .enumerate()
        .map(|(i, m)| {
            let heads: Vec<&str> = m.iter().take(5).map(|&v| g.name(v)).collect();
            vec![format!("C{i}"), m.len().to_string(), heads.join(" ")]
        })
        .collect();
    let text = format!(
        "Leiden ({note}): {} communities, modularity {:.4}, {} iterations\n\n",
        c.sizes.len(),
        c.modularity,
        c.iterations
    ) + &table(&["community", "nodes", "top members by PageRank"], &rows);
    let json = json!({
        "resolution": resolution, "seed": seed, "settings": note, "modularity": c.modularity,
        "communities_n": c.sizes.len(),
        "communities": members.iter().take(n).enumerate().map(|(i, m)| json!({
            "id": format!("C{i}"), "nodes": m.len(),
            "top": m.iter().take(10).map(|&v| g.name(v)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    Ok(Output { text, json })
}

fn edge_json(view: &View<'_>, e: u32) -> Value {
    let g = view.graph();
    let x = g.edge(e);
    let records: Vec<&str> = x.records().map(|r| r.0).take(20).collect();
    json!({
        "source": g.name(x.source), "target": g.name(x.target), "type": x.kind,
        "weight": view.weight(e), "amount": view.amount(e),
        "from": x.interval.from.to_string(), "to": x.interval.to.to_string(),
        "records": records, "records_n": x.records().len(),
    })
}

fn edge_text(view: &View<'_>, e: u32) -> String {
    let x = view.graph().edge(e);
    let mut s = format!("{} ×{}", x.kind, view.weight(e));
    if x.kind == EdgeType::Paid {
        s += &format!(" €{:.2}", view.amount(e));
    }
    if x.interval.from != Day::MIN {
        s += &format!(" {}…{}", x.interval.from, x.interval.to);
    }
    s
}

fn path(view: &View<'_>, a: NodeId, b: NodeId, k: usize) -> Output {
    let g = view.graph();
    let paths = k_shortest_paths(view, a, b, k);
    let mut text = String::new();
    if paths.is_empty() {
        text += &format!(
            "{} and {} are not connected in this view\n",
            g.name(a),
            g.name(b)
        );
    }
    for (i, p) in paths.iter().enumerate() {
        text += &format!(
            "path {} ({} hops{}):\n",
            i + 1,
            p.len(),
            if p.since == Day::MIN {
                String::new()
            } else {
                format!(", every hop recorded by {}", p.since)
            }
        );
        for (h, w) in p.nodes.windows(2).enumerate() {
            let through: Vec<String> = p.hops[h].iter().map(|&e| edge_text(view, e)).collect();
            text += &format!(
                "  {} — {}: {}\n",
                g.name(w[0]),
                g.name(w[1]),
                through.join("; ")
            );
        }
    }
    let json = json!({
        "source": g.name(a), "target": g.name(b),
        "paths": paths.iter().map(|p| json!({
            "hops": p.len(), "since": p.since.to_string(),
            "nodes": p.nodes.iter().map(|&v| g.name(v)).collect::<Vec<_>>(),
            "edges": p.hops.iter().map(|h| h.iter().map(|&e| edge_json(view, e)).collect::<Vec<_>>()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    Output { text, json }
}

fn ego_out(view: &View<'_>, a: NodeId, hops: u32) -> Output {
    let g = view.graph();
    let e = ego(view, a, hops);
    let rows: Vec<Vec<String>> = e
        .nodes
        .iter()
        .map(|&(v, d)| {
            vec![
                d.to_string(),
                g.name(v).to_string(),
                g.kind(v).name().to_string(),
            ]
        })
        .collect();
    let text = format!(
        "ego network of {} within {hops} hops: {} nodes, {} edges\n\n",
        g.name(a),
        e.nodes.len(),
        e.edges.len()
    ) + &table(&["hops", "node", "kind"], &rows);
    let json = json!({
        "centre": g.name(a), "hops": hops,
        "nodes": e.nodes.iter().map(|&(v, d)| json!({"node": g.name(v), "kind": g.kind(v), "hops": d})).collect::<Vec<_>>(),
        "edges": e.edges.iter().map(|&x| edge_json(view, x)).collect::<Vec<_>>(),
    });
    Output { text, json }
}

fn select_network(view: &View<'_>, spec: &str) -> Result<Vec<NodeId>> {
    let g = view.graph();
    let pick = |label: &[u32], i: u32| -> Vec<NodeId> {
        view.nodes().filter(|&v| label[v as usize] == i).collect()
    };
    if let Some(i) = spec.strip_prefix('N').and_then(|s| s.parse::<u32>().ok()) {
        let nets = networks(view, NETWORK_EDGE_WEIGHT_MIN);
        if i as usize >= nets.sizes.len() {
            bail!("there are {} networks; N{i} is not one", nets.sizes.len());
        }
        return Ok(pick(&nets.label, i));
    }
    if let Some(i) = spec.strip_prefix('C').and_then(|s| s.parse::<u32>().ok()) {
        let c = leiden(view, &LeidenConfig::networks());
        if i as usize >= c.sizes.len() {
            bail!("there are {} communities; C{i} is not one", c.sizes.len());
        }
        return Ok(pick(&c.membership, i));
    }
    let v = g
        .find(spec)
        .ok_or_else(|| anyhow!("{spec:?} is not N<i>, C<i> or a node's name"))?;
    let nets = networks(view, NETWORK_EDGE_WEIGHT_MIN);
    Ok(pick(&nets.label, nets.label[v as usize]))
}

fn disruption_out(view: &View<'_>, spec: &str, d: &corridor_graph::Disruption) -> Output {
    let g = view.graph();
    let mut rows = vec![vec![
        "-".to_string(),
        "(before)".to_string(),
        format!("{:.4}", d.fragmentation_before),
        format!("{:.2}", d.money_before),
        d.components_before.to_string(),
        d.largest_before.to_string(),
    ]];
    for (i, r) in d.removals.iter().enumerate() {
        rows.push(vec![
            (i + 1).to_string(),
            g.name(r.node).to_string(),
            format!("{:.4}", r.fragmentation),
            format!("{:.2}", r.money),
            r.components_n.to_string(),
            r.largest_n.to_string(),
        ]);
    }
    let text = format!(
        "network {spec}: {} nodes. Fragmentation F = 1 − Σ s(s−1) / n(n−1); money = Payment amount inside the remaining piece that carries most.\n\n",
        d.nodes_n
    ) + &table(
        &[
            "step",
            "removed",
            "fragmentation",
            "money",
            "components",
            "largest",
        ],
        &rows,
    );
    let json = json!({
        "network": spec, "nodes": d.nodes_n,
        "before": {"fragmentation": d.fragmentation_before, "money": d.money_before,
                   "components": d.components_before, "largest": d.largest_before},
        "removals": d.removals.iter().map(|r| json!({
            "node": g.name(r.node), "fragmentation": r.fragmentation, "money": r.money,
            "components": r.components_n, "largest": r.largest_n,
        })).collect::<Vec<_>>(),
    });
    Output { text, json }
}

/// Roles recall@N looks for: the people an investigation most wants to find.
const KEY_ROLES: [&str; 2] = ["ORGANISER", "MONEY_COLLECTOR"];

fn evaluate(view: &View<'_>, truth: &Truth, top_n: usize, cfg: &LeidenConfig) -> Output {
    let g = view.graph();
    let (resolution, seed) = (cfg.resolution, cfg.seed);
    // Member persons present in the view, with their true network.
    let mut net_ids: HashMap<&str, u32> = HashMap::new();
    let mut items: Vec<(NodeId, u32)> = Vec::new();
    let mut absent = 0usize;
    for (person, (network, _)) in &truth.members {
        let next = net_ids.len() as u32;
        let id = *net_ids.entry(network.as_str()).or_insert(next);
        match g.find(person).filter(|&v| view.contains(v)) {
            Some(v) => items.push((v, id)),
            None => absent += 1,
        }
    }
    let truth_labels: Vec<u32> = items.iter().map(|&(_, t)| t).collect();
    let agreement = |label: &[u32]| -> (f64, f64) {
        let ours: Vec<u32> = items.iter().map(|&(v, _)| label[v as usize]).collect();
        (
            adjusted_rand_index(&ours, &truth_labels),
            normalized_mutual_information(&ours, &truth_labels),
        )
    };
    let c = leiden(view, cfg);
    let (ari_c, nmi_c) = agreement(&c.membership);
    let nets = networks(view, NETWORK_EDGE_WEIGHT_MIN);
    let (ari_n, nmi_n) = agreement(&nets.label);
    // The same, among the member persons only: how well the links among known suspects
    // separate their networks, without migrants, payers and accounts in between.
    let member_nodes: Vec<NodeId> = items.iter().map(|&(v, _)| v).collect();
    let among = view.induced(&member_nodes);
    let cm = leiden(&among, cfg);
    let (ari_m, nmi_m) = agreement(&cm.membership);
    let comps_m = components(&among);
    let (ari_mc, nmi_mc) = agreement(&comps_m.label);

    let key: HashSet<NodeId> = truth
        .members
        .iter()
        .filter(|(_, (_, role))| KEY_ROLES.contains(&role.as_str()))
        .filter_map(|(p, _)| g.find(p))
        .collect();
    let key_n = truth
        .members
        .values()
        .filter(|(_, role)| KEY_ROLES.contains(&role.as_str()))
        .count();
    let mut recalls = Vec::new();
    for (name, by) in [
        ("organiser (recommended)", RankBy::Organiser),
        ("pagerank", RankBy::Pagerank),
        ("betweenness", RankBy::Betweenness),
        ("degree", RankBy::Degree),
        ("money", RankBy::Money),
    ] {
        let (score, note) = scores(view, by, None, seed);
        let order = ranked(view, &score, Some(NodeKind::Person));
        let hits = order.iter().take(top_n).filter(|v| key.contains(v)).count();
        recalls.push((name, note, hits));
    }
    // With more key persons than N, recall@N cannot reach 1.
    let recall_max = top_n.min(key_n) as f64 / key_n.max(1) as f64;
    let mut text = format!(
        "member persons: {} in the graph, {} absent (true networks: {})\nLeiden: {}\n\n",
        items.len(),
        absent,
        net_ids.len(),
        leiden_note(cfg)
    );
    text += &table(
        &["partition", "groups", "ARI", "NMI"],
        &[
            vec![
                "detected networks: Leiden communities".to_string(),
                c.sizes.len().to_string(),
                format!("{ari_c:.4}"),
                format!("{nmi_c:.4}"),
            ],
            vec![
                format!("networks (edges of ≥ {NETWORK_EDGE_WEIGHT_MIN} records)"),
                nets.sizes.len().to_string(),
                format!("{ari_n:.4}"),
                format!("{nmi_n:.4}"),
            ],
            vec![
                "Leiden among member persons only".to_string(),
                cm.sizes.len().to_string(),
                format!("{ari_m:.4}"),
                format!("{nmi_m:.4}"),
            ],
            vec![
                "components among member persons only".to_string(),
                comps_m.sizes.len().to_string(),
                format!("{ari_mc:.4}"),
                format!("{nmi_mc:.4}"),
            ],
        ],
    );
    text += &format!(
        "\nrecall@{top_n} of {} and {} persons ({key_n} in truth, so at most {recall_max:.3}), ranking persons only:\n\n",
        KEY_ROLES[0], KEY_ROLES[1]
    );
    let rows: Vec<Vec<String>> = recalls
        .iter()
        .map(|(name, _, hits)| {
            vec![
                name.to_string(),
                format!("{hits}/{key_n}"),
                format!("{:.3}", *hits as f64 / key_n.max(1) as f64),
            ]
        })
        .collect();
    text += &table(&["ranking", "found", "recall"], &rows);
    let json = json!({
        "member_persons": items.len(), "member_persons_absent": absent, "true_networks": net_ids.len(),
        "communities": {"resolution": resolution, "seed": seed, "settings": leiden_note(cfg), "groups": c.sizes.len(), "modularity": c.modularity, "ari": ari_c, "nmi": nmi_c},
        "networks": {"edge_records_min": NETWORK_EDGE_WEIGHT_MIN, "groups": nets.sizes.len(), "ari": ari_n, "nmi": nmi_n},
        "communities_among_members": {"groups": cm.sizes.len(), "modularity": cm.modularity, "ari": ari_m, "nmi": nmi_m},
        "components_among_members": {"groups": comps_m.sizes.len(), "ari": ari_mc, "nmi": nmi_mc},
        "recall": recalls.iter().map(|(name, note, hits)| json!({
            "ranking": name.trim_end_matches(" (recommended)"), "recommended": name.ends_with("(recommended)"),
            "how": note, "top": top_n, "found": hits, "key_persons": key_n,
            "recall": *hits as f64 / key_n.max(1) as f64, "recall_max": recall_max,
        })).collect::<Vec<_>>(),
    });
    Output { text, json }
}

// ---------------------------------------------------------------------------------------------
// Reading graphs.

fn parse_day(s: &str, ctx: &dyn Fn() -> String) -> Result<Day> {
    Day::parse(s).ok_or_else(|| anyhow!("{}: {s:?} is not a YYYY-MM-DD date", ctx()))
}

fn interval_of(from: &str, to: &str, ctx: &dyn Fn() -> String) -> Result<Interval> {
    let from = if from.trim().is_empty() {
        Day::MIN
    } else {
        parse_day(from, ctx)?
    };
    let to = if to.trim().is_empty() {
        Day::MAX
    } else {
        parse_day(to, ctx)?
    };
    if from > to {
        bail!("{}: from {from} is after to {to}", ctx());
    }
    Ok(Interval { from, to })
}

/// Reads an edge list (see the module docs).
pub fn load_edges(path: &Path) -> Result<Graph> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(file);
    let headers = rdr
        .headers()
        .with_context(|| format!("{}: reading the header", path.display()))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let required = [
        "source", "target", "type", "weight", "from", "to", "records",
    ];
    let mut idx = [0usize; 7];
    for (i, name) in required.iter().enumerate() {
        idx[i] = col(name).ok_or_else(|| {
            anyhow!(
                "{}: no column {name:?} (need {})",
                path.display(),
                required.join(",")
            )
        })?;
    }
    let (sk, tk, amount_col) = (col("source_kind"), col("target_kind"), col("amount"));
    let mut b = GraphBuilder::new();
    let mut record = csv::StringRecord::new();
    let mut line = 1usize;
    loop {
        match rdr.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => bail!("{}: {e}", path.display()),
        }
        line += 1;
        if line > EDGE_ROWS_MAX {
            bail!("{}: more than {EDGE_ROWS_MAX} rows", path.display());
        }
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        let ctx = |name: &str| {
            let (p, l, n) = (path.display().to_string(), line, name.to_string());
            move || format!("{p}:{l}: {n}")
        };
        let kind_of = |c: Option<usize>, name: &str| -> Result<NodeKind> {
            match c.map(|i| record.get(i).unwrap_or("").trim()) {
                None | Some("") => Ok(NodeKind::Unknown),
                Some(k) => k.parse().map_err(|e| anyhow!("{}: {e}", ctx(name)())),
            }
        };
        let (source, target) = (field(idx[0]), field(idx[1]));
        if source.is_empty() || target.is_empty() {
            bail!("{}: source and target are required", ctx("source/target")());
        }
        let kind: EdgeType = field(idx[2])
            .parse()
            .map_err(|e| anyhow!("{}: {e}", ctx("type")()))?;
        let weight: u32 = match field(idx[3]) {
            "" => 1,
            w => w
                .parse()
                .map_err(|_| anyhow!("{}: {w:?} is not a whole number", ctx("weight")()))?,
        };
        let interval = interval_of(field(idx[4]), field(idx[5]), &ctx("from/to"))?;
        let amount: f64 = match amount_col.map(field) {
            None | Some("") => 0.0,
            Some(a) => a
                .parse()
                .map_err(|_| anyhow!("{}: {a:?} is not a number", ctx("amount")()))?,
        };
        let ids: Vec<&str> = field(idx[6])
            .split(';')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .collect();
        if ids.len() > ROW_RECORDS_MAX {
            bail!("{}: more than {ROW_RECORDS_MAX} records", ctx("records")());
        }
        let per = if ids.is_empty() {
            0.0
        } else {
            amount / ids.len() as f64
        };
        let recs: Vec<(&str, f64)> = ids.iter().map(|&r| (r, per)).collect();
        let s = b.node(source, kind_of(sk, "source_kind")?)?;
        let t = b.node(target, kind_of(tk, "target_kind")?)?;
        b.add_edge(&EdgeInput {
            source: s,
            target: t,
            kind,
            weight,
            interval,
            records: &recs,
            amount,
        })?;
    }
    Ok(b.build()?)
}

/// A CSV file of a synth output, read row by row as (line, field by column name).
fn each_row(
    dir: &Path,
    file: &str,
    columns: &[&str],
    mut f: impl FnMut(&dyn Fn() -> String, &[&str]) -> Result<()>,
) -> Result<()> {
    let path = dir.join(file);
    let rdr = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let mut rdr = csv::Reader::from_reader(rdr);
    let headers = rdr
        .headers()
        .with_context(|| format!("{}: header", path.display()))?
        .clone();
    let mut idx = Vec::new();
    for c in columns {
        idx.push(
            headers
                .iter()
                .position(|h| h == *c)
                .ok_or_else(|| anyhow!("{}: no column {c:?}", path.display()))?,
        );
    }
    let mut record = csv::StringRecord::new();
    let mut line = 1usize;
    loop {
        match rdr.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) => bail!("{}: {e}", path.display()),
        }
        line += 1;
        let cells: Vec<&str> = idx.iter().map(|&i| record.get(i).unwrap_or("")).collect();
        let p = path.display().to_string();
        let l = line;
        f(&move || format!("{p}:{l}"), &cells)?;
    }
}

/// The truth of a scenario mapped onto a store's person subjects: each subject stands for the
/// true person most of its records describe (ties: the smaller id), and takes that person's
/// first membership.
pub fn subject_truth(store: &mut dyn corridor_store::Store, dir: &Path) -> Result<Truth> {
    let mut person_of: HashMap<(String, String), String> = HashMap::new();
    each_row(
        dir,
        "truth/record_person.csv",
        &["agency", "record_id", "person_id"],
        |_, c| {
            person_of.insert((c[0].to_string(), c[1].to_string()), c[2].to_string());
            Ok(())
        },
    )?;
    let mut membership: HashMap<String, (String, String)> = HashMap::new();
    each_row(
        dir,
        "truth/membership.csv",
        &["person_id", "network_id", "role"],
        |_, c| {
            membership
                .entry(c[0].to_string())
                .or_insert_with(|| (c[1].to_string(), c[2].to_string()));
            Ok(())
        },
    )?;
    let mut votes: BTreeMap<String, BTreeMap<String, u32>> = BTreeMap::new();
    corridor_store::for_each_member(store, "person", |m| -> Result<()> {
        let key = (m.record.originator, m.record.record_id);
        if let Some(p) = person_of.get(&key) {
            *votes
                .entry(m.subject_id)
                .or_default()
                .entry(p.clone())
                .or_insert(0) += 1;
        }
        Ok(())
    })?;
    let mut truth = Truth::default();
    for (subject, counts) in votes {
        // BTreeMap order makes the smaller person id win a tie.
        let Some((person, _)) = counts.iter().rev().max_by_key(|(_, n)| **n) else {
            continue;
        };
        if let Some(m) = membership.get(person) {
            truth.members.insert(subject, m.clone());
        }
    }
    Ok(truth)
}

/// The graph of a `corridor synth` output's ground truth:
///
/// - `truth/communications_truth.csv`: called (cdr, radio) and messaged (app) edges between
///   persons, one record per event;
/// - `truth/membership.csv`: `reports_to` as associate edges;
/// - `truth/legs.csv` with `truth/journeys.csv`: each leg attempt with a driver makes a
///   travelled-with edge between the driver and the journey's migrant;
/// - `truth/phones.csv`: a line (MSISDN) or handset (IMEI) held by two or more persons becomes
///   a phone node with uses edges to its holders;
/// - `truth/transactions_truth.csv` with `ledger/transactions.csv` and `truth/accounts.csv`:
///   each illicit transaction is a paid edge between the accounts' holders (or the account
///   itself when it has no holder), with its amount.
pub fn load_truth(dir: &Path) -> Result<(Graph, Truth)> {
    let mut b = GraphBuilder::new();
    let mut truth = Truth::default();
    let add = |b: &mut GraphBuilder,
               s: (&str, NodeKind),
               t: (&str, NodeKind),
               kind: EdgeType,
               interval: Interval,
               record: &str,
               amount: f64|
     -> Result<()> {
        let s = b.node(s.0, s.1)?;
        let t = b.node(t.0, t.1)?;
        b.add_edge(&EdgeInput {
            source: s,
            target: t,
            kind,
            weight: 1,
            interval,
            records: &[(record, amount)],
            amount,
        })?;
        Ok(())
    };
    let person = NodeKind::Person;
    each_row(
        dir,
        "truth/communications_truth.csv",
        &["event_id", "date", "from_person", "to_person", "channel"],
        |ctx, c| {
            let day = parse_day(c[1], ctx)?;
            let kind = if c[4] == "app" {
                EdgeType::Messaged
            } else {
                EdgeType::Called
            };
            if c[2].is_empty() || c[3].is_empty() {
                return Ok(());
            }
            add(
                &mut b,
                (c[2], person),
                (c[3], person),
                kind,
                Interval { from: day, to: day },
                c[0],
                0.0,
            )
        },
    )?;
    each_row(
        dir,
        "truth/membership.csv",
        &[
            "person_id",
            "network_id",
            "role",
            "from",
            "to",
            "reports_to",
        ],
        |ctx, c| {
            truth
                .members
                .entry(c[0].to_string())
                .or_insert_with(|| (c[1].to_string(), c[2].to_string()));
            b.node(c[0], person)?;
            if c[5].is_empty() {
                return Ok(());
            }
            let interval = interval_of(c[3], c[4], ctx)?;
            let record = format!("membership:{}:{}", c[0], c[1]);
            add(
                &mut b,
                (c[0], person),
                (c[5], person),
                EdgeType::Associate,
                interval,
                &record,
                0.0,
            )
        },
    )?;
    let mut migrant_of: HashMap<String, String> = HashMap::new();
    each_row(
        dir,
        "truth/journeys.csv",
        &["journey_id", "migrant"],
        |_, c| {
            migrant_of.insert(c[0].to_string(), c[1].to_string());
            Ok(())
        },
    )?;
    each_row(
        dir,
        "truth/legs.csv",
        &["journey_id", "leg", "attempt", "driver_id", "date"],
        |ctx, c| {
            if c[3].is_empty() {
                return Ok(());
            }
            let migrant = migrant_of
                .get(c[0])
                .ok_or_else(|| anyhow!("{}: journey {:?} is not in journeys.csv", ctx(), c[0]))?;
            let day = parse_day(c[4], ctx)?;
            let record = format!("leg:{}/{}/{}", c[0], c[1], c[2]);
            add(
                &mut b,
                (c[3], person),
                (migrant, person),
                EdgeType::TravelledWith,
                Interval { from: day, to: day },
                &record,
                0.0,
            )
        },
    )?;
    // Lines and handsets: holders with intervals; only shared ones become nodes.
    let mut holders: BTreeMap<String, Vec<(String, Interval, String)>> = BTreeMap::new();
    each_row(
        dir,
        "truth/phones.csv",
        &["msisdn", "imsi", "imei", "holder_person_id", "from", "to"],
        |ctx, c| {
            let interval = interval_of(c[4], c[5], ctx)?;
            for key in [c[0].to_string(), format!("IMEI:{}", c[2])] {
                if key.is_empty() || key == "IMEI:" {
                    continue;
                }
                holders.entry(key).or_default().push((
                    c[3].to_string(),
                    interval,
                    format!("sim:{}:{}", c[1], c[3]),
                ));
            }
            Ok(())
        },
    )?;
    for (phone, hs) in &holders {
        let distinct: HashSet<&str> = hs.iter().map(|h| h.0.as_str()).collect();
        if distinct.len() < 2 {
            continue;
        }
        for (holder, interval, record) in hs {
            add(
                &mut b,
                (holder, person),
                (phone, NodeKind::Phone),
                EdgeType::Uses,
                *interval,
                record,
                0.0,
            )?;
        }
    }
    let mut holder_of: HashMap<String, String> = HashMap::new();
    each_row(
        dir,
        "truth/accounts.csv",
        &["account_id", "holder"],
        |_, c| {
            if !c[1].is_empty() {
                holder_of.insert(c[0].to_string(), c[1].to_string());
            }
            Ok(())
        },
    )?;
    let mut illicit: HashSet<String> = HashSet::new();
    each_row(
        dir,
        "truth/transactions_truth.csv",
        &["tx_id", "illicit"],
        |_, c| {
            if c[1] == "1" {
                illicit.insert(c[0].to_string());
            }
            Ok(())
        },
    )?;
    let party = |account: &str| -> (String, NodeKind) {
        match holder_of.get(account) {
            Some(h) if h.starts_with('P') => (h.clone(), NodeKind::Person),
            Some(h) => (h.clone(), NodeKind::Organization),
            None => (account.to_string(), NodeKind::Account),
        }
    };
    each_row(
        dir,
        "ledger/transactions.csv",
        &["id", "timestamp", "from_account", "to_account", "amount"],
        |ctx, c| {
            if !illicit.contains(c[0]) {
                return Ok(());
            }
            let day = parse_day(c[1], ctx)?;
            let amount: f64 = c[4]
                .parse()
                .map_err(|_| anyhow!("{}: amount {:?} is not a number", ctx(), c[4]))?;
            let (s, sk) = party(c[2]);
            let (t, tk) = party(c[3]);
            add(
                &mut b,
                (&s, sk),
                (&t, tk),
                EdgeType::Paid,
                Interval { from: day, to: day },
                c[0],
                amount,
            )
        },
    )?;
    Ok((b.build()?, truth))
}

// ---------------------------------------------------------------------------------------------
// Writing graphs.

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// A cell for a CSV we write: quoted when needed; formula-like text neutralised (a phone
/// number's leading `+` is data, not a formula).
fn csv_cell(s: &str) -> String {
    let mut chars = s.chars();
    let first = chars.next();
    let second_digit = chars.next().is_some_and(|c| c.is_ascii_digit());
    let formula =
        matches!(first, Some('=' | '@')) || (matches!(first, Some('+' | '-')) && !second_digit);
    let s = if formula {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn day_attr(d: Day) -> String {
    d.to_string()
}

fn write_graphml(view: &View<'_>, w: &mut dyn Write) -> Result<()> {
    let g = view.graph();
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        w,
        r#"<graphml xmlns="http://graphml.graphdrawing.org/xmlns">"#
    )?;
    for (id, on, name, ty) in [
        ("kind", "node", "kind", "string"),
        ("type", "edge", "type", "string"),
        ("weight", "edge", "weight", "int"),
        ("amount", "edge", "amount", "double"),
        ("from", "edge", "from", "string"),
        ("to", "edge", "to", "string"),
        ("records", "edge", "records", "string"),
    ] {
        writeln!(
            w,
            r#"  <key id="{id}" for="{on}" attr.name="{name}" attr.type="{ty}"/>"#
        )?;
    }
    writeln!(w, r#"  <graph id="corridor" edgedefault="undirected">"#)?;
    for v in view.nodes() {
        writeln!(
            w,
            r#"    <node id="{}"><data key="kind">{}</data></node>"#,
            xml_escape(g.name(v)),
            g.kind(v).name()
        )?;
    }
    for e in view.edges() {
        let x = g.edge(e);
        let records: Vec<&str> = x.records().map(|r| r.0).collect();
        writeln!(
            w,
            r#"    <edge id="e{e}" source="{}" target="{}"><data key="type">{}</data><data key="weight">{}</data><data key="amount">{}</data><data key="from">{}</data><data key="to">{}</data><data key="records">{}</data></edge>"#,
            xml_escape(g.name(x.source)),
            xml_escape(g.name(x.target)),
            x.kind,
            view.weight(e),
            view.amount(e),
            day_attr(x.interval.from),
            day_attr(x.interval.to),
            xml_escape(&records.join(";"))
        )?;
    }
    writeln!(w, "  </graph>\n</graphml>")?;
    Ok(())
}

fn write_gexf(view: &View<'_>, w: &mut dyn Write) -> Result<()> {
    let g = view.graph();
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(w, r#"<gexf xmlns="http://gexf.net/1.3" version="1.3">"#)?;
    writeln!(w, r#"  <graph mode="static" defaultedgetype="undirected">"#)?;
    writeln!(
        w,
        r#"    <attributes class="node"><attribute id="0" title="kind" type="string"/></attributes>"#
    )?;
    writeln!(
        w,
        r#"    <attributes class="edge"><attribute id="0" title="type" type="string"/><attribute id="1" title="amount" type="double"/><attribute id="2" title="from" type="string"/><attribute id="3" title="to" type="string"/><attribute id="4" title="records" type="string"/></attributes>"#
    )?;
    writeln!(w, "    <nodes>")?;
    for v in view.nodes() {
        let name = xml_escape(g.name(v));
        writeln!(
            w,
            r#"      <node id="{name}" label="{name}"><attvalues><attvalue for="0" value="{}"/></attvalues></node>"#,
            g.kind(v).name()
        )?;
    }
    writeln!(w, "    </nodes>\n    <edges>")?;
    for e in view.edges() {
        let x = g.edge(e);
        let records: Vec<&str> = x.records().map(|r| r.0).collect();
        writeln!(
            w,
            r#"      <edge id="e{e}" source="{}" target="{}" label="{}" weight="{}"><attvalues><attvalue for="0" value="{}"/><attvalue for="1" value="{}"/><attvalue for="2" value="{}"/><attvalue for="3" value="{}"/><attvalue for="4" value="{}"/></attvalues></edge>"#,
            xml_escape(g.name(x.source)),
            xml_escape(g.name(x.target)),
            x.kind,
            view.weight(e),
            x.kind,
            view.amount(e),
            day_attr(x.interval.from),
            day_attr(x.interval.to),
            xml_escape(&records.join(";"))
        )?;
    }
    writeln!(w, "    </edges>\n  </graph>\n</gexf>")?;
    Ok(())
}

/// FtM entity JSON lines: each node as an entity of its kind's schema, each edge as the
/// interval schema FtM has for it (Communication, Payment, Associate, Ownership, Membership;
/// UnknownLink with a role otherwise). Edge ids are `link:<edge id>` in this graph.
fn write_ftm(view: &View<'_>, w: &mut dyn Write) -> Result<()> {
    let g = view.graph();
    for v in view.nodes() {
        let name = g.name(v);
        let props = match g.kind(v) {
            NodeKind::Phone => json!({"number": [name]}),
            NodeKind::Account => json!({"accountNumber": [name]}),
            _ => json!({"name": [name]}),
        };
        let line = json!({"id": name, "schema": g.kind(v).ftm_schema(), "properties": props});
        writeln!(w, "{line}")?;
    }
    for e in view.edges() {
        let x = g.edge(e);
        let (s, t) = (g.name(x.source), g.name(x.target));
        let (schema, mut props) = match x.kind {
            EdgeType::Called | EdgeType::Messaged => (
                "Communication",
                json!({"caller": [s], "receiver": [t], "channel": [x.kind.name()]}),
            ),
            EdgeType::Paid => (
                "Payment",
                json!({"payer": [s], "beneficiary": [t], "amount": [format!("{:.2}", view.amount(e))]}),
            ),
            EdgeType::Associate => ("Associate", json!({"person": [s], "associate": [t]})),
            EdgeType::Owns => ("Ownership", json!({"owner": [s], "asset": [t]})),
            EdgeType::Member => ("Membership", json!({"member": [s], "organization": [t]})),
            _ => (
                "UnknownLink",
                json!({"subject": [s], "object": [t], "role": [x.kind.name()]}),
            ),
        };
        if let Some(p) = props.as_object_mut() {
            if x.interval.from != Day::MIN {
                p.insert("startDate".into(), json!([x.interval.from.to_string()]));
            }
            if x.interval.to != Day::MAX {
                p.insert("endDate".into(), json!([x.interval.to.to_string()]));
            }
            let records: Vec<&str> = x.records().map(|r| r.0).collect();
            if !records.is_empty() {
                p.insert("recordId".into(), json!(records));
            }
            p.insert(
                "summary".into(),
                json!([format!("{} record(s)", view.weight(e))]),
            );
        }
        writeln!(
            w,
            "{}",
            json!({"id": format!("link:{e}"), "schema": schema, "properties": props})
        )?;
    }
    Ok(())
}
