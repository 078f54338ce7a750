#!/usr/bin/env bash
# Scenario generator benchmark: wall time, output rate and peak memory of
# `corridor synth --preset year` and, with `--bench`, `--preset bench` (about 6 GB of output).
# Usage: bench/synth/run.sh [--bench]     (results as a Markdown table on stdout)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=bench/out
mkdir -p "$OUT"
cargo build --release -q -p corridor-cli
BIN=target/release/corridor
presets=(year)
[ "${1:-}" = "--bench" ] && presets+=(bench)

echo "| preset | wall s | records | records/s | transactions | transactions/s | output MB | peak RSS MiB |"
echo "|---|---|---|---|---|---|---|---|"
for preset in "${presets[@]}"; do
  dir="$OUT/synth-$preset"
  rm -rf "$dir"
  /usr/bin/time -f "%e %M" -o "$OUT/synth-time.txt" "$BIN" synth --preset "$preset" --seed 1 --out "$dir" >"$OUT/synth.log"
  read -r wall kib < "$OUT/synth-time.txt"
  records=$(grep -E '^ +[A-Z_]+ +[0-9]+ rows' "$OUT/synth.log" | awk '{s += $2} END {print s}')
  tx=$(grep -E '^ +ledger' "$OUT/synth.log" | awk '{print $2}')
  mb=$(du -sm "$dir" | cut -f1)
  awk -v p="$preset" -v w="$wall" -v r="$records" -v t="$tx" -v m="$mb" -v k="$kib" \
    'BEGIN { printf "| %s | %.1f | %d | %.0f | %d | %.0f | %d | %.0f |\n", p, w, r, r / w, t, t / w, m, k / 1024 }'
  rm -rf "$dir"
done
