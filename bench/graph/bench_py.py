"""Times igraph or networkx on the same edge list as corridor-graph's bench_kernels example:
build, components, PageRank, Leiden (networkx: Louvain, having no Leiden of its own),
betweenness from a sample of sources. Prints one JSON line with the same keys.

    bench/.venv/bin/python bench/graph/bench_py.py igraph bench/out/graph/sbm_1m.bin 100 -1
"""

import json
import random
import sys
import time

import numpy as np


def load(path):
    pairs = np.fromfile(path, dtype="<u4").reshape(-1, 2)
    return int(pairs.max()) + 1, pairs


def run_igraph(n, pairs, sources, leiden_iterations):
    import igraph as ig

    out = {"tool": "igraph " + ig.__version__}
    t = time.perf_counter()
    g = ig.Graph(n=n, edges=pairs.tolist(), directed=False)
    out["build_s"] = time.perf_counter() - t
    t = time.perf_counter()
    comps = g.connected_components()
    out["components_s"] = time.perf_counter() - t
    out["components"] = len(comps)
    t = time.perf_counter()
    g.pagerank(damping=0.85)
    out["pagerank_s"] = time.perf_counter() - t
    t = time.perf_counter()
    part = g.community_leiden(objective_function="modularity", n_iterations=leiden_iterations, beta=0.01)
    out["leiden_s"] = time.perf_counter() - t
    out["leiden_communities"] = len(part)
    out["leiden_modularity"] = g.modularity(part.membership)
    src = random.Random(1).sample(range(n), sources)
    t = time.perf_counter()
    g.betweenness(directed=False, sources=src)
    out["betweenness_s"] = time.perf_counter() - t
    out["betweenness_sources"] = sources
    return out


def run_networkx(n, pairs, sources, leiden_iterations):
    import networkx as nx

    out = {"tool": "networkx " + nx.__version__}
    t = time.perf_counter()
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(pairs.tolist())
    out["build_s"] = time.perf_counter() - t
    t = time.perf_counter()
    out["components"] = sum(1 for _ in nx.connected_components(g))
    out["components_s"] = time.perf_counter() - t
    t = time.perf_counter()
    nx.pagerank(g, alpha=0.85)
    out["pagerank_s"] = time.perf_counter() - t
    t = time.perf_counter()
    comms = nx.community.louvain_communities(g, seed=1)
    out["louvain_s"] = time.perf_counter() - t
    out["louvain_communities"] = len(comms)
    out["louvain_modularity"] = nx.community.modularity(g, comms)
    t = time.perf_counter()
    nx.betweenness_centrality(g, k=sources, seed=1)
    out["betweenness_s"] = time.perf_counter() - t
    out["betweenness_sources"] = sources
    return out


def main():
    tool, path = sys.argv[1], sys.argv[2]
    sources = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    leiden_iterations = int(sys.argv[4]) if len(sys.argv) > 4 else -1
    n, pairs = load(path)
    run = {"igraph": run_igraph, "networkx": run_networkx}[tool]
    out = run(n, pairs, sources, leiden_iterations)
    out.update({"nodes": n, "edges": int(len(pairs))})
    print(json.dumps({k: (round(v, 5) if isinstance(v, float) else v) for k, v in out.items()}))


if __name__ == "__main__":
    main()
