#!/usr/bin/env bash
# Resolution quality on the synthetic scenario: generate `--preset test`, ingest every agency's
# files into a fresh store, export the person records and link them with `corridor link`,
# scored against the scenario's truth (pairwise and cluster precision, recall, F1).
# Usage: bench/scenario/resolve.sh [SEED]
set -euo pipefail
cd "$(dirname "$0")/../.."
SEED=${1:-11}
OUT=bench/out/scenario-resolve
rm -rf "$OUT" && mkdir -p "$OUT"
cargo build --release -q -p corridor-cli
BIN=${CARGO_TARGET_DIR:-target}/release/corridor
"$BIN" synth --preset test --seed "$SEED" --out "$OUT/scn" >/dev/null
"$BIN" ingest --store "$OUT/s.db" --scenario "$OUT/scn" >/dev/null || [ $? -eq 3 ]
"$BIN" export --store "$OUT/s.db" --format ftm --out "$OUT/all.ftm.jsonl" >/dev/null
python3 bench/scenario/persons.py "$OUT/all.ftm.jsonl" "$OUT/scn" "$OUT"
"$BIN" link "$OUT/persons.csv" --out "$OUT/link" --truth "$OUT/truth_pairs.csv"
