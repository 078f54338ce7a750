//! The generator's own checks: determinism, truth completeness, and that every agency file
//! ingests through its own mapping without a single reject.

use std::collections::HashSet;
use std::path::Path;

use corridor_synth::{Config, Preset, generate};

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let name = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((name, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let config = Config::preset(Preset::Demo, 42);
    generate(&config, a.path()).unwrap();
    generate(&config, b.path()).unwrap();
    generate(&Config::preset(Preset::Demo, 43), c.path()).unwrap();
    let (fa, fb, fc) = (files(a.path()), files(b.path()), files(c.path()));
    assert!(fa.len() >= 5 * 2 + 6, "{} files", fa.len());
    assert_eq!(fa, fb, "same seed, same bytes");
    assert_ne!(fa, fc, "another seed, another scenario");
}

#[test]
fn every_agency_file_ingests_without_rejects_and_truth_covers_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&Config::preset(Preset::Demo, 7), dir.path()).unwrap();
    assert!(summary.interceptions > 100, "{summary:?}");
    let truth = std::fs::read_to_string(dir.path().join("truth/record_person.csv")).unwrap();
    let truth_ids: HashSet<String> = truth
        .lines()
        .skip(1)
        .map(|l| {
            let mut c = l.split(',');
            format!("{}/{}", c.next().unwrap(), c.next().unwrap())
        })
        .collect();
    let mut store = corridor_store::SqliteStore::open(dir.path().join("c.db")).unwrap();
    for agency in &summary.agencies {
        assert!(agency.rows > 0, "{} recorded nothing", agency.code);
        let mapping = std::fs::read_to_string(dir.path().join(&agency.mapping_file)).unwrap();
        let s = corridor_ingest::ingest_file(
            &mut store,
            &dir.path().join(&agency.data_file),
            if agency.ftm {
                corridor_ingest::Format::Ftm
            } else {
                corridor_ingest::Format::Csv
            },
            Some((&mapping, agency.mapping_file.as_str())),
            &corridor_ingest::Options::default(),
            &mut |_| {},
        )
        .unwrap();
        let rejects = std::fs::read_to_string(s.rejects_path.unwrap()).unwrap();
        assert_eq!(s.rows_rejected, 0, "{}: {rejects}", agency.code);
        assert_eq!(s.rows_accepted, agency.rows);
    }
    // Every person record in the store has exactly one truth row.
    let mut after = None;
    let mut persons = 0;
    loop {
        let page = corridor_store::Store::scan_live(
            &mut store,
            after
                .as_ref()
                .map(|(o, r): &(String, String)| (o.as_str(), r.as_str())),
            1000,
        )
        .unwrap();
        let Some(last) = page.last() else { break };
        after = Some((last.envelope.originator.clone(), last.record.id.clone()));
        for v in page.iter().filter(|v| v.record.schema == "Person") {
            persons += 1;
            let key = format!("{}/{}", v.envelope.originator, v.record.id);
            assert!(truth_ids.contains(&key), "no truth for {key}");
        }
    }
    assert_eq!(persons, truth_ids.len());
}

#[test]
fn serbian_and_macedonian_police_write_in_both_scripts() {
    let dir = tempfile::tempdir().unwrap();
    generate(&Config::preset(Preset::Demo, 11), dir.path()).unwrap();
    for agency in ["RS_BP", "MK_BP"] {
        let csv =
            std::fs::read_to_string(dir.path().join(agency).join("interceptions.csv")).unwrap();
        assert!(
            csv.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c)),
            "{agency} has no Cyrillic"
        );
        assert!(
            csv.lines()
                .skip(1)
                .any(|l| { l.split(',').nth(6).is_some_and(|f| f.is_ascii()) })
        );
    }
    let noise = std::fs::read_to_string(dir.path().join("truth/noise_log.csv")).unwrap();
    for kind in [
        "romanisation_variant",
        "typo",
        "dob_missing",
        "dob_placeholder_01_01",
        "given_family_swapped",
    ] {
        assert!(noise.contains(kind), "no {kind} in the noise log");
    }
}

#[test]
fn the_ledger_is_ordered_labelled_and_conserves_journey_money() {
    use std::collections::HashMap;
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&Config::preset(Preset::Demo, 5), dir.path()).unwrap();
    let ledger = std::fs::read_to_string(dir.path().join("ledger/transactions.csv")).unwrap();
    let mut rows: HashMap<String, Vec<String>> = HashMap::new();
    let mut last = String::new();
    for line in ledger.lines().skip(1) {
        let cols: Vec<String> = line.split(',').map(str::to_owned).collect();
        assert_eq!(cols.len(), 7, "{line}");
        assert!(cols[1] >= last, "ledger not in time order at {line}");
        last = cols[1].clone();
        assert!(cols[4].parse::<f64>().unwrap() > 0.0);
        assert!(rows.insert(cols[0].clone(), cols).is_none(), "duplicate id");
    }
    assert_eq!(rows.len() as u64, summary.ledger.transactions);
    let truth = std::fs::read_to_string(dir.path().join("truth/transactions_truth.csv")).unwrap();
    // Per journey: deposits = releases + refunds + what is still held at the window's end (at
    // most the last deposit); commissions are booked apart, 2-5% of the deposits.
    #[derive(Default)]
    struct Escrow {
        deposits: f64,
        releases: f64,
        refunds: f64,
        last_deposit: f64,
        commissions: f64,
    }
    let mut journeys: HashMap<String, Escrow> = HashMap::new();
    let mut settled: f64 = 0.0;
    let mut illicit = 0;
    let header = truth.lines().next().unwrap();
    assert_eq!(
        header,
        "tx_id,illicit,typology,laundering_case_id,stage,journey_id,leg,network_id,step"
    );
    for line in truth.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        let tx = rows
            .get(c[0])
            .unwrap_or_else(|| panic!("truth names a missing tx {}", c[0]));
        illicit += 1;
        let amount: f64 = tx[4].parse().unwrap();
        if c[2] == "HAWALA_ESCROW" {
            assert!(c[5].starts_with('J'), "escrow without a journey: {line}");
            let e = journeys.entry(c[5].to_owned()).or_default();
            match c[8] {
                "DEPOSIT" => {
                    e.deposits += amount;
                    e.last_deposit = amount;
                }
                "COMMISSION" => e.commissions += amount,
                "RELEASE" => e.releases += amount,
                "REFUND" => e.refunds += amount,
                other => panic!("unexpected escrow step {other}: {line}"),
            }
        }
        if c[2] == "HAWALA_SETTLEMENT" {
            settled += amount;
        }
    }
    assert_eq!(illicit, summary.ledger.illicit);
    assert!(
        journeys.len() > 50,
        "{} journeys paid by hawala",
        journeys.len()
    );
    let (mut deposits, mut commissions, mut released) = (0.0, 0.0, 0.0);
    for (journey, e) in &journeys {
        let held = e.deposits - e.releases - e.refunds;
        assert!(
            held.abs() < 0.005 || (held - e.last_deposit).abs() < 0.005,
            "{journey}: deposited {} = released {} + refunded {} + held {held}?",
            e.deposits,
            e.releases,
            e.refunds
        );
        deposits += e.deposits;
        commissions += e.commissions;
        released += e.releases;
    }
    let rate = commissions / deposits;
    assert!((0.019..=0.051).contains(&rate), "commission {rate}");
    // The brokers settle what the releases built up: the net balance stays within 5% of volume.
    assert!(
        (released - settled).abs() <= 0.05 * released,
        "released {released}, settled {settled}"
    );
}

#[test]
fn every_romanisation_variant_of_the_catalogue_is_produced_in_the_test_preset() {
    let dir = tempfile::tempdir().unwrap();
    generate(&Config::preset(Preset::Test, 20231101), dir.path()).unwrap();
    let noise = std::fs::read_to_string(dir.path().join("truth/noise_log.csv")).unwrap();
    let emitted: HashSet<&str> = noise
        .lines()
        .filter(|l| l.contains(",romanisation_variant,"))
        .filter_map(|l| l.rsplit(',').next())
        .collect();
    let catalog = corridor_synth::catalog::Catalog::get();
    let mut missing = Vec::new();
    for entry in catalog
        .names
        .iter()
        .filter(|n| ["AF", "SY", "IQ"].contains(&n.group))
    {
        for v in &entry.variants {
            if !emitted.contains(v) {
                missing.push(format!("{} → {v}", entry.canonical));
            }
        }
    }
    assert!(missing.is_empty(), "never produced: {missing:?}");
    // Serbian and Macedonian officers' Cyrillic spellings of migrants' names appear too.
    let rs = std::fs::read_to_string(dir.path().join("RS_BP/interceptions.csv")).unwrap();
    for cyrillic in ["Мухамед", "Хусеин", "Абдул Рахман"] {
        assert!(rs.contains(cyrillic), "RS_BP never wrote {cyrillic}");
    }
}

#[test]
fn pairs_are_labelled_by_the_truth_and_hold_hard_negatives() {
    use std::collections::HashMap;
    let dir = tempfile::tempdir().unwrap();
    generate(&Config::preset(Preset::Demo, 3), dir.path()).unwrap();
    let truth = std::fs::read_to_string(dir.path().join("truth/record_person.csv")).unwrap();
    let person_of: HashMap<String, String> = truth
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (format!("{}/{}", c[0], c[1]), c[3].to_owned())
        })
        .collect();
    let pairs = std::fs::read_to_string(dir.path().join("truth/pairs.csv")).unwrap();
    let (mut same, mut hard) = (0u32, 0u32);
    for line in pairs.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        let (a, b) = (&person_of[c[0]], &person_of[c[1]]);
        match (c[2], c[3]) {
            ("1", "0") => {
                assert_eq!(a, b, "{line}");
                same += 1;
            }
            ("0", "1") => {
                assert_ne!(a, b, "{line}");
                hard += 1;
            }
            other => panic!("unexpected labels {other:?}"),
        }
    }
    assert!(same > 100, "{same} true pairs");
    let share = f64::from(hard) / f64::from(same + hard);
    assert!(
        (0.08..=0.12).contains(&share),
        "hard negatives are {share:.3} of the pairs"
    );
}

#[test]
fn a_configuration_file_sets_volumes_and_recording_rates_and_refuses_what_it_cannot_do() {
    let config = Config::from_toml(
        "[scenario]\nseed = 7\npreset = \"demo\"\ndays = 200\n\
         [volumes]\nmigrants = 300\n\
         [agencies.RS_BP]\ncyrillic = 1.0\ndob_missing = 0.0\n",
    )
    .unwrap();
    assert_eq!((config.seed, config.days, config.migrants), (7, 200, 300));
    let dir = tempfile::tempdir().unwrap();
    generate(&config, dir.path()).unwrap();
    let rs = std::fs::read_to_string(dir.path().join("RS_BP/interceptions.csv")).unwrap();
    for line in rs.lines().skip(1) {
        // The family name may be missing (FNU habits); the given name is always there.
        let names: String = line.split(',').skip(6).take(2).collect();
        assert!(
            names.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c)),
            "every RS_BP record typed in Cyrillic: {line}"
        );
        assert!(
            !line.split(',').nth(9).unwrap().is_empty(),
            "no missing dates: {line}"
        );
    }
    for (bad, why) in [
        (
            "[scenario]\nseed = 1\n[weather]\nrain = 0.4\n",
            "unknown field `weather`",
        ),
        (
            "[scenario]\nseed = 1\n[routes]\nR_XX = 0.4\n",
            "no such route",
        ),
        (
            "[scenario]\nseed = 1\n[payment_mix]\nhawala = 1.4\n",
            "payment_mix.hawala",
        ),
        (
            "[scenario]\nseed = 1\n[payment_mix]\nbarter = 0.1\n",
            "unknown field `barter`",
        ),
        (
            "[scenario]\nseed = 1\nillicit_ratio = 0\n",
            "scenario.illicit_ratio",
        ),
        (
            "[scenario]\nseed = 1\n[thresholds]\nrs_ctr_eur = 5\n",
            "thresholds.rs_ctr_eur",
        ),
        (
            "[scenario]\nseed = 1\n[agencies.XX_YY]\ntypo_per_token = 0.1\n",
            "no such agency",
        ),
        (
            "[scenario]\nseed = 1\n[agencies.RS_BP]\ntypo_per_token = 1.5\n",
            "not a rate",
        ),
        (
            "[scenario]\nseed = 1\npreset = \"huge\"\n",
            "not demo, test, year or bench",
        ),
        ("[scenario]\nseed = 1\ndays = 0\n", "scenario.days"),
    ] {
        let err = Config::from_toml(bad).unwrap_err();
        assert!(err.contains(why), "want '{why}' in '{err}'");
    }
}

#[test]
fn networks_hold_their_roles_and_every_chain_of_command_ends_at_the_top() {
    use std::collections::HashMap;
    let dir = tempfile::tempdir().unwrap();
    generate(&Config::preset(Preset::Test, 9), dir.path()).unwrap();
    let read = |name: &str| std::fs::read_to_string(dir.path().join("truth").join(name)).unwrap();
    let persons = read("persons.csv");
    let kind: HashMap<&str, &str> = persons
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (c[0], c[1])
        })
        .collect();
    let membership = read("membership.csv");
    let networks = read("networks.csv");
    let net_kind: HashMap<&str, &str> = networks
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (c[0], c[1])
        })
        .collect();
    // B10's test preset: 4 organiser networks, 8 cells, 2 Channel, 1 document, 4 money services.
    for (kind_name, want) in [
        ("ORGANISER_NET", 4),
        ("LOCAL_CELL", 8),
        ("CHANNEL_NET", 2),
        ("DOC_NET", 1),
        ("MONEY_SERVICE", 4),
    ] {
        let got = net_kind.values().filter(|k| **k == kind_name).count();
        assert_eq!(got, want, "{kind_name}");
    }
    let mut boss: HashMap<&str, &str> = HashMap::new();
    let mut roles: HashMap<&str, &str> = HashMap::new();
    let mut sizes: HashMap<&str, usize> = HashMap::new();
    for line in membership.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        assert!(
            matches!(kind[c[0]], "smuggler" | "hawaladar" | "migrant"),
            "member {} is a {}",
            c[0],
            kind[c[0]]
        );
        assert!(c[3] <= c[4], "membership ends before it starts: {line}");
        roles.entry(c[0]).or_insert(c[2]);
        *sizes.entry(c[1]).or_default() += 1;
        if !c[5].is_empty() {
            boss.insert(c[0], c[5]);
        }
    }
    for (person, k) in &kind {
        if *k == "smuggler" || *k == "hawaladar" {
            assert!(roles.contains_key(person), "{person} has no role");
        }
    }
    for person in roles.keys() {
        let mut at = *person;
        for _ in 0..10 {
            match boss.get(at) {
                Some(next) => at = next,
                None => break,
            }
        }
        assert!(
            matches!(roles[at], "ORGANISER" | "LEADER" | "HAWALADAR"),
            "{person}'s chain of command ends at {at}, a {}",
            roles[at]
        );
    }
    // Every core network has at least the size rule's minimum of five.
    for (net, k) in &net_kind {
        if *k != "MONEY_SERVICE" {
            assert!(sizes.get(net).copied().unwrap_or(0) >= 5, "{net} too small");
        }
    }
    let partners: HashMap<&str, Vec<&str>> = networks
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (c[0], c[6].split(';').filter(|p| !p.is_empty()).collect())
        })
        .collect();
    for (net, ps) in &partners {
        for p in ps {
            assert!(
                partners[p].contains(net),
                "{net} and {p} are partners both ways"
            );
        }
        if net_kind[net] == "LOCAL_CELL" {
            assert!(!ps.is_empty(), "cell {net} serves no organiser");
        }
    }
}

#[test]
fn routes_payment_mix_thresholds_and_illicit_ratio_come_from_the_configuration() {
    let config = Config::from_toml(
        "[scenario]\nseed = 3\npreset = \"demo\"\nillicit_ratio = 0.05\n\
         [routes]\nR_MK = 0\nR_BG = 0\nR_BA = 0\nR_HR = 0\nR_AL = 1\nuk_tail = 0\n\
         [payment_mix]\nhawala = 0\ncash = 0\nmto = 1\nbank = 0\ncrypto = 0\n\
         [thresholds]\nrs_ctr_eur = 10000\n",
    )
    .unwrap();
    assert_eq!(config.illicit_ratio, Some(0.05));
    assert_eq!(config.rs_ctr_eur, 10_000);
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&config, dir.path()).unwrap();
    let journeys = std::fs::read_to_string(dir.path().join("truth/journeys.csv")).unwrap();
    assert!(
        journeys
            .lines()
            .skip(1)
            .all(|l| l.split(',').nth(3) == Some("R_AL")),
        "every journey on the Albanian route"
    );
    let uk = std::fs::read_to_string(dir.path().join("UK_BF/arrivals.csv")).unwrap();
    assert_eq!(uk.lines().count(), 1, "no Channel crossings");
    let truth = std::fs::read_to_string(dir.path().join("truth/transactions_truth.csv")).unwrap();
    for line in truth.lines().skip(1) {
        let typology = line.split(',').nth(2).unwrap();
        assert!(
            !matches!(
                typology,
                "HAWALA_ESCROW" | "CASH_COLLECTION" | "BANK_PAYMENT" | "CRYPTO_CASHOUT"
            ),
            "leg payments only by money transfer: {line}"
        );
    }
    let ratio = summary.ledger.illicit as f64 / summary.ledger.transactions as f64;
    assert!((0.045..=0.055).contains(&ratio), "illicit share {ratio}");
    let reports = std::fs::read_to_string(dir.path().join("RS_FIU/reports.csv")).unwrap();
    for line in reports.lines().skip(1) {
        let amount: f64 = line.split(',').nth(5).unwrap().parse().unwrap();
        assert!(
            amount < 10_000.0,
            "structured under the configured threshold: {line}"
        );
    }
}
