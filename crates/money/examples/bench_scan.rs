//! Times the money kernels on one ledger file: reading it, the batch scan on one and two
//! threads, and the streaming scanner fed row by row. Prints one JSON line per measurement.
//!
//!     cargo run --release -p corridor-money --example bench_scan -- LEDGER.csv

use std::fs::File;
use std::io::BufReader;
use std::time::Instant;

use corridor_money::{Config, Scanner, read_ledger, scan};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: bench_scan LEDGER.csv")?;
    let started = Instant::now();
    let ledger = read_ledger(BufReader::with_capacity(1 << 20, File::open(&path)?), &path)?;
    let n = ledger.len() as f64;
    let line = |what: &str, threads: usize, seconds: f64, alerts: usize| {
        println!(
            "{{\"tool\":\"corridor\",\"what\":\"{what}\",\"threads\":{threads},\"transactions\":{n},\
             \"seconds\":{seconds:.3},\"tx_per_s\":{:.0},\"alerts\":{alerts}}}",
            n / seconds
        );
    };
    line("read", 1, started.elapsed().as_secs_f64(), 0);
    let config = Config::default();
    for threads in [1, 2] {
        let started = Instant::now();
        let alerts = scan(&ledger, &config, threads)?;
        line(
            "batch",
            threads,
            started.elapsed().as_secs_f64(),
            alerts.len(),
        );
    }
    let started = Instant::now();
    let mut s = Scanner::new(&config)?;
    let mut alerts = 0;
    for row in 0..ledger.len() {
        s.push(ledger.tx(row))?;
        alerts += s.take_alerts().len();
    }
    alerts += s.finish().0.len();
    line("stream", 1, started.elapsed().as_secs_f64(), alerts);
    Ok(())
}
