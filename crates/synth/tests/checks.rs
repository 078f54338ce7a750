//! The generator's own checks of the specification (B11) on the `test` preset: every file
//! ingests with no rejects but the rows the noise log marks as deliberately malformed (and those
//! for the logged reason); phones, IMEIs, personal numbers and plates are valid before noise;
//! recording noise and the payment channel mix hold their configured rates; hard negatives are
//! in the pairs file.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use corridor_synth::{Config, Preset, Summary, generate};

/// The `test` preset, generated once for all checks in this file.
fn scenario() -> &'static (PathBuf, Summary) {
    static SCENARIO: OnceLock<(PathBuf, Summary)> = OnceLock::new();
    SCENARIO.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("synth-checks-test-preset");
        let _ = std::fs::remove_dir_all(&dir);
        let summary = generate(&Config::preset(Preset::Test, 20231101), &dir).unwrap();
        (dir, summary)
    })
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    r.records()
        .map(|row| row.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// Noise-log rows: (agency, record id, field, kind, original, emitted).
fn noise_log(dir: &Path) -> Vec<Vec<String>> {
    csv_rows(&dir.join("truth/noise_log.csv"))
}

#[test]
fn every_file_ingests_and_only_the_marked_rows_are_rejected_for_the_logged_reason() {
    let (dir, summary) = scenario();
    let malformed: HashMap<(String, String), (String, String)> = noise_log(dir)
        .into_iter()
        .filter(|n| n[3].starts_with("malformed_"))
        .map(|n| ((n[0].clone(), n[1].clone()), (n[2].clone(), n[3].clone())))
        .collect();
    assert!(
        malformed.len() >= 5,
        "the test preset marks some rows malformed"
    );
    let mut store = corridor_store::SqliteStore::open(dir.join("checks.db")).unwrap();
    let mut rejected_total = 0;
    for agency in &summary.agencies {
        let path = dir.join(&agency.data_file);
        let mapping = std::fs::read_to_string(dir.join(&agency.mapping_file)).unwrap();
        let rejects = dir.join(format!("{}.rejects", agency.data_file.replace('/', "_")));
        let s = corridor_ingest::ingest_file(
            &mut store,
            &path,
            if agency.ftm {
                corridor_ingest::Format::Ftm
            } else {
                corridor_ingest::Format::Csv
            },
            Some((&mapping, agency.mapping_file.as_str())),
            &corridor_ingest::Options {
                rejects_path: Some(rejects.clone()),
                ..Default::default()
            },
            &mut |_| {},
        )
        .unwrap();
        // The police forms carry the record id in their third column; line = row + 2.
        let line_of: HashMap<u64, String> = if !agency.data_file.ends_with("interceptions.csv") {
            HashMap::new()
        } else {
            csv_rows(&path)
                .iter()
                .enumerate()
                .map(|(i, row)| (i as u64 + 2, row.get(2).cloned().unwrap_or_default()))
                .collect()
        };
        let mut rejected = HashSet::new();
        if s.rows_rejected > 0 {
            for r in csv_rows(&rejects) {
                let line: u64 = r[1].parse().unwrap();
                let record = &line_of[&line];
                let (field, kind) = malformed
                    .get(&(agency.code.clone(), record.clone()))
                    .unwrap_or_else(|| {
                        panic!("{}: line {line} ({record}) rejected: {r:?}", agency.code)
                    });
                assert_eq!(&r[2], field, "{}: {record}", agency.code);
                let why = match kind.as_str() {
                    "malformed_date" => "does not exist",
                    "malformed_grading" => "source code 'Z'",
                    other => panic!("unknown malformation {other}"),
                };
                assert!(r[3].contains(why), "{}: {record}: {}", agency.code, r[3]);
                rejected.insert(record.clone());
            }
        }
        let marked = malformed
            .keys()
            .filter(|(a, _)| *a == agency.code)
            .filter(|(_, r)| line_of.values().any(|x| x == r))
            .count();
        assert_eq!(
            rejected.len(),
            marked,
            "{}: every marked row rejected",
            agency.code
        );
        assert_eq!(
            s.rows_accepted + s.rows_rejected,
            agency.rows,
            "{}",
            agency.code
        );
        rejected_total += rejected.len();
    }
    assert_eq!(rejected_total, malformed.len());
}

#[test]
fn phones_imeis_personal_numbers_and_plates_are_valid_before_noise() {
    let (dir, _) = scenario();
    let phones = csv_rows(&dir.join("truth/phones.csv"));
    assert!(phones.len() > 10_000, "{} phones", phones.len());
    let db = &*phonenumber::metadata::DATABASE;
    let mut bad: std::collections::BTreeSet<String> = Default::default();
    for row in &phones {
        let n = phonenumber::parse(None, &row[0]).unwrap_or_else(|e| panic!("{}: {e}", row[0]));
        if !phonenumber::is_valid(&n) {
            bad.insert(row[0][..7.min(row[0].len())].to_owned());
            continue;
        }
        let t = n.number_type(db);
        assert!(
            matches!(
                t,
                phonenumber::Type::Mobile | phonenumber::Type::FixedLineOrMobile
            ),
            "{} is {t:?}, not a mobile",
            row[0]
        );
        let imei: u64 = row[2].parse().unwrap();
        assert_eq!(row[2].len(), 15);
        assert_eq!(
            corridor_synth::phones::luhn_digit(imei / 10),
            imei % 10,
            "IMEI {imei}"
        );
        assert_eq!(row[1].len(), 15, "IMSI {}", row[1]);
    }
    assert!(bad.is_empty(), "invalid numbers starting {bad:?}");
    // Personal numbers on the Serbian and Macedonian forms: valid unless a typo is logged.
    let typos: HashSet<(String, String)> = noise_log(dir)
        .into_iter()
        .filter(|n| n[2] == "personal_number")
        .map(|n| (n[0].clone(), n[1].clone()))
        .collect();
    let mut checked = 0;
    for (agency, column) in [("RS_BP", 18), ("MK_BP", 18)] {
        for row in csv_rows(&dir.join(agency).join("interceptions.csv")) {
            let jmbg = &row[column];
            if jmbg.is_empty() {
                continue;
            }
            let valid = jmbg.len() == 13
                && corridor_synth::agency::jmbg_check(&jmbg[..12])
                    == jmbg[12..].parse::<u32>().ok();
            let logged = typos.contains(&(agency.to_owned(), row[2].clone()));
            assert!(valid || logged, "{agency} {}: JMBG {jmbg}", row[2]);
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked} personal numbers");
    assert!(!typos.is_empty(), "some personal numbers carry typos");
    // Plates as issued match their country's pattern.
    let vehicles = csv_rows(&dir.join("truth/vehicles.csv"));
    let mut replated = 0;
    for v in &vehicles {
        let plates: Vec<&str> = v[1].split(';').collect();
        replated += usize::from(plates.len() > 1);
        for (i, p) in plates.iter().enumerate() {
            let plate = p.split('@').next().unwrap();
            let country = if i == 0 { v[3].as_str() } else { "RS-TP" };
            let re = regex::Regex::new(corridor_synth::world::plate_pattern(country)).unwrap();
            assert!(re.is_match(plate), "{} plate {plate} ({country})", v[0]);
        }
    }
    assert!(replated > 0, "some Kosovo vans are re-plated");
}

#[test]
fn hard_negatives_hold_same_names_and_siblings() {
    let (dir, _) = scenario();
    let pairs = csv_rows(&dir.join("truth/pairs.csv"));
    let persons: HashMap<String, String> = csv_rows(&dir.join("truth/record_person.csv"))
        .into_iter()
        .map(|r| (format!("{}/{}", r[0], r[1]), r[3].clone()))
        .collect();
    let names: HashMap<String, String> = csv_rows(&dir.join("truth/persons.csv"))
        .into_iter()
        .map(|r| (r[0].clone(), r[5].clone()))
        .collect();
    let negatives: Vec<&Vec<String>> = pairs.iter().filter(|p| p[3] == "1").collect();
    let share = negatives.len() as f64 / pairs.len() as f64;
    assert!((0.08..=0.12).contains(&share), "hard negatives {share}");
    let (mut same_name, mut siblings) = (0, 0);
    for p in negatives {
        let (a, b) = (&persons[&p[0]], &persons[&p[1]]);
        assert_ne!(a, b, "a hard negative joins two different persons");
        if names[a] == names[b] {
            same_name += 1;
        } else {
            siblings += 1;
        }
    }
    assert!(
        same_name > 0 && siblings > 0,
        "{same_name} same-name, {siblings} siblings"
    );
}

/// A bigger scenario (with a small ledger) where one agency writes well over ten thousand
/// records, so the recording rates can be held to ±2 percentage points.
#[test]
fn recording_noise_and_payment_channels_hold_their_configured_rates() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("synth-checks-rates");
    let _ = std::fs::remove_dir_all(&dir);
    let config = Config::from_toml(
        "[scenario]\nseed = 11\npreset = \"test\"\n[volumes]\nmigrants = 40000\ntransactions = 50000\n",
    )
    .unwrap();
    generate(&config, &dir).unwrap();
    let rows = csv_rows(&dir.join("RS_BP/interceptions.csv"));
    assert!(rows.len() >= 10_000, "{} RS_BP records", rows.len());
    let cyrillic = rows
        .iter()
        .filter(|r| {
            r[6..8]
                .iter()
                .any(|name| name.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c)))
        })
        .count();
    let near = |what: &str, got: f64, want: f64| {
        assert!((got - want).abs() <= 0.02, "{what}: {got:.4} vs {want}");
    };
    // A record's script is drawn once, so the name columns show it.
    near(
        "RS_BP Cyrillic share",
        cyrillic as f64 / rows.len() as f64,
        0.60,
    );
    let log = noise_log(&dir);
    // The border-stop form's records (Serbia's centre registrations are logged as RS_BP too).
    let stop_ids: HashSet<&str> = rows.iter().map(|r| r[2].as_str()).collect();
    let count = |kind: &str| {
        log.iter()
            .filter(|n| n[0] == "RS_BP" && n[3] == kind && stop_ids.contains(n[1].as_str()))
            .count() as f64
    };
    let migrants = rows.iter().filter(|r| r[11] == "migrant").count() as f64;
    near(
        "swapped",
        count("given_family_swapped") / rows.len() as f64,
        0.05,
    );
    near("dob missing", count("dob_missing") / migrants, 0.15);
    // Drawn in turn: a placeholder among those not missing.
    near(
        "dob 01-01",
        count("dob_placeholder_01_01") / migrants,
        0.85 * 0.12,
    );
    // The payment channel mix: one draw per leg payment, seen as the draw's first transaction.
    let accounts: HashMap<String, String> = csv_rows(&dir.join("truth/accounts.csv"))
        .into_iter()
        .map(|r| (r[0].clone(), r[2].clone()))
        .collect();
    let ledger: HashMap<String, String> = csv_rows(&dir.join("ledger/transactions.csv"))
        .into_iter()
        .map(|r| (r[0].clone(), r[2].clone()))
        .collect();
    let mut mix: HashMap<&str, f64> = HashMap::new();
    for t in csv_rows(&dir.join("truth/transactions_truth.csv")) {
        let channel = match (t[2].as_str(), t[8].as_str(), t[6].as_str()) {
            ("HAWALA_ESCROW", "DEPOSIT", _) => "hawala",
            ("CASH_COLLECTION", _, leg) if leg != "channel" => "cash",
            ("MTO_FAN_IN", ..) => "mto",
            ("BANK_PAYMENT", ..) => "bank",
            // The first hop of a crypto payment leaves the payer's own wallet.
            ("CRYPTO_CASHOUT", ..) if !accounts[&ledger[&t[0]]].is_empty() => "crypto",
            _ => continue,
        };
        *mix.entry(channel).or_default() += 1.0;
    }
    let total: f64 = mix.values().sum();
    assert!(total >= 10_000.0, "{total} leg payments");
    for (channel, want) in corridor_synth::journey::PAYMENT_MIX {
        near(
            channel,
            mix.get(channel).copied().unwrap_or(0.0) / total,
            want,
        );
    }
}

#[test]
fn truth_tables_reference_only_what_exists_and_each_record_slot_once() {
    let (dir, _) = scenario();
    let col = |file: &str, i: usize| -> HashSet<String> {
        csv_rows(&dir.join("truth").join(file))
            .into_iter()
            .map(|r| r[i].clone())
            .collect()
    };
    let persons = col("persons.csv", 0);
    let phones = col("phones.csv", 0);
    let vehicles = col("vehicles.csv", 0);
    let objects = col("objects.csv", 0);
    let comms = col("communications_truth.csv", 0);
    let networks = col("networks.csv", 0);
    let mut slots = HashSet::new();
    for r in csv_rows(&dir.join("truth/record_person.csv")) {
        assert!(
            persons.contains(&r[3]),
            "record_person names no person: {r:?}"
        );
        assert!(
            slots.insert((r[0].clone(), r[1].clone(), r[2].clone())),
            "record slot twice: {r:?}"
        );
    }
    for r in csv_rows(&dir.join("truth/record_object.csv")) {
        let known = match r[2].as_str() {
            "phone" => phones.contains(&r[3]),
            "vehicle" => vehicles.contains(&r[3]),
            "document" | "vessel" => objects.contains(&r[3]),
            other => panic!("unknown object kind {other}"),
        };
        assert!(known, "record_object names nothing: {r:?}");
    }
    for r in csv_rows(&dir.join("truth/record_event.csv")) {
        let e = &r[2];
        let ok = match e.chars().next() {
            Some('C') => comms.contains(e),
            Some('E' | 'R' | 'A' | 'T') => e.len() > 1,
            _ => false,
        };
        assert!(ok, "record_event names no event: {r:?}");
    }
    for r in csv_rows(&dir.join("truth/membership.csv")) {
        assert!(persons.contains(&r[0]) && networks.contains(&r[1]), "{r:?}");
        assert!(r[5].is_empty() || persons.contains(&r[5]), "{r:?}");
    }
    for r in csv_rows(&dir.join("truth/phones.csv")) {
        assert!(persons.contains(&r[3]), "{r:?}");
    }
    for r in csv_rows(&dir.join("truth/accounts.csv")) {
        assert!(
            r[2].is_empty() || persons.contains(&r[2]) || objects.contains(&r[2]),
            "account holder unknown: {r:?}"
        );
    }
    for r in csv_rows(&dir.join("truth/communications_truth.csv")) {
        assert!(persons.contains(&r[2]) && persons.contains(&r[3]), "{r:?}");
    }
}
