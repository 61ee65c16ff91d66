#!/usr/bin/env bash
# Benchmark: the price of the bearer guard on the MCP hot path. In one sitting, on the same
# machine, wrk drives `tools/call get_user_data` against
#   - the server's `/mcp` (bearer guard, real access token from the real flow), and
#   - `bare_mcp` (server/examples/bare_mcp.rs): the same rmcp service, tool router and transport
#     settings, without the guard, acting as the same user,
# in session mode (2025-06-18: initialize, then Mcp-Session-Id; one session per wrk thread) and
# stateless mode (2026-07-28: no session, `_meta` in every request), interleaved A B A B per round
# to spread drift. The requests are byte-identical (the bare service ignores the Authorization
# header). It samples each server's VmRSS under load (max over the run) and times the headless
# authorization flow without password hashing (server/examples/headless_flow.rs). Prints a table
# and, except with --smoke, PASS/FAIL against the targets of issue 10.
#
# usage: bench/mcp_hot_path.sh [--smoke] [seconds per run, default 15]
#   --smoke  2 s runs, one round, debug binaries (target/debug; built unless SKIP_BUILD=1), no
#            judging: checks that everything runs.
#   env: THREADS (2), CONNECTIONS (16), ROUNDS (2; smoke 1), FLOWS (200; smoke 20),
#        FLOW_CONCURRENCY (8), SKIP_BUILD (1: use the binaries already built),
#        BENCH_RT (1: measure under SCHED_FIFO, root only: on a machine shared with builds, the
#        servers and wrk then get the cores whenever they want them, which keeps the ratio from
#        swinging with the other load; the build, if any, runs before, at normal priority)
set -euo pipefail
LOG_TAG=bench
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/../tests/harness.sh"
fail() { die "$@"; }

args=("$@")
smoke=0
if [ "${1:-}" = "--smoke" ]; then smoke=1; shift; fi
if [ $smoke = 1 ]; then
  DURATION=${1:-2}; ROUNDS=${ROUNDS:-1}; FLOWS=${FLOWS:-20}; profile=debug
else
  DURATION=${1:-15}; ROUNDS=${ROUNDS:-2}; FLOWS=${FLOWS:-200}; profile=release
fi
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
FLOW_CONCURRENCY=${FLOW_CONCURRENCY:-8}
# Targets (issue 10).
MIN_RATIO=0.9
MAX_RSS_MB=30
MAX_FLOW_P50_MS=5

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  if [ $profile = release ]; then
    log "building the server and the bench examples (release)"
    (cd "$ROOT" && cargo build --release -p server --bin server --example bare_mcp --example headless_flow)
  else
    # The features scripts/test.sh builds with, so this shares its artifacts.
    log "building the server and the bench examples (dev profile)"
    (cd "$ROOT" && cargo build -p server --features server/test-fixtures --bin server \
      --example bare_mcp --example headless_flow)
  fi
fi
bin="$CARGO_TARGET/$profile/server"
bare_bin="$CARGO_TARGET/$profile/examples/bare_mcp"
flow_bin="$CARGO_TARGET/$profile/examples/headless_flow"
if [ "${BENCH_RT:-0}" = 1 ] && [ "${BENCH_RT_ON:-0}" != 1 ]; then
  command -v chrt >/dev/null && [ "$(id -u)" -eq 0 ] || die "BENCH_RT=1 needs root and chrt (util-linux)"
  log "measuring under SCHED_FIFO (BENCH_RT=1)"
  SKIP_BUILD=1 BENCH_RT_ON=1 exec chrt -f 10 "$0" "${args[@]}"
fi
for b in "$bin" "$bare_bin" "$flow_bin"; do [ -x "$b" ] || die "missing $b (build it, or unset SKIP_BUILD)"; done
if ! command -v wrk >/dev/null; then
  log "installing wrk (Debian package)"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq && $sudo apt-get install -y -qq wrk >/dev/null
fi
for tool in curl jq; do command -v "$tool" >/dev/null || die "$tool is required"; done

work=$(mktemp -d)
bare_pid=""
trap 'stop_server; [ -n "$bare_pid" ] && kill "$bare_pid" 2>/dev/null; rm -rf "$work"' EXIT
isolate_server_env "$bin"
password=$(random_password)
printf '%s' "$password" >"$work/password"
add_test_user "$bin" "$work" "$work/bench.db" bench "$password"
start_server "$bin" "$work" "$work/bench.db" "$work/server.log"
auth_pid=$SERVER_PID
auth_url=$MCP_URL
(cd "$work" && exec env NO_COLOR=1 "$bare_bin" --db "$work/bench.db" --user bench \
  --ready-file "$work/bare.json" >"$work/bare.out" 2>"$work/bare.log") &
bare_pid=$!
for _ in $(seq 300); do [ -f "$work/bare.json" ] && break; kill -0 "$bare_pid" || break; sleep 0.1; done
[ -f "$work/bare.json" ] || { tail "$work/bare.log" >&2; die "bare_mcp did not start"; }
bare_url=$(jq -r .mcp_url "$work/bare.json")
log "server $bin: $auth_url (pid $auth_pid); bare rmcp: $bare_url (pid $bare_pid)"

# --- the headless flow: a real token, and the flow's latency without hashing -----------------
log "headless flow: first sign-in, then $FLOWS flows on the login session (no hashing)"
"$flow_bin" --as-url "$AS_URL" --mcp-url "$auth_url" --username bench --password-file "$work/password" \
  --flows "$FLOWS" --concurrency "$FLOW_CONCURRENCY" --token-file "$work/token" >"$work/flow.txt"
flow() { sed -n "s/^$1=//p" "$work/flow.txt"; }
token=$(cat "$work/token")

# --- requests ----------------------------------------------------------------------------------
headers=(-H "Authorization: Bearer $token" -H 'Content-Type: application/json'
  -H 'Accept: application/json, text/event-stream')
stateless_body='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_user_data","arguments":{"user_id":"current"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"0"}}}}'

# Opens a 2025-06-18 session on URL; prints its id.
open_session() {
  local init id
  init='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"0"}}}'
  id=$(curl -fsS -o /dev/null -D - -X POST "$1" "${headers[@]}" -d "$init" \
    | tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
  [ -n "$id" ] || die "no session from $1"
  curl -fsS -o /dev/null -X POST "$1" "${headers[@]}" -H "Mcp-Session-Id: $id" \
    -H 'MCP-Protocol-Version: 2025-06-18' -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
  printf '%s' "$id"
}

# Writes the wrk script for MODE (session|stateless) against URL to FILE. Session mode: each wrk
# thread has its own session and numbers its requests, so ids never repeat within a session.
write_lua() {
  local mode=$1 url=$2 file=$3 i
  {
    echo 'wrk.method = "POST"'
    echo "wrk.headers[\"Authorization\"] = \"Bearer $token\""
    echo 'wrk.headers["Content-Type"] = "application/json"'
    echo 'wrk.headers["Accept"] = "application/json, text/event-stream"'
    if [ "$mode" = stateless ]; then
      echo 'wrk.headers["MCP-Protocol-Version"] = "2026-07-28"'
      echo 'wrk.headers["Mcp-Method"] = "tools/call"'
      echo 'wrk.headers["Mcp-Name"] = "get_user_data"'
      echo "wrk.body = '$stateless_body'"
    else
      echo 'wrk.headers["MCP-Protocol-Version"] = "2025-06-18"'
      printf 'sessions = {'
      for i in $(seq "$THREADS"); do printf '"%s",' "$(open_session "$url")"; done
      echo '}'
      cat <<'EOF'
local n = 0
function request()
  n = n + 1
  wrk.headers["Mcp-Session-Id"] = session
  local body = '{"jsonrpc":"2.0","id":' .. n .. ',"method":"tools/call","params":{"name":"get_user_data","arguments":{"user_id":"current"}}}'
  return wrk.format(nil, nil, nil, body)
end
EOF
    fi
    # wrk counts non-2xx answers; a 200 without a tool result (a JSON-RPC error) is counted here.
    cat <<'EOF'
local threads, started = {}, 0
function setup(thread)
  started = started + 1
  if sessions then thread:set("session", sessions[(started - 1) % #sessions + 1]) end
  table.insert(threads, thread)
end
errors = 0
function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"structuredContent"', 1, true) then errors = errors + 1 end
end
function done(summary, latency, requests)
  local failed = 0
  for _, t in ipairs(threads) do failed = failed + t:get("errors") end
  io.write(string.format("p50_us=%d\np99_us=%d\nbad_replies=%d\n", latency:percentile(50), latency:percentile(99), failed))
end
EOF
  } >"$file"
}

for mode in session stateless; do
  write_lua "$mode" "$auth_url" "$work/auth-$mode.lua"
  write_lua "$mode" "$bare_url" "$work/bare-$mode.lua"
done
# Each script must really get tool results before anything is measured.
for target in auth bare; do
  url=$auth_url; [ $target = bare ] && url=$bare_url
  reply=$(curl -sS -X POST "$url" "${headers[@]}" -H 'MCP-Protocol-Version: 2026-07-28' \
    -H 'Mcp-Method: tools/call' -H 'Mcp-Name: get_user_data' -d "$stateless_body")
  grep -q '"structuredContent"' <<<"$reply" || die "$target: tools/call did not answer with a result: $reply"
done

# Max VmRSS (kB) of PID while it runs, sampled every 0.1 s, into FILE.
sample_rss() {
  local pid=$1 file=$2 max=0 kb
  while kill -0 "$pid" 2>/dev/null && [ ! -f "$file.stop" ]; do
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${kb:-0}" -gt "$max" ] && max=$kb
    echo "$max" >"$file"
    sleep 0.1
  done
}

# run TARGET MODE ROUND: one wrk run; leaves wrk's output in $work/TARGET-MODE-ROUND.txt.
run() {
  local target=$1 mode=$2 round=$3 url pid out
  url=$auth_url; pid=$auth_pid
  if [ "$target" = bare ]; then url=$bare_url; pid=$bare_pid; fi
  out="$work/$target-$mode-$round"
  sample_rss "$pid" "$out.rss" &
  local sampler=$!
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s "$work/$target-$mode.lua" "$url" >"$out.txt" 2>&1
  touch "$out.rss.stop"
  wait "$sampler" || true
  echo "load_avg=$(cut -d' ' -f1 /proc/loadavg)" >>"$out.txt"
  local rps
  rps=$(awk '/^Requests\/sec/ {print $2}' "$out.txt")
  log "  $target $mode round $round: ${rps:-?} req/s, load average $(cut -d' ' -f1 /proc/loadavg)"
  if grep -q 'Non-2xx\|Socket errors\|bad_replies=[1-9]' "$out.txt"; then
    warn "$target $mode: $(grep 'Non-2xx\|Socket errors\|bad_replies' "$out.txt" | tr '\n' ' ')"
  fi
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average before: $load_before ($(nproc) cores)"
for round in $(seq "$ROUNDS"); do
  log "round $round of $ROUNDS: ${DURATION}s per run, wrk -t$THREADS -c$CONNECTIONS"
  for mode in session stateless; do
    run auth "$mode" "$round"
    run bare "$mode" "$round"
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the table ---------------------------------------------------------------------------------
# Mean over the rounds of a figure of TARGET-MODE: rps | p50 | p99 (ms) | rss (MB, max).
figure() {
  local target=$1 mode=$2 what=$3 f
  for f in "$work/$target-$mode-"*.txt; do
    case $what in
      rps) awk '/^Requests\/sec/ {print $2}' "$f" ;;
      p50) awk -F= '/^p50_us=/ {print $2 / 1000}' "$f" ;;
      p99) awk -F= '/^p99_us=/ {print $2 / 1000}' "$f" ;;
      load) awk -F= '/^load_avg=/ {print $2}' "$f" ;;
      rss) cat "${f%.txt}.rss" ;;
    esac
  done | awk -v what="$what" '
    { n++; s += $1; if ($1 > m) m = $1 }
    END { if (!n) { print "n/a"; exit }
          if (what == "rss") printf "%.1f\n", m / 1024; else if (what == "rps") printf "%.0f\n", s / n; else printf "%.2f\n", s / n }'
}
judge() { # judge VALUE OP LIMIT
  [ $smoke = 1 ] && { echo "-"; return; }
  awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { ok = (op == ">=") ? v >= l : v <= l; print (ok ? "PASS" : "FAIL") }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f\n", a / b; else print "n/a" }'; }

echo
echo "MCP hot path vs bare rmcp: tools/call get_user_data, wrk -t$THREADS -c$CONNECTIONS, ${DURATION}s per run, $ROUNDS round(s) interleaved"
echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $profile build; load average before $load_before, after $load_after"
printf '%-22s %10s %9s %9s %9s %9s\n' "" "req/s" "p50 ms" "p99 ms" "RSS MB" "load avg"
for mode in session stateless; do
  for target in auth bare; do
    printf '%-22s %10s %9s %9s %9s %9s\n' "$target $mode" "$(figure $target $mode rps)" \
      "$(figure $target $mode p50)" "$(figure $target $mode p99)" "$(figure $target $mode rss)" "$(figure $target $mode load)"
  done
done
echo
printf '%-44s %10s %10s %6s\n' "figure" "measured" "target" ""
for mode in session stateless; do
  r=$(ratio "$(figure auth $mode rps)" "$(figure bare $mode rps)")
  printf '%-44s %10s %10s %6s\n' "throughput ratio auth/bare, $mode" "$r" ">= $MIN_RATIO" "$(judge "$r" '>=' $MIN_RATIO)"
done
rss=$(for mode in session stateless; do figure auth $mode rss; done | sort -n | tail -n1)
printf '%-44s %10s %10s %6s\n' "server RSS under load (MB, max)" "$rss" "<= $MAX_RSS_MB" "$(judge "$rss" '<=' $MAX_RSS_MB)"
printf '%-44s %10s %10s %6s\n' "flow p50 without hashing (ms)" "$(flow flow_p50_ms)" "<= $MAX_FLOW_P50_MS" \
  "$(judge "$(flow flow_p50_ms)" '<=' $MAX_FLOW_P50_MS)"
printf '%-44s %10s\n' "flow p99 without hashing (ms)" "$(flow flow_p99_ms)"
printf '%-44s %10s\n' "flows/s, one at a time" "$(flow sequential_flows_per_s)"
printf '%-44s %10s\n' "flows/s, $FLOW_CONCURRENCY in flight" "$(flow flows_per_s)"
errors=$(cat "$work"/*-*-*.txt | grep -c 'Non-2xx\|Socket errors\|bad_replies=[1-9]' || true)
[ "$errors" = 0 ] || die "some runs had failed requests (see the warnings above)"
