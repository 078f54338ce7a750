#!/usr/bin/env bash
# Seconds from starting `corridor demo` to the workspace's URL being printed (the server then
# accepts connections), over RUNS runs. Usage: bench/web/demo-ready.sh [path/to/corridor] [RUNS]
set -euo pipefail
bin="${1:-${CARGO_TARGET_DIR:-target}/release/corridor}"
runs="${2:-3}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for i in $(seq 1 "$runs"); do
  : > "$log"
  start=$(date +%s.%N)
  "$bin" demo --listen 127.0.0.1:0 > "$log" 2>&1 &
  pid=$!
  # Bounded wait: 120 s at most.
  for _ in $(seq 1 1200); do
    grep -q 'Corridor workspace: http' "$log" && break
    kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.1
  done
  end=$(date +%s.%N)
  grep -q 'Corridor workspace: http' "$log" || { echo "run $i: no URL in 120 s"; kill "$pid"; exit 1; }
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  printf 'run %d: %.2f s to the URL\n' "$i" "$(echo "$end - $start" | bc)"
done
