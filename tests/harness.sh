# shellcheck shell=bash
# Shared by the runners that start the release server for browser and client tests
# (tests/e2e/run.sh, tests/interop/run.sh, tests/conformance/run.sh). Source it; each function
# reports through the caller's `fail`. Builds on scripts/lib.sh (random_password, wait_for_http).
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

# Prints N distinct free loopback ports, never the development ports 8000/8080/9000. Only for
# ports that something other than the server must know in advance (the conformance suite's
# callback); the server itself binds port 0 and reports what it got (start_server).
# usage: read -r a b < <(free_ports 2 [node binary])
free_ports() {
  "${2:-node}" -e '
    const net = require("net");
    const want = Number(process.argv[1]);
    const avoid = new Set([8000, 8080, 9000]);
    const grab = () => new Promise((resolve, reject) => {
      const s = net.createServer();
      s.on("error", reject);
      s.listen(0, "127.0.0.1", () => resolve(s));
    });
    (async () => {
      const held = [];
      while (held.length < want) {
        const s = await grab();
        if (avoid.has(s.address().port)) { s.close(); continue; }
        held.push(s);
      }
      console.log(held.map((s) => s.address().port).join(" "));
      held.forEach((s) => s.close());
    })();
  ' "$1"
}

# Starts `SERVER_BIN --db DB serve` on 127.0.0.1 port 0 for the AS and RS listeners, in WORK_DIR,
# logging to LOG, and waits (up to 30 s) for the JSON it writes with --ready-file once every
# listener is up. Sets SERVER_PID, AS_URL, RS_URL, MCP_URL and SPA_URL (empty unless the extra
# flags include --spa-addr). Fails, showing the log's end, if the server exits or never gets ready.
# usage: start_server SERVER_BIN WORK_DIR DB LOG [extra serve flags...]
start_server() {
  local bin=$1 work=$2 db=$3 log=$4 ready waited=0
  shift 4
  ready="$work/ready.json"
  rm -f "$ready"
  (cd "$work" && exec env NO_COLOR=1 "$bin" --db "$db" serve --as-addr 127.0.0.1:0 --rs-addr 127.0.0.1:0 \
    --ready-file "$ready" "$@" >>"$log" 2>&1) &
  SERVER_PID=$!
  until [ -f "$ready" ]; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null || [ "$waited" -ge 300 ]; then
      tail -n 20 "$log" >&2
      fail "the server did not start (log: $log)"
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  AS_URL=$(ready_field "$ready" issuer)
  RS_URL=$(ready_field "$ready" rs_url)
  MCP_URL=$(ready_field "$ready" mcp_url)
  SPA_URL=$(ready_field "$ready" spa_url)
  [ -n "$AS_URL" ] && [ -n "$MCP_URL" ] || fail "the ready file $ready lacks the server's URLs"
}

# Stops the server start_server started (SIGTERM, then waits for it).
stop_server() {
  if [ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}

# Prints one string field of the server's ready file (empty when null). The server writes it
# pretty-printed, one `"key": value` per line.
ready_field() {
  sed -n "s/^ *\"$2\": \"\(.*\)\",\{0,1\}\$/\1/p" "$1"
}

# Sets and exports TEST_LOGS_DIR, where this run keeps its logs: as given (scripts/test.sh makes
# one folder per run), else a new folder under target/test-logs/, so that two runs in the same
# checkout never write over each other's logs and results.
use_run_logs_dir() {
  if [ -z "${TEST_LOGS_DIR:-}" ]; then
    mkdir -p "$ROOT/target/test-logs"
    TEST_LOGS_DIR="$(mktemp -d "$ROOT/target/test-logs/$(date +%Y%m%d-%H%M%S)-XXXX")"
  fi
  mkdir -p "$TEST_LOGS_DIR"
  export TEST_LOGS_DIR
}

# The server reads a .env file from its working directory and the variables its --help lists:
# unset all of those (the caller runs the server in a temporary directory), so nothing from the
# caller's shell changes the settings a test relies on.
isolate_server_env() {
  local vars var
  vars=$({ "$1" --help; "$1" serve --help; } 2>/dev/null | grep -o '\[env: [A-Z0-9_]*' | cut -d' ' -f2 | sort -u)
  for var in $vars DATABASE_URL; do unset "$var"; done
}

# usage: add_test_user SERVER_BIN WORK_DIR DB USERNAME PASSWORD [user add flags...]
add_test_user() {
  local bin=$1 work=$2 db=$3 user=$4 password=$5
  shift 5
  (cd "$work" && printf '%s' "$password" | "$bin" --db "$db" user add "$user" --password-stdin "$@") >/dev/null \
    || fail "could not create the test user (server user add $user)"
}
