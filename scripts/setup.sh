#!/usr/bin/env bash
# Installs whatever the build and the tests need and is missing. Idempotent: every step checks
# first and skips when the right version is already there. See ../shared/TOOLCHAIN.md for why
# each step is done this way (Trunk's own tool downloads cannot work on a registries-only box).
#
# usage: scripts/setup.sh [--e2e]   (--e2e also installs Chromium and the Playwright packages)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

TRUNK_VERSION=0.22.1
BINARYEN_VERSION=132.0.0
want_e2e=0
[ "${1:-}" = "--e2e" ] && want_e2e=1

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if ! command -v apt-get >/dev/null; then log "no apt-get: please install $* yourself"; return 1; fi
  if [ $apt_updated = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# 1. The wasm32 standard library: rustup first, Debian's rustc-web as the fallback.
wasm_std_present() {
  ls "$(rustc --print sysroot)"/lib/rustlib/wasm32-unknown-unknown/lib/libcore-*.rlib >/dev/null 2>&1
}
if wasm_std_present; then
  :
elif timeout 180 rustup target add wasm32-unknown-unknown >&2 && wasm_std_present; then
  log "added wasm32-unknown-unknown with rustup"
else
  log "rustup could not add wasm32; using Debian's rustc-web with build-std (scripts/debian-cargo)"
  apt_install rustc-web cargo-web rust-web-src lld-22
  mkdir -p "$root/target/debian-wasm-shim"
  ln -sf "$root/scripts/debian-cargo" "$root/target/debian-wasm-shim/cargo"
fi

# 2. wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock exactly.
[ -f Cargo.lock ] || cargo generate-lockfile >&2
wb_version=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  log "installing wasm-bindgen-cli $wb_version (several minutes, once)"
  cargo install wasm-bindgen-cli --version "$wb_version" --force >&2
fi

# 3. Trunk itself.
if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  log "installing trunk $TRUNK_VERSION (about 15 minutes on 2 cores, once)"
  cargo install trunk --version "$TRUNK_VERSION" --locked --ignore-rust-version >&2
fi

# 4. wasm-opt from npm's binaryen (Debian's is too old and breaks wasm in Chromium).
tools="$root/target/tools"
if [ "$("$tools/node_modules/.bin/wasm-opt" --version 2>/dev/null | awk '{print $NF}')" != "version_${BINARYEN_VERSION%%.*}" ] \
   && [ "$("$tools/node_modules/.bin/wasm-opt" --version 2>/dev/null | awk '{print $3}')" != "${BINARYEN_VERSION%%.*}" ]; then
  log "installing binaryen $BINARYEN_VERSION from npm"
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION" >&2
fi

# 5. Browser and Playwright for the end-to-end tests.
if [ $want_e2e = 1 ]; then
  if ! command -v chromium >/dev/null && [ ! -x /usr/bin/chromium ]; then
    log "installing Debian's chromium"
    apt_install chromium
  fi
  if [ ! -d tests/e2e/node_modules/@playwright/test ]; then
    log "installing Playwright (no browser download)"
    (cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent) >&2
  fi
fi
log "toolchain ready"
