#!/usr/bin/env bash
# The `bench` preset's ledger (about 100M transactions, 7 GB of CSV) scanned for every
# typology by the streaming path, `corridor money alerts --stream`, end to end: wall and CPU
# time, peak resident memory, alerts raised. The scenario takes about 5-7 minutes to generate
# and 13 GB of disk; it is deleted afterwards unless KEEP=1.
#
#   bench/money/run100m.sh                 # generate, scan, delete
#   SCN=/some/dir KEEP=1 bench/money/run100m.sh   # reuse a generated scenario, keep it
#
# One JSON line per run is appended to bench/out/money/run100m.jsonl.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=bench/out/money
mkdir -p "$OUT"
cargo build --release -p corridor-cli
BIN=${CARGO_TARGET_DIR:-target}/release/corridor
SCN=${SCN:-$OUT/bench-scn}
KEEP=${KEEP:-0}
if [ ! -f "$SCN/ledger/transactions.csv" ]; then
  /usr/bin/time -v -o "$OUT/time-synth100m.txt" "$BIN" synth --preset bench --out "$SCN" >/dev/null
fi
load_before=$(cut -d' ' -f1 /proc/loadavg)
/usr/bin/time -v -o "$OUT/time-stream100m.txt" \
  "$BIN" money alerts --ledger "$SCN" --stream >"$OUT/alerts100m.txt" 2>"$OUT/stream100m.log"
load_after=$(cut -d' ' -f1 /proc/loadavg)
field() { sed -n "s/.*$1: //p" "$OUT/time-stream100m.txt"; }
wall=$(field 'Elapsed (wall clock) time (h:mm:ss or m:ss)')
user=$(field 'User time (seconds)')
sys=$(field 'System time (seconds)')
rss=$(field 'Maximum resident set size (kbytes)')
summary=$(tail -1 "$OUT/stream100m.log")
printf '{"date":"%s","load1_before":%s,"load1_after":%s,"wall":"%s","user_s":%s,"sys_s":%s,"peak_rss_kib":%s,"summary":"%s"}\n' \
  "$(date -u +%FT%TZ)" "$load_before" "$load_after" "$wall" "$user" "$sys" "$rss" "$summary" \
  | tee -a "$OUT/run100m.jsonl"
rm -f "$OUT/alerts100m.txt"
if [ "$KEEP" != 1 ]; then
  rm -rf "$SCN"
fi
