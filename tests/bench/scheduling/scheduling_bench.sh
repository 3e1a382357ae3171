#!/usr/bin/env bash
# Scheduling benchmark (issue: "1,000 practitioners with 60 days of availability: slot
# materialisation time; $find p50/p95 for a one-week window by specialty and by practitioner
# (target <= 50 ms p95); $book throughput with 8 clients on distinct slots").
#
# Starts `hestia serve` on a fresh embedded PostgreSQL with the scheduling plug-in
# (materialize_every_seconds: 86400, so the hourly job does not run during the measurements;
# the Schedules are created after its start-up run) and --keepalive-timeout-ms 3600000 (the
# server drops the answer of a request that runs longer than the keep-alive timeout, and the
# one $materialize call runs for many minutes), then scheduling_measure.py:
#   load         N Practitioners, each with one Schedule (schedule-availability extension:
#                Europe/Berlin, Mon-Fri 08-12 and 13-17, 20-minute Slots, one of ten SNOMED
#                specialties round-robin), and the Patients, through transaction Bundles;
#   materialize  POST Schedule/$materialize days=60 (one call, every Schedule): Slots, seconds,
#                Slots/s; then ANALYZE (untimed, as autovacuum would after a while) and a wait
#                until the plug-in's event subscriptions have caught up with the new Slots;
#   single       Schedule/[id]/$materialize of one new Schedule on the full table, and again;
#   find         Appointment/$find for the week from next Monday, by specialty and by
#                practitioner: 20 warm-up + 200 timed requests each, one keep-alive client;
#   book         Appointment/$book of 2,000 distinct free Slots (ids picked up front by a
#                search, partitioned) by 8 client threads: bookings/s, p50/p95, non-201 count.
# Prints a Markdown table (operation, figure, target, met?) with the machine and the command
# line. With psql installed it also reports the writing transactions and WAL per Slot and per
# booking (where the time goes). At the default scale (about 1M Slots) the materialisation
# alone takes a long time on a small machine: that is a figure of the benchmark.
#
# Everything lives in one temporary folder (or --work DIR), listens on 127.0.0.1 only, and is
# stopped by the EXIT trap. Not a timed test: run it by hand on a quiet machine.
#
# Usage: tests/bench/scheduling/scheduling_bench.sh [--hestia PATH] [--plugin PATH]
#            [--practitioners N] [--patients N] [--days N] [--runs N] [--warmup N]
#            [--clients N] [--bookings N] [--only PHASE,...] [--no-analyze] [--work DIR]
#            [--keep]
#   --hestia PATH        server binary (default: configure and build Release, targets hestia
#                        and hestia_scheduling, in build-scheduling-bench)
#   --plugin PATH        scheduling.so (default: plugins-out/scheduling.so next to the server)
#   --practitioners N    Practitioners, one Schedule each (default 1000)
#   --patients N         Patients (default 1000)
#   --days N             materialisation horizon (default 60)
#   --runs N, --warmup N timed and warm-up $find requests per scenario (default 200, 20)
#   --clients N          $book client threads (default 8)
#   --bookings N         $book calls in all (default 2000)
#   --only PHASE,...     a subset of load,materialize,single,find,book (each needs the ones
#                        before it that create its data)
#   --no-analyze         skip the ANALYZE after materialisation
#   --work DIR           keep the server's data and logs in DIR (implies --keep; DIR must not
#                        hold an earlier run's database)
set -euo pipefail

HESTIA=""
PLUGIN=""
PRACTITIONERS=1000
PATIENTS=1000
DAYS=60
RUNS=200
WARMUP=20
CLIENTS=8
BOOKINGS=2000
ONLY="load,materialize,single,find,book"
ANALYZE=1
KEEP=0
WORK=""
COMMAND_LINE="$0 $*"
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    --hestia) HESTIA=${2:?}; shift 2 ;;
    --plugin) PLUGIN=${2:?}; shift 2 ;;
    --practitioners) PRACTITIONERS=${2:?}; shift 2 ;;
    --patients) PATIENTS=${2:?}; shift 2 ;;
    --days) DAYS=${2:?}; shift 2 ;;
    --runs) RUNS=${2:?}; shift 2 ;;
    --warmup) WARMUP=${2:?}; shift 2 ;;
    --clients) CLIENTS=${2:?}; shift 2 ;;
    --bookings) BOOKINGS=${2:?}; shift 2 ;;
    --only) ONLY=${2:?}; shift 2 ;;
    --no-analyze) ANALYZE=0; shift ;;
    --work) WORK=${2:?}; KEEP=1; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "scheduling_bench: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for n in "$PRACTITIONERS" "$PATIENTS" "$DAYS" "$RUNS" "$WARMUP" "$CLIENTS" "$BOOKINGS"; do
  [[ $n =~ ^[0-9]+$ ]] || { echo "scheduling_bench: '$n' is not a number" >&2; exit 2; }
done

log() { printf '[scheduling_bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }
for tool in python3 awk; do command -v "$tool" >/dev/null || die "$tool is not installed"; done

if [[ -z $HESTIA ]]; then
  log "building Release into $ROOT/build-scheduling-bench"
  cmake -S "$ROOT" -B "$ROOT/build-scheduling-bench" -DCMAKE_BUILD_TYPE=Release -DHESTIA_TESTS=OFF >/dev/null
  cmake --build "$ROOT/build-scheduling-bench" --target hestia hestia_scheduling -j2 >/dev/null
  HESTIA=$ROOT/build-scheduling-bench/hestia
fi
[[ -x $HESTIA ]] || die "no server at $HESTIA"
HESTIA=$(cd "$(dirname "$HESTIA")" && pwd -P)/$(basename "$HESTIA")
[[ -n $PLUGIN ]] || PLUGIN=$(dirname "$HESTIA")/plugins-out/scheduling.so
[[ -f $PLUGIN ]] || die "no plug-in at $PLUGIN (build the target hestia_scheduling, or --plugin)"

if [[ -z $WORK ]]; then WORK=$(mktemp -d "${TMPDIR:-/tmp}/scheduling-bench.XXXXXX"); fi
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd -P)  # plugins.dir: absolute, no symbolic link on the way
[[ ! -e $WORK/db ]] || die "$WORK/db exists: give --work a new folder"
chmod 755 "$WORK"  # the embedded PostgreSQL runs as its own user when started as root
SERVER_PID=""
cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if ((KEEP)); then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The plug-in folder: 0755, not a link; the file 0755, owned by us (root or the server's user).
mkdir -p "$WORK/plugins"
chmod 755 "$WORK/plugins"
cp "$PLUGIN" "$WORK/plugins/scheduling.so"
chmod 755 "$WORK/plugins/scheduling.so"
cat >"$WORK/hestia.yaml" <<EOF
plugins:
  dir: $WORK/plugins
  list:
    - name: scheduling
      file: scheduling.so
      config:
        materialize_every_seconds: 86400
        horizon_days: $DAYS
EOF

log "starting the server (embedded PostgreSQL in $WORK/db)"
"$HESTIA" serve --host 127.0.0.1 --port 0 --data-dir "$WORK/db" --config "$WORK/hestia.yaml" \
  --keepalive-timeout-ms 3600000 --log-level warn >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
port=""
for _ in $(seq 1200); do
  port=$(sed -n 's|.*ready at http://[^:]*:\([0-9]*\)/fhir.*|\1|p' "$WORK/serve.out")
  [[ -n $port ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || die "server exited: $(tail -5 "$WORK/serve.err")"
  sleep 0.1
done
[[ -n $port ]] || die "server not ready"
BASE=http://127.0.0.1:$port/fhir

# psql on the embedded cluster (its socket folder; the server's database is "postgres").
PSQL=""
if command -v psql >/dev/null && [[ -f $WORK/db/socket_dir ]]; then
  PSQL="psql -X -q -A -t -v ON_ERROR_STOP=1 -h $(cat "$WORK/db/socket_dir") -U hestia -d postgres"
  $PSQL -c 'SELECT 1' >/dev/null 2>&1 || { log "psql cannot connect: no SQL diagnostics"; PSQL=""; }
fi
# The materialize job runs once about a second after start-up, over the Schedules that exist
# then: wait for that run (recorded when claimed; with no Schedules it is over at once).
if [[ -n $PSQL ]]; then
  for _ in $(seq 300); do
    [[ $($PSQL -c "SELECT count(*) FROM plugin_job_run WHERE job = 'scheduling/materialize'") == 1 ]] && break
    sleep 0.1
  done
  sleep 1
else
  sleep 5
fi

log "measuring at $BASE"
set +e
python3 "$HERE/scheduling_measure.py" "$BASE" --practitioners "$PRACTITIONERS" \
  --patients "$PATIENTS" --days "$DAYS" --runs "$RUNS" --warmup "$WARMUP" --clients "$CLIENTS" \
  --bookings "$BOOKINGS" --only "$ONLY" --server-pid "$SERVER_PID" ${PSQL:+--psql "$PSQL"} \
  $( ((ANALYZE)) || echo --no-analyze) --markdown >"$WORK/table.md"
measure=$?
set -e
if [[ -n $(grep -v '^{.*"level":"\(info\|debug\)"' "$WORK/serve.err" | head -1) ]]; then
  log "server warnings/errors (first 5):"
  grep -v '^{.*"level":"\(info\|debug\)"' "$WORK/serve.err" | head -5 >&2
fi

mem=$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
echo
echo "Machine: $(nproc) cores ($cpu), $mem memory; $(date -u +%Y-%m-%d); server $HESTIA, plug-in $PLUGIN."
echo "Data: $PRACTITIONERS Practitioners and Schedules, $PATIENTS Patients, $DAYS days of Slots."
echo "Command: \`$COMMAND_LINE\`"
echo
cat "$WORK/table.md"
exit $measure
