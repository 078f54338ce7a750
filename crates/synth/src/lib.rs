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
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub seed: u64,
    /// Length of the window, from 2023-01-01.
    pub days: u32,
    pub migrants: u32,
    pub drivers_per_country: u32,
    /// Ledger size: legitimate background plus the illicit flows.
    pub transactions: u64,
    /// Per-agency recording rates that replace the profile's defaults.
    pub agencies: std::collections::BTreeMap<String, AgencyRates>,
}

/// Recording rates of one agency, as a configuration file may set them (B12 names).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyRates {
    pub cyrillic: Option<f64>,
    pub typo_per_token: Option<f64>,
    pub romanisation_variant: Option<f64>,
    pub diacritics_dropped: Option<f64>,
    pub name_swap: Option<f64>,
    pub dob_missing: Option<f64>,
    pub dob_jan1: Option<f64>,
    pub dob_year_only: Option<f64>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    scenario: ScenarioSection,
    #[serde(default)]
    volumes: VolumesSection,
    #[serde(default)]
    agencies: std::collections::BTreeMap<String, AgencyRates>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioSection {
    seed: u64,
    #[serde(default)]
    preset: Option<String>,
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    days: Option<u32>,
}

#[derive(Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct VolumesSection {
    migrants: Option<u32>,
    drivers_per_country: Option<u32>,
    transactions: Option<u64>,
}

/// Longest window a scenario may cover, in days (bounds every per-day loop).
pub const DAYS_MAX: u32 = 3 * 366;

impl Config {
    /// Reads a scenario configuration (TOML): `[scenario]` seed, preset, days; `[volumes]`
    /// migrants, drivers_per_country, transactions; `[agencies.<CODE>]` recording rates. Keys
    /// the generator does not implement are refused rather than ignored.
    pub fn from_toml(text: &str) -> Result<Config, String> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let preset = match file.scenario.preset.as_deref() {
            None => Preset::Test,
            Some(name) => Preset::parse(name).ok_or_else(|| {
                format!("scenario.preset: '{name}' is not demo, test, year or bench")
            })?,
        };
        if let Some(start) = &file.scenario.start
            && start != "2023-01-01"
        {
            return Err(format!(
                "scenario.start: only 2023-01-01 is supported, not '{start}'"
            ));
        }
        let mut config = Config::preset(preset, file.scenario.seed);
        if let Some(days) = file.scenario.days {
            if !(1..=DAYS_MAX).contains(&days) {
                return Err(format!("scenario.days: {days} is not 1 to {DAYS_MAX}"));
            }
            config.days = days;
        }
        let v = file.volumes;
        config.migrants = v.migrants.unwrap_or(config.migrants);
        config.drivers_per_country = v.drivers_per_country.unwrap_or(config.drivers_per_country);
        config.transactions = v.transactions.unwrap_or(config.transactions);
        let known: Vec<&str> = agency::profiles().iter().map(|p| p.code).collect();
        for (code, rates) in &file.agencies {
            if !known.contains(&code.as_str()) {
                return Err(format!(
                    "agencies.{code}: no such agency (known: {known:?})"
                ));
            }
            for (name, rate) in rates.fields() {
                if let Some(r) = rate
                    && !(0.0..=1.0).contains(&r)
                {
                    return Err(format!(
                        "agencies.{code}.{name}: {r} is not a rate between 0 and 1"
                    ));
                }
            }
        }
        config.agencies = file.agencies;
        Ok(config)
    }
}

impl AgencyRates {
    fn fields(&self) -> [(&'static str, Option<f64>); 8] {
        [
            ("cyrillic", self.cyrillic),
            ("typo_per_token", self.typo_per_token),
            ("romanisation_variant", self.romanisation_variant),
            ("diacritics_dropped", self.diacritics_dropped),
            ("name_swap", self.name_swap),
            ("dob_missing", self.dob_missing),
            ("dob_jan1", self.dob_jan1),
            ("dob_year_only", self.dob_year_only),
        ]
    }

    /// The profile with these rates applied.
    pub fn apply(&self, mut p: agency::Profile) -> agency::Profile {
        if let (Some(share), Some((alphabet, _))) = (self.cyrillic, p.cyrillic) {
            p.cyrillic = Some((alphabet, share));
        }
        p.typo = self.typo_per_token.unwrap_or(p.typo);
        p.variant = self.romanisation_variant.unwrap_or(p.variant);
        p.diacritics_dropped = self.diacritics_dropped.unwrap_or(p.diacritics_dropped);
        p.swapped = self.name_swap.unwrap_or(p.swapped);
        p.dob_missing = self.dob_missing.unwrap_or(p.dob_missing);
        p.dob_placeholder = self.dob_jan1.unwrap_or(p.dob_placeholder);
        p.dob_year_only = self.dob_year_only.unwrap_or(p.dob_year_only);
        p
    }
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
            agencies: Default::default(),
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

/// `truth/networks.csv` and `truth/membership.csv`: who works in which network, in which role,
/// reporting to whom. Everyone is a member for the whole window so far (no churn yet).
fn write_networks(config: &Config, world: &world::World, dir: &Path) -> std::io::Result<()> {
    let (y, m, d) = rng::civil(config.days.saturating_sub(1));
    let (from, to) = ("2023-01-01".to_owned(), format!("{y:04}-{m:02}-{d:02}"));
    let mut networks = truth_file(
        &dir.join("networks.csv"),
        [
            "network_id",
            "type",
            "structure",
            "base_places",
            "from",
            "to",
            "partners",
        ],
    )?;
    for n in &world.networks {
        networks.write_record([
            n.id.as_str(),
            n.kind,
            n.structure,
            &n.bases.join(";"),
            &from,
            &to,
            &n.partners.join(";"),
        ])?;
    }
    networks.flush()?;
    let mut membership = truth_file(
        &dir.join("membership.csv"),
        [
            "person_id",
            "network_id",
            "role",
            "from",
            "to",
            "reports_to",
        ],
    )?;
    for m in &world.memberships {
        membership.write_record([
            world.persons[m.person].id.as_str(),
            &world.networks[m.network].id,
            m.role,
            &from,
            &to,
            m.reports_to.map_or("", |p| world.persons[p].id.as_str()),
        ])?;
    }
    membership.flush()
}

/// How far a run has got: the ledger, written day by day, is the long part of large presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Days of the ledger written so far, out of `days_total`.
    pub days_done: u32,
    pub days_total: u32,
}

/// Simulates the world of `config` and writes every agency's files and the truth under `out`.
pub fn generate(config: &Config, out: &Path) -> std::io::Result<Summary> {
    generate_with_progress(config, out, &mut |_| {})
}

/// [`generate`], reporting progress as the ledger is written.
pub fn generate_with_progress(
    config: &Config,
    out: &Path,
    progress: &mut dyn FnMut(Progress),
) -> std::io::Result<Summary> {
    let world = world::simulate(config);
    std::fs::create_dir_all(out.join("truth"))?;
    let mut truth = Truth::create(&out.join("truth"))?;
    let mut agencies = Vec::new();
    for p in agency::profiles() {
        let p = match config.agencies.get(p.code) {
            Some(rates) => rates.apply(p),
            None => p,
        };
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
    write_networks(config, &world, &out.join("truth"))?;
    let (ledger, fius) = money::write(config, &world, out, &mut truth, progress)?;
    agencies.extend(fius);
    truth.finish(&world, config.seed, &out.join("truth"))?;
    Ok(Summary {
        persons: world.persons.len() as u64,
        interceptions: world.interceptions.len() as u64,
        agencies,
        ledger,
    })
}
