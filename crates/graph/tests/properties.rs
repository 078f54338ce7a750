//! Properties: Leiden communities are connected and deterministic; hiding edges from a viewer
//! is, for every kernel, the same as deleting them; the graph does not depend on input order.

mod common;

use std::collections::HashSet;

use corridor_graph::*;
use proptest::prelude::*;

type Edge = (usize, usize, u32, EdgeType, f64);

fn arb_graph() -> impl Strategy<Value = (usize, Vec<Edge>)> {
    (2usize..40).prop_flat_map(|n| {
        let edge = (
            0..n,
            0..n,
            1u32..4,
            prop_oneof![
                Just(EdgeType::Called),
                Just(EdgeType::Paid),
                Just(EdgeType::Uses),
                Just(EdgeType::TravelledWith)
            ],
            0.0f64..1000.0,
        );
        (Just(n), prop::collection::vec(edge, 0..(3 * n)))
    })
}

fn connected(view: &View<'_>, members: &[NodeId]) -> bool {
    let set: HashSet<NodeId> = members.iter().copied().collect();
    let mut seen = HashSet::from([members[0]]);
    let mut stack = vec![members[0]];
    while let Some(v) = stack.pop() {
        for (w, _) in view.neighbors(v) {
            if set.contains(&w) && seen.insert(w) {
                stack.push(w);
            }
        }
    }
    seen.len() == members.len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn leiden_communities_are_connected((n, edges) in arb_graph(), seed in 0u64..1000) {
        let g = common::build_typed(n, &edges);
        let view = View::full(&g);
        let c = leiden(&view, &LeidenConfig { seed, ..Default::default() });
        let mut members = vec![Vec::new(); c.sizes.len()];
        for v in 0..n {
            members[c.membership[v] as usize].push(v as NodeId);
        }
        for (i, m) in members.iter().enumerate() {
            prop_assert_eq!(m.len(), c.sizes[i]);
            prop_assert!(connected(&view, m), "community {} {:?} is not connected", i, m);
        }
    }

    #[test]
    fn leiden_is_deterministic_for_a_seed((n, edges) in arb_graph(), seed in 0u64..1000) {
        let g = common::build_typed(n, &edges);
        let a = leiden(&View::full(&g), &LeidenConfig { seed, ..Default::default() });
        let b = leiden(&View::full(&g), &LeidenConfig { seed, ..Default::default() });
        prop_assert_eq!(a.membership, b.membership);
        prop_assert_eq!(a.modularity.to_bits(), b.modularity.to_bits());
    }

    #[test]
    fn hiding_edges_equals_deleting_them((n, edges) in arb_graph(), hide in prop::collection::vec(any::<bool>(), 120)) {
        // Hide by record: edge i's records are r{i}.*; the viewer sees no record of a hidden
        // edge. Deleting them must give the same results in every kernel.
        let hidden: HashSet<usize> = (0..edges.len()).filter(|&i| hide[i % hide.len()]).collect();
        let full = common::build_typed(n, &edges);
        let kept: Vec<Edge> = edges.iter().enumerate().filter(|(i, _)| !hidden.contains(i)).map(|(_, e)| *e).collect();
        let deleted = common::build_typed(n, &kept);
        let viewer = RecordFilter(|r: &str| {
            let i: usize = r[1..r.find('.').unwrap_or(r.len())].parse().unwrap_or(usize::MAX);
            !hidden.contains(&i)
        });
        let seen = View::for_viewer(&full, &viewer);
        let truth = View::full(&deleted);

        prop_assert_eq!(components(&seen), components(&truth));
        prop_assert_eq!(networks(&seen, 2), networks(&truth, 2));
        let cfg = PageRankConfig::default();
        prop_assert_eq!(pagerank(&seen, &cfg).score, pagerank(&truth, &cfg).score);
        prop_assert_eq!(betweenness(&seen, BetweennessMode::Exact).raw, betweenness(&truth, BetweennessMode::Exact).raw);
        let lc = LeidenConfig::default();
        let (a, b) = (leiden(&seen, &lc), leiden(&truth, &lc));
        prop_assert_eq!(a.membership, b.membership);
        prop_assert_eq!(a.modularity.to_bits(), b.modularity.to_bits());
        for s in 0..n.min(3) as NodeId {
            prop_assert_eq!(paths::hop_distances(&seen, s), paths::hop_distances(&truth, s));
            let t = (n - 1) as NodeId;
            let pa: Vec<Vec<NodeId>> = k_shortest_paths(&seen, s, t, 4).into_iter().map(|p| p.nodes).collect();
            let pb: Vec<Vec<NodeId>> = k_shortest_paths(&truth, s, t, 4).into_iter().map(|p| p.nodes).collect();
            prop_assert_eq!(pa, pb);
            let (ea, eb) = (ego(&seen, s, 2), ego(&truth, s, 2));
            prop_assert_eq!(ea.nodes, eb.nodes);
            prop_assert_eq!(ea.edges.len(), eb.edges.len());
        }
        prop_assert_eq!(paths::degree_by_type(&seen), paths::degree_by_type(&truth));
        let (ra, rb) = (organiser_rank(&seen), organiser_rank(&truth));
        prop_assert_eq!(&ra.contacts, &rb.contacts);
        // Amounts are summed in record-name order, and deleting renames the records: equal up
        // to rounding.
        for (x, y) in ra.score.iter().zip(&rb.score).chain(ra.money.iter().zip(&rb.money)) {
            prop_assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{} vs {}", x, y);
        }
        let all: Vec<NodeId> = (0..n as NodeId).collect();
        for obj in [Objective::Fragmentation, Objective::Money] {
            let (da, db) = (disrupt(&seen, &all, 3, obj).expect("a"), disrupt(&truth, &all, 3, obj).expect("b"));
            prop_assert_eq!(da.removals.iter().map(|r| r.node).collect::<Vec<_>>(), db.removals.iter().map(|r| r.node).collect::<Vec<_>>());
            prop_assert!((da.money_before - db.money_before).abs() < 1e-6);
        }
    }

    #[test]
    fn graph_does_not_depend_on_input_order((n, edges) in arb_graph(), seed in any::<u64>()) {
        let mut ids: Vec<usize> = (0..edges.len()).collect();
        corridor_graph::rng::Rng::new(seed, "test").shuffle(&mut ids);
        let shuffled: Vec<Edge> = ids.iter().map(|&i| edges[i]).collect();
        let (a, b) = (common::build_typed(n, &edges), common::build_ids(n, &shuffled, &ids));
        prop_assert_eq!(a.edges_n(), b.edges_n());
        for e in 0..a.edges_n() as EdgeId {
            let (x, y) = (a.edge(e), b.edge(e));
            prop_assert_eq!((x.source, x.target, x.kind, x.weight), (y.source, y.target, y.kind, y.weight));
            prop_assert!((x.amount - y.amount).abs() < 1e-6);
            prop_assert_eq!(x.records().map(|r| r.0).collect::<Vec<_>>(), y.records().map(|r| r.0).collect::<Vec<_>>());
        }
        prop_assert!(a.check().is_ok());
    }

    #[test]
    fn fragmentation_gains_match_recomputation((n, edges) in arb_graph()) {
        // The one-pass gains (articulation points) must pick a node no worse than any other.
        let g = common::build_typed(n, &edges);
        let view = View::full(&g);
        let all: Vec<NodeId> = (0..n as NodeId).collect();
        let d = disrupt(&view, &all, 1, Objective::Fragmentation).expect("disrupt");
        let best = (0..n as NodeId).map(|v| {
            let rest: Vec<NodeId> = all.iter().copied().filter(|&x| x != v).collect();
            let c = components(&view.induced(&rest));
            let pairs: f64 = c.sizes.iter().map(|&s| (s * (s.max(1) - 1)) as f64).sum();
            1.0 - pairs / (n * (n - 1)) as f64
        }).fold(f64::MIN, f64::max);
        prop_assert!((d.removals[0].fragmentation - best).abs() < 1e-12, "{} vs {}", d.removals[0].fragmentation, best);
    }
}

#[test]
fn star_falls_apart_without_its_centre() {
    let edges: Vec<(usize, usize, u32)> = (1..6).map(|i| (0, i, 1)).collect();
    let g = common::build(6, &edges);
    let d = disrupt(
        &View::full(&g),
        &(0..6).collect::<Vec<_>>(),
        1,
        Objective::Fragmentation,
    )
    .expect("disrupt");
    assert_eq!(d.fragmentation_before, 0.0);
    assert_eq!(d.removals[0].node, 0);
    assert_eq!(d.removals[0].fragmentation, 1.0);
    assert_eq!(d.removals[0].components_n, 5);
}

#[test]
fn money_disruption_cuts_the_broker() {
    // Two payers pay a broker 0 who pays two collectors; a chain of calls hangs off node 5.
    let edges = vec![
        (1, 0, 1, EdgeType::Paid, 100.0),
        (2, 0, 1, EdgeType::Paid, 100.0),
        (0, 3, 1, EdgeType::Paid, 150.0),
        (0, 4, 1, EdgeType::Paid, 50.0),
        (4, 5, 1, EdgeType::Called, 0.0),
        (5, 6, 1, EdgeType::Called, 0.0),
    ];
    let g = common::build_typed(7, &edges);
    let d = disrupt(
        &View::full(&g),
        &(0..7).collect::<Vec<_>>(),
        1,
        Objective::Money,
    )
    .expect("disrupt");
    assert!((d.money_before - 400.0).abs() < 1e-9);
    assert_eq!(d.removals[0].node, 0);
    assert_eq!(d.removals[0].money, 0.0);
}

#[test]
fn organiser_rank_discounts_exposure() {
    // A broker 0 takes 300 from three payers and talks to all of them; a collector 4 takes 250
    // from the broker and talks to no one; a leader 5 takes 200, calls two drivers (6, 7),
    // and travels with driver 6 as well (one contact, not two).
    let edges = vec![
        (1, 0, 1, EdgeType::Paid, 100.0),
        (2, 0, 1, EdgeType::Paid, 100.0),
        (3, 0, 1, EdgeType::Paid, 100.0),
        (0, 1, 1, EdgeType::Called, 0.0),
        (0, 2, 1, EdgeType::Called, 0.0),
        (0, 3, 2, EdgeType::Messaged, 0.0),
        (0, 4, 1, EdgeType::Paid, 250.0),
        (0, 5, 1, EdgeType::Paid, 200.0),
        (5, 6, 3, EdgeType::Called, 0.0),
        (5, 6, 1, EdgeType::TravelledWith, 0.0),
        (5, 7, 1, EdgeType::Called, 0.0),
        (6, 7, 1, EdgeType::Uses, 0.0),
    ];
    let g = common::build_typed(8, &edges);
    let r = organiser_rank(&View::full(&g));
    assert_eq!(r.contacts[0], 3);
    assert_eq!(r.contacts[5], 2);
    assert!((r.money[0] - 750.0).abs() < 1e-9);
    assert!((r.score[0] - 750.0 / 4.0).abs() < 1e-9);
    assert!((r.score[4] - 250.0).abs() < 1e-9);
    assert!((r.score[5] - 200.0 / 3.0).abs() < 1e-9);
    // Hiding the collector's payment (a viewer without those records) takes his money away.
    let hidden = HiddenEdges::new(g.edges_n(), &[g.adjacency(4).1[0]]);
    let seen = organiser_rank(&View::for_viewer(&g, &hidden));
    assert_eq!(seen.score[4], 0.0);
}

#[test]
fn ari_and_nmi_known_values() {
    use corridor_graph::eval::*;
    let a = [0, 0, 0, 1, 1, 1];
    assert!((adjusted_rand_index(&a, &[5, 5, 5, 9, 9, 9]) - 1.0).abs() < 1e-12);
    assert!((normalized_mutual_information(&a, &[5, 5, 5, 9, 9, 9]) - 1.0).abs() < 1e-12);
    // scikit-learn: adjusted_rand_score([0,0,1,1],[0,0,1,2]) = 0.5714285714285715,
    // normalized_mutual_info_score(...) = 0.8
    assert!(
        (adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 1, 2]) - 0.571_428_571_428_571_5).abs() < 1e-12
    );
    assert!((normalized_mutual_information(&[0, 0, 1, 1], &[0, 0, 1, 2]) - 0.8).abs() < 1e-12);
}

#[test]
fn days_round_trip() {
    for s in ["1970-01-01", "2000-02-29", "2024-12-31", "1899-03-01"] {
        let d = Day::parse(s).expect("parse");
        assert_eq!(d.to_string(), s);
    }
    assert_eq!(Day::parse("1970-01-02"), Some(Day(1)));
    assert_eq!(
        Day::parse("2023-11-01T10:00:00Z")
            .map(|d| d.to_string())
            .as_deref(),
        Some("2023-11-01")
    );
    assert_eq!(Day::parse("2023-02-30"), None);
    assert_eq!(Day::parse("2023-1-3"), None);
}

#[test]
fn edge_filters_by_type_time_and_weight() {
    let mut b = GraphBuilder::new();
    let (x, y, z) = (
        b.node("x", NodeKind::Person).expect("x"),
        b.node("y", NodeKind::Person).expect("y"),
        b.node("z", NodeKind::Person).expect("z"),
    );
    let day = |s: &str| Day::parse(s).expect("day");
    let iv = |a: &str, c: &str| Interval {
        from: day(a),
        to: day(c),
    };
    let add = |b: &mut GraphBuilder, s, t, kind, i, recs: &[(&str, f64)]| {
        b.add_edge(&EdgeInput {
            source: s,
            target: t,
            kind,
            weight: 1,
            interval: i,
            records: recs,
            amount: 0.0,
        })
        .expect("edge");
    };
    add(
        &mut b,
        x,
        y,
        EdgeType::Called,
        iv("2023-01-01", "2023-01-31"),
        &[("a", 0.0)],
    );
    add(
        &mut b,
        x,
        y,
        EdgeType::Called,
        iv("2023-03-01", "2023-03-02"),
        &[("b", 0.0)],
    );
    add(
        &mut b,
        y,
        z,
        EdgeType::Paid,
        iv("2023-06-01", "2023-06-01"),
        &[("c", 10.0)],
    );
    let g = b.build().expect("graph");
    assert_eq!(g.edges_n(), 2, "the two calls merge");
    let e = g.edge(0);
    assert_eq!((e.weight, e.interval), (2, iv("2023-01-01", "2023-03-02")));
    let full = View::full(&g);
    let p = shortest_path(&full, x, z).expect("path");
    assert_eq!(p.since, day("2023-06-01"));
    let calls = full.filtered(&EdgeFilter {
        types: EdgeTypes::of(&[EdgeType::Called]),
        ..Default::default()
    });
    assert!(shortest_path(&calls, x, z).is_none());
    let spring = full.filtered(&EdgeFilter {
        window: iv("2023-04-01", "2023-12-31"),
        ..Default::default()
    });
    assert!(shortest_path(&spring, x, y).is_none());
    let strong = full.filtered(&EdgeFilter {
        weight_min: 2,
        ..Default::default()
    });
    assert_eq!(strong.edges().count(), 1);
}
