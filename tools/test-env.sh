#!/usr/bin/env bash
# Installs the external tools polyship drives, each only when missing, into
# $POLYSHIP_CACHE (Go and Python tools) or the system (Debian packages).
#   tools/test-env.sh                  everything the test suite needs
#   tools/test-env.sh --release-only   only what `pnpm release` of examples/ needs (maturin, uv, zig)
#   tools/test-env.sh --bench          the test tools plus the peers only bench/ runs (syft, goreleaser, nx release)
# Idempotent; fails loudly naming the package that could not be installed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/tools/env.sh"

log() { printf 'test-env: %s\n' "$*" >&2; }
die() { printf 'test-env: error: %s\n' "$*" >&2; exit 1; }
mkdir -p "$POLYSHIP_CACHE/bin"

release_only=false
[ "${1:-}" = "--release-only" ] && release_only=true
bench=false
[ "${1:-}" = "--bench" ] && bench=true

install_venv() {
  local venv="$POLYSHIP_CACHE/venv"
  local pip_specs=("maturin==$MATURIN_VERSION" "uv==$UV_VERSION" "pypiserver==$PYPISERVER_VERSION" "twine==$TWINE_VERSION"
    "ziglang==$ZIGLANG_VERSION" "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION" "passlib"
    "spdx-tools==$SPDX_TOOLS_VERSION" "pypi-attestations==$PYPI_ATTESTATIONS_VERSION")
  local stamp="$venv/.polyship-$(printf '%s ' "${pip_specs[@]}" | sha256sum | cut -c1-16)"
  [ -f "$stamp" ] && return
  log "pip install ${pip_specs[*]}"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv" || die "python3 -m venv failed (install python3-venv)"
  "$venv/bin/pip" install -q --disable-pip-version-check "${pip_specs[@]}" >&2 \
    || die "pip could not install: ${pip_specs[*]}"
  touch "$stamp"
}

install_venv
if $release_only; then
  log "release tools ready in $POLYSHIP_CACHE"
  exit 0
fi

apt_missing=()
for pkg in $APT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || apt_missing+=("$pkg")
done
if [ ${#apt_missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  log "apt-get install ${apt_missing[*]}"
  $sudo apt-get update -qq >&2 || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >&2 \
    || die "apt-get could not install: ${apt_missing[*]}"
fi

go_tool() { # name module@version
  local name="$1" module="$2" want="${2##*@}"
  local marker="$POLYSHIP_CACHE/bin/.$name-$want"
  if [ -x "$POLYSHIP_CACHE/bin/$name" ] && [ -f "$marker" ]; then return; fi
  command -v go >/dev/null || die "go is needed to install $name ($module)"
  log "go install $module"
  GOBIN="$POLYSHIP_CACHE/bin" GOFLAGS=-mod=mod CGO_ENABLED=0 go install "$module" >&2 \
    || die "go install failed: $module"
  rm -f "$POLYSHIP_CACHE/bin/.$name-"*
  touch "$marker"
}
go_tool helm "$HELM_MODULE"
go_tool crane "$CRANE_MODULE"
go_tool actionlint "$ACTIONLINT_MODULE"
go_tool cosign "$COSIGN_MODULE"
go_tool osv-scanner "$OSV_SCANNER_MODULE"
# syft (bench/sbom.ts) and goreleaser (bench/scale.ts --goreleaser) are peers for bench/ only:
# the suite never runs them, so CI does not build them.
# nx release (nx with @nx/js) is bench/scale.ts's peer for npm packages, installed apart from the
# workspace's nx: @nx/js is not served at the workspace's nx version.
nx_release_peer() {
  local dir="$POLYSHIP_CACHE/nx-release-$NX_RELEASE_PEER_VERSION"
  [ -x "$dir/node_modules/.bin/nx" ] && [ -f "$dir/node_modules/@nx/js/package.json" ] && return
  log "npm install nx@$NX_RELEASE_PEER_VERSION @nx/js@$NX_RELEASE_PEER_VERSION into $dir"
  mkdir -p "$dir"
  printf '{ "name": "nx-release-peer", "private": true }\n' >"$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --ignore-scripts --save-exact \
    "nx@$NX_RELEASE_PEER_VERSION" "@nx/js@$NX_RELEASE_PEER_VERSION") >&2 \
    || die "npm could not install nx@$NX_RELEASE_PEER_VERSION @nx/js@$NX_RELEASE_PEER_VERSION"
}
if $bench; then
  go_tool syft "$SYFT_MODULE"
  go_tool goreleaser "$GORELEASER_MODULE"
  nx_release_peer
fi
log "tools ready in $POLYSHIP_CACHE"
