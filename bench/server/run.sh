#!/usr/bin/env bash
# HTTP API benchmark: `corridor serve` on loopback over a resolved synthetic store, driven by
# wrk (Debian package `wrk`) at 64 connections. Measures search with readable results
# (rs.analyst), hit-only search (uk.analyst), a search with no hit, and a subject page: p50,
# p99 and requests/s. Every request is a real, audited request (searches and subject pages
# append to the audit log), so this measures the audited path.
#
#   bench/server/run.sh [preset] [seconds]     (preset: test (default) or year)
#   CORRIDOR_BIN=path/to/corridor bench/server/run.sh ...   (measure another build)
#
# Results go to bench/out/server/<preset>/ (ignored); docs/benchmarks.md keeps the figures.
set -euo pipefail
cd "$(dirname "$0")/../.."

preset="${1:-test}"
seconds="${2:-20}"
connections=64
threads=2
target="${CARGO_TARGET_DIR:-target}"
out="bench/out/server/$preset"
mkdir -p "$out"

command -v wrk >/dev/null || { echo "wrk is missing (apt-get install -y wrk)" >&2; exit 1; }
if [ -n "${CORRIDOR_BIN:-}" ]; then  # another build to compare against
  corridor="$CORRIDOR_BIN"
else
  cargo build --release --locked -p corridor-cli
  corridor="$target/release/corridor"
fi

store="$out/store.db"
if [ ! -f "$store" ]; then
  echo "== building the $preset store (synth, ingest, resolve)"
  rm -rf "$out/scenario"
  /usr/bin/time -f "synth %e s" "$corridor" synth --preset "$preset" --seed 5 --out "$out/scenario" >/dev/null
  /usr/bin/time -f "ingest %e s" "$corridor" ingest --store "$store" --scenario "$out/scenario" >/dev/null || [ $? -eq 3 ]
  /usr/bin/time -f "resolve %e s" "$corridor" resolve --store "$store" >/dev/null
fi

server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
RUST_LOG=warn "$corridor" serve --db "$store" --listen 127.0.0.1:0 --threads "$threads" --demo-logins \
  >"$out/serve.out" 2>"$out/serve.log" &
server_pid=$!
addr=""
for _ in $(seq 1 1500); do  # up to 5 minutes: the warm-up reads the whole store
  addr="$(sed -n 's|^corridor API on http://||p' "$out/serve.out" | head -n1)"
  [ -n "$addr" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$out/serve.log" >&2; exit 1; }
  sleep 0.2
done
[ -n "$addr" ] || { echo "corridor serve did not start" >&2; exit 1; }
base="http://$addr"

login() {
  curl -sf -X POST "$base/api/v1/login" -H 'Content-Type: application/json' \
    -d "{\"user\":\"$1\",\"password\":\"corridor-demo\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
rs="$(login rs.analyst)"
uk="$(login uk.analyst)"
why="Operation%20Corridor%20benchmark"

# A person name RS_BP recorded, and its subject, found through the API itself.
name="$("$corridor" export --store "$store" | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    p = e.get("properties", {})
    if e.get("schema") == "Person" and e.get("corridor", {}).get("originator") == "RS_BP":
        n = (p.get("name") or [" ".join((p.get("firstName") or [""]) + (p.get("lastName") or [""]))])[0]
        if " " in n.strip():
            print(n.strip()); break
' || true)"
[ -n "$name" ] || { echo "no RS_BP person name found" >&2; exit 1; }
q="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$name")"
# The first search builds the discovery index (and the first subject page the link graph): on
# a large store that can outlast the request timeout, while the build itself goes on, so ask
# again until it answers. These warm-up requests are not measured.
subject=""
for _ in $(seq 1 10); do
  subject="$(curl -s -H "Authorization: Bearer $rs" "$base/api/v1/search?q=$q&field=name&justification=$why" |
    python3 -c 'import json,sys; s=[x for x in json.load(sys.stdin).get("subjects", []) if x["subject_id"]]; print(s[0]["subject_id"] if s else "")' 2>/dev/null || true)"
  [ -n "$subject" ] && break
  sleep 5
done
[ -n "$subject" ] || { echo "the search found no subject for $name" >&2; exit 1; }
for _ in $(seq 1 10); do
  curl -sf -o /dev/null -H "Authorization: Bearer $rs" "$base/api/v1/subjects/$subject?justification=$why" && break
  sleep 5
done

cat >"$out/auth.lua" <<'LUA'
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
LUA

run() {
  local label="$1" token="$2" path="$3"
  echo "== $label: $path"
  TOKEN="$token" wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s "$out/auth.lua" \
    "$base$path" | tee "$out/$label.txt"
}
{
  echo "preset $preset, $connections connections, $threads wrk threads, $threads server threads, ${seconds}s each"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/summary.txt"
run search-readable "$rs" "/api/v1/search?q=$q&field=name&justification=$why"
run search-hit-only "$uk" "/api/v1/search?q=$q&field=name&justification=$why"
run search-no-hit "$rs" "/api/v1/search?q=Zzyxw%20Qqvbn&field=name&justification=$why"
run subject-page "$rs" "/api/v1/subjects/$subject?justification=$why"
run healthz "$rs" "/healthz"
for f in search-readable search-hit-only search-no-hit subject-page healthz; do
  p50="$(awk '$1=="50%"{print $2}' "$out/$f.txt")"
  p99="$(awk '$1=="99%"{print $2}' "$out/$f.txt")"
  rps="$(awk '/^Requests\/sec/{print $2}' "$out/$f.txt")"
  non2xx="$(awk '/Non-2xx/{print $NF}' "$out/$f.txt")"
  printf '%-16s p50 %-9s p99 %-9s req/s %-9s non-2xx %s\n' "$f" "$p50" "$p99" "$rps" "${non2xx:-0}"
done | tee -a "$out/summary.txt"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/summary.txt"
