#!/usr/bin/env bash
# Ingest benchmark (issue 5): the Synthea set repeated to >= 100,000 resources, loaded
#   1-3. through HTTP transactions (POST [base] of each patient Bundle) with 1, 4 and 8 clients
#   4.   through `hestia import` (in-process, --workers default)
# each into a fresh PostgreSQL (`hestia db start`), all search indexes maintained (they always
# are). The shared hospital/practitioner bundles are loaded first and not timed for HTTP; the
# import figure includes them (it loads them itself). For each HTTP run it also reports the
# server's peak RSS (VmHWM of /proc/PID/status) over the whole stream of patient transactions
# (hundreds of MB of JSON, >= the 100 MB of the issue's memory target).
# Prints a Markdown table for docs/performance.md.
#
# Everything lives in one temporary folder, listens on 127.0.0.1 or a Unix socket only, and is
# stopped by the EXIT trap. Not a timed test: run it by hand on a quiet machine.
#
# Usage: tests/bench/ingest_bench.sh [--hestia PATH] [--resources N] [--clients "1 4 8"]
#                                    [--no-import] [--keep]
set -euo pipefail

HESTIA=build/hestia
RESOURCES=100000
CLIENTS="1 4 8"
DO_IMPORT=1
KEEP=0
SYNTHEA=${HESTIA_SHARED_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)/shared}/data/synthea
HERE=$(cd "$(dirname "$0")" && pwd)

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    --hestia) HESTIA=${2:?}; shift 2 ;;
    --resources) RESOURCES=${2:?}; shift 2 ;;
    --clients) CLIENTS=${2?}; shift 2 ;;
    --no-import) DO_IMPORT=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "ingest_bench: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

log() { printf '[ingest_bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }
for tool in curl xargs python3 awk; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[[ -x $HESTIA ]] || die "no server at $HESTIA; pass --hestia PATH"
[[ -d $SYNTHEA ]] || die "no Synthea data at $SYNTHEA (set HESTIA_SHARED_DIR)"
HESTIA=$(cd "$(dirname "$HESTIA")" && pwd)/$(basename "$HESTIA")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ingest-bench.XXXXXX")
chmod 755 "$WORK"
SERVER_PID=""
DB_DIRS=()
cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  for d in "${DB_DIRS[@]}"; do "$HESTIA" db stop --data-dir "$d" --mode fast >/dev/null 2>&1 || true; done
  if ((KEEP)); then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

DATA=$WORK/data
log "generating >= $RESOURCES resources into $DATA"
TOTAL=$(python3 "$HERE/ingest_generate.py" "$SYNTHEA" "$DATA" "$RESOURCES")
MB=$(du -sm "$DATA" | awk '{print $1}')
SHARED_FILES=$(find "$DATA" -name 'hospitalInformation*' -o -name 'practitionerInformation*' | sort)
PATIENT_LIST=$WORK/patients.txt
find "$DATA" -name '*-copy*.json' | sort >"$PATIENT_LIST"
PATIENT_RESOURCES=$(python3 -c '
import json,sys
print(sum(len(json.load(open(p))["entry"]) for p in open(sys.argv[1]).read().split()))' "$PATIENT_LIST")
log "$TOTAL resources ($PATIENT_RESOURCES in $(wc -l <"$PATIENT_LIST") patient bundles), $MB MB"

fresh_db() {  # fresh_db NAME → prints the database URL
  local d=$WORK/$1
  DB_DIRS+=("$d")
  "$HESTIA" db start --data-dir "$d" | tail -1
}

ROWS=()
now() { date +%s.%N; }

for c in $CLIENTS; do
  url=$(fresh_db "db-http-$c")
  "$HESTIA" serve --database-url "$url" --host 127.0.0.1 --port 0 --log-level warn \
    --threads 16 >"$WORK/serve-$c.out" 2>"$WORK/serve-$c.err" &
  SERVER_PID=$!
  port=""
  for _ in $(seq 600); do
    port=$(sed -n 's|.*ready at http://[^:]*:\([0-9]*\)/fhir.*|\1|p' "$WORK/serve-$c.out")
    [[ -n $port ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "server exited: $(tail -5 "$WORK/serve-$c.err")"
    sleep 0.1
  done
  [[ -n $port ]] || die "server not ready"
  base=http://127.0.0.1:$port/fhir
  for f in $SHARED_FILES; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/fhir+json' \
      --data-binary "@$f" "$base")
    [[ $code == 200 ]] || die "loading $f answered $code"
  done
  log "HTTP, $c client(s): posting $(wc -l <"$PATIENT_LIST") transactions"
  start=$(now)
  xargs -P "$c" -I{} curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/fhir+json' \
    -H 'Prefer: return=minimal' --data-binary @{} "$base" <"$PATIENT_LIST" >"$WORK/codes-$c.txt"
  end=$(now)
  bad=$(grep -vc '^200$' "$WORK/codes-$c.txt" || true)
  hwm=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$SERVER_PID/status")
  rate=$(awk -v n="$PATIENT_RESOURCES" -v s="$start" -v e="$end" 'BEGIN {printf "%.0f", n/(e-s)}')
  secs=$(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.1f", e-s}')
  ROWS+=("| HTTP transactions, $c client(s) | $PATIENT_RESOURCES | $secs | **$rate** | $hwm | $bad |")
  log "HTTP, $c client(s): $rate resources/s, peak RSS $hwm MiB, $bad failed"
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""
done

if ((DO_IMPORT)); then
  url=$(fresh_db db-import)
  log "hestia import: $TOTAL resources"
  /usr/bin/time -f '%M' -o "$WORK/import.rss" \
    "$HESTIA" import "$DATA" --database-url "$url" --no-progress --state-file "$WORK/state" \
    >"$WORK/import.out" 2>"$WORK/import.err" || die "import failed: $(cat "$WORK/import.out")"
  cat "$WORK/import.out" >&2
  secs=$(sed -n 's/^elapsed \([0-9.]*\) s.*/\1/p' "$WORK/import.out")
  rate=$(sed -n 's/^elapsed [0-9.]* s, \([0-9]*\) resources.*/\1/p' "$WORK/import.out")
  rss=$(awk '{printf "%.0f", $1/1024}' "$WORK/import.rss")
  ROWS+=("| \`hestia import\` (all files, shared bundles included) | $TOTAL | $secs | **$rate** | $rss | 0 |")
fi

echo
echo "Data: $TOTAL resources, $MB MB of JSON; $(nproc) cores; $(date -u +%Y-%m-%d)."
echo
echo "| Path | Resources | Seconds | Resources/s | Peak RSS (MiB) | Failed files |"
echo "|---|---:|---:|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"
