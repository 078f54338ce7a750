//! Ground truth (specification B9): what really happened, in `truth/`, which the system under
//! test never reads. Tables the agencies add to are appended to as rows arrive; the tables the
//! world streams (legs, communications) are written while it is simulated; the rest are written
//! from the finished world.

use std::io;
use std::path::Path;

use crate::Config;
use crate::catalog::Catalog;
use crate::journey::{Comm, LegRow, Sink};
use crate::rng::civil;
use crate::world::{Arrest, Journey, World};

/// A ground-truth table, written as rows arrive so that no preset holds its truth in memory.
pub(crate) type TruthFile = csv::Writer<io::BufWriter<std::fs::File>>;

pub(crate) fn truth_file<const N: usize>(path: &Path, header: [&str; N]) -> io::Result<TruthFile> {
    let mut w = csv::Writer::from_writer(io::BufWriter::with_capacity(
        1 << 16,
        std::fs::File::create(path)?,
    ));
    w.write_record(header)?;
    Ok(w)
}

/// A day of the window as an ISO date.
pub(crate) fn iso(day: u32) -> String {
    let (y, m, d) = civil(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days before an arrest whose calls a phone extraction recovers.
pub const EXTRACTION_DAYS: u32 = 60;

/// The calls and messages on the phone of one arrested person, as its extraction finds them.
#[derive(Debug, Default)]
pub struct Extraction {
    /// Index into `world.arrests`.
    pub arrest: usize,
    /// The communications, each with its world event id.
    pub comms: Vec<(Comm, u64)>,
}

/// The sink of the world's streamed truth: `legs.csv`, `communications_truth.csv`, and the
/// arrested persons' recent communications for the phone extractions.
pub(crate) struct Streamed {
    legs: TruthFile,
    comms: TruthFile,
    comm_count: u64,
    /// Arrest index by person (sorted by person), for the extractions.
    arrested: Vec<(u32, usize, u32)>,
    extractions: Vec<Extraction>,
    network_ids: Vec<String>,
}

impl Streamed {
    pub(crate) fn create(dir: &Path) -> io::Result<Streamed> {
        Ok(Streamed {
            legs: truth_file(
                &dir.join("legs.csv"),
                [
                    "journey_id",
                    "leg",
                    "attempt",
                    "from_place",
                    "to_place",
                    "network_id",
                    "driver_id",
                    "vehicle_id",
                    "date",
                    "outcome",
                ],
            )?,
            comms: truth_file(
                &dir.join("communications_truth.csv"),
                ["event_id", "date", "from_person", "to_person", "channel"],
            )?,
            comm_count: 0,
            arrested: Vec::new(),
            extractions: Vec::new(),
            network_ids: Vec::new(),
        })
    }

    /// Flushes the streamed tables and hands over the extractions.
    pub(crate) fn finish(mut self) -> io::Result<Vec<Extraction>> {
        self.legs.flush()?;
        self.comms.flush()?;
        Ok(self.extractions)
    }
}

impl Sink for Streamed {
    fn start(&mut self, world: &World) {
        self.network_ids = world.networks.iter().map(|n| n.id.clone()).collect();
        let arrests: &[Arrest] = &world.arrests;
        self.arrested = arrests
            .iter()
            .enumerate()
            .map(|(i, a)| (a.person as u32, i, a.day))
            .collect();
        self.arrested.sort_unstable();
        self.extractions = (0..arrests.len())
            .map(|arrest| Extraction {
                arrest,
                comms: Vec::new(),
            })
            .collect();
    }

    fn leg(&mut self, row: &LegRow<'_>) -> io::Result<()> {
        self.legs.write_record([
            Journey::id(row.journey).as_str(),
            &row.leg.to_string(),
            &row.attempt.to_string(),
            row.from,
            row.to,
            row.network
                .and_then(|n| self.network_ids.get(n))
                .map_or("", |s| s.as_str()),
            &row.driver
                .map_or(String::new(), |p| format!("P{:07}", p + 1)),
            &row.vehicle
                .map_or(String::new(), |v| format!("V{:06}", v + 1)),
            &iso(row.day),
            row.outcome,
        ])?;
        Ok(())
    }

    fn comm(&mut self, c: &Comm) -> io::Result<()> {
        self.comm_count += 1;
        let id = self.comm_count;
        self.comms.write_record([
            format!("C{id:09}").as_str(),
            &iso(c.day),
            &format!("P{:07}", c.from + 1),
            &format!("P{:07}", c.to + 1),
            c.channel,
        ])?;
        for party in [c.from, c.to] {
            let at = self.arrested.partition_point(|(p, ..)| *p < party);
            for &(p, arrest, day) in &self.arrested[at..] {
                if p != party {
                    break;
                }
                if c.day < day && c.day + EXTRACTION_DAYS >= day && c.channel != "radio" {
                    self.extractions[arrest].comms.push((*c, id));
                }
            }
        }
        Ok(())
    }
}

/// The ground-truth tables the agencies' writers append to.
pub(crate) struct Truth {
    pub(crate) record_person: TruthFile,
    pub(crate) record_object: TruthFile,
    pub(crate) record_event: TruthFile,
    pub(crate) noise_log: TruthFile,
    /// Every person record as (person index, slot, "AGENCY/record id"), for `record_person.csv`
    /// and `pairs.csv`.
    records: Vec<(u32, u8, Box<str>)>,
}

impl Truth {
    pub(crate) fn create(dir: &Path) -> io::Result<Truth> {
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
    ) -> io::Result<()> {
        self.person_slot(agency, record_id, 1, person)
    }

    /// Records that slot `slot` of a multi-person record describes `person`.
    pub(crate) fn person_slot(
        &mut self,
        agency: &str,
        record_id: &str,
        slot: u8,
        person: usize,
    ) -> io::Result<()> {
        self.records.push((
            person as u32,
            slot,
            format!("{agency}/{record_id}").into_boxed_str(),
        ));
        Ok(())
    }

    pub(crate) fn finish(mut self, world: &World, seed: u64, dir: &Path) -> io::Result<()> {
        self.records.sort_unstable();
        for (person, slot, key) in &self.records {
            let (agency, record_id) = key.split_once('/').unwrap_or(("", key));
            self.record_person.write_record([
                agency,
                record_id,
                &slot.to_string(),
                &world.persons[*person as usize].id,
            ])?;
        }
        // Pairs are of single-person records (slot 1), the ones resolution compares.
        let singles: Vec<(u32, Box<str>)> = self
            .records
            .into_iter()
            .filter(|(_, slot, _)| *slot == 1)
            .map(|(p, _, k)| (p, k))
            .collect();
        crate::pairs::write(&singles, world, seed, &dir.join("pairs.csv"))?;
        self.record_person.flush()?;
        self.record_object.flush()?;
        self.record_event.flush()?;
        self.noise_log.flush()
    }
}

/// `s` as a JSON string literal.
pub(crate) fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The world's own tables: persons, networks, membership, journeys, phones, vehicles, objects.
pub(crate) fn write_world(
    config: &Config,
    world: &World,
    passed_sims: &[(usize, usize)],
    dir: &Path,
) -> io::Result<()> {
    let catalog = Catalog::get();
    let mut persons = truth_file(
        &dir.join("persons.csv"),
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
        let name = |i: usize| json_str(catalog.names[i].canonical);
        persons.write_record([
            p.id.as_str(),
            p.kind.as_str(),
            if p.male { "M" } else { "F" },
            &format!("{y:04}-{m:02}-{d:02}"),
            p.nationality,
            &format!(
                "{{\"given\":{},\"father\":{},\"family\":{}}}",
                name(p.given),
                name(p.father),
                name(p.family)
            ),
            "[]",
        ])?;
    }
    persons.flush()?;
    let last = iso(config.days.saturating_sub(1));
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
        let partners: Vec<&str> = n
            .partners
            .iter()
            .map(|&p| world.networks[p].id.as_str())
            .collect();
        networks.write_record([
            n.id.as_str(),
            n.kind,
            n.structure,
            &n.bases.join(";"),
            &iso(0),
            &last,
            &partners.join(";"),
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
            &iso(m.from),
            &iso(m.to),
            m.reports_to.map_or("", |p| world.persons[p].id.as_str()),
        ])?;
    }
    membership.flush()?;
    let mut journeys = truth_file(
        &dir.join("journeys.csv"),
        [
            "journey_id",
            "migrant",
            "payers",
            "route",
            "package",
            "price_eur",
            "organiser_network",
            "start",
            "end",
        ],
    )?;
    for (i, j) in world.journeys.iter().enumerate() {
        journeys.write_record([
            Journey::id(i).as_str(),
            &world.persons[j.migrant as usize].id,
            &world.persons[j.payer as usize].id,
            catalog.routes[j.route as usize].id,
            if j.package { "1" } else { "0" },
            &format!("{}.{:02}", j.price_cents / 100, j.price_cents % 100),
            world
                .networks
                .get(j.organiser_net as usize)
                .map_or("", |n| n.id.as_str()),
            &iso(j.start),
            &iso(j.end),
        ])?;
    }
    journeys.flush()?;
    let mut phones = truth_file(
        &dir.join("phones.csv"),
        ["msisdn", "imsi", "imei", "holder_person_id", "from", "to"],
    )?;
    for ph in &world.phones {
        phones.write_record([
            format!("+{}", ph.msisdn).as_str(),
            &ph.imsi.to_string(),
            &ph.imei.to_string(),
            &world.persons[ph.holder as usize].id,
            &iso(ph.from),
            &iso(ph.to),
        ])?;
    }
    phones.flush()?;
    let mut vehicles = truth_file(
        &dir.join("vehicles.csv"),
        [
            "vehicle_id",
            "plates",
            "keeper",
            "country",
            "model",
            "colour",
        ],
    )?;
    for v in &world.vehicles {
        let plates: Vec<String> = v
            .plates
            .iter()
            .map(|(day, plate)| format!("{plate}@{}", iso(*day)))
            .collect();
        vehicles.write_record([
            v.id.as_str(),
            &plates.join(";"),
            &world.persons[v.keeper].id,
            v.country,
            v.model,
            v.colour,
        ])?;
    }
    vehicles.flush()?;
    let mut objects = truth_file(
        &dir.join("objects.csv"),
        ["object_id", "kind", "attributes_json", "holder_ids"],
    )?;
    for c in &world.companies {
        objects.write_record([
            c.id.as_str(),
            "company",
            &format!(
                "{{\"name\":{},\"business\":{},\"country\":{},\"network\":{}}}",
                json_str(&c.name),
                json_str(c.kind),
                json_str(c.country),
                json_str(&world.networks[c.network].id)
            ),
            &world.persons[c.owner].id,
        ])?;
    }
    let mut boats: Vec<(&str, u32, Option<usize>)> = world
        .arrivals
        .iter()
        .map(|a| (a.boat.as_str(), a.day, a.network))
        .collect();
    boats.dedup_by_key(|b| b.0);
    for (boat, day, network) in boats {
        objects.write_record([
            boat,
            "vessel",
            &format!(
                "{{\"type\":\"small boat\",\"launched\":{},\"network\":{}}}",
                json_str(&iso(day)),
                json_str(network.map_or("", |n| world.networks[n].id.as_str()))
            ),
            "",
        ])?;
    }
    for (i, d) in world.documents.iter().enumerate() {
        let impersonated = world
            .persons
            .get(d.impersonated as usize)
            .map_or("", |p| p.id.as_str());
        objects.write_record([
            crate::documents::Document::id(i).as_str(),
            "document",
            &format!(
                "{{\"type\":{},\"country\":{},\"number\":{},\"genuine\":{},\"impersonated_person_id\":{}}}",
                json_str(d.kind),
                json_str(d.country),
                json_str(&d.number),
                d.genuine(),
                json_str(impersonated)
            ),
            &world.persons[d.holder as usize].id,
        ])?;
    }
    for (a, b) in passed_sims {
        objects.write_record([
            format!("SIMPASS-{}-{}", world.persons[*a].id, world.persons[*b].id).as_str(),
            "shared_sim",
            "{}",
            &format!("{};{}", world.persons[*a].id, world.persons[*b].id),
        ])?;
    }
    objects.flush()?;
    Ok(())
}
