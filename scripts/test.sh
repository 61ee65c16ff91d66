#!/usr/bin/env bash
# Runs every test: installs what is missing, builds once and tests: the Rust unit and integration
# tests (whose build also makes the server binary the runners use) while the SPA's release build
# runs beside them, a ~10 s smoke run of bench/mcp_hot_path.sh on what that build made, then the
# Playwright end-to-end tests in Debian's Chromium, the official MCP TypeScript and Python SDK
# clients (tests/interop/run.sh), and the official MCP conformance suite, authorization and
# server legs, and its client leg against the mcp-auth CLI (tests/conformance/run.sh). Exits non-zero at the first failing step and names it;
# the closing summary shows each step's wall time and each suite's result lines. Logs: a folder
# per run under target/test-logs/ (`latest` points at the newest).
#
# usage: scripts/test.sh [extra Playwright arguments, e.g. -g logout]
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/harness.sh
. "$ROOT/tests/harness.sh"
# shellcheck source=scripts/postgres.sh
. "$ROOT/scripts/postgres.sh"
LOG_TAG="test"
cd "$ROOT"
started_all=$SECONDS

# One folder per run, so that two runs in one checkout keep their own logs and results.
TEST_LOGS_DIR=""
use_run_logs_dir
logs="$TEST_LOGS_DIR"
ln -sfn "$(basename "$logs")" "$ROOT/target/test-logs/latest"
# A fresh clone builds from nothing: incremental compilation would only add work there.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi

current_step=""
step_started=0
results=()

summary() {
  local rc=$1 line
  printf '\n==================== summary ====================\n' >&2
  printf -- '-- steps (wall time) --\n' >&2
  for line in "${results[@]}"; do printf '  %s\n' "$line" >&2; done
  printf '  total %s s   (logs: %s)\n' "$((SECONDS - started_all))" "$logs" >&2
  if [ -f "$logs/cargo-test.log" ]; then
    printf -- '-- cargo test --\n' >&2
    awk '/^ +Running / { bin = $NF; gsub(/[()]/, "", bin); sub(/.*\//, "", bin); sub(/-[0-9a-f]+$/, "", bin)
                         name = bin " (" $(NF - 1) ")" }
         /^ +Doc-tests / { name = "doc-tests " $2 }
         /^test result:/ { printf "  %-32s %s\n", name, substr($0, 14) }
         /^error(\[|:)/  { print "  " $0 }' "$logs/cargo-test.log" >&2 || true
  fi
  if [ -f "$logs/e2e.log" ]; then
    printf -- '-- Playwright --\n' >&2
    # The list reporter's footer: counts, and the names of failed or flaky tests under them.
    awk '/^ +[0-9]+ (passed|failed|flaky|skipped|interrupted|did not run)/ { p = 1; found = 1 }
         /^\[e2e\]/ { p = 0 }
         p { print }
         END { exit !found }' "$logs/e2e.log" >&2 \
      || printf '  (no Playwright summary: see %s)\n' "$logs/e2e.log" >&2
  fi
  if [ -f "$logs/interop.log" ]; then
    printf -- '-- interop (official MCP SDK clients) --\n' >&2
    grep -E '^\[interop\] (ok|FAILED) ' "$logs/interop.log" | sed 's/^\[interop\] /  /' >&2 \
      || printf '  (no interop summary: see %s)\n' "$logs/interop.log" >&2
  fi
  local leg
  for leg in authorization server-leg; do
    if [ -f "$logs/conformance-$leg.log" ]; then
      printf -- '-- MCP conformance suite (%s) --\n' "${leg%-leg}" >&2
      grep -E '^(✓|✗) |^Total: ' "$logs/conformance-$leg.log" | sed 's/^/  /' >&2 \
        || printf '  (no conformance summary: see %s)\n' "$logs/conformance-$leg.log" >&2
    fi
  done
  local rev
  for rev in 2026-07-28 2025-11-25; do
    if [ -f "$logs/conformance-client-$rev.log" ]; then
      printf -- '-- MCP conformance suite (client leg, mcp-auth, --requirements %s) --\n' "$rev" >&2
      grep -E '^(✓|✗) |^Total: ' "$logs/conformance-client-$rev.log" | sed 's/^/  /' >&2 \
        || printf '  (no conformance summary: see %s)\n' "$logs/conformance-client-$rev.log" >&2
    fi
  done
  if [ "$rc" -eq 0 ]; then
    ok "all tests passed"
  elif [ -n "$current_step" ]; then
    warn "FAILED at step '$current_step' (exit $rc); logs in $logs"
  else
    warn "FAILED (exit $rc)"
  fi
}
trap 'rc=$?; pg_stop "$logs"; summary $rc' EXIT

status_word() { if [ "$1" = 0 ]; then printf 'ok    '; else printf 'FAILED'; fi; }

# Runs one named step. Not called from a condition, so `set -e` stays in force inside it.
step() {
  current_step="$1"
  shift
  step_started=$SECONDS
  log "── step: $current_step"
  "$@"
  results+=("$(status_word 0) $current_step ($((SECONDS - step_started)) s)")
  current_step=""
}

# Runs a command with its output shown and also saved to target/test-logs/<name>.log.
logged() {
  local name="$1"
  shift
  "$@" 2>&1 | tee "$logs/$name.log"
}

start_test_postgres() {
  pg_start
  export TEST_POSTGRES_URL="$PG_ADMIN_URL" TEST_POSTGRES_CA="$PG_CA_FILE" REQUIRE_POSTGRES=1
  log "PostgreSQL at $PG_ADMIN_URL (its log is kept in $logs/postgres.log)"
}

# Playwright runs TypeScript without type-checking it.
typecheck_e2e() {
  (cd "$ROOT/tests/e2e" && npx --no-install tsc --noEmit -p .)
}

# The Rust tests (which build target/debug/server too, with the test-only conformance mount the
# conformance step needs: --features server/test-fixtures) with the SPA's release build beside them:
# the wasm build links with LTO on one core while the native test build often leaves one idle.
# Both run to the end; either failing fails the step, and each keeps its own log and time.
rust_tests_and_spa() {
  local spa_rc=0 rust_rc=0 spa_pid rust_started=$SECONDS spa_time="$logs/.spa-build.seconds"
  (started=$SECONDS; rc=0; build_spa >"$logs/spa-build.log" 2>&1 || rc=$?
   echo $((SECONDS - started)) >"$spa_time"; exit $rc) &
  spa_pid=$!
  # test-fixtures: the conformance runner's TEST-ONLY mount, compiled into this build only.
  logged cargo-test cargo test --no-fail-fast --features server/test-fixtures || rust_rc=$?
  results+=("$(status_word $rust_rc) cargo test, build + run ($((SECONDS - rust_started)) s)")
  wait "$spa_pid" || spa_rc=$?
  results+=("$(status_word $spa_rc) trunk build --release, beside it ($(cat "$spa_time" 2>/dev/null || echo '?') s)")
  if [ $spa_rc != 0 ]; then tail -n 30 "$logs/spa-build.log" >&2; fi
  [ $rust_rc = 0 ] && [ $spa_rc = 0 ]
}

# Fails when the SPA a browser downloads (wasm + JS, gzipped) is over its 150 KB limit (issue #11's
# target); the figure goes into the summary either way. docs/benchmarks.md says where the bytes go.
spa_size_budget() {
  local bytes limit=$((SPA_GZIP_LIMIT_KB * 1024))
  bytes="$(spa_gzip_bytes)"
  if [ "$bytes" -gt "$limit" ]; then
    results+=("FAILED SPA size: $bytes B gzipped (wasm + JS), over its $SPA_GZIP_LIMIT_KB KB limit ($limit B)")
    warn "the SPA is $bytes B gzipped (wasm + JS), over its $SPA_GZIP_LIMIT_KB KB limit ($limit B)"
    return 1
  fi
  results+=("ok     SPA size: $bytes B gzipped (wasm + JS), limit $SPA_GZIP_LIMIT_KB KB ($limit B)")
}

step "setup (toolchain, chromium, npm and pip packages, PostgreSQL)" bash "$ROOT/scripts/setup.sh" --e2e --interop --conformance --postgres
# One throwaway PostgreSQL for every suite that needs it (each test makes its own schema); the
# tests fail rather than skip without it. Stopped by the EXIT trap, pass or fail.
step "start a throwaway PostgreSQL" start_test_postgres
step "typecheck the Playwright specs (tsc --noEmit)" typecheck_e2e
step "cargo fmt --check" cargo fmt --all --check
step "cargo test + SPA release build, side by side" rust_tests_and_spa
# The examples it runs were built by `cargo test` above (same profile and features): no build here.
step "MCP hot-path benchmark, smoke run (bench/mcp_hot_path.sh --smoke)" logged bench-smoke \
  env SKIP_BUILD=1 bash "$ROOT/bench/mcp_hot_path.sh" --smoke
step "Playwright end-to-end tests" logged e2e env E2E_SERVER_BIN="$SERVER_BIN" bash "$ROOT/tests/e2e/run.sh" "$@"
step "interop: TypeScript SDK and Python SDK clients" logged interop \
  env INTEROP_SERVER_BIN="$SERVER_BIN" bash "$ROOT/tests/interop/run.sh"
step "MCP conformance suite (authorization + server legs, client leg against mcp-auth)" logged conformance \
  env CONF_SERVER_BIN="$SERVER_BIN" bash "$ROOT/tests/conformance/run.sh"
# Last, so that an SPA over its limit still lets every suite above run and report.
step "SPA size (gzipped wasm + JS)" spa_size_budget
