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
//! The world holds organiser networks, local cells, Channel networks, document networks and
//! money services with their members, churn and arrests; migrants travelling alone, with
//! co-nationals or as families over the route graph; phones and SIM churn; vans (some
//! re-plated); and the money of the journeys — hawala escrow, cash, money transfer, bank and
//! crypto — laundered through structuring, front businesses, cycles and purchases, among
//! legitimate background traffic.

pub mod agency;
pub mod catalog;
pub mod documents;
pub mod journey;
mod ledgers;
pub mod money;
pub mod network;
mod pairs;
pub mod phones;
pub mod registers;
pub mod rng;
pub mod translit;
mod truth;
pub mod world;

pub use network::NetworkCounts;

/// Share of journeys that continue from Western Europe across the Channel.
pub const UK_TAIL_SHARE: f64 = 0.15;

/// People per small boat (the boat's passengers are grouped by crossing day).
pub const BOAT_PEOPLE_MAX: usize = 60;

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
    /// Networks of each type.
    pub networks: NetworkCounts,
    /// Ledger size: legitimate background plus the illicit flows.
    pub transactions: u64,
    /// Per-agency recording rates that replace the profile's defaults.
    pub agencies: std::collections::BTreeMap<String, AgencyRates>,
    /// Route weights by route id (R_MK, R_BG, R_BA, R_HR, R_AL), and the share of finished
    /// journeys that cross the Channel.
    pub routes: std::collections::BTreeMap<String, f64>,
    pub uk_tail: f64,
    /// Payment channel mix per leg payment: hawala, cash, mto, bank, crypto.
    pub payment_mix: [f64; 5],
    /// Hawala brokers' commission range (fractions of the amount).
    pub hawala_commission: (f64, f64),
    /// Days between a leg's success and the transit broker's release.
    pub release_delay_days: (u32, u32),
    /// Serbia's cash-transaction reporting threshold, in EUR: structuring stays under it.
    pub rs_ctr_eur: u32,
    /// When set, the ledger's legitimate background is sized so that illicit transactions are
    /// this share of it (the preset's transaction count is then ignored).
    pub illicit_ratio: Option<f64>,
}

#[derive(Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PaymentMixSection {
    hawala: Option<f64>,
    cash: Option<f64>,
    mto: Option<f64>,
    bank: Option<f64>,
    crypto: Option<f64>,
    hawala_commission: Option<[f64; 2]>,
    release_delay_days: Option<[u32; 2]>,
}

#[derive(Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ThresholdsSection {
    rs_ctr_eur: Option<u32>,
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
    pub family_missing: Option<f64>,
    pub father_as_family: Option<f64>,
    pub alias: Option<f64>,
    pub nationality_misdeclared: Option<f64>,
    pub dob_swap: Option<f64>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    scenario: ScenarioSection,
    #[serde(default)]
    volumes: VolumesSection,
    #[serde(default)]
    agencies: std::collections::BTreeMap<String, AgencyRates>,
    #[serde(default)]
    routes: std::collections::BTreeMap<String, f64>,
    #[serde(default)]
    payment_mix: PaymentMixSection,
    #[serde(default)]
    thresholds: ThresholdsSection,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioSection {
    seed: u64,
    #[serde(default)]
    illicit_ratio: Option<f64>,
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
    networks: Option<NetworkCounts>,
    transactions: Option<u64>,
}

/// Longest window a scenario may cover, in days (bounds every per-day loop).
pub const DAYS_MAX: u32 = 3 * 366;

impl Config {
    /// Reads a scenario configuration (TOML): `[scenario]` seed, preset, days; `[volumes]`
    /// migrants, networks (`{ organiser, cell, channel, doc, money }`), transactions; `[agencies.<CODE>]` recording rates. Keys
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
        config.networks = v.networks.unwrap_or(config.networks);
        config.transactions = v.transactions.unwrap_or(config.transactions);
        let mut known: Vec<&str> = agency::profiles().iter().map(|p| p.code).collect();
        known.extend(["UK_BF", "EU_EURODAC"]);
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
        let route_ids: Vec<&str> = catalog::Catalog::get()
            .routes
            .iter()
            .map(|r| r.id)
            .collect();
        for (id, weight) in file.routes {
            if id == "uk_tail" {
                if !(0.0..=1.0).contains(&weight) {
                    return Err(format!(
                        "routes.uk_tail: {weight} is not a share between 0 and 1"
                    ));
                }
                config.uk_tail = weight;
                continue;
            }
            if !route_ids.contains(&id.as_str()) {
                return Err(format!(
                    "routes.{id}: no such route (known: {route_ids:?}, uk_tail)"
                ));
            }
            if !(weight >= 0.0 && weight.is_finite()) {
                return Err(format!(
                    "routes.{id}: {weight} is not a weight of 0 or more"
                ));
            }
            config.routes.insert(id, weight);
        }
        if config.routes.values().sum::<f64>() <= 0.0 {
            return Err("routes: the weights sum to zero".into());
        }
        let mix = file.payment_mix;
        for (i, share) in [mix.hawala, mix.cash, mix.mto, mix.bank, mix.crypto]
            .into_iter()
            .enumerate()
        {
            if let Some(share) = share {
                if !(0.0..=1.0).contains(&share) {
                    return Err(format!(
                        "payment_mix.{}: {share} is not a share between 0 and 1",
                        journey::CHANNEL_NAMES[i]
                    ));
                }
                config.payment_mix[i] = share;
            }
        }
        if config.payment_mix.iter().sum::<f64>() <= 0.0 {
            return Err("payment_mix: the shares sum to zero".into());
        }
        if let Some([lo, hi]) = mix.hawala_commission {
            if !(0.0 <= lo && lo <= hi && hi < 1.0) {
                return Err(format!(
                    "payment_mix.hawala_commission: [{lo}, {hi}] is not a range in [0, 1)"
                ));
            }
            config.hawala_commission = (lo, hi);
        }
        if let Some([lo, hi]) = mix.release_delay_days {
            if lo > hi || hi > 60 {
                return Err(format!(
                    "payment_mix.release_delay_days: [{lo}, {hi}] is not a range within 0 to 60"
                ));
            }
            config.release_delay_days = (lo, hi);
        }
        if let Some(ctr) = file.thresholds.rs_ctr_eur {
            if !(1_000..=1_000_000).contains(&ctr) {
                return Err(format!(
                    "thresholds.rs_ctr_eur: {ctr} is not 1,000 to 1,000,000"
                ));
            }
            config.rs_ctr_eur = ctr;
        }
        if let Some(ratio) = file.scenario.illicit_ratio {
            if !(ratio > 0.0 && ratio <= 1.0) {
                return Err(format!(
                    "scenario.illicit_ratio: {ratio} is not a share in (0, 1]"
                ));
            }
            config.illicit_ratio = Some(ratio);
        }
        Ok(config)
    }
}

impl AgencyRates {
    fn fields(&self) -> [(&'static str, Option<f64>); 13] {
        [
            ("cyrillic", self.cyrillic),
            ("typo_per_token", self.typo_per_token),
            ("romanisation_variant", self.romanisation_variant),
            ("diacritics_dropped", self.diacritics_dropped),
            ("name_swap", self.name_swap),
            ("dob_missing", self.dob_missing),
            ("dob_jan1", self.dob_jan1),
            ("dob_year_only", self.dob_year_only),
            ("family_missing", self.family_missing),
            ("father_as_family", self.father_as_family),
            ("alias", self.alias),
            ("nationality_misdeclared", self.nationality_misdeclared),
            ("dob_swap", self.dob_swap),
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
        p.family_missing = self.family_missing.unwrap_or(p.family_missing);
        p.father_as_family = self.father_as_family.unwrap_or(p.father_as_family);
        p.alias = self.alias.unwrap_or(p.alias);
        p.nationality_misdeclared = self
            .nationality_misdeclared
            .unwrap_or(p.nationality_misdeclared);
        p.dob_swap = self.dob_swap.unwrap_or(p.dob_swap);
        p
    }
}

impl Config {
    /// The configuration of a preset.
    pub fn preset(preset: Preset, seed: u64) -> Config {
        // Network counts per preset (B10): organiser, cell, channel, doc, money.
        let (migrants, networks, transactions) = match preset {
            Preset::Demo => (600, [1, 3, 1, 0, 2], 20_000),
            Preset::Test => (5_000, [4, 8, 2, 1, 4], 300_000),
            Preset::Year => (100_000, [40, 30, 5, 3, 20], 10_000_000),
            Preset::Bench => (1_200_000, [480, 360, 60, 36, 240], 100_000_000),
        };
        let [organiser, cell, channel, doc, money] = networks;
        Config {
            seed,
            days: 365,
            migrants,
            networks: NetworkCounts {
                organiser,
                cell,
                channel,
                doc,
                money,
            },
            transactions,
            agencies: Default::default(),
            routes: catalog::Catalog::get()
                .routes
                .iter()
                .map(|r| (r.id.to_owned(), r.weight))
                .collect(),
            uk_tail: UK_TAIL_SHARE,
            payment_mix: journey::PAYMENT_MIX.map(|(_, share)| share),
            hawala_commission: (0.02, 0.05),
            release_delay_days: (0, 2),
            rs_ctr_eur: money::CTR_THRESHOLD_EUR,
            illicit_ratio: None,
        }
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
    std::fs::create_dir_all(out.join("truth"))?;
    let mut stream = truth::Streamed::create(&out.join("truth"))?;
    let mut world = world::simulate_into(config, &mut stream)?;
    let passed = phones::pass_sims(config, &mut world);
    let forensic = stream.finish()?;
    let mut truth = truth::Truth::create(&out.join("truth"))?;
    // The ledger first: the journeys' payments are freed before the agencies' writers gather
    // their index of person records, so the two never share the peak.
    let payments = std::mem::take(&mut world.payments);
    let (ledger, fius) = money::write(config, &world, payments, out, &mut truth, progress)?;
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
        if p.cyrillic.is_some() {
            // Serbia and North Macedonia also register the people they stop at their centres.
            agencies.push(registers::write_centre(
                config.seed,
                &p,
                &world,
                out,
                &mut truth,
            )?);
        }
    }
    agencies.push(registers::write_eurodac(
        config.seed,
        config.agencies.get("EU_EURODAC"),
        &world,
        out,
        &mut truth,
    )?);
    agencies.push(agency::write_uk_arrivals(
        config.seed,
        config.agencies.get("UK_BF"),
        &world,
        out,
        &mut truth,
    )?);
    agencies.extend(agency::write_forensic(
        config.seed,
        &world,
        &forensic,
        out,
        &mut truth,
    )?);
    agencies.push(agency::write_nca(config.seed, &world, out, &mut truth)?);
    agencies.push(agency::write_adverts(
        config.seed,
        &world,
        config.days,
        out,
        &mut truth,
    )?);
    truth::write_world(config, &world, &passed, &out.join("truth"))?;
    agencies.extend(fius);
    truth.finish(&world, config.seed, &out.join("truth"))?;
    Ok(Summary {
        persons: world.persons.len() as u64,
        interceptions: world.interceptions.len() as u64,
        agencies,
        ledger,
    })
}
