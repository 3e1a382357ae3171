#!/usr/bin/env bash
# REST read and create benchmark (issue 2), measured against the ceilings of the same machine.
#
# Owns: one run of five scenarios on loopback, and the table it prints (Markdown, so that
# docs/performance.md can take it as is):
#   1. Hestia  GET  /fhir/Patient/bench-1 (a ~2 KB Patient)          wrk
#   2. Hestia  POST /fhir/Patient (the same Patient without its id)    wrk + Lua
#   3. nginx   GET  of the identical bytes as a static file            wrk
#   4. pgbench primary-key SELECT of a ~2 KB text column               temp cluster
#   5. pgbench single-row INSERT, one transaction, synchronous_commit   temp cluster
# then read/nginx and create/pgbench-insert against the targets of issue 2.
#
# Everything it starts (hestia and its embedded cluster, nginx, a temporary PostgreSQL) lives in
# one temporary folder, listens on 127.0.0.1 or a Unix socket only, and is stopped by the EXIT
# trap. A watchdog bounds the whole run. Not a timed test: run it by hand on a quiet machine.
#
# Usage: tests/bench/rest_bench.sh [--duration S] [--connections N] [--threads N]
#                                  [--hestia PATH] [--keep] [-- extra `hestia serve` flags]
set -euo pipefail

DURATION=15
CONNECTIONS=64
THREADS=2
HESTIA=build/hestia
KEEP=0
HESTIA_EXTRA=()
READ_TARGET=40     # read-by-id >= 40% of nginx
CREATE_TARGET=60   # create >= 60% of the pgbench insert transaction rate
PG_BIN=/usr/lib/postgresql/15/bin
READY_TIMEOUT=180  # first start runs initdb

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
}

while (($#)); do
  case "$1" in
    --duration) DURATION=${2:?}; shift 2 ;;
    --connections) CONNECTIONS=${2:?}; shift 2 ;;
    --threads) THREADS=${2:?}; shift 2 ;;
    --hestia) HESTIA=${2:?}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h | --help) usage; exit 0 ;;
    --) shift; HESTIA_EXTRA=("$@"); break ;;
    *) echo "rest_bench: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for n in "$DURATION" "$CONNECTIONS" "$THREADS"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "rest_bench: '$n' is not a positive integer" >&2; exit 2; }
done
((THREADS <= CONNECTIONS)) || { echo "rest_bench: --threads exceeds --connections" >&2; exit 2; }

log() { printf '[rest_bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in wrk nginx curl timeout awk sort; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/setup.sh --with-bench installs it)"
done
for tool in initdb postgres pg_ctl pgbench psql; do
  [[ -x $PG_BIN/$tool ]] || die "$PG_BIN/$tool not found (postgresql-15)"
done
[[ -x $HESTIA ]] || die "no server at $HESTIA; run 'make build' or pass --hestia PATH"
HESTIA=$(cd "$(dirname "$HESTIA")" && pwd)/$(basename "$HESTIA")

# ------------------------------------------------------------------ state and cleanup
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hestia-bench.XXXXXX")
chmod 755 "$WORK"  # the unprivileged cluster user must traverse it when we are root
HESTIA_PID=""
NGINX_PID=""
PG_STARTED=0
WATCHDOG_PID=""

run_pg() {  # runs a PostgreSQL binary as the cluster user
  if ((EUID == 0)); then runuser -u hestia -- "$@"; else "$@"; fi
}

stop_pid() {  # stop_pid PID NAME: SIGTERM, wait up to 30 s, then SIGKILL
  local pid=$1 name=$2 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  log "$name (pid $pid) ignored SIGTERM for 30 s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

stop_stray_postmasters() {  # postmasters under our folder that outlived their owner
  local pidfile pid
  while IFS= read -r pidfile; do
    pid=$(head -n 1 "$pidfile" 2>/dev/null || true)
    if [[ ! $pid =~ ^[0-9]+$ ]] || ! kill -0 "$pid" 2>/dev/null; then continue; fi
    log "stopping leftover postmaster $pid ($pidfile)"
    kill -QUIT "$pid" 2>/dev/null || true
  done < <(find -L "$WORK" -name postmaster.pid 2>/dev/null)
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  [[ -n $HESTIA_PID ]] && stop_pid "$HESTIA_PID" hestia
  [[ -n $NGINX_PID ]] && stop_pid "$NGINX_PID" nginx
  if ((PG_STARTED)); then
    run_pg "$PG_BIN/pg_ctl" stop -D "$WORK/pg/data" -m fast -w -t 30 >/dev/null 2>&1 || true
  fi
  stop_stray_postmasters
  [[ -n $WATCHDOG_PID ]] && kill "$WATCHDOG_PID" 2>/dev/null && wait "$WATCHDOG_PID" 2>/dev/null
  if ((KEEP)); then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# Bound the whole run: set-up, five measured runs and their start-ups.
MAX_SECONDS=$((READY_TIMEOUT + 5 * (DURATION + 60) + 240))
(
  trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
  sleep "$MAX_SECONDS" &
  sleeper=$!
  wait "$sleeper"
  echo "[rest_bench] watchdog: still running after ${MAX_SECONDS}s, aborting" >&2
  kill -TERM $$
) &
WATCHDOG_PID=$!

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + RANDOM % 40000))
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  die "no free TCP port found"
}

# ------------------------------------------------------------------ the ~2 KB Patient
# tests/bench/patient-2k.json as the create body, and with `"id":"bench-1"` as the PUT body.
# Fixed content so that every run, and nginx, serve the same bytes.
PATIENT_FILE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/patient-2k.json"
mkdir -p "$WORK/body"
sed 's/^{"resourceType":"Patient",/{"resourceType":"Patient","id":"bench-1",/' "$PATIENT_FILE" \
  >"$WORK/body/put.json"
cp "$PATIENT_FILE" "$WORK/body/create.json"

# ------------------------------------------------------------------ wrk and its output
# Prints "rps p50_ms p99_ms errors" for one wrk run. Errors: non-2xx/3xx answers, socket errors.
wrk_run() {  # wrk_run NAME URL [wrk args...]
  local name=$1 url=$2 out="$WORK/wrk-$1.txt"
  shift 2
  log "$name: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s $url"
  timeout --kill-after=10 $((DURATION + 60)) \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency "$@" "$url" \
    >"$out" 2>&1 || die "$name: wrk failed: $(tail -n 5 "$out")"
  awk '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /s$/)  return substr(v, 1, length(v) - 1) * 1000
      return v + 0
    }
    $1 == "50.000%" || ($1 == "50%" && p50 == "") { p50 = ms($2) }
    $1 == "99.000%" || ($1 == "99%" && p99 == "") { p99 = ms($2) }
    $1 == "Requests/sec:" { rps = $2 }
    /Non-2xx or 3xx responses:/ { err += $NF }
    /Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) err += $i + 0 }
    END { printf "%s %s %s %d\n", rps, p50, p99, err }
  ' "$out"
}

# ------------------------------------------------------------------ 1, 2: Hestia
start_hestia() {
  HESTIA_PORT=$(free_port)
  log "starting $HESTIA serve --port $HESTIA_PORT --data-dir $WORK/hestia-data"
  "$HESTIA" serve --port "$HESTIA_PORT" --data-dir "$WORK/hestia-data" --host 127.0.0.1 \
    "${HESTIA_EXTRA[@]}" >"$WORK/hestia.log" 2>&1 &
  HESTIA_PID=$!
  local deadline=$((SECONDS + READY_TIMEOUT))
  until curl -sf -o /dev/null "http://127.0.0.1:$HESTIA_PORT/readyz"; do
    kill -0 "$HESTIA_PID" 2>/dev/null ||
      die "hestia exited during start-up: $(tail -n 20 "$WORK/hestia.log")"
    ((SECONDS < deadline)) ||
      die "hestia not ready after ${READY_TIMEOUT}s: $(tail -n 20 "$WORK/hestia.log")"
    sleep 0.5
  done
  log "hestia ready on 127.0.0.1:$HESTIA_PORT"
}

start_hestia
BASE="http://127.0.0.1:$HESTIA_PORT/fhir"
code=$(curl -s -o "$WORK/put-answer.json" -w '%{http_code}' -X PUT \
  -H 'Content-Type: application/fhir+json' --data-binary "@$WORK/body/put.json" \
  "$BASE/Patient/bench-1")
[[ $code == 200 || $code == 201 ]] || die "PUT Patient/bench-1 answered $code: $(cat "$WORK/put-answer.json")"
mkdir -p "$WORK/www/fhir/Patient"
# nginx serves exactly what Hestia serves for the read (meta and all).
curl -sf -H 'Accept: application/fhir+json' -o "$WORK/www/fhir/Patient/bench-1" \
  "$BASE/Patient/bench-1" || die "GET Patient/bench-1 failed"
chmod -R a+rX "$WORK/www"
PATIENT_BYTES=$(wc -c <"$WORK/www/fhir/Patient/bench-1")
log "Patient/bench-1 is $PATIENT_BYTES bytes as served"

code=$(curl -s -o "$WORK/post-answer.json" -w '%{http_code}' -X POST \
  -H 'Content-Type: application/fhir+json' --data-binary "@$WORK/body/create.json" "$BASE/Patient")
[[ $code == 201 ]] || die "POST Patient answered $code: $(cat "$WORK/post-answer.json")"

cat >"$WORK/create.lua" <<EOF
-- POST create of the benchmark Patient; the server assigns every id.
local f = assert(io.open("$WORK/body/create.json", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/fhir+json"
wrk.headers["Accept"] = "application/fhir+json"
EOF

wrk_run hestia-read "$BASE/Patient/bench-1" -H 'Accept: application/fhir+json' >"$WORK/r"
read -r READ_RPS READ_P50 READ_P99 READ_ERR <"$WORK/r"
wrk_run hestia-create "$BASE/Patient" -s "$WORK/create.lua" >"$WORK/r"
read -r CREATE_RPS CREATE_P50 CREATE_P99 CREATE_ERR <"$WORK/r"
stop_pid "$HESTIA_PID" hestia
HESTIA_PID=""

# ------------------------------------------------------------------ 3: nginx
NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx/tmp"
{
  ((EUID == 0)) && echo "user root;"
  echo "worker_processes auto;"
  echo "pid $WORK/nginx/nginx.pid;"
  echo "error_log $WORK/nginx/error.log warn;"
  echo "events { worker_connections 4096; }"
  echo "http {"
  echo "  access_log off;"
  echo "  sendfile on; tcp_nopush on; tcp_nodelay on;"
  echo "  keepalive_timeout 65; keepalive_requests 1000000;"
  echo "  client_body_temp_path $WORK/nginx/tmp/body;"
  # Temp paths of the modules compiled in (Debian's defaults under /var/lib/nginx need root).
  for m in proxy fastcgi uwsgi scgi; do
    nginx -V 2>&1 | grep -q -- "--without-http_${m}_module" || echo "  ${m}_temp_path $WORK/nginx/tmp/$m;"
  done
  echo "  types { } default_type application/fhir+json;"
  echo "  server {"
  echo "    listen 127.0.0.1:$NGINX_PORT;"
  echo "    root $WORK/www;"
  echo "  }"
  echo "}"
} >"$WORK/nginx/nginx.conf"
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" -g 'daemon off;' \
  >"$WORK/nginx/stdout.log" 2>&1 &
NGINX_PID=$!
deadline=$((SECONDS + 20))
until curl -sf -o "$WORK/nginx-check" "http://127.0.0.1:$NGINX_PORT/fhir/Patient/bench-1"; do
  kill -0 "$NGINX_PID" 2>/dev/null || die "nginx exited: $(cat "$WORK/nginx/error.log" "$WORK/nginx/stdout.log" 2>/dev/null)"
  ((SECONDS < deadline)) || die "nginx not answering after 20 s"
  sleep 0.2
done
cmp -s "$WORK/nginx-check" "$WORK/www/fhir/Patient/bench-1" || die "nginx serves different bytes"
wrk_run nginx-static "http://127.0.0.1:$NGINX_PORT/fhir/Patient/bench-1" \
  -H 'Accept: application/fhir+json' >"$WORK/r"
read -r NGINX_RPS NGINX_P50 NGINX_P99 NGINX_ERR <"$WORK/r"
stop_pid "$NGINX_PID" nginx
NGINX_PID=""

# ------------------------------------------------------------------ 4, 5: pgbench
if ((EUID == 0)) && ! id -u hestia >/dev/null 2>&1; then
  log "creating the system user hestia"
  useradd --system --no-create-home --shell /usr/sbin/nologin hestia
fi
mkdir -p "$WORK/pg/socket" "$WORK/pg/log"
((EUID == 0)) && chown -R hestia: "$WORK/pg"
log "initdb of a temporary cluster in $WORK/pg/data"
run_pg "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
  --data-checksums --no-sync >"$WORK/pg/log/initdb.log" 2>&1 ||
  die "initdb failed: $(tail -n 20 "$WORK/pg/log/initdb.log")"
PG_STARTED=1
# Settings as the embedded cluster's (ADR embedded-postgresql-cluster): durable, socket only,
# shared_buffers a quarter of the memory from 128MB to 1GB.
SHARED_MB=$(($(getconf _PHYS_PAGES) * $(getconf PAGE_SIZE) / 4 / 1048576))
((SHARED_MB < 128)) && SHARED_MB=128
((SHARED_MB > 1024)) && SHARED_MB=1024
run_pg "$PG_BIN/pg_ctl" start -D "$WORK/pg/data" -w -t 60 -l "$WORK/pg/log/postgres.log" \
  -o "-c listen_addresses='' -c unix_socket_directories='$WORK/pg/socket' -c port=5432 \
-c fsync=on -c full_page_writes=on -c synchronous_commit=on -c shared_buffers=${SHARED_MB}MB \
-c max_connections=$((CONNECTIONS + 20))" >/dev/null ||
  die "postgres did not start: $(tail -n 20 "$WORK/pg/log/postgres.log")"
PSQL=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$WORK/pg/socket" -p 5432 -U postgres -d postgres)
BODY=$(cat "$WORK/body/create.json")
run_pg "${PSQL[@]}" -v body="$BODY" >/dev/null <<'SQL'
CREATE TABLE bench_read (id integer PRIMARY KEY, body text NOT NULL);
INSERT INTO bench_read SELECT g, :'body' FROM generate_series(1, 10000) g;
CREATE TABLE bench_insert (id bigserial PRIMARY KEY, body text NOT NULL);
VACUUM ANALYZE;
SQL
cat >"$WORK/pg/select.sql" <<'EOF'
\set id random(1, 10000)
SELECT body FROM bench_read WHERE id = :id;
EOF
cat >"$WORK/pg/insert.sql" <<'EOF'
INSERT INTO bench_insert (body) VALUES (:body);
EOF
chmod a+r "$WORK/pg/select.sql" "$WORK/pg/insert.sql"
((EUID == 0)) && chown -R hestia: "$WORK/pg"

# Prints "tps p50_ms p99_ms errors" from pgbench's summary and per-transaction logs.
pgbench_run() {  # pgbench_run NAME SCRIPT
  local name=$1 script=$2 out="$WORK/pg/log/$1.txt"
  log "$name: pgbench -c $CONNECTIONS -j $THREADS -T $DURATION -M prepared -f $(basename "$script")"
  timeout --kill-after=10 $((DURATION + 60)) \
    "${RUN_AS[@]}" "$PG_BIN/pgbench" -h "$WORK/pg/socket" -p 5432 -U postgres -n -M prepared \
    -c "$CONNECTIONS" -j "$THREADS" -T "$DURATION" -f "$script" -D "body=$BODY" \
    -l --log-prefix="$WORK/pg/log/$name" postgres >"$out" 2>&1 ||
    die "$name: pgbench failed: $(tail -n 5 "$out")"
  local tps failed
  tps=$(awk '/^tps = / { print $3; exit }' "$out")
  failed=$(awk '/number of failed transactions:/ { print $5; exit }' "$out")
  # Log lines: client_id transaction_no latency_us script_no epoch_s epoch_us
  cat "$WORK/pg/log/$name".* | awk '{ print $3 }' | sort -n | awk -v tps="$tps" -v err="${failed:-0}" '
    { v[NR] = $1 }
    END {
      if (NR == 0) { printf "%s 0 0 %d\n", tps, err; exit }
      i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
      i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
      printf "%s %.3f %.3f %d\n", tps, v[i50] / 1000, v[i99] / 1000, err
    }'
  rm -f "$WORK/pg/log/$name".*
}
RUN_AS=()
((EUID == 0)) && RUN_AS=(runuser -u hestia --)
pgbench_run pgbench-select "$WORK/pg/select.sql" >"$WORK/r"
read -r PGSEL_TPS PGSEL_P50 PGSEL_P99 PGSEL_ERR <"$WORK/r"
pgbench_run pgbench-insert "$WORK/pg/insert.sql" >"$WORK/r"
read -r PGINS_TPS PGINS_P50 PGINS_P99 PGINS_ERR <"$WORK/r"

# ------------------------------------------------------------------ the table
cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem_total=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
revision=$(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo "unknown")
row() { printf '| %-40s | %10s | %8s | %8s | %6s |\n' "$@"; }
fmt() { awk -v v="$1" 'BEGIN { printf "%.1f", v }'; }
fmt2() { awk -v v="$1" 'BEGIN { printf "%.2f", v }'; }
verdict() {  # verdict NAME NUMERATOR DENOMINATOR TARGET_PERCENT|-
  awk -v n="$1" -v a="$2" -v b="$3" -v t="$4" 'BEGIN {
    if (b <= 0) { printf "| %-28s | %8s | %6s | n/a |\n", n, "n/a", t; exit }
    r = 100 * a / b
    if (t == "-") { printf "| %-28s | %7.1f%% | %6s | for information |\n", n, r, "-"; exit }
    if (r >= t) s = "PASS"
    else s = sprintf("MISS: %.1f points short, %.0f%% of the target", t - r, 100 * r / t)
    printf "| %-28s | %7.1f%% | >= %2d%% | %s |\n", n, r, t, s
  }'
}

cat <<EOF

### rest_bench.sh run of $(date -u '+%Y-%m-%d %H:%M UTC')

Machine: $(nproc) CPUs ($cpu_model), $mem_total RAM; $(uname -sr). Hestia $revision.
Load: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency on loopback;
pgbench -c $CONNECTIONS -j $THREADS -T $DURATION -M prepared, synchronous_commit=on.
Patient: $PATIENT_BYTES bytes as served (GET) and $(wc -c <"$WORK/body/create.json") bytes posted.

EOF
row "scenario" "req/s, tps" "p50 ms" "p99 ms" "errors"
row "----------------------------------------" "---------:" "-------:" "-------:" "-----:"
row "Hestia GET /Patient/bench-1" "$(fmt "$READ_RPS")" "$(fmt2 "$READ_P50")" "$(fmt2 "$READ_P99")" "$READ_ERR"
row "nginx static file, same bytes" "$(fmt "$NGINX_RPS")" "$(fmt2 "$NGINX_P50")" "$(fmt2 "$NGINX_P99")" "$NGINX_ERR"
row "Hestia POST /Patient (create)" "$(fmt "$CREATE_RPS")" "$(fmt2 "$CREATE_P50")" "$(fmt2 "$CREATE_P99")" "$CREATE_ERR"
row "pgbench primary-key SELECT (~2 KB text)" "$(fmt "$PGSEL_TPS")" "$(fmt2 "$PGSEL_P50")" "$(fmt2 "$PGSEL_P99")" "$PGSEL_ERR"
row "pgbench single-row INSERT transaction" "$(fmt "$PGINS_TPS")" "$(fmt2 "$PGINS_P50")" "$(fmt2 "$PGINS_P99")" "$PGINS_ERR"
echo
printf '| %-28s | %8s | %6s | %s |\n' "ratio" "measured" "target" "result"
printf '| %-28s | %8s | %6s | %s |\n' "----------------------------" "-------:" "-----:" "------"
verdict "read / nginx" "$READ_RPS" "$NGINX_RPS" "$READ_TARGET"
verdict "create / pgbench insert" "$CREATE_RPS" "$PGINS_TPS" "$CREATE_TARGET"
verdict "read / pgbench PK select" "$READ_RPS" "$PGSEL_TPS" -
if ((READ_ERR + CREATE_ERR + NGINX_ERR + PGSEL_ERR + PGINS_ERR > 0)); then
  echo
  echo "Errors were counted; the figures above are not valid. Raw outputs: rerun with --keep."
fi
