//! Positions for a link chart: a force-directed layout (Fruchterman and Reingold 1991) over a
//! small graph, computed on the server so that the browser only draws.
//!
//! Deterministic: the start positions come from a seeded SplitMix64 stream and the forces are
//! summed in node order, so the same nodes and edges give the same picture. Bounded: at most
//! [`LAYOUT_NODES_MAX`] nodes and [`LAYOUT_ITERATIONS_MAX`] iterations (the repulsion is
//! all-pairs, O(n²) per iteration).

use crate::rng::Rng;

/// Most nodes one layout places.
pub const LAYOUT_NODES_MAX: usize = 5_000;

/// Most iterations one layout runs.
pub const LAYOUT_ITERATIONS_MAX: usize = 500;

/// Settings of a layout.
#[derive(Clone, Copy, Debug)]
pub struct LayoutConfig {
    /// Iterations (capped at [`LAYOUT_ITERATIONS_MAX`]).
    pub iterations: usize,
    /// Seed of the start positions.
    pub seed: u64,
}

impl Default for LayoutConfig {
    fn default() -> Self {
        LayoutConfig {
            iterations: 120,
            seed: 0x6c61_796f_7574,
        }
    }
}

/// Places `n` nodes joined by `edges` (pairs of node indices with a weight, the number of
/// records behind the link) in the unit square centred on the origin, scaled to [-1, 1].
/// Edges naming a node out of range are ignored; a heavier edge pulls harder (by the log of its
/// weight, so that one much-recorded link does not collapse the picture).
pub fn force_layout(n: usize, edges: &[(u32, u32, u32)], cfg: &LayoutConfig) -> Vec<(f64, f64)> {
    let n = n.min(LAYOUT_NODES_MAX);
    if n == 0 {
        return Vec::new();
    }
    let mut rng = Rng::new(cfg.seed, "layout");
    let mut pos: Vec<(f64, f64)> = (0..n)
        .map(|_| (rng.unit() - 0.5, rng.unit() - 0.5))
        .collect();
    if n == 1 {
        return vec![(0.0, 0.0)];
    }
    // The ideal distance k for n nodes in a unit area.
    let k = (1.0 / n as f64).sqrt();
    let iterations = cfg.iterations.min(LAYOUT_ITERATIONS_MAX);
    let mut disp = vec![(0.0f64, 0.0f64); n];
    for it in 0..iterations {
        // Temperature falls linearly: big moves first, fine ones last.
        let t = 0.1 * (1.0 - it as f64 / iterations as f64) + 1e-4;
        disp.iter_mut().for_each(|d| *d = (0.0, 0.0));
        for i in 0..n {
            for j in (i + 1)..n {
                let (dx, dy) = (pos[i].0 - pos[j].0, pos[i].1 - pos[j].1);
                let d2 = (dx * dx + dy * dy).max(1e-9);
                let f = k * k / d2;
                disp[i].0 += dx * f;
                disp[i].1 += dy * f;
                disp[j].0 -= dx * f;
                disp[j].1 -= dy * f;
            }
        }
        for &(a, b, w) in edges {
            let (a, b) = (a as usize, b as usize);
            if a >= n || b >= n || a == b {
                continue;
            }
            let (dx, dy) = (pos[a].0 - pos[b].0, pos[a].1 - pos[b].1);
            let d = (dx * dx + dy * dy).sqrt().max(1e-9);
            let f = d / k * (1.0 + (w.max(1) as f64).ln());
            disp[a].0 -= dx * f;
            disp[a].1 -= dy * f;
            disp[b].0 += dx * f;
            disp[b].1 += dy * f;
        }
        for (p, d) in pos.iter_mut().zip(&disp) {
            let len = (d.0 * d.0 + d.1 * d.1).sqrt();
            if len > 0.0 {
                let step = len.min(t) / len;
                p.0 += d.0 * step;
                p.1 += d.1 * step;
            }
            // Gravity towards the centre keeps separate components on the canvas.
            p.0 *= 0.995;
            p.1 *= 0.995;
        }
    }
    // Scale into [-1, 1] for the viewer.
    let m = pos
        .iter()
        .fold(0.0f64, |m, p| m.max(p.0.abs()).max(p.1.abs()))
        .max(1e-9);
    pos.iter()
        .map(|p| {
            let q = (p.0 / m, p.1 / m);
            debug_assert!(q.0.is_finite() && q.1.is_finite());
            q
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_bounded_and_linked_nodes_closer() {
        // Two triangles joined by one edge.
        let edges = [
            (0, 1, 1),
            (1, 2, 1),
            (0, 2, 1),
            (3, 4, 1),
            (4, 5, 1),
            (3, 5, 1),
            (2, 3, 1),
        ];
        let a = force_layout(6, &edges, &LayoutConfig::default());
        let b = force_layout(6, &edges, &LayoutConfig::default());
        assert_eq!(a, b);
        assert!(a.iter().all(|p| p.0.abs() <= 1.0 && p.1.abs() <= 1.0));
        let d = |i: usize, j: usize| ((a[i].0 - a[j].0).powi(2) + (a[i].1 - a[j].1).powi(2)).sqrt();
        // Within a triangle nodes sit closer than across the triangles.
        assert!(d(0, 1) < d(0, 5), "{a:?}");
        assert!(d(4, 5) < d(1, 4), "{a:?}");
    }

    #[test]
    fn out_of_range_edges_and_tiny_graphs() {
        assert!(force_layout(0, &[], &LayoutConfig::default()).is_empty());
        assert_eq!(
            force_layout(1, &[(0, 9, 1)], &LayoutConfig::default()),
            vec![(0.0, 0.0)]
        );
        let p = force_layout(2, &[(0, 1, 3), (5, 1, 1)], &LayoutConfig::default());
        assert_eq!(p.len(), 2);
        assert!(p.iter().all(|q| q.0.is_finite() && q.1.is_finite()));
    }
}
