"""Deterministic benchmark graphs for the link-graph kernels: a stochastic block model
(blocks of 100 nodes, 80% of edge ends inside the block), node ids shuffled so that blocks are
not contiguous in memory. Written as little-endian u32 pairs (u < v, no duplicates, no
self-loops) to bench/out/graph/<name>.bin.

    bench/.venv/bin/python bench/graph/gen.py
"""

import json
import os
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "out", "graph")
BLOCK_NODES = 100
INSIDE_SHARE = 0.8


def sbm(name, nodes, edges, seed):
    rng = np.random.default_rng(seed)
    draws = int(edges * 1.08) + 1000
    u = rng.integers(0, nodes, draws, dtype=np.int64)
    inside = rng.random(draws) < INSIDE_SHARE
    v_in = (u // BLOCK_NODES) * BLOCK_NODES + rng.integers(0, BLOCK_NODES, draws)
    v_in = np.minimum(v_in, nodes - 1)
    v_out = rng.integers(0, nodes, draws, dtype=np.int64)
    v = np.where(inside, v_in, v_out)
    keep = u != v
    u, v = u[keep], v[keep]
    perm = rng.permutation(nodes)
    u, v = perm[u], perm[v]
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    key = np.unique(lo * nodes + hi)[: edges]
    # np.unique sorts; shuffle the order edges are given in, as real input would be.
    key = key[rng.permutation(len(key))]
    pairs = np.empty((len(key), 2), dtype="<u4")
    pairs[:, 0] = key // nodes
    pairs[:, 1] = key % nodes
    os.makedirs(OUT, exist_ok=True)
    pairs.tofile(os.path.join(OUT, name + ".bin"))
    meta = {"nodes": nodes, "edges": int(len(key)), "block_nodes": BLOCK_NODES,
            "inside_share": INSIDE_SHARE, "seed": seed}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(meta, f)
    print(name, meta)


if __name__ == "__main__":
    which = sys.argv[1:] or ["sbm_100k", "sbm_1m"]
    if "sbm_100k" in which:
        sbm("sbm_100k", 100_000, 1_000_000, 20231101)
    if "sbm_1m" in which:
        sbm("sbm_1m", 1_000_000, 10_000_000, 20231102)
