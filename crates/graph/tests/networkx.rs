//! Corridor's kernels against networkx and leidenalg on the committed fixtures
//! (`tests/fixtures/make.py` made them).

// Results are compared node by node against arrays indexed by node id.
#![allow(clippy::needless_range_loop)]

mod common;

use corridor_graph::*;
use serde_json::Value;

struct Fixture {
    name: String,
    n: usize,
    edges: Vec<(usize, usize, u32)>,
    json: Value,
}

fn load(file: &str) -> Fixture {
    let path = format!("{}/tests/fixtures/{file}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let n = json["nodes_n"].as_u64().expect("nodes_n") as usize;
    let edges = json["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            let a = e.as_array().expect("edge");
            (
                a[0].as_u64().expect("u") as usize,
                a[1].as_u64().expect("v") as usize,
                a[2].as_u64().expect("w") as u32,
            )
        })
        .collect();
    Fixture {
        name: file.to_string(),
        n,
        edges,
        json,
    }
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("float"))
        .collect()
}

const ALL: [&str; 4] = ["karate", "lesmis", "sparse_weighted", "planted_3000"];

#[test]
fn pagerank_matches_networkx() {
    for f in ALL.map(load) {
        let g = common::build(f.n, &f.edges);
        let pr = pagerank(
            &View::full(&g),
            &PageRankConfig {
                tolerance_per_node: 1e-14,
                iterations_max: 10_000,
                ..Default::default()
            },
        );
        assert!(pr.converged, "{}", f.name);
        let want = floats(&f.json["pagerank"]);
        for v in 0..f.n {
            let (a, b) = (pr.score[v], want[v]);
            assert!(
                (a - b).abs() <= 1e-9 + 1e-7 * b,
                "{} node {v}: {a} vs networkx {b}",
                f.name
            );
        }
    }
}

#[test]
fn betweenness_matches_networkx() {
    for f in ALL.map(load) {
        let g = common::build(f.n, &f.edges);
        let bc = betweenness(&View::full(&g), BetweennessMode::Exact);
        assert!(bc.exact);
        let want = floats(&f.json["betweenness"]);
        for v in 0..f.n {
            let (a, b) = (bc.normalized[v], want[v]);
            assert!(
                (a - b).abs() <= 1e-9,
                "{} node {v}: {a} vs networkx {b}",
                f.name
            );
        }
    }
}

#[test]
fn sampled_betweenness_is_within_its_bound() {
    let f = load("planted_3000");
    let g = common::build(f.n, &f.edges);
    let want = floats(&f.json["betweenness"]);
    let (epsilon, delta) = (0.05, 0.1);
    let k = sample_size(epsilon, delta, f.n);
    assert!(k < f.n, "the bound needs {k} sources");
    let bc = betweenness(
        &View::full(&g),
        BetweennessMode::Sampled {
            sources: k,
            seed: 3,
        },
    );
    assert!(!bc.exact && bc.sources_n == k);
    let worst = (0..f.n)
        .map(|v| (bc.normalized[v] - want[v]).abs())
        .fold(0.0, f64::max);
    assert!(
        worst <= epsilon,
        "worst error {worst} over ε = {epsilon} with {k} sources"
    );
    let bound = corridor_graph::betweenness::error_bound(k, delta, f.n);
    assert!(
        bound <= epsilon + 1e-12,
        "error_bound inverts sample_size: {bound}"
    );
}

#[test]
fn components_match_networkx() {
    for f in ALL.map(load) {
        let g = common::build(f.n, &f.edges);
        let c = components(&View::full(&g));
        let mut ours: Vec<Vec<u64>> = c
            .members()
            .into_iter()
            .map(|m| m.into_iter().map(u64::from).collect())
            .collect();
        ours.sort();
        let want: Vec<Vec<u64>> = f.json["components"]
            .as_array()
            .expect("components")
            .iter()
            .map(|c| {
                c.as_array()
                    .expect("c")
                    .iter()
                    .map(|x| x.as_u64().expect("id"))
                    .collect()
            })
            .collect();
        assert_eq!(ours, want, "{}", f.name);
        assert!(c.sizes.windows(2).all(|w| w[0] >= w[1]), "largest first");
    }
}

#[test]
fn shortest_paths_match_networkx() {
    for f in ALL.map(load) {
        let g = common::build(f.n, &f.edges);
        let view = View::full(&g);
        for (src, want) in f.json["distances"].as_object().expect("distances") {
            let s: u32 = src.parse().expect("source");
            let d = corridor_graph::paths::hop_distances(&view, s);
            for (v, w) in want.as_array().expect("row").iter().enumerate() {
                let w = w.as_i64().expect("distance");
                let ours = if d[v] == u32::MAX {
                    -1
                } else {
                    i64::from(d[v])
                };
                assert_eq!(ours, w, "{} {s}→{v}", f.name);
                if w > 0 && v % 7 == 0 {
                    let p = shortest_path(&view, s, v as u32).expect("path");
                    assert_eq!(p.len() as i64, w);
                    assert!(
                        p.hops.iter().all(|h| !h.is_empty()),
                        "each hop has its edges"
                    );
                }
            }
        }
        for kp in f.json["k_paths"].as_array().expect("k_paths") {
            let (s, t, k) = (
                kp["source"].as_u64().expect("s") as u32,
                kp["target"].as_u64().expect("t") as u32,
                kp["k"].as_u64().expect("k") as usize,
            );
            let want: Vec<usize> = kp["lengths"]
                .as_array()
                .expect("l")
                .iter()
                .map(|x| x.as_u64().expect("len") as usize)
                .collect();
            let paths = k_shortest_paths(&view, s, t, k);
            let ours: Vec<usize> = paths.iter().map(Path::len).collect();
            assert_eq!(ours, want, "{} {s}→{t}", f.name);
            let mut seen = std::collections::HashSet::new();
            for p in &paths {
                assert!(seen.insert(p.nodes.clone()), "paths are distinct");
                let distinct: std::collections::HashSet<_> = p.nodes.iter().collect();
                assert_eq!(distinct.len(), p.nodes.len(), "loopless");
            }
        }
    }
}

#[test]
fn leiden_modularity_within_one_percent_of_leidenalg() {
    for f in ALL.map(load) {
        let g = common::build(f.n, &f.edges);
        let want = f.json["leiden_modularity"].as_f64().expect("modularity");
        let best = (0..5)
            .map(|seed| {
                leiden(
                    &View::full(&g),
                    &LeidenConfig {
                        seed,
                        ..Default::default()
                    },
                )
                .modularity
            })
            .fold(f64::MIN, f64::max);
        let one = leiden(&View::full(&g), &LeidenConfig::default());
        eprintln!(
            "{}: Corridor {:.5} (best of 5 {:.5}), leidenalg {:.5}, {} communities",
            f.name,
            one.modularity,
            best,
            want,
            one.sizes.len()
        );
        assert!(
            one.modularity >= 0.99 * want,
            "{}: {} vs leidenalg {}",
            f.name,
            one.modularity,
            want
        );
    }
}

#[test]
fn leiden_recovers_planted_partition() {
    let f = load("planted_3000");
    let g = common::build(f.n, &f.edges);
    let c = leiden(&View::full(&g), &LeidenConfig::default());
    let truth: Vec<u32> = (0..f.n as u32).map(|v| v / 150).collect();
    let ari = corridor_graph::eval::adjusted_rand_index(&c.membership, &truth);
    assert!(ari > 0.95, "ARI {ari}");
}
