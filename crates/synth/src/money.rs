//! The money: payments for the journeys through hawala escrow, the smuggling network's
//! collection, payroll and laundering, and the legitimate background they hide in. Written as
//! the ledger (`ledger/transactions.csv`: id, timestamp, from account, to account, amount,
//! currency, channel) with every illicit transaction labelled in `truth/transactions_truth.csv`.
//!
//! The background is generated and written in a stream, never held in memory, so the `bench`
//! preset's hundred million transactions cost no more memory than `demo`'s twenty thousand.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::Config;
use crate::rng::{civil, stream};
use crate::world::{Journey, World};

/// Reporting threshold for cash transactions in Serbia (CTR), in EUR: structuring stays under it.
pub const CTR_THRESHOLD_EUR: u32 = 15_000;

/// An account in the ledger, packed into a word: its kind in the high byte and, below, the index
/// of the person or company that holds it (or a serial for accounts nobody in the world holds).
/// Packed because the `bench` preset holds millions of journey payments in memory at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Acct(u64);

impl Acct {
    /// Cash in hand: a person's, recorded when it changes hands.
    pub const CASH: u8 = 1;
    /// A money-transfer operator's customer record.
    pub const MTO: u8 = 2;
    /// A bank account (an IBAN where the country has them).
    pub const BANK: u8 = 3;
    /// A person's crypto wallet.
    pub const WALLET: u8 = 4;
    /// A hawaladar's book.
    pub const HAWALA: u8 = 5;
    /// A company's bank account.
    pub const COMPANY: u8 = 6;
    /// An intermediate wallet of a crypto cash-out chain (serial).
    pub const HOP: u8 = 7;
    /// A crypto exchange's desk in Turkey or the Emirates (serial).
    pub const EXCHANGE: u8 = 8;
    /// The seller of a flat or a car bought with laundered money (serial).
    pub const SELLER: u8 = 9;
    /// A trading counterpart abroad that receives over-invoiced payments (serial).
    pub const TRADER: u8 = 10;

    pub fn new(kind: u8, index: usize) -> Acct {
        debug_assert!(index < 1 << 56);
        Acct((u64::from(kind) << 56) | index as u64)
    }

    pub fn kind(self) -> u8 {
        (self.0 >> 56) as u8
    }

    pub fn index(self) -> usize {
        (self.0 & ((1 << 56) - 1)) as usize
    }

    /// The kind's name in `truth/accounts.csv`.
    pub fn kind_name(self) -> &'static str {
        match self.kind() {
            Acct::CASH => "cash",
            Acct::MTO => "mto_customer",
            Acct::BANK => "bank",
            Acct::WALLET => "crypto_wallet",
            Acct::HAWALA => "hawala_ledger",
            Acct::COMPANY => "bank",
            Acct::HOP => "crypto_wallet",
            Acct::EXCHANGE => "crypto_exchange",
            Acct::TRADER => "company_bank",
            _ => "bank",
        }
    }
}

/// Channels of the ledger, typologies and stages of the truth, indexed by the bytes of [`Tx`].
pub const CHANNELS: [&str; 5] = ["cash", "bank", "mto", "hawala", "crypto"];
pub const TYPOLOGIES: [&str; 20] = [
    "HAWALA_ESCROW",
    "CASH_COLLECTION",
    "MTO_FAN_IN",
    "BANK_PAYMENT",
    "CRYPTO_CASHOUT",
    "FAN_OUT_PAYROLL",
    "HAWALA_SETTLEMENT",
    "STRUCTURING",
    "FRONT_BUSINESS",
    "CYCLE",
    "REAL_ESTATE",
    "VEHICLE_PURCHASE",
    "SMURFING",
    "CASH_COURIER",
    "TBML",
    "SCATTER_GATHER",
    "GATHER_SCATTER",
    "BIPARTITE",
    "STACK",
    "PRO_LAUNDERER",
];
pub const STAGES: [&str; 5] = [
    "payment",
    "collection",
    "placement",
    "layering",
    "integration",
];
/// Steps of the hawala escrow protocol (B5), empty for other transactions.
pub const STEPS: [&str; 6] = ["", "DEPOSIT", "COMMISSION", "RELEASE", "REFUND", "SETTLE"];

/// Index of `name` in `table` (a build defect if absent, so checked by the tests).
pub fn code(table: &[&str], name: &str) -> u8 {
    let i = table.iter().position(|t| *t == name);
    debug_assert!(i.is_some(), "{name} not in table");
    i.unwrap_or(0) as u8
}

/// A transaction as the ledger holds it, with its truth label; small, because the journeys'
/// payments are held until the ledger is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tx {
    /// Day of the window (at most [`crate::DAYS_MAX`], so 16 bits).
    pub day: u16,
    pub second: u32,
    pub from: Acct,
    pub to: Acct,
    /// Amount in euro cents, to keep sums exact.
    pub cents: u64,
    pub channel: u8,
    pub typology: u8,
    pub stage: u8,
    pub step: u8,
    pub leg: u8,
    /// Journey index + 1, or 0.
    pub journey: u32,
    /// Network index + 1, or 0.
    pub network: u32,
    /// Laundering case number for flows that are not a journey's.
    pub case: u32,
}

impl Tx {
    /// A transaction with no journey, network or case yet.
    pub fn new(day: u32, second: u32, from: Acct, to: Acct, cents: u64) -> Tx {
        debug_assert!(day <= u32::from(u16::MAX));
        Tx {
            day: day.min(u32::from(u16::MAX)) as u16,
            second,
            from,
            to,
            cents,
            channel: 0,
            typology: 0,
            stage: 0,
            step: 0,
            leg: 0,
            journey: 0,
            network: 0,
            case: 0,
        }
    }

    /// Labels: channel, typology, stage names from the tables above.
    pub fn label(mut self, channel: &str, typology: &str, stage: &str) -> Tx {
        self.channel = code(&CHANNELS, channel);
        self.typology = code(&TYPOLOGIES, typology);
        self.stage = code(&STAGES, stage);
        self
    }

    pub fn step(mut self, step: &str) -> Tx {
        self.step = code(&STEPS, step);
        self
    }
}

/// Counts of what was written.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Ledger {
    pub transactions: u64,
    pub illicit: u64,
}

/// A uniform amount in euro cents between `lo` and `hi` euros.
pub fn euros(rng: &mut ChaCha8Rng, lo: u32, hi: u32) -> u64 {
    u64::from(rng.random_range(lo..=hi)) * 100 + u64::from(rng.random_range(0..100u32))
}

/// IBAN layouts (ISO 13616 registry) of the countries whose banks the scenario uses: letters
/// (`a`), digits (`n`) per position group.
fn bban_layout(country: &str) -> Option<&'static [(u8, usize)]> {
    Some(match country {
        "RS" => &[(b'n', 18)],
        "MK" => &[(b'n', 15)],
        "AL" => &[(b'n', 24)],
        "XK" => &[(b'n', 16)],
        "BA" => &[(b'n', 16)],
        "TR" => &[(b'n', 22)],
        "IQ" => &[(b'a', 4), (b'n', 15)],
        "PK" => &[(b'a', 4), (b'n', 16)],
        "GB" => &[(b'a', 4), (b'n', 14)],
        "FR" => &[(b'n', 23)],
        "DE" => &[(b'n', 18)],
        "AT" => &[(b'n', 16)],
        "GR" => &[(b'n', 23)],
        "BG" => &[(b'a', 4), (b'n', 14)],
        "IR" => &[(b'n', 22)],
        _ => return None,
    })
}

/// A valid IBAN of `country` derived from `seed` (mod-97 check digits), or a plain account
/// number where the country has no IBAN.
pub fn iban(country: &str, seed: u64) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5DEE_CE66;
    let mut next = |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    let Some(layout) = bban_layout(country) else {
        return format!("{country}-{:012}", next(1_000_000_000_000));
    };
    let mut bban = String::new();
    for &(class, n) in layout {
        for _ in 0..n {
            if class == b'a' {
                bban.push((b'A' + next(26) as u8) as char);
            } else {
                bban.push((b'0' + next(10) as u8) as char);
            }
        }
    }
    let rearranged = format!("{bban}{country}00");
    let mut remainder = 0u32;
    for c in rearranged.chars() {
        let v = c.to_digit(36).unwrap_or(0);
        remainder = if v >= 10 {
            (remainder * 100 + v) % 97
        } else {
            (remainder * 10 + v) % 97
        };
    }
    format!("{country}{:02}{bban}", 98 - remainder)
}

/// The account's id as the ledger writes it.
pub fn account_id(world: &World, a: Acct) -> String {
    let i = a.index();
    let pid = |i: usize| world.persons.get(i).map_or("P?", |p| p.id.as_str());
    match a.kind() {
        Acct::CASH => format!("CASH-{}", pid(i)),
        Acct::MTO => format!("MTO-{}", pid(i)),
        Acct::BANK => iban(world.persons.get(i).map_or("RS", |p| p.home), i as u64),
        Acct::WALLET => format!(
            "0x{:016x}{:08x}",
            (i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D),
            i
        ),
        Acct::HAWALA => format!("HWL-{}", pid(i)),
        Acct::COMPANY => iban(
            world.companies.get(i).map_or("RS", |c| c.country),
            (1 << 40) + i as u64,
        ),
        Acct::HOP => format!(
            "0x{:016x}{:08x}",
            (i as u64 + 7).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            i
        ),
        Acct::EXCHANGE => format!("EXCH-{}", ["TR-01", "AE-01", "TR-02"][i % 3]),
        Acct::TRADER => iban(["TR", "IQ", "TR", "PK"][i % 4], (3 << 40) + i as u64),
        _ => iban(["AL", "RS", "XK", "MK", "IQ"][i % 5], (2 << 40) + i as u64),
    }
}

/// The holder of an account: a person's or company's id, empty for accounts of nobody the
/// scenario knows.
pub fn account_holder(world: &World, a: Acct) -> &str {
    match a.kind() {
        Acct::CASH | Acct::MTO | Acct::BANK | Acct::WALLET | Acct::HAWALA => {
            world.persons.get(a.index()).map_or("", |p| p.id.as_str())
        }
        Acct::COMPANY => world.companies.get(a.index()).map_or("", |c| c.id.as_str()),
        _ => "",
    }
}

/// The illicit flows other than the journeys' own payments: hawala settlement between brokers,
/// structuring and front-business deposits by the collectors, layering cycles among front
/// companies, and the organisers' purchases. Added to the journeys' payments and sorted by time.
fn illicit(config: &Config, world: &World, mut txs: Vec<Tx>) -> Vec<Tx> {
    let mut rng = stream(config.seed, "money/illicit");
    let hawala = code(&TYPOLOGIES, "HAWALA_ESCROW");
    // What each origin broker came to owe each transit broker, release by release.
    let mut books: std::collections::BTreeMap<(usize, usize), Vec<(u32, u64)>> = Default::default();
    // Cash each collector took in, by network.
    let mut collected: std::collections::BTreeMap<(usize, u32), u64> = Default::default();
    for t in &txs {
        if t.typology == hawala && t.step == code(&STEPS, "RELEASE") {
            // The release is paid by the transit broker; the origin broker who took the
            // deposit (in `case`) owes it.
            books
                .entry((t.case as usize, t.from.index()))
                .or_default()
                .push((u32::from(t.day), t.cents));
        }
        if t.stage == code(&STAGES, "collection") && t.to.kind() == Acct::CASH {
            *collected.entry((t.to.index(), t.network)).or_default() += t.cents;
        }
    }
    let mut case = 0u32;
    // Every two to six weeks, and on the window's last day, the pair settles what has built up
    // since: by cash courier (40%), trade invoice (30%), bank transfers through front companies
    // (20%) or crypto (10%).
    let last_day = config.days.saturating_sub(1);
    for (&(h1, h2), releases) in &mut books {
        releases.sort_unstable();
        case += 1;
        let mut settled = 0u64;
        let mut due = 0u64;
        let mut next = 0;
        let mut day = rng.random_range(14..42).min(last_day);
        loop {
            while next < releases.len() && releases[next].0 <= day {
                due += releases[next].1;
                next += 1;
            }
            if due > settled {
                let channel = match rng.random_range(0..10) {
                    0..4 => "cash",
                    4..9 => "bank",
                    _ => "crypto",
                };
                txs.push(Tx {
                    case,
                    ..Tx::new(
                        day,
                        rng.random_range(0..86_400),
                        Acct::new(Acct::HAWALA, h1),
                        Acct::new(Acct::HAWALA, h2),
                        due - settled,
                    )
                    .label(channel, "HAWALA_SETTLEMENT", "layering")
                    .step("SETTLE")
                });
                settled = due;
            }
            if day >= last_day {
                break;
            }
            day = (day + rng.random_range(14..42)).min(last_day);
        }
    }
    // Each collector banks half of the cash: deposits just under the reporting threshold into
    // its own account, the rest into a front business's takings.
    let fronts_of = |network: u32| -> Vec<usize> {
        (0..world.companies.len())
            .filter(|&c| world.companies[c].network + 1 == network as usize)
            .collect()
    };
    for (&(collector, network), &cash) in &collected {
        case += 1;
        let mut left = cash / 2;
        let mut day = rng.random_range(5..20);
        let fronts = fronts_of(network);
        while left > 0 && day < config.days {
            let structuring = fronts.is_empty() || rng.random_bool(0.6);
            let (to, typology, cents) = if structuring {
                (
                    Acct::new(Acct::BANK, collector),
                    "STRUCTURING",
                    left.min(euros(
                        &mut rng,
                        config.rs_ctr_eur * 8 / 15,
                        config.rs_ctr_eur - 100,
                    )),
                )
            } else {
                let front = fronts[rng.random_range(0..fronts.len())];
                (
                    Acct::new(Acct::COMPANY, front),
                    "FRONT_BUSINESS",
                    left.min(euros(&mut rng, 300, 3_000)),
                )
            };
            txs.push(Tx {
                network,
                case,
                ..Tx::new(
                    day,
                    rng.random_range(0..86_400),
                    Acct::new(Acct::CASH, collector),
                    to,
                    cents,
                )
                .label("cash", typology, "placement")
            });
            left -= cents;
            day += rng.random_range(1..4);
        }
    }
    // Layering through cycles of front companies (all networks' fronts: professional launderers
    // serve several), and integration: each organiser buys a flat and a car.
    let fronts: Vec<usize> = (0..world.companies.len()).collect();
    if fronts.len() >= 2 {
        for round in 0..(config.days / 60).max(1) {
            case += 1;
            let k = rng.random_range(2..=fronts.len().min(5));
            let mut ring: Vec<usize> = fronts.clone();
            rand::seq::SliceRandom::shuffle(ring.as_mut_slice(), &mut rng);
            ring.truncate(k);
            let cents = euros(&mut rng, 20_000, 60_000);
            let start = round * 60 + rng.random_range(0..30);
            for i in 0..k {
                let from = ring[i];
                txs.push(Tx {
                    network: world.companies[from].network as u32 + 1,
                    case,
                    ..Tx::new(
                        start + i as u32,
                        rng.random_range(0..86_400),
                        Acct::new(Acct::COMPANY, from),
                        Acct::new(Acct::COMPANY, ring[(i + 1) % k]),
                        cents - (i as u64) * 15_000,
                    )
                    .label("bank", "CYCLE", "layering")
                });
            }
        }
    }
    layering(config, world, &mut rng, &mut case, &mut txs);
    let mut seller = 0usize;
    for m in world.memberships.iter().filter(|m| m.role == "ORGANISER") {
        for (typology, lo, hi) in [
            ("REAL_ESTATE", 40_000, 250_000),
            ("VEHICLE_PURCHASE", 15_000, 80_000),
        ] {
            case += 1;
            seller += 1;
            let day = rng.random_range(m.from..=m.to.max(m.from));
            txs.push(Tx {
                network: m.network as u32 + 1,
                case,
                ..Tx::new(
                    day,
                    rng.random_range(0..86_400),
                    Acct::new(Acct::BANK, m.person),
                    Acct::new(Acct::SELLER, seller),
                    euros(&mut rng, lo, hi),
                )
                .label("bank", typology, "integration")
            });
        }
    }
    txs.retain(|t| u32::from(t.day) < config.days);
    txs.sort_by_key(|t| (t.day, t.second));
    txs
}

/// The layering typologies of each organiser network (B5): smurfing into members' accounts,
/// cash couriers, over-invoiced trade, and the AMLSim-style shapes among front companies
/// (scatter-gather, gather-scatter, bipartite, stack), and the professional launderer's round
/// trip for a fee. Each quarter, each network runs each typology once.
fn layering(
    config: &Config,
    world: &World,
    rng: &mut ChaCha8Rng,
    case: &mut u32,
    txs: &mut Vec<Tx>,
) {
    let quarters = config.days.div_ceil(91);
    let all_fronts: Vec<usize> = (0..world.companies.len()).collect();
    let mut trader = 0usize;
    let last = config.days.saturating_sub(1);
    for (n, net) in world.networks.iter().enumerate() {
        if net.kind != "ORGANISER_NET" && net.kind != "CHANNEL_NET" {
            continue;
        }
        let network = n as u32 + 1;
        let members: Vec<(&str, usize)> = world
            .memberships
            .iter()
            .filter(|m| m.network == n)
            .map(|m| (m.role, m.person))
            .collect();
        let of_role = |role: &str| -> Vec<usize> {
            members
                .iter()
                .filter(|(r, _)| *r == role)
                .map(|(_, p)| *p)
                .collect()
        };
        let Some(&organiser) = of_role("ORGANISER").first() else {
            continue;
        };
        let mut collectors = of_role("MONEY_COLLECTOR");
        collectors.extend(of_role("COORDINATOR"));
        let smurfs: Vec<usize> = members
            .iter()
            .filter(|(r, _)| matches!(*r, "RECRUITER" | "LOGISTICIAN" | "DRIVER" | "STOREKEEPER"))
            .map(|(_, p)| *p)
            .collect();
        let fronts: Vec<usize> = world
            .companies
            .iter()
            .enumerate()
            .filter(|(_, c)| c.network == n)
            .map(|(i, _)| i)
            .collect();
        let launderer = of_role("PRO_LAUNDERER").first().copied();
        // The time of day comes from the amount and day, so the closure needs no random stream.
        let push = |txs: &mut Vec<Tx>,
                    day: u32,
                    from: Acct,
                    to: Acct,
                    cents: u64,
                    channel: &str,
                    typology: &str,
                    stage: &str,
                    case: u32| {
            if day <= last {
                let second = ((cents ^ u64::from(day).wrapping_mul(2_654_435_761)) % 86_400) as u32;
                txs.push(Tx {
                    network,
                    case,
                    ..Tx::new(day, second, from, to, cents).label(channel, typology, stage)
                });
            }
        };
        for q in 0..quarters {
            let base = q * 91;
            let day = |rng: &mut ChaCha8Rng| base + rng.random_range(0..80);
            // Smurfing: three to eight members deposit under the radar, then forward within
            // a week to the organiser's account.
            if smurfs.len() >= 3 {
                *case += 1;
                let k = rng.random_range(3..=smurfs.len().min(8));
                let start = day(rng);
                for &smurf in smurfs.iter().take(k) {
                    let cents = euros(rng, 1_000, 9_000);
                    let d = start + rng.random_range(0..3);
                    let second = start + rng.random_range(3..8);
                    push(
                        txs,
                        d,
                        Acct::new(Acct::CASH, smurf),
                        Acct::new(Acct::BANK, smurf),
                        cents,
                        "cash",
                        "SMURFING",
                        "placement",
                        *case,
                    );
                    push(
                        txs,
                        second,
                        Acct::new(Acct::BANK, smurf),
                        Acct::new(Acct::BANK, organiser),
                        cents,
                        "bank",
                        "SMURFING",
                        "layering",
                        *case,
                    );
                }
            }
            // A cash courier takes a collector's takings across borders to the organiser.
            if let Some(&collector) = collectors.first() {
                *case += 1;
                let d = day(rng);
                let cents = euros(rng, 20_000, 150_000);
                push(
                    txs,
                    d,
                    Acct::new(Acct::CASH, collector),
                    Acct::new(Acct::CASH, organiser),
                    cents,
                    "cash",
                    "CASH_COURIER",
                    "placement",
                    *case,
                );
            }
            let Some(&front) = fronts.first() else {
                continue;
            };
            // Over-invoiced trade: the front pays a counterpart abroad for goods worth less.
            *case += 1;
            trader += 1;
            let d = day(rng);
            let cents = euros(rng, 30_000, 200_000);
            push(
                txs,
                d,
                Acct::new(Acct::COMPANY, front),
                Acct::new(Acct::TRADER, trader),
                cents,
                "bank",
                "TBML",
                "layering",
                *case,
            );
            if all_fronts.len() < 4 {
                continue;
            }
            // Scatter-gather and gather-scatter through other networks' fronts (launderers
            // share them), a bipartite exchange and a three-layer stack.
            let mut others: Vec<usize> =
                all_fronts.iter().copied().filter(|&f| f != front).collect();
            rand::seq::SliceRandom::shuffle(others.as_mut_slice(), rng);
            let middle: Vec<usize> = others
                .iter()
                .copied()
                .take(rng.random_range(3..=others.len().min(6)))
                .collect();
            let target = Acct::new(Acct::BANK, organiser);
            let total = euros(rng, 30_000, 120_000);
            let share = total / middle.len() as u64;
            *case += 1;
            let d = day(rng);
            for &m in &middle {
                push(
                    txs,
                    d,
                    Acct::new(Acct::COMPANY, front),
                    Acct::new(Acct::COMPANY, m),
                    share,
                    "bank",
                    "SCATTER_GATHER",
                    "layering",
                    *case,
                );
                push(
                    txs,
                    d + rng.random_range(1..5),
                    Acct::new(Acct::COMPANY, m),
                    target,
                    share - share / 50,
                    "bank",
                    "SCATTER_GATHER",
                    "layering",
                    *case,
                );
            }
            *case += 1;
            let d = day(rng);
            let hub = middle[0];
            for &m in &middle[1..] {
                push(
                    txs,
                    d,
                    Acct::new(Acct::COMPANY, m),
                    Acct::new(Acct::COMPANY, hub),
                    share,
                    "bank",
                    "GATHER_SCATTER",
                    "layering",
                    *case,
                );
            }
            // The hub pays other companies, never itself.
            for &f in fronts
                .iter()
                .chain(std::iter::once(&front))
                .filter(|&&f| f != hub)
                .take(3)
            {
                push(
                    txs,
                    d + rng.random_range(1..5),
                    Acct::new(Acct::COMPANY, hub),
                    Acct::new(Acct::COMPANY, f),
                    share,
                    "bank",
                    "GATHER_SCATTER",
                    "layering",
                    *case,
                );
            }
            *case += 1;
            let d = day(rng);
            let (left, right) = middle.split_at(middle.len() / 2);
            for &a in left {
                for &b in right {
                    push(
                        txs,
                        d + rng.random_range(0..3),
                        Acct::new(Acct::COMPANY, a),
                        Acct::new(Acct::COMPANY, b),
                        euros(rng, 5_000, 25_000),
                        "bank",
                        "BIPARTITE",
                        "layering",
                        *case,
                    );
                }
            }
            *case += 1;
            let d = day(rng);
            let layer1 = &others[..2.min(others.len())];
            let layer2 = &others[2.min(others.len())..4.min(others.len())];
            let cents = euros(rng, 20_000, 80_000);
            for (i, &a) in layer1.iter().enumerate() {
                for (j, &b) in layer2.iter().enumerate() {
                    push(
                        txs,
                        d + i as u32,
                        Acct::new(Acct::COMPANY, a),
                        Acct::new(Acct::COMPANY, b),
                        cents / 4,
                        "bank",
                        "STACK",
                        "layering",
                        *case,
                    );
                    push(
                        txs,
                        d + 2 + j as u32,
                        Acct::new(Acct::COMPANY, b),
                        target,
                        cents / 4 - cents / 200,
                        "bank",
                        "STACK",
                        "layering",
                        *case,
                    );
                }
            }
            // The professional launderer takes the organiser's money and returns it through
            // unrelated companies, less a 5-10% fee.
            if let Some(pl) = launderer {
                *case += 1;
                let d = day(rng);
                let cents = euros(rng, 50_000, 250_000);
                let fee = cents * u64::from(rng.random_range(5..=10u32)) / 100;
                push(
                    txs,
                    d,
                    Acct::new(Acct::BANK, organiser),
                    Acct::new(Acct::BANK, pl),
                    cents,
                    "bank",
                    "PRO_LAUNDERER",
                    "layering",
                    *case,
                );
                let back = cents - fee;
                let via = &others[..3.min(others.len())];
                for (i, &c) in via.iter().enumerate() {
                    push(
                        txs,
                        d + 1 + i as u32,
                        Acct::new(Acct::BANK, pl),
                        Acct::new(Acct::COMPANY, c),
                        back / via.len() as u64,
                        "bank",
                        "PRO_LAUNDERER",
                        "layering",
                        *case,
                    );
                    push(
                        txs,
                        d + 5 + i as u32,
                        Acct::new(Acct::COMPANY, c),
                        target,
                        back / via.len() as u64,
                        "bank",
                        "PRO_LAUNDERER",
                        "integration",
                        *case,
                    );
                }
            }
        }
    }
}

/// The financial intelligence units' reports: Serbia's APML receives the bank's suspicious-
/// activity reports on cash deposits just under the reporting threshold; Albania's GDPML those on
/// transfers of Albanian front companies. Each report is one CSV row in the unit's own columns.
struct Fiu {
    rs: csv::Writer<BufWriter<File>>,
    al: csv::Writer<BufWriter<File>>,
    mk: csv::Writer<BufWriter<File>>,
    uk: csv::Writer<BufWriter<File>>,
    rs_rows: u64,
    al_rows: u64,
    mk_rows: u64,
    uk_rows: u64,
}

/// The name and country of a company account's holder, as an originator's bank puts them on a
/// wire (FATF Recommendation 16: originator and beneficiary names travel with every wire), and
/// the account id as the holder record's reference; empty for any other account.
fn company_holder(world: &World, a: Acct) -> [String; 3] {
    match world.companies.get(a.index()) {
        Some(c) if a.kind() == Acct::COMPANY => {
            [account_id(world, a), c.name.clone(), c.country.to_owned()]
        }
        _ => Default::default(),
    }
}

const MK_FIU_MAPPING: &str = r#"# MK_FIU (УСФР): suspicious-transaction reports on money transfers received in North
# Macedonia, one transfer per row. Written by `corridor synth`; synthetic data.

[source]
agency = "MK_FIU"
contributor = "Управа за спречување перење пари"
language = "mk"
script = "mixed"
date_formats = ["%d.%m.%Y"]
review_after_days = 1825
source_ref = { column = "br_izvestaj" }

[grading]
system = "tlp"
tlp = "AMBER"

[entities.isprakjac]
schema = "BankAccount"
id = { column = "isprakjac", prefix = "mto-" }
[entities.isprakjac.properties]
accountNumber = "isprakjac"

[entities.primac]
schema = "BankAccount"
id = { column = "primac", prefix = "mto-" }
[entities.primac.properties]
accountNumber = "primac"
holderName = "ime_primac"

[entities.transfer]
schema = "Payment"
id = { column = "br_izvestaj" }
[entities.transfer.properties]
recordId = "transakcija"
date = "datum"
amount = "iznos"
currency = "valuta"
purpose = "opis"
programme = { value = "MTO" }
payerAccount = "@isprakjac"
beneficiaryAccount = "@primac"
"#;

const UK_FIU_MAPPING: &str = r#"# UK_FIU (UKFIU): suspicious activity reports from banks, glossary codes in the reason for
# suspicion, one transaction per row. Written by `corridor synth`; synthetic data.

[source]
agency = "UK_FIU"
contributor = { column = "reporter" }
language = "en"
script = "Latn"
date_formats = ["%d/%m/%Y"]
review_after_days = 2190
source_ref = { column = "sar_ref" }

[grading]
system = "3x5x2"
source = "1"
intelligence = "B"
handling = "P"

[entities.subject]
schema = "BankAccount"
id = { column = "subject_account", prefix = "acct-" }
[entities.subject.properties]
accountNumber = "subject_account"

[entities.counterparty]
schema = "BankAccount"
id = { column = "counterparty_account", prefix = "acct-" }
[entities.counterparty.properties]
accountNumber = "counterparty_account"

[entities.payment]
schema = "Payment"
id = { column = "sar_ref" }
[entities.payment.properties]
recordId = "transaction"
date = "date"
amount = "amount"
currency = "currency"
description = "reason"
payerAccount = "@counterparty"
beneficiaryAccount = "@subject"
"#;

const RS_FIU_MAPPING: &str = r#"# RS_FIU (APML): suspicious-activity reports on cash deposits, one transaction per row.
# Written by `corridor synth`; synthetic data.

[source]
agency = "RS_FIU"
contributor = "Uprava za sprečavanje pranja novca"
language = "sr"
script = "Latn"
date_formats = ["%d.%m.%Y %H:%M"]
review_after_days = 1825
source_ref = { column = "broj_izvestaja" }

[grading]
system = "tlp"
tlp = "AMBER"

[entities.uplatilac]
schema = "BankAccount"
id = { column = "racun_uplatioca", prefix = "acct-" }
[entities.uplatilac.properties]
accountNumber = "racun_uplatioca"

[entities.primalac]
schema = "BankAccount"
id = { column = "racun_primaoca", prefix = "acct-" }
[entities.primalac.properties]
accountNumber = "racun_primaoca"

[entities.uplata]
schema = "Payment"
id = { column = "broj_izvestaja" }
[entities.uplata.properties]
recordId = "transakcija"
date = "datum"
amount = "iznos"
currency = "valuta"
programme = "kanal"
purpose = "opis"
payerAccount = "@uplatilac"
beneficiaryAccount = "@primalac"
"#;

const AL_FIU_MAPPING: &str = r#"# AL_FIU (GDPML): suspicious-transaction reports on a front company's transfers.
# Written by `corridor synth`; synthetic data.

[source]
agency = "AL_FIU"
contributor = "Drejtoria e Përgjithshme për Parandalimin e Pastrimit të Parave"
language = "sq"
script = "Latn"
delimiter = ";"
date_formats = ["%d.%m.%Y"]
decimal_separator = ","
thousands_separator = "."
review_after_days = 1825
source_ref = { column = "nr_raportit" }

[grading]
system = "tlp"
tlp = "AMBER"

[entities.paguesi]
schema = "BankAccount"
id = { column = "llogaria_paguese", prefix = "acct-" }
[entities.paguesi.properties]
accountNumber = "llogaria_paguese"
holder = "@paguesi_shoqeria"

# Originator and beneficiary names travel with every wire transfer.
[entities.paguesi_shoqeria]
schema = "Organization"
id = { column = "paguesi_ref", prefix = "company-" }
[entities.paguesi_shoqeria.properties]
name = "paguesi"
country = "paguesi_shteti"

[entities.perfituesi]
schema = "BankAccount"
id = { column = "llogaria_perfituese", prefix = "acct-" }
[entities.perfituesi.properties]
accountNumber = "llogaria_perfituese"
holder = "@perfituesi_shoqeria"

[entities.perfituesi_shoqeria]
schema = "Organization"
id = { column = "perfituesi_ref", prefix = "company-" }
[entities.perfituesi_shoqeria.properties]
name = "perfituesi"
country = "perfituesi_shteti"

[entities.pagesa]
schema = "Payment"
id = { column = "nr_raportit" }
[entities.pagesa.properties]
recordId = "transaksioni"
date = "data"
amount = "shuma"
currency = "monedha"
purpose = "pershkrimi"
payerAccount = "@paguesi"
beneficiaryAccount = "@perfituesi"
"#;

impl Fiu {
    fn create(out: &Path) -> io::Result<Fiu> {
        let open = |code: &str, mapping: &str, delimiter: u8, header: &[&str]| {
            crate::agency::agency_csv_with(out, code, "reports", mapping, header, delimiter)
        };
        Ok(Fiu {
            rs: open(
                "RS_FIU",
                RS_FIU_MAPPING,
                b',',
                &[
                    "broj_izvestaja",
                    "transakcija",
                    "datum",
                    "racun_uplatioca",
                    "racun_primaoca",
                    "iznos",
                    "valuta",
                    "kanal",
                    "opis",
                ],
            )?,
            al: open(
                "AL_FIU",
                AL_FIU_MAPPING,
                b';',
                &[
                    "nr_raportit",
                    "transaksioni",
                    "data",
                    "llogaria_paguese",
                    "llogaria_perfituese",
                    "shuma",
                    "monedha",
                    "pershkrimi",
                    "paguesi_ref",
                    "paguesi",
                    "paguesi_shteti",
                    "perfituesi_ref",
                    "perfituesi",
                    "perfituesi_shteti",
                ],
            )?,
            mk: open(
                "MK_FIU",
                MK_FIU_MAPPING,
                b',',
                &[
                    "br_izvestaj",
                    "transakcija",
                    "datum",
                    "isprakjac",
                    "primac",
                    "ime_primac",
                    "iznos",
                    "valuta",
                    "opis",
                ],
            )?,
            uk: open(
                "UK_FIU",
                UK_FIU_MAPPING,
                b',',
                &[
                    "sar_ref",
                    "reporter",
                    "transaction",
                    "date",
                    "subject_account",
                    "counterparty_account",
                    "amount",
                    "currency",
                    "reason",
                ],
            )?,
            rs_rows: 0,
            al_rows: 0,
            mk_rows: 0,
            uk_rows: 0,
        })
    }

    /// Serbia's unit hears of cash deposits just under the threshold into Serbian banks;
    /// Albania's of transfers to or from an Albanian front company.
    fn report(
        &mut self,
        world: &World,
        id: u64,
        t: &Tx,
        truth: &mut crate::truth::Truth,
    ) -> io::Result<()> {
        let tx = format!("T{id:010}");
        let (y, m, d) = civil(u32::from(t.day));
        let typology = TYPOLOGIES[usize::from(t.typology)];
        let albanian = |a: Acct| {
            a.kind() == Acct::COMPANY
                && world
                    .companies
                    .get(a.index())
                    .is_some_and(|c| c.country == "AL")
        };
        if typology == "STRUCTURING" {
            self.rs_rows += 1;
            let report = format!("APML-SAR-{:07}", self.rs_rows);
            self.rs.write_record([
                report.as_str(),
                &tx,
                &format!(
                    "{d:02}.{m:02}.{y} {:02}:{:02}",
                    t.second / 3600,
                    t.second / 60 % 60
                ),
                &account_id(world, t.from),
                &account_id(world, t.to),
                &amount(t.cents),
                "EUR",
                CHANNELS[usize::from(t.channel)],
                "Gotovinski depozit ispod praga za prijavu",
            ])?;
            truth.record_event.write_record(["RS_FIU", &report, &tx])?;
        } else if typology == "CYCLE" && (albanian(t.from) || albanian(t.to)) {
            self.al_rows += 1;
            let report = format!("GDPML-STR-{:07}", self.al_rows);
            let euros = t.cents / 100;
            // Albanian number format: thousands with '.', decimals with ','.
            let shuma = format!("{}.{:03},{:02}", euros / 1000, euros % 1000, t.cents % 100);
            let [payer_ref, payer, payer_country] = company_holder(world, t.from);
            let [payee_ref, payee, payee_country] = company_holder(world, t.to);
            self.al.write_record([
                report.as_str(),
                &tx,
                &format!("{d:02}.{m:02}.{y}"),
                &account_id(world, t.from),
                &account_id(world, t.to),
                &shuma,
                "EUR",
                "Transfertë ndërmjet shoqërive pa arsye ekonomike",
                &payer_ref,
                &payer,
                &payer_country,
                &payee_ref,
                &payee,
                &payee_country,
            ])?;
            truth.record_event.write_record(["AL_FIU", &report, &tx])?;
        }
        let home = |a: Acct| match a.kind() {
            Acct::CASH | Acct::MTO | Acct::BANK | Acct::WALLET | Acct::HAWALA => {
                world.persons.get(a.index()).map_or("", |p| p.home)
            }
            Acct::COMPANY => world.companies.get(a.index()).map_or("", |c| c.country),
            _ => "",
        };
        if t.to.kind() == Acct::MTO && home(t.to) == "MK" {
            // The money-transfer operator's agent in Skopje reports repeated receipts.
            self.mk_rows += 1;
            let report = format!("USFR-STR-{:07}", self.mk_rows);
            let receiver = world.persons.get(t.to.index());
            let name = receiver.map_or(String::new(), |p| {
                let c = crate::catalog::Catalog::get();
                format!(
                    "{} {}",
                    c.names[p.given].canonical, c.names[p.family].canonical
                )
            });
            self.mk.write_record([
                report.as_str(),
                &tx,
                &format!("{d:02}.{m:02}.{y}"),
                &account_id(world, t.from),
                &account_id(world, t.to),
                &name,
                &amount(t.cents),
                "EUR",
                "Повеќе приливи од различни испраќачи без економска основа",
            ])?;
            truth.record_event.write_record(["MK_FIU", &report, &tx])?;
        }
        let banked = |a: Acct| matches!(a.kind(), Acct::BANK | Acct::COMPANY);
        let subject = if banked(t.to) && home(t.to) == "GB" {
            Some((t.to, t.from))
        } else if banked(t.from) && home(t.from) == "GB" {
            Some((t.from, t.to))
        } else {
            None
        };
        if let Some((subject, counterparty)) = subject {
            // A British bank's SAR: glossary codes lead the reason for suspicion.
            self.uk_rows += 1;
            let report = format!("SAR-{:08}", self.uk_rows);
            let international = home(counterparty) != "GB";
            let codes = match (typology, international) {
                ("SMURFING", _) => "XXS9XX XXS7XX",
                (_, true) => "XXS3XX",
                _ => "XXS4XX",
            };
            let reason = format!(
                "{codes} {} credits/debits inconsistent with the customer's profile; funds from or to parties with no apparent connection.",
                CHANNELS[usize::from(t.channel)]
            );
            self.uk.write_record([
                report.as_str(),
                [
                    "Albion Bank plc",
                    "Northgate Building Society",
                    "Thames Retail Bank",
                ][self.uk_rows as usize % 3],
                &tx,
                &format!("{d:02}/{m:02}/{y}"),
                &account_id(world, subject),
                &account_id(world, counterparty),
                &amount(t.cents),
                "EUR",
                &reason,
            ])?;
            truth.record_event.write_record(["UK_FIU", &report, &tx])?;
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<Vec<crate::agency::AgencyOutput>> {
        self.rs.flush()?;
        self.al.flush()?;
        self.mk.flush()?;
        self.uk.flush()?;
        Ok(vec![
            crate::agency::AgencyOutput {
                code: "MK_FIU".into(),
                rows: self.mk_rows,
                data_file: "MK_FIU/reports.csv".into(),
                mapping_file: "MK_FIU/reports.toml".into(),
                ftm: false,
            },
            crate::agency::AgencyOutput {
                code: "UK_FIU".into(),
                rows: self.uk_rows,
                data_file: "UK_FIU/reports.csv".into(),
                mapping_file: "UK_FIU/reports.toml".into(),
                ftm: false,
            },
            crate::agency::AgencyOutput {
                code: "RS_FIU".into(),
                rows: self.rs_rows,
                data_file: "RS_FIU/reports.csv".into(),
                mapping_file: "RS_FIU/reports.toml".into(),
                ftm: false,
            },
            crate::agency::AgencyOutput {
                code: "AL_FIU".into(),
                rows: self.al_rows,
                data_file: "AL_FIU/reports.csv".into(),
                mapping_file: "AL_FIU/reports.toml".into(),
                ftm: false,
            },
        ])
    }
}

fn write_truth(out: &mut impl Write, world: &World, id: u64, t: &Tx) -> io::Result<()> {
    let journey = if t.journey > 0 {
        Journey::id(t.journey as usize - 1)
    } else {
        String::new()
    };
    let case = if t.journey > 0 {
        journey.clone()
    } else {
        format!("L{:06}", t.case)
    };
    let leg = if t.journey > 0 && t.leg != 99 {
        t.leg.to_string()
    } else if t.leg == 99 {
        "channel".to_owned()
    } else {
        String::new()
    };
    let network = if t.network > 0 {
        world
            .networks
            .get(t.network as usize - 1)
            .map_or("", |n| n.id.as_str())
    } else {
        ""
    };
    writeln!(
        out,
        "T{id:010},1,{},{case},{},{journey},{leg},{network},{}",
        TYPOLOGIES[usize::from(t.typology)],
        STAGES[usize::from(t.stage)],
        STEPS[usize::from(t.step)],
    )
}

fn timestamp(day: u32, second: u32) -> String {
    let (y, m, d) = civil(day);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        second / 3600,
        second / 60 % 60,
        second % 60
    )
}

fn amount(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Where an illicit transaction goes: the ledger, its truth row, and any FIU report on it.
struct Outputs {
    ledger: BufWriter<File>,
    truth: BufWriter<File>,
    fiu: Fiu,
    ledgers: crate::ledgers::Ledgers,
    /// Every account an illicit transaction touched, for `truth/accounts.csv`.
    accounts: std::collections::BTreeSet<Acct>,
}

impl Outputs {
    fn write(
        &mut self,
        world: &World,
        id: u64,
        t: &Tx,
        tables: &mut crate::truth::Truth,
    ) -> io::Result<()> {
        writeln!(
            self.ledger,
            "T{id:010},{},{},{},{},EUR,{}",
            timestamp(u32::from(t.day), t.second),
            account_id(world, t.from),
            account_id(world, t.to),
            amount(t.cents),
            CHANNELS[usize::from(t.channel)],
        )?;
        self.accounts.insert(t.from);
        self.accounts.insert(t.to);
        write_truth(&mut self.truth, world, id, t)?;
        self.ledgers.record(world, id, t, tables)?;
        self.fiu.report(world, id, t, tables)
    }
}

/// Writes the ledger (background and illicit flows merged in time order), its truth, and the
/// accounts the illicit flows use with their holders.
pub(crate) fn write(
    config: &Config,
    world: &World,
    payments: Vec<Tx>,
    out: &Path,
    truth_tables: &mut crate::truth::Truth,
    progress: &mut dyn FnMut(crate::Progress),
) -> io::Result<(Ledger, Vec<crate::agency::AgencyOutput>)> {
    let fiu = Fiu::create(out)?;
    std::fs::create_dir_all(out.join("ledger"))?;
    let mut ledger =
        BufWriter::with_capacity(1 << 20, File::create(out.join("ledger/transactions.csv"))?);
    let mut truth = BufWriter::new(File::create(out.join("truth/transactions_truth.csv"))?);
    writeln!(
        ledger,
        "id,timestamp,from_account,to_account,amount,currency,channel"
    )?;
    // One row per illicit transaction; a ledger id without a row here is legitimate.
    writeln!(
        truth,
        "tx_id,illicit,typology,laundering_case_id,stage,journey_id,leg,network_id,step"
    )?;
    let mut outputs = Outputs {
        ledger,
        truth,
        fiu,
        ledgers: crate::ledgers::Ledgers::create(config.seed, world, config.days, out)?,
        accounts: Default::default(),
    };
    let illicit = illicit(config, world, payments);
    let mut background = stream(config.seed, "money/background");
    // The ledger's size: the preset's, or what makes the illicit flows `illicit_ratio` of it.
    let total = match config.illicit_ratio {
        Some(ratio) => (illicit.len() as f64 / ratio).round() as u64,
        None => config.transactions,
    };
    let legit_accounts = (total / 20).max(100);
    let per_day = total.saturating_sub(illicit.len() as u64) / u64::from(config.days.max(1));
    let mut counts = Ledger::default();
    let mut next_illicit = illicit.iter().peekable();
    let mut id = 0u64;
    for day in 0..config.days {
        progress(crate::Progress {
            days_done: day,
            days_total: config.days,
        });
        let mut seconds: Vec<u32> = (0..per_day)
            .map(|_| background.random_range(0..86_400))
            .collect();
        seconds.sort_unstable();
        for second in seconds {
            while let Some(t) =
                next_illicit.next_if(|t| (u32::from(t.day), t.second) <= (day, second))
            {
                id += 1;
                outputs.write(world, id, t, truth_tables)?;
                counts.illicit += 1;
            }
            id += 1;
            let from = background.random_range(0..legit_accounts);
            let mut to = background.random_range(0..legit_accounts);
            if to == from {
                to = (to + 1) % legit_accounts;
            }
            // Salaries, rent, remittances (some by hawala: legitimate look-alikes), retail.
            let (lo, hi, channel) = match background.random_range(0..10u32) {
                0 => (400, 1_800, "bank"),
                1 => (200, 900, "bank"),
                2 => (100, 1_500, "mto"),
                3 => (100, 1_200, "hawala"),
                _ => (5, 300, "bank"),
            };
            let cents = euros(&mut background, lo, hi);
            writeln!(
                outputs.ledger,
                "T{id:010},{},L{from:08},L{to:08},{},EUR,{channel}",
                timestamp(day, second),
                amount(cents)
            )?;
        }
    }
    for t in next_illicit {
        id += 1;
        outputs.write(world, id, t, truth_tables)?;
        counts.illicit += 1;
    }
    counts.transactions = id;
    outputs.ledger.flush()?;
    outputs.truth.flush()?;
    let mut accounts = crate::truth::truth_file(
        &out.join("truth/accounts.csv"),
        ["account_id", "kind", "holder"],
    )?;
    for a in &outputs.accounts {
        accounts.write_record([
            account_id(world, *a).as_str(),
            a.kind_name(),
            account_holder(world, *a),
        ])?;
    }
    accounts.flush()?;
    let mut agencies = outputs.fiu.finish()?;
    agencies.push(outputs.ledgers.finish()?);
    Ok((counts, agencies))
}
