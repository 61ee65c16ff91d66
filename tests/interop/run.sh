#!/usr/bin/env bash
# Interop: the official MCP client SDKs run the whole authorization flow against the release
# server, unmodified, with Debian's Chromium signing in on the login and consent pages:
#   ts      tests/interop/ts/client.mjs      (@modelcontextprotocol/sdk, OAuthClientProvider)
#   python  tests/interop/python/client.py   (`mcp` on PyPI, mcp.client.auth.OAuthClientProvider)
# Starts target/debug/server (port 0, reported through --ready-file) with a fresh database and one user in a
# temporary directory, runs each client, stops everything, prints one summary line per client.
#
# Needs: target/debug/server (cargo test or cargo build -p server), and `scripts/setup.sh --interop` (npm packages in
# tests/interop/ts/node_modules, the Python venv in target/tools/interop-venv).
# usage: tests/interop/run.sh [ts] [python]   (default: both)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
fail() { printf '[interop] error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=tests/harness.sh
. "$here/../harness.sh"
target_dir="$CARGO_TARGET"  # from scripts/lib.sh (via harness.sh)
server_bin="${INTEROP_SERVER_BIN:-$target_dir/debug/server}"
venv="${INTEROP_VENV:-$root/target/tools/interop-venv}"
chromium="${INTEROP_CHROMIUM:-/usr/bin/chromium}"

clients=("$@")
[ ${#clients[@]} -gt 0 ] || clients=(ts python)
for c in "${clients[@]}"; do
  case "$c" in ts | python) ;; *) fail "unknown client '$c' (ts, python)" ;; esac
done
[ -x "$server_bin" ] || fail "$server_bin missing: run cargo build -p server"
[ -x "$chromium" ] || fail "chromium missing: run scripts/setup.sh --interop"
[ -d "$here/ts/node_modules/@modelcontextprotocol/sdk" ] || fail "TypeScript SDK missing: run scripts/setup.sh --interop"
[ -x "$venv/bin/python" ] || fail "Python venv missing: run scripts/setup.sh --interop"

work="$(mktemp -d "${TMPDIR:-/tmp}/mcp-auth-interop.XXXXXX")"
SERVER_PID=""
# shellcheck disable=SC2317  # invoked by the trap
cleanup() { stop_server; rm -rf "$work"; }
trap cleanup EXIT

isolate_server_env "$server_bin"

user=interop
password="$(random_password)"
db="$work/interop.db"
add_test_user "$server_bin" "$work" "$db" "$user" "$password" --name "Interop User" --email interop@example.test

# Short-lived access tokens, so the Python client can outlive one and see its SDK refresh.
token_ttl="${INTEROP_ACCESS_TOKEN_TTL:-5}"
case "$token_ttl" in '' | *[!0-9]* | 0) fail "INTEROP_ACCESS_TOKEN_TTL must be a whole number of seconds >= 1" ;; esac
[ "$token_ttl" -le 60 ] || fail "INTEROP_ACCESS_TOKEN_TTL must be at most 60 (the Python client waits one lifetime)"
log="$work/server.log"
start_server "$server_bin" "$work" "$db" "$log" --access-token-ttl "$token_ttl"

export INTEROP_MCP_URL="$MCP_URL" INTEROP_AS_URL="$AS_URL"
export INTEROP_USER="$user" INTEROP_PASSWORD="$password" INTEROP_CHROMIUM="$chromium"
export INTEROP_ACCESS_TOKEN_TTL="$token_ttl"
printf '[interop] AS %s  MCP %s  (work dir %s)\n' "$INTEROP_AS_URL" "$INTEROP_MCP_URL" "$work"

run_client() {
  case "$1" in
    ts) (cd "$here/ts" && timeout 180 node client.mjs) ;;
    python) timeout 180 "$venv/bin/python" "$here/python/client.py" ;;
  esac
}

summary=()
failed=0
for c in "${clients[@]}"; do
  started=$SECONDS
  printf '[interop] ── %s client\n' "$c"
  if run_client "$c"; then
    summary+=("ok      $c SDK client ($((SECONDS - started)) s)")
  else
    summary+=("FAILED  $c SDK client (exit $?, $((SECONDS - started)) s)")
    failed=1
  fi
done
if [ "$failed" -ne 0 ]; then
  printf '[interop] last server log lines:\n' >&2
  tail -n 40 "$log" >&2
fi
printf '[interop] %s\n' "${summary[@]}"
exit "$failed"
