//! Properties of a resolution run that must hold for any input: the result does not depend on
//! the order of the input lines, every record is in exactly one cluster, judgements hold, and
//! explanations add up.

use corridor_resolve::model::Model;
use corridor_resolve::table::{Field, Table};
use corridor_resolve::{Engine, Judgement, Role, Settings};
use proptest::prelude::*;

const GIVEN: [&str; 8] = [
    "Mohammad",
    "Muhammad",
    "Ahmad",
    "Đorđe",
    "Ђорђе",
    "Gëzim",
    "Hussein",
    "Ljubomir",
];
const FAMILY: [&str; 6] = [
    "Ahmadi",
    "Jovanović",
    "Јовановић",
    "Hoxha",
    "Krasniqi",
    "Petrović",
];
const DATES: [&str; 6] = [
    "1990-01-01",
    "1987-05-03",
    "1987-03-05",
    "1998",
    "2001-12-31",
    "",
];

/// A small table from indices into the pools above (so that many records collide).
fn table(rows: &[(usize, usize, usize, u8)]) -> Table {
    let value = |s: &str| if s.is_empty() { None } else { Some(s.into()) };
    let field = |role: Role, name: &str, values: Vec<Option<Box<str>>>| Field {
        role,
        occurrence: 0,
        name: name.to_string(),
        values,
    };
    Table {
        ids: (0..rows.len()).map(|i| format!("r{i}")).collect(),
        sources: vec![0; rows.len()],
        fields: vec![
            field(
                Role::GivenName,
                "given",
                rows.iter().map(|r| value(GIVEN[r.0 % 8])).collect(),
            ),
            field(
                Role::FamilyName,
                "family",
                rows.iter().map(|r| value(FAMILY[r.1 % 6])).collect(),
            ),
            field(
                Role::DateOfBirth,
                "dob",
                rows.iter().map(|r| value(DATES[r.2 % 6])).collect(),
            ),
            field(
                Role::Phone,
                "phone",
                rows.iter()
                    .map(|r| value(&format!("+38160123{:04}", r.3 % 5)))
                    .collect(),
            ),
        ],
    }
}

/// Cluster of every record id, as (id, cluster id) sorted by id.
fn clusters(engine: &Engine, cluster_of: &[u32]) -> Vec<(String, String)> {
    let t = engine.table();
    let mut out: Vec<(String, String)> = cluster_of
        .iter()
        .enumerate()
        .map(|(i, &c)| (t.ids[i].clone(), t.ids[c as usize].clone()))
        .collect();
    out.sort();
    out
}

fn rows() -> impl Strategy<Value = Vec<(usize, usize, usize, u8)>> {
    prop::collection::vec((0usize..8, 0usize..6, 0usize..6, 0u8..5), 2..40)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn result_does_not_depend_on_input_order(rows in rows(), seed in any::<u64>()) {
        let t = table(&rows);
        let mut order: Vec<u32> = (0..t.len() as u32).collect();
        // A seeded shuffle (Fisher–Yates with an LCG): the property must hold for any order.
        let mut s = seed | 1;
        for i in (1..order.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (s >> 33) as usize % (i + 1));
        }
        let shuffled = t.permuted(&order);
        let a = Engine::new(t, Settings::default()).unwrap();
        let b = Engine::new(shuffled, Settings::default()).unwrap();
        let ra = a.run(None, &[]).unwrap();
        let rb = b.run(None, &[]).unwrap();
        prop_assert_eq!(&ra.model, &rb.model);
        prop_assert_eq!(clusters(&a, &ra.cluster_of), clusters(&b, &rb.cluster_of));
    }

    #[test]
    fn every_record_in_exactly_one_cluster_named_by_a_member(rows in rows()) {
        let engine = Engine::new(table(&rows), Settings::default()).unwrap();
        let r = engine.run(None, &[]).unwrap();
        prop_assert_eq!(r.cluster_of.len(), rows.len());
        for (i, &c) in r.cluster_of.iter().enumerate() {
            // The cluster id is a member, the canonical-first one, and its own cluster.
            prop_assert!(c as usize <= i);
            prop_assert_eq!(r.cluster_of[c as usize], c);
        }
        // Every cluster is connected by links; linked pairs are split between clusters only
        // when clustering found their clusters too loosely linked to join (no judgements here).
        let mut parent: Vec<usize> = (0..rows.len()).collect();
        fn root(parent: &mut [usize], mut x: usize) -> usize {
            while parent[x] != x {
                x = parent[x];
            }
            x
        }
        let mut split = 0;
        for p in r.pairs.iter().filter(|p| p.probability >= 0.5) {
            let (a, b) = (p.l as usize, p.r as usize);
            if r.cluster_of[a] == r.cluster_of[b] {
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                parent[ra] = rb;
            } else {
                split += 1;
            }
        }
        for i in 0..rows.len() {
            let c = r.cluster_of[i] as usize;
            prop_assert_eq!(root(&mut parent, i), root(&mut parent, c));
        }
        prop_assert!(split == 0 || r.cluster_stats.edges_loose > 0);
    }

    #[test]
    fn judgements_always_hold(
        rows in rows(),
        raw in prop::collection::vec((0usize..40, 0usize..40, any::<bool>()), 0..12),
    ) {
        let n = rows.len();
        let engine = Engine::new(table(&rows), Settings::default()).unwrap();
        // Keep a consistent set: a must-link is dropped when it would join a cannot-link pair
        // (checked with a small union-find over the kept must-links).
        let mut parent: Vec<usize> = (0..n).collect();
        fn find(p: &[usize], mut x: usize) -> usize {
            while p[x] != x { x = p[x]; }
            x
        }
        let mut judgements: Vec<Judgement> = Vec::new();
        let cannot: Vec<(usize, usize)> = raw
            .iter()
            .filter(|(a, b, same)| !same && a % n != b % n)
            .map(|(a, b, _)| (a % n, b % n))
            .collect();
        for &(a, b) in &cannot {
            judgements.push(Judgement { l: a as u32, r: b as u32, same: false });
        }
        for (a, b, same) in &raw {
            let (a, b) = (a % n, b % n);
            if !same || a == b {
                continue;
            }
            let mut trial = parent.clone();
            let (ra, rb) = (find(&trial, a), find(&trial, b));
            trial[ra] = rb;
            let broken = cannot.iter().any(|&(x, y)| find(&trial, x) == find(&trial, y));
            if !broken {
                parent = trial;
                judgements.push(Judgement { l: a as u32, r: b as u32, same: true });
            }
        }
        let r = engine.run(None, &judgements).unwrap();
        for j in &judgements {
            let same = r.cluster_of[j.l as usize] == r.cluster_of[j.r as usize];
            prop_assert_eq!(same, j.same, "judgement {:?} broken", j);
        }
    }

    #[test]
    fn explanations_add_up(rows in rows(), l in 0usize..40, r in 0usize..40) {
        let n = rows.len();
        let engine = Engine::new(table(&rows), Settings::default()).unwrap();
        let result = engine.run(None, &[]).unwrap();
        let (l, r) = ((l % n) as u32, (r % n) as u32);
        let e = engine.explain(&result.model, l, r).unwrap();
        let sum = e.prior_weight + e.fields.iter().map(|f| f.weight).sum::<f64>();
        prop_assert!((sum - e.weight).abs() < 1e-9);
        // And equal the score of the pair when it was scored.
        if let Some(p) = result.pairs.iter().find(|p| (p.l, p.r) == (l.min(r), l.max(r))) {
            prop_assert!((p.weight - e.weight).abs() < 1e-9, "{} vs {}", p.weight, e.weight);
        }
    }
}

#[test]
fn model_round_trips_through_json_and_gives_the_same_result() {
    let rows: Vec<(usize, usize, usize, u8)> = (0..60)
        .map(|i| (i % 8, (i / 3) % 6, (i / 2) % 6, (i % 5) as u8))
        .collect();
    let engine = Engine::new(table(&rows), Settings::default()).unwrap();
    let first = engine.run(None, &[]).unwrap();
    let json = serde_json::to_string(&first.model).unwrap();
    let model: Model = serde_json::from_str(&json).unwrap();
    assert_eq!(model, first.model);
    let again = engine.run(Some(model), &[]).unwrap();
    assert_eq!(first.cluster_of, again.cluster_of);
    assert_eq!(first.pairs.len(), again.pairs.len());
}

#[test]
fn romanisation_and_script_variants_link() {
    let t = Table {
        ids: vec!["a".into(), "b".into(), "c".into(), "d".into()],
        sources: vec![0; 4],
        fields: vec![Field {
            role: Role::FullName,
            occurrence: 0,
            name: "name".into(),
            values: [
                "Мухамед Ахмади",
                "Mohammed Ahmadi",
                "Ahmadi Muhammad",
                "Ђорђе Јовановић",
            ]
            .iter()
            .map(|s| Some((*s).into()))
            .collect(),
        }],
    };
    let engine = Engine::new(t, Settings::default()).unwrap();
    let model = engine.default_model();
    let candidates = engine.candidates(&model).unwrap();
    // All three spellings of one name share the full-name key: one block, three pairs.
    let at = |id: &str| engine.table().ids.iter().position(|i| i == id).unwrap() as u32;
    let (a, b, c) = (at("a"), at("b"), at("c"));
    let mut expected = vec![
        (a.min(b), a.max(b)),
        (a.min(c), a.max(c)),
        (b.min(c), b.max(c)),
    ];
    expected.sort_unstable();
    assert_eq!(candidates.pairs, expected);
    let e = engine.explain(&model, a, b).unwrap();
    assert_eq!(e.fields[0].level, "same name parts (any order)");
}
