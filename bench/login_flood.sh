#!/usr/bin/env bash
# Benchmark: latency of /mcp `tools/call` (p50/p99) without and with a concurrent flood of
# wrong-password sign-ins, printed side by side with the ratio. Not part of CI.
#
# Starts the built server (target/release/server if present, else target/debug/server, or
# SERVER_BIN) on port 0 in a temporary folder, creates a user, walks the OAuth flow with curl for
# an access token, then measures with wrk (installed from Debian when missing). The flood posts
# valid login forms (each pending request takes 5 evaluated attempts) with random usernames, so
# every attempt that gets a hashing permit really runs argon2; the per-address limit is lifted to
# stand in for a flood from many addresses.
#
# usage: bench/login_flood.sh [seconds per measurement, default 15]
#   env: SERVER_FLAGS (extra `serve` flags, e.g. "--password-hashing-concurrency 1"),
#        SERVER_BIN_OVERRIDE, CONNECTIONS (8), FLOOD_CONNECTIONS (64), PENDING (600)
set -euo pipefail
LOG_TAG=bench
# shellcheck source=tests/harness.sh
. "$(dirname "$0")/../tests/harness.sh"
fail() { die "$@"; }

DURATION=${1:-15}
CONNECTIONS=${CONNECTIONS:-8}        # /mcp load: concurrent connections
FLOOD_CONNECTIONS=${FLOOD_CONNECTIONS:-64}
PENDING=${PENDING:-600}              # pending authorization requests the flood cycles through

bin=${SERVER_BIN_OVERRIDE:-}
if [ -z "$bin" ]; then
  for candidate in "$CARGO_TARGET/release/server" "$CARGO_TARGET/debug/server"; do
    if [ -x "$candidate" ]; then bin=$candidate; break; fi
  done
fi
[ -n "$bin" ] || die "no server binary: run 'cargo build -p server --release' (or set SERVER_BIN_OVERRIDE)"
if ! command -v wrk >/dev/null; then
  log "installing wrk (Debian package)"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq && $sudo apt-get install -y -qq wrk >/dev/null
fi
for tool in curl jq openssl; do command -v "$tool" >/dev/null || die "$tool is required"; done

work=$(mktemp -d)
trap 'stop_server; [ -n "${flood_pid:-}" ] && kill "$flood_pid" 2>/dev/null; rm -rf "$work"' EXIT
isolate_server_env "$bin"
password=$(random_password)
add_test_user "$bin" "$work" "$work/bench.db" bench "$password"
# shellcheck disable=SC2086  # SERVER_FLAGS: extra serve flags, split on spaces on purpose
start_server "$bin" "$work" "$work/bench.db" "$work/server.log" --login-failures-per-address 4000000000 ${SERVER_FLAGS:-}
log "server: $bin ($AS_URL, $MCP_URL), $(nproc) cores"

# --- an access token, through the real flow -------------------------------------------------
jar="$work/cookies"
redirect="http://127.0.0.1:9/cb"
client_id=$(curl -fsS "$AS_URL/register" -H 'Content-Type: application/json' \
  -d "{\"client_name\":\"bench\",\"redirect_uris\":[\"$redirect\"]}" | jq -r .client_id)
verifier=$(openssl rand -base64 48 | tr '+/' '-_' | tr -d '=\n')
challenge=$(printf '%s' "$verifier" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=\n')
authorize_url() {
  printf '%s/authorize?response_type=code&client_id=%s&redirect_uri=%s&scope=user&state=s&code_challenge=%s&code_challenge_method=S256&resource=%s' \
    "$AS_URL" "$client_id" "$(jq -rn --arg u "$redirect" '$u|@uri')" "$challenge" "$(jq -rn --arg u "$MCP_URL" '$u|@uri')"
}
field() { sed -n "s/.*name=\"$1\" value=\"\([^\"]*\)\".*/\1/p" | head -n1; }
page=$(curl -fsS -c "$jar" -b "$jar" "$(authorize_url)")
request_id=$(field request_id <<<"$page")
csrf=$(field csrf <<<"$page")
curl -fsS -o /dev/null -c "$jar" -b "$jar" "$AS_URL/authorize/login" \
  --data-urlencode "request_id=$request_id" --data-urlencode "csrf=$csrf" \
  --data-urlencode "username=bench" --data-urlencode "password=$password"
location=$(curl -sS -o /dev/null -w '%{redirect_url}' -b "$jar" "$AS_URL/authorize/consent" \
  --data-urlencode "request_id=$request_id" --data-urlencode "csrf=$csrf" --data-urlencode "decision=allow")
code=$(sed -n 's/.*[?&]code=\([^&]*\).*/\1/p' <<<"$location")
[ -n "$code" ] || die "no authorization code (redirect: $location)"
token=$(curl -fsS "$AS_URL/token" -d grant_type=authorization_code -d "code=$code" -d "client_id=$client_id" \
  --data-urlencode "redirect_uri=$redirect" -d "code_verifier=$verifier" --data-urlencode "resource=$MCP_URL" \
  | jq -r .access_token)
[ -n "$token" ] && [ "$token" != null ] || die "no access token"

# --- the two load scripts -------------------------------------------------------------------
cat >"$work/mcp.lua" <<EOF
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2026-07-28"
wrk.headers["Mcp-Method"] = "tools/call"
wrk.headers["Mcp-Name"] = "get_user_data"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_user_data","arguments":{"user_id":"current"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"0"}}}}'
EOF
probe=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$MCP_URL" -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
  -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H 'Mcp-Name: get_user_data' \
  -d "$(sed -n "s/^wrk.body = '\(.*\)'\$/\1/p" "$work/mcp.lua")")
[ "$probe" = 200 ] || die "tools/call answered $probe"

log "opening $PENDING pending sign-in requests for the flood"
flood_jar="$work/flood-cookies"
{
  echo "forms = {"
  for _ in $(seq "$PENDING"); do
    page=$(curl -fsS -c "$flood_jar" -b "$flood_jar" "$(authorize_url)")
    printf '  {"%s", "%s"},\n' "$(field request_id <<<"$page")" "$(field csrf <<<"$page")"
  done
  echo "}"
} >"$work/forms.lua"
flood_cookie=$(awk '$6 == "mcp_as_csrf" { print $6 "=" $7 }' "$flood_jar")
cat "$work/forms.lua" - >"$work/flood.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "$flood_cookie"
counter = 0
request = function()
  counter = counter + 1
  local f = forms[(counter % #forms) + 1]
  local body = "request_id=" .. f[1] .. "&csrf=" .. f[2] .. "&username=u" .. math.random(1, 1000000000) .. "&password=wrong-password"
  return wrk.format(nil, nil, nil, body)
end
statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
EOF

# Prints "p50 p99" in milliseconds from wrk --latency output on stdin.
percentiles() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    $1 == "50.000%" || $1 == "50%" { p50 = ms($2) }
    $1 == "99.000%" || $1 == "99%" { p99 = ms($2) }
    END { printf "%.2f %.2f\n", p50, p99 }'
}
measure() {
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$work/mcp.lua" "$MCP_URL" >"$work/$1.txt"
  grep -q "Non-2xx" "$work/$1.txt" && warn "$1: some /mcp calls failed: $(grep Non-2xx "$work/$1.txt")"
  percentiles <"$work/$1.txt"
}

log "measuring /mcp tools/call for ${DURATION}s without a flood"
read -r base50 base99 < <(measure baseline)
log "measuring /mcp tools/call for ${DURATION}s during a login flood ($FLOOD_CONNECTIONS connections)"
wrk -t1 -c"$FLOOD_CONNECTIONS" -d"$((DURATION + 4))s" -s "$work/flood.lua" "$AS_URL/authorize/login" >"$work/flood.txt" &
flood_pid=$!
sleep 2
read -r flood50 flood99 < <(measure flooded)
wait "$flood_pid" || true
flood_pid=""
# Control: as many connections flooding a cheap endpoint, to tell the cost of the request volume
# (and of wrk itself, on the same cores) from the cost of the password hashing.
log "measuring /mcp tools/call for ${DURATION}s during a flood of metadata GETs (control)"
wrk -t1 -c"$FLOOD_CONNECTIONS" -d"$((DURATION + 4))s" "$AS_URL/.well-known/oauth-authorization-server" >"$work/control-flood.txt" &
flood_pid=$!
sleep 2
read -r control50 control99 < <(measure control)
wait "$flood_pid" || true
flood_pid=""

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.1fx", b / a; else print "n/a" }'; }
echo
echo "/mcp tools/call latency, $CONNECTIONS connections, ${DURATION}s each ($(nproc) cores, $(basename "$(dirname "$bin")") build)"
printf '%-6s %14s %16s %8s %20s %8s\n' "" "no flood (ms)" "login flood (ms)" "ratio" "metadata flood (ms)" "ratio"
row() { printf '%-6s %14s %16s %8s %20s %8s\n' "$1" "$2" "$3" "$(ratio "$2" "$3")" "$4" "$(ratio "$2" "$4")"; }
row p50 "$base50" "$flood50" "$control50"
row p99 "$base99" "$flood99" "$control99"
echo
rps() { awk '/Requests\/sec/ {print $2}' "$work/$1.txt"; }
echo "/mcp requests/s: no flood $(rps baseline), login flood $(rps flooded), metadata flood $(rps control)"
echo "metadata flood: $(awk '/requests in/ {print $1}' "$work/control-flood.txt") GETs"
echo "login flood: $(awk '/requests in/ {print $1}' "$work/flood.txt") posts; $(grep -o 'Non-2xx or 3xx responses: [0-9]*' "$work/flood.txt" || echo 'all 2xx/3xx'); evaluated sign-ins (audited failures): $(sqlite3 "$work/bench.db" "SELECT COUNT(*) FROM audit_events WHERE event = 'login_failed'" 2>/dev/null || echo '?')"
