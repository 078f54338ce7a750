//! Hit / no-hit search over many person records: builds a SQLite store of `N` persons held by
//! three agencies that allow discovery, then times `PolicyStore::search` (discovery index,
//! decision per candidate, audit entry written with full sync) for a partner's analyst.
//!
//! Usage: `hit_bench [RECORDS] [QUERIES] [STORE]` (default 1,000,000 records, 2,000 queries,
//! a temporary SQLite file; STORE may be a SQLite path or a `postgres://` URL). Not a test:
//! run it on a quiet machine, release build.

use std::collections::BTreeMap;
use std::time::Instant;

use corridor_model::envelope::GradingFields;
use corridor_model::{Envelope, Grading, Record};
use corridor_policy::{
    Agency, Context, NewGrant, PolicyStore, Query, Role, Scope, SharedPolicy, User,
};
use corridor_store::{Batch, Entry, NewVersion, Provenance};

const BATCH_RECORDS: usize = 10_000;
const GIVEN: &[&str] = &[
    "Mohammed",
    "Ahmad",
    "Ali",
    "Hassan",
    "Hussein",
    "Omar",
    "Abdul Rahman",
    "Karim",
    "Yusuf",
    "Ibrahim",
    "Mustafa",
    "Khalid",
    "Hamid",
    "Reza",
    "Farid",
    "Jamal",
    "Nasir",
    "Tariq",
    "Zaid",
    "Bilal",
    "Idris",
    "Samir",
    "Walid",
    "Rashid",
    "Amir",
    "Faisal",
    "Habib",
    "Javed",
    "Imran",
    "Arben",
    "Besnik",
    "Gezim",
    "Luan",
    "Ilir",
    "Dritan",
    "Marko",
    "Jovan",
    "Nikola",
    "Stefan",
    "Dragan",
    "Milan",
    "Goran",
    "Zoran",
    "Dejan",
    "Bojan",
    "Aleksandar",
    "Petar",
    "Vasil",
    "Mehmet",
    "Emre",
    "Burak",
    "Murat",
    "Kemal",
    "Selim",
    "Ravi",
    "Sunil",
    "Eritrea",
    "Tesfaye",
    "Dawit",
    "Yonas",
    "Solomon",
    "Abel",
];
const ONSETS: &[&str] = &[
    "Ah", "Ka", "Ha", "Mo", "Ra", "Sa", "Na", "Ba", "Da", "Fa", "Ja", "La", "Ma", "Pa", "Ta", "Va",
    "Za", "Jo", "Pe", "Ni", "Ho", "Ke", "Ge", "Dr", "St", "Br", "Kr", "Gr", "Tr", "Sh", "Ch", "Kh",
    "Gh", "Zh", "Ya", "Yu", "Al", "El", "Os", "Is",
];
const MIDDLES: &[&str] = &[
    "ma", "ri", "sa", "ka", "lo", "va", "ne", "di", "zi", "mi", "ra", "la", "no", "ti", "bi", "ga",
    "du", "he", "ko", "pe", "se", "ru", "fi", "ja", "me", "to", "vi", "za", "ho", "ba",
];
const ENDINGS: &[&str] = &[
    "di", "ni", "vic", "ovic", "ski", "ov", "ev", "zai", "yar", "han", "ari", "bek", "oglu", "aj",
    "a", "i", "u", "er", "el", "an",
];

/// SplitMix64: a fixed stream, so every run builds the same store.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

fn name(rng: &mut Rng) -> String {
    format!(
        "{} {}{}{}",
        rng.pick(GIVEN),
        rng.pick(ONSETS),
        rng.pick(MIDDLES),
        rng.pick(ENDINGS)
    )
}

fn grading() -> Grading {
    Grading::from_fields(&GradingFields {
        system: "4x4".into(),
        source: Some("B".into()),
        information: Some("2".into()),
        handling: Some("H1".into()),
        ..GradingFields::default()
    })
    .expect("valid grading")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let records: usize = args.get(1).map_or(Ok(1_000_000), |a| a.parse())?;
    let queries: usize = args.get(2).map_or(Ok(2_000), |a| a.parse())?;
    let dir = tempfile::tempdir()?;
    let locator = args
        .get(3)
        .cloned()
        .unwrap_or_else(|| dir.path().join("hits.db").to_string_lossy().into_owned());
    let holders = ["RS_BP", "MK_MVR", "GR_HP"];
    let mut rng = Rng(2026);
    let mut store = corridor_store::open(&locator)?;
    let t = Instant::now();
    let mut names = Vec::with_capacity(records);
    let g = grading();
    for start in (0..records).step_by(BATCH_RECORDS) {
        let mut entries = Vec::with_capacity(BATCH_RECORDS);
        for i in start..(start + BATCH_RECORDS).min(records) {
            let n = name(&mut rng);
            let year = 1960 + rng.next() % 45;
            let dob = format!(
                "{year}-{:02}-{:02}",
                1 + rng.next() % 12,
                1 + rng.next() % 28
            );
            let mut properties = BTreeMap::new();
            properties.insert("name".to_owned(), vec![n.clone()]);
            properties.insert("birthDate".to_owned(), vec![dob]);
            let originator = holders[i % holders.len()];
            entries.push(Entry::Version(NewVersion::new(
                Record {
                    id: format!("p{i}"),
                    schema: "Person".into(),
                    properties,
                },
                Envelope {
                    originator: originator.into(),
                    contributor: "bench".into(),
                    submitted_at: "2026-11-01".into(),
                    source_ref: format!("case/{i}"),
                    review_by: "2027-11-01".into(),
                    grading: g.clone(),
                },
                Provenance::default(),
            )));
            names.push(n);
        }
        store.append_batch(&Batch {
            entries,
            ..Batch::default()
        })?;
    }
    println!(
        "{records} persons appended in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let now = 1_795_780_800;
    // The policy layer sets the page cache it prefers (small: its commits are small).
    let mut policy = PolicyStore::open_owned(store)?;
    for (code, country) in [
        ("UK_NCA", "gb"),
        ("RS_BP", "rs"),
        ("MK_MVR", "mk"),
        ("GR_HP", "gr"),
    ] {
        let lower = code.to_ascii_lowercase();
        policy.register_agency(
            "bench",
            Agency {
                code: code.into(),
                country: country.into(),
                name: code.into(),
                contact: format!("desk@{country}.example"),
            },
            now,
        )?;
        policy.register_user(
            "bench",
            User {
                id: format!("{lower}.sup"),
                agency: code.into(),
                roles: vec![Role::Supervisor],
                operations: vec![],
                active: true,
            },
            now,
        )?;
        if code != "UK_NCA" {
            policy.grant(
                &Context {
                    user: format!("{lower}.sup"),
                    origin: "bench".into(),
                    now,
                },
                &[],
                NewGrant {
                    recipient: "UK_NCA".into(),
                    named_users: vec![],
                    scope: Scope::Discovery {
                        schemata: vec!["Person".into()],
                    },
                    conditions: String::new(),
                    expires_at: now + 86_400,
                },
            )?;
        }
    }
    let ctx = Context {
        user: "uk_nca.sup".into(),
        origin: "bench".into(),
        now,
    };
    let t = Instant::now();
    let first = policy.search(
        &ctx,
        &Query {
            name: Some("Мухамед Ахмади".into()),
            ..Query::default()
        },
        "benchmark: index build",
    )?;
    println!(
        "discovery index of {} records built (first search) in {:.1} s; {} hits",
        policy.indexed_records(),
        t.elapsed().as_secs_f64(),
        first.hits.len()
    );
    // A search's latency is bounded below by one sync of the audit commit, and this machine's
    // disk syncs anywhere from 0.2 to 3 ms depending on its neighbours: say which it was.
    if let Some(ms) = sync_latency_ms(&locator) {
        println!("disk: one 4 KiB write + fsync beside the store takes {ms:.2} ms (median of 50)");
    }
    // Threads share the policy layer; their searches are committed in groups. A comma list
    // (`CORRIDOR_BENCH_THREADS=1,8,32`) runs the queries once per thread count.
    let counts: Vec<usize> = std::env::var("CORRIDOR_BENCH_THREADS")
        .unwrap_or_else(|_| "1".into())
        .split(',')
        .map(|t| t.trim().parse::<usize>().map(|t| t.clamp(1, 64)))
        .collect::<Result<_, _>>()?;
    // Searches' audit entries are written on a second handle, in groups.
    let shared = SharedPolicy::new(policy, corridor_store::open(&locator)?)?;
    for threads in counts {
        let mut plans: Vec<Vec<String>> = vec![Vec::new(); threads];
        for q in 0..queries {
            // Half the queries name a stored person, half a made-up one (mostly no-hit).
            let n = if q % 2 == 0 {
                names[(rng.next() % names.len() as u64) as usize].clone()
            } else {
                name(&mut rng)
            };
            plans[q % threads].push(n);
        }
        let t = Instant::now();
        let results: Vec<(Vec<f64>, usize, usize)> = std::thread::scope(|scope| {
            let handles: Vec<_> = plans
                .into_iter()
                .map(|plan| {
                    let shared = &shared;
                    let ctx = ctx.clone();
                    scope.spawn(move || {
                        let mut lat = Vec::with_capacity(plan.len());
                        let (mut hits, mut errors) = (0usize, 0usize);
                        for n in plan {
                            let query = Query {
                                name: Some(n),
                                ..Query::default()
                            };
                            let s = Instant::now();
                            match shared.search(
                                ctx.clone(),
                                query,
                                "benchmark: hit / no-hit".into(),
                            ) {
                                Ok(a) => hits += usize::from(!a.hits.is_empty()),
                                Err(_) => errors += 1,
                            }
                            lat.push(s.elapsed().as_secs_f64() * 1e3);
                        }
                        (lat, hits, errors)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("search thread"))
                .collect()
        });
        let mut lat = Vec::with_capacity(queries);
        let (mut hits, mut errors) = (0usize, 0usize);
        for (l, h, e) in results {
            lat.extend(l);
            hits += h;
            errors += e;
        }
        let wall = t.elapsed().as_secs_f64();
        lat.sort_by(f64::total_cmp);
        println!(
            "{queries} searches on {threads} thread(s): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {:.0} queries/s; {hits} with hits, {errors} refused as too broad; load {}",
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            lat.last().copied().unwrap_or(0.0),
            queries as f64 / wall,
            std::fs::read_to_string("/proc/loadavg")
                .map(|l| l.split(' ').take(3).collect::<Vec<_>>().join(" "))
                .unwrap_or_default()
        );
    }
    // Group commit must leave one unbroken chain.
    let report = shared.with(|p| p.verify_audit(None))?;
    println!(
        "audit log: {} entries, {}",
        report.entries,
        match &report.broken {
            None => "intact".to_owned(),
            Some(b) => format!("BROKEN at {}: {}", b.seq, b.reason),
        }
    );
    Ok(())
}

/// Median time of a 4 KiB write and fsync in the directory of a SQLite store (`None` for
/// PostgreSQL, whose syncs happen on the server).
fn sync_latency_ms(locator: &str) -> Option<f64> {
    use std::io::Write;
    if locator.starts_with("postgres") {
        return None;
    }
    let dir = std::path::Path::new(locator).parent()?;
    let path = dir.join("sync-probe.tmp");
    let mut times = Vec::with_capacity(50);
    let mut f = std::fs::File::create(&path).ok()?;
    for _ in 0..50 {
        let t = Instant::now();
        f.write_all(&[0u8; 4096]).ok()?;
        f.sync_data().ok()?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let _ = std::fs::remove_file(&path);
    times.sort_by(f64::total_cmp);
    Some(times[times.len() / 2])
}
