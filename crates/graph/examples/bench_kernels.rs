//! Times the kernels on an edge list of little-endian u32 pairs (as `bench/graph/gen.py`
//! writes): build, components, PageRank, Leiden, sampled betweenness. Prints one JSON line.
//!
//! ```sh
//! cargo run --release -p corridor-graph --example bench_kernels -- bench/out/graph/sbm_1m.bin 100
//! ```

use std::time::Instant;

use corridor_graph::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .ok_or("usage: bench_kernels EDGES.bin [SOURCES] [LEIDEN_ITERATIONS]")?;
    let sources: usize = args.get(2).map_or(Ok(100), |s| s.parse())?;
    let leiden_iterations: u32 = args.get(3).map_or(Ok(20), |s| s.parse())?;
    let bytes = std::fs::read(path)?;
    if bytes.len() % 8 != 0 {
        return Err(format!("{path}: length {} is not a multiple of 8", bytes.len()).into());
    }
    let pairs: Vec<(u32, u32)> = bytes
        .chunks_exact(8)
        .map(|c| {
            (
                u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
            )
        })
        .collect();
    let nodes_n = pairs
        .iter()
        .map(|&(a, b)| a.max(b))
        .max()
        .map_or(0, |m| m as usize + 1);

    let t = Instant::now();
    let mut b = GraphBuilder::new();
    // Zero-padded names keep name order equal to id order.
    for i in 0..nodes_n {
        b.node(&format!("{i:08}"), NodeKind::Person)?;
    }
    for &(u, v) in &pairs {
        b.add_edge(&EdgeInput {
            source: u,
            target: v,
            kind: EdgeType::Called,
            weight: 1,
            interval: Interval::ALL,
            records: &[],
            amount: 0.0,
        })?;
    }
    let g = b.build()?;
    let build_s = t.elapsed().as_secs_f64();
    let view = View::full(&g);

    let t = Instant::now();
    let c = components(&view);
    let components_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let pr = pagerank(
        &view,
        &PageRankConfig {
            tolerance_per_node: 1e-12,
            ..Default::default()
        },
    );
    let pagerank_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let l = leiden(
        &view,
        &LeidenConfig {
            iterations_max: leiden_iterations,
            seed: 1,
            ..Default::default()
        },
    );
    let leiden_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let bc = betweenness(&view, BetweennessMode::Sampled { sources, seed: 1 });
    let betweenness_s = t.elapsed().as_secs_f64();

    println!(
        "{{\"tool\":\"corridor\",\"nodes\":{},\"edges\":{},\"threads\":{},\"build_s\":{build_s:.3},\"components_s\":{components_s:.3},\"components\":{},\"pagerank_s\":{pagerank_s:.3},\"pagerank_iterations\":{},\"leiden_s\":{leiden_s:.3},\"leiden_iterations\":{},\"leiden_communities\":{},\"leiden_modularity\":{:.5},\"betweenness_s\":{betweenness_s:.3},\"betweenness_sources\":{}}}",
        g.nodes_n(),
        g.edges_n(),
        rayon::current_num_threads(),
        c.sizes.len(),
        pr.iterations,
        l.iterations,
        l.sizes.len(),
        l.modularity,
        bc.sources_n,
    );
    Ok(())
}
