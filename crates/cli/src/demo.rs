//! `corridor demo`: the README's main command. Generates the `demo` synthetic scenario (border
//! stops recorded by the police of Serbia, North Macedonia, Kosovo and Albania) and writes the
//! bundled example files of four more sources (compiled into the binary, so it runs from any
//! directory) into a scratch folder, ingests everything into a fresh store, prints what each
//! agency's files gave, re-ingests to show nothing is added twice, and checks the store. The
//! examples hold a few deliberately broken rows, so rejects are part of the show.
//!
//! Then the analysts' side: subjects resolved, networks found in the link graph, money
//! typologies run on the scenario's ledger, and one demo user per partner agency created with
//! the standing agreements between them (`corridor_server::demo`). Unless `--no-serve`, it then serves
//! the web workspace on `--listen` and prints the URL and the logins.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use corridor_ingest::{Format, Options};
use corridor_policy::PolicyStore;
use corridor_server::demo::DEMO_PASSWORD;

/// An example source: data file, its mapping (if any), its format.
struct Example {
    file: &'static str,
    data: &'static str,
    mapping: Option<(&'static str, &'static str)>,
    format: Format,
}

macro_rules! example_file {
    ($name:literal) => {
        include_str!(concat!("../../../examples/", $name))
    };
}

const EXAMPLES: &[Example] = &[
    Example {
        file: "rs_bp_interceptions.csv",
        data: example_file!("rs_bp_interceptions.csv"),
        mapping: Some((
            "rs_bp_interceptions.toml",
            example_file!("rs_bp_interceptions.toml"),
        )),
        format: Format::Csv,
    },
    Example {
        file: "uk_nca_intel.csv",
        data: example_file!("uk_nca_intel.csv"),
        mapping: Some(("uk_nca_intel.toml", example_file!("uk_nca_intel.toml"))),
        format: Format::Csv,
    },
    Example {
        file: "al_fiu_payments.csv",
        data: example_file!("al_fiu_payments.csv"),
        mapping: Some((
            "al_fiu_payments.toml",
            example_file!("al_fiu_payments.toml"),
        )),
        format: Format::Csv,
    },
    Example {
        file: "mk_bp_persons.ftm.jsonl",
        data: example_file!("mk_bp_persons.ftm.jsonl"),
        mapping: None,
        format: Format::Ftm,
    },
];

/// What `corridor demo` does after preparing the store.
pub struct DemoOptions<'a> {
    /// Store to create; `None`: a temporary SQLite file, removed afterwards.
    pub store: Option<&'a str>,
    /// Serve the workspace after preparing (false for tests and CI).
    pub serve: bool,
    /// Address to serve on (`127.0.0.1:8080`; port 0 picks a free one).
    pub listen: &'a str,
}

pub fn run(opts: &DemoOptions<'_>) -> Result<u8> {
    let started = Instant::now();
    let store = opts.store;
    let store_arg = store;
    let scratch = tempfile::tempdir().context("creating a scratch directory")?;
    let locator = match store {
        Some(s) => s.to_owned(),
        None => scratch.path().join("corridor.db").display().to_string(),
    };
    // The scenario: border stops recorded by four police forces and small-boat arrivals in
    // the UK, generated for this run.
    let scenario = scratch.path().join("scenario");
    let config = corridor_synth::Config::preset(corridor_synth::Preset::Demo, DEMO_SEED);
    let generated = corridor_synth::generate(&config, &scenario)
        .with_context(|| format!("generating the scenario in {}", scenario.display()))?;
    let mut sources: Vec<Source> = Vec::new();
    for agency in &generated.agencies {
        let mapping = std::fs::read_to_string(scenario.join(&agency.mapping_file))?;
        sources.push(Source {
            path: scenario.join(&agency.data_file),
            format: if agency.ftm { Format::Ftm } else { Format::Csv },
            mapping: Some((mapping, agency.mapping_file.clone())),
        });
    }
    // The bundled examples: more agencies and formats, with deliberately broken rows.
    for ex in EXAMPLES {
        sources.push(Source {
            path: write(scratch.path(), ex.file, ex.data)?,
            format: ex.format,
            mapping: ex
                .mapping
                .map(|(name, text)| (text.to_owned(), name.to_owned())),
        });
    }
    println!(
        "Corridor demo: a synthetic scenario ({} persons, {} border stops, seed {DEMO_SEED}) \
         and the example files of four agencies, into {locator}\n",
        generated.persons, generated.interceptions
    );
    let mut store = crate::open_store(&locator)?;
    let options = Options::default();
    for src in &sources {
        let mapping = src.mapping.as_ref().map(|(t, n)| (t.as_str(), n.clone()));
        let code = crate::ingest_one(store.as_mut(), &src.path, src.format, mapping, &options);
        if code == 1 || code == 2 {
            anyhow::bail!("ingesting {} failed", src.path.display());
        }
    }
    // A second pass over the same files must add nothing: that is what makes re-sending safe.
    let before = store.counts()?;
    let quiet = Options {
        rejects_path: Some(scratch.path().join("second-pass.rejects.csv")),
        ..Options::default()
    };
    let mut appended_again = 0;
    for src in &sources {
        let mapping = src.mapping.as_ref().map(|(t, n)| (t.as_str(), n.as_str()));
        let s = corridor_ingest::ingest_file(
            store.as_mut(),
            &src.path,
            src.format,
            mapping,
            &quiet,
            &mut |_| {},
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        appended_again += s.records_appended;
    }
    let c = store.counts()?;
    // A re-ingest records its (empty) batches, but the log itself must not move.
    anyhow::ensure!(
        (c.log_position, c.log_entries, c.live_records, c.sources)
            == (
                before.log_position,
                before.log_entries,
                before.live_records,
                before.sources
            ),
        "re-ingesting the same files changed the log"
    );
    let checked = store.verify()?;
    let mut export = Vec::new();
    let exported = corridor_ingest::export::ftm(store.as_mut(), &mut export)?;
    println!(
        "\nstore: {} live records, log position {}, {} batches; heads verified for {checked} records",
        c.live_records, c.log_position, c.batches
    );
    println!("re-ingesting every file again appended {appended_again} records (idempotent)");
    println!(
        "export --format ftm: {exported} FollowTheMoney entities, {} bytes",
        export.len()
    );
    // The scenario's transfers, as the Albanian FIU holds them: its analyst sees them, and
    // its standing agreement shows them to the UK's, in the money view.
    let ledger_path = scenario.join("ledger").join("transactions.csv");
    let ledger = corridor_ingest::ledger::ingest_ledger(
        store.as_mut(),
        &ledger_path,
        &corridor_ingest::ledger::LedgerMapping::default_format(),
        &corridor_ingest::ledger::LedgerOptions {
            origin: DEMO_LEDGER_ORIGIN.to_owned(),
            rejects_path: Some(scratch.path().join("ledger.rejects.csv")),
            batch_rows: corridor_ingest::ledger::LEDGER_BATCH_ROWS,
        },
        &mut |_| {},
    )
    .map_err(|e| anyhow::anyhow!("ingesting the ledger {}: {e}", ledger_path.display()))?;
    anyhow::ensure!(
        ledger.rows_rejected == 0,
        "the scenario's ledger had {} rejected rows",
        ledger.rows_rejected
    );
    println!(
        "ledger: {} transfers held by {DEMO_LEDGER_ORIGIN} ({} new)",
        ledger.rows_read, ledger.rows_appended
    );
    // Who is who: every kind resolved into subjects, then the link graph over them.
    println!("\nresolve: records of the same person, phone, vehicle or account, across agencies");
    let kinds = corridor_subjects::builtin_kinds();
    let reports = corridor_subjects::resolve_kinds(
        store.as_mut(),
        &kinds,
        &corridor_subjects::Options::default(),
    )?;
    for r in &reports {
        println!(
            "    {:<13} {:>6} records -> {:>6} subjects ({} with more than one record)",
            r.kind, r.records, r.subjects, r.multi_record_subjects
        );
    }
    let (graph, stats) = corridor_subjects::links::link_graph(store.as_mut())?;
    println!(
        "link graph: {} nodes, {} edges from {} linking records",
        graph.nodes_n(),
        graph.edges_n(),
        stats.linking_records
    );
    let view = corridor_graph::View::full(&graph);
    let nets = corridor_graph::networks(&view, corridor_graph::NETWORK_EDGE_WEIGHT_MIN);
    let nontrivial = nets.sizes.iter().filter(|&&s| s > 1).count();
    println!(
        "networks (edges of at least {} records): {nontrivial} with two or more subjects, largest {}",
        corridor_graph::NETWORK_EDGE_WEIGHT_MIN,
        nets.sizes.first().copied().unwrap_or(0)
    );
    drop(view);
    drop(graph);
    money(&scenario.join("ledger").join("transactions.csv"))?;
    let users = directory(store.as_mut())?;
    drop(store);
    println!("\nready in {:.1} s", started.elapsed().as_secs_f64());
    if !opts.serve {
        match store_arg {
            Some(s) => println!(
                "look closer: corridor subject --store {s} P-0000001; corridor network --store {s} summary; \
                 corridor serve --db {s}"
            ),
            None => println!(
                "to keep the store and look closer: corridor demo --store corridor.db, then \
                 corridor subject P-0000001"
            ),
        }
        return Ok(0);
    }
    serve(&locator, opts.listen, &users)
}

/// Runs every money typology on the scenario's ledger and prints the alerts per typology.
fn money(ledger_path: &Path) -> Result<()> {
    let file = std::fs::File::open(ledger_path)
        .with_context(|| format!("opening the ledger {}", ledger_path.display()))?;
    let ledger = corridor_money::read_ledger(
        std::io::BufReader::new(file),
        &ledger_path.display().to_string(),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let alerts = corridor_money::scan(&ledger, &corridor_money::Config::default(), 2)
        .map_err(|e| anyhow::anyhow!("scanning the ledger: {e}"))?;
    let mut by_typology: std::collections::BTreeMap<&str, usize> = Default::default();
    for a in &alerts {
        *by_typology.entry(a.typology.name()).or_default() += 1;
    }
    let list: Vec<String> = by_typology
        .iter()
        .map(|(t, n)| format!("{t} {n}"))
        .collect();
    println!(
        "money: {} transactions, {} alerts ({})",
        ledger.len(),
        alerts.len(),
        list.join(", ")
    );
    Ok(())
}

/// Registers the demo directory ([`corridor_server::demo`]) and prints what it holds. Returns
/// the logins to print.
fn directory(store: &mut dyn corridor_store::Store) -> Result<Vec<(&'static str, &'static str)>> {
    use corridor_server::demo::{DEMO_AGENCIES, DEMO_AGREEMENTS, DEMO_USERS, Share};
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("reading the clock")?
        .as_secs() as i64;
    let mut policy = PolicyStore::open(store).context("opening the policy layer")?;
    corridor_server::demo::ensure_demo_directory(&mut policy, "corridor demo", now)
        .context("registering the demo's agencies, users and agreements")?;
    let standing = DEMO_AGREEMENTS
        .iter()
        .filter(|a| a.2 == Share::Standing)
        .count();
    println!(
        "sharing: {} agencies, {} users, {standing} standing agreements and {} for discovery only",
        DEMO_AGENCIES.len(),
        DEMO_USERS.len(),
        DEMO_AGREEMENTS.len() - standing
    );
    Ok(DEMO_USERS
        .iter()
        .map(|&(id, agency, _)| (id, agency))
        .collect())
}

/// Serves the workspace on the prepared store until interrupted, printing the URL and the
/// logins once the server accepts connections.
fn serve(locator: &str, listen: &str, users: &[(&'static str, &'static str)]) -> Result<u8> {
    let listen: std::net::SocketAddr = listen
        .parse()
        .with_context(|| format!("--listen '{listen}' is not an address such as 127.0.0.1:8080"))?;
    let config = corridor_server::Config {
        db: locator.to_owned(),
        listen,
        worker_threads: 0,
    };
    corridor_server::serve(config, |addr| {
        println!("\nCorridor workspace: http://{addr}/  (Ctrl-C to stop)");
        println!("logins (password {DEMO_PASSWORD}):");
        for (user, agency) in users {
            println!("    {user:<12} {agency}");
        }
    })
    .context("serving the workspace")?;
    Ok(0)
}
/// The demo's scenario seed: fixed, so every run shows the same world.
const DEMO_SEED: u64 = 20231101;

/// The agency that holds the scenario's ledger in the demo (one of the demo directory's, with a
/// demo user and a standing agreement towards the UK).
const DEMO_LEDGER_ORIGIN: &str = "AL_FIU";

/// A file to ingest.
struct Source {
    path: std::path::PathBuf,
    format: Format,
    mapping: Option<(String, String)>,
}

fn write(dir: &Path, name: &str, data: &str) -> Result<std::path::PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, data).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}
