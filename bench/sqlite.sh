#!/usr/bin/env bash
# The embedded default: the shapes of bench/run.sh against Continuum on a SQLite file.
#   a throwaway directory → the dataset into bench.db (continuum-dataset, one worker on
#   SQLite) → Continuum (release) on it → each shape for BENCH_SECONDS at BENCH_CONNS
#   connections with wrk (one response validated first) → a table.
#
#   bench/sqlite.sh                    # 50 counselors × 40 clients, 10 s a shape, 32 connections
#   BENCH_SECONDS=15 BENCH_CONNS=32 BENCH_COUNSELORS=50 BENCH_CLIENTS=40 BENCH_SEED=42 bench/sqlite.sh
#   BENCH_KEEP=1 bench/sqlite.sh       # keep /tmp/continuum-sqlite-*/ (bench.db, bodies, responses)
#
# Same queries (bench/queries/*.graphql), wrk script (bench/post.lua), server settings and
# request inputs as bench/run.sh; no PostGraphile and no pgbench (they need PostgreSQL).
# Installs what is missing: wrk, jq, curl, sqlite3 (apt-get). Respects CARGO_TARGET_DIR.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_init sqlite
APP_PORT=${BENCH_APP_PORT:-18182}
DB=$DIR/bench.db
URL="sqlite://$DB?mode=rwc"

bench_tools wrk:wrk jq:jq curl:curl sqlite3:sqlite3
cleanup() {
  bench_stop_app
  [ -n "${BENCH_KEEP:-}" ] || rm -rf "$DIR"
}
trap cleanup EXIT

# Ids are stored as 16-byte blobs; the API speaks the hyphenated text form.
uuid_sql() { # column → SQL expression of its text form
  echo "lower(substr(hex($1),1,8)||'-'||substr(hex($1),9,4)||'-'||substr(hex($1),13,4)||'-'||substr(hex($1),17,4)||'-'||substr(hex($1),21,12))"
}
sq() { sqlite3 -batch -noheader -bail -cmd '.timeout 10000' "$DB" "$@"; }

bench_build

log "dataset: $COUNSELORS counselors × $CLIENTS clients, seed $SEED, into $DB"
T0=$(date +%s)
bench_dataset "$URL"
DATASET_SECS=$(($(date +%s) - T0))
[ "$(sq "SELECT typeof(id) FROM staff LIMIT 1")" = blob ] || { echo "ids are not stored as blobs: uuid_sql needs adapting" >&2; exit 1; }
sq "ANALYZE" >/dev/null
DATASET=$(sq -separator ' ' "SELECT (SELECT count(*) FROM staff WHERE role='COUNSELOR'), (SELECT count(*) FROM clients),
  (SELECT count(*) FROM episodes), (SELECT count(*) FROM referrals), (SELECT count(*) FROM attendance),
  (SELECT count(*) FROM follow_ups), (SELECT count(*) FROM follow_ups WHERE status='SCHEDULED' AND due_on < date('now')),
  (SELECT count(*) FROM audit_events)")
read -r N_COUNSELORS N_CLIENTS N_EPISODES N_REFERRALS N_ATTENDANCE N_FOLLOWUPS N_OVERDUE N_AUDIT <<<"$DATASET"

# 40 extra directory groups for enough (client, group) pairs, as bench/run.sh does; inserted
# before the server starts so nothing it caches misses them.
sq "WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < 40)
  INSERT INTO support_groups (id, name, abbreviation, twelve_step, audience, description)
  SELECT randomblob(16), 'Bench group '||n, 'BG'||n, n % 2 = 0, 'anyone', 'made by bench/sqlite.sh' FROM i" >/dev/null
DB_MB=$(du -m "$DB" | cut -f1)

# ---------------------------------------------------------------- server
log "Continuum on 127.0.0.1:$APP_PORT (SQLite $DB)"
bench_start_app "$URL" "$APP_PORT"
sleep 1
APP_IDLE_KB=$(awk '/VmRSS/{print $2}' /proc/$APP_PID/status)

C1=counselor1@$DOMAIN
C1_HEX=$(sq "SELECT hex(id) FROM staff WHERE email_normalized='$C1'")
COUNSELOR_TOKEN=$(login "$C1")
SUPERVISOR_TOKEN=$(login "supervisor1@$DOMAIN")
# The client of bench/run.sh: counselor1's open AFTERCARE client with the most referrals + follow-ups.
CLIENT_ID=$(sq "SELECT $(uuid_sql c.id) FROM clients c JOIN episodes e ON e.client_id=c.id AND e.discharged_at IS NULL
  WHERE c.primary_counselor_id=X'$C1_HEX' AND e.stage='AFTERCARE'
  ORDER BY (SELECT count(*) FROM referrals r WHERE r.client_id=c.id) + (SELECT count(*) FROM follow_ups f WHERE f.client_id=c.id) DESC, c.id LIMIT 1")
[ -n "$CLIENT_ID" ] || { echo "counselor1 has no open AFTERCARE client" >&2; exit 1; }
TODAY=$(date -u +%F)
FROM=$(date -u -d '90 days ago' +%F)
body() { # query-file [variables-json]
  jq -nc --rawfile q "$ROOT/bench/queries/$1" --argjson v "${2:-{\}}" '{query:$q, variables:$v}'
}

# Bodies for the mutation: one line per request, "token<TAB>body", pairs (client with an
# open episode, group without an open referral) never reused, each under the token of the
# client's counselor's supervisor (as bench/run.sh). Order: scattered by the random tail of
# the UUIDv7 ids (bench/run.sh uses md5, which SQLite lacks).
declare -A SUP_TOKEN
for s in $(sq "SELECT email_normalized FROM staff WHERE role='SUPERVISOR' ORDER BY email_normalized"); do
  SUP_TOKEN[$s]=$(login "$s")
done
tokens_sql=$(for s in "${!SUP_TOKEN[@]}"; do printf "('%s','%s')," "$s" "${SUP_TOKEN[$s]}"; done)
REFER_Q=$(sed "s/'/''/g" "$ROOT/bench/queries/refer.graphql") # the query as an SQL string literal's content
sq >"$OUT/refer.lines" <<SQL
WITH tok(email, token) AS (VALUES ${tokens_sql%,}),
pairs AS (
  SELECT s.email_normalized AS email, c.id AS client, g.id AS grp
  FROM clients c JOIN episodes e ON e.client_id = c.id AND e.discharged_at IS NULL
  JOIN staff k ON k.id = c.primary_counselor_id JOIN staff s ON s.id = k.supervisor_id
  CROSS JOIN support_groups g
  WHERE NOT EXISTS (SELECT 1 FROM referrals r WHERE r.client_id = c.id AND r.support_group_id = g.id
                    AND r.status IN ('PLANNED','REFERRED','ENGAGED')))
SELECT tok.token || char(9) || json_object('query', '$REFER_Q', 'variables', json_object('input',
  json_object('clientId', $(uuid_sql client), 'supportGroupId', $(uuid_sql grp))))
FROM pairs JOIN tok USING (email) ORDER BY substr(hex(client), 17) || hex(grp);
SQL

# ---------------------------------------------------------------- measuring
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
ROWS=()
row() { ROWS+=("$(printf '%s|' "$@")"); }

# run_wrk NAME TOKEN BODY_OR_LINES_FILE → "rps p50_us p99_us cpu% hwm_mb errors requests"
run_wrk() {
  local name=$1 token=$2 file=$3
  echo 5 >"/proc/$APP_PID/clear_refs" 2>/dev/null || true # reset VmHWM to the current RSS
  local c0; c0=$(cpu_ticks "$APP_PID")
  local envs=(TOKEN="$token" CONNS="$CONNS" THREADS="$THREADS")
  if [[ $file == *.lines ]]; then envs+=(BODIES_FILE="$file"); else envs+=(BODY_FILE="$file"); fi
  env "${envs[@]}" wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --timeout 10s -s "$ROOT/bench/post.lua" "$APP" >"$OUT/$name.wrk" 2>&1
  local c1; c1=$(cpu_ticks "$APP_PID")
  local hwm; hwm=$(awk '/VmHWM/{print $2}' "/proc/$APP_PID/status")
  local line; line=$(grep '^BENCH' "$OUT/$name.wrk" || echo "BENCH requests=0 errors=0 p50_us=0 p99_us=0 duration_us=1")
  local requests errors p50_us p99_us duration_us
  eval "$(sed 's/^BENCH //; s/ /;/g' <<<"$line")"
  local rps; rps=$(awk -v n="$requests" -v d="$duration_us" 'BEGIN{printf "%.0f", n/(d/1e6)}')
  local cpu; cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" -v d="$duration_us" 'BEGIN{printf "%.0f", 100*(b-a)/hz/(d/1e6)}')
  echo "$rps $p50_us $p99_us $cpu $((hwm / 1024)) $errors $requests"
}

validate() { # name jq-expression response-file
  if jq -e "(.errors | not) and ($2)" "$3" >/dev/null 2>&1; then echo "ok"; else
    echo "INVALID"; echo "response for $1 failed the check $2:" >&2; head -c 600 "$3" >&2; echo >&2; fi
}

# shape NAME QUERY VARS TOKEN CHECK
shape() {
  local name=$1 q=$2 vars=$3 token=$4 check=$5
  log "shape: $name"
  body "$q" "$vars" >"$OUT/$name.json"
  curl -s "$APP" -H 'content-type: application/json' -H "Authorization: Bearer $token" -d @"$OUT/$name.json" >"$OUT/$name.response.json"
  local v; v=$(validate "$name" "$check" "$OUT/$name.response.json")
  local r; r=$(run_wrk "$name" "$token" "$OUT/$name.json")
  row "$name" $r "$v" "$(wc -c <"$OUT/$name.response.json")"
}

PAGE=$((CLIENTS < 40 ? CLIENTS : 40))
shape caseload caseload.graphql '{}' "$COUNSELOR_TOKEN" ".data.clients.edges | length == $PAGE"
shape client client.graphql "$(jq -nc --arg id "$CLIENT_ID" '{id:$id}')" "$COUNSELOR_TOKEN" \
  '.data.client.id != null and (.data.client.referrals | length) > 0 and (.data.client.followUps | length) > 0'
shape worklist worklist.graphql '{}' "$COUNSELOR_TOKEN" '(.data.worklist.edges | length) > 0'
shape overdue overdue.graphql '{}' "$SUPERVISOR_TOKEN" \
  '(.data.followUps.edges | length) == ([50, .data.followUps.totalCount] | min) and (.data.followUps.edges | length) > 0 and ([.data.followUps.edges[].node.overdue] | all)'
shape report report.graphql "$(jq -nc --arg f "$FROM" --arg t "$TODAY" '{from:$f,to:$t}')" "$SUPERVISOR_TOKEN" \
  '.data.followUpReport.total.due > 0 and (.data.followUpReport.byCounselor | length) > 0'
shape me me.graphql '{}' "$COUNSELOR_TOKEN" '.data.me.email == "'"$C1"'"'

# The mutation: every request a new referral (bodies from refer.lines, the first validated).
log "shape: referToSupportGroup ($(wc -l <"$OUT/refer.lines") unique pairs)"
first=$(head -n 1 "$OUT/refer.lines"); tail -n +2 "$OUT/refer.lines" >"$OUT/refer.run.lines"
curl -s "$APP" -H 'content-type: application/json' -H "Authorization: Bearer ${first%%$'\t'*}" -d "${first#*$'\t'}" >"$OUT/refer.response.json"
v=$(validate refer '.data.referToSupportGroup.status == "REFERRED"' "$OUT/refer.response.json")
r=$(run_wrk refer "" "$OUT/refer.run.lines")
row referToSupportGroup $r "$v" "$(wc -c <"$OUT/refer.response.json")"
APP_AFTER_KB=$(awk '/VmRSS/{print $2}' /proc/$APP_PID/status)

# ---------------------------------------------------------------- table
fmt_ms() { awk -v u="$1" 'BEGIN{ if (u=="-"||u=="") print "-"; else printf "%.1f", u/1000 }'; }
{
  echo
  echo "SQLite (embedded, WAL, one file of ${DB_MB} MB). Dataset: $N_COUNSELORS counselors, $N_CLIENTS clients, $N_EPISODES episodes, $N_REFERRALS referrals, $N_ATTENDANCE attendance, $N_FOLLOWUPS follow-ups ($N_OVERDUE overdue), $N_AUDIT audit events; built in $DATASET_SECS s (continuum-dataset, 1 worker)"
  echo "Build: $BUILD, release. Machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); SQLite $(sqlite3 --version | awk '{print $1}') (CLI; the server links its own); $SECS s per shape, $CONNS connections (wrk -t$THREADS)"
  echo "Idle RSS: Continuum $((APP_IDLE_KB / 1024)) MB (after the run $((APP_AFTER_KB / 1024)) MB)"
  echo
  echo "| shape | req/s | p50 ms | p99 ms | errors/requests | server CPU % | peak RSS MB | checked | body bytes |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|---:|"
  for r in "${ROWS[@]}"; do
    IFS='|' read -ra f <<<"$r"
    echo "| ${f[0]} | ${f[1]} | $(fmt_ms "${f[2]}") | $(fmt_ms "${f[3]}") | ${f[6]}/${f[7]} | ${f[4]} | ${f[5]} | ${f[8]} | ${f[9]} |"
  done
  echo
  echo "server CPU %: the server process's user+system time ÷ wall time (200 % = both cores; on SQLite the database work is inside it). peak RSS: VmHWM during the shape (reset before each). Total time: $(($(date +%s) - T_START)) s."
} | tee "$OUT/table.md"
[ -n "${BENCH_KEEP:-}" ] && echo "kept: $DIR" >&2
true
