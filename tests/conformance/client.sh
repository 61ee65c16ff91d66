#!/usr/bin/env bash
# The official MCP conformance suite's CLIENT leg against `mcp-auth conformance` (the hidden
# subcommand of the CLI, cli/src/conformance.rs): `conformance client --requirements <rev>` for
# the 2026-07-28 and 2025-11-25 requirement sets, both at once (each runs its scenarios in
# parallel, at its own wire: 2026-07-28 stateless, 2025-11-25 with the initialize handshake).
# The suite starts its own MCP server and authorization server per scenario and runs
# `mcp-auth conformance <url>` with MCP_CONFORMANCE_* in the environment. Scenarios listed in
# client-expected-failures.yaml (non-auth features the CLI lacks) may fail; any other failure,
# or a listed one that passes, fails this script. Prints per-scenario ✓/✗ lines and the counts.
#
# Needs: target/debug/mcp-auth (cargo build -p cli; `cargo test` at the root builds it), Node 22
# and tests/conformance/node_modules (scripts/setup.sh --conformance).
# usage: tests/conformance/client.sh            logs: $TEST_LOGS_DIR/conformance-client-<rev>.log
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
fail() { printf '[conformance-client] error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=tests/harness.sh
. "$here/../harness.sh"
target_dir="$CARGO_TARGET"  # from scripts/lib.sh (via harness.sh)
cli_bin="${CONF_CLI_BIN:-$target_dir/debug/mcp-auth}"
node22="${CONF_NODE:-$root/target/tools/node22/bin/node}"
suite_bin="$here/node_modules/@modelcontextprotocol/conformance/dist/index.js"
revisions=(2026-07-28 2025-11-25)
# Per client run; the CLI needs well under a second per scenario, a hung one is cut short.
timeout_ms="${CONF_CLIENT_TIMEOUT_MS:-10000}"

say() { printf '[conformance-client] %s\n' "$*" >&2; }
[ -x "$cli_bin" ] || fail "$cli_bin missing: run cargo build -p cli"
[ -x "$node22" ] || fail "Node 22 missing at $node22: run scripts/setup.sh --conformance"
[ -f "$suite_bin" ] || fail "conformance suite missing: run scripts/setup.sh --conformance"
use_run_logs_dir
logs="$TEST_LOGS_DIR"

work="$(mktemp -d "${TMPDIR:-/tmp}/mcp-auth-conformance-client.XXXXXX")"
trap 'rm -rf "$work"' EXIT

pids=()
for rev in "${revisions[@]}"; do
  say "── conformance client --requirements $rev (log: $logs/conformance-client-$rev.log)"
  # The suite writes results under the working directory: a throwaway one.
  (cd "$work" && NO_COLOR=1 FORCE_COLOR=0 "$node22" "$suite_bin" client --command "$cli_bin conformance" --requirements "$rev" \
    --timeout "$timeout_ms" --expected-failures "$here/client-expected-failures.yaml" \
    >"$logs/conformance-client-$rev.log" 2>&1) &
  pids+=($!)
done
status=0
for i in "${!revisions[@]}"; do
  wait "${pids[$i]}" || status=1
done

for rev in "${revisions[@]}"; do
  log_file="$logs/conformance-client-$rev.log"
  printf '[conformance-client] summary (--requirements %s):\n' "$rev" >&2
  grep -E '^(✓|✗) |^Total: ' "$log_file" | sed 's/^/    /' >&2 || say "    (no summary: see $log_file)"
  # The baseline's verdict (expected failures, unexpected ones, stale entries), without colours.
  sed 's/\x1b\[[0-9;]*m//g' "$log_file" | sed -n '/^Expected failures\|^Unexpected\|^Stale/,/^$/p' | sed 's/^/    /' >&2 || true
done
if [ "$status" -ne 0 ]; then
  say "FAILED (logs: $logs/conformance-client-*.log)"
else
  say "ok: every required client scenario passed (except the listed expected failures)"
fi
exit "$status"
