# Puts the project's pinned toolchain first on PATH. Sourced, never run.
# Everything lives under $POLYSHIP_CACHE (default ~/.cache/polyship), outside the repo.
_polyship_tools_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$_polyship_tools_dir/versions.sh"
export POLYSHIP_CACHE
export PATH="$POLYSHIP_CACHE/node-$NODE_VERSION/node_modules/.bin:$POLYSHIP_CACHE/pnpm-$PNPM_VERSION/node_modules/.bin:$POLYSHIP_CACHE/bin:$POLYSHIP_CACHE/venv/bin:$PATH"
# pnpm must run on the pinned Node, not on whatever node npm happened to find.
export npm_config_update_notifier=false
unset _polyship_tools_dir
# Nx Cloud is never used; the daemon is off in CI (Nx turns it off when CI=true).
export NX_NO_CLOUD=true
