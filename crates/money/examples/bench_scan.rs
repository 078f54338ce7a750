//! Times the money kernels on one ledger file: reading it, the batch scan on one and two
//! threads, and the streaming scanner fed row by row. Prints one JSON line per measurement,
//! with wall and CPU seconds (the machine may be shared; CPU time is read from
//! `/proc/self/stat`, so it is zero elsewhere than Linux). ROWS, when set, takes only the first
//! ROWS transactions.
//!
//!     cargo run --release -p corridor-money --example bench_scan -- LEDGER.csv

use std::fs::File;
use std::io::BufReader;
use std::time::Instant;

use corridor_money::{Config, Scanner, read_ledger, scan};

/// CPU seconds (user and system) of this process so far, from `/proc/self/stat`.
fn cpu_seconds() -> f64 {
    /// Clock ticks per second of `/proc` times on Linux.
    const TICKS_PER_SECOND: f64 = 100.0;
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (tick(11) + tick(12)) / TICKS_PER_SECOND
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: bench_scan LEDGER.csv")?;
    let started = Instant::now();
    let mut ledger = read_ledger(BufReader::with_capacity(1 << 20, File::open(&path)?), &path)?;
    let (read_wall, read_cpu, read_rows) = (
        started.elapsed().as_secs_f64(),
        cpu_seconds(),
        ledger.len() as f64,
    );
    if let Some(rows) = std::env::var("ROWS")
        .ok()
        .and_then(|r| r.parse::<usize>().ok())
    {
        // The first rows in time order; account names stay, unused ones cost nothing.
        let rows = rows.min(ledger.len());
        ledger.ids.truncate(rows);
        ledger.ts.truncate(rows);
        ledger.from.truncate(rows);
        ledger.to.truncate(rows);
        ledger.amount.truncate(rows);
        ledger.channel.truncate(rows);
    }
    let n = ledger.len() as f64;
    let line = |what: &str, threads: usize, seconds: f64, cpu: f64, alerts: usize| {
        println!(
            "{{\"tool\":\"corridor\",\"what\":\"{what}\",\"threads\":{threads},\"transactions\":{n},\
             \"seconds\":{seconds:.3},\"tx_per_s\":{:.0},\"cpu_seconds\":{cpu:.2},\
             \"tx_per_cpu_s\":{:.0},\"alerts\":{alerts}}}",
            n / seconds,
            n / cpu.max(0.01)
        );
    };
    println!(
        "{{\"tool\":\"corridor\",\"what\":\"read\",\"threads\":1,\"transactions\":{read_rows},\
         \"seconds\":{read_wall:.3},\"tx_per_s\":{:.0},\"cpu_seconds\":{read_cpu:.2}}}",
        read_rows / read_wall
    );
    let config = Config::default();
    for threads in [1, 2] {
        let (started, cpu) = (Instant::now(), cpu_seconds());
        let alerts = scan(&ledger, &config, threads)?;
        let (wall, cpu) = (started.elapsed().as_secs_f64(), cpu_seconds() - cpu);
        line("batch", threads, wall, cpu, alerts.len());
    }
    let (started, cpu) = (Instant::now(), cpu_seconds());
    let mut s = Scanner::new(&config)?;
    let mut alerts = 0;
    for row in 0..ledger.len() {
        s.push(ledger.tx(row))?;
        alerts += s.take_alerts().len();
    }
    alerts += s.finish()?.0.len();
    let (wall, cpu) = (started.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    line("stream", 1, wall, cpu, alerts);
    Ok(())
}
