#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance, under Node 22)
# against the server (target/debug/server), both legs, with no --scenario (every scenario of each leg),
# then its client leg against the CLI:
#   1. authorization: `conformance authorization --url <AS> --client-id <id> --port <p>
#      --resource <RS>/mcp`. The client is registered beforehand by dynamic registration with the
#      suite's redirect URI http://127.0.0.1:<p>/callback; authorization.mjs signs in and allows
#      in headless Chromium when the suite prints the authorize URL.
#   2. server: `conformance server --url <RS>/conformance/mcp`, the TEST-ONLY unauthenticated
#      mount that exists only because this script starts the server with
#      --conformance-unauthenticated-mcp (never the default; the flag only exists in builds with
#      the test-fixtures feature, as scripts/test.sh makes them).
#   3. client: tests/conformance/client.sh, `conformance client --requirements <rev>` against
#      `target/debug/mcp-auth conformance` (no server of ours: the suite serves each scenario).
# Starts the server on port 0 (reported through --ready-file), makes a fresh database with one user in a temporary directory, stops the
# server and removes everything on exit. Fails when any leg reports a failed check.
#
# Needs: target/debug/server built with --features test-fixtures, Node 22 and tests/conformance/node_modules (both from
# scripts/setup.sh --conformance), /usr/bin/chromium (scripts/setup.sh --e2e).
# usage: tests/conformance/run.sh            logs: $TEST_LOGS_DIR/conformance-*.log
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
fail() { printf '[conformance] error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=tests/harness.sh
. "$here/../harness.sh"
target_dir="$CARGO_TARGET"  # from scripts/lib.sh (via harness.sh)
server_bin="${CONF_SERVER_BIN:-$target_dir/debug/server}"
node22="${CONF_NODE:-$root/target/tools/node22/bin/node}"
suite_bin="$here/node_modules/@modelcontextprotocol/conformance/dist/index.js"
chromium="${CONF_CHROMIUM:-/usr/bin/chromium}"

say() { printf '[conformance] %s\n' "$*" >&2; }
[ -x "$server_bin" ] || fail "$server_bin missing: run cargo build -p server --features test-fixtures"
case "$("$server_bin" serve --help 2>/dev/null || true)" in
  *--conformance-unauthenticated-mcp*) ;;
  *) fail "$server_bin was built without the test-fixtures feature: run cargo build -p server --features test-fixtures" ;;
esac
[ -x "$node22" ] || fail "Node 22 missing at $node22: run scripts/setup.sh --conformance"
[ -f "$suite_bin" ] || fail "conformance suite missing: run scripts/setup.sh --conformance"
[ -d "$here/node_modules/playwright-core" ] || fail "playwright-core missing: run scripts/setup.sh --conformance"
[ -x "$chromium" ] || fail "chromium missing: run scripts/setup.sh --e2e"
use_run_logs_dir
logs="$TEST_LOGS_DIR"

work="$(mktemp -d "${TMPDIR:-/tmp}/mcp-auth-conformance.XXXXXX")"
SERVER_PID=""
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
  stop_server
  if [ -f "$work/server.log" ]; then cp "$work/server.log" "$logs/conformance-server.log"; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The suite listens for the authorization callback on a port it must be told in advance, and
# the client is registered with that redirect URI before the suite starts: pick it here.
read -r callback_port < <(free_ports 1 "$node22")
[ -n "${callback_port:-}" ] || fail "could not pick a free port"

isolate_server_env "$server_bin"

user=conformance
password="$(random_password)"
db="$work/conformance.db"
add_test_user "$server_bin" "$work" "$db" "$user" "$password"

# (The test-only mount accepts the resource server's own Origin, which the suite's DNS-rebinding
# scenario sends.)
start_server "$server_bin" "$work" "$db" "$work/server.log" --conformance-unauthenticated-mcp "$user"
as_url="$AS_URL"
rs_url="$RS_URL"
say "AS $as_url  RS $rs_url  suite callback port $callback_port  (work dir $work)"

# The suite's client: a public client (PKCE, token_endpoint_auth_method none) registered by
# RFC 7591 dynamic registration with the redirect URI the suite listens on.
registration=$(curl -fsS --max-time 10 -H 'Content-Type: application/json' \
  -d "{\"client_name\":\"MCP conformance suite\",\"redirect_uris\":[\"http://127.0.0.1:$callback_port/callback\"],\"token_endpoint_auth_method\":\"none\"}" \
  "$as_url/register") || fail "dynamic client registration failed"
client_id=$("$node22" -e 'console.log(JSON.parse(process.argv[1]).client_id ?? "")' "$registration")
[ -n "$client_id" ] || fail "no client_id in the registration response"

status=0
say "── leg 1/3: conformance authorization (all scenarios)"
(cd "$work" && CONF_AS_URL="$as_url" CONF_RESOURCE="$rs_url/mcp" CONF_CLIENT_ID="$client_id" \
  CONF_CALLBACK_PORT="$callback_port" CONF_USER="$user" CONF_PASSWORD="$password" \
  CONF_SUITE_BIN="$suite_bin" CONF_CHROMIUM="$chromium" \
  "$node22" "$here/authorization.mjs") 2>&1 | tee "$logs/conformance-authorization.log" || status=1

say "── leg 2/3: conformance server --url $rs_url/conformance/mcp (active suite)"
(cd "$work" && "$node22" "$suite_bin" server --url "$rs_url/conformance/mcp") 2>&1 \
  | tee "$logs/conformance-server-leg.log" || status=1

# Leg 3: the client leg, the suite against our CLI (`mcp-auth conformance`); no server needed.
say "── leg 3/3: conformance client against target/debug/mcp-auth (tests/conformance/client.sh)"
bash "$here/client.sh" || status=1

# The suite's own summary lines, so they stay visible at the end of the CI output.
for leg in authorization server-leg; do
  printf '[conformance] summary (%s):\n' "$leg" >&2
  grep -E '^(✓|✗) |^Total: ' "$logs/conformance-$leg.log" | sed 's/^/    /' >&2 || say "    (no summary: see $logs/conformance-$leg.log)"
  if ! grep -qE '^Total: [0-9]+ passed, 0 failed' "$logs/conformance-$leg.log"; then status=1; fi
done
if [ "$status" -ne 0 ]; then
  say "FAILED; last server log lines (all: $logs/conformance-server.log):"
  tail -n 30 "$work/server.log" >&2
fi
exit "$status"
