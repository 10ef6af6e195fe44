#!/usr/bin/env bash
# Sets up a fresh machine for polyship: Node 24 and pnpm (pinned, from the npm registry,
# when the running ones are older or missing), then `pnpm install --frozen-lockfile`.
# It also installs what releasing examples/ needs from outside npm (maturin and zig), and
# with --test everything the test suite drives (tools/test-env.sh). Idempotent: a second
# run only checks versions.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/tools/env.sh"

log() { printf 'bootstrap: %s\n' "$*" >&2; }
die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 1; }

node_major() { node -p 'process.versions.node' 2>/dev/null || echo 0; }

ensure_node() {
  local have
  have="$(node_major)"
  if [ "$have" = "$NODE_VERSION" ]; then return; fi
  local prefix="$POLYSHIP_CACHE/node-$NODE_VERSION"
  if [ ! -x "$prefix/node_modules/.bin/node" ]; then
    command -v npm >/dev/null || die "npm is needed to install Node $NODE_VERSION (install Debian's npm or Node from nodejs.org)"
    log "installing Node $NODE_VERSION into $prefix (found ${have})"
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund --no-save "node@$NODE_VERSION" >&2 \
      || die "npm could not install the 'node@$NODE_VERSION' package"
  fi
  hash -r
  [ "$(node_major)" = "$NODE_VERSION" ] || die "Node $NODE_VERSION is installed in $prefix but not first on PATH"
}

ensure_pnpm() {
  if [ "$(pnpm --version 2>/dev/null || true)" = "$PNPM_VERSION" ]; then return; fi
  local prefix="$POLYSHIP_CACHE/pnpm-$PNPM_VERSION"
  log "installing pnpm $PNPM_VERSION into $prefix"
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --no-save "pnpm@$PNPM_VERSION" >&2 \
    || die "npm could not install the 'pnpm@$PNPM_VERSION' package"
  hash -r
  [ "$(pnpm --version)" = "$PNPM_VERSION" ] || die "pnpm $PNPM_VERSION is installed in $prefix but not first on PATH"
}

ensure_node
ensure_pnpm
cd "$root"
log "node $(node --version), pnpm $(pnpm --version)"
pnpm install --frozen-lockfile --prefer-offline >&2
if [ "${1:-}" = "--test" ]; then
  "$root/tools/test-env.sh"
else
  "$root/tools/test-env.sh" --release-only
fi
log "ready: run commands through tools/run (e.g. tools/run pnpm release)"
