#!/usr/bin/env bash
# Money kernels: transactions per second of the batch scan (one and two threads) and the
# streaming scanner on a 1M-transaction scenario ledger, beside IBM snapml's
# GraphFeaturePreprocessor (fan, degree, scatter-gather, temporal cycles, vertex statistics)
# with the same windows on the same ledger, one and two threads.
#
#   bench/money/run.sh                     # 1M transactions, Corridor and snapml
#   TX=10000000 bench/money/run.sh         # 10M; snapml only with SNAPML=1 (hours at this size)
#
# Results go to bench/out/money/results.jsonl, one JSON line per tool and measurement, and each
# run's peak resident memory (from /usr/bin/time) as a line of its own.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=bench/.venv/bin/python
if [ ! -x "$PY" ]; then
  python3 -m venv bench/.venv
fi
TX=${TX:-1000000}
SNAPML=${SNAPML:-$([ "$TX" -le 1000000 ] && echo 1 || echo 0)}
if [ "$SNAPML" = 1 ]; then
  "$PY" -c 'import snapml' 2>/dev/null || "$PY" -m pip install snapml numpy
fi
OUT=bench/out/money
mkdir -p "$OUT"
cargo build --release -p corridor-cli -p corridor-money --example bench_scan
BIN=${CARGO_TARGET_DIR:-target}/release
SCN=$OUT/scn
[ "$TX" = 1000000 ] || SCN=$OUT/scn-$TX
if [ ! -f "$SCN/ledger/transactions.csv" ]; then
  printf '[scenario]\nseed = 11\npreset = "test"\n[volumes]\ntransactions = %s\n' "$TX" >"$OUT/$TX.toml"
  "$BIN/corridor" synth --config "$OUT/$TX.toml" --out "$SCN" >/dev/null
fi
LEDGER=$SCN/ledger/transactions.csv
RESULTS=$OUT/results.jsonl
stamp() { echo "{\"date\":\"$(date -u +%FT%TZ)\",\"load1\":$(cut -d' ' -f1 /proc/loadavg)}"; }
stamp >>"$RESULTS"
peak() { echo "{\"tool\":\"$1\",\"transactions_file\":$TX,\"peak_rss_kib\":$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$2")}"; }
/usr/bin/time -v -o "$OUT/time-corridor.txt" "$BIN/examples/bench_scan" "$LEDGER" | tee -a "$RESULTS"
peak corridor "$OUT/time-corridor.txt" | tee -a "$RESULTS"
if [ "$SNAPML" = 1 ]; then
  stamp >>"$RESULTS"
  /usr/bin/time -v -o "$OUT/time-snapml.txt" \
    timeout 3600 "$PY" bench/money/snapml_bench.py "$LEDGER" 1 2 | tee -a "$RESULTS"
  peak snapml "$OUT/time-snapml.txt" | tee -a "$RESULTS"
fi
