# shellcheck shell=bash
# Shared helpers for the scripts in this directory. Source it, do not run it:
#   . "$(dirname "$0")/lib.sh"
# It sets ROOT (the repository root), puts the tools scripts/setup.sh installs on PATH, and
# defines log/die helpers, port checks and the SPA build. docs/toolchain.md says why
# Trunk is run the way it is (no downloads from GitHub on these machines).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT

# rustup's cargo (and the trunk / wasm-bindgen it installs) first; npm's binaryen wasm-opt next.
# /usr/bin must never come before ~/.cargo/bin: Debian's cargo is only for Trunk (see trunk_cmd).
export PATH="$HOME/.cargo/bin:$ROOT/target/tools/node_modules/.bin:$PATH"
# Trunk's update check would reach for the network at every start.
export TRUNK_SKIP_VERSION_CHECK=true

# Where cargo puts native builds (honours CARGO_TARGET_DIR, e.g. a CI cache; relative to ROOT).
CARGO_TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$CARGO_TARGET" in /*) ;; *) CARGO_TARGET="$ROOT/$CARGO_TARGET" ;; esac
# The server the end-to-end runners start: the dev-profile binary that `cargo test` builds anyway
# (the crates whose speed matters are optimised even there, see Cargo.toml), so it is built once.
# shellcheck disable=SC2034  # used by the scripts that source this file
SERVER_BIN="$CARGO_TARGET/debug/server"

# When setup.sh had to fall back to Debian's rustc-web, this directory holds a `cargo` shim
# (scripts/debian-cargo) that builds std for wasm32. It goes first on PATH for Trunk only.
DEBIAN_SHIM_DIR="$ROOT/target/debian-wasm-shim"

if [ -t 2 ]; then _c_on=$'\033[1;34m'; _c_err=$'\033[1;31m'; _c_ok=$'\033[1;32m'; _c_off=$'\033[0m'
else _c_on=''; _c_err=''; _c_ok=''; _c_off=''; fi
log()  { printf '%s[%s]%s %s\n' "$_c_on" "${LOG_TAG:-mcp-auth}" "$_c_off" "$*" >&2; }
ok()   { printf '%s[%s]%s %s\n' "$_c_ok" "${LOG_TAG:-mcp-auth}" "$_c_off" "$*" >&2; }
warn() { printf '%s[%s]%s %s\n' "$_c_err" "${LOG_TAG:-mcp-auth}" "$_c_off" "$*" >&2; }
die()  { warn "error: $*"; exit 1; }

# Runs trunk with the Debian cargo shim first on PATH when it exists, offline (a missing tool
# fails at once instead of ~30 s of download retries; needs `cargo fetch` first). The wasm build
# has a target dir of its own, so it never waits on the lock of a native build running beside it.
trunk_cmd() {
  local path="$PATH"
  if [ -x "$DEBIAN_SHIM_DIR/cargo" ]; then path="$DEBIAN_SHIM_DIR:$PATH"; fi
  (cd "$ROOT" && PATH="$path" CARGO_TARGET_DIR="${SPA_TARGET_DIR:-$CARGO_TARGET/wasm}" \
    TRUNK_OFFLINE=true trunk "$@")
}

# The release SPA's size build (docs/benchmarks.md, "SPA download size"): the standard library is
# rebuilt from source with `optimize_for_size`, a panic is a bare trap (no message formatting, no
# message: the dev build from `trunk serve` keeps them) and no file/line strings are kept. These are
# unstable options of the stable compiler, unlocked with RUSTC_BOOTSTRAP for this build only;
# native builds and `trunk serve` never see them. Needs rustup's rust-src (scripts/setup.sh) or
# Debian's rust-web-src (the fallback, which builds std from source anyway). LLVM inlines only
# what costs nothing (inline thresholds 0): opt-level "z" alone still copies small functions.
SPA_SIZE_RUSTFLAGS="--cfg erase_components -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none
  -Cllvm-args=-inline-threshold=0 -Cllvm-args=-inlinehint-threshold=0"

# The rustc and std sources the wasm build uses (the Debian fallback's when its shim is in place).
spa_rustc() { if [ -x "$DEBIAN_SHIM_DIR/cargo" ]; then echo /usr/bin/rustc; else echo rustc; fi; }
spa_std_src() {
  if [ -x "$DEBIAN_SHIM_DIR/cargo" ]; then echo /usr/lib/rustlib/src/rust/library
  else echo "$(rustc --print sysroot)/lib/rustlib/src/rust/library"; fi
}

# True when this toolchain can make the size build: std sources with `optimize_for_size`, and a
# compiler that takes the flags above for wasm32.
spa_size_build_supported() {
  local src; src="$(spa_std_src)"
  grep -q '^optimize_for_size' "$src/std/Cargo.toml" 2>/dev/null || return 1
  # shellcheck disable=SC2086  # the flags are words
  RUSTC_BOOTSTRAP=1 "$(spa_rustc)" $SPA_SIZE_RUSTFLAGS --target wasm32-unknown-unknown \
    --print cfg >/dev/null 2>&1
}

# Builds the release SPA into dist/ (what the end-to-end tests serve). Its target dir is its own, so
# the size build's std and flags never invalidate the dev build's cache in target/wasm.
build_spa() {
  (cd "$ROOT" && cargo fetch --quiet)
  if ! spa_size_build_supported; then
    warn "this toolchain cannot make the size build (no rust-src, or the flags changed):"
    warn "building the SPA the plain way; it will be larger (scripts/setup.sh adds rust-src)"
    trunk_cmd build --release "$@"
  else
    # Trunk runs cargo with --offline: the std sources' own dependencies are fetched first
    # (Debian's std sources come with theirs).
    [ -x "$DEBIAN_SHIM_DIR/cargo" ] \
      || RUSTC_BOOTSTRAP=1 cargo fetch --quiet --manifest-path "$(spa_std_src)/Cargo.toml"
    (export RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort \
        CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size \
        CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$SPA_SIZE_RUSTFLAGS" \
        SPA_TARGET_DIR="$CARGO_TARGET/wasm-size"
     trunk_cmd build --release "$@")
  fi
  [ -f "$ROOT/dist/index.html" ] || die "trunk build finished but dist/index.html is missing"
}

# The SPA's size limit, what a browser downloads to start it, gzipped (wasm + JS in dist/):
# scripts/test.sh fails above it. docs/benchmarks.md has the history and where the bytes go.
SPA_GZIP_LIMIT_KB=150

# Prints the gzipped size in bytes of the wasm and JS files in dist/ (gzip -9, as a server would).
spa_gzip_bytes() {
  local f total=0
  for f in "$ROOT"/dist/*.wasm "$ROOT"/dist/*.js; do
    [ -f "$f" ] || continue
    total=$((total + $(gzip -9 -c "$f" | wc -c)))
  done
  echo "$total"
}

# True when something accepts TCP connections on 127.0.0.1:<port>.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Fails with a clear message when any of the given ports is taken.
require_free_ports() {
  local port busy=()
  for port in "$@"; do
    if port_in_use "$port"; then busy+=("$port"); fi
  done
  if [ ${#busy[@]} -gt 0 ]; then
    local alternation
    alternation="$(IFS='|'; echo "${busy[*]}")"
    warn "port(s) ${busy[*]} on 127.0.0.1 already in use; stop whatever listens there (find it with:"
    warn "  ss -ltnp | grep -E ':($alternation)\\b'  )"
    exit 1
  fi
}

# Waits until URL answers with an HTTP success status; fails after TIMEOUT seconds or as soon as
# PID (optional) has exited.
wait_for_http() {
  local url="$1" timeout="${2:-60}" pid="${3:-}" waited=0
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    if [ "$waited" -ge $((timeout * 5)) ]; then return 1; fi
    sleep 0.2
    waited=$((waited + 1))
  done
}

# A random password of 24 URL-safe characters (no shell or newline trouble).
random_password() {
  head -c 18 /dev/urandom | base64 | tr '+/' 'xy'
}
