#!/usr/bin/env bash
# Hit / no-hit search over persons held by three agencies that allow discovery: builds the
# store, then times a partner analyst's searches (discovery index, a decision per candidate,
# and the search's audit entry written with full sync before the answer is returned).
#
# Usage: bench/policy/run.sh [RECORDS] [QUERIES]   (default 1,000,000 and 2,000)
# CORRIDOR_BENCH_THREADS=1,2,8 runs the queries once per number of searching threads.
# CORRIDOR_BENCH_STORE=postgres://… runs it on PostgreSQL instead of a SQLite file.
# Needs /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/../.."
RECORDS=${1:-1000000}
QUERIES=${2:-2000}
OUT=bench/out/policy
rm -rf "$OUT" && mkdir -p "$OUT"
cargo build --release -q -p corridor-policy --example hit_bench
BIN=${CARGO_TARGET_DIR:-target}/release/examples/hit_bench
/usr/bin/time -f "wall %e s, peak %M KiB" "$BIN" "$RECORDS" "$QUERIES" "${CORRIDOR_BENCH_STORE:-$OUT/hits.db}"
