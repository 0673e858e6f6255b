# What bench/run.sh, bench/sqlite.sh and bench/scale.sh share, sourced by each: the common
# settings, logging, installing missing tools, the throwaway PostgreSQL cluster, the release
# build, the dataset, starting Continuum and signing in. Each function says what it sets.

# Settings every benchmark reads (override with BENCH_*), a work directory named after the
# script, and `log`. Sets ROOT SECS CONNS THREADS COUNSELORS CLIENTS SEED PASSWORD DOMAIN
# TARGET DIR OUT T_START.
bench_init() { # name
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  ROOT=$PWD
  SECS=${BENCH_SECONDS:-10}
  CONNS=${BENCH_CONNS:-32}
  THREADS=2
  COUNSELORS=${BENCH_COUNSELORS:-50}
  CLIENTS=${BENCH_CLIENTS:-40}
  SEED=${BENCH_SEED:-42}
  PASSWORD=bench-cedar-plume-harbor-42
  DOMAIN=bench.continuum
  TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
  DIR=$(mktemp -d "/tmp/continuum-$1-XXXXXX")
  OUT=$DIR/out
  mkdir -p "$OUT"
  T_START=$(date +%s)
}

log() { printf '\n== %s\n' "$*" >&2; }

# Installs, with apt-get, each package whose command is missing: `bench_tools wrk:wrk
# jq:jq sqlite3:sqlite3`. A package named after a path glob (`/usr/lib/postgresql/*/bin/initdb`)
# is installed when nothing matches it.
bench_tools() { # command-or-glob:package ...
  local need=() pair cmd pkg
  for pair in "$@"; do
    cmd=${pair%%:*}; pkg=${pair#*:}
    if [[ $cmd == /* ]]; then
      # shellcheck disable=SC2086
      ls $cmd >/dev/null 2>&1 || need+=("$pkg")
    else
      command -v "$cmd" >/dev/null || need+=("$pkg")
    fi
  done
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# A throwaway PostgreSQL cluster in $DIR/data on port $1, with pg_stat_statements. Sets
# PG_BIN URL; defines psqlq. Stop it with bench_pg_stop.
bench_pg_start() { # port
  PG_PORT=$1
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  [ "$(id -u)" = 0 ] && chown postgres "$DIR"
  log "PostgreSQL: throwaway cluster on port $PG_PORT ($DIR)"
  as_pg "$PG_BIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
    -o "-p $PG_PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=256MB -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_utility=on" \
    start >/dev/null
  URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
  psqlq -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
}

psqlq() { psql -X -q -At -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }

bench_pg_stop() {
  [ -n "${PG_BIN:-}" ] && as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true
}

# The release build, and copies of its binaries in $DIR/bin (other work may rebuild target/
# while a benchmark runs). Sets BUILD (the commit, and whether the tree had changes).
bench_build() {
  log "build (release)"
  cargo build --release --bins >&2
  BUILD="$(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src crates migration Cargo.toml 2>/dev/null || echo ' + uncommitted changes')"
  mkdir -p "$DIR/bin" && cp "$TARGET/release/continuum" "$TARGET/release/continuum-dataset" "$DIR/bin/"
}

# The seeded dataset into the database at $1; its summary in $OUT/dataset.txt.
bench_dataset() { # database url
  "$DIR/bin/continuum-dataset" --database-url "$1" --counselors "$COUNSELORS" \
    --clients-per-counselor "$CLIENTS" --seed "$SEED" --password "$PASSWORD" --domain "$DOMAIN" | tee "$OUT/dataset.txt" >&2
}

# Continuum (release) on the database at $1, port $2, logging to $DIR/continuum.log, with
# the settings every benchmark uses (long sessions, no sign-in throttle in the way). Waits
# until it is ready. Sets APP_PID APP.
bench_start_app() { # database url, port
  ! curl -s -o /dev/null "http://127.0.0.1:$2/" || { echo "port $2 is taken (BENCH_APP_PORT)" >&2; exit 1; }
  DATABASE_URL=$1 CONTINUUM_BIND=127.0.0.1:$2 RUST_LOG=warn \
    CONTINUUM_JWT_SECRET=bench-secret-bench-secret-bench-secret-0123 \
    CONTINUUM_ACCESS_TOKEN_MINUTES=60 CONTINUUM_SESSION_IDLE_MINUTES=240 \
    CONTINUUM_LOGIN_FAILURES_PER_MINUTE=1000 \
    "$DIR/bin/continuum" serve >>"$DIR/continuum.log" 2>&1 &
  APP_PID=$!
  APP=http://127.0.0.1:$2/graphql
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$2/readyz" >/dev/null && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$2/readyz" >/dev/null || { echo "Continuum did not start:" >&2; tail -20 "$DIR/continuum.log" >&2; exit 1; }
  sleep 1
  kill -0 "$APP_PID" 2>/dev/null || { echo "Continuum exited:" >&2; tail -20 "$DIR/continuum.log" >&2; exit 1; }
}

bench_stop_app() {
  if [ -n "${APP_PID:-}" ]; then kill "$APP_PID" 2>/dev/null || true; wait "$APP_PID" 2>/dev/null || true; APP_PID=; fi
}

# An access token for the dataset's staff member $1.
login() { # email
  curl -sf "$APP" -H 'content-type: application/json' \
    -d "$(jq -nc --arg e "$1" --arg p "$PASSWORD" '{query:"mutation($e:String!,$p:String!){login(email:$e,password:$p){accessToken}}",variables:{e:$e,p:$p}}')" |
    jq -er .data.login.accessToken
}
