#!/usr/bin/env bash
# The soak run of RELIABILITY.md: a throwaway PostgreSQL cluster of its own (so that it can
# be restarted mid-run without touching anything else), a release build, 60 s with 32
# sessions, one database restart and one server restart, then reconciliation.
#   tools/soak.sh [SECONDS] [SESSIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-60}
SESSIONS=${2:-32}
PORT=${SOAK_PG_PORT:-55433}
DIR=$(mktemp -d /tmp/continuum-soak-XXXXXX)
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$DIR"
cleanup() { as_pg "$bin/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT

as_pg "$bin/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
as_pg "$bin/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
  -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
URL="postgres://postgres@127.0.0.1:$PORT/postgres"

cargo build --release --bins
./target/release/continuum-soak \
  --database-url "$URL" \
  --seconds "$SECONDS_TO_RUN" \
  --sessions "$SESSIONS" \
  --restart-db-cmd "$( [ "$(id -u)" = 0 ] && echo 'runuser -u postgres -- ')$bin/pg_ctl -D $DIR/data -m fast -w restart -o '-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=200' >/dev/null" \
  --restart-server
