# shellcheck shell=bash
# A throwaway PostgreSQL for tests and `scripts/dev.sh --postgres`. Source it (after lib.sh):
#   pg_start [DIR] initdb in DIR (default: a new temporary folder, which the postgres user can
#                  reach when we are root), start on a free 127.0.0.1 port, create database
#                  `mcp_auth`; sets PG_URL (postgres://postgres@127.0.0.1:PORT/mcp_auth) and
#                  PG_ADMIN_URL (…/postgres). The data lives and dies with DIR. TLS is on, with a
#                  throwaway CA whose certificate is PG_CA_FILE.
#   pg_stop [LOGDIR] stop it (fast shutdown), keep its log in LOGDIR, delete a temporary DIR;
#                  safe to call twice.
# Uses Debian's postgresql package (scripts/setup.sh --postgres installs it). As root, the
# server runs as the `postgres` user, which PostgreSQL requires; otherwise as the caller.

PG_BIN=""
PG_DATA=""
PG_TEMP_DIR=""

pg_find_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then PG_BIN="$d"; fi
  done
  if [ -z "$PG_BIN" ] && command -v initdb >/dev/null; then PG_BIN="$(dirname "$(command -v initdb)")"; fi
  [ -n "$PG_BIN" ] || die "PostgreSQL is not installed: run scripts/setup.sh --postgres"
}

# Runs a PostgreSQL tool as the user that owns the data directory.
pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_start() {
  local dir="${1:-}" port tries
  pg_find_bin
  if [ -z "$dir" ]; then PG_TEMP_DIR="$(mktemp -d)"; dir="$PG_TEMP_DIR"; fi
  mkdir -p "$dir"
  PG_DATA="$dir/data"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "no postgres user: run scripts/setup.sh --postgres"
    chown postgres "$dir"
  fi
  pg_as_owner "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  pg_tls_files "$dir/tls"
  for tries in 1 2 3; do
    port="$(pg_free_port)"
    # fsync off: a throwaway cluster; the crash tests kill the server, never this cluster.
    if pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$dir/postgres.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200 \
            -c ssl=on -c ssl_cert_file=$dir/tls/server.pem -c ssl_key_file=$dir/tls/server.key" start >/dev/null; then
      break
    fi
    port=""
  done
  [ -n "$port" ] || { tail -20 "$dir/postgres.log" >&2; die "PostgreSQL did not start"; }
  PG_ADMIN_URL="postgres://postgres@127.0.0.1:$port/postgres"
  PG_URL="postgres://postgres@127.0.0.1:$port/mcp_auth"
  pg_as_owner "$PG_BIN/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c 'CREATE DATABASE mcp_auth' >/dev/null \
    || die "could not create the database"
  PG_CA_FILE="$dir/tls/ca.pem"
  export PG_URL PG_ADMIN_URL PG_CA_FILE
}

# A throwaway CA and a server certificate for 127.0.0.1 and localhost, so that clients can use
# TLS and verify it (sslmode=verify-full&sslrootcert=$PG_CA_FILE); plain connections still work.
pg_tls_files() {
  local tls="$1"
  command -v openssl >/dev/null || die "openssl is not installed (Debian: apt-get install openssl)"
  mkdir -p "$tls"
  {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=mcp-auth test CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
      -keyout "$tls/ca.key" -out "$tls/ca.pem" &&
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$tls/server.key" -out "$tls/server.csr" &&
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$tls/ext" &&
      openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 2 \
        -extfile "$tls/ext" -out "$tls/server.pem"
  } >"$tls/openssl.log" 2>&1 || { cat "$tls/openssl.log" >&2; die "could not make the TLS certificate for PostgreSQL"; }
  rm -f "$tls/ca.key"
  chmod 600 "$tls/server.key"
  if [ "$(id -u)" = 0 ]; then chown -R postgres "$tls"; fi
}

pg_stop() {
  [ -n "$PG_DATA" ] && [ -d "$PG_DATA" ] || return 0
  pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
  if [ -n "${1:-}" ]; then cp "$(dirname "$PG_DATA")/postgres.log" "$1/postgres.log" 2>/dev/null || true; fi
  if [ -n "$PG_TEMP_DIR" ]; then rm -rf "$PG_TEMP_DIR"; PG_TEMP_DIR=""; fi
  PG_DATA=""
}
