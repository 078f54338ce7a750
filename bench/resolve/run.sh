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

# corridor NAME RUNS INPUT... TRUTH: "| NAME | corridor | seconds | peak MiB | P | R | F1 |"
corridor() {
  local name=$1 runs=$2; shift 2
  local truth=${*: -1} inputs=("${@:1:$#-1}") times=() line peak
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$BIN" link "${inputs[@]}" --out "$OUT/link-$name" \
      --truth "$truth" >"$OUT/link-$name.log"
    times+=("$(cut -d' ' -f1 "$OUT/time.txt")")
    peak=$(cut -d' ' -f2 "$OUT/time.txt")
  done
  line=$(grep '^pairs:' "$OUT/link-$name.log")
  printf '| %s | Corridor | %s | %d | %s | %s | %s |\n' "$name" \
    "$(printf '%s\n' "${times[@]}" | median)" "$((peak / 1024))" \
    "$(awk '{print $3}' <<<"$line")" "$(awk '{print $5}' <<<"$line")" "$(awk '{print $7}' <<<"$line")"
}

# splink NAME KIND INPUT... TRUTH: seconds in-process (CSV read to scored pairs), peak RSS.
splink() {
  local name=$1 kind=$2; shift 2
  local truth=${*: -1} inputs=("${@:1:$#-1}") r
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" bench/.venv/bin/python bench/resolve/splink_run.py \
    "$kind" "${inputs[@]}" --truth "$truth" >"$OUT/splink-$name.log" 2>&1
  r=$(tail -1 "$OUT/splink-$name.log")
  printf '| %s | Splink | %s | %d | %s | %s | %s |\n' "$name" "$(awk '{print $2}' <<<"$r")" \
    "$(( $(cut -d' ' -f2 "$OUT/time.txt") / 1024 ))" \
    "$(awk '{print $3}' <<<"$r")" "$(awk '{print $4}' <<<"$r")" "$(awk '{print $5}' <<<"$r")"
}

echo "| data | engine | seconds | peak MiB | precision | recall | F1 |"
echo "|---|---|---|---|---|---|---|"
corridor febrl3 3 "$FEBRL/febrl3.csv" "$FEBRL/febrl3_true_pairs.csv"
corridor febrl4 3 "$FEBRL/febrl4a.csv" "$FEBRL/febrl4b.csv" "$FEBRL/febrl4_true_pairs.csv"
corridor "people-$SPLINK_RECORDS" 3 "$OUT/people-$SPLINK_RECORDS.csv" "$OUT/people-$SPLINK_RECORDS.pairs.csv"
corridor "people-$RECORDS" 1 "$OUT/people-$RECORDS.csv" "$OUT/people-$RECORDS.pairs.csv"

if [ "${SPLINK:-}" != skip ]; then
  if [ ! -x bench/.venv/bin/python ] || ! bench/.venv/bin/python -c 'import splink, pandas' 2>/dev/null; then
    python3 -m venv bench/.venv
    bench/.venv/bin/pip install -q splink pandas
  fi
  splink febrl3 febrl3 "$FEBRL/febrl3.csv" "$FEBRL/febrl3_true_pairs.csv"
  splink febrl4 febrl4 "$FEBRL/febrl4a.csv" "$FEBRL/febrl4b.csv" "$FEBRL/febrl4_true_pairs.csv"
  splink "people-$SPLINK_RECORDS" people "$OUT/people-$SPLINK_RECORDS.csv" \
    "$OUT/people-$SPLINK_RECORDS.pairs.csv"
fi
