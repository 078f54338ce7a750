//! `corridor`: the command-line entry point.
//!
//! Exit status, everywhere: 0 success; 1 failure (nothing of the failing batch committed);
//! 2 usage error (bad arguments, mapping or file name; nothing committed); 3 ingest finished
//! but rejected some rows (the rest are committed; the rejects file says why).

mod demo;
mod link;
mod money;
mod network;
mod policy;
mod serve;
mod sharing;
mod subjects;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use corridor_ingest::{Format, IngestError, Options, Summary};
use corridor_model::limits::BATCH_RECORDS_DEFAULT;
use corridor_store::{Batch, Entry, Store, Tombstone};

/// mimalloc rather than the system allocator: ingest allocates on the parser thread and frees on
/// the writer thread, the pattern glibc's arenas handle worst (measured in docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EXIT_FAILURE: u8 = 1;
pub(crate) const EXIT_USAGE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "corridor",
    version,
    about = "Corridor: the intelligence exchange against people-smuggling networks.",
    after_help = "Examples:\n  corridor demo\n  corridor ingest --store corridor.db --mapping examples/rs_bp_interceptions.toml examples/rs_bp_interceptions.csv\n  corridor export --store corridor.db --format ftm --out all.ftm.jsonl\n  corridor status --store corridor.db"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the store is: a SQLite file path (the default, `corridor.db`) or a PostgreSQL URL.
#[derive(clap::Args, Clone)]
pub(crate) struct StoreArg {
    /// SQLite file or postgres://user@host:port/db URL.
    #[arg(long, env = "CORRIDOR_STORE", default_value = "corridor.db")]
    store: String,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    /// CSV with a mapping file.
    Csv,
    /// FollowTheMoney entity JSON lines.
    Ftm,
}

#[derive(Subcommand)]
enum Command {
    /// Ingest the bundled example files of four agencies into a fresh store and summarise.
    Demo {
        /// Store to create (default: a temporary SQLite file, removed afterwards).
        #[arg(long)]
        store: Option<String>,
        /// Prepare everything, then exit instead of serving the workspace.
        #[arg(long)]
        no_serve: bool,
        /// Address to serve the workspace on (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// Generate a synthetic scenario: agency files with their mappings, and the ground truth.
    #[command(
        after_help = "Example:\n  corridor synth --preset demo --seed 7 --out scenario\n  corridor ingest --mapping scenario/RS_BP/interceptions.toml scenario/RS_BP/interceptions.csv"
    )]
    Synth {
        /// Size: demo, test, year or bench (default demo).
        #[arg(long, conflicts_with = "config")]
        preset: Option<String>,
        /// Seed: the same seed gives byte-identical output (default 20231101).
        #[arg(long, conflicts_with = "config")]
        seed: Option<u64>,
        /// Scenario configuration (TOML: [scenario] seed, preset, days; [volumes];
        /// [agencies.<CODE>] recording rates) instead of --preset and --seed.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// Ingest agency files (CSV with a mapping, or FtM JSON lines) into the store.
    #[command(
        after_help = "Examples:\n  corridor ingest --mapping rs.toml interceptions.csv\n  corridor ingest --format ftm exported.ftm.jsonl\n  corridor ingest --scenario scenario\n  corridor ingest --ledger scenario/ledger/transactions.csv --origin RS_FIU\n\nA ledger file is id,timestamp,from_account,to_account,amount,currency,channel unless\n--mapping names a ledger mapping ([ledger], [columns], [grading]; see corridor_ingest::ledger).\n\nExit status: 0 all rows accepted; 3 some rejected (the rest committed);\n2 usage error; 1 failure (earlier batches committed, the failing one not)."
    )]
    Ingest {
        #[command(flatten)]
        store: StoreArg,
        /// Input format; by default FtM for *.jsonl / *.ndjson / *.json, CSV otherwise.
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        /// Mapping file (TOML): required for CSV; for FtM it supplies missing envelopes.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// Rejects file (default: <file>.rejects.csv beside each input).
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// Records per batch; each batch commits whole or not at all.
        #[arg(long, default_value_t = BATCH_RECORDS_DEFAULT)]
        batch_records: usize,
        /// Every agency's files of a `corridor synth` output directory, each through the
        /// mapping beside it (DIR/AGENCY/NAME.toml with NAME.csv or NAME.ftm.jsonl), in name
        /// order.
        /// The scenario's ledger (DIR/ledger/transactions.csv) is loaded too, as `--origin`'s
        /// rows (default FIU_LEDGER).
        #[arg(long, conflicts_with_all = ["files", "mapping", "format", "rejects", "ledger"])]
        scenario: Option<PathBuf>,
        /// A ledger file (transactions) for the store's ledger, read through --mapping if given
        /// (a ledger mapping), as the rows of --origin.
        #[arg(long, conflicts_with_all = ["files", "format"], requires = "origin")]
        ledger: Option<PathBuf>,
        /// The agency a ledger's rows come from.
        #[arg(long)]
        origin: Option<String>,
        /// Files to ingest, in order.
        #[arg(required_unless_present_any = ["scenario", "ledger"])]
        files: Vec<PathBuf>,
    },
    /// Write every current record as FollowTheMoney entity JSON lines.
    Export {
        #[command(flatten)]
        store: StoreArg,
        #[arg(long, value_enum, default_value = "ftm")]
        format: ExportFormat,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Retract a record: append a tombstone (the earlier versions stay in the log).
    Retract {
        #[command(flatten)]
        store: StoreArg,
        /// The originating agency (only the originator retracts its records).
        #[arg(long)]
        agency: String,
        /// The record's id.
        #[arg(long)]
        id: String,
        /// Why, for the log.
        #[arg(long)]
        reason: String,
        /// Who retracts.
        #[arg(long)]
        contributor: String,
    },
    /// Resolve records of one CSV (deduplicate) or two (link), without a store: clusters,
    /// scored pairs and the trained model; --explain shows per-field match weights.
    Link(link::LinkArgs),
    /// The link graph: summary, top nodes, communities, paths, ego networks, disruption,
    /// export and evaluation against a scenario's truth.
    Network(network::NetworkArgs),
    /// Money-flow typology alerts over a ledger, an account's features, evaluation on a scenario.
    Money(money::MoneyArgs),
    /// Resolve the store's records into subjects (persons, organisations, phones, vehicles,
    /// vessels, accounts), keeping subject ids stable and honouring judgements.
    Resolve(subjects::ResolveArgs),
    /// Record an analyst's judgement: two records are the same entity, or different ones.
    Judge(subjects::JudgeArgs),
    /// Show a subject's records (by subject id, or by one of its records).
    Subject(subjects::SubjectArgs),
    /// The audit log: verify its chain and signatures, export it, sign a checkpoint.
    Audit(policy::AuditArgs),
    #[command(flatten)]
    Sharing(sharing::SharingCommand),
    /// Serve the HTTP API and the web UI over a store.
    Serve(serve::ServeArgs),
    /// Show the store's backend, schema version, log position and totals, and check it.
    Status {
        #[command(flatten)]
        store: StoreArg,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    /// FollowTheMoney entity JSON lines, envelope under "corridor".
    Ftm,
}

fn main() -> ExitCode {
    // Like other Unix tools, end quietly when the reader of our output goes away
    // (`corridor synth … | head`), instead of panicking on a failed print.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

pub(crate) fn open_store(locator: &str) -> Result<Box<dyn Store>> {
    corridor_store::open(locator).with_context(|| format!("opening store {locator}"))
}

fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Demo {
            store,
            no_serve,
            listen,
        } => demo::run(&demo::DemoOptions {
            store: store.as_deref(),
            serve: !no_serve,
            listen: &listen,
        }),
        Command::Synth {
            preset,
            seed,
            config,
            out,
        } => {
            let config = match config {
                Some(path) => {
                    let text = match std::fs::read_to_string(&path) {
                        Ok(t) => t,
                        Err(e) => {
                            eprintln!("error: {}: {e}", path.display());
                            return Ok(EXIT_USAGE);
                        }
                    };
                    match corridor_synth::Config::from_toml(&text) {
                        Ok(c) => c,
                        Err(e) => {
                            eprintln!("error: {}: {e}", path.display());
                            return Ok(EXIT_USAGE);
                        }
                    }
                }
                None => {
                    let name = preset.as_deref().unwrap_or("demo");
                    let Some(preset) = corridor_synth::Preset::parse(name) else {
                        eprintln!(
                            "error: --preset must be demo, test, year or bench, not '{name}'"
                        );
                        return Ok(EXIT_USAGE);
                    };
                    corridor_synth::Config::preset(preset, seed.unwrap_or(20231101))
                }
            };
            let bar = indicatif::ProgressBar::new(u64::from(config.days));
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "ledger [{bar:30}] day {pos}/{len} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let summary = corridor_synth::generate_with_progress(&config, &out, &mut |p| {
                bar.set_position(u64::from(p.days_done));
            });
            bar.finish_and_clear();
            let summary =
                summary.with_context(|| format!("writing the scenario to {}", out.display()))?;
            println!(
                "{} persons, {} border stops; agency files under {}:",
                summary.persons,
                summary.interceptions,
                out.display()
            );
            for a in &summary.agencies {
                println!(
                    "    {:<7} {:>8} rows  {} (mapping {})",
                    a.code, a.rows, a.data_file, a.mapping_file
                );
            }
            println!(
                "    ledger  {:>8} transactions ({} illicit)  ledger/transactions.csv",
                summary.ledger.transactions, summary.ledger.illicit
            );
            println!("ground truth: {}/truth/", out.display());
            Ok(0)
        }
        Command::Ingest {
            store,
            format,
            mapping,
            rejects,
            batch_records,
            scenario,
            ledger,
            origin,
            files,
        } => {
            if let Some(file) = ledger {
                let mapping = match &mapping {
                    Some(p) => match read_mapping(p).and_then(|text| {
                        corridor_ingest::ledger::LedgerMapping::parse(
                            &text,
                            &p.display().to_string(),
                        )
                        .map_err(|e| anyhow::anyhow!(e))
                    }) {
                        Ok(m) => m,
                        Err(e) => {
                            eprintln!("error: {e:#}");
                            return Ok(EXIT_USAGE);
                        }
                    },
                    None => corridor_ingest::ledger::LedgerMapping::default_format(),
                };
                let mut store = open_store(&store.store)?;
                let options = corridor_ingest::ledger::LedgerOptions {
                    origin: origin.unwrap_or_default(),
                    rejects_path: rejects,
                    batch_rows: corridor_ingest::ledger::LEDGER_BATCH_ROWS,
                };
                return Ok(ingest_ledger_one(store.as_mut(), &file, &mapping, &options));
            }
            if let Some(dir) = scenario {
                let sources = match scenario_sources(&dir) {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("error: {e:#}");
                        return Ok(EXIT_USAGE);
                    }
                };
                let mut store = open_store(&store.store)?;
                let options = Options {
                    batch_records,
                    ..Options::default()
                };
                let mut worst = 0u8;
                for (mapping_path, data, format) in &sources {
                    let text = match read_mapping(mapping_path) {
                        Ok(t) => t,
                        Err(e) => {
                            eprintln!("error: {e:#}");
                            return Ok(EXIT_USAGE);
                        }
                    };
                    let name = mapping_path.display().to_string();
                    let code =
                        ingest_one(store.as_mut(), data, *format, Some((&text, name)), &options);
                    worst = worse(worst, code);
                    if code == EXIT_FAILURE || code == EXIT_USAGE {
                        return Ok(worst);
                    }
                }
                let ledger_file = dir.join("ledger/transactions.csv");
                if ledger_file.is_file() {
                    let options = corridor_ingest::ledger::LedgerOptions {
                        origin: origin.unwrap_or_else(|| SCENARIO_LEDGER_ORIGIN.to_owned()),
                        rejects_path: None,
                        batch_rows: corridor_ingest::ledger::LEDGER_BATCH_ROWS,
                    };
                    let mapping = corridor_ingest::ledger::LedgerMapping::default_format();
                    let code = ingest_ledger_one(store.as_mut(), &ledger_file, &mapping, &options);
                    worst = worse(worst, code);
                }
                return Ok(worst);
            }
            let mapping_text = match &mapping {
                Some(p) => match read_mapping(p) {
                    Ok(text) => Some(text),
                    Err(e) => {
                        eprintln!("error: {e:#}");
                        return Ok(EXIT_USAGE);
                    }
                },
                None => None,
            };
            if rejects.is_some() && files.len() > 1 {
                eprintln!("error: --rejects names one file; give one input or leave it out");
                return Ok(EXIT_USAGE);
            }
            let mut store = open_store(&store.store)?;
            let options = Options {
                batch_records,
                rejects_path: rejects,
                ..Options::default()
            };
            let mut worst = 0u8;
            for file in &files {
                let format = match format {
                    Some(FormatArg::Csv) => Format::Csv,
                    Some(FormatArg::Ftm) => Format::Ftm,
                    None => guess_format(file),
                };
                let mapping = mapping_text
                    .as_deref()
                    .zip(mapping.as_ref().map(|p| p.display().to_string()));
                let code = ingest_one(store.as_mut(), file, format, mapping, &options);
                worst = worse(worst, code);
                if code == EXIT_FAILURE || code == EXIT_USAGE {
                    break;
                }
            }
            Ok(worst)
        }
        Command::Export { store, format, out } => {
            let ExportFormat::Ftm = format;
            let mut store = open_store(&store.store)?;
            let n = match &out {
                Some(path) => {
                    let file = std::fs::File::create(path)
                        .with_context(|| format!("creating {}", path.display()))?;
                    let mut w = std::io::BufWriter::new(file);
                    let n = corridor_ingest::export::ftm(store.as_mut(), &mut w)?;
                    std::io::Write::flush(&mut w)?;
                    n
                }
                None => {
                    let stdout = std::io::stdout();
                    let mut w = std::io::BufWriter::new(stdout.lock());
                    let n = corridor_ingest::export::ftm(store.as_mut(), &mut w)?;
                    std::io::Write::flush(&mut w)?;
                    n
                }
            };
            eprintln!("exported {n} records");
            Ok(0)
        }
        Command::Retract {
            store,
            agency,
            id,
            reason,
            contributor,
        } => {
            let mut store = open_store(&store.store)?;
            let Some(head) = store.head(&agency, &id)? else {
                eprintln!("error: {agency} has no record '{id}'");
                return Ok(EXIT_USAGE);
            };
            if head.tombstone {
                println!(
                    "{agency}/{id} is already retracted (version {})",
                    head.version
                );
                return Ok(0);
            }
            let mut envelope = head.envelope.clone();
            envelope.contributor = contributor;
            envelope.submitted_at = corridor_ingest::now_rfc3339();
            if let Err((field, why)) = envelope.validate() {
                eprintln!("error: {field}: {why}");
                return Ok(EXIT_USAGE);
            }
            let out = store.append_batch(&Batch {
                entries: vec![Entry::Tombstone(Tombstone {
                    record_id: id.clone(),
                    schema: head.record.schema.clone(),
                    envelope,
                    reason,
                })],
                ..Batch::default()
            })?;
            println!(
                "retracted {agency}/{id}: version {} is a tombstone at log position {}",
                head.version + 1,
                out.log_position
            );
            Ok(0)
        }
        Command::Link(args) => link::run(args),
        Command::Network(args) => network::run(args),
        Command::Money(args) => money::run(args),
        Command::Resolve(args) => subjects::resolve(args),
        Command::Judge(args) => subjects::judge(args),
        Command::Subject(args) => subjects::subject(args),
        Command::Audit(args) => policy::run(args),
        Command::Sharing(command) => sharing::run(command),
        Command::Serve(args) => serve::run(args),
        Command::Status { store } => {
            let mut store = open_store(&store.store)?;
            let c = store.counts()?;
            println!("backend:         {}", store.backend());
            println!("schema version:  {}", store.schema_version()?);
            println!("log position:    {}", c.log_position);
            println!("live records:    {}", c.live_records);
            println!(
                "log entries:     {} ({} tombstones)",
                c.log_entries, c.tombstones
            );
            println!("batches:         {}", c.batches);
            println!("sources:         {}", c.sources);
            let checked = store.verify()?;
            println!("verify:          ok ({checked} records' heads match the log)");
            Ok(0)
        }
    }
}

fn worse(a: u8, b: u8) -> u8 {
    let rank = |c: u8| match c {
        0 => 0,
        3 => 1,
        2 => 2,
        _ => 3,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// A scenario directory's agency files: (mapping, data file, format) per `DIR/*/*.toml`, in
/// path order; the data file is the mapping's name with `.ftm.jsonl` (FtM) or `.csv`.
fn scenario_sources(dir: &std::path::Path) -> Result<Vec<(PathBuf, PathBuf, Format)>> {
    let mut out = Vec::new();
    let agencies = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for agency in agencies {
        let agency = agency?.path();
        // The ledger is not an agency's records: it goes to the store's ledger.
        if !agency.is_dir() || agency.file_name().is_some_and(|n| n == "ledger") {
            continue;
        }
        for entry in std::fs::read_dir(&agency)? {
            let mapping = entry?.path();
            if mapping.extension().is_none_or(|e| e != "toml") {
                continue;
            }
            let ftm = mapping.with_extension("ftm.jsonl");
            let csv = mapping.with_extension("csv");
            if ftm.is_file() {
                out.push((mapping, ftm, Format::Ftm));
            } else if csv.is_file() {
                out.push((mapping, csv, Format::Csv));
            } else {
                anyhow::bail!("{}: no data file beside it", mapping.display());
            }
        }
    }
    anyhow::ensure!(
        !out.is_empty(),
        "{}: no agency mappings (DIR/AGENCY/*.toml)",
        dir.display()
    );
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn guess_format(path: &std::path::Path) -> Format {
    match path.extension().and_then(|e| e.to_str()) {
        Some("jsonl" | "ndjson" | "json") => Format::Ftm,
        _ => Format::Csv,
    }
}

fn read_mapping(path: &std::path::Path) -> Result<String> {
    let meta = std::fs::metadata(path).with_context(|| format!("mapping {}", path.display()))?;
    anyhow::ensure!(
        meta.len() as usize <= corridor_model::limits::MAPPING_BYTES_MAX,
        "mapping {} is over {} bytes",
        path.display(),
        corridor_model::limits::MAPPING_BYTES_MAX
    );
    std::fs::read_to_string(path).with_context(|| format!("mapping {}", path.display()))
}

/// Ingests one file with a progress bar and prints its summary; returns the exit status.
pub(crate) fn ingest_one(
    store: &mut dyn Store,
    file: &std::path::Path,
    format: Format,
    mapping: Option<(&str, String)>,
    options: &Options,
) -> u8 {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(file.display().to_string());
    let mapping_ref = mapping.as_ref().map(|(t, n)| (*t, n.as_str()));
    let result =
        corridor_ingest::ingest_file(store, file, format, mapping_ref, options, &mut |p| {
            bar.set_length(p.bytes_total);
            bar.set_position(p.bytes_read);
        });
    bar.finish_and_clear();
    match result {
        Ok(summary) => {
            print_summary(&summary);
            summary.exit_code() as u8
        }
        Err(IngestError::Usage(m)) => {
            eprintln!("error: {m}");
            EXIT_USAGE
        }
        Err(IngestError::Failed { message, committed }) => {
            print_summary(&committed);
            eprintln!("error: {message}");
            eprintln!(
                "(batches before the failure are committed; re-run the same command to complete the file)"
            );
            EXIT_FAILURE
        }
    }
}

/// The originator of a scenario's ledger: the transfers financial institutions hold, as FIUs
/// would obtain them on request.
const SCENARIO_LEDGER_ORIGIN: &str = "FIU_LEDGER";

/// Ingests one ledger file and prints its summary; returns the exit status.
fn ingest_ledger_one(
    store: &mut dyn Store,
    file: &std::path::Path,
    mapping: &corridor_ingest::ledger::LedgerMapping,
    options: &corridor_ingest::ledger::LedgerOptions,
) -> u8 {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(file.display().to_string());
    let result =
        corridor_ingest::ledger::ingest_ledger(store, file, mapping, options, &mut |rows| {
            bar.set_message(format!("{}: {rows} rows", file.display()));
        });
    bar.finish_and_clear();
    match result {
        Ok(s) => {
            println!(
                "{} [{}]: {} ledger rows read, {} appended, {} unchanged, {} rejected",
                s.file, s.origin, s.rows_read, s.rows_appended, s.rows_unchanged, s.rows_rejected
            );
            for (field, (n, reason)) in &s.rejects_by_field {
                println!("  {n:>8} rejected on {field}: {reason}");
            }
            if s.rows_rejected > 0
                && let Some(p) = &s.rejects_path
            {
                println!("  rejects: {}", p.display());
            }
            s.exit_code() as u8
        }
        Err(IngestError::Usage(m)) => {
            eprintln!("error: {m}");
            EXIT_USAGE
        }
        Err(IngestError::Failed { message, committed }) => {
            print_summary(&committed);
            eprintln!("error: {message}");
            eprintln!(
                "(batches before the failure are committed; re-run the same command to complete the file)"
            );
            EXIT_FAILURE
        }
    }
}

pub(crate) fn print_summary(s: &Summary) {
    println!(
        "{} [{}]: {} rows read, {} accepted, {} rejected{}; {} records appended, {} unchanged, in {} batches",
        s.file,
        if s.agency.is_empty() {
            "envelope per line"
        } else {
            &s.agency
        },
        s.rows_read,
        s.rows_accepted,
        s.rows_rejected,
        if s.rows_empty > 0 {
            format!(" ({} empty rows skipped)", s.rows_empty)
        } else {
            String::new()
        },
        s.records_appended,
        s.records_unchanged,
        s.batches
    );
    for (field, (count, example)) in &s.rejects_by_field {
        println!("    rejected {count:>6} × {field}: {example}");
    }
    if s.rows_rejected > 0
        && let Some(p) = &s.rejects_path
    {
        println!(
            "    every rejected row, with file, line, field and reason: {}",
            p.display()
        );
    }
}
