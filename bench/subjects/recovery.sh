#!/usr/bin/env bash
# Network recovery and organiser recall on the graph Corridor derives from a store: generate
# `--preset test`, ingest every agency's files, resolve, build the link graph over the subjects
# and evaluate it against the scenario's truth (each subject standing for the true person most
# of its records describe).
# Usage: bench/subjects/recovery.sh [SEED...]   (default 11 12 13)
set -euo pipefail
cd "$(dirname "$0")/../.."
SEEDS=${*:-11 12 13}
cargo build --release -q -p corridor-cli
BIN=${CARGO_TARGET_DIR:-target}/release/corridor
for SEED in $SEEDS; do
  OUT=bench/out/recovery-$SEED
  rm -rf "$OUT" && mkdir -p "$OUT"
  "$BIN" synth --preset test --seed "$SEED" --out "$OUT/scn" >/dev/null
  "$BIN" ingest --store "$OUT/s.db" --scenario "$OUT/scn" >/dev/null || [ $? -eq 3 ]
