//! Migrants and their journeys (specification B4, B5): who travels with whom, which route, who
//! pays, which cell provides each leg, how often a border stops them, and how each leg is paid —
//! hawala escrow, cash, money transfer, bank or crypto. Leg executions and communications are
//! streamed to a [`Sink`] as they happen, so no preset holds them in memory.

use std::io;

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use crate::Config;
use crate::catalog::Catalog;
use crate::money::{Acct, Tx, euros};
use crate::rng::{stream, weighted};
use crate::world::{ATTEMPTS_MAX, Arrival, Interception, Journey, Kind, NONE, World, triangular};

/// One attempt at one leg, for `truth/legs.csv`.
#[derive(Debug)]
pub struct LegRow<'a> {
    pub journey: usize,
    pub leg: usize,
    pub attempt: u32,
    pub from: &'a str,
    pub to: &'a str,
    pub network: Option<usize>,
    pub driver: Option<usize>,
    pub vehicle: Option<usize>,
    pub day: u32,
    /// `passed`, `intercepted` or `abandoned`.
    pub outcome: &'static str,
}

/// A call, message or radio contact between two persons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Comm {
    pub day: u32,
    pub minute: u32,
    pub from: u32,
    pub to: u32,
    /// `cdr` (seen by the operator), `app` (only on the handsets), `radio`.
    pub channel: &'static str,
}

/// Where the world's streamed truth goes.
pub trait Sink {
    /// Called once the networks exist, before any journey starts: the arrests are known, so a
    /// sink may keep what it needs for the phone extractions that follow them.
    fn start(&mut self, _world: &World) {}
    fn leg(&mut self, row: &LegRow<'_>) -> io::Result<()>;
    fn comm(&mut self, comm: &Comm) -> io::Result<()>;
}

/// Share of smugglers' traffic that only goes through messaging apps (no operator record).
const APP_ONLY_SHARE: f64 = 0.7;
/// Share of migrants who, reaching Belgrade, stay one to six months as a cell's guide.
const TURNED_SMUGGLER_SHARE: f64 = 0.05;
/// Days a journey may last before the migrant is counted as stuck.
const JOURNEY_DAYS_MAX: u32 = 400;

/// Nationality mix of the route (B4), over the name groups the catalogue has.
const NATIONALITIES: &[(&str, f64)] = &[
    ("SY", 0.30),
    ("AF", 0.22),
    ("TR", 0.12),
    ("MA", 0.08),
    ("PK", 0.07),
    ("IQ", 0.07),
    ("IR", 0.03),
];

/// Names of the payment channels, in the order of `Config::payment_mix`.
pub const CHANNEL_NAMES: [&str; 5] = ["hawala", "cash", "mto", "bank", "crypto"];

/// Default payment channel mix per leg payment (B5).
pub const PAYMENT_MIX: [(&str, f64); 5] = [
    ("hawala", 0.55),
    ("cash", 0.25),
    ("mto", 0.12),
    ("bank", 0.03),
    ("crypto", 0.05),
];

/// Price of a leg crossing from `from` into `to` (countries), in EUR (min, mode, max), where
/// the leg is sold as one service (B5); `None` where the price of an earlier leg covers it.
pub fn leg_price(from: &str, to: &str) -> Option<(f64, f64, f64)> {
    Some(match (from, to) {
        ("TR", "GR") => (1_000.0, 1_800.0, 3_000.0),
        ("TR", "BG") => (2_000.0, 2_500.0, 3_000.0),
        ("GR", "MK") => (600.0, 1_200.0, 2_000.0),
        ("RS", "HU") => (500.0, 2_350.0, 5_000.0),
        ("RS", "BA") => (250.0, 300.0, 500.0),
        ("BA", "IT") | ("BA", "HR") => (500.0, 2_000.0, 4_000.0),
        ("GR", "AL") => (400.0, 700.0, 1_250.0),
        ("RS", "IT") | ("RS", "AT") | ("XK", "AT") => (2_500.0, 2_800.0, 3_000.0),
        ("HU", "AT") => (1_000.0, 4_000.0, 15_000.0),
        ("FR", "GB") => (1_700.0, 3_200.0, 7_000.0),
        _ => return None,
    })
}

/// Season factor on departures: autumn busier, winter quieter (B1).
fn season(day: u32) -> f64 {
    match crate::rng::civil(day).1 {
        9..=11 => 1.3,
        12 | 1 | 2 => 0.8,
        _ => 1.0,
    }
}

/// A cell's driver and the van he keeps, over his membership.
#[derive(Clone, Copy)]
struct Driver {
    person: usize,
    vehicle: Option<usize>,
    from: u32,
    to: u32,
}

/// What the journey loop looks up about each network.
struct Crews {
    /// Per network: its drivers.
    drivers: Vec<Vec<Driver>>,
    /// Per network: (role, person, from, to) of everyone else.
    members: Vec<Vec<(&'static str, usize, u32, u32)>>,
    /// Local cells by country.
    cells: Vec<(&'static str, Vec<usize>)>,
    organisers: Vec<usize>,
    channels: Vec<usize>,
    /// Money services: (network, hawaladar persons), and the city's name group.
    brokers: Vec<(usize, &'static str, Vec<usize>)>,
    /// The payment terms of the configuration: channel mix, brokers' commission range, days
    /// from a leg's success to the release.
    mix: Vec<(&'static str, f64)>,
    commission: (f64, f64),
    release_delay_days: (u32, u32),
}

impl Crews {
    fn new(world: &World, config: &Config) -> Crews {
        let n = world.networks.len();
        let mut drivers = vec![Vec::new(); n];
        let mut members = vec![Vec::new(); n];
        let mut van_of: std::collections::HashMap<usize, usize> = Default::default();
        for (i, v) in world.vehicles.iter().enumerate() {
            van_of.insert(v.keeper, i);
        }
        for m in &world.memberships {
            if m.role == "DRIVER" {
                drivers[m.network].push(Driver {
                    person: m.person,
                    vehicle: van_of.get(&m.person).copied(),
                    from: m.from,
                    to: m.to,
                });
            } else {
                members[m.network].push((m.role, m.person, m.from, m.to));
            }
        }
        let mut cells: Vec<(&'static str, Vec<usize>)> = Vec::new();
        let mut organisers = Vec::new();
        let mut channels = Vec::new();
        let mut brokers = Vec::new();
        for (i, net) in world.networks.iter().enumerate() {
            match net.kind {
                "LOCAL_CELL" => match cells.iter_mut().find(|(c, _)| *c == net.country) {
                    Some((_, list)) => list.push(i),
                    None => cells.push((net.country, vec![i])),
                },
                "ORGANISER_NET" => organisers.push(i),
                "CHANNEL_NET" => channels.push(i),
                "MONEY_SERVICE" => {
                    let hawaladars = members[i]
                        .iter()
                        .filter(|(r, ..)| *r == "HAWALADAR")
                        .map(|(_, p, ..)| *p)
                        .collect();
                    brokers.push((i, net.group, hawaladars));
                }
                _ => {}
            }
        }
        Crews {
            drivers,
            members,
            cells,
            organisers,
            channels,
            brokers,
            mix: CHANNEL_NAMES
                .iter()
                .copied()
                .zip(config.payment_mix)
                .collect(),
            commission: config.hawala_commission,
            release_delay_days: config.release_delay_days,
        }
    }

    /// Someone in `role` in `network` on `day`.
    ///
    /// Called several times for every leg attempt, so it counts and picks in place rather than
    /// collecting the active members.
    fn member(&self, rng: &mut impl Rng, network: usize, role: &str, day: u32) -> Option<usize> {
        let active = |m: &&(&str, usize, u32, u32)| m.0 == role && m.2 <= day && day <= m.3;
        let n = self.members[network].iter().filter(active).count();
        if n == 0 {
            return None;
        }
        let k = rng.random_range(0..n);
        self.members[network]
            .iter()
            .filter(active)
            .nth(k)
            .map(|m| m.1)
    }

    /// An active driver of the cell, picked in place as [`Crews::member`] does.
    fn driver(&self, rng: &mut impl Rng, network: usize, day: u32) -> Option<Driver> {
        let active = |d: &&Driver| d.from <= day && day <= d.to;
        let n = self.drivers[network].iter().filter(active).count();
        if n == 0 {
            return None;
        }
        let k = rng.random_range(0..n);
        self.drivers[network].iter().filter(active).nth(k).copied()
    }

    /// The cell providing a leg out of `country`: one the organiser works with if it sold a
    /// package, otherwise any cell there.
    fn cell(
        &self,
        rng: &mut impl Rng,
        world: &World,
        country: &str,
        organiser: Option<usize>,
    ) -> Option<usize> {
        let (_, cells) = self.cells.iter().find(|(c, _)| *c == country)?;
        if let Some(o) = organiser {
            let partners: Vec<usize> = cells
                .iter()
                .copied()
                .filter(|c| world.networks[o].partners.contains(c))
                .collect();
            if let Some(&c) = partners.choose(rng) {
                return Some(c);
            }
        }
        cells.choose(rng).copied()
    }

    /// An origin broker for a migrant of `group` and a transit broker (Istanbul or Belgrade).
    fn brokers(&self, rng: &mut impl Rng, group: &str) -> Option<(usize, usize)> {
        let origin: Vec<&(usize, &str, Vec<usize>)> = self
            .brokers
            .iter()
            .filter(|(_, g, h)| *g == group && !h.is_empty())
            .collect();
        let transit: Vec<&(usize, &str, Vec<usize>)> = self
            .brokers
            .iter()
            .filter(|(_, g, h)| (*g == "TR" || *g == "RS") && !h.is_empty())
            .collect();
        let any: Vec<&(usize, &str, Vec<usize>)> = self
            .brokers
            .iter()
            .filter(|(_, _, h)| !h.is_empty())
            .collect();
        let o = origin.choose(rng).or_else(|| any.choose(rng))?;
        let h1 = *o.2.choose(rng)?;
        // The transit broker is someone else: a broker who is both ends of a transfer holds
        // the deposit and pays it out himself, and owes nobody a settlement. Only when the
        // transit side has no other hawaladar at all is the origin broker the transit one.
        let others: Vec<usize> = transit
            .iter()
            .flat_map(|(_, _, h)| h.iter().copied())
            .filter(|&h| h != h1)
            .collect();
        if others.is_empty() {
            let t = transit.choose(rng).or_else(|| any.choose(rng))?;
            return Some((h1, *t.2.choose(rng)?));
        }
        let t = transit
            .iter()
            .filter(|(_, _, h)| h.iter().any(|&x| x != h1))
            .copied()
            .collect::<Vec<_>>();
        let t = t.choose(rng)?;
        let h2: Vec<usize> = t.2.iter().copied().filter(|&h| h != h1).collect();
        Some((h1, *h2.choose(rng)?))
    }
}

/// Everything about one leg payment the money needs.
struct LegPay {
    journey: usize,
    leg: usize,
    day: u32,
    cents: u64,
    payer: usize,
    migrant: usize,
    collector: usize,
    network: usize,
    group: &'static str,
}

/// Open hawala deposits, per member of the travelling group: (origin broker, transit broker,
/// amount) waiting for release, refund or roll-over.
type Escrow = Option<(usize, usize, u64)>;

/// Makes the world's journeys, interceptions, UK arrivals and payments.
pub(crate) fn travel(config: &Config, world: &mut World, sink: &mut dyn Sink) -> io::Result<()> {
    sink.start(world);
    let catalog = Catalog::get();
    let crews = Crews::new(world, config);
    let mut rng = stream(config.seed, "world/migrants");
    let mut pay_rng = stream(config.seed, "money/journeys");
    let mut talk = stream(config.seed, "world/comms");
    let weights: Vec<f64> = catalog
        .routes
        .iter()
        .map(|r| config.routes.get(r.id).copied().unwrap_or(r.weight))
        .collect();
    let weight_total: f64 = weights.iter().sum();
    let mut tails: Vec<(usize, usize, u32)> = Vec::new();
    let mut made = 0u32;
    while made < config.migrants {
        // Travel groups: 70% alone, 20% with one to three co-nationals, 10% families of two to
        // six with one payer.
        let roll: f64 = rng.random();
        let (size, family) = if roll < 0.7 {
            (1, false)
        } else if roll < 0.9 {
            (rng.random_range(2..=4), false)
        } else {
            (rng.random_range(2..=6), true)
        };
        let size = size.min(config.migrants - made);
        made += size;
        let group = weighted(&mut rng, NATIONALITIES);
        let start = loop {
            let day = rng.random_range(0..config.days);
            if rng.random::<f64>() * 1.3 < season(day) {
                break day;
            }
        };
        let roll = rng.random::<f64>() * weight_total;
        let mut acc = 0.0;
        let route_index = weights
            .iter()
            .position(|w| {
                acc += w;
                roll < acc
            })
            .unwrap_or(0);
        let route = &catalog.routes[route_index];
        let package = rng.random_bool(0.35);
        let organiser = crews.organisers.choose(&mut rng).copied();
        // The group's members, each with a payer at home; a family shares its name and payer.
        let mut members: Vec<(usize, usize, usize)> = Vec::new();
        let mut shared_payer = None;
        for k in 0..size {
            let migrant = world.add_person(&mut rng, Kind::Migrant, group);
            // Siblings share the family name and the father's name.
            if family && k > 0 {
                let first = members[0].0;
                world.persons[migrant].family = world.persons[first].family;
                world.persons[migrant].father = world.persons[first].father;
            }
            let payer = match shared_payer {
                Some(p) => p,
                None => {
                    let p = world.add_person(&mut rng, Kind::Payer, group);
                    world.persons[p].family = world.persons[migrant].family;
                    if family {
                        shared_payer = Some(p);
                    }
                    p
                }
            };
            let journey = world.journeys.len();
            world.journeys.push(Journey {
                migrant: migrant as u32,
                payer: payer as u32,
                route: route_index as u8,
                package,
                price_cents: 0,
                organiser_net: organiser.map_or(u32::MAX, |o| o as u32),
                start,
                end: start,
            });
            members.push((migrant, payer, journey));
        }
        // First contacts: the recruiter who sold the trip; the family at home.
        for &(migrant, payer, _) in &members {
            if let Some(o) = organiser
                && let Some(recruiter) = crews.member(&mut talk, o, "RECRUITER", start)
            {
                call(sink, &mut talk, start, migrant, recruiter, APP_ONLY_SHARE)?;
            }
            call(sink, &mut talk, start, migrant, payer, 0.5)?;
        }
        let discount = if family {
            1.0 - rng.random_range(0.10..0.20)
        } else {
            1.0
        };
        let premium = if package {
            rng.random_range(0.9..1.2)
        } else {
            1.0
        };
        let mut escrow: Vec<Escrow> = vec![None; members.len()];
        let mut day = start;
        let mut finished = true;
        'legs: for (li, leg) in route.legs.iter().enumerate() {
            let (Some(from), Some(to)) = (catalog.place(leg.from), catalog.place(leg.to)) else {
                continue;
            };
            let cell = crews
                .cell(&mut rng, world, from.country, organiser.filter(|_| package))
                .or_else(|| crews.cell(&mut rng, world, to.country, organiser.filter(|_| package)));
            let price = leg_price(from.country, to.country).map(|(lo, mode, hi)| {
                let vip = from.country == "TR" && to.country == "BG" && rng.random_bool(0.05);
                let eur = if vip {
                    10_000.0
                } else {
                    triangular(&mut rng, lo, mode, hi)
                };
                (eur * discount * premium * 100.0).round() as u64
            });
            // Who is paid for the leg: the organiser's collector for a package, else the cell's
            // leader.
            let collector = match (package, organiser, cell) {
                (true, Some(o), _) => crews.member(&mut rng, o, "MONEY_COLLECTOR", day),
                (_, _, Some(c)) => crews.member(&mut rng, c, "LEADER", day),
                _ => None,
            };
            let payee_network = if package { organiser } else { cell };
            let mut attempt = 0;
            loop {
                attempt += 1;
                if day >= config.days {
                    finished = false;
                    break 'legs;
                }
                let crew = cell
                    .filter(|_| rng.random_bool(0.6))
                    .and_then(|c| crews.driver(&mut rng, c, day));
                // Payment before each attempt: a new deposit unless one is still held.
                if let (Some(cents), Some(collector), Some(network)) =
                    (price, collector, payee_network)
                {
                    for (k, &(migrant, payer, journey)) in members.iter().enumerate() {
                        world.journeys[journey].price_cents += if attempt == 1 { cents } else { 0 };
                        let pay = LegPay {
                            journey,
                            leg: li,
                            day,
                            cents,
                            payer,
                            migrant,
                            collector,
                            network,
                            group,
                        };
                        deposit(
                            &mut pay_rng,
                            &crews,
                            world,
                            &pay,
                            &mut escrow[k],
                            sink,
                            &mut talk,
                        )?;
                    }
                }
                let minute = rng.random_range(0..24 * 60);
                if let (Some(d), Some(c)) = (crew, cell) {
                    // The leader briefs the driver before the trip and hears from him after.
                    if let Some(leader) = crews.member(&mut talk, c, "LEADER", day) {
                        for _ in 0..talk.random_range(2..=10) {
                            call(sink, &mut talk, day, leader, d.person, APP_ONLY_SHARE)?;
                        }
                        if package
                            && let Some(o) = organiser
                            && let Some(coordinator) =
                                crews.member(&mut talk, o, "COORDINATOR", day)
                        {
                            call(sink, &mut talk, day, coordinator, leader, APP_ONLY_SHARE)?;
                        }
                    }
                    if let Some(lookout) = crews.member(&mut talk, c, "LOOKOUT", day)
                        && let Some(guide) = crews.member(&mut talk, c, "GUIDE", day)
                    {
                        sink.comm(&Comm {
                            day,
                            minute: talk.random_range(0..24 * 60),
                            from: lookout as u32,
                            to: guide as u32,
                            channel: "radio",
                        })?;
                    }
                }
                let intercepted = attempt < ATTEMPTS_MAX && rng.random_bool(leg.p_intercept);
                let caught_driver = crew.filter(|_| intercepted && rng.random_bool(0.4));
                for (k, &(migrant, _, journey)) in members.iter().enumerate() {
                    sink.leg(&LegRow {
                        journey,
                        leg: li,
                        attempt,
                        from: from.id,
                        to: to.id,
                        network: cell,
                        driver: crew.map(|d| d.person),
                        vehicle: crew.and_then(|d| d.vehicle),
                        day,
                        outcome: if intercepted { "intercepted" } else { "passed" },
                    })?;
                    if intercepted {
                        world.interceptions.push(Interception {
                            day: day as u16,
                            minute: minute as u16,
                            place: catalog.place_index(to.id).unwrap_or(0) as u16,
                            migrant: migrant as u32,
                            driver: caught_driver.map_or(NONE, |d| d.person as u32),
                            vehicle: caught_driver
                                .and_then(|d| d.vehicle)
                                .map_or(NONE, |v| v as u32),
                            journey: journey as u32,
                        });
                    } else if let Some(collector) = collector {
                        release(
                            &mut pay_rng,
                            crews.release_delay_days,
                            world,
                            &mut escrow[k],
                            journey,
                            li,
                            day,
                            collector,
                            payee_network,
                            sink,
                            &mut talk,
                        )?;
                    }
                    if intercepted {
                        refund_or_roll(&mut pay_rng, world, &mut escrow[k], journey, li, day);
                    }
                }
                // The collector pays the driver for the trip.
                if let (Some(d), Some(collector)) = (crew, collector) {
                    world.payments.push(Tx {
                        journey: members[0].2 as u32 + 1,
                        leg: li as u8,
                        network: payee_network.map_or(0, |n| n as u32 + 1),
                        ..Tx::new(
                            day + pay_rng.random_range(0..=3),
                            pay_rng.random_range(0..86_400),
                            Acct::new(Acct::CASH, collector),
                            Acct::new(Acct::CASH, d.person),
                            euros(&mut pay_rng, 100, 500),
                        )
                        .label("cash", "FAN_OUT_PAYROLL", "payment")
                    });
                }
                if !intercepted {
                    break;
                }
                if attempt >= ATTEMPTS_MAX || day - start > JOURNEY_DAYS_MAX {
                    finished = false;
                    break 'legs;
                }
                // Pushed back or sent to a reception centre, then tries again.
                day += rng.random_range(1..6);
            }
            day += rng.random_range(0..3);
            if to.kind.contains("hub") {
                for &(migrant, payer, _) in &members {
                    call(sink, &mut talk, day, migrant, payer, 0.5)?;
                }
            }
            // A few who reach Belgrade stay and work for a cell for one to six months.
            if to.id == "BEG"
                && members.len() == 1
                && rng.random_bool(TURNED_SMUGGLER_SHARE)
                && let Some(c) = crews.cell(&mut rng, world, "RS", None)
            {
                let stay = rng.random_range(30..180);
                world.memberships.push(crate::world::Membership {
                    person: members[0].0,
                    network: c,
                    role: if rng.random_bool(0.5) {
                        "GUIDE"
                    } else {
                        "RECRUITER"
                    },
                    from: day.min(config.days.saturating_sub(1)),
                    to: (day + stay).min(config.days.saturating_sub(1)),
                    reports_to: crews.member(&mut rng, c, "LEADER", day),
                });
                day += stay;
            }
        }
        for &(migrant, _, journey) in &members {
            world.journeys[journey].end = day.min(config.days.saturating_sub(1));
            if finished {
                tails.push((migrant, journey, day));
            }
        }
    }
    uk_tail(config, world, &crews, &tails, sink)?;
    daily_calls(config, world, &crews, sink)
}

/// One call or message between two persons, through the operator or an app.
fn call(
    sink: &mut dyn Sink,
    rng: &mut ChaCha8Rng,
    day: u32,
    a: usize,
    b: usize,
    app_share: f64,
) -> io::Result<()> {
    let (from, to) = if rng.random_bool(0.5) { (a, b) } else { (b, a) };
    sink.comm(&Comm {
        day,
        minute: rng.random_range(0..24 * 60),
        from: from as u32,
        to: to as u32,
        channel: if rng.random_bool(app_share) {
            "app"
        } else {
            "cdr"
        },
    })
}

/// Pays for one attempt at a leg by the channel mix. Hawala: a deposit with the origin broker
/// (price plus a 2–5% commission booked separately), unless a deposit is still held from the
/// last attempt. The other channels pay the collector directly.
fn deposit(
    rng: &mut ChaCha8Rng,
    crews: &Crews,
    world: &mut World,
    pay: &LegPay,
    escrow: &mut Escrow,
    sink: &mut dyn Sink,
    talk: &mut ChaCha8Rng,
) -> io::Result<()> {
    if escrow.is_some() {
        return Ok(());
    }
    let channel = weighted(rng, &crews.mix);
    let journey = pay.journey as u32 + 1;
    let network = pay.network as u32 + 1;
    let labelled = |t: Tx| Tx {
        journey,
        leg: pay.leg as u8,
        network,
        ..t
    };
    let before = pay.day.saturating_sub(rng.random_range(1..=14));
    let second = rng.random_range(0..86_400);
    match channel {
        "hawala" => {
            let Some((h1, h2)) = crews.brokers(rng, pay.group) else {
                return cash(rng, world, pay, labelled);
            };
            world.payments.push(labelled(
                Tx::new(
                    before,
                    second,
                    Acct::new(Acct::CASH, pay.payer),
                    Acct::new(Acct::HAWALA, h1),
                    pay.cents,
                )
                .label("hawala", "HAWALA_ESCROW", "payment")
                .step("DEPOSIT"),
            ));
            let (lo, hi) = crews.commission;
            let rate = if hi > lo {
                rng.random_range(lo..=hi)
            } else {
                lo
            };
            let commission = (pay.cents as f64 * rate).round() as u64;
            world.payments.push(labelled(
                Tx::new(
                    before,
                    second,
                    Acct::new(Acct::CASH, pay.payer),
                    Acct::new(Acct::HAWALA, h1),
                    commission,
                )
                .label("hawala", "HAWALA_ESCROW", "payment")
                .step("COMMISSION"),
            ));
            // The payer hands in the cash, gets a code and passes it on; the brokers note it.
            call(sink, talk, before, pay.payer, h1, 0.5)?;
            call(sink, talk, before, pay.payer, pay.migrant, 0.5)?;
            call(sink, talk, before, h1, h2, 0.5)?;
            *escrow = Some((h1, h2, pay.cents));
            Ok(())
        }
        "mto" => {
            world.payments.push(labelled(
                Tx::new(
                    before,
                    second,
                    Acct::new(Acct::MTO, pay.payer),
                    Acct::new(Acct::MTO, pay.collector),
                    pay.cents,
                )
                .label("mto", "MTO_FAN_IN", "payment"),
            ));
            Ok(())
        }
        "bank" => {
            world.payments.push(labelled(
                Tx::new(
                    before,
                    second,
                    Acct::new(Acct::BANK, pay.payer),
                    Acct::new(Acct::BANK, pay.collector),
                    pay.cents,
                )
                .label("bank", "BANK_PAYMENT", "payment"),
            ));
            Ok(())
        }
        "crypto" => {
            // Payer's wallet, two to five hops, an exchange desk, cash to the collector.
            let hops = rng.random_range(2..=5);
            let mut from = Acct::new(Acct::WALLET, pay.payer);
            let mut day = before;
            for h in 0..hops {
                let to = Acct::new(Acct::HOP, pay.journey * 8 + h);
                world.payments.push(labelled(
                    Tx::new(day, rng.random_range(0..86_400), from, to, pay.cents).label(
                        "crypto",
                        "CRYPTO_CASHOUT",
                        "layering",
                    ),
                ));
                from = to;
                day += u32::from(rng.random_bool(0.3));
            }
            let exchange = Acct::new(Acct::EXCHANGE, pay.journey % 3);
            world.payments.push(labelled(
                Tx::new(day, rng.random_range(0..86_400), from, exchange, pay.cents).label(
                    "crypto",
                    "CRYPTO_CASHOUT",
                    "layering",
                ),
            ));
            world.payments.push(labelled(
                Tx::new(
                    day,
                    rng.random_range(0..86_400),
                    exchange,
                    Acct::new(Acct::CASH, pay.collector),
                    pay.cents,
                )
                .label("cash", "CRYPTO_CASHOUT", "collection"),
            ));
            Ok(())
        }
        _ => cash(rng, world, pay, labelled),
    }
}

/// Cash in hand to the collector on the day of the leg.
fn cash(
    rng: &mut ChaCha8Rng,
    world: &mut World,
    pay: &LegPay,
    labelled: impl Fn(Tx) -> Tx,
) -> io::Result<()> {
    world.payments.push(labelled(
        Tx::new(
            pay.day,
            rng.random_range(0..86_400),
            Acct::new(Acct::CASH, pay.migrant),
            Acct::new(Acct::CASH, pay.collector),
            pay.cents,
        )
        .label("cash", "CASH_COLLECTION", "collection"),
    ));
    Ok(())
}

/// After a leg is passed, the transit broker pays the collector what the deposit held.
#[allow(clippy::too_many_arguments)]
fn release(
    rng: &mut ChaCha8Rng,
    (delay_min, delay_max): (u32, u32),
    world: &mut World,
    escrow: &mut Escrow,
    journey: usize,
    leg: usize,
    day: u32,
    collector: usize,
    network: Option<usize>,
    sink: &mut dyn Sink,
    talk: &mut ChaCha8Rng,
) -> io::Result<()> {
    let Some((h1, h2, cents)) = escrow.take() else {
        return Ok(());
    };
    let when = day + rng.random_range(delay_min..=delay_max);
    world.payments.push(Tx {
        journey: journey as u32 + 1,
        leg: leg as u8,
        network: network.map_or(0, |n| n as u32 + 1),
        // The origin broker who owes the transit broker for this release.
        case: h1 as u32,
        ..Tx::new(
            when,
            rng.random_range(0..86_400),
            Acct::new(Acct::HAWALA, h2),
            Acct::new(Acct::CASH, collector),
            cents,
        )
        .label("cash", "HAWALA_ESCROW", "collection")
        .step("RELEASE")
    });
    let payer = world.journeys[journey].payer as usize;
    call(sink, talk, when, payer, h1, 0.5)?;
    call(sink, talk, when, h1, h2, 0.5)
}

/// After a failed attempt the deposit is refunded (p = 0.3) or rolled over to the next attempt.
fn refund_or_roll(
    rng: &mut ChaCha8Rng,
    world: &mut World,
    escrow: &mut Escrow,
    journey: usize,
    leg: usize,
    day: u32,
) {
    let Some((h1, _, cents)) = *escrow else {
        return;
    };
    if rng.random_bool(0.3) {
        let payer = world.journeys[journey].payer as usize;
        world.payments.push(Tx {
            journey: journey as u32 + 1,
            leg: leg as u8,
            ..Tx::new(
                day + rng.random_range(1..=5),
                rng.random_range(0..86_400),
                Acct::new(Acct::HAWALA, h1),
                Acct::new(Acct::CASH, payer),
                cents,
            )
            .label("hawala", "HAWALA_ESCROW", "payment")
            .step("REFUND")
        });
        *escrow = None;
    }
}

/// Journeys that reach Western Europe continue across the Channel with p = 0.15: a Channel
/// network's boat from the French coast to Dover, one migrant made to steer it.
fn uk_tail(
    config: &Config,
    world: &mut World,
    crews: &Crews,
    tails: &[(usize, usize, u32)],
    sink: &mut dyn Sink,
) -> io::Result<()> {
    let mut rng = stream(config.seed, "world/uk_tail");
    let mut open_boats: std::collections::BTreeMap<u32, (String, usize)> = Default::default();
    let mut boat_count = 0usize;
    for &(migrant, journey, day) in tails {
        if !rng.random_bool(config.uk_tail) {
            continue;
        }
        let day = day + rng.random_range(20..90);
        if day >= config.days {
            continue;
        }
        let network = crews.channels.choose(&mut rng).copied();
        let cents = leg_price("FR", "GB").map_or(0, |(lo, mode, hi)| {
            (triangular(&mut rng, lo, mode, hi) * 100.0) as u64
        });
        if let Some(n) = network
            && let Some(collector) = crews.member(&mut rng, n, "COORDINATOR", day)
        {
            world.payments.push(Tx {
                journey: journey as u32 + 1,
                leg: 99,
                network: n as u32 + 1,
                ..Tx::new(
                    day.saturating_sub(rng.random_range(1..10)),
                    rng.random_range(0..86_400),
                    Acct::new(Acct::CASH, migrant),
                    Acct::new(Acct::CASH, collector),
                    cents,
                )
                .label("cash", "CASH_COLLECTION", "collection")
            });
            call(sink, &mut rng, day, migrant, collector, APP_ONLY_SHARE)?;
        }
        world.journeys[journey].price_cents += cents;
        world.journeys[journey].end = day;
        let open = open_boats
            .get_mut(&day)
            .filter(|(_, aboard)| *aboard < crate::BOAT_PEOPLE_MAX);
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
        sink.leg(&LegRow {
            journey,
            leg: 99,
            attempt: 1,
            from: "DUN",
            to: "DOV",
            network,
            driver: None,
            vehicle: None,
            day,
            outcome: "passed",
        })?;
        world.arrivals.push(Arrival {
            id: format!("A{:07}", world.arrivals.len() + 1),
            day,
            migrant,
            boat,
            pilot,
            network,
        });
    }
    Ok(())
}

/// Organisers talk to their coordinators one to five times a day.
fn daily_calls(
    config: &Config,
    world: &World,
    crews: &Crews,
    sink: &mut dyn Sink,
) -> io::Result<()> {
    let mut rng = stream(config.seed, "world/comms/daily");
    for &o in crews.organisers.iter().chain(&crews.channels) {
        let _ = &world.networks[o];
        for day in 0..config.days {
            let Some(organiser) = crews.member(&mut rng, o, "ORGANISER", day) else {
                continue;
            };
            for _ in 0..rng.random_range(1..=5) {
                if let Some(coordinator) = crews.member(&mut rng, o, "COORDINATOR", day) {
                    call(sink, &mut rng, day, organiser, coordinator, APP_ONLY_SHARE)?;
                }
            }
        }
    }
    Ok(())
}
