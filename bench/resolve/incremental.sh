#!/usr/bin/env bash
# Incremental resolution: builds an index over RECORDS synthetic person records (generated in
# process, as bench/resolve/gen_people.py would write them), then times Index::add for NEW
# records, half of them new copies of people already held. The model comes from a full run over
# the first TRAIN records.
#
#   bench/resolve/incremental.sh                      # 10,000,000 records, 10,000 adds, 1,000,000 to train
#   bench/resolve/incremental.sh 1000000 10000 100000
#
# One JSON line per run is appended to bench/out/resolve/incremental.jsonl, with the date and
# load average before and after; /usr/bin/time's view of the whole process goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/../.."
RECORDS=${1:-10000000}
NEW=${2:-10000}
TRAIN=${3:-1000000}
OUT=bench/out/resolve
mkdir -p "$OUT"
cargo build --release -q -p corridor-resolve --example bench_incremental
BIN=${CARGO_TARGET_DIR:-target}/release/examples/bench_incremental
RESULTS=$OUT/incremental.jsonl
stamp() { echo "{\"date\":\"$(date -u +%FT%TZ)\",\"load1\":$(cut -d' ' -f1 /proc/loadavg)}"; }
stamp >>"$RESULTS"
/usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KiB peak" \
  "$BIN" "$RECORDS" "$NEW" "$TRAIN" | tee -a "$RESULTS"
stamp >>"$RESULTS"
