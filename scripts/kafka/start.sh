#!/usr/bin/env bash
# Starts a single-node KRaft Kafka broker on 127.0.0.1:$KAFKA_LOCAL_PORT (controller on
# $KAFKA_LOCAL_CONTROLLER_PORT), detached, and returns once it accepts connections.
# Reuses the broker if this directory's broker already runs; refuses to start when the
# ports belong to something else. See README.md for the settings.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

usage() {
  cat <<EOF
Usage: $(basename "$0")

Starts (or reuses) the local Kafka broker on $KAFKA_BOOTSTRAP, state in $KAFKA_LOCAL_DIR.
Settings come from the environment; see scripts/kafka/README.md.
EOF
}

listeners_line() {
  echo "PLAINTEXT://$KAFKA_LOCAL_HOST:$KAFKA_LOCAL_PORT,CONTROLLER://$KAFKA_LOCAL_HOST:$KAFKA_LOCAL_CONTROLLER_PORT"
}

# A single node has to be its own controller, and every internal topic has to fit on one
# replica (their defaults, RF 3 / min ISR 2, would leave the broker unable to serve groups or
# transactions). One partition per internal topic and no rebalance delay make tests start
# faster. Topic auto-creation is off so that the service's own topic creation is exercised.
# KAFKA_LOCAL_EXTRA_PROPERTIES names a file appended last: a key it sets again wins (Java
# Properties keep the last value), so it can add listeners or change a default.
# Writes the properties to $1.
write_server_properties() {
  local tmp="$1"
  cat >"$tmp" <<EOF
# Written by scripts/kafka/start.sh on every start; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$KAFKA_LOCAL_HOST:$KAFKA_LOCAL_CONTROLLER_PORT
listeners=$(listeners_line)
advertised.listeners=$(listeners_line)
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DATA_DIR

auto.create.topics.enable=false
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=1
group.initial.rebalance.delay.ms=0
num.recovery.threads.per.data.dir=1
# After a crash the restarted controller still holds the dead incarnation's registration and
# refuses the new one until that session expires (default 9 s); keep that wait short.
broker.session.timeout.ms=3000
broker.heartbeat.interval.ms=1000
EOF
  if [[ -n "$KAFKA_LOCAL_EXTRA_PROPERTIES" ]]; then
    [[ -r "$KAFKA_LOCAL_EXTRA_PROPERTIES" ]] || kafka_die "KAFKA_LOCAL_EXTRA_PROPERTIES names $KAFKA_LOCAL_EXTRA_PROPERTIES, which cannot be read"
    { echo "# From $KAFKA_LOCAL_EXTRA_PROPERTIES (KAFKA_LOCAL_EXTRA_PROPERTIES):"; cat "$KAFKA_LOCAL_EXTRA_PROPERTIES"; } >>"$tmp"
  fi
}

run_storage_tool() {
  "$KAFKA_JAVA" -Xmx256m -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_TOOLS_LOG4J" \
    -cp "$KAFKA_LIBS_DIR/*" kafka.tools.StorageTool "$@"
}

# KAFKA_LOCAL_SCRAM_CREDENTIALS holds one SCRAM credential per line, each in the form
# `kafka-storage format --add-scram` takes, e.g. SCRAM-SHA-512=[name=relay,password=secret]:
# in KRaft a SASL/SCRAM listener can only authenticate users whose credentials are in the
# metadata, and format is the one step that writes them before the broker starts (KIP-900).
# Sets FORMAT_SCRAM_ARGS.
scram_format_args() {
  FORMAT_SCRAM_ARGS=()
  local credential
  while IFS= read -r credential; do
    [[ -n "${credential//[[:space:]]/}" ]] && FORMAT_SCRAM_ARGS+=(--add-scram "$credential")
  done <<<"${KAFKA_LOCAL_SCRAM_CREDENTIALS:-}"
  return 0
}

# KRaft refuses to start on an unformatted log dir. Formatting happens once per directory:
# a second format would mint a new cluster id and orphan the existing data.
format_storage_once() {
  if [[ -f "$KAFKA_DATA_DIR/meta.properties" ]]; then
    [[ -n "${KAFKA_LOCAL_SCRAM_CREDENTIALS:-}" ]] &&
      kafka_note "KAFKA_LOCAL_SCRAM_CREDENTIALS is ignored: $KAFKA_DATA_DIR was formatted before (delete $KAFKA_LOCAL_DIR to start afresh)"
    return 0
  fi
  local cluster_id format_log="$KAFKA_LOGS_DIR/format.log"
  cluster_id="$(run_storage_tool random-uuid | tail -n 1)"
  [[ "$cluster_id" =~ ^[A-Za-z0-9_-]{22}$ ]] || kafka_die "StorageTool random-uuid gave '$cluster_id', not a cluster id"
  scram_format_args
  if ! run_storage_tool format --standalone --ignore-formatted "${FORMAT_SCRAM_ARGS[@]}" \
    -t "$cluster_id" -c "$KAFKA_PROPS_FILE" >"$format_log" 2>&1; then
    cat "$format_log" >&2
    kafka_die "formatting $KAFKA_DATA_DIR failed (output above)"
  fi
  kafka_note "formatted $KAFKA_DATA_DIR (cluster id $cluster_id)"
}

# One log per run keeps the tail printed on failure about this run; the previous run's log
# stays next to it.
rotate_log() {
  if [[ -f "$KAFKA_LOG_FILE" ]]; then
    mv -f "$KAFKA_LOG_FILE" "$KAFKA_LOG_FILE.1"
  fi
}

jvm_options() {
  JVM_OPTS=(
    "-Xms$KAFKA_HEAP" "-Xmx$KAFKA_HEAP"
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$KAFKA_BROKER_LOG4J"
    "-Dkafka.logs.dir=$KAFKA_LOGS_DIR"
  )
  if [[ -n "$KAFKA_JVM_OPTS" ]]; then
    local extra=()
    read -r -a extra <<<"$KAFKA_JVM_OPTS"
    JVM_OPTS+=("${extra[@]}")
  fi
}

# The broker must outlive this script and must not keep the caller's stdout/stderr (or any
# other inherited descriptor, e.g. the lock) open: a caller such as a Node test harness waits
# for those pipes to close before it sees this script finish. setsid also moves it out of the
# terminal's process group, so Ctrl-C in the calling shell does not reach it. The launcher
# writes its own pid just before exec'ing java, which is exact even if setsid forks.
# Sets BROKER_PID.
launch_broker() {
  local detach=(nohup)
  if command -v setsid >/dev/null 2>&1; then
    detach=(setsid)
  fi
  jvm_options
  rm -f "$KAFKA_PID_FILE"
  # shellcheck disable=SC2016 # the script is expanded by the inner bash
  "${detach[@]}" bash -c '
    dir=$1 pid_file=$2
    shift 2
    if [ -d "/proc/$$/fd" ]; then fds=$(cd "/proc/$$/fd" && echo *); else fds="3 4 5 6 7 8 9"; fi
    for fd in $fds; do
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
    done
    cd "$dir" || exit 1
    echo $$ >"$pid_file.tmp" && mv -f "$pid_file.tmp" "$pid_file" || exit 1
    exec "$@"
  ' kafka-launch "$KAFKA_LOCAL_DIR" "$KAFKA_PID_FILE" \
    "$KAFKA_JAVA" "${JVM_OPTS[@]}" -cp "$KAFKA_LIBS_DIR/*" kafka.Kafka "$KAFKA_PROPS_FILE" \
    </dev/null >>"$KAFKA_LOG_FILE" 2>&1 &
  local waited=0
  until [[ -s "$KAFKA_PID_FILE" ]]; do
    ((waited++ < 100)) || fail_start "" "the launcher did not write $KAFKA_PID_FILE"
    sleep 0.1
  done
  BROKER_PID="$(tr -dc '0-9' <"$KAFKA_PID_FILE")"
}

# Leaves nothing half-started behind: a broker that did not become ready is killed, and the
# log tail explains why.
fail_start() {
  local pid="$1" reason="$2"
  {
    echo "kafka: broker on $KAFKA_BOOTSTRAP failed to start: $reason"
    if [[ -s "$KAFKA_LOG_FILE" ]]; then
      echo "----- last 60 lines of $KAFKA_LOG_FILE -----"
      tail -n 60 "$KAFKA_LOG_FILE"
      echo "-----"
    fi
  } >&2
  if [[ -n "$pid" ]] && kafka_pid_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    if ! kafka_wait_exit "$pid" 10; then
      kill -KILL "$pid" 2>/dev/null || true
      kafka_wait_exit "$pid" 5 || true
    fi
  fi
  rm -f "$KAFKA_PID_FILE"
  exit 1
}

# The PLAINTEXT port opens only once the broker can serve requests, so a TCP connect is a
# sound readiness check.
wait_until_ready() {
  local pid="$1" deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  while :; do
    kafka_pid_alive "$pid" || fail_start "" "the broker process (pid $pid) exited"
    if kafka_port_open "$KAFKA_LOCAL_PORT"; then
      # Guards against a port that someone else grabbed while ours was still starting.
      kafka_pid_alive "$pid" || fail_start "" "the broker process (pid $pid) exited"
      return 0
    fi
    ((SECONDS < deadline)) || fail_start "$pid" "not accepting connections after ${KAFKA_START_TIMEOUT}s (KAFKA_START_TIMEOUT)"
    sleep 0.2
  done
}

# A running broker from this directory is the one asked for only if it runs with the settings
# this start would write (ports, extra properties); otherwise it must be stopped first.
check_running_settings() {
  local pid="$1" wanted="$KAFKA_PROPS_FILE.wanted"
  write_server_properties "$wanted"
  if [[ -f "$KAFKA_PROPS_FILE" ]] && ! cmp -s "$wanted" "$KAFKA_PROPS_FILE"; then
    rm -f "$wanted"
    kafka_die "the broker from $KAFKA_LOCAL_DIR (pid $pid) runs with other settings than these (see $KAFKA_PROPS_FILE); stop it first (scripts/kafka/stop.sh with the same KAFKA_LOCAL_DIR)"
  fi
  rm -f "$wanted"
}

reuse_running() {
  local pid="$1"
  check_running_settings "$pid"
  if ! kafka_port_open "$KAFKA_LOCAL_PORT"; then
    # Probably still starting (an earlier start.sh was interrupted); give it the usual time.
    kafka_note "broker pid $pid is running but $KAFKA_BOOTSTRAP is not open yet; waiting"
    wait_until_ready "$pid"
  fi
  echo "$pid" >"$KAFKA_PID_FILE"
  echo "Kafka already running on $KAFKA_BOOTSTRAP (pid $pid, dir $KAFKA_LOCAL_DIR); reusing it"
}

refuse_foreign_ports() {
  local port owner
  for port in "$KAFKA_LOCAL_PORT" "$KAFKA_LOCAL_CONTROLLER_PORT"; do
    if kafka_port_open "$port"; then
      owner="$(kafka_port_owner "$port" || true)"
      kafka_die "port $KAFKA_LOCAL_HOST:$port is already in use${owner:+ by $owner}, and not by a broker from $KAFKA_LOCAL_DIR; not starting a second one. Stop that process, or pick free ports with KAFKA_LOCAL_PORT / KAFKA_LOCAL_CONTROLLER_PORT."
    fi
  done
}

main() {
  case "${1:-}" in
    -h | --help) usage; return 0 ;;
    "") ;;
    *) usage >&2; return 2 ;;
  esac

  kafka_require_java
  kafka_ensure_libs
  kafka_lock

  local pid
  if pid="$(kafka_find_pid)"; then
    reuse_running "$pid"
    return 0
  fi
  if [[ -f "$KAFKA_PID_FILE" ]]; then
    kafka_note "removing stale pid file $KAFKA_PID_FILE"
    rm -f "$KAFKA_PID_FILE"
  fi
  refuse_foreign_ports

  local started
  started="$(kafka_now_ms)"
  mkdir -p "$KAFKA_CONFIG_DIR" "$KAFKA_DATA_DIR" "$KAFKA_LOGS_DIR"
  write_server_properties "$KAFKA_PROPS_FILE.tmp"
  mv "$KAFKA_PROPS_FILE.tmp" "$KAFKA_PROPS_FILE"
  format_storage_once
  rotate_log
  launch_broker
  wait_until_ready "$BROKER_PID"
  echo "Kafka ready on $KAFKA_BOOTSTRAP (pid $BROKER_PID, started in $(($(kafka_now_ms) - started)) ms, dir $KAFKA_LOCAL_DIR, log $KAFKA_LOG_FILE)"
}

main "$@"
