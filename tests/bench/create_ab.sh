#!/usr/bin/env bash
# REST create throughput of two builds in alternating rounds (issue 4: write throughput with
# indexing against the foundation's figure without it, target >= 50%).
#
# Owns: N rounds on loopback; in each round, first the baseline then the candidate build is
# started on a fresh embedded cluster of its own (`hestia serve --data-dir` in a temporary
# folder), sent POST /fhir/Patient of rest_bench.sh's ~2 KB Patient (tests/bench/
# patient-2k.json) by wrk (-t2 -c64, a 5 s warm-up, then --duration seconds measured) and
# stopped. Prints a Markdown table: both rates
# and their ratio per round, then the medians and the median of the ratios. A shared VM drifts
# by tens of percent within minutes; alternating rounds put both builds under the same drift,
# so the per-round ratio is the figure to read. Not a timed test: run it by hand.
#
# Usage: tests/bench/create_ab.sh --baseline PATH --candidate PATH [--rounds N] [--duration S]
set -euo pipefail

ROUNDS=3
DURATION=10
BASELINE=""
CANDIDATE=""
READY_TIMEOUT=180  # a first start runs initdb

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; }

while (($#)); do
  case "$1" in
    --baseline) BASELINE=${2:?}; shift 2 ;;
    --candidate) CANDIDATE=${2:?}; shift 2 ;;
    --rounds) ROUNDS=${2:?}; shift 2 ;;
    --duration) DURATION=${2:?}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "create_ab: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
log() { printf '[create_ab %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }
for n in "$ROUNDS" "$DURATION"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "'$n' is not a positive integer"
done
for b in "$BASELINE" "$CANDIDATE"; do
  [[ -n $b && -x $b ]] || die "--baseline and --candidate must name server binaries ('$b')"
done
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/setup.sh --with-bench)"
done

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hestia-create-ab.XXXXXX")
chmod 755 "$WORK"  # the unprivileged cluster user must traverse it when we are root
SERVER_PID=""
cleanup() {
  if [[ -n $SERVER_PID ]]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cat >"$WORK/create.lua" <<EOF
local f = assert(io.open("$HERE/patient-2k.json", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/fhir+json"
wrk.headers["Accept"] = "application/fhir+json"
EOF

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# create_rate BIN: requests/s of the measured run (non-2xx answers make it fail).
create_rate() {
  local bin=$1 port dir
  port=$(free_port)
  dir=$(mktemp -d "$WORK/run.XXXX")
  chmod 755 "$dir"
  "$bin" serve --host 127.0.0.1 --port "$port" --data-dir "$dir/data" >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  local waited=0
  until curl -sf -o /dev/null "http://127.0.0.1:$port/readyz"; do
    kill -0 "$SERVER_PID" 2>/dev/null || die "$bin exited: $(tail -n 5 "$dir/server.log")"
    ((waited++ < READY_TIMEOUT * 5)) || die "$bin not ready after ${READY_TIMEOUT}s"
    sleep 0.2
  done
  local url="http://127.0.0.1:$port/fhir/Patient"
  wrk -t2 -c64 -d5s -s "$WORK/create.lua" "$url" >/dev/null
  wrk -t2 -c64 -d"${DURATION}s" --timeout 10s -s "$WORK/create.lua" "$url" >"$dir/wrk.txt"
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  if grep -q "Non-2xx" "$dir/wrk.txt"; then die "$bin answered errors: $(cat "$dir/wrk.txt")"; fi
  awk '$1 == "Requests/sec:" { print $2 }' "$dir/wrk.txt"
  rm -rf "$dir"
}

log "baseline  $BASELINE"
log "candidate $CANDIDATE"
: >"$WORK/rates"
for ((round = 1; round <= ROUNDS; round++)); do
  log "round $round/$ROUNDS"
  base=$(create_rate "$BASELINE")
  cand=$(create_rate "$CANDIDATE")
  echo "$round $base $cand" >>"$WORK/rates"
done

echo
echo "### create_ab.sh run of $(date -u '+%Y-%m-%d %H:%M') UTC"
echo
echo "wrk -t2 -c64 -d${DURATION}s (after 5 s of warm-up) POST /fhir/Patient, fresh cluster per run."
echo
python3 - "$WORK/rates" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
print("| round | baseline req/s | candidate req/s | candidate / baseline |")
print("| ---: | ---: | ---: | ---: |")
ratios = []
for r, b, c in rows:
    ratio = float(c) / float(b)
    ratios.append(ratio)
    print(f"| {r} | {float(b):,.0f} | {float(c):,.0f} | {100 * ratio:.0f}% |")
base = statistics.median(float(b) for _, b, _ in rows)
cand = statistics.median(float(c) for _, _, c in rows)
print(f"| median | {base:,.0f} | {cand:,.0f} | {100 * statistics.median(ratios):.0f}% |")
EOF
