//! `corridor serve`: the HTTP API (and the embedded web UI) over a store.

use std::net::SocketAddr;

use anyhow::{Context, Result};

/// Arguments of `corridor serve`.
#[derive(clap::Args)]
pub(crate) struct ServeArgs {
    /// SQLite file or postgres://user@host:port/db URL.
    #[arg(
        long,
        alias = "store",
        env = "CORRIDOR_STORE",
        default_value = "corridor.db"
    )]
    db: String,
    /// Address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Register the demo agencies, users (password `corridor-demo`) and standing agreements
    /// first, unless they exist.
    #[arg(long)]
    demo_logins: bool,
}

pub(crate) fn run(args: ServeArgs) -> Result<u8> {
    if args.demo_logins {
        let mut policy = corridor_server::open_policy(&args.db)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .context("reading the clock")?
            .as_secs() as i64;
        if corridor_server::demo::ensure_demo_directory(
            &mut policy,
            "corridor serve --demo-logins",
            now,
        )? {
            eprintln!(
                "demo logins registered: uk, rs, mk, xk, al (<x>.analyst, <x>.supervisor), \
                 alfiu.analyst, uk.auditor; password {}",
                corridor_server::demo::DEMO_PASSWORD
            );
        }
    }
    corridor_server::serve(
        corridor_server::Config {
            db: args.db,
            listen: args.listen,
            worker_threads: args.threads,
        },
        |addr| println!("corridor API on http://{addr}"),
    )?;
    Ok(0)
}
