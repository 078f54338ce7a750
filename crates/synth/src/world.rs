//! The simulated world: who the people are, which networks they work in, which route each
//! migrant takes, where they are stopped, which phones and vehicles they use and how the journeys
//! are paid. Agencies only ever see it through their recording profiles (see `agency.rs`).
//!
//! Built in parts, each from its own named random stream, in this order: networks and their
//! members (`network.rs`), journeys (`journey.rs`), phones (`phones.rs`). A part appended later
//! never shifts the draws of an earlier one.

use rand::Rng;
use rand::seq::IndexedRandom;

use crate::Config;
use crate::catalog::{Catalog, Part};

/// Attempts at one border before a migrant gives up on it (one man tried RS→HU 14 times).
pub const ATTEMPTS_MAX: u32 = 15;

/// What a person is in the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Migrant,
    Smuggler,
    /// A migrant's family member at home who pays for the journey.
    Payer,
    Hawaladar,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Migrant => "migrant",
            Kind::Smuggler => "smuggler",
            Kind::Payer => "payer",
            Kind::Hawaladar => "hawaladar",
        }
    }
}

/// A person's world id (`P0000001`), stored inline: the `bench` preset holds millions.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PersonId {
    bytes: [u8; 11],
    len: u8,
}

impl PersonId {
    /// The id of the person at `index` in `World::persons`.
    pub fn of(index: usize) -> PersonId {
        let text = format!("P{:07}", index + 1);
        assert!(text.len() <= 11, "person index {index} beyond the id space");
        let mut bytes = [0u8; 11];
        bytes[..text.len()].copy_from_slice(text.as_bytes());
        PersonId {
            bytes,
            len: text.len() as u8,
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits and 'P' are ever stored.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("P?")
    }
}

impl std::ops::Deref for PersonId {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for PersonId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for PersonId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A true person.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub id: PersonId,
    pub kind: Kind,
    /// Name group in the catalogue (AF, SY, IQ, TR, MA, PK, IR, RS, MK, AL).
    pub group: &'static str,
    /// Indexes into the catalogue's names: given name, father's given name, family name.
    pub given: usize,
    pub father: usize,
    pub family: usize,
    pub male: bool,
    /// True date of birth (year, month, day).
    pub dob: (i32, u32, u32),
    /// ISO alpha-3 nationality.
    pub nationality: &'static str,
    /// Country the person lives in (alpha-2): where their phone and bank account come from.
    pub home: &'static str,
}

/// A vehicle a smuggling cell uses, with the plates it carried over the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Vehicle {
    pub id: String,
    /// (first day carried, plate as issued); sorted by day, the first from day 0. A van moved
    /// from Kosovo into Serbia is re-plated with a temporary Serbian plate.
    pub plates: Vec<(u32, String)>,
    pub model: &'static str,
    pub colour: &'static str,
    /// Country of (first) registration (alpha-2).
    pub country: &'static str,
    /// The registered keeper: the cell's driver.
    pub keeper: usize,
}

impl Vehicle {
    /// The plate the vehicle carried on `day`.
    pub fn plate_on(&self, day: u32) -> &str {
        self.plates
            .iter()
            .rev()
            .find(|(from, _)| *from <= day)
            .or(self.plates.first())
            .map_or("", |(_, p)| p.as_str())
    }
}

/// A stop of a migrant at a border (with, sometimes, the driver and the vehicle). Packed small:
/// the `bench` preset holds millions.
#[derive(Debug, Clone, PartialEq)]
pub struct Interception {
    /// Days since the scenario start, and minutes after midnight.
    pub day: u16,
    pub minute: u16,
    /// Index of the place in the catalogue's gazetteer.
    pub place: u16,
    pub migrant: u32,
    /// Person and vehicle indexes, [`NONE`] where nobody was caught.
    pub driver: u32,
    pub vehicle: u32,
    pub journey: u32,
}

/// "No one" in the packed indexes of [`Interception`].
pub const NONE: u32 = u32::MAX;

impl Interception {
    /// The place of the stop.
    pub fn place(&self) -> &'static crate::catalog::Place {
        &Catalog::get().places[usize::from(self.place)]
    }

    pub fn driver(&self) -> Option<usize> {
        (self.driver != NONE).then_some(self.driver as usize)
    }

    pub fn vehicle(&self) -> Option<usize> {
        (self.vehicle != NONE).then_some(self.vehicle as usize)
    }

    /// The world event id of the `index`-th interception.
    pub fn id(index: usize) -> String {
        format!("E{:08}", index + 1)
    }
}

/// A small-boat arrival in the UK (the route's tail: France to Dover).
#[derive(Debug, Clone, PartialEq)]
pub struct Arrival {
    pub id: String,
    pub day: u32,
    pub migrant: usize,
    pub boat: String,
    /// The migrant made to steer the boat, as crossings are organised.
    pub pilot: bool,
    /// The Channel network that ran the crossing.
    pub network: Option<usize>,
}

/// A smuggling or money network.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    pub id: String,
    /// `ORGANISER_NET`, `LOCAL_CELL`, `CHANNEL_NET`, `DOC_NET` or `MONEY_SERVICE`.
    pub kind: &'static str,
    /// `hierarchical`, `cell` or `loose`.
    pub structure: &'static str,
    /// Gazetteer ids of its base places.
    pub bases: Vec<&'static str>,
    /// Country it works in (alpha-2): a cell's zone, a money service's city.
    pub country: &'static str,
    /// Name group of its core members.
    pub group: &'static str,
    /// Networks it works with (joint ventures: organisers buy legs from cells).
    pub partners: Vec<usize>,
    /// Other crime it is also active in (one network in three), empty if none.
    pub also: &'static str,
}

/// A person's role in a network over an interval of the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    pub person: usize,
    pub network: usize,
    pub role: &'static str,
    /// First and last day (inclusive) of the role.
    pub from: u32,
    pub to: u32,
    pub reports_to: Option<usize>,
}

/// A member's arrest: the world event behind the police's arrest records and the phone
/// extractions that follow.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrest {
    pub id: String,
    pub person: usize,
    pub network: usize,
    pub day: u32,
    pub place: &'static str,
    pub country: &'static str,
}

/// A migrant's journey as sold and as it went.
#[derive(Debug, Clone, PartialEq)]
pub struct Journey {
    pub migrant: u32,
    pub payer: u32,
    pub route: u8,
    /// Full package (one organiser sells the whole route) or pay-as-you-go per leg.
    pub package: bool,
    /// Agreed total, in euro cents.
    pub price_cents: u64,
    pub organiser_net: u32,
    pub start: u32,
    /// Last day on the route (arrival, or the window's end).
    pub end: u32,
}

impl Journey {
    /// The world id of the `index`-th journey.
    pub fn id(index: usize) -> String {
        format!("J{:07}", index + 1)
    }
}

/// A SIM in a handset, held by one person over an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phone {
    /// E.164 digits without the plus.
    pub msisdn: u64,
    pub imsi: u64,
    pub imei: u64,
    pub holder: u32,
    pub from: u32,
    pub to: u32,
}

/// A front business of a network, through which money is laundered.
#[derive(Debug, Clone, PartialEq)]
pub struct Company {
    pub id: String,
    pub name: String,
    /// `travel agency`, `transport firm`, `car dealer`, `minimarket`, `construction`, `FX office`.
    pub kind: &'static str,
    pub country: &'static str,
    pub owner: usize,
    pub network: usize,
}

/// Everything the agencies can observe.
#[derive(Debug, Default)]
pub struct World {
    pub persons: Vec<Person>,
    pub vehicles: Vec<Vehicle>,
    pub interceptions: Vec<Interception>,
    pub arrivals: Vec<Arrival>,
    pub networks: Vec<Network>,
    pub memberships: Vec<Membership>,
    pub arrests: Vec<Arrest>,
    pub journeys: Vec<Journey>,
    pub phones: Vec<Phone>,
    /// Phones of person `p` are `phones[phone_start[p]..phone_start[p + 1]]`.
    pub phone_start: Vec<u32>,
    pub companies: Vec<Company>,
    /// The journeys' payments, in the order they were made (money.rs turns them into ledger
    /// transactions).
    pub payments: Vec<crate::money::Tx>,
    /// Smugglers' aliases: (person, given-name index in the catalogue), sorted by person.
    pub aliases: Vec<(u32, u32)>,
    /// Identity documents, in holder order.
    pub documents: Vec<crate::documents::Document>,
}

impl World {
    /// The phones person `p` ever held.
    pub fn phones_of(&self, p: usize) -> &[Phone] {
        match (self.phone_start.get(p), self.phone_start.get(p + 1)) {
            (Some(&a), Some(&b)) => &self.phones[a as usize..b as usize],
            _ => &[],
        }
    }

    /// The aliases (catalogue name indexes) person `p` goes by.
    pub fn aliases_of(&self, p: usize) -> Vec<usize> {
        let at = self.aliases.partition_point(|(q, _)| (*q as usize) < p);
        self.aliases[at..]
            .iter()
            .take_while(|(q, _)| *q as usize == p)
            .map(|(_, n)| *n as usize)
            .collect()
    }

    /// The phone person `p` used on `day`, if any.
    pub fn phone_on(&self, p: usize, day: u32) -> Option<&Phone> {
        let phones = self.phones_of(p);
        phones
            .iter()
            .find(|ph| ph.from <= day && day <= ph.to)
            .or_else(|| phones.last().filter(|ph| ph.to < day))
    }

    /// Appends a new person and returns its index.
    pub(crate) fn add_person(
        &mut self,
        rng: &mut impl Rng,
        kind: Kind,
        group: &'static str,
    ) -> usize {
        let id = PersonId::of(self.persons.len());
        self.persons.push(person(rng, id, kind, group));
        self.persons.len() - 1
    }
}

/// Nationality (alpha-3) and home country (alpha-2) of a name group.
pub fn nationality_of(group: &str) -> (&'static str, &'static str) {
    match group {
        "AF" => ("AFG", "AF"),
        "SY" => ("SYR", "SY"),
        "IQ" => ("IRQ", "IQ"),
        "TR" => ("TUR", "TR"),
        "MA" => ("MAR", "MA"),
        "PK" => ("PAK", "PK"),
        "IR" => ("IRN", "IR"),
        "RS" => ("SRB", "RS"),
        "MK" => ("MKD", "MK"),
        "XK" => ("XKX", "XK"),
        _ => ("ALB", "AL"),
    }
}

/// The catalogue's name group for a group code (Kosovo's names are Albanian).
fn name_group(group: &str) -> &'static str {
    match group {
        "AF" => "AF",
        "SY" => "SY",
        "IQ" => "IQ",
        "TR" => "TR",
        "MA" => "MA",
        "PK" => "PK",
        "IR" => "IR",
        "RS" => "RS",
        "MK" => "MK",
        _ => "AL",
    }
}

/// Picks a name by frequency rank: the catalogue lists each group's names most common first, and
/// real name frequencies fall off roughly as a power of the rank.
pub(crate) fn pick_name(rng: &mut impl Rng, names: &[usize]) -> usize {
    assert!(!names.is_empty(), "name catalogue group is empty");
    // Inverse-CDF of a truncated power law with exponent 1 over ranks 1..=n, in closed form.
    let n = names.len() as f64;
    let u: f64 = rng.random();
    let rank = ((n + 1.0).powf(u) - 1.0).floor() as usize;
    names[rank.min(names.len() - 1)]
}

fn person(rng: &mut impl Rng, id: PersonId, kind: Kind, group: &'static str) -> Person {
    let c = Catalog::get();
    let names = name_group(group);
    let (nationality, home) = nationality_of(group);
    let male = match kind {
        Kind::Migrant => rng.random_bool(0.9),
        Kind::Payer => rng.random_bool(0.7),
        _ => rng.random_bool(0.95),
    };
    let given_pool: Vec<usize> = c
        .names_of(names, Part::Given)
        .into_iter()
        .filter(|&i| c.names[i].female != male)
        .collect();
    let father_pool: Vec<usize> = c
        .names_of(names, Part::Given)
        .into_iter()
        .filter(|&i| !c.names[i].female)
        .collect();
    let given = pick_name(rng, &given_pool);
    let father = pick_name(rng, &father_pool);
    let family = pick_name(rng, &c.names_of(names, Part::Family));
    // Age on 2023-01-01: migrants 9% minors, adults 18–45 triangular with mode 24.
    let age = match kind {
        Kind::Migrant if rng.random_bool(0.09) => rng.random_range(12..18),
        Kind::Migrant => triangular(rng, 18.0, 24.0, 45.0) as i32,
        Kind::Payer => rng.random_range(35..70),
        _ => rng.random_range(22..60),
    };
    let month = rng.random_range(1..=12);
    let day = rng.random_range(1..=28);
    Person {
        id,
        kind,
        group,
        given,
        father,
        family,
        male,
        dob: (2022 - age, month, day),
        nationality,
        home,
    }
}

/// A draw from the triangular distribution (min, mode, max).
pub fn triangular(rng: &mut impl Rng, lo: f64, mode: f64, hi: f64) -> f64 {
    debug_assert!(lo <= mode && mode <= hi && lo < hi);
    let u: f64 = rng.random();
    let cut = (mode - lo) / (hi - lo);
    if u < cut {
        lo + (u * (hi - lo) * (mode - lo)).sqrt()
    } else {
        hi - ((1.0 - u) * (hi - lo) * (hi - mode)).sqrt()
    }
}

const MODELS: &[&str] = &[
    "Ford Transit",
    "Mercedes Sprinter",
    "VW Crafter",
    "Opel Vivaro",
    "Škoda Octavia",
    "VW Passat",
    "Renault Master",
];

const COLOURS: &[&str] = &["white", "silver", "grey", "black", "blue", "red"];

/// Letters used on plates: those that look the same in Latin and Cyrillic, as Serbian and
/// Macedonian plates use, so a plate typed on a Cyrillic keyboard is a real homoglyph hazard.
const PLATE_LETTERS: &[u8] = b"ABCEHJKMOPTX";

/// A plate as issued in `country`, matching [`plate_pattern`].
pub fn plate<R: Rng>(rng: &mut R, country: &str) -> String {
    let letter = |rng: &mut R| PLATE_LETTERS[rng.random_range(0..PLATE_LETTERS.len())] as char;
    let (a, b) = (letter(rng), letter(rng));
    match country {
        // Serbian: city code, three or four digits, two letters.
        "RS" => format!(
            "{} {:03}-{a}{b}",
            ["BG", "SU", "NI", "VR", "ŠI", "KI"][rng.random_range(0..6)],
            rng.random_range(100..10_000)
        ),
        "MK" => format!(
            "{} {:04} {a}{b}",
            ["SK", "KU", "GE", "TE", "BT"][rng.random_range(0..5)],
            rng.random_range(1000..10_000)
        ),
        "AL" => {
            let digits = rng.random_range(100..1000);
            format!("A{a}{digits:03}{b}{}", letter(rng))
        }
        "XK" => format!(
            "{:02}-{:03}-{a}{b}",
            rng.random_range(1..8),
            rng.random_range(100..1000)
        ),
        // Serbian temporary plate (TP) a Kosovo-registered van is given in Serbia.
        "RS-TP" => format!(
            "{} {:03}-TP",
            ["BG", "NI", "VR"][rng.random_range(0..3)],
            rng.random_range(100..1000)
        ),
        _ => {
            let digits = rng.random_range(100..1000);
            format!("{a}{b} {digits:03} {}{}", letter(rng), letter(rng))
        }
    }
}

/// The shape of a plate as issued in `country` (before any recording noise), for the checks.
pub fn plate_pattern(country: &str) -> &'static str {
    match country {
        "RS" => r"^(BG|SU|NI|VR|ŠI|KI) [0-9]{3,4}-[A-Z]{2}$",
        "MK" => r"^(SK|KU|GE|TE|BT) [0-9]{4} [A-Z]{2}$",
        "AL" => r"^A[A-Z][0-9]{3}[A-Z]{2}$",
        "XK" => r"^0[1-7]-[0-9]{3}-[A-Z]{2}$",
        "RS-TP" => r"^(BG|NI|VR) [0-9]{3}-TP$",
        _ => r"^[A-Z]{2} [0-9]{3} [A-Z]{2}$",
    }
}

/// A van for a cell's driver.
pub(crate) fn vehicle(
    rng: &mut impl Rng,
    world: &World,
    country: &'static str,
    keeper: usize,
    days: u32,
) -> Vehicle {
    let mut plates = vec![(0, plate(rng, country))];
    // Kosovo vans crossing into Serbia are re-plated with Serbian temporary plates.
    if country == "XK" && rng.random_bool(0.3) && days > 30 {
        plates.push((rng.random_range(30..days), plate(rng, "RS-TP")));
    }
    Vehicle {
        id: format!("V{:06}", world.vehicles.len() + 1),
        plates,
        model: MODELS.choose(rng).copied().unwrap_or("Ford Transit"),
        colour: COLOURS.choose(rng).copied().unwrap_or("white"),
        country,
        keeper,
    }
}

/// Builds the world for `config`, streaming the leg executions and communications it produces
/// to `sink`. Every part draws from its own named stream.
pub fn simulate_into(
    config: &Config,
    sink: &mut dyn crate::journey::Sink,
) -> std::io::Result<World> {
    let mut world = World::default();
    crate::network::organise(config, &mut world);
    crate::journey::travel(config, &mut world, sink)?;
    crate::phones::assign(config, &mut world);
    crate::documents::issue(config, &mut world);
    Ok(world)
}

/// Builds the world for `config`, discarding the streamed truth.
pub fn simulate(config: &Config) -> World {
    struct Discard;
    impl crate::journey::Sink for Discard {
        fn leg(&mut self, _: &crate::journey::LegRow<'_>) -> std::io::Result<()> {
            Ok(())
        }
        fn comm(&mut self, _: &crate::journey::Comm) -> std::io::Result<()> {
            Ok(())
        }
    }
    simulate_into(config, &mut Discard).unwrap_or_default()
}
