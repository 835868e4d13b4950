#!/usr/bin/env bash
# `npm start`: the relay on this machine in one command. When KAFKA_BROKERS is unset and
# nothing answers on 127.0.0.1:9092, it first starts the project's local single-node Kafka
# (scripts/kafka), then builds and runs the relay against it.
#
# It behaves like any foreground server process, however the signal arrives: Ctrl-C in a
# terminal (SIGINT to the whole process group), or SIGTERM/SIGINT sent to the npm process alone
# (systemd, an IDE's stop button, a CI runner). The first signal stops the relay gracefully, then
# the broker this script started (a broker it found running is left alone); a second one forces
# both down at once. When the relay dies on its own, the broker is stopped too and the exit
# status is the relay's. Each phase runs in the background and is waited for, because bash runs
# a trap only once the foreground command has returned.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$repo"

# One Ctrl-C in a terminal reaches this script twice: from the terminal, and forwarded by npm.
# Signals closer together than this count as one. npm forwards its copy at once, but on a busy
# machine it has come more than half a second after the terminal's (a run of .ci/run where the
# host's other tenants took much of the CPU); a person who means a second Ctrl-C sends it after
# reading "send it again to force".
readonly SAME_SIGNAL_WINDOW_MS=1000

phase=""         # broker-start | build | relay | broker-stop
child=""         # the pid of the running phase
signals=0        # distinct signals received
signal_status=0  # 128 + the first signal's number, the exit status of a stop on request
last_signal_ms=0
started_broker=false

say() {
  echo "start: $*" >&2
}

on_signal() {
  # No command substitution here: npm's copy of a Ctrl-C can land while this handler runs, and
  # bash cannot take a trap in the middle of parsing a $(...) (it reports an unexpected EOF).
  local status="$1" name="$2" micros="${EPOCHREALTIME/[.,]/}" now
  now=$((10#$micros / 1000))
  if ((signals > 0 && now - last_signal_ms < SAME_SIGNAL_WINDOW_MS)); then
    return 0
  fi
  last_signal_ms="$now"
  signals=$((signals + 1))
  if ((signals == 1)); then
    signal_status="$status"
    say "$name received: stopping (send it again to force)"
    # The broker's own stop is already the way out; every other phase is asked to end.
    if [[ -n "$child" && "$phase" != broker-stop ]]; then
      kill -TERM "$child" 2>/dev/null || true
    fi
  else
    say "$name received again: forcing the stop"
    if [[ -n "$child" ]]; then
      kill -KILL "$child" 2>/dev/null || true
    fi
  fi
}
trap 'on_signal 130 SIGINT' INT
trap 'on_signal 143 SIGTERM' TERM

# Waits for the phase's process; a trapped signal interrupts `wait` (status > 128) while the
# process may still run, so it waits again until the process is really gone.
wait_child() {
  local rc
  while :; do
    wait "$child" && rc=0 || rc=$?
    kill -0 "$child" 2>/dev/null || break
  done
  child=""
  return "$rc"
}

# run_phase NAME COMMAND...: runs COMMAND in the background as the current phase and waits.
run_phase() {
  phase="$1"
  shift
  "$@" &
  child=$!
  wait_child
}

# The relay gets a process group of its own (job control on for that one command), so that a
# terminal's Ctrl-C reaches it only through this script, once: a second signal would make the
# relay skip its graceful shutdown (src/main.ts).
run_relay() {
  phase=relay
  set -m
  # The container's V8 and allocator settings (Dockerfile), so local runs behave like it.
  NODE_OPTIONS="${NODE_OPTIONS:---max-semi-space-size=8 --max-old-space-size=256}" \
    GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.mmap_threshold=16384}" node dist/main.js &
  child=$!
  set +m
  wait_child
}

stop_broker() {
  [[ "$started_broker" == true ]] || return 0
  if ((signals >= 2)); then
    say "killing the local Kafka broker"
    bash scripts/kafka/stop.sh --kill >&2 || true
    return 0
  fi
  say "stopping the local Kafka broker"
  if ! run_phase broker-stop bash scripts/kafka/stop.sh && ((signals >= 2)); then
    # A second signal ended the graceful stop half-way.
    bash scripts/kafka/stop.sh --kill >&2 || true
  fi
}

port_answers() {
  timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

main() {
  local status=0
  if [[ -z "${KAFKA_BROKERS:-}" ]]; then
    if port_answers 9092; then
      say "using the Kafka broker already answering on 127.0.0.1:9092"
    else
      say "no KAFKA_BROKERS and nothing on 127.0.0.1:9092; starting a local broker"
      # Set first: a stop during the start must still stop what was started.
      started_broker=true
      run_phase broker-start bash scripts/kafka/start.sh || status=$?
    fi
    export KAFKA_BROKERS=127.0.0.1:9092
    # A local broker starts empty: let the relay create its topics.
    export KAFKA_CREATE_TOPICS="${KAFKA_CREATE_TOPICS:-true}"
  fi

  if ((status == 0 && signals == 0)); then
    run_phase build npm run --silent build || status=$?
  fi
  if ((status == 0 && signals == 0)); then
    run_relay || status=$?
    if ((signals == 0)); then
      say "the relay exited on its own with status $status"
      ((status != 0)) || status=1
    elif ((signals == 1 && status == 0)); then
      say "the relay stopped cleanly"
    elif ((signals == 1)); then
      say "the relay stopped with status $status (see its log above)"
    fi
  fi

  stop_broker
  if ((signals > 0)); then
    status="$signal_status"
  fi
  return "$status"
}

status=0
main || status=$?
exit "$status"
