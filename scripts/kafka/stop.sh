#!/usr/bin/env bash
# Stops the local broker of $KAFKA_LOCAL_PORT / $KAFKA_LOCAL_DIR if start.sh started it:
# SIGTERM (a clean shutdown), then SIGKILL after $KAFKA_STOP_TIMEOUT seconds. With --kill,
# SIGKILL at once, to simulate a crash. Never touches a process that is not ours.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

usage() {
  cat <<EOF
Usage: $(basename "$0") [--kill]

Stops the local Kafka broker on $KAFKA_BOOTSTRAP (state in $KAFKA_LOCAL_DIR).
  --kill   SIGKILL immediately instead of a clean shutdown (simulates a crash)
EOF
}

kill_now() {
  local pid="$1"
  kill -KILL "$pid" 2>/dev/null || true
  kafka_wait_exit "$pid" 10 || kafka_die "broker pid $pid survived SIGKILL"
}

main() {
  local hard=false
  case "${1:-}" in
    --kill) hard=true ;;
    -h | --help) usage; return 0 ;;
    "") ;;
    *) usage >&2; return 2 ;;
  esac

  # No lock (and no directory created) just to learn that nothing runs.
  if [[ -d "$KAFKA_LOCAL_DIR" ]]; then
    kafka_lock
  fi
  local pid started where
  if ! pid="$(kafka_find_pid)"; then
    rm -f "$KAFKA_PID_FILE"
    echo "No local Kafka broker running for $(kafka_dir_bootstrap) (dir $KAFKA_LOCAL_DIR); nothing to stop"
    return 0
  fi

  where="$(kafka_dir_bootstrap)"
  started="$(kafka_now_ms)"
  if $hard; then
    kill_now "$pid"
    rm -f "$KAFKA_PID_FILE"
    echo "Killed Kafka broker pid $pid on $where (SIGKILL)"
    return 0
  fi

  # Exit status 143 (SIGTERM) is the broker's normal way out; it is not our child, so there
  # is no status to collect anyway, only its disappearance.
  kill -TERM "$pid" 2>/dev/null || true
  if ! kafka_wait_exit "$pid" "$KAFKA_STOP_TIMEOUT"; then
    kafka_note "broker pid $pid still running after ${KAFKA_STOP_TIMEOUT}s (KAFKA_STOP_TIMEOUT); sending SIGKILL"
    kill_now "$pid"
  fi
  rm -f "$KAFKA_PID_FILE"
  echo "Stopped Kafka broker pid $pid on $where in $(($(kafka_now_ms) - started)) ms"
}

main "$@"
