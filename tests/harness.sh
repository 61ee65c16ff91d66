# shellcheck shell=bash
# Shared by the runners that start the release server for browser and client tests
# (tests/e2e/run.sh, tests/interop/run.sh, tests/conformance/run.sh). Source it; each function
# reports through the caller's `fail`. Builds on scripts/lib.sh (random_password, wait_for_http).
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

# Prints N distinct free loopback ports, never the development ports 8000/8080/9000.
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

# Waits up to 30 s for each URL to answer 2xx (scripts/lib.sh's wait_for_http); fails, showing
# the server log's end, if one does not or the server process PID exits.
# usage: wait_for_server PID LOG URL...
wait_for_server() {
  local pid=$1 log=$2 url
  shift 2
  for url in "$@"; do
    wait_for_http "$url" 30 "$pid" || { tail -n 20 "$log" >&2; fail "the server did not answer at $url"; }
  done
}
