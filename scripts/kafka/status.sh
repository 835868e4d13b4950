#!/usr/bin/env bash
# Tells whether the local broker of $KAFKA_LOCAL_PORT / $KAFKA_LOCAL_DIR runs and serves.
# Exit 0 when it accepts connections, 1 otherwise.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

main() {
  local pid owner where
  if pid="$(kafka_find_pid)"; then
    where="$(kafka_dir_bootstrap)"
    if kafka_port_open "${where##*:}"; then
      echo "running: $where (pid $pid, dir $KAFKA_LOCAL_DIR)"
      return 0
    fi
    echo "starting: pid $pid runs but $where is not open yet (dir $KAFKA_LOCAL_DIR)"
    return 1
  fi
  if kafka_port_open "$KAFKA_LOCAL_PORT"; then
    owner="$(kafka_port_owner "$KAFKA_LOCAL_PORT" || true)"
    echo "not running: $KAFKA_BOOTSTRAP is taken by another process${owner:+ ($owner)}, not a broker from $KAFKA_LOCAL_DIR"
    return 1
  fi
  echo "not running: $KAFKA_BOOTSTRAP (dir $KAFKA_LOCAL_DIR)"
  return 1
}

main "$@"
