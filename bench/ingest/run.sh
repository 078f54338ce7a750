#!/usr/bin/env bash
# Ingest benchmark: a 1,000,000-row person CSV into a fresh SQLite store and a fresh PostgreSQL
# store, three runs each (median reported), beside two reference loaders that do no validation
# at all: sqlite-utils (PyPI) for SQLite and psql's \copy for PostgreSQL.
#
# Usage: bench/ingest/run.sh [ROWS]    (default 1000000; results as a Markdown table on stdout)
# Needs: python3 with venv, PostgreSQL server binaries (initdb, pg_ctl), /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-1000000}
OUT=bench/out
mkdir -p "$OUT"
CSV="$OUT/persons-$ROWS.csv"
[ -f "$CSV" ] || python3 bench/ingest/gen_persons.py "$ROWS" "$CSV"
cargo build --release -q -p corridor-cli
BIN=target/release/corridor

if [ ! -x bench/.venv/bin/sqlite-utils ]; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install -q sqlite-utils
fi

source scripts/pg-throwaway
pg_throwaway_start >&2
trap pg_throwaway_stop EXIT
PG_BASE=${CORRIDOR_TEST_PG_URL%/*}

# Runs "$@" under /usr/bin/time; prints "wall_seconds peak_kib".
timed() {
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" >"$OUT/run.log" 2>&1 || {
    code=$?
    # Exit 3 means some rows were rejected (the generator writes ~0.5% bad rows on purpose).
    [ "$code" = 3 ] || { cat "$OUT/run.log" >&2; exit "$code"; }
  }
  tail -1 "$OUT/time.txt"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

report() { # name runs-file accepted
  local wall mem
  wall=$(cut -d' ' -f1 "$2" | median)
  mem=$(cut -d' ' -f2 "$2" | sort -n | tail -1)
  awk -v n="$1" -v w="$wall" -v m="$mem" -v r="$3" \
    'BEGIN { printf "| %s | %d | %.2f | %.0f | %.0f |\n", n, r, w, r / w, m / 1024 }'
}

ACCEPTED=0
: >"$OUT/sqlite.runs"; : >"$OUT/pg.runs"; : >"$OUT/sqlite-utils.runs"; : >"$OUT/psql.runs"
for i in 1 2 3; do
  rm -f "$OUT"/bench.db*
  timed "$BIN" ingest --store "$OUT/bench.db" --mapping bench/ingest/persons.toml \
    --rejects "$OUT/rejects.csv" "$CSV" >>"$OUT/sqlite.runs"
  ACCEPTED=$(grep -o '[0-9]* accepted' "$OUT/run.log" | cut -d' ' -f1)

  db="bench_$i"
  psql -q "$CORRIDOR_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  timed "$BIN" ingest --store "$PG_BASE/$db" --mapping bench/ingest/persons.toml \
    --rejects "$OUT/rejects.csv" "$CSV" >>"$OUT/pg.runs"

  rm -f "$OUT"/peer.db*
  timed bench/.venv/bin/sqlite-utils insert "$OUT/peer.db" persons "$CSV" --csv >>"$OUT/sqlite-utils.runs"

  psql -q "$CORRIDOR_TEST_PG_URL" -c "DROP TABLE IF EXISTS peer_persons" -c \
    "CREATE TABLE peer_persons (id text, ime text, prezime text, ime_oca text, pol text,
       datum_rodjenja text, mesto_rodjenja text, drzavljanstvo text, telefon text, izvor text,
       napomena text)"
  timed psql -q "$CORRIDOR_TEST_PG_URL" -c "\\copy peer_persons FROM '$CSV' CSV HEADER" >>"$OUT/psql.runs"
done

echo "| loader | records | wall s (median of 3) | records/s | peak RSS MiB |"
echo "|---|---|---|---|---|"
report "corridor ingest → SQLite" "$OUT/sqlite.runs" "$ACCEPTED"
report "corridor ingest → PostgreSQL" "$OUT/pg.runs" "$ACCEPTED"
report "sqlite-utils insert --csv (no validation)" "$OUT/sqlite-utils.runs" "$ROWS"
report "psql \\copy (no validation)" "$OUT/psql.runs" "$ROWS"
