#!/usr/bin/env bash
# Resolution benchmark: corridor link against Splink (DuckDB backend, unsupervised) on FEBRL3
# (dedupe), FEBRL4 (link) and a synthetic file of person records with romanisation, script and
# recording noise (dedupe). Pairwise precision / recall / F1 at match probability 0.5.
#
# Usage: bench/resolve/run.sh [RECORDS]   (default 1000000; Markdown table rows on stdout)
# Splink runs on a smaller synthetic file, SPLINK_RECORDS (default 100000): on this 2-core,
# 24 GiB machine its 1,000,000-record run was stopped after 23 minutes at 20 GiB resident.
# Needs: python3 with venv; the FEBRL CSVs in $CORRIDOR_FEBRL_DIR (default ../shared/data/febrl
# beside the workspace; scripts/febrl-fetch builds them); /usr/bin/time. Installs splink into the
# git-ignored bench/.venv. Set SPLINK=skip to measure Corridor alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
RECORDS=${1:-1000000}
OUT=bench/out
mkdir -p "$OUT"
FEBRL=${CORRIDOR_FEBRL_DIR:-../shared/data/febrl}
[ -f "$FEBRL/febrl3.csv" ] || { echo "no FEBRL data in $FEBRL (run scripts/febrl-fetch)" >&2; exit 2; }
SPLINK_RECORDS=${SPLINK_RECORDS:-100000}
for n in "$SPLINK_RECORDS" "$RECORDS"; do
  [ -f "$OUT/people-$n.csv" ] || python3 bench/resolve/gen_people.py "$n" "$OUT/people-$n.csv"
done
cargo build --release -q -p corridor-cli
BIN=${CARGO_TARGET_DIR:-target}/release/corridor

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Each row: wall seconds of the whole process (median of RUNS), its CPU seconds (user + sys),
# peak resident MiB, pairwise precision, recall, F1.
row() { # NAME ENGINE RUNS CMD...: runs CMD, stdout to $OUT/NAME-ENGINE.log
  local name=$1 engine=$2 runs=$3; shift 3
  local walls=() cpu peak
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %U %S %M" -o "$OUT/time.txt" "$@" >"$OUT/$name-$engine.log" 2>&1
    read -r wall user sys peak <"$OUT/time.txt"
    walls+=("$wall")
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')
  done
  printf '| %s | %s | %s | %s | %d |' "$name" "$engine" \
    "$(printf '%s\n' "${walls[@]}" | median)" "$cpu" "$((peak / 1024))"
}

corridor() { # NAME RUNS INPUT... TRUTH
  local name=$1 runs=$2; shift 2
  local truth=${*: -1} inputs=("${@:1:$#-1}") line
  row "$name" Corridor "$runs" "$BIN" link "${inputs[@]}" --out "$OUT/link-$name" --truth "$truth"
  line=$(grep '^pairs:' "$OUT/$name-Corridor.log")
  printf ' %s | %s | %s |\n' "$(awk '{print $3}' <<<"$line")" "$(awk '{print $5}' <<<"$line")" \
    "$(awk '{print $7}' <<<"$line")"
}

splink() { # NAME KIND INPUT... TRUTH (median of 3; the log ends with the in-process time)
  local name=$1 kind=$2; shift 2
  local truth=${*: -1} inputs=("${@:1:$#-1}") r
  row "$name" Splink 3 bench/.venv/bin/python bench/resolve/splink_run.py "$kind" "${inputs[@]}" \
    --truth "$truth"
  r=$(tail -1 "$OUT/$name-Splink.log")
  printf ' %s | %s | %s |\n' "$(awk '{print $3}' <<<"$r")" "$(awk '{print $4}' <<<"$r")" \
    "$(awk '{print $5}' <<<"$r")"
}

echo "| data | engine | wall s | CPU s | peak MiB | precision | recall | F1 |"
echo "|---|---|---|---|---|---|---|---|"
corridor febrl3 3 "$FEBRL/febrl3.csv" "$FEBRL/febrl3_true_pairs.csv"
corridor febrl4 3 "$FEBRL/febrl4a.csv" "$FEBRL/febrl4b.csv" "$FEBRL/febrl4_true_pairs.csv"
corridor "people-$SPLINK_RECORDS" 3 "$OUT/people-$SPLINK_RECORDS.csv" "$OUT/people-$SPLINK_RECORDS.pairs.csv"
corridor "people-$RECORDS" 1 "$OUT/people-$RECORDS.csv" "$OUT/people-$RECORDS.pairs.csv"

if [ "${SPLINK:-}" != skip ]; then
  if [ ! -x bench/.venv/bin/python ] || ! bench/.venv/bin/python -c 'import splink, pandas' 2>/dev/null; then
    [ -x bench/.venv/bin/python ] || python3 -m venv bench/.venv
    bench/.venv/bin/pip install -q splink pandas
  fi
  splink febrl3 febrl3 "$FEBRL/febrl3.csv" "$FEBRL/febrl3_true_pairs.csv"
  splink febrl4 febrl4 "$FEBRL/febrl4a.csv" "$FEBRL/febrl4b.csv" "$FEBRL/febrl4_true_pairs.csv"
  splink "people-$SPLINK_RECORDS" people "$OUT/people-$SPLINK_RECORDS.csv" \
    "$OUT/people-$SPLINK_RECORDS.pairs.csv"
fi
