//! Times incremental resolution: builds an [`Index`] over RECORDS synthetic person records, then
//! adds NEW records one at a time (half of them new copies of people already held, half new
//! people) and reports the latency of each `add`. Prints one JSON line on stdout, a summary on
//! stderr.
//!
//! ```sh
//! cargo run --release -p corridor-resolve --example bench_incremental -- 10000000 10000 1000000
//! ```
//!
//! Arguments: RECORDS (default 10,000,000), NEW (10,000), TRAIN (1,000,000): the model is
//! trained by a full run over the first TRAIN records, as a full run over all of them would
//! need tens of gigabytes of candidate pairs. The held records are indexed as single-record
//! clusters (no full run over them); the prior is scaled from TRAIN to RECORDS records.
//!
//! The records follow `bench/resolve/gen_people.py` (same name lists, frequencies and
//! recording noise), generated here from a seeded SplitMix64 stream rather than read from CSV,
//! so that ten million records take seconds, not an hour of Python.

use std::time::Instant;

use corridor_resolve::incremental::Index;
use corridor_resolve::table::{Field, Table};
use corridor_resolve::{Engine, Role, Settings};

const SEED: u64 = 20_261_127;

const GIVEN: &[(&str, &[&str])] = &[
    (
        "muhammad",
        &[
            "Muhammad",
            "Mohammad",
            "Mohammed",
            "Mohamed",
            "Mohamad",
            "Muhammed",
            "Muhamed",
            "Muhamet",
            "Мухамед",
            "Мохамед",
        ],
    ),
    (
        "ahmad",
        &["Ahmad", "Ahmed", "Ahmet", "Akhmed", "Ахмед", "Ахмад"],
    ),
    (
        "husayn",
        &[
            "Hussein",
            "Husein",
            "Hussain",
            "Husain",
            "Hossein",
            "Hysen",
            "Хусеин",
            "Хусејн",
        ],
    ),
    ("hasan", &["Hasan", "Hassan", "Хасан"]),
    ("jamal", &["Jamal", "Djamal", "Džamal", "Xhemal", "Џамал"]),
    ("khalid", &["Khalid", "Khaled", "Halid", "Halit", "Халид"]),
    ("qasim", &["Qasim", "Kasim", "Qasem", "Касим"]),
    (
        "abdulrahman",
        &[
            "Abdul Rahman",
            "Abdulrahman",
            "Abd al-Rahman",
            "Abdurrahman",
            "Абдул Рахман",
        ],
    ),
    ("abdullah", &["Abdullah", "Abdallah", "Abdulla"]),
    ("yusuf", &["Yusuf", "Yousef", "Youssef", "Jusuf", "Јусуф"]),
    ("ibrahim", &["Ibrahim", "Ebrahim", "Ибрахим"]),
    ("mustafa", &["Mustafa", "Mostafa", "Moustafa", "Мустафа"]),
    ("umar", &["Omar", "Umar", "Omer", "Омар"]),
    ("ali", &["Ali", "Али"]),
    ("mahmud", &["Mahmoud", "Mahmud", "Mahmood", "Махмуд"]),
    ("karim", &["Karim", "Kareem", "Kerim"]),
    ("ghulam", &["Ghulam", "Gholam", "Gulam"]),
    ("shirzad", &["Shirzad", "Širzad", "Ширзад"]),
    (
        "rahmatullah",
        &["Rahmatullah", "Rahmat Ullah", "Rahmatollah"],
    ),
    ("djordje", &["Đorđe", "Djordje", "Dorde", "Ђорђе"]),
    ("milos", &["Miloš", "Milos", "Милош"]),
    ("ljubomir", &["Ljubomir", "Љубомир"]),
    ("gezim", &["Gëzim", "Gezim", "Гезим"]),
    ("arber", &["Arbër", "Arber", "Арбер"]),
    ("xhevdet", &["Xhevdet", "Dževdet", "Џевдет"]),
];

const GIVEN_PLAIN: &str = "nabi sakhi zia farid javed tariq wahid samir nasir bilal hamid \
rashid fawad idris jawad karam latif majid nadir omid parviz reza saeed said shafiq tahir wali \
yasin zaher aziz bashir daud emal faisal ghani habib ismail jalal kamal luqman mansur nawid \
obaid qadir rafi sadiq taher usman waheed yahya zaki marko nikola stefan luka filip aleksandar \
dusan nemanja vuk lazar bojan zoran goran dragan milan jovan petar ivan dejan srdjan ardit \
besnik dritan endrit fatmir ilir kushtrim labinot mentor petrit valon blerim agron bekim driton \
lulzim shpend artan edon granit";

const FAMILY_ROOTS: &str = "ahmad hashim karim rahim nazar safar hakim wahid qadir amin azim \
jalal sharif aziz latif majid nasir rashid samad zaman hussain haidar jafar sadat popal durrani \
stanekzai jovan petr nikol marko stefan milosa djordj lazar ilic pavl mitr radov stojan dragan \
vuk bog krasniq hoxh gash berish morin shal kelmend bytyq dem hajdar rexh sylej thaq kastrat";

const FAMILY_SUFFIX: &[&str] = &[
    "i", "zai", "ovic", "ović", "ević", "evski", "ovski", "aj", "a", "ani", "yar", "zada", "ullah",
    "ić", "ov", "oski",
];

const LOCALITIES: &[&str] = &[
    "Beograd",
    "Novi Sad",
    "Niš",
    "Subotica",
    "Preševo",
    "Kikinda",
    "Sombor",
    "Šid",
    "Kanjiža",
    "Horgoš",
    "Skopje",
    "Kumanovo",
    "Tabanovce",
    "Gevgelija",
    "Lojane",
    "Vaksince",
    "Bitola",
    "Tetovo",
    "Prishtina",
    "Prizren",
    "Peja",
    "Gjilan",
    "Tirana",
    "Durrës",
    "Shkodër",
    "Vlorë",
    "Korçë",
    "Kakavija",
    "Sarajevo",
    "Bihać",
    "Velika Kladuša",
    "Zagreb",
    "Rijeka",
    "Ljubljana",
    "Dover",
    "Calais",
    "Folkestone",
];

const COUNTRY_CODES: &[&str] = &["381 6", "389 7", "383 4", "355 6", "44 7"];

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut r = Rng(seed);
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    /// An index drawn by cumulative weights.
    fn weighted(&mut self, cumulative: &[f64]) -> usize {
        let x = self.unit() * cumulative[cumulative.len() - 1];
        cumulative
            .partition_point(|&c| c <= x)
            .min(cumulative.len() - 1)
    }
}

fn cumulative(n: usize, exponent: f64) -> Vec<f64> {
    let mut sum = 0.0;
    (0..n)
        .map(|i| {
            sum += 1.0 / ((i + 1) as f64).powf(exponent);
            sum
        })
        .collect()
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn cyrillic(s: &str) -> String {
    let low: Vec<char> = s.to_lowercase().chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < low.len() {
        if i + 1 < low.len() {
            let two: String = low[i..i + 2].iter().collect();
            let d = match two.as_str() {
                "lj" => Some('љ'),
                "nj" => Some('њ'),
                "dž" | "xh" => Some('џ'),
                "sh" => Some('ш'),
                "zh" => Some('ж'),
                "kh" => Some('х'),
                _ => None,
            };
            if let Some(d) = d {
                out.push(d);
                i += 2;
                continue;
            }
        }
        let c = low[i];
        match c {
            'a' => out.push('а'),
            'b' => out.push('б'),
            'c' => out.push('ц'),
            'č' | 'ç' => out.push('ч'),
            'ć' => out.push('ћ'),
            'd' => out.push('д'),
            'đ' => out.push('ђ'),
            'e' | 'ë' => out.push('е'),
            'f' => out.push('ф'),
            'g' => out.push('г'),
            'h' => out.push('х'),
            'i' | 'y' => out.push('и'),
            'j' => out.push('ј'),
            'k' | 'q' => out.push('к'),
            'l' => out.push('л'),
            'm' => out.push('м'),
            'n' => out.push('н'),
            'o' => out.push('о'),
            'p' => out.push('п'),
            'r' => out.push('р'),
            's' => out.push('с'),
            'š' => out.push('ш'),
            't' => out.push('т'),
            'u' => out.push('у'),
            'v' | 'w' => out.push('в'),
            'x' => out.push_str("кс"),
            'z' => out.push('з'),
            'ž' => out.push('ж'),
            other => out.push(other),
        }
        i += 1;
    }
    capitalise(&out)
}

fn strip(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'č' | 'ć' => 'c',
            'đ' => 'd',
            'š' => 's',
            'ž' => 'z',
            'ë' => 'e',
            'ç' => 'c',
            'Č' | 'Ć' | 'Ç' => 'C',
            'Đ' => 'D',
            'Š' => 'S',
            'Ž' => 'Z',
            'Ë' => 'E',
            other => other,
        })
        .collect()
}

fn typo(rng: &mut Rng, s: &str) -> String {
    let c: Vec<char> = s.chars().collect();
    if c.len() < 3 {
        return s.to_string();
    }
    let letters: Vec<char> = "abcdefghijklmnoprstuvz".chars().collect();
    let i = rng.below(c.len() - 1);
    let kind = rng.unit();
    let mut out = c.clone();
    if kind < 0.6 {
        out[i] = *rng.pick(&letters);
    } else if kind < 0.75 {
        out.remove(i);
    } else if kind < 0.87 {
        out.insert(i, *rng.pick(&letters));
    } else {
        out.swap(i, i + 1);
    }
    out.into_iter().collect()
}

/// A person's true attributes.
struct Person {
    given: usize,
    family: usize,
    dob: (u32, u32, u32),
    locality: usize,
    phone: String,
    cc: &'static str,
    doc: String,
}

struct People {
    given: Vec<(String, Vec<String>)>,
    given_weights: Vec<f64>,
    families: Vec<String>,
    family_weights: Vec<f64>,
}

/// One record's cells: given, family, date of birth, locality, phone, document.
type Cells = [Option<String>; 6];

impl People {
    fn new() -> People {
        let mut given: Vec<(String, Vec<String>)> = GIVEN
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect();
        given.extend(
            GIVEN_PLAIN
                .split_whitespace()
                .map(|g| (g.to_string(), vec![capitalise(g)])),
        );
        let mut families: Vec<String> = FAMILY_ROOTS
            .split_whitespace()
            .flat_map(|r| FAMILY_SUFFIX.iter().map(move |s| capitalise(r) + s))
            .collect();
        let mut rng = Rng::new(SEED ^ 0xFA);
        for i in (1..families.len()).rev() {
            families.swap(i, rng.below(i + 1));
        }
        People {
            given_weights: cumulative(given.len(), 0.8),
            given,
            family_weights: cumulative(families.len(), 0.6),
            families,
        }
    }

    /// Person `p`, the same on every call.
    fn person(&self, p: u64) -> Person {
        let mut rng = Rng::new(SEED ^ p.wrapping_mul(0xA076_1D64_78BD_642F));
        let digits = |rng: &mut Rng, n: usize| -> String {
            (0..n)
                .map(|_| char::from(b'0' + rng.below(10) as u8))
                .collect()
        };
        Person {
            given: rng.weighted(&self.given_weights),
            family: rng.weighted(&self.family_weights),
            dob: (
                1950 + rng.below(59) as u32,
                1 + rng.below(12) as u32,
                1 + rng.below(28) as u32,
            ),
            locality: rng.below(LOCALITIES.len()),
            phone: digits(&mut rng, 7),
            cc: COUNTRY_CODES[rng.below(COUNTRY_CODES.len())],
            doc: format!(
                "{}{}",
                *rng.pick(&['P', 'A', 'B', 'C', 'K']),
                digits(&mut rng, 8)
            ),
        }
    }

    /// One record of person `who`, with an agency's recording noise.
    fn record(&self, who: &Person, rng: &mut Rng) -> Cells {
        let variants = &self.given[who.given].1;
        let mut given = rng.pick(variants).clone();
        let mut family = self.families[who.family].clone();
        if rng.unit() < 0.2 {
            family = strip(&family);
        }
        if rng.unit() < 0.15 && !given.chars().any(|c| ('а'..='я').contains(&c)) {
            given = cyrillic(&given);
            family = cyrillic(&family);
        }
        if rng.unit() < 0.05 {
            given = typo(rng, &given);
        }
        if rng.unit() < 0.05 {
            family = typo(rng, &family);
        }
        if rng.unit() < 0.04 {
            std::mem::swap(&mut given, &mut family);
        }
        if rng.unit() < 0.05 {
            family.clear();
        }
        let (y, m, d) = who.dob;
        let r = rng.unit();
        let dob = if r < 0.10 {
            String::new()
        } else if r < 0.18 {
            format!("{y}")
        } else if r < 0.30 {
            format!("{y}-01-01")
        } else if r < 0.32 && d <= 12 {
            format!("{y}-{d:02}-{m:02}")
        } else if r < 0.35 {
            let y = if rng.unit() < 0.5 { y - 1 } else { y + 1 };
            format!("{y}-{m:02}-{d:02}")
        } else {
            format!("{y}-{m:02}-{d:02}")
        };
        let r = rng.unit();
        let phone = if r < 0.4 {
            String::new()
        } else if r < 0.7 {
            format!("+{}{}", who.cc.replace(' ', ""), who.phone)
        } else if r < 0.9 {
            format!("00{} {} {}", who.cc, &who.phone[..3], &who.phone[3..])
        } else {
            format!("0{}{}", who.cc.split(' ').nth(1).unwrap_or(""), who.phone)
        };
        let doc = if rng.unit() < 0.5 {
            String::new()
        } else if rng.unit() < 0.03 {
            typo(rng, &who.doc)
        } else {
            who.doc.clone()
        };
        let locality = if rng.unit() < 0.7 {
            LOCALITIES[who.locality].to_string()
        } else if rng.unit() < 0.5 {
            rng.pick(LOCALITIES).to_string()
        } else {
            String::new()
        };
        [given, family, dob, locality, phone, doc].map(|s| (!s.is_empty()).then_some(s))
    }
}

const ROLES: [Role; 6] = [
    Role::GivenName,
    Role::FamilyName,
    Role::DateOfBirth,
    Role::Locality,
    Role::Phone,
    Role::Document,
];

/// `n` records of people 0, 1, 2… with 1 to 5 records each; returns the table and the number of
/// people.
fn generate(people: &People, n: usize) -> (Table, u64) {
    let mut ids = Vec::with_capacity(n);
    let mut columns: Vec<Vec<Option<Box<str>>>> =
        (0..ROLES.len()).map(|_| Vec::with_capacity(n)).collect();
    let mut rng = Rng::new(SEED);
    let copies_weights = cumulative_of(&[55.0, 25.0, 11.0, 6.0, 3.0]);
    let mut person = 0u64;
    while ids.len() < n {
        let who = people.person(person);
        let copies = (rng.weighted(&copies_weights) + 1).min(n - ids.len());
        for k in 0..copies {
            ids.push(format!("p{person}-{k}"));
            for (col, cell) in columns.iter_mut().zip(people.record(&who, &mut rng)) {
                col.push(cell.map(String::into_boxed_str));
            }
        }
        person += 1;
    }
    let mut fields: Vec<Field> = ROLES
        .iter()
        .zip(columns)
        .map(|(&role, values)| Field {
            role,
            occurrence: 0,
            name: role.as_str().to_string(),
            values,
        })
        .collect();
    fields.sort_by_key(|f| f.role);
    let sources = vec![0; ids.len()];
    (
        Table {
            ids,
            sources,
            fields,
        },
        person,
    )
}

fn cumulative_of(weights: &[f64]) -> Vec<f64> {
    let mut sum = 0.0;
    weights
        .iter()
        .map(|w| {
            sum += w;
            sum
        })
        .collect()
}

/// Peak and current resident set, in MiB, from `/proc/self/status` (0 where unavailable).
fn memory_mib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(0, |kib| kib / 1024)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Nanoseconds this thread has spent runnable but waiting for a CPU, from the second field of
/// `/proc/thread-self/schedstat` (0 where unavailable). On a shared machine a slow `add` is
/// often one that waited, not one that worked longer. (The first field, time on a CPU, is only
/// brought up to date at scheduler ticks, too coarse to time one `add` with.)
fn run_queue_wait_ns() -> u64 {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    text.split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, default: usize| -> Result<usize, Box<dyn std::error::Error>> {
        Ok(args
            .get(i)
            .map_or(Ok(default), |s| s.replace('_', "").parse())?)
    };
    let records = arg(1, 10_000_000)?;
    let new = arg(2, 10_000)?;
    let train = arg(3, 1_000_000)?.min(records);
    let people = People::new();

    let clock = Instant::now();
    let (table, persons) = generate(&people, records);
    let generate_s = clock.elapsed().as_secs_f64();
    eprintln!("generated {records} records of {persons} people in {generate_s:.1} s");

    // Train on the first `train` records by a full run.
    let clock = Instant::now();
    let sample = Table {
        ids: table.ids[..train].to_vec(),
        sources: table.sources[..train].to_vec(),
        fields: table
            .fields
            .iter()
            .map(|f| Field {
                role: f.role,
                occurrence: f.occurrence,
                name: f.name.clone(),
                values: f.values[..train].to_vec(),
            })
            .collect(),
    };
    let trained = {
        let engine = Engine::new(sample, Settings::default())?;
        engine.run(None, &[])?
    };
    let mut model = trained.model;
    drop(trained.pairs);
    // Matches grow with the records, pairs with their square: the prior scales by the ratio.
    let scale = (train.max(2) - 1) as f64 / (records.max(2) - 1) as f64;
    model.probability_two_random_records_match *= scale;
    let train_s = clock.elapsed().as_secs_f64();
    let (peak_train, _) = memory_mib();
    eprintln!("trained on {train} records in {train_s:.1} s (peak {peak_train} MiB)");

    let clock = Instant::now();
    let engine = Engine::new(table, Settings::default())?;
    let engine_s = clock.elapsed().as_secs_f64();
    let (peak_engine, rss_engine) = memory_mib();
    let singletons: Vec<u32> = (0..records as u32).collect();
    let clock = Instant::now();
    let mut index = Index::new(engine, model, singletons, &[], &[])?;
    index.reserve(new);
    let index_s = clock.elapsed().as_secs_f64();
    let (peak_build, rss_build) = memory_mib();
    eprintln!(
        "engine {engine_s:.1} s (resident {rss_engine} MiB), index {index_s:.1} s; peak {peak_build} MiB, \
         resident {rss_build} MiB; \
         blocks trimmed per rule {:?}",
        index.blocks_trimmed()
    );

    // New records: even ones copy a person already held, odd ones are new people.
    let mut rng = Rng::new(SEED ^ 0xADD);
    let mut latencies = Vec::with_capacity(new);
    let mut working = Vec::with_capacity(new);
    let mut waited = Vec::with_capacity(new);
    let mut candidates = Vec::with_capacity(new);
    let (mut joined, mut founded, mut merged, mut skipped) = (0u64, 0u64, 0u64, 0u64);
    let (mut dup_found, mut dup_total, mut false_joins) = (0u64, 0u64, 0u64);
    for k in 0..new {
        let duplicate = k % 2 == 0;
        let p = if duplicate {
            rng.below(persons as usize) as u64
        } else {
            persons + k as u64
        };
        let cells = people.record(&people.person(p), &mut rng);
        let values: Vec<(Role, u8, Option<&str>)> = ROLES
            .iter()
            .zip(&cells)
            .map(|(&r, c)| (r, 0, c.as_deref()))
            .collect();
        let id = format!("q{k}");
        let wait0 = run_queue_wait_ns();
        let t = Instant::now();
        let a = index.add(0, &id, &values)?;
        let wall = t.elapsed().as_secs_f64() * 1e3;
        let wait = run_queue_wait_ns().saturating_sub(wait0) as f64 / 1e6;
        latencies.push(wall);
        waited.push(wait);
        working.push((wall - wait).max(0.0));
        candidates.push(a.candidates as f64);
        skipped += u64::from(a.blocks_skipped);
        if a.founded {
            founded += 1;
        } else {
            joined += 1;
        }
        if a.joined.len() > 1 {
            merged += 1;
        }
        // Whom the links point at: a record of the same person, or another.
        let person_of = |i: u32| -> Option<u64> {
            let id = &index.engine().table().ids[i as usize];
            id.strip_prefix('p')?.split('-').next()?.parse().ok()
        };
        let right = a.links().iter().any(|l| person_of(l.l) == Some(p));
        let wrong = a.links().iter().any(|l| person_of(l.l) != Some(p));
        if duplicate {
            dup_total += 1;
            dup_found += u64::from(right);
        }
        false_joins += u64::from(wrong);
    }
    // Of the slowest 1% by wall time, how many waited for a CPU for half their time or more.
    let mut by_wall: Vec<usize> = (0..latencies.len()).collect();
    by_wall.sort_by(|&a, &b| latencies[b].total_cmp(&latencies[a]));
    let slowest = &by_wall[..latencies.len().div_ceil(100)];
    let slow_waited = slowest
        .iter()
        .filter(|&&i| 2.0 * waited[i] >= latencies[i])
        .count();
    latencies.sort_by(f64::total_cmp);
    working.sort_by(f64::total_cmp);
    candidates.sort_by(f64::total_cmp);
    let (peak, rss) = memory_mib();
    let mean = latencies.iter().sum::<f64>() / latencies.len().max(1) as f64;
    let line = format!(
        concat!(
            "{{\"tool\":\"corridor\",\"bench\":\"incremental\",\"records\":{},\"new\":{},",
            "\"train\":{},\"threads\":{},\"generate_s\":{:.2},\"train_s\":{:.2},",
            "\"engine_s\":{:.2},\"index_s\":{:.2},\"add_ms_p50\":{:.3},\"add_ms_p90\":{:.3},",
            "\"add_ms_p99\":{:.3},\"add_ms_max\":{:.3},\"add_ms_mean\":{:.3},",
            "\"add_not_waiting_ms_p50\":{:.3},\"add_not_waiting_ms_p99\":{:.3},",
            "\"add_not_waiting_ms_max\":{:.3},\"slowest_1pct_waited_half\":{},\"slowest_1pct\":{},",
            "\"candidates_p50\":{},\"candidates_p99\":{},\"candidates_max\":{},",
            "\"joined\":{},\"founded\":{},\"merged\":{},\"blocks_skipped\":{},",
            "\"duplicates_linked\":{},\"duplicates\":{},\"adds_with_a_wrong_link\":{},",
            "\"peak_mib_train\":{},\"peak_mib_engine\":{},\"rss_mib_engine\":{},",
            "\"peak_mib_build\":{},\"rss_mib_build\":{},",
            "\"peak_mib\":{},\"rss_mib\":{}}}"
        ),
        records,
        new,
        train,
        rayon::current_num_threads(),
        generate_s,
        train_s,
        engine_s,
        index_s,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0.0),
        mean,
        percentile(&working, 0.5),
        percentile(&working, 0.99),
        working.last().copied().unwrap_or(0.0),
        slow_waited,
        slowest.len(),
        percentile(&candidates, 0.5),
        percentile(&candidates, 0.99),
        candidates.last().copied().unwrap_or(0.0),
        joined,
        founded,
        merged,
        skipped,
        dup_found,
        dup_total,
        false_joins,
        peak_train,
        peak_engine,
        rss_engine,
        peak_build,
        rss_build,
        peak,
        rss,
    );
    println!("{line}");
    eprintln!(
        "add: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms over {new} records; without run-queue \
         waits: p50 {:.3} ms, p99 {:.3} ms; {slow_waited} of the slowest {} waited half their time",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0.0),
        percentile(&working, 0.5),
        percentile(&working, 0.99),
        slowest.len(),
    );
    Ok(())
}
