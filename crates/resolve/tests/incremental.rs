//! Incremental resolution against full runs: a record added to an index scores exactly as a full
//! run over all records scores it, joins clusters by the clustering rule, keeps judgements, and
//! the outcome depends only on the records and the order of additions.

use corridor_resolve::incremental::{Assignment, Index};
use corridor_resolve::table::{Field, Table};
use corridor_resolve::{Engine, Judgement, Limits, Role, Settings};
use proptest::prelude::*;

/// Given names, with a placeholder and a whole name in the given-name cell.
const GIVEN: [&str; 10] = [
    "Mohammad",
    "Muhammad",
    "Ahmad",
    "Đorđe",
    "Ђорђе",
    "Gëzim",
    "Hussein",
    "Ljubomir",
    "FNU",
    "Mohammad Ahmadi",
];
/// Family names; one in seven records has none.
const FAMILY: [&str; 7] = [
    "Ahmadi",
    "Jovanović",
    "Јовановић",
    "Hoxha",
    "Krasniqi",
    "Petrović",
    "",
];
/// Whole names in one cell (a phone's contacts), for the records with `r.3 == 0`, which then
/// have no given or family name.
const FULL: [&str; 4] = ["Mohammad A.", "Ђорђе J.", "Hussein", "Gezim Hoxha"];
const DATES: [&str; 6] = [
    "1990-01-01",
    "1987-05-03",
    "1987-03-05",
    "1998",
    "2001-12-31",
    "",
];

type Row = (usize, usize, usize, u8);

fn value(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// Nationalities, so that names are also weighed by their frequency within a country; one in
/// four records has none.
const COUNTRIES: [&str; 4] = ["af", "sy", "rs", ""];

fn country(r: &Row) -> Option<&'static str> {
    value(COUNTRIES[(r.0 + usize::from(r.3)) % 4])
}

fn given(r: &Row) -> Option<&'static str> {
    if r.3 == 0 {
        None
    } else {
        value(GIVEN[r.0 % GIVEN.len()])
    }
}

fn family(r: &Row) -> Option<&'static str> {
    if r.3 == 0 {
        None
    } else {
        value(FAMILY[r.1 % FAMILY.len()])
    }
}

fn full(r: &Row) -> Option<&'static str> {
    (r.3 == 0).then(|| FULL[r.0 % FULL.len()])
}

fn phone(r: &Row) -> String {
    format!("+38160123{:04}", r.3 % 5)
}

/// A record's values by (role, occurrence), as `Index::add` takes them.
fn values<'a>(r: &Row, phone: &'a str) -> Vec<(Role, u8, Option<&'a str>)> {
    vec![
        (Role::GivenName, 0, given(r)),
        (Role::FamilyName, 0, family(r)),
        (Role::FullName, 0, full(r)),
        (Role::DateOfBirth, 0, value(DATES[r.2 % 6])),
        (Role::Phone, 0, Some(phone)),
        (Role::Country, 0, country(r)),
    ]
}

/// A table of the rows, ids `r000`, `r001`… (zero-padded, so that they sort as the rows).
fn table(rows: &[Row]) -> Table {
    let field = |role: Role, values: Vec<Option<Box<str>>>| Field {
        role,
        occurrence: 0,
        name: role.as_str().to_string(),
        values,
    };
    let col = |pick: &dyn Fn(&Row) -> Option<String>| {
        rows.iter()
            .map(|r| pick(r).map(String::into_boxed_str))
            .collect()
    };
    Table {
        ids: (0..rows.len()).map(|i| format!("r{i:03}")).collect(),
        sources: vec![0; rows.len()],
        fields: vec![
            field(Role::GivenName, col(&|r| given(r).map(str::to_string))),
            field(Role::FamilyName, col(&|r| family(r).map(str::to_string))),
            field(Role::FullName, col(&|r| full(r).map(str::to_string))),
            field(
                Role::DateOfBirth,
                col(&|r| value(DATES[r.2 % 6]).map(str::to_string)),
            ),
            field(Role::Phone, col(&|r| Some(phone(r)))),
            field(Role::Country, col(&|r| country(r).map(str::to_string))),
        ],
    }
}

fn add(index: &mut Index, id: &str, r: &Row) -> Assignment {
    let p = phone(r);
    index.add(0, id, &values(r, &p)).unwrap()
}

/// Small blocks, so that the block limit is met; pairs kept down to a low probability, so that
/// many pairs are compared.
fn settings() -> Settings {
    Settings {
        pairs_probability_min: 0.001,
        limits: Limits {
            block_records_max: 6,
            ..Limits::default()
        },
        ..Settings::default()
    }
}

fn rows(min: usize) -> impl Strategy<Value = Vec<Row>> {
    prop::collection::vec(
        (0..GIVEN.len(), 0..FAMILY.len(), 0usize..6, 0u8..5),
        min..40,
    )
}

/// A consistent set of judgements over `n` records: cannot-links, then the must-links that
/// break none of them.
fn judgements(n: usize, raw: &[(usize, usize, bool)]) -> Vec<Judgement> {
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &[usize], mut x: usize) -> usize {
        while p[x] != x {
            x = p[x];
        }
        x
    }
    let cannot: Vec<(usize, usize)> = raw
        .iter()
        .filter(|(a, b, same)| !same && a % n != b % n)
        .map(|(a, b, _)| (a % n, b % n))
        .collect();
    let mut out: Vec<Judgement> = cannot
        .iter()
        .map(|&(a, b)| Judgement {
            l: a as u32,
            r: b as u32,
            same: false,
        })
        .collect();
    for &(a, b, same) in raw {
        let (a, b) = (a % n, b % n);
        if !same || a == b {
            continue;
        }
        let mut trial = parent.clone();
        let (ra, rb) = (find(&trial, a), find(&trial, b));
        trial[ra] = rb;
        if !cannot
            .iter()
            .any(|&(x, y)| find(&trial, x) == find(&trial, y))
        {
            parent = trial;
            out.push(Judgement {
                l: a as u32,
                r: b as u32,
                same: true,
            });
        }
    }
    out
}

/// An index over `rows` from a full run with `model` (trained on the rows when `None`).
fn index(
    rows: &[Row],
    model: Option<corridor_resolve::model::Model>,
    judgements: &[Judgement],
) -> Index {
    let engine = Engine::new(table(rows), settings()).unwrap();
    let run = engine.run(model, judgements).unwrap();
    Index::new(engine, run.model, run.cluster_of, &run.pairs, judgements).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The last record (in canonical order) added to an index over the others gets exactly the
    /// pairs, with exactly the weights, that a full run over all records gives it.
    #[test]
    fn an_added_record_scores_as_in_a_full_run(rows in rows(3)) {
        // Rows in canonical order, so that the last row is the record a full run puts last
        // (ids follow the rows, and canonical order sorts by name before the id).
        let rows: Vec<Row> = table(&rows).canonical_order().iter().map(|&i| rows[i as usize]).collect();
        let n = rows.len();
        let full = Engine::new(table(&rows), settings()).unwrap();
        let run = full.run(None, &[]).unwrap();
        let last = (n - 1) as u32;
        let mut expected: Vec<(u32, u64)> = run
            .pairs
            .iter()
            .filter(|p| p.r == last)
            .map(|p| (p.l, p.weight.to_bits()))
            .collect();
        expected.sort_unstable();

        let mut ix = index(&rows[..n - 1], Some(run.model.clone()), &[]);
        let a = add(&mut ix, &format!("r{:03}", n - 1), &rows[n - 1]);
        prop_assert_eq!(a.record, last);
        let mut got: Vec<(u32, u64)> = a.pairs.iter().map(|p| (p.l, p.weight.to_bits())).collect();
        got.sort_unstable();
        prop_assert_eq!(got, expected);
        // Links are the pairs at or above the threshold, strongest first.
        prop_assert!(a.links().iter().all(|p| p.probability >= 0.5));
        prop_assert!(a.pairs[a.links..].iter().all(|p| p.probability < 0.5));
        prop_assert!(a.pairs.windows(2).all(|w| w[0].weight >= w[1].weight));
        // Term frequencies count the new record, as the full run's do: explanations agree.
        for p in a.pairs.iter().take(3) {
            let e = ix.engine().explain(ix.model(), p.l, p.r).unwrap();
            let f = full.explain(&run.model, p.l, p.r).unwrap();
            prop_assert_eq!(e.weight.to_bits(), f.weight.to_bits());
        }
    }

    /// Additions follow the clustering rule, keep judgements, and depend only on the records
    /// and the order in which they are added.
    #[test]
    fn additions_cluster_by_the_rule_and_keep_judgements(
        rows in rows(2),
        new in prop::collection::vec((0usize..8, 0usize..6, 0usize..6, 0u8..5), 1..12),
        raw in prop::collection::vec((0usize..40, 0usize..40, any::<bool>()), 0..10),
    ) {
        let n = rows.len();
        let judgements = judgements(n, &raw);
        let mut ix = index(&rows, None, &judgements);
        let mut again = index(&rows, None, &judgements);
        for (k, r) in new.iter().enumerate() {
            let id = format!("n{k:03}");
            let before: Vec<u32> = (0..ix.len() as u32).map(|i| ix.cluster_of(i)).collect();
            let a = add(&mut ix, &id, r);
            prop_assert_eq!(&a, &add(&mut again, &id, r), "not deterministic");
            prop_assert_eq!(ix.cluster_of(a.record), a.cluster);
            prop_assert_eq!(a.founded, a.joined.is_empty());
            if a.founded {
                prop_assert_eq!(a.cluster, a.record);
            }
            // The strongest link's cluster is joined exactly when at least half its records
            // are linked to the new one (a new record has no judgements of its own, so no
            // cannot-link stands in the way of the first join).
            if let Some(top) = a.links().first() {
                let c = before[top.l as usize];
                let size = before.iter().filter(|&&b| b == c).count();
                let linked = a.links().iter().filter(|p| before[p.l as usize] == c).count();
                prop_assert_eq!(a.joined.first() == Some(&c), 2 * linked >= size);
                if 2 * linked >= size {
                    prop_assert_eq!(ix.cluster_of(top.l), a.cluster);
                }
            } else {
                prop_assert!(a.founded);
            }
            // Clusters only grow: records together before stay together.
            for (i, &c) in before.iter().enumerate() {
                prop_assert_eq!(ix.cluster_of(i as u32), ix.cluster_of(c));
                prop_assert!(ix.cluster_of(i as u32) <= c);
            }
            for j in &judgements {
                prop_assert_eq!(ix.cluster_of(j.l) == ix.cluster_of(j.r), j.same);
            }
        }
        // Re-adding a record id is refused and changes nothing.
        let len = ix.len();
        prop_assert!(ix.add(0, "n000", &[]).is_err());
        prop_assert_eq!(ix.len(), len);
    }

    /// The index does not depend on the order of the records it was built from.
    #[test]
    fn additions_do_not_depend_on_input_order(
        rows in rows(2),
        new in prop::collection::vec((0usize..8, 0usize..6, 0usize..6, 0u8..5), 1..6),
        seed in any::<u64>(),
    ) {
        let t = table(&rows);
        let mut order: Vec<u32> = (0..t.len() as u32).collect();
        let mut s = seed | 1;
        for i in (1..order.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (s >> 33) as usize % (i + 1));
        }
        let build = |t: Table| {
            let engine = Engine::new(t, settings()).unwrap();
            let run = engine.run(None, &[]).unwrap();
            Index::new(engine, run.model, run.cluster_of, &run.pairs, &[]).unwrap()
        };
        let mut a = build(t.permuted(&order));
        let mut b = build(t);
        for (k, r) in new.iter().enumerate() {
            let id = format!("n{k:03}");
            prop_assert_eq!(add(&mut a, &id, r), add(&mut b, &id, r));
        }
    }
}
