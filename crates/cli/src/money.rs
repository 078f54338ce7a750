//! `corridor money`: typology alerts over a ledger, one account's features and alerts, and the
//! alerts measured against a scenario's truth.
//!
//! The ledger is `id,timestamp,from_account,to_account,amount,…,channel` (the scenario's
//! `ledger/transactions.csv`); `--ledger` takes the file or a `corridor synth` output directory.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use corridor_money::{
    AccountFeatures, Alert, Config, Ledger, TYPOLOGY_TRUTH, Typology, evaluate, features,
    read_ledger, read_truth,
};
use serde_json::json;

const EXIT_USAGE: u8 = 2;
/// Accounts and transactions a table row lists before it says how many more there are.
const TABLE_ITEMS_MAX: usize = 4;

/// Arguments of `corridor money`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  corridor money alerts --ledger scenario
  corridor money alerts --ledger scenario/ledger/transactions.csv --typology cycle --format json
  corridor money account HWL-P0000123 --ledger scenario
  corridor money evaluate --scenario scenario

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

#[derive(clap::Subcommand)]
enum MoneyCommand {
    /// Every alert on the ledger, or one typology's.
    Alerts {
        /// The ledger CSV, or a scenario directory holding `ledger/transactions.csv`.
        #[arg(long)]
        ledger: PathBuf,
        /// Only this typology's alerts.
        #[arg(long)]
        typology: Option<String>,
    },
    /// One account's features and the alerts that name it.
    Account {
        /// The account id as the ledger writes it.
        id: String,
        /// The ledger CSV, or a scenario directory holding `ledger/transactions.csv`.
        #[arg(long)]
        ledger: PathBuf,
    },
    /// Per-typology precision, recall and F1 against a scenario's `truth/transactions_truth.csv`.
    Evaluate {
        /// A `corridor synth` output directory.
        #[arg(long)]
        scenario: PathBuf,
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

fn alert_json(l: &Ledger, a: &Alert) -> serde_json::Value {
    json!({
        "typology": a.typology.name(),
        "score": a.score,
        "from": timestamp(a.window.0),
        "to": timestamp(a.window.1),
        "accounts": a.accounts.iter().map(|&x| &l.accounts[x as usize]).collect::<Vec<_>>(),
        "transactions": a.transactions.iter().map(|&t| &l.ids[t as usize]).collect::<Vec<_>>(),
    })
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

fn print_alerts(l: &Ledger, alerts: &[&Alert]) {
    println!(
        "{:<18} {:>6} {:<20} {:<20} {:<60} transactions",
        "typology", "score", "from", "to", "accounts"
    );
    for a in alerts {
        println!(
            "{:<18} {:>6.2} {:<20} {:<20} {:<60} {}",
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
        MoneyCommand::Alerts { ledger, typology } => {
            let typologies = match typology.as_deref() {
                None => Typology::ALL.to_vec(),
                Some(name) => match Typology::from_name(name) {
                    Some(t) => vec![t],
                    None => return usage(format!("unknown typology {name:?}")),
                },
            };
            let l = match load_ledger(&ledger) {
                Ok(l) => l,
                Err(e) => return usage(format!("{e:#}")),
            };
            let started = Instant::now();
            let (alerts, _) = features(&l, &config, &typologies, threads)?;
            let shown: Vec<&Alert> = alerts.iter().collect();
            match args.format {
                OutFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &shown.iter().map(|a| alert_json(&l, a)).collect::<Vec<_>>()
                    )?
                ),
                OutFormat::Table => {
                    print_alerts(&l, &shown);
                    eprintln!(
                        "{} alerts on {} transactions in {:.2?}",
                        shown.len(),
                        l.len(),
                        started.elapsed()
                    );
                }
            }
            Ok(0)
        }
        MoneyCommand::Account { id, ledger } => {
            let l = match load_ledger(&ledger) {
                Ok(l) => l,
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
            match args.format {
                OutFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({
                        "account": id,
                        "features": features_json(f),
                        "alerts": mine.iter().map(|a| alert_json(&l, a)).collect::<Vec<_>>(),
                    }))?
                ),
                OutFormat::Table => {
                    println!("account         {id}");
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
                    print_alerts(&l, &mine);
                }
            }
            Ok(0)
        }
        MoneyCommand::Evaluate { scenario } => {
            let l = match load_ledger(&scenario) {
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
