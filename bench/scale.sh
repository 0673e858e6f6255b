#!/usr/bin/env bash
# How latency moves with the size of the data, on PostgreSQL.
#   a throwaway PostgreSQL cluster → the 1× dataset (continuum-dataset, 50 × 40) → for each
#   factor of BENCH_SCALES: grow the data in SQL to that many times the rows, VACUUM ANALYZE,
#   (re)start Continuum (release), and measure four shapes one request at a time
#   (wrk -t1 -c1, BENCH_SECONDS each: latency, not throughput) → a table.
#
#   bench/scale.sh                          # factors 1 10 100, 10 s a shape
#   BENCH_SCALES="1 10" BENCH_SECONDS=5 bench/scale.sh
#   BENCH_COUNSELORS=5 BENCH_SCALES="1 3" bench/scale.sh   # a quick try
#   BENCH_KEEP=1 bench/scale.sh             # keep /tmp/continuum-scale-*/out
#
# Growing does not run the (slow) generator: the clinical rows of the original counselors are
# copied in SQL. Copy k (k = 1 … factor-1) gets new supervisors and counselors
# (copyK-supervisorN@…, copyK-counselorN@…, same password hash, copy k's counselors under copy
# k's supervisors) and fresh ids (gen_random_uuid()) for every clients, episodes,
# stage_changes, referrals, attendance, follow_ups, aftercare_plans, consents, disclosures
# and emergency_grants row, through id-mapping tables; every single-column foreign key to a
# copied table is remapped to the copy (found in pg_constraint, so new columns are copied
# too). The directory (support groups, meetings) is shared; audit_events are not copied.
# So counselor1, supervisor1 and the measured client see exactly the same data at every
# factor: only the tables around them grow (checked: the response bytes must not change).
#
# Measured: one client in detail (counselor1), the caseload tree (counselor1), the 90-day
# follow-up report (supervisor1), the worklist (counselor1): the bench/queries/*.graphql of
# bench/run.sh, with the same inputs. Installs what is missing: wrk, jq, curl (apt-get),
# postgresql. Respects CARGO_TARGET_DIR.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_init scale
SCALES=${BENCH_SCALES:-1 10 100}
PG_PORT=${BENCH_PG_PORT:-55436}
APP_PORT=${BENCH_APP_PORT:-18183}

read -ra SCALE_LIST <<<"$SCALES"
prev=0
for s in "${SCALE_LIST[@]}"; do
  [[ $s =~ ^[0-9]+$ ]] && [ "$s" -gt "$prev" ] || { echo "BENCH_SCALES must be increasing whole numbers: '$SCALES'" >&2; exit 2; }
  prev=$s
done
[ "${SCALE_LIST[0]}" = 1 ] || { echo "BENCH_SCALES must start with 1 (the generated dataset)" >&2; exit 2; }

# ---------------------------------------------------------------- tools and processes
bench_tools wrk:wrk jq:jq curl:curl "/usr/lib/postgresql/*/bin/initdb:postgresql"
cleanup() {
  bench_stop_app
  bench_pg_stop
  [ -n "${BENCH_KEEP:-}" ] || rm -rf "$DIR"
}
trap cleanup EXIT
bench_pg_start "$PG_PORT"
bench_build

log "dataset (1×): $COUNSELORS counselors × $CLIENTS clients, seed $SEED"
T0=$(date +%s)
bench_dataset "$URL"
psqlq -c "VACUUM ANALYZE" >/dev/null
BUILD_SECS=$(($(date +%s) - T0))

# ---------------------------------------------------------------- growing
# The tables copied, parents before children; staff only for the supervisors and counselors
# the generator made (not the administrator).
COPIED="staff clients episodes stage_changes referrals attendance follow_ups aftercare_plans consents disclosures emergency_grants"
missing=$(psqlq -c "SELECT string_agg(DISTINCT c.conrelid::regclass::text, ' ') FROM pg_constraint c
  WHERE c.contype = 'f' AND c.confrelid IN ('clients'::regclass, 'episodes'::regclass, 'referrals'::regclass)
  AND c.conrelid::regclass::text <> ALL (string_to_array('$COPIED audit_events', ' '))")
[ -z "$missing" ] || echo "warning: tables hanging off clients that bench/scale.sh does not copy: $missing" >&2

psqlq <<SQL >/dev/null
CREATE SCHEMA bench_scale;
CREATE TABLE bench_scale.orig_staff AS
  SELECT id FROM staff WHERE role IN ('SUPERVISOR', 'COUNSELOR') AND email_normalized LIKE '%@$DOMAIN';
$(for t in $COPIED; do [ "$t" = staff ] || echo "CREATE TABLE bench_scale.orig_$t AS SELECT id FROM $t;"; done)

-- Copies k_from … k_to of the original rows of every copied table.
CREATE FUNCTION bench_scale.grow(k_from int, k_to int) RETURNS void LANGUAGE plpgsql AS \$fn\$
DECLARE
  tables text[] := string_to_array('$COPIED', ' ');
  t text; c record; target text; expr text; cols text; sel text; joins text; n int;
BEGIN
  FOREACH t IN ARRAY tables LOOP
    EXECUTE format('DROP TABLE IF EXISTS bench_scale.%I', 'map_' || t);
    EXECUTE format('CREATE UNLOGGED TABLE bench_scale.%I AS SELECT k, o.id AS old, gen_random_uuid() AS new
                    FROM bench_scale.%I o CROSS JOIN generate_series(%s, %s) k', 'map_' || t, 'orig_' || t, k_from, k_to);
    EXECUTE format('ANALYZE bench_scale.%I', 'map_' || t);
    cols := ''; sel := ''; joins := ''; n := 0;
    FOR c IN SELECT a.attname, a.attnum FROM pg_attribute a
             WHERE a.attrelid = ('public.' || t)::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum LOOP
      target := NULL;
      SELECT cf.relname INTO target FROM pg_constraint k JOIN pg_class cf ON cf.oid = k.confrelid
        WHERE k.contype = 'f' AND k.conrelid = ('public.' || t)::regclass AND k.conkey = ARRAY[c.attnum]::smallint[]
        LIMIT 1;
      IF c.attname = 'id' THEN
        expr := 'm.new';
      ELSIF t = 'staff' AND c.attname IN ('email', 'email_normalized') THEN
        expr := format('''copy'' || m.k || ''-'' || s.%I', c.attname);
      ELSIF t = 'staff' AND c.attname = 'name' THEN
        expr := 's.name || '' (copy '' || m.k || '')''';
      ELSIF target = ANY (tables) THEN
        n := n + 1;
        joins := joins || format(' LEFT JOIN bench_scale.%I j%s ON j%s.old = s.%I AND j%s.k = m.k',
                                 'map_' || target, n, n, c.attname, n);
        expr := format('coalesce(j%s.new, s.%I)', n, c.attname);
      ELSE
        expr := format('s.%I', c.attname);
      END IF;
      cols := cols || CASE WHEN cols = '' THEN '' ELSE ', ' END || quote_ident(c.attname);
      sel := sel || CASE WHEN sel = '' THEN '' ELSE ', ' END || expr;
    END LOOP;
    EXECUTE format('INSERT INTO public.%I (%s) SELECT %s FROM public.%I s JOIN bench_scale.%I m ON m.old = s.id%s',
                   t, cols, sel, t, 'map_' || t, joins);
  END LOOP;
  FOREACH t IN ARRAY tables LOOP
    EXECUTE format('DROP TABLE bench_scale.%I', 'map_' || t);
  END LOOP;
END
\$fn\$;
SQL

CHUNK=${BENCH_SCALE_CHUNK:-10} # copies per transaction
grow() { # from-factor to-factor: makes copies from … to-1
  local k=$1 to=$2 hi
  while [ "$k" -lt "$to" ]; do
    hi=$((k + CHUNK - 1)); [ "$hi" -lt "$to" ] || hi=$((to - 1))
    printf '   copies %d…%d\n' "$k" "$hi" >&2
    psqlq -c "SET client_min_messages = warning" -c "SET work_mem = '256MB'" -c "SET maintenance_work_mem = '512MB'" -c "SELECT bench_scale.grow($k, $hi)" >/dev/null
    k=$((hi + 1))
  done
}

# ---------------------------------------------------------------- the fixed inputs
C1=counselor1@$DOMAIN
C1_ID=$(psqlq -c "SELECT id FROM staff WHERE email_normalized='$C1'")
CLIENT_ID=$(psqlq -c "SELECT c.id FROM clients c JOIN episodes e ON e.client_id=c.id AND e.discharged_at IS NULL
  WHERE c.primary_counselor_id='$C1_ID' AND e.stage='AFTERCARE'
  ORDER BY (SELECT count(*) FROM referrals r WHERE r.client_id=c.id) + (SELECT count(*) FROM follow_ups f WHERE f.client_id=c.id) DESC, c.id LIMIT 1")
TODAY=$(date -u +%F)
FROM=$(date -u -d '90 days ago' +%F)
APP=http://127.0.0.1:$APP_PORT/graphql
body() { # query-file [variables-json]
  jq -nc --rawfile q "$ROOT/bench/queries/$1" --argjson v "${2:-{\}}" '{query:$q, variables:$v}'
}
body client.graphql "$(jq -nc --arg id "$CLIENT_ID" '{id:$id}')" >"$OUT/client.json"
body caseload.graphql >"$OUT/caseload.json"
body report.graphql "$(jq -nc --arg f "$FROM" --arg t "$TODAY" '{from:$f,to:$t}')" >"$OUT/report.json"
body worklist.graphql >"$OUT/worklist.json"
PAGE=$((CLIENTS < 40 ? CLIENTS : 40))
declare -A CHECK=(
  [client]='.data.client.id != null and (.data.client.referrals | length) > 0 and (.data.client.followUps | length) > 0'
  [caseload]=".data.clients.edges | length == $PAGE"
  [report]='.data.followUpReport.total.due > 0 and (.data.followUpReport.byCounselor | length) > 0'
  [worklist]='(.data.worklist.edges | length) > 0'
)
SHAPES="client caseload report worklist"

# ---------------------------------------------------------------- measuring
start_app() { bench_start_app "$URL" "$APP_PORT"; }
stop_app() { bench_stop_app; }
declare -A RES # "shape/scale/field" → value
machine_busy() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
measure() { # scale
  local scale=$1 shape token v line requests errors p50_us p99_us duration_us
  start_app
  local ctok stok
  ctok=$(login "$C1"); stok=$(login "supervisor1@$DOMAIN")
  for shape in $SHAPES; do
    token=$ctok; [ "$shape" = report ] && token=$stok
    log "${scale}×: $shape"
    curl -s "$APP" -H 'content-type: application/json' -H "Authorization: Bearer $token" -d @"$OUT/$shape.json" >"$OUT/$shape.$scale.response.json"
    if jq -e "(.errors | not) and (${CHECK[$shape]})" "$OUT/$shape.$scale.response.json" >/dev/null 2>&1; then v=ok; else
      v=INVALID; echo "response for $shape at ${scale}× failed the check ${CHECK[$shape]}:" >&2; head -c 600 "$OUT/$shape.$scale.response.json" >&2; echo >&2; fi
    # The same data at every factor: the response must not change (ids, counts, dates; the
    # order of the keys is not compared).
    if [ "$scale" != 1 ] && ! cmp -s <(jq -S . "$OUT/$shape.1.response.json") <(jq -S . "$OUT/$shape.$scale.response.json"); then
      v="$v, differs from 1×"; echo "$shape at ${scale}×: the response differs from 1×" >&2
    fi
    # warm-up (plans, caches), then the measured run
    TOKEN="$token" BODY_FILE="$OUT/$shape.json" THREADS=1 CONNS=1 \
      wrk -t1 -c1 -d2s --timeout 60s -s "$ROOT/bench/post.lua" "$APP" >/dev/null 2>&1 || true
    psqlq -c "SELECT pg_stat_statements_reset()" >/dev/null
    local m0; m0=$(machine_busy)
    TOKEN="$token" BODY_FILE="$OUT/$shape.json" THREADS=1 CONNS=1 \
      wrk -t1 -c1 -d"${SECS}s" --timeout 60s -s "$ROOT/bench/post.lua" "$APP" >"$OUT/$shape.$scale.wrk" 2>&1
    line=$(grep '^BENCH' "$OUT/$shape.$scale.wrk" || echo "BENCH requests=0 errors=0 p50_us=0 p99_us=0 duration_us=1")
    eval "$(sed 's/^BENCH //; s/ /;/g' <<<"$line")"
    RES[$shape/$scale/busy]=$(awk -v a="$m0" -v b="$(machine_busy)" 'BEGIN{split(a,x," ");split(b,y," "); d=y[2]-x[2]; if (d<=0) d=1; printf "%.0f", 100*(y[1]-x[1])/d}')
    # what PostgreSQL spent per request (a figure the load of other processes disturbs less)
    read -r RES[$shape/$scale/sqlms] RES[$shape/$scale/stmts] < <(psqlq -F' ' -c "SELECT
      round((sum(total_exec_time) / greatest($requests, 1))::numeric, 2), round(sum(calls)::numeric / greatest($requests, 1), 1)
      FROM pg_stat_statements WHERE query !~* 'pg_stat_statements'")
    RES[$shape/$scale/p50]=$p50_us; RES[$shape/$scale/p99]=$p99_us
    RES[$shape/$scale/n]=$requests; RES[$shape/$scale/err]=$errors; RES[$shape/$scale/ok]=$v
    # the slowest statement of the shape (mean time), for where a growth comes from
    psqlq -F $'\t' -c "SELECT round(mean_exec_time::numeric, 2), calls, regexp_replace(left(query, 160), '\s+', ' ', 'g')
      FROM pg_stat_statements WHERE query !~* 'pg_stat_statements|^(BEGIN|COMMIT|ROLLBACK|SET )'
      ORDER BY mean_exec_time DESC LIMIT 3" >"$OUT/$shape.$scale.top"
    RES[$shape/$scale/top]=$(head -n 1 "$OUT/$shape.$scale.top")
  done
  stop_app
}

declare -A SIZE
sizes() { # scale
  local r
  r=$(psqlq -F' ' -c "SELECT (SELECT count(*) FROM staff), (SELECT count(*) FROM clients), (SELECT count(*) FROM episodes),
    (SELECT count(*) FROM referrals), (SELECT count(*) FROM attendance), (SELECT count(*) FROM follow_ups),
    (SELECT count(*) FROM stage_changes), pg_database_size(current_database()) / 1048576")
  SIZE[$1]=$r
}

cur=1
GROW_SECS=()
for scale in "${SCALE_LIST[@]}"; do
  T0=$(date +%s)
  if [ "$scale" -gt "$cur" ]; then
    log "growing ${cur}× → ${scale}× (copies $cur…$((scale - 1)))"
    grow "$cur" "$scale"
    psqlq -c "VACUUM ANALYZE" >/dev/null
    cur=$scale
    GROW_SECS[$scale]=$(($(date +%s) - T0))
  else
    GROW_SECS[$scale]=$BUILD_SECS
  fi
  sizes "$scale"
  read -r _ nc _ _ _ nf _ mb <<<"${SIZE[$scale]}"
  log "${scale}×: $nc clients, $nf follow-ups, ${mb} MB, built in ${GROW_SECS[$scale]} s"
  measure "$scale"
done

# Foreign keys of the copies were checked row by row on insert; this recounts the shape:
# every counselor (original or copy) has CLIENTS clients and a supervisor of the same copy.
CHECKS=$(psqlq -F' ' -c "SELECT
  (SELECT count(*) FROM staff k WHERE k.role = 'COUNSELOR' AND k.email_normalized LIKE '%@$DOMAIN'
     AND (SELECT count(*) FROM clients c WHERE c.primary_counselor_id = k.id) <> $CLIENTS),
  (SELECT count(*) FROM staff k JOIN staff s ON s.id = k.supervisor_id
     WHERE k.role = 'COUNSELOR' AND coalesce(substring(k.email from '^copy[0-9]+-'), '') <> coalesce(substring(s.email from '^copy[0-9]+-'), ''))")
read -r BAD_CASELOADS BAD_TEAMS <<<"$CHECKS"

# ---------------------------------------------------------------- table
fmt_ms() { awk -v u="$1" 'BEGIN{ if (u=="-"||u=="") print "-"; else printf "%.1f", u/1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "-" }'; }
num() { printf "%'d" "$1"; }
LAST=${SCALE_LIST[-1]}
{
  echo
  echo "Build: $BUILD, release. Machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') (shared_buffers 256MB); one request at a time (wrk -t1 -c1), $SECS s per shape after a 2 s warm-up; Continuum restarted at each factor"
  echo "Fixed inputs: counselor1 (caseload, worklist, client $CLIENT_ID), supervisor1 (report $FROM … $TODAY)."
  echo
  echo "| factor | staff | clients | episodes | referrals | attendance | follow-ups | stage changes | database MB | built in s |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for scale in "${SCALE_LIST[@]}"; do
    read -r ns nc ne nr na nf nsc mb <<<"${SIZE[$scale]}"
    echo "| ${scale}× | $(num "$ns") | $(num "$nc") | $(num "$ne") | $(num "$nr") | $(num "$na") | $(num "$nf") | $(num "$nsc") | $mb | ${GROW_SECS[$scale]} |"
  done
  echo
  echo "| shape | factor | rows (clients / follow-ups) | p50 ms | p99 ms | p50 ÷ 1× | p99 ÷ 1× | SQL ms/req | stmts/req | machine CPU % | requests | errors | checked |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  for shape in $SHAPES; do
    for scale in "${SCALE_LIST[@]}"; do
      read -r _ nc _ _ _ nf _ _ <<<"${SIZE[$scale]}"
      echo "| $shape | ${scale}× | $(num "$nc") / $(num "$nf") | $(fmt_ms "${RES[$shape/$scale/p50]}") | $(fmt_ms "${RES[$shape/$scale/p99]}") | $(ratio "${RES[$shape/$scale/p50]}" "${RES[$shape/1/p50]}") | $(ratio "${RES[$shape/$scale/p99]}" "${RES[$shape/1/p99]}") | ${RES[$shape/$scale/sqlms]} | ${RES[$shape/$scale/stmts]} | ${RES[$shape/$scale/busy]} | ${RES[$shape/$scale/n]} | ${RES[$shape/$scale/err]} | ${RES[$shape/$scale/ok]} |"
    done
  done
  echo
  echo "Summary, ${LAST}× ÷ 1×:"
  echo
  echo "| shape | p50 ms 1× | p50 ms ${LAST}× | p50 ×  | p99 ms 1× | p99 ms ${LAST}× | p99 × |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for shape in $SHAPES; do
    echo "| $shape | $(fmt_ms "${RES[$shape/1/p50]}") | $(fmt_ms "${RES[$shape/$LAST/p50]}") | $(ratio "${RES[$shape/$LAST/p50]}" "${RES[$shape/1/p50]}") | $(fmt_ms "${RES[$shape/1/p99]}") | $(fmt_ms "${RES[$shape/$LAST/p99]}") | $(ratio "${RES[$shape/$LAST/p99]}" "${RES[$shape/1/p99]}") |"
  done
  echo
  echo "Slowest statement per shape (pg_stat_statements, mean ms, calls, text) at each factor:"
  for shape in $SHAPES; do
    for scale in "${SCALE_LIST[@]}"; do
      printf '  %-8s %4s×  %s\n' "$shape" "$scale" "$(tr '\t' ' ' <<<"${RES[$shape/$scale/top]}")"
    done
  done
  echo
  echo "SQL ms/req: pg_stat_statements total execution time ÷ requests (BEGIN/COMMIT and the read-audit INSERT included); stmts/req: calls ÷ requests; machine CPU %: busy share of both cores during the run, every process (one request at a time should need well under 100: more means other load on the host)."
  echo "Copies checked: counselors without exactly $CLIENTS clients: $BAD_CASELOADS; counselors under a supervisor of another copy: $BAD_TEAMS. Total time: $(($(date +%s) - T_START)) s."
} | tee "$OUT/table.md"
[ -n "${BENCH_KEEP:-}" ] && echo "kept: $DIR" >&2
true
