#!/usr/bin/env bash
# Runs the Playwright end-to-end tests against the server binary and the built SPA: makes a
# fresh database with the user `alice` in a temporary directory, starts the server (AS, RS and
# the SPA from dist/, every listener on port 0, reported through --ready-file), exports the E2E_*
# variables playwright.config.ts reads, runs Playwright, and stops the server.
#
# Needs: target/debug/server built with --features test-fixtures (scripts/test.sh does), dist/ (trunk build --release),
# tests/e2e/node_modules (scripts/setup.sh --e2e). scripts/test.sh does all of that first.
# The server issues access tokens for E2E_ACCESS_TOKEN_TTL seconds (default 20), so a spec can
# wait for one to expire; every spec runs with that lifetime.
# Results (traces, screenshots, the server log on failure) go to $TEST_LOGS_DIR/playwright.
# usage: tests/e2e/run.sh [Playwright arguments, e.g. -g logout --headed]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
fail() { printf '[e2e] error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=tests/harness.sh
. "$here/../harness.sh"
target_dir="$CARGO_TARGET"  # from scripts/lib.sh (via harness.sh)
server_bin="${E2E_SERVER_BIN:-$target_dir/debug/server}"
dist_dir="${E2E_DIST_DIR:-$root/dist}"

[ -x "$server_bin" ] || fail "$server_bin missing: run cargo build -p server"
[ -f "$dist_dir/index.html" ] || fail "$dist_dir/index.html missing: run trunk build --release"
"$server_bin" serve --help 2>/dev/null | grep -q -- '--fixture-mcp' \
  || fail "$server_bin lacks the TEST-ONLY --fixture-mcp flag: cargo build -p server --features test-fixtures"
[ -d "$here/node_modules/@playwright/test" ] || fail "Playwright missing: run scripts/setup.sh --e2e"
[ -x "${E2E_CHROMIUM:-/usr/bin/chromium}" ] || fail "chromium missing: run scripts/setup.sh --e2e"

use_run_logs_dir
results="$TEST_LOGS_DIR/playwright"
work="$(mktemp -d "${TMPDIR:-/tmp}/mcp-auth-e2e.XXXXXX")"
SERVER_PID=""
FIXTURE_PID=""
# shellcheck disable=SC2317  # invoked by the trap
cleanup() { stop_server; SERVER_PID="$FIXTURE_PID"; stop_server; rm -rf "$work"; }
trap cleanup EXIT

password="$(random_password)"
db="$work/e2e.db"
# The server reads a .env file from its working directory: it runs in the temporary directory.
# Drop every environment variable it reads (as its --help lists them) so that nothing from the
# caller's shell changes the settings the tests rely on.
isolate_server_env "$server_bin"
add_test_user "$server_bin" "$work" "$db" alice "$password" --name "Alice Example" --email alice@example.test

export E2E_ACCESS_TOKEN_TTL="${E2E_ACCESS_TOKEN_TTL:-20}"
case "$E2E_ACCESS_TOKEN_TTL" in
  '' | *[!0-9]*) fail "E2E_ACCESS_TOKEN_TTL must be a whole number of seconds, got '$E2E_ACCESS_TOKEN_TTL'" ;;
esac
[ "$E2E_ACCESS_TOKEN_TTL" -ge 1 ] || fail "E2E_ACCESS_TOKEN_TTL must be at least 1"
# Lets the tests ask the authorization server's introspection endpoint whether a token is active.
E2E_INTROSPECTION_SECRET="$(head -c 24 /dev/urandom | base64 | tr '+/' 'xy')"
export E2E_INTROSPECTION_SECRET
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

log="$work/server.log"
# In the environment, not on the command line where `ps` would show it.
# No clock-skew leeway (one machine, one clock): an expired token is refused at once, which
# refresh-after-401.spec.ts relies on.
INTROSPECTION_SECRET="$E2E_INTROSPECTION_SECRET" start_server "$server_bin" "$work" "$db" "$log" \
  --spa-addr 127.0.0.1:0 --spa-dir "$dist_dir" --access-token-ttl "$E2E_ACCESS_TOKEN_TTL" --jwt-leeway-secs 0
export E2E_OUTPUT_DIR="$results"
export E2E_AS_URL="$AS_URL" E2E_RS_URL="$RS_URL" E2E_SPA_URL="$SPA_URL"

# A second, differently shaped MCP server for console-any-server.spec.ts: the same binary with
# the TEST-ONLY --fixture-mcp flag (builds with --features test-fixtures), its own database, user
# and authorization server, allowing the SPA's origin. start_server's variables are put back.
main_pid="$SERVER_PID"
fixture_dir="$work/fixture"
mkdir -p "$fixture_dir"
add_test_user "$server_bin" "$fixture_dir" "$fixture_dir/fixture.db" alice "$password"
start_server "$server_bin" "$fixture_dir" "$fixture_dir/fixture.db" "$fixture_dir/server.log" \
  --fixture-mcp --allowed-origins "$E2E_SPA_URL" --access-token-ttl "$E2E_ACCESS_TOKEN_TTL"
FIXTURE_PID="$SERVER_PID"
SERVER_PID="$main_pid"
export E2E_FIXTURE_MCP_URL="$MCP_URL" E2E_FIXTURE_AS_URL="$AS_URL"
export E2E_USER=alice E2E_PASSWORD="$password" E2E_USER_NAME="Alice Example"
export E2E_USER_EMAIL=alice@example.test

printf '[e2e] AS %s  RS %s  SPA %s  fixture MCP %s  access tokens %s s  (work dir %s)\n' "$E2E_AS_URL" \
  "$E2E_RS_URL" "$E2E_SPA_URL" "$E2E_FIXTURE_MCP_URL" "$E2E_ACCESS_TOKEN_TTL" "$work"
status=0
(cd "$here" && npx --no-install playwright test "$@") || status=$?
if [ "$status" -ne 0 ] && [ -f "$log" ]; then
  mkdir -p "$results"
  cp "$log" "$results/server.log"
  printf '[e2e] Playwright failed (exit %s); last server log lines (all: %s/server.log):\n' "$status" "$results" >&2
  tail -n 40 "$log" >&2
fi
exit "$status"
