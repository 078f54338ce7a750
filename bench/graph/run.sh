#!/usr/bin/env bash
# Link-graph kernels: Corridor against igraph and networkx on the same generated graphs.
#
#   bench/graph/run.sh            # both graphs; networkx on the small one only
#   SOURCES=100 bench/graph/run.sh
#
# Results go to bench/out/graph/results.jsonl, one JSON line per tool and graph.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=bench/.venv/bin/python
if [ ! -x "$PY" ]; then
  python3 -m venv bench/.venv
  "$PY" -m pip install networkx igraph leidenalg numpy scipy
fi
SOURCES=${SOURCES:-100}
OUT=bench/out/graph
mkdir -p "$OUT"
[ -f "$OUT/sbm_1m.bin" ] || "$PY" bench/graph/gen.py
cargo build --release -p corridor-graph --example bench_kernels
BIN=${CARGO_TARGET_DIR:-target}/release/examples/bench_kernels
RESULTS=$OUT/results.jsonl
stamp() { echo "{\"date\":\"$(date -u +%FT%TZ)\",\"load1\":$(cut -d' ' -f1 /proc/loadavg)}"; }
for g in sbm_100k sbm_1m; do
  for threads in 2 1; do
    stamp >>"$RESULTS"
    RAYON_NUM_THREADS=$threads "$BIN" "$OUT/$g.bin" "$SOURCES" | tee -a "$RESULTS"
  done
  stamp >>"$RESULTS"
  "$PY" bench/graph/bench_py.py igraph "$OUT/$g.bin" "$SOURCES" -1 | tee -a "$RESULTS"
done
# networkx holds a 1M-node, 10M-edge graph in dicts of dicts (well over 10 GB): the small
# graph only, and an hour at most.
stamp >>"$RESULTS"
timeout 3600 "$PY" bench/graph/bench_py.py networkx "$OUT/sbm_100k.bin" "$SOURCES" | tee -a "$RESULTS" || echo '{"tool":"networkx","timeout":true}' | tee -a "$RESULTS"
