#!/usr/bin/env bash
# Prints the directory of a `node` binary the relay runs on (NODE_MIN_VERSION or newer):
# the one on PATH when it is recent enough, otherwise Node.js NODE_LTS_VERSION, fetched once
# from the npm registry's node-<os>-<arch> package into the cache. scripts/node/run.sh puts
# that directory first on PATH.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

# True when version $1 (x.y.z) is at least $2.
at_least() {
  local IFS=.
  local -a have want
  read -r -a have <<<"$1"
  read -r -a want <<<"$2"
  for i in 0 1 2; do
    ((${have[i]:-0} > ${want[i]:-0})) && return 0
    ((${have[i]:-0} < ${want[i]:-0})) && return 1
  done
  return 0
}

# DROPEA_NODE_VERSION=x.y.z asks for that exact release whatever the machine has (to run the
# tests or the benchmarks on another supported major, e.g. 22 beside 24).
wanted="${DROPEA_NODE_VERSION:-}"
if [[ -n "$wanted" ]]; then
  if [[ ! "$wanted" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || ! at_least "$wanted" "$NODE_MIN_VERSION"; then
    echo "node: DROPEA_NODE_VERSION must be a release x.y.z, $NODE_MIN_VERSION or newer; got '$wanted'" >&2
    exit 1
  fi
  NODE_LTS_VERSION="$wanted"
elif command -v node >/dev/null 2>&1; then
  current="$(node --version 2>/dev/null | sed 's/^v//')"
  if [[ "$current" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] && at_least "$current" "$NODE_MIN_VERSION"; then
    dirname "$(command -v node)"
    exit 0
  fi
fi

case "$(uname -s)" in
  Linux) os=linux ;;
  *) echo "node: Node.js $NODE_MIN_VERSION or newer is needed (found ${current:-none}); install it from https://nodejs.org" >&2; exit 1 ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "node: Node.js $NODE_MIN_VERSION or newer is needed (found ${current:-none}); install it from https://nodejs.org" >&2; exit 1 ;;
esac

package="node-$os-$arch"
dir="$NODE_CACHE_ROOT/$package-$NODE_LTS_VERSION"
if [[ ! -x "$dir/bin/node" ]]; then
  if [[ -n "$wanted" ]]; then
    echo "node: DROPEA_NODE_VERSION=$wanted; fetching $package@$NODE_LTS_VERSION from the npm registry into $dir" >&2
  else
    echo "node: found Node.js ${current:-none}, older than $NODE_MIN_VERSION; fetching $package@$NODE_LTS_VERSION from the npm registry into $dir" >&2
  fi
  mkdir -p "$NODE_CACHE_ROOT"
  work="$(mktemp -d "$NODE_CACHE_ROOT/.node-fetch.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  # npm pack checks the tarball against the registry's integrity hash.
  (cd "$work" && npm pack --silent "$package@$NODE_LTS_VERSION" >/dev/null)
  tar -xzf "$work"/*.tgz -C "$work"
  "$work/package/bin/node" --version >/dev/null
  rm -rf "$dir"
  mv "$work/package" "$dir"
fi
echo "$dir/bin"
