# shellcheck shell=bash
# Settings shared by scripts/node: the oldest Node.js the relay runs on, and the LTS release
# fetched when the machine's own `node` is older. Source it; do not run it.

# node:sqlite (the spool's store and lock) is in Node.js from 22.13.0 without a flag.
NODE_MIN_VERSION=22.13.0
# Node.js 24 LTS, as published on the npm registry (node-<os>-<arch>), the same build as nodejs.org's.
NODE_LTS_VERSION=24.22.3
# The other supported line, Node.js 22 LTS: CI runs the tests on it too (.ci/run).
NODE_PREVIOUS_LTS_VERSION=22.23.5
NODE_CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/dropea-relay"
