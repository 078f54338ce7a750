#!/usr/bin/env bash
# Times the upload route against the CLI on the same file, and the money routes over the
# demo scenario's store (its ledger table and payments): the first answer builds the money
# state, the next ones reuse it. Usage: bench/api/measure.sh [corridor binary]
set -euo pipefail
corridor="${1:-${CARGO_TARGET_DIR:-target}/release/corridor}"
work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
ms() { python3 -c 'import time; print(int(time.time()*1000))'; }

"$corridor" synth --preset demo --seed 5 --out "$work/sc" >/dev/null
file="$work/sc/RS_BP/interceptions.csv"
mapping="$work/sc/RS_BP/interceptions.toml"
rows=$(($(wc -l <"$file") - 1))

# The CLI into a fresh store.
t0=$(ms)
"$corridor" ingest --store "$work/cli.db" --mapping "$mapping" "$file" >/dev/null || [ $? -eq 3 ]
t1=$(ms)
echo "cli ingest: $rows rows in $((t1 - t0)) ms"

serve() {
  "$corridor" serve --db "$1" --listen 127.0.0.1:0 --demo-logins >"$work/serve.out" 2>"$work/serve.log" &
  pid=$!
  addr=""
  for _ in $(seq 1 300); do
    addr="$(sed -n 's|^corridor API on http://||p' "$work/serve.out" | head -n1)"
    [ -n "$addr" ] && break
    sleep 0.2
  done
  [ -n "$addr" ] || { cat "$work/serve.log" >&2; exit 1; }
  base="http://$addr"
}
login() {
  curl -sf -X POST "$base/api/v1/login" -H 'Content-Type: application/json' \
    -d "{\"user\":\"$1\",\"password\":\"corridor-demo\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
timed_get() {
  local t0 t1 code
  t0=$(ms)
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$base$1")
  t1=$(ms)
  echo "GET $2: $code in $((t1 - t0)) ms"
}

# The upload route into a fresh store, then the same file again.
serve "$work/api.db"
token="$(login rs.analyst)"
python3 - "$file" "$mapping" "$work/body.json" <<'PY'
import json, sys
data = open(sys.argv[1], encoding="utf-8").read()
mapping = open(sys.argv[2], encoding="utf-8").read()
json.dump({"name": "interceptions.csv", "format": "csv", "mapping": mapping, "data": data,
           "justification": "benchmark: intake of the border police file"}, open(sys.argv[3], "w"))
PY
for run in fresh again; do
  t0=$(ms)
  out=$(curl -sf -X POST "$base/api/v1/ingest" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' --data-binary "@$work/body.json")
  t1=$(ms)
  echo "api ingest ($run): $(echo "$out" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["rows_accepted"], "accepted,", r["rows_rejected"], "rejected,", r["records_appended"], "appended")') in $((t1 - t0)) ms"
done
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""

# Money over the demo store: every agency's files, the ledger table, subjects resolved.
"$corridor" ingest --store "$work/demo.db" --scenario "$work/sc" >/dev/null || [ $? -eq 3 ]
"$corridor" resolve --store "$work/demo.db" >/dev/null
serve "$work/demo.db"
token="$(login uk.analyst)"
why="justification=benchmark%3A%20money%20routes"
timed_get "/api/v1/money/alerts?$why" "alerts (first: builds the money state)"
timed_get "/api/v1/money/alerts?$why" "alerts (cached)"
timed_get "/api/v1/money/alerts?$why" "alerts (cached)"
timed_get "/api/v1/money/flows/A-0000001?hops=3&$why" "flows A-0000001"
timed_get "/api/v1/money/accounts/A-0000001?$why" "account A-0000001"
# A person subject with scored links between Serbian border police records, as its analyst.
token="$(login rs.analyst)"
subject=$(python3 - "$work/demo.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
row = db.execute("""SELECT subject_id, COUNT(*) n FROM subject_members
    WHERE kind = 'person' AND originator = 'RS_BP' AND via_originator = 'RS_BP'
    GROUP BY subject_id ORDER BY n DESC, subject_id LIMIT 1""").fetchone()
print(row[0] if row else "P-0000001")
PY
)
timed_get "/api/v1/subjects/$subject?$why" "subject $subject (first: prepares the explainer)"
timed_get "/api/v1/subjects/$subject?$why" "subject $subject (cached)"
