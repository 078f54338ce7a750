//! `corridor money`: typology alerts over a ledger, one account's features and alerts, where an
//! account's or a subject's money went, per-transaction feature rows, and the alerts measured
//! against a scenario's truth.
//!
//! The ledger is `id,timestamp,from_account,to_account,amount,…,channel` (the scenario's
//! `ledger/transactions.csv`); `--ledger` takes the file or a `corridor synth` output directory,
//! `--store` reads the store's ledger instead. With `--store`, alerts and flows roll up to
//! subjects: each account's subject (agencies' `BankAccount` records resolved on the IBAN), the
//! persons or organisations recorded as its holders, and the networks (link-graph components,
//! `N<i>` as `corridor network` numbers them) they belong to.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::Instant;

use std::collections::{BTreeSet, HashMap};

use anyhow::{Context, Result, anyhow, bail};
use corridor_money::{
    AccountFeatures, Alert, Config, Ledger, LedgerBuilder, TX_FEATURE_NAMES, TYPOLOGY_TRUTH,
    Typology, channel_code, channel_name, evaluate, features, read_ledger, read_truth, scan_rows,
    scan_stream, transaction_features,
};
use corridor_store::Store;
use corridor_subjects::accounts::{AccountIndex, account_index};
use serde_json::json;

const EXIT_USAGE: u8 = 2;
/// Accounts and transactions a table row lists before it says how many more there are.
const TABLE_ITEMS_MAX: usize = 4;
/// Hops `flows` follows at most.
const FLOW_HOPS_MAX: usize = 8;
/// Transfers `flows` lists at most: past it the walk stops and says so.
const FLOW_ROWS_MAX: usize = 100_000;

/// Arguments of `corridor money`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  corridor money alerts --ledger scenario
  corridor money alerts --ledger scenario/ledger/transactions.csv --typology cycle --format json
  corridor money account HWL-P0000123 --ledger scenario
  corridor money evaluate --scenario scenario
  corridor money alerts --store corridor.db --format json
  corridor money flows P-0000042 --store corridor.db --hops 3
  corridor money features --ledger scenario --out features.csv

Typologies: fan_in, fan_out, scatter_gather, gather_scatter, cycle, structuring, pass_through,
hawala_settlement. Thresholds and windows come from --config, a TOML file of
corridor_money::Config fields (amounts in cents, times in seconds); missing fields keep their
defaults (structuring under EUR 15,000 in cash, Serbia's reporting threshold).
Exit status: 0 done; 2 bad arguments or input; 1 failure.")]
pub struct MoneyArgs {
    #[command(subcommand)]
    command: MoneyCommand,
    /// Thresholds and windows (TOML).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Threads for the scan (results do not depend on it).
    #[arg(long, global = true, default_value_t = 2)]
    threads: usize,
    /// Output as an aligned table or as JSON.
    #[arg(long, global = true, value_enum, default_value = "table")]
    format: OutFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OutFormat {
    Table,
    Json,
}

/// Where the ledger comes from: a file, or the store (whose subjects the results roll up to).
#[derive(clap::Args, Clone)]
struct Source {
    /// The ledger CSV, or a scenario directory holding `ledger/transactions.csv`.
    #[arg(long, conflicts_with = "store")]
    ledger: Option<PathBuf>,
    /// The store's ledger (SQLite file or postgres:// URL); results name subjects and networks.
    #[arg(long)]
    store: Option<String>,
    /// Only this originator's rows of the store's ledger.
    #[arg(long, requires = "store")]
    origin: Option<String>,
}

#[derive(clap::Subcommand)]
enum MoneyCommand {
    /// Every alert on the ledger, or one typology's.
    Alerts {
        #[command(flatten)]
        source: Source,
        /// Only this typology's alerts.
        #[arg(long)]
        typology: Option<String>,
        /// Stream the ledger file (sorted by timestamp, then id): parse on one thread, scan on
        /// another, print alerts as they are raised, hold no more than the longest window.
        /// Files over 2 GiB are streamed anyway. With --store, the store's ledger is read in
        /// pages in the same order.
        #[arg(long)]
        stream: bool,
        /// With --stream: scanner threads (1 or 2). Two put settlement on a scanner of its
        /// own; on two cores that took about as long as one, for 1.4 times the memory. The
        /// alerts are the same.
        #[arg(long, default_value_t = 1)]
        scan_threads: usize,
    },
    /// One account's features and the alerts that name it.
    Account {
        /// The account id as the ledger writes it.
        id: String,
        #[command(flatten)]
        source: Source,
    },
    /// Where the money went: transfers out of an account (or out of every account a subject
    /// holds or is), then out of their receivers, hop by hop, each after the one before.
    Flows {
        /// An account id as the ledger writes it, or (with --store) a subject id: an account
        /// subject, or a person or organisation recorded as holding accounts.
        subject: String,
        #[command(flatten)]
        source: Source,
        /// Hops to follow (at most 8).
        #[arg(long, default_value_t = 3)]
        hops: usize,
        /// Only transfers of at least this amount (major units).
        #[arg(long, default_value_t = 0.0)]
        amount_min: f64,
    },
    /// One feature row per transaction (CSV): the transaction, each end's history before it,
    /// and the typology alerts that include it; with the scenario's label when --truth is given.
    Features {
        #[command(flatten)]
        source: Source,
        /// The CSV to write.
        #[arg(long)]
        out: PathBuf,
        /// A scenario's `truth/transactions_truth.csv` (or the scenario directory): adds the
        /// `illicit` label column.
        #[arg(long)]
        truth: Option<PathBuf>,
    },
    /// Per-typology precision, recall and F1 against a scenario's `truth/transactions_truth.csv`.
    Evaluate {
        /// A `corridor synth` output directory.
        #[arg(long)]
        scenario: PathBuf,
        /// Read the ledger from this store instead of the scenario's file.
        #[arg(long)]
        store: Option<String>,
        /// Only this originator's rows of the store's ledger.
        #[arg(long, requires = "store")]
        origin: Option<String>,
    },
}

fn usage(message: String) -> Result<u8> {
    eprintln!("error: {message}");
    Ok(EXIT_USAGE)
}

/// The ledger file of a path that is the file or a scenario directory.
fn ledger_path(path: &Path) -> PathBuf {
    if path.is_dir() {
        let inside = path.join("ledger/transactions.csv");
        if inside.exists() {
            return inside;
        }
        return path.join("transactions.csv");
    }
    path.to_owned()
}

fn load_ledger(path: &Path) -> Result<Ledger> {
    let file = ledger_path(path);
    let reader = BufReader::with_capacity(
        1 << 20,
        File::open(&file).with_context(|| format!("opening {}", file.display()))?,
    );
    Ok(read_ledger(reader, &file.display().to_string())?)
}

/// Ledger files larger than this are streamed: read whole, the columns and ids take about
/// twice the file's size in memory (27 GB for the 100M-transaction `bench` ledger).
const STREAM_FILE_BYTES_MIN: u64 = 2 << 30;

/// What `money alerts --stream` reads: a ledger file, or the store's ledger (one
/// originator's rows, if named).
enum Streamed<'a> {
    File(&'a Path),
    Store(Box<dyn Store>, Option<&'a str>),
}

/// `money alerts --stream`: alerts printed as the scan raises them, in the batch's order and
/// format (a JSON array, or the table's rows). With the store, alerts name accounts, not
/// subjects: the roll-up to subjects needs the batch path.
fn stream_alerts(
    streamed: Streamed,
    config: &Config,
    typologies: &[Typology],
    scan_threads: usize,
    format: OutFormat,
) -> Result<u8> {
    use corridor_money::MoneyError;
    use std::io::Write;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout());
    let io = |e: std::io::Error| MoneyError::Io {
        source_name: "standard output".to_owned(),
        reason: e.to_string(),
    };
    match format {
        OutFormat::Json => write!(out, "[").map_err(io)?,
        OutFormat::Table => writeln!(
            out,
            "{:<18} {:>6} {:<20} {:<20} {:<60} transactions",
            "typology", "score", "from", "to", "accounts"
        )
        .map_err(io)?,
    }
    let started = Instant::now();
    let mut first = true;
    let on_alert = |a: &corridor_money::NamedAlert| {
        match format {
            OutFormat::Json => {
                let v = json!({
                    "typology": a.typology.name(),
                    "score": a.score,
                    "from": timestamp(a.window.0),
                    "to": timestamp(a.window.1),
                    "accounts": a.accounts,
                    "transactions": a.transactions,
                });
                let sep = if first { "\n" } else { ",\n" };
                let text = serde_json::to_string_pretty(&v).map_err(|e| MoneyError::Io {
                    source_name: "standard output".to_owned(),
                    reason: e.to_string(),
                })?;
                write!(out, "{sep}{}", indent(&text)).map_err(io)?;
            }
            OutFormat::Table => writeln!(
                out,
                "{:<18} {:>6.2} {:<20} {:<20} {:<60} {}",
                a.typology.name(),
                a.score,
                timestamp(a.window.0),
                timestamp(a.window.1),
                few_str(&a.accounts),
                few_str(&a.transactions),
            )
            .map_err(io)?,
        }
        first = false;
        Ok(())
    };
    let result = match streamed {
        Streamed::File(file) => {
            let reader = BufReader::with_capacity(
                1 << 20,
                File::open(file).with_context(|| format!("opening {}", file.display()))?,
            );
            let source = file.display().to_string();
            scan_stream(reader, &source, config, typologies, scan_threads, on_alert)
        }
        Streamed::Store(mut store, origin) => {
            let mut failure: Option<anyhow::Error> = None;
            let produce = |sink: &mut corridor_money::RowSink| {
                let mut position = 0usize;
                let read = corridor_store::for_each_ledger(store.as_mut(), |r| -> Result<()> {
                    position += 1;
                    if origin.is_some_and(|o| o != r.originator) {
                        return Ok(());
                    }
                    sink.push(
                        position,
                        &r.tx_id,
                        r.ts_seconds,
                        &r.from_account,
                        &r.to_account,
                        r.amount_minor,
                        channel_code(&r.channel),
                    )?;
                    Ok(())
                });
                read.map_err(|e| match e.downcast::<MoneyError>() {
                    Ok(m) => m,
                    Err(e) => {
                        let m = MoneyError::Io {
                            source_name: "the store's ledger".to_owned(),
                            reason: format!("{e:#}"),
                        };
                        failure = Some(e);
                        m
                    }
                })
            };
            let r = scan_rows(
                produce,
                "the store's ledger",
                config,
                typologies,
                scan_threads,
                on_alert,
            );
            if let Some(e) = failure {
                return Err(e);
            }
            r
        }
    };
    let stats = match result {
        Ok(s) => s,
        Err(e @ MoneyError::Parse { .. }) => {
            out.flush().ok();
            return usage(e.to_string());
        }
        Err(e) => return Err(e.into()),
    };
    if format == OutFormat::Json {
        writeln!(out, "{}]", if first { "" } else { "\n" }).map_err(io)?;
    }
    out.flush().map_err(io)?;
    eprintln!(
        "{} alerts on {} transactions ({} accounts) streamed in {:.2?}; at most {} transaction \
         ids held",
        stats.alerts,
        stats.transactions,
        stats.accounts,
        started.elapsed(),
        stats.ids_held_max
    );
    Ok(0)
}

/// The first few names and how many more, as [`few`] prints them.
fn few_str(items: &[&str]) -> String {
    let mut s: Vec<&str> = items.iter().take(TABLE_ITEMS_MAX).copied().collect();
    let more = items.len().saturating_sub(TABLE_ITEMS_MAX);
    let tail = format!("+{more}");
    if more > 0 {
        s.push(&tail);
    }
    s.join(" ")
}

/// Pretty JSON indented by two spaces, as an element of a pretty array.
fn indent(text: &str) -> String {
    let mut s = String::with_capacity(text.len() + 64);
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push_str("  ");
        s.push_str(line);
    }
    s
}

/// Most ledger rows read from the store: the money crate's own bound on a ledger.
const STORE_LEDGER_ROWS_MAX: u64 = 2_000_000_000;

/// The store's ledger (or one originator's rows) as the kernels' columns. Transaction ids are
/// the originators' own; two originators' rows under one id are an error naming it (narrow the
/// read with `--origin`).
fn load_store_ledger(store: &mut dyn Store, origin: Option<&str>) -> Result<Ledger> {
    let mut b = LedgerBuilder::new();
    let mut rows = 0u64;
    corridor_store::for_each_ledger(store, |r| -> Result<()> {
        rows += 1;
        anyhow::ensure!(
            rows <= STORE_LEDGER_ROWS_MAX,
            "the store's ledger has more than {STORE_LEDGER_ROWS_MAX} rows"
        );
        if origin.is_some_and(|o| o != r.originator) {
            return Ok(());
        }
        b.push(
            &r.tx_id,
            r.ts_seconds,
            &r.from_account,
            &r.to_account,
            r.amount_minor,
            channel_code(&r.channel),
        )?;
        Ok(())
    })?;
    let ledger = b.build().map_err(|e| match e {
        corridor_money::MoneyError::DuplicateId(id) => anyhow!(
            "transaction id {id} is in the ledger of two originators; choose one with --origin"
        ),
        e => e.into(),
    })?;
    anyhow::ensure!(
        !ledger.is_empty(),
        "the store's ledger has no rows{} (corridor ingest --ledger FILE --origin AGENCY)",
        origin.map(|o| format!(" of {o}")).unwrap_or_default()
    );
    Ok(ledger)
}

/// The ledger of a source, and the store when it came from one.
fn load_source(source: &Source) -> Result<(Ledger, Option<Box<dyn Store>>)> {
    match (&source.ledger, &source.store) {
        (Some(path), None) => Ok((load_ledger(path)?, None)),
        (None, Some(locator)) => {
            let mut store = crate::open_store(locator)?;
            let ledger = load_store_ledger(store.as_mut(), source.origin.as_deref())?;
            Ok((ledger, Some(store)))
        }
        _ => bail!("give the ledger with --ledger FILE or --store STORE"),
    }
}

/// What the store says about the ledger's accounts: their subjects, holders and networks.
struct Rollup {
    accounts: AccountIndex,
    /// Subject (or unresolved record) → network, for networks of at least two nodes.
    network_of: HashMap<String, String>,
}

impl Rollup {
    fn of(store: &mut dyn Store) -> Result<Rollup> {
        let accounts = account_index(store)?;
        let (graph, _) = corridor_subjects::links::link_graph(store)?;
        let view = corridor_graph::View::full(&graph);
        let nets = corridor_graph::networks(&view, corridor_graph::NETWORK_EDGE_WEIGHT_MIN);
        let mut network_of = HashMap::new();
        for v in view.nodes() {
            let label = nets.label[v as usize];
            if nets.sizes.get(label as usize).is_some_and(|&s| s > 1) {
                network_of.insert(graph.name(v).to_owned(), format!("N{label}"));
            }
        }
        Ok(Rollup {
            accounts,
            network_of,
        })
    }

    /// Account subjects, holders and networks of some accounts, each sorted and distinct.
    fn of_accounts<'a>(
        &self,
        names: impl Iterator<Item = &'a String>,
    ) -> (Vec<String>, Vec<String>, Vec<String>) {
        let (mut subjects, mut holders, mut networks) =
            (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        for name in names {
            let Some(info) = self.accounts.get(name) else {
                continue;
            };
            subjects.insert(info.subject.clone());
            for x in std::iter::once(&info.subject).chain(&info.holders) {
                if let Some(n) = self.network_of.get(x) {
                    networks.insert(n.clone());
                }
            }
            holders.extend(info.holders.iter().cloned());
        }
        (
            subjects.into_iter().collect(),
            holders.into_iter().collect(),
            networks.into_iter().collect(),
        )
    }
}

fn load_config(path: Option<&Path>) -> Result<Config> {
    let Some(path) = path else {
        return Ok(Config::default());
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let config: Config =
        toml::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
    config.check()?;
    Ok(config)
}

/// `2023-01-05T14:03:00Z` of seconds since 1970, after Howard Hinnant's `civil_from_days`.
fn timestamp(ts: i64) -> String {
    let (days, secs) = (ts.div_euclid(86_400), ts.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn alert_json(l: &Ledger, a: &Alert, rollup: Option<&Rollup>) -> serde_json::Value {
    let mut v = json!({
        "typology": a.typology.name(),
        "score": a.score,
        "from": timestamp(a.window.0),
        "to": timestamp(a.window.1),
        "accounts": a.accounts.iter().map(|&x| &l.accounts[x as usize]).collect::<Vec<_>>(),
        "transactions": a.transactions.iter().map(|&t| &l.ids[t as usize]).collect::<Vec<_>>(),
    });
    if let Some(r) = rollup {
        let (subjects, holders, networks) =
            r.of_accounts(a.accounts.iter().map(|&x| &l.accounts[x as usize]));
        v["account_subjects"] = json!(subjects);
        v["holders"] = json!(holders);
        v["networks"] = json!(networks);
    }
    v
}

/// The first few items and how many more.
fn few<'a>(items: impl ExactSizeIterator<Item = &'a String>) -> String {
    let n = items.len();
    let mut s: Vec<&str> = items.take(TABLE_ITEMS_MAX).map(String::as_str).collect();
    let more = n.saturating_sub(TABLE_ITEMS_MAX);
    let tail = format!("+{more}");
    if more > 0 {
        s.push(&tail);
    }
    s.join(" ")
}

fn print_alerts(l: &Ledger, alerts: &[&Alert], rollup: Option<&Rollup>) {
    let people = if rollup.is_some() {
        format!(" {:<36} {:<12}", "holders", "networks")
    } else {
        String::new()
    };
    println!(
        "{:<18} {:>6} {:<20} {:<20} {:<60}{people} transactions",
        "typology", "score", "from", "to", "accounts"
    );
    for a in alerts {
        let people = match rollup {
            Some(r) => {
                let (_, holders, networks) =
                    r.of_accounts(a.accounts.iter().map(|&x| &l.accounts[x as usize]));
                format!(" {:<36} {:<12}", few(holders.iter()), few(networks.iter()))
            }
            None => String::new(),
        };
        println!(
            "{:<18} {:>6.2} {:<20} {:<20} {:<60}{people} {}",
            a.typology.name(),
            a.score,
            timestamp(a.window.0),
            timestamp(a.window.1),
            few(a.accounts.iter().map(|&x| &l.accounts[x as usize])),
            few(a.transactions.iter().map(|&t| &l.ids[t as usize])),
        );
    }
}

fn features_json(f: &AccountFeatures) -> serde_json::Value {
    let alerts: serde_json::Map<String, serde_json::Value> = Typology::ALL
        .iter()
        .map(|t| (t.name().to_owned(), json!(f.alerts[t.index()])))
        .collect();
    json!({
        "in_count": f.in_count,
        "out_count": f.out_count,
        "in_amount": f.in_amount as f64 / 100.0,
        "out_amount": f.out_amount as f64 / 100.0,
        "window_in_max": f.window_in_max,
        "window_out_max": f.window_out_max,
        "near_threshold": f.near_threshold,
        "pass_through": f.pass_through,
        "alerts": alerts,
    })
}

/// Runs `corridor money`.
pub fn run(args: MoneyArgs) -> Result<u8> {
    let config = match load_config(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => return usage(format!("{e:#}")),
    };
    let threads = args.threads.max(1);
    match args.command {
        MoneyCommand::Alerts {
            source,
            typology,
            stream,
            scan_threads,
        } => {
            let typologies = match typology.as_deref() {
                None => Typology::ALL.to_vec(),
                Some(name) => match Typology::from_name(name) {
                    Some(t) => vec![t],
                    None => return usage(format!("unknown typology {name:?}")),
                },
            };
            if let Some(path) = &source.ledger {
                let file = ledger_path(path);
                let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
                if stream || bytes > STREAM_FILE_BYTES_MIN {
                    return stream_alerts(
                        Streamed::File(&file),
                        &config,
                        &typologies,
                        scan_threads,
                        args.format,
                    );
                }
            }
            if let (true, Some(locator)) = (stream, &source.store) {
                let store = match crate::open_store(locator) {
                    Ok(s) => s,
                    Err(e) => return usage(format!("{e:#}")),
                };
                let streamed = Streamed::Store(store, source.origin.as_deref());
                return stream_alerts(streamed, &config, &typologies, scan_threads, args.format);
            }
            let (l, store) = match load_source(&source) {
                Ok(x) => x,
                Err(e) => return usage(format!("{e:#}")),
            };
            let started = Instant::now();
            let (alerts, _) = features(&l, &config, &typologies, threads)?;
            let elapsed = started.elapsed();
            let rollup = match store {
                Some(mut s) => Some(Rollup::of(s.as_mut())?),
                None => None,
            };
            let shown: Vec<&Alert> = alerts.iter().collect();
            match args.format {
                OutFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &shown
                            .iter()
                            .map(|a| alert_json(&l, a, rollup.as_ref()))
                            .collect::<Vec<_>>()
                    )?
                ),
                OutFormat::Table => {
                    print_alerts(&l, &shown, rollup.as_ref());
                    eprintln!(
                        "{} alerts on {} transactions in {:.2?}",
                        shown.len(),
                        l.len(),
                        elapsed
                    );
                }
            }
            Ok(0)
        }
        MoneyCommand::Account { id, source } => {
            let (l, store) = match load_source(&source) {
                Ok(x) => x,
                Err(e) => return usage(format!("{e:#}")),
            };
            let Some(account) = l.account(&id) else {
                return usage(format!("account {id:?} is not in the ledger"));
            };
            let (alerts, feats) = features(&l, &config, &Typology::ALL, threads)?;
            let f = feats
                .get(account as usize)
                .ok_or_else(|| anyhow!("no features for {id}"))?;
            let mine: Vec<&Alert> = alerts
                .iter()
                .filter(|a| a.accounts.contains(&account))
                .collect();
            let rollup = match store {
                Some(mut s) => Some(Rollup::of(s.as_mut())?),
                None => None,
            };
            let (subjects, holders, networks) = rollup
                .as_ref()
                .map(|r| r.of_accounts(std::iter::once(&id)))
                .unwrap_or_default();
            match args.format {
                OutFormat::Json => {
                    let mut v = json!({
                        "account": id,
                        "features": features_json(f),
                        "alerts": mine.iter().map(|a| alert_json(&l, a, rollup.as_ref())).collect::<Vec<_>>(),
                    });
                    if rollup.is_some() {
                        v["subject"] = json!(subjects.first());
                        v["holders"] = json!(holders);
                        v["networks"] = json!(networks);
                    }
                    println!("{}", serde_json::to_string_pretty(&v)?);
                }
                OutFormat::Table => {
                    println!("account         {id}");
                    if rollup.is_some() {
                        let none = || "(none recorded)".to_owned();
                        let list = |v: &[String]| {
                            if v.is_empty() { none() } else { v.join(" ") }
                        };
                        println!("subject         {}", list(&subjects));
                        println!("holders         {}", list(&holders));
                        println!("networks        {}", list(&networks));
                    }
                    println!(
                        "in              {} transactions, {:.2}",
                        f.in_count,
                        f.in_amount as f64 / 100.0
                    );
                    println!(
                        "out             {} transactions, {:.2}",
                        f.out_count,
                        f.out_amount as f64 / 100.0
                    );
                    println!(
                        "busiest window  {} in, {} out",
                        f.window_in_max, f.window_out_max
                    );
                    println!("near threshold  {}", f.near_threshold);
                    println!("pass-through    {}", f.pass_through);
                    println!();
                    print_alerts(&l, &mine, rollup.as_ref());
                }
            }
            Ok(0)
        }
        MoneyCommand::Flows {
            subject,
            source,
            hops,
            amount_min,
        } => {
            if hops == 0 || hops > FLOW_HOPS_MAX {
                return usage(format!("--hops must be 1 to {FLOW_HOPS_MAX}"));
            }
            if !(amount_min.is_finite() && amount_min >= 0.0) {
                return usage("--amount-min must be a non-negative amount".into());
            }
            let (l, store) = match load_source(&source) {
                Ok(x) => x,
                Err(e) => return usage(format!("{e:#}")),
            };
            let rollup = match store {
                Some(mut s) => Some(Rollup::of(s.as_mut())?),
                None => None,
            };
            // An account the ledger names, else the accounts a subject is or holds.
            let start_names: Vec<String> = match (l.account(&subject), &rollup) {
                (Some(_), _) => vec![subject.clone()],
                (None, Some(r)) => r.accounts.numbers_of(&subject),
                (None, None) => Vec::new(),
            };
            let start: Vec<u32> = start_names.iter().filter_map(|n| l.account(n)).collect();
            if start.is_empty() {
                return usage(format!(
                    "{subject:?} is not an account in the ledger{}",
                    if rollup.is_some() {
                        ", nor a subject holding one"
                    } else {
                        " (subjects need --store)"
                    }
                ));
            }
            let (steps, truncated) = {
                let amount_min = (amount_min * 100.0).round() as i64;
                corridor_money::walk_flows(&l, &start, hops, FLOW_ROWS_MAX, |t| {
                    l.amount[t] >= amount_min
                })
            };
            let party = |a: u32| -> serde_json::Value {
                let name = &l.accounts[a as usize];
                let mut v = json!({ "account": name });
                if let Some(r) = &rollup {
                    let (subjects, holders, networks) = r.of_accounts(std::iter::once(name));
                    v["subject"] = json!(subjects.first());
                    v["holders"] = json!(holders);
                    v["networks"] = json!(networks);
                }
                v
            };
            let mut per_hop: Vec<(usize, i64)> = vec![(0, 0); hops + 1];
            for s in &steps {
                per_hop[s.hop].0 += 1;
                per_hop[s.hop].1 += l.amount[s.tx];
            }
            match args.format {
                OutFormat::Json => {
                    let rows: Vec<_> = steps
                        .iter()
                        .map(|s| {
                            json!({
                                "hop": s.hop,
                                "transaction": l.ids[s.tx],
                                "at": timestamp(l.ts[s.tx]),
                                "amount": l.amount[s.tx] as f64 / 100.0,
                                "channel": channel_name(l.channel[s.tx]),
                                "from": party(l.from[s.tx]),
                                "to": party(l.to[s.tx]),
                            })
                        })
                        .collect();
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&json!({
                            "subject": subject,
                            "accounts": start_names,
                            "hops": hops,
                            "truncated": truncated,
                            "transfers": rows,
                        }))?
                    );
                }
                OutFormat::Table => {
                    println!("{subject}: accounts {}", start_names.join(" "));
                    println!(
                        "{:>3} {:<20} {:<14} {:>12} {:<7} {:<30} {:<30} to holders",
                        "hop", "at", "transaction", "amount", "channel", "from", "to"
                    );
                    for s in &steps {
                        let to = l.to[s.tx];
                        let holders = rollup
                            .as_ref()
                            .map(|r| r.of_accounts(std::iter::once(&l.accounts[to as usize])).1)
                            .unwrap_or_default();
                        println!(
                            "{:>3} {:<20} {:<14} {:>12.2} {:<7} {:<30} {:<30} {}",
                            s.hop,
                            timestamp(l.ts[s.tx]),
                            l.ids[s.tx],
                            l.amount[s.tx] as f64 / 100.0,
                            channel_name(l.channel[s.tx]),
                            l.accounts[l.from[s.tx] as usize],
                            l.accounts[to as usize],
                            few(holders.iter()),
                        );
                    }
                    for (hop, (n, amount)) in per_hop.iter().enumerate().skip(1) {
                        eprintln!(
                            "hop {hop}: {n} transfers, {:.2} in all",
                            *amount as f64 / 100.0
                        );
                    }
                    if truncated {
                        eprintln!("stopped at {FLOW_ROWS_MAX} transfers");
                    }
                }
            }
            Ok(0)
        }
        MoneyCommand::Features { source, out, truth } => {
            let (l, _) = match load_source(&source) {
                Ok(x) => x,
                Err(e) => return usage(format!("{e:#}")),
            };
            let labels = match &truth {
                Some(path) => {
                    let path = if path.is_dir() {
                        path.join("truth/transactions_truth.csv")
                    } else {
                        path.clone()
                    };
                    match File::open(&path)
                        .with_context(|| format!("opening {}", path.display()))
                        .and_then(|f| {
                            Ok(read_truth(BufReader::new(f), &path.display().to_string())?)
                        }) {
                        Ok(t) => Some(t),
                        Err(e) => return usage(format!("{e:#}")),
                    }
                }
                None => None,
            };
            let started = Instant::now();
            let feats = transaction_features(&l, &config, threads)?;
            let file = File::create(&out).with_context(|| format!("creating {}", out.display()))?;
            let mut w = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, file));
            let mut header = vec!["id", "timestamp"];
            header.extend(TX_FEATURE_NAMES);
            if labels.is_some() {
                header.push("illicit");
            }
            w.write_record(&header)?;
            let mut illicit = 0u64;
            for (i, row) in feats.values.iter().enumerate() {
                let mut cells: Vec<String> = Vec::with_capacity(header.len());
                cells.push(corridor_text::csv_safe(&l.ids[i]).into_owned());
                cells.push(l.ts[i].to_string());
                cells.extend(row.iter().map(|v| format!("{v}")));
                if let Some(t) = &labels {
                    let bad = t.typology.contains_key(&l.ids[i]);
                    illicit += u64::from(bad);
                    cells.push(u8::from(bad).to_string());
                }
                w.write_record(&cells)?;
            }
            w.flush()?;
            eprintln!(
                "{} rows ({} labelled illicit) to {} in {:.2?}",
                feats.values.len(),
                illicit,
                out.display(),
                started.elapsed()
            );
            Ok(0)
        }
        MoneyCommand::Evaluate {
            scenario,
            store,
            origin,
        } => {
            let loaded = match &store {
                Some(locator) => crate::open_store(locator)
                    .and_then(|mut s| load_store_ledger(s.as_mut(), origin.as_deref())),
                None => load_ledger(&scenario),
            };
            let l = match loaded {
                Ok(l) => l,
                Err(e) => return usage(format!("{e:#}")),
            };
            let truth_path = scenario.join("truth/transactions_truth.csv");
            let truth = match File::open(&truth_path)
                .with_context(|| format!("opening {}", truth_path.display()))
                .and_then(|f| {
                    Ok(read_truth(
                        BufReader::new(f),
                        &truth_path.display().to_string(),
                    )?)
                }) {
                Ok(t) => t,
                Err(e) => return usage(format!("{e:#}")),
            };
            let started = Instant::now();
            let (alerts, _) = features(&l, &config, &Typology::ALL, threads)?;
            let elapsed = started.elapsed();
            let scores = evaluate(&l, &alerts, &truth);
            match args.format {
                OutFormat::Json => {
                    let rows: Vec<_> = scores
                        .iter()
                        .zip(TYPOLOGY_TRUTH)
                        .map(|(s, (_, recall, correct))| {
                            json!({
                                "typology": s.typology.name(),
                                "alerts": alerts.iter().filter(|a| a.typology == s.typology).count(),
                                "flagged": s.flagged,
                                "precision": s.precision(),
                                "illicit_precision": s.illicit_precision(),
                                "recall": s.recall(),
                                "f1": s.f1(),
                                "recall_of": recall,
                                "correct": correct,
                            })
                        })
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&rows)?);
                }
                OutFormat::Table => {
                    println!(
                        "{:<18} {:>7} {:>8} {:>9} {:>8} {:>7} {:>6}  recall of",
                        "typology", "alerts", "flagged", "precision", "illicit", "recall", "F1"
                    );
                    for (s, (_, recall, _)) in scores.iter().zip(TYPOLOGY_TRUTH) {
                        println!(
                            "{:<18} {:>7} {:>8} {:>9.3} {:>8.3} {:>7.3} {:>6.3}  {}",
                            s.typology.name(),
                            alerts.iter().filter(|a| a.typology == s.typology).count(),
                            s.flagged,
                            s.precision(),
                            s.illicit_precision(),
                            s.recall(),
                            s.f1(),
                            recall.join(" ")
                        );
                    }
                    eprintln!(
                        "{} transactions, {} illicit, scanned in {:.2?}",
                        l.len(),
                        truth.typology.len(),
                        elapsed
                    );
                }
            }
            Ok(0)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_print_as_parsed() {
        for s in [
            "2023-01-05T14:03:00Z",
            "1970-01-01T00:00:00Z",
            "2024-02-29T23:59:59Z",
        ] {
            let ts = corridor_money::parse_timestamp(s).expect("parses");
            assert_eq!(super::timestamp(ts), s);
        }
    }
}
