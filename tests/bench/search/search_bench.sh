#!/usr/bin/env bash
# Search benchmark (issue 4): a Synthea-shaped data set of >= 1,000,000 resources
# (generate.py), loaded with `hestia import` into a fresh PostgreSQL (`hestia db start`), every
# search index maintained, then warm p50/p95 of the issue's queries with one keep-alive client
# (search_measure.py: 20 warm-up requests, then 200 timed ones per query, values picked from
# the data, _count=20). Prints the import throughput (write throughput with indexing) and a
# Markdown table for docs/performance.md.
#
# Everything lives in one temporary folder (or --work DIR), listens on 127.0.0.1 only, and is
# stopped by the EXIT trap. Not a timed test: run it by hand on a quiet machine.
#
# Usage: tests/bench/search/search_bench.sh [--hestia PATH] [--patients N] [--work DIR]
#            [--runs N] [--warmup N] [--only NAME,...] [--keep] [--reuse]
#   --hestia PATH  server binary (default: configure and build Release in build-search-bench)
#   --patients N   patients to generate (default 10000 → 1,004,000 resources)
#   --work DIR     keep data and database in DIR (implies --keep): generated data of the same
#                  --patients is reused (fresh database and import); with --reuse the database
#                  of an earlier run is used as it is too (no import, only the queries)
set -euo pipefail

HESTIA=""
PATIENTS=10000
RUNS=200
WARMUP=20
ONLY=""
KEEP=0
REUSE=0
WORK=""
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    --hestia) HESTIA=${2:?}; shift 2 ;;
    --patients) PATIENTS=${2:?}; shift 2 ;;
    --runs) RUNS=${2:?}; shift 2 ;;
    --warmup) WARMUP=${2:?}; shift 2 ;;
    --only) ONLY=${2:?}; shift 2 ;;
    --work) WORK=${2:?}; KEEP=1; shift 2 ;;
    --reuse) REUSE=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "search_bench: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

log() { printf '[search_bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }
for tool in python3 awk; do command -v "$tool" >/dev/null || die "$tool is not installed"; done

if [[ -z $HESTIA ]]; then
  log "building Release into $ROOT/build-search-bench"
  cmake -S "$ROOT" -B "$ROOT/build-search-bench" -DCMAKE_BUILD_TYPE=Release -DHESTIA_TESTS=OFF >/dev/null
  cmake --build "$ROOT/build-search-bench" --target hestia -j2 >/dev/null
  HESTIA=$ROOT/build-search-bench/hestia
fi
[[ -x $HESTIA ]] || die "no server at $HESTIA"
HESTIA=$(cd "$(dirname "$HESTIA")" && pwd)/$(basename "$HESTIA")

if [[ -z $WORK ]]; then WORK=$(mktemp -d "${TMPDIR:-/tmp}/search-bench.XXXXXX"); fi
mkdir -p "$WORK"
chmod 755 "$WORK"
DATA=$WORK/data
DB=$WORK/db
SERVER_PID=""
cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  "$HESTIA" db stop --data-dir "$DB" --mode fast >/dev/null 2>&1 || true
  if ((KEEP)); then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

IMPORT_ROW=""
if ((REUSE)) && [[ -f $DATA/values.json && -d $DB ]]; then
  log "reusing data and database in $WORK"
  URL=$("$HESTIA" db start --data-dir "$DB" | tail -1)
  TOTAL=$(cat "$WORK/total" 2>/dev/null || echo "?")
else
  # A fresh database: the import's state file (what it loaded before) goes with the old one.
  rm -rf "$DB" "$WORK/state"
  if [[ -f $DATA/values.json && "$(cat "$WORK/patients" 2>/dev/null)" == "$PATIENTS" ]]; then
    TOTAL=$(cat "$WORK/total")
    log "reusing the generated data in $DATA ($TOTAL resources)"
  else
    rm -rf "$DATA"
    log "generating $PATIENTS patients into $DATA"
    start=$(date +%s.%N)
    TOTAL=$(python3 "$HERE/generate.py" "$DATA" --patients "$PATIENTS")
    echo "$TOTAL" >"$WORK/total"
    echo "$PATIENTS" >"$WORK/patients"
    log "$TOTAL resources in $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.0f", e-s}') s"
  fi
  MB=$(du -sm "$DATA/resources" | awk '{print $1}')
  log "$MB MB of NDJSON"
  URL=$("$HESTIA" db start --data-dir "$DB" | tail -1)
  log "hestia import: $TOTAL resources"
  /usr/bin/time -f '%M' -o "$WORK/import.rss" \
    "$HESTIA" import "$DATA/resources" --database-url "$URL" --no-progress --state-file "$WORK/state" \
    >"$WORK/import.out" 2>"$WORK/import.err" || die "import failed: $(tail -20 "$WORK/import.out")"
  cat "$WORK/import.out" >&2
  secs=$(sed -n 's/^elapsed \([0-9.]*\) s.*/\1/p' "$WORK/import.out")
  rate=$(sed -n 's/^elapsed [0-9.]* s, \([0-9]*\) resources.*/\1/p' "$WORK/import.out")
  rss=$(awk '{printf "%.0f", $1/1024}' "$WORK/import.rss")
  IMPORT_ROW="| \`hestia import\` (4 workers, all indexes) | $TOTAL | $secs | **$rate** | $rss |"
  # Fresh tables: give the planner statistics as autovacuum would after a while.
  if command -v psql >/dev/null; then
    log "VACUUM ANALYZE"
    psql "$URL" -q -c 'VACUUM ANALYZE' >&2 || log "VACUUM ANALYZE failed (continuing)"
  fi
fi

"$HESTIA" serve --database-url "$URL" --host 127.0.0.1 --port 0 --log-level warn \
  >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
port=""
for _ in $(seq 600); do
  port=$(sed -n 's|.*ready at http://[^:]*:\([0-9]*\)/fhir.*|\1|p' "$WORK/serve.out")
  [[ -n $port ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || die "server exited: $(tail -5 "$WORK/serve.err")"
  sleep 0.1
done
[[ -n $port ]] || die "server not ready"
BASE=http://127.0.0.1:$port/fhir

log "measuring ($WARMUP warm-up + $RUNS timed requests per query, one keep-alive client)"
set +e
python3 "$HERE/search_measure.py" "$BASE" "$DATA/values.json" --runs "$RUNS" --warmup "$WARMUP" \
  ${ONLY:+--only "$ONLY"} --markdown >"$WORK/table.md"
measure=$?
set -e

echo
echo "Data: $TOTAL resources; $(nproc) cores; $(date -u +%Y-%m-%d); $(basename "$HESTIA") at $HESTIA."
if [[ -n $IMPORT_ROW ]]; then
  echo
  echo "| Write path | Resources | Seconds | Resources/s | Peak RSS (MiB) |"
  echo "|---|---:|---:|---:|---:|"
  echo "$IMPORT_ROW"
fi
echo
cat "$WORK/table.md"
exit $measure
