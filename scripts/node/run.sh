#!/usr/bin/env bash
# Runs a command with a `node` the relay supports first on PATH (scripts/node/ensure.sh):
# `npm test`, `npm start` and `npm run bench` go through it, so a machine whose own Node.js
# is older still runs them as written.
set -euo pipefail
bin="$(bash "$(dirname "${BASH_SOURCE[0]}")/ensure.sh")"
PATH="$bin:$PATH"
export PATH
exec "$@"
