//! Phones and SIMs (specification B6): how many numbers each kind of person runs at once, how
//! long a SIM lives, whether the handset is kept when the SIM changes, and which countries' SIMs
//! they carry. Every number matches its country's mobile numbering plan; every IMEI carries its
//! Luhn check digit; IMSIs start with the operator's country code.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::Config;
use crate::rng::stream;
use crate::world::{Kind, Phone, World};

/// Mobile numbering of a country: country calling code, national mobile prefixes, digits after
/// the prefix, and the mobile country code of its IMSIs.
pub struct Plan {
    pub country: &'static str,
    pub calling_code: u64,
    pub prefixes: &'static [u64],
    pub digits: u32,
    pub mcc: u64,
}

/// The numbering plans the scenario's SIMs come from (national significant numbers only; the
/// prefixes are ranges assigned to mobile operators).
pub const PLANS: &[Plan] = &[
    Plan {
        country: "RS",
        calling_code: 381,
        prefixes: &[60, 61, 62, 63, 64, 65, 66, 69],
        digits: 7,
        mcc: 220,
    },
    Plan {
        country: "MK",
        calling_code: 389,
        prefixes: &[70, 71, 72, 75, 76, 77, 78],
        digits: 6,
        mcc: 294,
    },
    Plan {
        country: "AL",
        calling_code: 355,
        prefixes: &[69],
        digits: 7,
        mcc: 276,
    },
    Plan {
        country: "XK",
        calling_code: 383,
        prefixes: &[44, 45, 49],
        digits: 6,
        mcc: 221,
    },
    Plan {
        country: "BA",
        calling_code: 387,
        prefixes: &[61, 62, 63, 65, 66],
        digits: 6,
        mcc: 218,
    },
    Plan {
        country: "BG",
        calling_code: 359,
        prefixes: &[87, 88, 89],
        digits: 7,
        mcc: 284,
    },
    Plan {
        country: "GR",
        calling_code: 30,
        prefixes: &[690, 693, 694, 695, 697, 698, 699],
        digits: 7,
        mcc: 202,
    },
    Plan {
        country: "TR",
        calling_code: 90,
        prefixes: &[
            530, 532, 533, 535, 536, 541, 542, 543, 544, 545, 505, 506, 507,
        ],
        digits: 7,
        mcc: 286,
    },
    Plan {
        country: "GB",
        calling_code: 44,
        prefixes: &[7400, 7500, 7800, 7900, 7450, 7550],
        digits: 6,
        mcc: 234,
    },
    Plan {
        country: "DE",
        calling_code: 49,
        prefixes: &[160, 162, 170, 171, 172, 173, 174, 175, 176],
        digits: 7,
        mcc: 262,
    },
    Plan {
        country: "FR",
        calling_code: 33,
        prefixes: &[61, 62, 63, 64, 65, 66, 67, 68, 75, 76, 77, 78],
        digits: 7,
        mcc: 208,
    },
    Plan {
        country: "IQ",
        calling_code: 964,
        prefixes: &[750, 751, 770, 771, 780, 781],
        digits: 7,
        mcc: 418,
    },
    Plan {
        country: "AF",
        calling_code: 93,
        prefixes: &[70, 72, 77, 78, 79],
        digits: 7,
        mcc: 412,
    },
    Plan {
        country: "SY",
        calling_code: 963,
        prefixes: &[93, 94, 95, 96, 98, 99],
        digits: 7,
        mcc: 417,
    },
    Plan {
        country: "PK",
        calling_code: 92,
        prefixes: &[300, 301, 303, 311, 321, 333, 345],
        digits: 7,
        mcc: 410,
    },
    Plan {
        country: "IR",
        calling_code: 98,
        prefixes: &[912, 913, 919, 935, 936, 939],
        digits: 7,
        mcc: 432,
    },
    Plan {
        country: "MA",
        calling_code: 212,
        prefixes: &[61, 62, 66, 67],
        digits: 7,
        mcc: 604,
    },
    Plan {
        country: "HU",
        calling_code: 36,
        prefixes: &[20, 30, 70],
        digits: 7,
        mcc: 216,
    },
    Plan {
        country: "AT",
        calling_code: 43,
        prefixes: &[664, 676, 699],
        digits: 7,
        mcc: 232,
    },
];

/// The plan of `country`, if the scenario has one.
pub fn plan(country: &str) -> Option<&'static Plan> {
    PLANS.iter().find(|p| p.country == country)
}

/// A mobile number of `country`, as E.164 digits (no plus).
pub fn msisdn(rng: &mut impl Rng, country: &str) -> u64 {
    let plan = plan(country)
        .or_else(|| plan("RS"))
        .expect("RS numbering plan");
    let prefix = plan.prefixes[rng.random_range(0..plan.prefixes.len())];
    let subscriber = rng.random_range(10u64.pow(plan.digits - 1)..10u64.pow(plan.digits));
    let national = prefix * 10u64.pow(plan.digits) + subscriber;
    let national_digits = national.ilog10() + 1;
    plan.calling_code * 10u64.pow(national_digits) + national
}

/// The Luhn check digit of the 14 digits of `body`.
pub fn luhn_digit(body: u64) -> u64 {
    let mut sum = 0;
    let mut n = body;
    // From the rightmost body digit, which is doubled (the check digit will sit right of it).
    let mut double = true;
    while n > 0 {
        let mut d = n % 10;
        if double {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
        double = !double;
        n /= 10;
    }
    (10 - sum % 10) % 10
}

/// A 15-digit IMEI: an 8-digit type allocation code, a 6-digit serial, the Luhn digit.
pub fn imei(rng: &mut impl Rng) -> u64 {
    const TACS: [u64; 6] = [
        35_332_011, 35_875_607, 86_753_104, 35_391_810, 35_699_011, 86_891_203,
    ];
    let body = TACS[rng.random_range(0..TACS.len())] * 1_000_000 + rng.random_range(0..1_000_000);
    body * 10 + luhn_digit(body)
}

/// A 15-digit IMSI on a network of `country`.
fn imsi(rng: &mut impl Rng, country: &str) -> u64 {
    let mcc = plan(country).map_or(220, |p| p.mcc);
    let mnc = rng.random_range(1..100u64);
    (mcc * 100 + mnc) * 10_000_000_000 + rng.random_range(0..10_000_000_000)
}

/// Concurrent numbers, median SIM lifetime (days), chance the handset is kept on a SIM swap and
/// foreign SIM countries, by role (B6).
struct Habit {
    numbers: (u32, u32),
    lifetime_days: f64,
    keep_handset: f64,
    foreign: &'static [&'static str],
}

fn habit(role: &str) -> Habit {
    match role {
        "ORGANISER" => Habit {
            numbers: (3, 6),
            lifetime_days: 30.0,
            keep_handset: 0.7,
            foreign: &["TR", "GB", "DE", "IQ"],
        },
        "COORDINATOR" => Habit {
            numbers: (2, 3),
            lifetime_days: 45.0,
            keep_handset: 0.7,
            foreign: &["RS", "MK", "BG"],
        },
        "RECRUITER" => Habit {
            numbers: (1, 3),
            lifetime_days: 30.0,
            keep_handset: 0.6,
            foreign: &[],
        },
        "HAWALADAR" | "MTO_AGENT" => Habit {
            numbers: (2, 2),
            lifetime_days: 365.0,
            keep_handset: 0.9,
            foreign: &[],
        },
        "PAYER" => Habit {
            numbers: (1, 1),
            lifetime_days: 730.0,
            keep_handset: 1.0,
            foreign: &[],
        },
        _ => Habit {
            numbers: (1, 2),
            lifetime_days: 60.0,
            keep_handset: 0.5,
            foreign: &[],
        },
    }
}

/// A SIM lifetime in days: lognormal around the habit's median (σ 0.5).
fn lifetime(rng: &mut ChaCha8Rng, median: f64) -> u32 {
    (crate::rng::lognormal(rng, median, 0.5).round() as u32).max(3)
}

/// Gives every person the phones of their habits, person by person, so that each person's
/// phones are contiguous in `world.phones`.
pub(crate) fn assign(config: &Config, world: &mut World) {
    let mut rng = stream(config.seed, "world/phones");
    let last = config.days.saturating_sub(1);
    // Each person's main role, and a migrant's journey (index) if any.
    let mut role: Vec<&'static str> = world
        .persons
        .iter()
        .map(|p| match p.kind {
            Kind::Payer => "PAYER",
            Kind::Hawaladar => "HAWALADAR",
            _ => "",
        })
        .collect();
    for m in &world.memberships {
        if role[m.person].is_empty() {
            role[m.person] = m.role;
        }
    }
    let mut journey_of: Vec<u32> = vec![u32::MAX; world.persons.len()];
    for (j, journey) in world.journeys.iter().enumerate() {
        journey_of[journey.migrant as usize] = j as u32;
    }
    let catalog = crate::catalog::Catalog::get();
    world.phone_start.clear();
    world.phone_start.reserve(world.persons.len() + 1);
    for p in 0..world.persons.len() {
        world.phone_start.push(world.phones.len() as u32);
        let person = &world.persons[p];
        let holder = p as u32;
        if person.kind == Kind::Migrant && journey_of[p] != u32::MAX {
            // One handset all the way; the SIM from home, and a local SIM bought in four of ten
            // countries passed.
            let j = &world.journeys[journey_of[p] as usize];
            let handset = imei(&mut rng);
            let home = person.home;
            world.phones.push(Phone {
                msisdn: msisdn(&mut rng, home),
                imsi: imsi(&mut rng, home),
                imei: handset,
                holder,
                from: 0,
                to: last,
            });
            let route = &catalog.routes[j.route as usize];
            let span = j.end.saturating_sub(j.start).max(1);
            let mut seen: Vec<&str> = Vec::new();
            for (k, leg) in route.legs.iter().enumerate() {
                let Some(place) = catalog.place(leg.to) else {
                    continue;
                };
                if seen.contains(&place.country) || plan(place.country).is_none() {
                    continue;
                }
                seen.push(place.country);
                if rng.random_bool(0.4) {
                    let from = j.start + span * k as u32 / route.legs.len() as u32;
                    world.phones.push(Phone {
                        msisdn: msisdn(&mut rng, place.country),
                        imsi: imsi(&mut rng, place.country),
                        imei: handset,
                        holder,
                        from: from.min(last),
                        to: last,
                    });
                }
            }
            continue;
        }
        let h = habit(if role[p].is_empty() {
            "DRIVER"
        } else {
            role[p]
        });
        let lines = rng.random_range(h.numbers.0..=h.numbers.1);
        for line in 0..lines {
            let country = if line > 0 && !h.foreign.is_empty() {
                h.foreign[rng.random_range(0..h.foreign.len())]
            } else {
                person.home
            };
            let mut handset = imei(&mut rng);
            let mut day = 0;
            while day <= last {
                let life = lifetime(&mut rng, h.lifetime_days);
                world.phones.push(Phone {
                    msisdn: msisdn(&mut rng, country),
                    imsi: imsi(&mut rng, country),
                    imei: handset,
                    holder,
                    from: day,
                    to: (day + life - 1).min(last),
                });
                day += life;
                if !rng.random_bool(h.keep_handset) {
                    handset = imei(&mut rng);
                }
            }
        }
    }
    world.phone_start.push(world.phones.len() as u32);
}

/// Two smugglers who pass one SIM between them (a hard case for resolution): the second holder
/// takes over the first's number for the rest of the window.
pub(crate) fn pass_sims(config: &Config, world: &mut World) -> Vec<(usize, usize)> {
    let mut rng = stream(config.seed, "world/phones/passed");
    let mut passed = Vec::new();
    let drivers: Vec<usize> = world
        .memberships
        .iter()
        .filter(|m| m.role == "DRIVER")
        .map(|m| m.person)
        .collect();
    for pair in drivers.chunks(2).step_by(5) {
        let [a, b] = *pair else {
            continue;
        };
        let (Some(&a_at), Some(&b_at)) = (world.phone_start.get(a), world.phone_start.get(b))
        else {
            continue;
        };
        let (a_at, b_at) = (a_at as usize, b_at as usize);
        if a_at >= world.phones.len() || b_at >= world.phones.len() {
            continue;
        }
        let first = world.phones[a_at];
        if first.holder as usize != a
            || world.phones[b_at].holder as usize != b
            || first.to <= first.from + 1
        {
            continue;
        }
        // The first holder hands the SIM over on `day`; the second keeps it to its end.
        let day = rng.random_range(first.from + 1..=first.to);
        world.phones[a_at].to = day - 1;
        let slot = &mut world.phones[b_at];
        slot.msisdn = first.msisdn;
        slot.imsi = first.imsi;
        slot.from = day;
        slot.to = first.to;
        passed.push((a, b));
    }
    passed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imeis_carry_their_luhn_digit() {
        // A published example: 49015420323751 has check digit 8.
        assert_eq!(luhn_digit(49_015_420_323_751), 8);
        let mut rng = stream(3, "test/imei");
        for _ in 0..1000 {
            let i = imei(&mut rng);
            assert_eq!(i.ilog10() + 1, 15);
            assert_eq!(luhn_digit(i / 10), i % 10);
        }
    }
}
