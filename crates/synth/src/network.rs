//! The networks of the world (specification B3): organiser networks that sell journeys, local
//! cells that provide legs in one zone, Channel networks that run the boats, document networks
//! and money services — with their members, chains of command, joint ventures, churn and arrests.
//! Role ranges are data (`data/networks.tsv`); this module only applies the size rule.

use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand_chacha::ChaCha8Rng;

use crate::Config;
use crate::catalog::{Catalog, RoleRange};
use crate::rng::{stream, weighted};
use crate::world::{Arrest, Company, Kind, Membership, Network, World, vehicle};

/// Largest core size the size rule gives, and largest driver count of one cell.
pub const CORE_SIZE_MAX: u32 = 60;
pub const DRIVERS_MAX: u32 = 40;
const CORE_SIZE_MIN: u32 = 5;
/// Median and log-scale spread of the core size (lognormal).
const CORE_SIZE_MEDIAN: f64 = 12.0;
const CORE_SIZE_SIGMA: f64 = 0.6;
/// Chance that a member who can be replaced leaves in a quarter, and that a leaver is arrested.
pub const CHURN_PER_QUARTER: f64 = 0.15;
const ARREST_SHARE_OF_LEAVERS: f64 = 0.5;

/// The zones local cells work in: name, country, base places.
pub const ZONES: &[(&str, &str, &[&str])] = &[
    ("MK-north", "MK", &["KUM", "VAK", "TAB"]),
    ("RS-north", "RS", &["SUB", "HOR", "KEL"]),
    ("AL-south", "AL", &["KAK", "KPS", "TIR"]),
    ("XK-Vermica", "XK", &["VER", "PRN"]),
    ("MK-south", "MK", &["GEV", "BOG"]),
    ("RS-Drina", "RS", &["LJU", "BEG"]),
    ("BA-Una-Sana", "BA", &["BIH", "VKL"]),
    ("BG", "BG", &["SOF", "KAP"]),
];

/// Cities of the money services and the name group of their brokers.
const MONEY_CITIES: &[(&str, &str, &str)] = &[
    ("IST", "TR", "TR"),
    ("ERB", "IQ", "IQ"),
    ("KBL", "AF", "AF"),
    ("BEG", "RS", "RS"),
    ("RAN", "IQ", "IQ"),
    ("TIR", "AL", "AL"),
];

/// Nationalities of organiser networks (the migrants' own), with weights.
const ORGANISER_GROUPS: &[(&str, f64)] = &[
    ("SY", 0.25),
    ("AF", 0.25),
    ("IQ", 0.2),
    ("TR", 0.1),
    ("MA", 0.1),
    ("PK", 0.1),
];

/// How many networks of each type the scenario has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkCounts {
    pub organiser: u32,
    pub cell: u32,
    pub channel: u32,
    pub doc: u32,
    pub money: u32,
}

/// Draws a core size by the size rule: lognormal(median 12, σ 0.6) clipped to [5, 60].
pub fn core_size(rng: &mut impl Rng) -> u32 {
    let n = crate::rng::lognormal(rng, CORE_SIZE_MEDIAN, CORE_SIZE_SIGMA).round();
    (n as u32).clamp(CORE_SIZE_MIN, CORE_SIZE_MAX)
}

/// Role counts for a core of `n`: every role at its minimum, the rest spread in proportion to
/// (max - min); only DRIVER may go past its max, up to [`DRIVERS_MAX`].
pub fn role_counts(ranges: &[RoleRange], n: u32) -> Vec<u32> {
    let mins: u32 = ranges.iter().map(|r| r.min).sum();
    let spread: u32 = ranges.iter().map(|r| r.max - r.min).sum();
    let extra = n.saturating_sub(mins);
    let mut counts: Vec<u32> = ranges
        .iter()
        .map(|r| {
            let share = (extra * (r.max - r.min)).checked_div(spread).unwrap_or(0);
            r.min + share.min(r.max - r.min)
        })
        .collect();
    let placed: u32 = counts.iter().sum();
    let left = (mins + extra).saturating_sub(placed);
    if let Some(i) = ranges.iter().position(|r| r.role == "DRIVER") {
        counts[i] = (counts[i] + left).min(DRIVERS_MAX.max(ranges[i].max));
    }
    counts
}

/// Local name group of a cell's country.
fn local_group(country: &str) -> &'static str {
    match country {
        "RS" | "BA" => "RS",
        "MK" | "BG" => "MK",
        "XK" => "XK",
        _ => "AL",
    }
}

/// Everything the member loop needs about the network it fills.
struct Filling {
    network: usize,
    kind: &'static str,
    /// Group of each new member, by role.
    group: fn(&mut ChaCha8Rng, &Network, &str, usize) -> &'static str,
}

/// Creates the networks of `config`, their members, vans, front companies, churn and arrests.
pub(crate) fn organise(config: &Config, world: &mut World) {
    let mut rng = stream(config.seed, "world/networks");
    let counts = config.networks;
    let catalog = Catalog::get();
    let add_network = |world: &mut World,
                       prefix: &str,
                       kind: &'static str,
                       structure: &'static str,
                       bases: Vec<&'static str>,
                       country: &'static str,
                       group: &'static str| {
        let n = world.networks.iter().filter(|x| x.kind == kind).count();
        world.networks.push(Network {
            id: format!("N-{prefix}-{:03}", n + 1),
            kind,
            structure,
            bases,
            country,
            group,
            partners: Vec::new(),
            also: "",
        });
        world.networks.len() - 1
    };
    for _ in 0..counts.organiser {
        let group = weighted(&mut rng, ORGANISER_GROUPS);
        let hub = ["BEG", "THE", "SOF"][rng.random_range(0..3)];
        add_network(
            world,
            "ORG",
            "ORGANISER_NET",
            "hierarchical",
            vec!["IST", hub],
            "TR",
            group,
        );
    }
    for i in 0..counts.cell {
        let (_, country, bases) = ZONES[i as usize % ZONES.len()];
        let group = local_group(country);
        add_network(
            world,
            "CELL",
            "LOCAL_CELL",
            "cell",
            bases.to_vec(),
            country,
            group,
        );
    }
    for _ in 0..counts.channel {
        add_network(
            world,
            "CHN",
            "CHANNEL_NET",
            "hierarchical",
            vec!["DUN", "CAL"],
            "FR",
            "IQ",
        );
    }
    for _ in 0..counts.doc {
        let (country, base) = if rng.random_bool(0.5) {
            ("AL", "TIR")
        } else {
            ("MK", "KUM")
        };
        add_network(
            world,
            "DOC",
            "DOC_NET",
            "hierarchical",
            vec![base],
            country,
            local_group(country),
        );
    }
    for i in 0..counts.money {
        let (city, country, group) = MONEY_CITIES[i as usize % MONEY_CITIES.len()];
        add_network(
            world,
            "HWL",
            "MONEY_SERVICE",
            "loose",
            vec![city],
            country,
            group,
        );
    }
    // Joint ventures: every cell serves at least one organiser; each organiser buys legs from
    // two to five cells, no cell serving more than four.
    let orgs: Vec<usize> = kinds(world, "ORGANISER_NET");
    let cells: Vec<usize> = kinds(world, "LOCAL_CELL");
    if !orgs.is_empty() {
        for (i, &c) in cells.iter().enumerate() {
            link(world, orgs[i % orgs.len()], c);
        }
        for &o in &orgs {
            let want = rng.random_range(2..=5usize).min(cells.len());
            let mut order = cells.clone();
            order.shuffle(&mut rng);
            for c in order {
                if world.networks[o].partners.len() >= want {
                    break;
                }
                if world.networks[c].partners.len() < 4 {
                    link(world, o, c);
                }
            }
        }
    }
    // Poly-criminality: one network in three is also in other crime.
    for n in world.networks.iter_mut() {
        if n.kind != "MONEY_SERVICE" && rng.random_bool(1.0 / 3.0) {
            n.also = ["drugs", "weapons", "documents"][rng.random_range(0..3)];
        }
    }
    // Members, network by network in creation order.
    for network in 0..world.networks.len() {
        let kind = world.networks[network].kind;
        let ranges: Vec<RoleRange> = catalog.roles_of(kind).cloned().collect();
        let mut counts = if kind == "MONEY_SERVICE" {
            ranges
                .iter()
                .map(|r| rng.random_range(r.min..=r.max))
                .collect()
        } else {
            role_counts(&ranges, core_size(&mut rng))
        };
        for (r, count) in ranges.iter().zip(counts.iter_mut()) {
            match (kind, r.role) {
                // Two kin leaders (father and son, brothers) in three cells of ten.
                ("LOCAL_CELL", "LEADER") => *count = 1 + u32::from(rng.random_bool(0.3)),
                ("LOCAL_CELL", "CORRUPT_OFFICIAL") => *count = u32::from(rng.random_bool(0.2)),
                ("LOCAL_CELL", "ENFORCER") => {
                    let zone_armed = world.networks[network]
                        .bases
                        .iter()
                        .any(|b| ["SUB", "HOR", "KEL", "VER"].contains(b));
                    if !zone_armed {
                        *count = 0;
                    }
                }
                // One coordinator per country of operation at least.
                ("ORGANISER_NET", "COORDINATOR") => {
                    let countries = partner_countries(world, network).len() as u32;
                    *count = (*count).max(countries.min(r.max));
                }
                _ => {}
            }
        }
        let filling = Filling {
            network,
            kind,
            group: member_group,
        };
        fill(config, world, &mut rng, &filling, &ranges, &counts);
    }
    churn(config, world, &mut rng);
    fronts(world, &mut rng);
    aliases(config, world);
}

/// Smugglers go by one or two aliases: other given names of their name group.
fn aliases(config: &Config, world: &mut World) {
    let mut rng = stream(config.seed, "world/aliases");
    let catalog = Catalog::get();
    for (i, p) in world.persons.iter().enumerate() {
        if p.kind != Kind::Smuggler {
            continue;
        }
        let group = if p.group == "XK" { "AL" } else { p.group };
        let pool: Vec<usize> = catalog
            .names_of(group, crate::catalog::Part::Given)
            .into_iter()
            .filter(|&n| !catalog.names[n].female && n != p.given)
            .collect();
        for _ in 0..rng.random_range(1..=2) {
            if let Some(&n) = pool.choose(&mut rng) {
                world.aliases.push((i as u32, n as u32));
            }
        }
    }
    world.aliases.sort_unstable();
    world.aliases.dedup();
}

fn kinds(world: &World, kind: &str) -> Vec<usize> {
    (0..world.networks.len())
        .filter(|&i| world.networks[i].kind == kind)
        .collect()
}

fn link(world: &mut World, a: usize, b: usize) {
    if !world.networks[a].partners.contains(&b) {
        world.networks[a].partners.push(b);
        world.networks[b].partners.push(a);
    }
}

/// Countries of the cells an organiser network works with, in partner order, without repeats.
fn partner_countries(world: &World, network: usize) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for &p in &world.networks[network].partners {
        let c = world.networks[p].country;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// The name group of the `k`-th member in `role`: organisers, recruiters and collectors are the
/// migrants' co-nationals; the cells are 70% local, 30% ex-migrant co-nationals.
fn member_group(rng: &mut ChaCha8Rng, network: &Network, role: &str, _k: usize) -> &'static str {
    match (network.kind, role) {
        ("LOCAL_CELL", _) if rng.random_bool(0.3) => {
            ["AF", "MA", "SY", "PK"][rng.random_range(0..4)]
        }
        ("CHANNEL_NET", "BOAT_SUPPLIER") => "TR",
        _ => network.group,
    }
}

fn fill(
    config: &Config,
    world: &mut World,
    rng: &mut ChaCha8Rng,
    filling: &Filling,
    ranges: &[RoleRange],
    counts: &[u32],
) {
    let network = filling.network;
    let last_day = config.days.saturating_sub(1);
    // Members of each role so far, to pick whom a new member reports to.
    let mut by_role: Vec<(&'static str, Vec<usize>)> = Vec::new();
    let countries = partner_countries(world, network);
    for (r, &count) in ranges.iter().zip(counts) {
        let mut holders: Vec<usize> = Vec::new();
        for k in 0..count as usize {
            let net = &world.networks[network];
            let mut group = (filling.group)(rng, net, r.role, k);
            // Coordinators are locals of the country they coordinate.
            if r.role == "COORDINATOR"
                && filling.kind == "ORGANISER_NET"
                && let Some(c) = countries.get(k)
            {
                group = local_group(c);
            }
            let kind = if filling.kind == "MONEY_SERVICE" {
                Kind::Hawaladar
            } else {
                Kind::Smuggler
            };
            let person = world.add_person(rng, kind, group);
            // The Channel networks' organisers live in Britain, their coordinators in France.
            if filling.kind == "CHANNEL_NET" {
                match r.role {
                    "ORGANISER" => world.persons[person].home = "GB",
                    "COORDINATOR" => world.persons[person].home = "FR",
                    _ => {}
                }
            }
            // A second cell leader is kin of the first: same family name.
            if r.role == "LEADER" && k > 0 {
                let first = holders[0];
                world.persons[person].family = world.persons[first].family;
                world.persons[person].group = world.persons[first].group;
            }
            let reports_to = match r.reports_to {
                Some(boss) => by_role
                    .iter()
                    .find(|(role, _)| *role == boss)
                    .and_then(|(_, holders)| holders.get(k % holders.len().max(1)).copied()),
                None if r.role == "LEADER" && k > 0 => holders.first().copied(),
                None => superior_outside(world, network),
            };
            world.memberships.push(Membership {
                person,
                network,
                role: r.role,
                from: 0,
                to: last_day,
                reports_to,
            });
            if r.role == "DRIVER" && filling.kind == "LOCAL_CELL" {
                let country = world.networks[network].country;
                let v = vehicle(rng, world, country, person, config.days);
                world.vehicles.push(v);
            }
            holders.push(person);
        }
        by_role.push((r.role, holders));
    }
}

/// Whom a cell's leader answers to: the coordinator, for the cell's country, of an organiser
/// network the cell works with (or that network's organiser).
fn superior_outside(world: &World, network: usize) -> Option<usize> {
    let net = &world.networks[network];
    if net.kind != "LOCAL_CELL" {
        return None;
    }
    let org = *net.partners.first()?;
    let mut coordinator = None;
    let mut organiser = None;
    for m in world.memberships.iter().filter(|m| m.network == org) {
        if m.role == "COORDINATOR"
            && coordinator.is_none()
            && crate::world::nationality_of(world.persons[m.person].group).1 == net.country
        {
            coordinator = Some(m.person);
        }
        if m.role == "ORGANISER" && organiser.is_none() {
            organiser = Some(m.person);
        }
    }
    coordinator.or(organiser)
}

/// Members in roles nobody reports to leave with [`CHURN_PER_QUARTER`] a quarter, half of them
/// arrested, and are replaced the same day by a new person in the same role.
fn churn(config: &Config, world: &mut World, rng: &mut ChaCha8Rng) {
    let catalog = Catalog::get();
    let bosses: Vec<(&str, &str)> = catalog
        .roles
        .iter()
        .filter_map(|r| r.reports_to.map(|b| (r.network, b)))
        .collect();
    let quarters = config.days.div_ceil(91);
    let mut i = 0;
    // Replacements are appended and churn in later quarters too; the loop ends because each
    // membership's interval only shrinks and starts later than the one it replaced.
    while i < world.memberships.len() {
        let m = world.memberships[i].clone();
        let kind = world.networks[m.network].kind;
        let is_boss = bosses.iter().any(|(k, b)| *k == kind && *b == m.role)
            || (kind == "LOCAL_CELL" && m.role == "LEADER");
        if is_boss || kind == "MONEY_SERVICE" {
            i += 1;
            continue;
        }
        let first_quarter = m.from / 91;
        for q in first_quarter..quarters {
            if !rng.random_bool(CHURN_PER_QUARTER) {
                continue;
            }
            let lo = (q * 91).max(m.from + 1);
            let hi = ((q + 1) * 91).min(config.days);
            if lo >= hi {
                continue;
            }
            let day = rng.random_range(lo..hi);
            world.memberships[i].to = day - 1;
            let net = &world.networks[m.network];
            if rng.random_bool(ARREST_SHARE_OF_LEAVERS) {
                world.arrests.push(Arrest {
                    id: format!("R{:06}", world.arrests.len() + 1),
                    person: m.person,
                    network: m.network,
                    day,
                    place: net.bases.first().copied().unwrap_or("BEG"),
                    country: net.country,
                });
            }
            let group = world.persons[m.person].group;
            let replacement = world.add_person(rng, Kind::Smuggler, group);
            world.memberships.push(Membership {
                person: replacement,
                network: m.network,
                role: m.role,
                from: day,
                to: config.days.saturating_sub(1),
                reports_to: m.reports_to,
            });
            if m.role == "DRIVER" && kind == "LOCAL_CELL" {
                let country = world.networks[m.network].country;
                let v = vehicle(rng, world, country, replacement, config.days);
                world.vehicles.push(v);
            }
            break;
        }
        i += 1;
    }
}

/// Each organiser network launders through two or three front businesses owned by its organiser
/// or a coordinator.
fn fronts(world: &mut World, rng: &mut ChaCha8Rng) {
    const KINDS: &[&str] = &[
        "travel agency",
        "transport firm",
        "car dealer",
        "minimarket",
        "construction",
        "FX office",
    ];
    const COUNTRIES: &[&str] = &["RS", "MK", "AL", "XK", "TR"];
    for network in kinds(world, "ORGANISER_NET") {
        let owners: Vec<usize> = world
            .memberships
            .iter()
            .filter(|m| m.network == network && (m.role == "ORGANISER" || m.role == "COORDINATOR"))
            .map(|m| m.person)
            .collect();
        // The first front is in Albania, where the networks' money is invested.
        for k in 0..rng.random_range(2..=3) {
            let Some(&owner) = owners.choose(rng) else {
                continue;
            };
            let kind = KINDS.choose(rng).copied().unwrap_or("minimarket");
            let country = if k == 0 {
                "AL"
            } else {
                COUNTRIES.choose(rng).copied().unwrap_or("RS")
            };
            let n = world.companies.len() + 1;
            world.companies.push(Company {
                id: format!("C{n:05}"),
                name: format!("{} {n:03}", kind_name(kind, country)),
                kind,
                country,
                owner,
                network,
            });
        }
    }
}

/// The trading name of a front business in the local language.
fn kind_name(kind: &str, country: &str) -> &'static str {
    match (kind, country) {
        ("travel agency", "RS") => "Turistička agencija Putnik",
        ("travel agency", "TR") => "Seyahat Acentesi",
        ("travel agency", _) => "Agjencia Udhëtimi",
        ("transport firm", "RS") => "Prevoz DOO",
        ("transport firm", "MK") => "Транспорт ДООЕЛ",
        ("transport firm", _) => "Transport SHPK",
        ("car dealer", "TR") => "Oto Galeri",
        ("car dealer", _) => "Auto Plac",
        ("minimarket", "AL" | "XK") => "Market Ylli",
        ("minimarket", _) => "Market Centar",
        ("construction", _) => "Gradnja DOO",
        _ => "Menjačnica",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_size_rule_has_its_median_and_bounds() {
        let mut rng = stream(1, "test/size");
        let mut sizes: Vec<u32> = (0..20_000).map(|_| core_size(&mut rng)).collect();
        sizes.sort_unstable();
        let median = sizes[sizes.len() / 2];
        assert!((11..=13).contains(&median), "median {median}");
        assert!(sizes[0] >= CORE_SIZE_MIN && sizes[sizes.len() - 1] <= CORE_SIZE_MAX);
    }

    #[test]
    fn role_counts_fill_minimums_and_spread_the_rest() {
        let ranges: Vec<RoleRange> = Catalog::get().roles_of("LOCAL_CELL").cloned().collect();
        for n in [5, 12, 30, 60] {
            let counts = role_counts(&ranges, n);
            for (r, c) in ranges.iter().zip(&counts) {
                assert!(*c >= r.min, "{} {c}", r.role);
                if r.role != "DRIVER" {
                    assert!(*c <= r.max, "{} {c}", r.role);
                }
            }
            let mins: u32 = ranges.iter().map(|r| r.min).sum();
            let total: u32 = counts.iter().sum();
            // Only the driver cap can leave a core short of its drawn size.
            assert!(total <= n.max(mins), "n={n} total={total}");
            if n <= 30 {
                assert_eq!(total, n.max(mins), "n={n}");
            }
        }
    }
}
