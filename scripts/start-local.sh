#!/usr/bin/env bash
# `npm start`: the relay on this machine in one command. When KAFKA_BROKERS is unset and
# nothing answers on 127.0.0.1:9092, it first starts the project's local single-node Kafka
# (scripts/kafka), then builds and runs the relay against it. Ctrl-C stops both; a broker
# that was already running is left running.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$repo"

started_broker=false
relay_pid=""

port_answers() {
  timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

cleanup() {
  trap - EXIT INT TERM
  if [[ -n "$relay_pid" ]] && kill -0 "$relay_pid" 2>/dev/null; then
    kill -TERM "$relay_pid" 2>/dev/null || true
    wait "$relay_pid" 2>/dev/null || true
  fi
  if [[ "$started_broker" == true ]]; then
    echo "start: stopping the local Kafka broker" >&2
    bash scripts/kafka/stop.sh || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -z "${KAFKA_BROKERS:-}" ]]; then
  if port_answers 9092; then
    echo "start: using the Kafka broker already answering on 127.0.0.1:9092" >&2
  else
    echo "start: no KAFKA_BROKERS and nothing on 127.0.0.1:9092; starting a local broker" >&2
    bash scripts/kafka/start.sh
    started_broker=true
  fi
  export KAFKA_BROKERS=127.0.0.1:9092
  # A local broker starts empty: let the relay create its topics.
  export KAFKA_CREATE_TOPICS="${KAFKA_CREATE_TOPICS:-true}"
fi

npm run --silent build
# The container's V8 setting (Dockerfile), so local runs behave like it.
NODE_OPTIONS="${NODE_OPTIONS:---max-semi-space-size=8}" node dist/main.js &
relay_pid=$!
wait "$relay_pid"
