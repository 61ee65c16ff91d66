#!/usr/bin/env bash
# Runs everything for development: the authorization server (http://127.0.0.1:9000), the MCP
# resource server (http://127.0.0.1:8000) and the SPA (http://127.0.0.1:8080), rebuilt on every
# change (reload the page by hand: the SPA's CSP blocks Trunk's inline autoreload script), with a
# development user `dev` whose password is new at every start (printed below).
# Ctrl-C stops all of it. Data lives in ./data/ (SQLite); server log in data/server.log.
# With --postgres the server runs on a throwaway PostgreSQL instead (installed if missing, started
# in a temporary folder on a free port, deleted at exit), as replicas would in production.
#
# usage: scripts/dev.sh [--postgres]
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
LOG_TAG="dev"
cd "$ROOT"
use_postgres=0
for arg in "$@"; do
  case "$arg" in
    --postgres) use_postgres=1 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) die "unknown argument: $arg (usage: scripts/dev.sh [--postgres])" ;;
  esac
done

AS_URL=http://127.0.0.1:9000
RS_URL=http://127.0.0.1:8000
SPA_URL=http://127.0.0.1:8080
DB=data/mcp-auth.db
SERVER_LOG=data/server.log

# Fail fast, before minutes of building, when something already listens on our ports.
require_free_ports 9000 8000 8080

if [ $use_postgres = 1 ]; then bash "$ROOT/scripts/setup.sh" --postgres; else bash "$ROOT/scripts/setup.sh"; fi

log "building the server (cargo build -p server: the same build the tests use)"
cargo build -p server
mkdir -p data
if [ $use_postgres = 1 ]; then
  # shellcheck source=scripts/postgres.sh
  . "$ROOT/scripts/postgres.sh"
  pg_start
  DB="$PG_URL"
  ok "PostgreSQL for this session: $PG_URL (deleted at exit)"
fi

password="$(random_password)"
log "creating/resetting the development user 'dev'"
printf '%s' "$password" | "$SERVER_BIN" --db "$DB" user add dev --password-stdin --replace \
  --name "Development User" --email dev@example.test >/dev/null

require_free_ports 9000 8000 8080
server_pid=""
banner_pid=""
cleanup() {
  if [ -n "$banner_pid" ]; then kill "$banner_pid" 2>/dev/null || true; fi
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    log "stopping the server (pid $server_pid)"
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap 'cleanup; if [ $use_postgres = 1 ]; then pg_stop; fi' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "starting the server (log: $SERVER_LOG)"
NO_COLOR=1 "$SERVER_BIN" --db "$DB" serve >>"$SERVER_LOG" 2>&1 &
server_pid=$!
if ! wait_for_http "$AS_URL/.well-known/oauth-authorization-server" 60 "$server_pid"; then
  warn "the server did not come up; last lines of $SERVER_LOG:"
  tail -n 30 "$SERVER_LOG" >&2 || true
  exit 1
fi
ok "authorization server $AS_URL and MCP server $RS_URL/mcp are up"

banner() {
  printf '\n%s==============================================================%s\n' "$_c_ok" "$_c_off"
  printf '  Open      %s/\n' "$SPA_URL"
  printf '  MCP URL   %s/mcp\n' "$RS_URL"
  printf '  User      dev\n'
  printf '  Password  %s\n' "$password"
  printf '  Stop      Ctrl-C      (server log: %s)\n' "$SERVER_LOG"
  printf '%s==============================================================%s\n\n' "$_c_ok" "$_c_off"
}
banner
# Trunk's first build prints a lot; show the banner again once the SPA answers.
( if wait_for_http "$SPA_URL/" 900; then banner; fi ) &
banner_pid=$!

log "starting trunk serve on $SPA_URL (first build takes a few minutes)"
(cd "$ROOT" && cargo fetch --quiet)
trunk_cmd serve --dist target/serve-dist
