//! The simulated world: who the people are, which route each migrant takes, and where they are
//! stopped. Agencies only ever see it through their recording profiles (see `agency.rs`).

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use crate::Config;
use crate::catalog::{Catalog, Part};
use crate::rng::stream;

/// Attempts at one border before a migrant gives up on it (one man tried RS→HU 14 times).
pub const ATTEMPTS_MAX: u32 = 15;

/// What a person is in the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Migrant,
    Smuggler,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Migrant => "migrant",
            Kind::Smuggler => "smuggler",
        }
    }
}

/// A true person.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub id: String,
    pub kind: Kind,
    /// Name group in the catalogue (AF, SY, IQ, RS, MK, AL).
    pub group: &'static str,
    /// Indexes into the catalogue's names.
    pub given: usize,
    pub family: usize,
    pub male: bool,
    /// True date of birth (year, month, day).
    pub dob: (i32, u32, u32),
    /// ISO alpha-3 nationality.
    pub nationality: &'static str,
}

/// A vehicle a smuggling cell uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Vehicle {
    pub id: String,
    pub plate: String,
    pub model: &'static str,
    /// Country of registration (alpha-2).
    pub country: &'static str,
}

/// A stop of a migrant at a border (with, sometimes, the driver and the vehicle).
#[derive(Debug, Clone, PartialEq)]
pub struct Interception {
    pub id: String,
    /// Days since the scenario start, and minutes after midnight.
    pub day: u32,
    pub minute: u32,
    pub place: &'static str,
    /// Country whose police made the stop (alpha-2).
    pub country: &'static str,
    pub migrant: usize,
    pub driver: Option<usize>,
    pub vehicle: Option<usize>,
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
}

/// A smuggling network: the organiser network that sells journeys, or a local cell that
/// provides legs in one country.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    pub id: String,
    /// `ORGANISER_NET` or `LOCAL_CELL`.
    pub kind: &'static str,
    /// `hierarchical` or `cell`.
    pub structure: &'static str,
    /// Gazetteer ids of its base places.
    pub bases: Vec<&'static str>,
    /// Networks it works with (joint ventures: the organiser buys legs from cells).
    pub partners: Vec<String>,
}

/// A person's role in a network over the scenario window.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    pub person: usize,
    pub network: usize,
    pub role: &'static str,
    pub reports_to: Option<usize>,
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
}

/// Gives the world its networks: a local cell per country around the drivers already there, with
/// a leader and guides, and one organiser network that buys legs from every cell. Drawn from a
/// stream of its own and appended after everyone else, so no earlier person changes.
fn organise(config: &Config, world: &mut World, cells: &[(&'static str, Vec<usize>, Vec<usize>)]) {
    let mut rng = stream(config.seed, "world/networks");
    let add = |world: &mut World,
               rng: &mut ChaCha8Rng,
               group: &'static str,
               nationality: &'static str| {
        let id = format!("P{:07}", world.persons.len() + 1);
        world
            .persons
            .push(person(rng, id, Kind::Smuggler, group, nationality));
        world.persons.len() - 1
    };
    // The organiser network first, so that cell leaders can report to its coordinators.
    let organiser_net = world.networks.len();
    world.networks.push(Network {
        id: "N0001".into(),
        kind: "ORGANISER_NET",
        structure: "hierarchical",
        bases: vec!["IST", "BEG"],
        partners: cells
            .iter()
            .map(|(c, _, _)| format!("N-CELL-{c}"))
            .collect(),
    });
    let organiser = add(world, &mut rng, "IQ", "IRQ");
    world.memberships.push(Membership {
        person: organiser,
        network: organiser_net,
        role: "ORGANISER",
        reports_to: None,
    });
    for role in [
        "RECRUITER",
        "RECRUITER",
        "MONEY_COLLECTOR",
        "MONEY_COLLECTOR",
    ] {
        let p = add(world, &mut rng, "IQ", "IRQ");
        world.memberships.push(Membership {
            person: p,
            network: organiser_net,
            role,
            reports_to: Some(organiser),
        });
    }
    for (country, drivers, _) in cells {
        let (group, nationality) = match *country {
            "RS" => ("RS", "SRB"),
            "MK" => ("MK", "MKD"),
            "XK" => ("AL", "XKX"),
            _ => ("AL", "ALB"),
        };
        let coordinator = add(world, &mut rng, group, nationality);
        world.memberships.push(Membership {
            person: coordinator,
            network: organiser_net,
            role: "COORDINATOR",
            reports_to: Some(organiser),
        });
        let cell = world.networks.len();
        world.networks.push(Network {
            id: format!("N-CELL-{country}"),
            kind: "LOCAL_CELL",
            structure: "cell",
            bases: match *country {
                "RS" => vec!["PRE", "SUB"],
                "MK" => vec!["KUM", "VAK"],
                "XK" => vec!["VER"],
                _ => vec!["TIR", "KUK"],
            },
            partners: vec!["N0001".into()],
        });
        let leader = add(world, &mut rng, group, nationality);
        world.memberships.push(Membership {
            person: leader,
            network: cell,
            role: "LEADER",
            reports_to: Some(coordinator),
        });
        for &d in drivers {
            world.memberships.push(Membership {
                person: d,
                network: cell,
                role: "DRIVER",
                reports_to: Some(leader),
            });
        }
        for _ in 0..rng.random_range(1..=3) {
            let guide = add(world, &mut rng, group, nationality);
            world.memberships.push(Membership {
                person: guide,
                network: cell,
                role: "GUIDE",
                reports_to: Some(leader),
            });
        }
    }
}

/// Share of journeys that continue from Western Europe across the Channel.
pub const UK_TAIL_SHARE: f64 = 0.15;

/// People per small boat (the boat's passengers are grouped by crossing day).
pub const BOAT_PEOPLE_MAX: usize = 60;

const MIGRANT_MIX: &[(&str, &str, f64)] = &[
    ("SY", "SYR", 0.40),
    ("AF", "AFG", 0.40),
    ("IQ", "IRQ", 0.20),
];

const MODELS: &[&str] = &[
    "Ford Transit",
    "Mercedes Sprinter",
    "VW Crafter",
    "Opel Vivaro",
    "Škoda Octavia",
];

fn plate(rng: &mut impl Rng, country: &str) -> String {
    let letters = "ABCDEJKMPT";
    let pick = |rng: &mut dyn rand::RngCore| -> char {
        let i = (rng.next_u32() as usize) % letters.len();
        letters.as_bytes()[i] as char
    };
    match country {
        // Serbian: city code, three or four digits, two letters.
        "RS" => format!(
            "{} {:03}-{}{}",
            ["BG", "SU", "NI", "VR", "ŠI"][rng.random_range(0..5)],
            rng.random_range(0..1000),
            pick(rng),
            pick(rng)
        ),
        "MK" => format!(
            "{} {:04} {}{}",
            ["SK", "KU", "GE", "TE"][rng.random_range(0..4)],
            rng.random_range(0..10_000),
            pick(rng),
            pick(rng)
        ),
        "AL" => format!(
            "A{}{:03}{}{}",
            pick(rng),
            rng.random_range(0..1000),
            pick(rng),
            pick(rng)
        ),
        _ => format!(
            "{:02}-{:03}-{}{}",
            rng.random_range(1..8),
            rng.random_range(0..1000),
            pick(rng),
            pick(rng)
        ),
    }
}

fn person(
    rng: &mut impl Rng,
    id: String,
    kind: Kind,
    group: &'static str,
    nationality: &'static str,
) -> Person {
    let c = Catalog::get();
    let given = *c
        .names_of(group, Part::Given)
        .choose(rng)
        .expect("catalogue has given names");
    let family = *c
        .names_of(group, Part::Family)
        .choose(rng)
        .expect("catalogue has family names");
    let (lo, hi) = match kind {
        Kind::Migrant => (1978, 2006),
        Kind::Smuggler => (1965, 2000),
    };
    let year = rng.random_range(lo..=hi);
    let month = rng.random_range(1..=12);
    let day = rng.random_range(1..=28);
    Person {
        id,
        kind,
        group,
        given,
        family,
        male: rng.random_bool(0.9),
        dob: (year, month, day),
        nationality,
    }
}

/// Builds the world for `config`. Every part draws from its own named stream, so adding a part
/// (or an agency) later leaves the others unchanged.
pub fn simulate(config: &Config) -> World {
    let catalog = Catalog::get();
    let mut world = World::default();
    // Local cells: drivers and their vans in each country that intercepts on the route.
    let mut cells_rng = stream(config.seed, "world/cells");
    let mut drivers: Vec<(&'static str, Vec<usize>, Vec<usize>)> = Vec::new();
    for (country, group, nationality) in [
        ("RS", "RS", "SRB"),
        ("MK", "MK", "MKD"),
        ("AL", "AL", "ALB"),
        ("XK", "AL", "XKX"),
    ] {
        let mut members = Vec::new();
        let mut vans = Vec::new();
        for _ in 0..config.drivers_per_country {
            let id = format!("P{:07}", world.persons.len() + 1);
            members.push(world.persons.len());
            world.persons.push(person(
                &mut cells_rng,
                id,
                Kind::Smuggler,
                group,
                nationality,
            ));
            let plate_country = if country == "XK" { "XK" } else { country };
            vans.push(world.vehicles.len());
            world.vehicles.push(Vehicle {
                id: format!("V{:06}", world.vehicles.len() + 1),
                plate: plate(&mut cells_rng, plate_country),
                model: MODELS
                    .choose(&mut cells_rng)
                    .copied()
                    .unwrap_or("Ford Transit"),
                country: plate_country,
            });
        }
        drivers.push((country, members, vans));
    }
    // Migrants and their journeys.
    let mut rng = stream(config.seed, "world/migrants");
    let weights: Vec<f64> = catalog.routes.iter().map(|r| r.weight).collect();
    let mut tails: Vec<(usize, u32)> = Vec::new();
    for _ in 0..config.migrants {
        let roll: f64 = rng.random();
        let mut acc = 0.0;
        let (group, nationality) = MIGRANT_MIX
            .iter()
            .find(|(_, _, share)| {
                acc += share;
                roll < acc
            })
            .map_or(("AF", "AFG"), |(g, n, _)| (*g, *n));
        let id = format!("P{:07}", world.persons.len() + 1);
        let migrant = world.persons.len();
        world
            .persons
            .push(person(&mut rng, id, Kind::Migrant, group, nationality));
        let roll: f64 = rng.random::<f64>() * weights.iter().sum::<f64>();
        let mut acc = 0.0;
        let route = catalog
            .routes
            .iter()
            .find(|r| {
                acc += r.weight;
                roll < acc
            })
            .unwrap_or(&catalog.routes[0]);
        let mut day = rng.random_range(0..config.days);
        for leg in &route.legs {
            let Some(to) = catalog.place(leg.to) else {
                continue;
            };
            let mut attempts = 0;
            while attempts < ATTEMPTS_MAX && rng.random_bool(leg.p_intercept) {
                attempts += 1;
                if day >= config.days {
                    break;
                }
                let crew = drivers.iter().find(|(c, _, _)| *c == to.country);
                let (driver, vehicle) = match crew {
                    Some((_, members, vans)) if !members.is_empty() && rng.random_bool(0.4) => {
                        let k = rng.random_range(0..members.len());
                        (Some(members[k]), Some(vans[k]))
                    }
                    _ => (None, None),
                };
                world.interceptions.push(Interception {
                    id: format!("E{:08}", world.interceptions.len() + 1),
                    day,
                    minute: rng.random_range(0..24 * 60),
                    place: to.id,
                    country: to.country,
                    migrant,
                    driver,
                    vehicle,
                });
                day += rng.random_range(1..6);
            }
            day += rng.random_range(0..3);
        }
        // The UK tail: a separate stream, so the continental world does not change with it.
        tails.push((migrant, day));
    }
    let mut tail_rng = stream(config.seed, "world/uk_tail");
    // The boat currently filling up on each day: (boat id, people aboard).
    let mut open_boats: std::collections::BTreeMap<u32, (String, usize)> = Default::default();
    let mut boat_count = 0usize;
    for (migrant, day) in tails {
        if !tail_rng.random_bool(UK_TAIL_SHARE) {
            continue;
        }
        let day = day + tail_rng.random_range(20..90);
        if day >= config.days {
            continue;
        }
        // People crossing the same day share a boat until it is full; the first aboard is made
        // to steer it.
        let open = open_boats
            .get_mut(&day)
            .filter(|(_, aboard)| *aboard < BOAT_PEOPLE_MAX);
        let (boat, pilot) = match open {
            Some((id, aboard)) => {
                *aboard += 1;
                (id.clone(), false)
            }
            None => {
                boat_count += 1;
                let id = format!("B{boat_count:05}");
                open_boats.insert(day, (id.clone(), 1));
                (id, true)
            }
        };
        world.arrivals.push(Arrival {
            id: format!("A{:07}", world.arrivals.len() + 1),
            day,
            migrant,
            boat,
            pilot,
        });
    }
    organise(config, &mut world, &drivers);
    world
}
