//! `corridor link`: stand-alone record linkage of one CSV (deduplicate) or two (link across),
//! no store involved.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use corridor_resolve::block::BlockingRule;
use corridor_resolve::eval::{Quality, cluster_pairs};
use corridor_resolve::model::Model;
use corridor_resolve::table::{ColumnMap, Table};
use corridor_resolve::{Engine, Judgement, Limits, Role, Settings};
use serde::Deserialize;

const EXIT_USAGE: u8 = 2;
/// Within-cluster pairs up to which `--truth` also measures cluster quality.
const CLUSTER_PAIRS_MEASURED_MAX: u64 = 50_000_000;

/// Arguments of `corridor link`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  corridor link febrl3.csv --out out3\n  corridor link a.csv b.csv --out out4 --threshold 0.9\n  corridor link people.csv --column full_name=ime --column id=broj --out d\n  corridor link febrl3.csv --model out3/model.json --explain rec-1-org rec-1-dup-0\n\nRoles: id, source, full_name, given_name, family_name, date_of_birth, country, phone, email,\naddress (may repeat), house_number, locality, postcode, region, document, iban, plate, identifier,\nsex, father_name.\nFEBRL-like headers are recognised without --column.\n\nWrites DIR/clusters.csv (record_id,cluster_id; with two inputs also input),\nDIR/pairs.csv (record_id_l,record_id_r,match_probability,match_weight) and DIR/model.json.\nExit status: 0 done; 2 bad arguments or input; 1 failure."
)]
pub struct LinkArgs {
    /// One CSV to deduplicate, or two to link.
    #[arg(required = true, num_args = 1..=2)]
    inputs: Vec<PathBuf>,
    /// Output directory (created if missing); not needed with --explain.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Settings file (TOML): threshold, seed, columns, blocking rules, limits.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Assign a column to a role, e.g. --column family_name=prezime (repeatable).
    #[arg(long = "column", value_name = "ROLE=COLUMN")]
    columns: Vec<String>,
    /// Match probability from which a pair is a link (default 0.5).
    #[arg(long)]
    threshold: Option<f64>,
    /// Use a trained model (a model.json of an earlier run) instead of training.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Analysts' judgements: CSV record_id_l,record_id_r,judgement (same|different, or 1|0).
    #[arg(long)]
    judgements: Option<PathBuf>,
    /// Write pairs from this probability on to pairs.csv (default: the threshold).
    #[arg(long)]
    pairs_min: Option<f64>,
    /// Known true pairs (CSV of two id columns): report precision, recall and F1.
    #[arg(long)]
    truth: Option<PathBuf>,
    /// Explain the score of two records: per-field match weights (repeatable).
    #[arg(long, num_args = 2, value_names = ["ID1", "ID2"], action = clap::ArgAction::Append)]
    explain: Vec<String>,
}

/// `link.toml`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Config {
    threshold: Option<f64>,
    seed: Option<u64>,
    pairs_probability_min: Option<f64>,
    term_frequency: Option<bool>,
    blocking: Option<Vec<String>>,
    #[serde(default)]
    columns: BTreeMap<String, ColumnList>,
    #[serde(default)]
    limits: ConfigLimits,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ColumnList {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigLimits {
    records_max: Option<usize>,
    pairs_max: Option<usize>,
    block_records_max: Option<usize>,
    em_iterations_max: Option<u32>,
    u_pairs_max: Option<usize>,
    u_pairs_min: Option<usize>,
    u_pairs_per_record: Option<usize>,
    rule_pairs_per_record_max: Option<usize>,
    rule_pairs_floor: Option<usize>,
}

fn usage(message: impl std::fmt::Display) -> Result<u8> {
    eprintln!("error: {message}");
    Ok(EXIT_USAGE)
}

/// Runs the command; returns the exit status.
pub fn run(args: LinkArgs) -> Result<u8> {
    let started = Instant::now();
    if args.out.is_none() && args.explain.is_empty() {
        return usage("--out DIR is required (unless --explain)");
    }
    let config: Config = match &args.config {
        Some(path) => {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => return usage(format!("{}: {e}", path.display())),
            };
            match toml::from_str(&text) {
                Ok(c) => c,
                Err(e) => return usage(format!("{}: {e}", path.display())),
            }
        }
        None => Config::default(),
    };
    let mut settings = Settings::default();
    let mut limits = Limits::default();
    let l = &config.limits;
    limits.records_max = l.records_max.unwrap_or(limits.records_max);
    limits.pairs_max = l.pairs_max.unwrap_or(limits.pairs_max);
    limits.block_records_max = l.block_records_max.unwrap_or(limits.block_records_max);
    limits.em_iterations_max = l.em_iterations_max.unwrap_or(limits.em_iterations_max);
    limits.u_pairs_max = l.u_pairs_max.unwrap_or(limits.u_pairs_max);
    limits.u_pairs_min = l.u_pairs_min.unwrap_or(limits.u_pairs_min);
    limits.u_pairs_per_record = l.u_pairs_per_record.unwrap_or(limits.u_pairs_per_record);
    limits.rule_pairs_per_record_max = l
        .rule_pairs_per_record_max
        .unwrap_or(limits.rule_pairs_per_record_max);
    limits.rule_pairs_floor = l.rule_pairs_floor.unwrap_or(limits.rule_pairs_floor);
    settings.limits = limits;
    settings.threshold = args.threshold.or(config.threshold).unwrap_or(0.5);
    if !(settings.threshold > 0.0 && settings.threshold < 1.0) {
        return usage(format!(
            "threshold {} must be between 0 and 1",
            settings.threshold
        ));
    }
    settings.seed = config.seed.unwrap_or(settings.seed);
    settings.term_frequency = config.term_frequency.unwrap_or(true);
    settings.pairs_probability_min = args
        .pairs_min
        .or(config.pairs_probability_min)
        .unwrap_or(settings.threshold);
    if let Some(rules) = &config.blocking {
        let mut parsed = Vec::new();
        for r in rules {
            match BlockingRule::parse(r) {
                Ok(rule) => parsed.push(rule),
                Err(e) => return usage(format!("blocking rule '{r}': {e}")),
            }
        }
        settings.blocking = Some(parsed);
    }

    let mut columns = ColumnMap::default();
    for (role, list) in &config.columns {
        let Some(role) = Role::parse(role) else {
            return usage(format!("[columns]: unknown role '{role}'"));
        };
        match list {
            ColumnList::One(c) => columns.explicit.push((role, c.clone())),
            ColumnList::Many(cs) => columns
                .explicit
                .extend(cs.iter().map(|c| (role, c.clone()))),
        }
    }
    for spec in &args.columns {
        let Some((role, column)) = spec.split_once('=') else {
            return usage(format!("--column {spec}: expected ROLE=COLUMN"));
        };
        let Some(role) = Role::parse(role.trim()) else {
            return usage(format!("--column {spec}: unknown role '{role}'"));
        };
        columns.explicit.push((role, column.trim().to_string()));
    }

    let mut table: Option<Table> = None;
    for (source, path) in args.inputs.iter().enumerate() {
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) => return usage(format!("{}: {e}", path.display())),
        };
        let label = path.display().to_string();
        let reader = std::io::BufReader::with_capacity(1 << 20, file);
        let t = match Table::from_csv(reader, &label, source as u8, &columns, &settings.limits) {
            Ok(t) => t,
            Err(e) => return usage(e),
        };
        match &mut table {
            None => table = Some(t),
            Some(first) => first.append(t),
        }
    }
    let Some(table) = table else {
        return usage("no input");
    };
    let two_inputs = args.inputs.len() == 2;
    let records = table.len();
    let engine = match Engine::new(table, settings.clone()) {
        Ok(e) => e,
        Err(e) => return usage(e),
    };

    let given_model = match &args.model {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let model: Model = match serde_json::from_str(&text) {
                Ok(m) => m,
                Err(e) => return usage(format!("{}: {e}", path.display())),
            };
            if let Err(e) = model.check() {
                return usage(format!("{}: {e}", path.display()));
            }
            Some(model)
        }
        None => None,
    };

    let judgements = match &args.judgements {
        Some(path) => match read_judgements(path, &engine, two_inputs) {
            Ok(j) => j,
            Err(e) => return usage(format!("{e:#}")),
        },
        None => Vec::new(),
    };

    if !args.explain.is_empty() {
        let model = match &given_model {
            Some(m) => m.clone(),
            None => {
                let spec = engine.default_model();
                let candidates = engine.candidates(&spec)?;
                engine.train(spec, &candidates)?
            }
        };
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        for ids in args.explain.chunks(2) {
            let find = |id: &str| engine.record(0, id).or_else(|| engine.record(1, id));
            let (Some(l), Some(r)) = (find(&ids[0]), find(&ids[1])) else {
                return usage(format!(
                    "--explain {} {}: no such record id",
                    ids[0], ids[1]
                ));
            };
            let e = engine.explain(&model, l, r)?;
            writeln!(
                out,
                "{} ~ {}: match weight {:+.2}, probability {:.6}",
                ids[0], ids[1], e.weight, e.probability
            )?;
            writeln!(
                out,
                "  {:<16} {:>8.2}  (prior: 1 in {:.0} pairs match)",
                "prior",
                e.prior_weight,
                1.0 / model.probability_two_random_records_match
            )?;
            for f in &e.fields {
                writeln!(
                    out,
                    "  {:<16} {:>+8.2}  {:<44} m {:.4} u {:.6}  {:?} | {:?}",
                    f.name, f.weight, f.level, f.m, f.u, f.value_l, f.value_r
                )?;
            }
            writeln!(out, "  {:<16} {:>+8.2}", "total", e.weight)?;
        }
        if args.out.is_none() {
            return Ok(0);
        }
    }

    let prepared_in = started.elapsed();
    let result = engine.run(given_model, &judgements)?;
    let Some(dir) = &args.out else {
        return Ok(0);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    write_outputs(dir, &engine, &result, two_inputs)?;
    let links = result
        .pairs
        .iter()
        .filter(|p| p.probability >= settings.threshold)
        .count();
    println!(
        "{records} records, {} candidate pairs, {links} links at p >= {}, {} clusters ({} pairs cut by judgements) in {:.2?}",
        result.candidate_pairs,
        settings.threshold,
        result.cluster_stats.clusters,
        result.cluster_stats.edges_cut,
        started.elapsed()
    );
    let mut phases = format!("reading and preparing {prepared_in:.2?}");
    for (name, t) in &result.phase_times {
        phases.push_str(&format!(", {name} {t:.2?}"));
    }
    println!("    {phases}");
    let stats = &result.block_stats;
    for (i, rule) in result.model.blocking.iter().enumerate() {
        let skipped = stats.blocks_skipped_per_rule.get(i).copied().unwrap_or(0);
        println!(
            "    blocking {rule}: {} new pairs{}",
            stats.pairs_per_rule.get(i).copied().unwrap_or(0),
            if skipped > 0 {
                format!(
                    " ({skipped} largest blocks skipped, {} pairs before)",
                    stats.rule_pairs_estimated.get(i).copied().unwrap_or(0)
                )
            } else {
                String::new()
            }
        );
    }
    println!(
        "wrote {0}/clusters.csv, {0}/pairs.csv, {0}/model.json",
        dir.display()
    );
    if let Some(path) = &args.truth {
        let truth = read_truth(path, &engine, two_inputs)?;
        let predicted: Vec<(u32, u32)> = result
            .pairs
            .iter()
            .filter(|p| p.probability >= settings.threshold)
            .map(|p| (p.l, p.r))
            .collect();
        let q = Quality::of(&predicted, &truth);
        let blocked = engine.blocking_recall(&result.model, &result.block_stats, &truth)?;
        println!(
            "blocking: recall {blocked:.4} of {} true pairs",
            truth.len()
        );
        // Pairs within clusters grow with the square of cluster size: measured only while
        // that stays bounded.
        let mut sizes = vec![0u64; result.cluster_of.len()];
        for &c in &result.cluster_of {
            sizes[c as usize] += 1;
        }
        let within: u64 = sizes.iter().map(|k| k * k.saturating_sub(1) / 2).sum();
        if within > CLUSTER_PAIRS_MEASURED_MAX {
            println!("clusters: {within} pairs within clusters, not measured");
            return Ok(0);
        }
        let c = Quality::of(&cluster_pairs(&result.cluster_of), &truth);
        println!(
            "pairs:    precision {:.4} recall {:.4} F1 {:.4} (TP {} FP {} FN {})",
            q.precision(),
            q.recall(),
            q.f1(),
            q.true_positives,
            q.false_positives,
            q.false_negatives
        );
        println!(
            "clusters: precision {:.4} recall {:.4} F1 {:.4}",
            c.precision(),
            c.recall(),
            c.f1()
        );
    }
    Ok(0)
}

fn write_outputs(
    dir: &Path,
    engine: &Engine,
    result: &corridor_resolve::Resolution,
    two_inputs: bool,
) -> Result<()> {
    let table = engine.table();
    let safe = |s: &str| corridor_text::csv_safe(s).into_owned();
    let path = dir.join("clusters.csv");
    let mut w = csv::Writer::from_writer(BufWriter::new(
        File::create(&path).with_context(|| format!("creating {}", path.display()))?,
    ));
    if two_inputs {
        w.write_record(["record_id", "cluster_id", "input"])?;
    } else {
        w.write_record(["record_id", "cluster_id"])?;
    }
    // A cluster is named by its record first by input and id, and rows go out in that order:
    // the file reads the same whatever order the engine keeps records in.
    let by_id = |a: usize, b: usize| {
        (table.sources[a], &table.ids[a]).cmp(&(table.sources[b], &table.ids[b]))
    };
    let mut name_of: Vec<u32> = (0..result.cluster_of.len() as u32).collect();
    for (i, &c) in result.cluster_of.iter().enumerate() {
        let name = &mut name_of[c as usize];
        if by_id(i, *name as usize).is_lt() {
            *name = i as u32;
        }
    }
    let mut rows: Vec<usize> = (0..result.cluster_of.len()).collect();
    rows.sort_by(|&a, &b| by_id(a, b));
    for i in rows {
        let c = result.cluster_of[i];
        let id = safe(&table.ids[i]);
        let cluster = safe(&table.ids[name_of[c as usize] as usize]);
        if two_inputs {
            let input = (table.sources[i] + 1).to_string();
            w.write_record([id.as_str(), cluster.as_str(), input.as_str()])?;
        } else {
            w.write_record([id.as_str(), cluster.as_str()])?;
        }
    }
    w.flush()
        .with_context(|| format!("writing {}", path.display()))?;

    let path = dir.join("pairs.csv");
    let mut w = csv::Writer::from_writer(BufWriter::new(
        File::create(&path).with_context(|| format!("creating {}", path.display()))?,
    ));
    w.write_record([
        "record_id_l",
        "record_id_r",
        "match_probability",
        "match_weight",
    ])?;
    let mut pairs = result.pairs.clone();
    pairs.sort_unstable_by_key(|p| (p.l, p.r));
    for p in &pairs {
        w.write_record([
            safe(&table.ids[p.l as usize]),
            safe(&table.ids[p.r as usize]),
            format!("{:.6}", p.probability),
            format!("{:.4}", p.weight),
        ])?;
    }
    w.flush()
        .with_context(|| format!("writing {}", path.display()))?;

    let path = dir.join("model.json");
    let text = serde_json::to_string_pretty(&result.model)?;
    std::fs::write(&path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Reads a two-id-column CSV (header first) into canonical record pairs.
fn read_id_pairs(
    path: &Path,
    engine: &Engine,
    two_inputs: bool,
) -> Result<Vec<(u32, u32, Option<String>)>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let mut out = Vec::new();
    for row in rdr.records() {
        let row = row.with_context(|| format!("reading {}", path.display()))?;
        let line = row.position().map_or(0, |p| p.line());
        let (Some(a), Some(b)) = (row.get(0), row.get(1)) else {
            bail!("{}:{line}: expected two record ids", path.display());
        };
        let l = engine.record(0, a.trim());
        let r = engine.record(u8::from(two_inputs), b.trim());
        let (Some(l), Some(r)) = (l, r) else {
            bail!(
                "{}:{line}: unknown record id '{}' or '{}'",
                path.display(),
                a,
                b
            );
        };
        out.push((l, r, row.get(2).map(|s| s.trim().to_string())));
    }
    Ok(out)
}

fn read_truth(path: &Path, engine: &Engine, two_inputs: bool) -> Result<Vec<(u32, u32)>> {
    Ok(read_id_pairs(path, engine, two_inputs)?
        .into_iter()
        .map(|(l, r, _)| (l, r))
        .collect())
}

fn read_judgements(path: &Path, engine: &Engine, two_inputs: bool) -> Result<Vec<Judgement>> {
    let mut out = Vec::new();
    for (i, (l, r, j)) in read_id_pairs(path, engine, two_inputs)?
        .into_iter()
        .enumerate()
    {
        let same = match j.as_deref() {
            Some("same" | "1" | "match" | "true") => true,
            Some("different" | "0" | "non-match" | "false") => false,
            other => bail!(
                "{}: judgement {} is {:?}: expected same or different (third column, judgement)",
                path.display(),
                i + 1,
                other.unwrap_or("")
            ),
        };
        out.push(Judgement { l, r, same });
    }
    Ok(out)
}
