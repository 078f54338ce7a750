#!/usr/bin/env bash
# Subjects in a store: `corridor resolve` on a year of the synthetic scenario — first on the
# police forces', FIUs' and other agencies' files; again when Eurodac's registrations arrive
# (many new records: re-trained); again when UK Border Force's arrivals arrive (few: added one by
# one); then a forced full re-run — and the link graph over the subjects; person quality against
# the scenario's truth after each step.
#
# Usage: bench/subjects/run.sh [PRESET] [SEED]   (default: year 11)
# Needs /usr/bin/time and python3 (standard library only).
set -euo pipefail
cd "$(dirname "$0")/../.."
PRESET=${1:-year}
SEED=${2:-11}
OUT=bench/out/subjects
rm -rf "$OUT" && mkdir -p "$OUT"
cargo build --release -q -p corridor-cli
BIN=${CARGO_TARGET_DIR:-target}/release/corridor
"$BIN" synth --preset "$PRESET" --seed "$SEED" --out "$OUT/scn" >/dev/null

ingest() { # AGENCY-DIR...: every file of these agencies
  for dir in "$@"; do
    for mapping in "$OUT/scn/$dir"/*.toml; do
      base=${mapping%.toml}
      if [ -f "$base.ftm.jsonl" ]; then
        "$BIN" ingest --store "$OUT/s.db" --format ftm --mapping "$mapping" "$base.ftm.jsonl" >/dev/null || [ $? -eq 3 ]
      else
        "$BIN" ingest --store "$OUT/s.db" --mapping "$mapping" "$base.csv" >/dev/null || [ $? -eq 3 ]
      fi
    done
  done
}

timed() { # LABEL CMD...: prints the command's output, then wall seconds and peak MiB
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" >"$OUT/$label.log"
  read -r wall peak <"$OUT/time.txt"
  cat "$OUT/$label.log"
  echo "== $label: wall ${wall} s, peak $((peak / 1024)) MiB"
}

agencies=$(cd "$OUT/scn" && ls -d */ | tr -d / | grep -v -e '^truth$' -e '^ledger$')
late="UK_BF EU_EURODAC"
early=$(for a in $agencies; do case " $late " in *" $a "*) ;; *) echo "$a" ;; esac; done)
ingest $early
"$BIN" status --store "$OUT/s.db"
timed resolve-first "$BIN" resolve --store "$OUT/s.db"
python3 bench/subjects/quality.py "$OUT/s.db" "$OUT/scn"
ingest EU_EURODAC
timed resolve-eurodac "$BIN" resolve --store "$OUT/s.db"
python3 bench/subjects/quality.py "$OUT/s.db" "$OUT/scn"
ingest UK_BF
timed resolve-incremental "$BIN" resolve --store "$OUT/s.db"
python3 bench/subjects/quality.py "$OUT/s.db" "$OUT/scn"
timed resolve-full "$BIN" resolve --store "$OUT/s.db" --full
python3 bench/subjects/quality.py "$OUT/s.db" "$OUT/scn"
timed network "$BIN" network --store "$OUT/s.db" summary
