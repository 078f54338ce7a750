#!/usr/bin/env bash
# Money kernels: transactions per second of the batch scan (one and two threads) and the
# streaming scanner on a 1M-transaction scenario ledger, beside IBM snapml's
# GraphFeaturePreprocessor (fan, degree, scatter-gather, temporal cycles, vertex statistics)
# with the same windows on the same ledger, one and two threads.
#
#   bench/money/run.sh
#
# Results go to bench/out/money/results.jsonl, one JSON line per tool and measurement.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=bench/.venv/bin/python
if [ ! -x "$PY" ]; then
  python3 -m venv bench/.venv
fi
"$PY" -c 'import snapml' 2>/dev/null || "$PY" -m pip install snapml numpy
OUT=bench/out/money
mkdir -p "$OUT"
cargo build --release -p corridor-cli -p corridor-money --example bench_scan
BIN=${CARGO_TARGET_DIR:-target}/release
if [ ! -f "$OUT/scn/ledger/transactions.csv" ]; then
  printf '[scenario]\nseed = 11\npreset = "test"\n[volumes]\ntransactions = 1000000\n' >"$OUT/1m.toml"
  "$BIN/corridor" synth --config "$OUT/1m.toml" --out "$OUT/scn" >/dev/null
fi
LEDGER=$OUT/scn/ledger/transactions.csv
RESULTS=$OUT/results.jsonl
stamp() { echo "{\"date\":\"$(date -u +%FT%TZ)\",\"load1\":$(cut -d' ' -f1 /proc/loadavg)}"; }
stamp >>"$RESULTS"
"$BIN/examples/bench_scan" "$LEDGER" | tee -a "$RESULTS"
stamp >>"$RESULTS"
timeout 3600 "$PY" bench/money/snapml_bench.py "$LEDGER" 1 2 | tee -a "$RESULTS"
