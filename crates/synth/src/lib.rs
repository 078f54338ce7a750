//! `corridor synth`: a synthetic Western Balkans scenario. A simulated **world** (migrants, their
//! routes and border stops, the drivers and vans of local smuggling cells) is built first; then
//! each **agency** observes the stops in its own country through its recording profile —
//! language, script, date format, romanisation habits, typing errors, missing or placeholder
//! dates of birth — and writes a CSV with the mapping file `corridor ingest` reads it with.
//! Ground truth goes to `truth/`, which the system under test never reads.
//!
//! Deterministic: the same seed and preset give byte-identical output, and each part of the
//! simulation draws from its own named random stream.
//!
//! This is the first part of the scenario generator: border interceptions by the police of
//! Serbia, North Macedonia, Kosovo and Albania, and a ledger with hawala escrow, payroll,
//! structuring, broker settlement and a layering cycle in legitimate background traffic.
//! Networks and roles beyond drivers, phones, FIU reports and the UK agencies are not
//! generated yet.

pub mod agency;
pub mod catalog;
pub mod money;
mod pairs;
pub mod rng;
pub mod translit;
pub mod world;

use std::path::Path;

/// The scenario sizes of the specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Demo,
    Test,
    Year,
    Bench,
}

impl Preset {
    /// The preset named `name` (`demo`, `test`, `year`, `bench`).
    pub fn parse(name: &str) -> Option<Preset> {
        Some(match name {
            "demo" => Preset::Demo,
            "test" => Preset::Test,
            "year" => Preset::Year,
            "bench" => Preset::Bench,
            _ => return None,
        })
    }
}

/// Everything that decides the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub seed: u64,
    /// Length of the window, from 2023-01-01.
    pub days: u32,
    pub migrants: u32,
    pub drivers_per_country: u32,
    /// Ledger size: legitimate background plus the illicit flows.
    pub transactions: u64,
}

impl Config {
    /// The configuration of a preset.
    pub fn preset(preset: Preset, seed: u64) -> Config {
        let (migrants, drivers, transactions) = match preset {
            Preset::Demo => (600, 6, 20_000),
            Preset::Test => (5_000, 20, 300_000),
            Preset::Year => (100_000, 120, 10_000_000),
            Preset::Bench => (1_200_000, 600, 100_000_000),
        };
        Config {
            seed,
            days: 365,
            migrants,
            drivers_per_country: drivers,
            transactions,
        }
    }
}

/// A ground-truth table, written as rows arrive so that no preset holds its truth in memory.
pub(crate) type TruthFile = csv::Writer<std::io::BufWriter<std::fs::File>>;

fn truth_file<const N: usize>(path: &Path, header: [&str; N]) -> std::io::Result<TruthFile> {
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(std::fs::File::create(path)?));
    w.write_record(header)?;
    Ok(w)
}

/// The ground-truth tables the agencies' writers append to, as the specification lists them.
pub(crate) struct Truth {
    pub(crate) record_person: TruthFile,
    pub(crate) record_object: TruthFile,
    pub(crate) record_event: TruthFile,
    pub(crate) noise_log: TruthFile,
    /// Every person record as (person index, "AGENCY/record id"), for `pairs.csv`.
    records: Vec<(u32, Box<str>)>,
}

impl Truth {
    fn create(dir: &Path) -> std::io::Result<Truth> {
        Ok(Truth {
            record_person: truth_file(
                &dir.join("record_person.csv"),
                ["agency", "record_id", "person_slot", "person_id"],
            )?,
            record_object: truth_file(
                &dir.join("record_object.csv"),
                ["agency", "record_id", "object_kind", "object_id"],
            )?,
            record_event: truth_file(
                &dir.join("record_event.csv"),
                ["agency", "record_id", "event_id"],
            )?,
            noise_log: truth_file(
                &dir.join("noise_log.csv"),
                [
                    "agency",
                    "record_id",
                    "field",
                    "noise_kind",
                    "original_value",
                    "emitted_value",
                ],
            )?,
            records: Vec::new(),
        })
    }

    /// Records that `agency`'s record `record_id` describes the world's person `person`.
    pub(crate) fn person_record(
        &mut self,
        agency: &str,
        record_id: &str,
        person: usize,
    ) -> std::io::Result<()> {
        self.records.push((
            person as u32,
            format!("{agency}/{record_id}").into_boxed_str(),
        ));
        Ok(())
    }

    fn finish(mut self, world: &world::World, seed: u64, dir: &Path) -> std::io::Result<()> {
        self.records.sort_unstable();
        for (person, key) in &self.records {
            let (agency, record_id) = key.split_once('/').unwrap_or(("", key));
            self.record_person.write_record([
                agency,
                record_id,
                "1",
                &world.persons[*person as usize].id,
            ])?;
        }
        pairs::write(&self.records, world, seed, &dir.join("pairs.csv"))?;
        self.record_person.flush()?;
        self.record_object.flush()?;
        self.record_event.flush()?;
        self.noise_log.flush()
    }
}

/// What a run wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub persons: u64,
    pub interceptions: u64,
    pub agencies: Vec<agency::AgencyOutput>,
    pub ledger: money::Ledger,
}

/// Simulates the world of `config` and writes every agency's files and the truth under `out`.
pub fn generate(config: &Config, out: &Path) -> std::io::Result<Summary> {
    let world = world::simulate(config);
    std::fs::create_dir_all(out.join("truth"))?;
    let mut truth = Truth::create(&out.join("truth"))?;
    let mut agencies = Vec::new();
    for p in agency::profiles() {
        agencies.push(agency::write_agency(
            config.seed,
            &p,
            &world,
            out,
            &mut truth,
        )?);
    }
    agencies.push(agency::write_uk_arrivals(
        config.seed,
        &world,
        out,
        &mut truth,
    )?);
    let catalog = catalog::Catalog::get();
    let mut persons = truth_file(
        &out.join("truth/persons.csv"),
        [
            "person_id",
            "kind",
            "sex",
            "dob",
            "nationalities",
            "native_name_json",
            "aliases_json",
        ],
    )?;
    for p in &world.persons {
        let (y, m, d) = p.dob;
        let given = catalog.names[p.given].canonical;
        let family = catalog.names[p.family].canonical;
        persons.write_record([
            p.id.as_str(),
            p.kind.as_str(),
            if p.male { "M" } else { "F" },
            &format!("{y:04}-{m:02}-{d:02}"),
            p.nationality,
            &format!("{{\"given\":\"{given}\",\"family\":\"{family}\"}}"),
            "[]",
        ])?;
    }
    persons.flush()?;
    let (ledger, fius) = money::write(config, &world, out, &mut truth)?;
    agencies.extend(fius);
    truth.finish(&world, config.seed, &out.join("truth"))?;
    Ok(Summary {
        persons: world.persons.len() as u64,
        interceptions: world.interceptions.len() as u64,
        agencies,
        ledger,
    })
}
