# shellcheck shell=bash disable=SC2034
# (SC2034: the settings below are used by the scripts that source this file.)
# Settings and helpers shared by the local Kafka scripts. Source it; do not run it.
#
# Every setting can be overridden from the environment (see README.md). Paths are
# derived from this file's location, so the scripts work from any working directory.

KAFKA_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
KAFKA_REPO_ROOT="$(cd "$KAFKA_SCRIPTS_DIR/../.." && pwd -P)"
KAFKA_POM="$KAFKA_SCRIPTS_DIR/pom.xml"
# The jars fetch.sh downloads, generated from the pom by lock.sh (see README.md).
KAFKA_JARS_LOCK="$KAFKA_SCRIPTS_DIR/jars.lock"
KAFKA_FETCH_JARS="$KAFKA_SCRIPTS_DIR/fetch-jars.mjs"

# The pom is the single place that names the Kafka version; reading it here names the cache
# folder after it. jars.lock is generated from the pom, and test/kafka-jars.e2e-spec.ts holds
# the two together.
KAFKA_VERSION="$(sed -n 's:.*<kafka\.version>[[:space:]]*\([^<[:space:]]*\)[[:space:]]*</kafka\.version>.*:\1:p' "$KAFKA_POM" | awk 'NR == 1')"
if [[ -z "$KAFKA_VERSION" ]]; then
  echo "kafka: cannot read <kafka.version> from $KAFKA_POM" >&2
  exit 1
fi

KAFKA_CACHE_DIR="${KAFKA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dropea-relay/kafka-$KAFKA_VERSION}"
case "$KAFKA_CACHE_DIR" in
  /*) ;;
  *) KAFKA_CACHE_DIR="$PWD/$KAFKA_CACHE_DIR" ;;
esac
KAFKA_CACHE_DIR="${KAFKA_CACHE_DIR%/}"
KAFKA_LIBS_DIR="$KAFKA_CACHE_DIR/libs"
# Written last by fetch.sh; holds the checksum of the jars.lock the jars were checked against.
KAFKA_LIBS_MARKER="$KAFKA_LIBS_DIR/.complete"
KAFKA_MAVEN_REPOSITORY="${KAFKA_MAVEN_REPOSITORY:-https://repo1.maven.org/maven2}"

# Loopback only: the broker is for local runs and tests, never reachable from outside.
KAFKA_LOCAL_HOST="127.0.0.1"
KAFKA_LOCAL_PORT="${KAFKA_LOCAL_PORT:-9092}"
KAFKA_LOCAL_CONTROLLER_PORT="${KAFKA_LOCAL_CONTROLLER_PORT:-9093}"
KAFKA_BOOTSTRAP="$KAFKA_LOCAL_HOST:$KAFKA_LOCAL_PORT"

KAFKA_LOCAL_DIR="${KAFKA_LOCAL_DIR:-$KAFKA_REPO_ROOT/.kafka/$KAFKA_LOCAL_PORT}"
# log.dirs must be absolute, and the process check below matches on the exact path.
case "$KAFKA_LOCAL_DIR" in
  /*) ;;
  *) KAFKA_LOCAL_DIR="$PWD/$KAFKA_LOCAL_DIR" ;;
esac
KAFKA_LOCAL_DIR="${KAFKA_LOCAL_DIR%/}"
KAFKA_CONFIG_DIR="$KAFKA_LOCAL_DIR/config"
KAFKA_DATA_DIR="$KAFKA_LOCAL_DIR/data"
KAFKA_LOGS_DIR="$KAFKA_LOCAL_DIR/logs"
KAFKA_PROPS_FILE="$KAFKA_CONFIG_DIR/server.properties"
KAFKA_LOG_FILE="$KAFKA_LOGS_DIR/server.log"
KAFKA_PID_FILE="$KAFKA_LOCAL_DIR/kafka.pid"
KAFKA_LOCK_FILE="$KAFKA_LOCAL_DIR/.lock"

KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
KAFKA_HEAP="${KAFKA_HEAP:-512m}"
KAFKA_JVM_OPTS="${KAFKA_JVM_OPTS:-}"
KAFKA_LOCAL_EXTRA_PROPERTIES="${KAFKA_LOCAL_EXTRA_PROPERTIES:-}"

KAFKA_BROKER_LOG4J="$KAFKA_SCRIPTS_DIR/log4j2-broker.yaml"
KAFKA_TOOLS_LOG4J="$KAFKA_SCRIPTS_DIR/log4j2-tools.yaml"

kafka_die() {
  echo "kafka: $*" >&2
  exit 1
}

kafka_note() {
  echo "kafka: $*" >&2
}

kafka_is_uint() {
  [[ "$1" =~ ^[0-9]+$ ]]
}

kafka_check_settings() {
  local name
  for name in KAFKA_LOCAL_PORT KAFKA_LOCAL_CONTROLLER_PORT; do
    if ! kafka_is_uint "${!name}" || ((${!name} < 1 || ${!name} > 65535)); then
      kafka_die "$name must be a TCP port number, got '${!name}'"
    fi
  done
  if ((KAFKA_LOCAL_PORT == KAFKA_LOCAL_CONTROLLER_PORT)); then
    kafka_die "KAFKA_LOCAL_PORT and KAFKA_LOCAL_CONTROLLER_PORT must differ (both $KAFKA_LOCAL_PORT)"
  fi
  for name in KAFKA_START_TIMEOUT KAFKA_STOP_TIMEOUT; do
    kafka_is_uint "${!name}" || kafka_die "$name must be a whole number of seconds, got '${!name}'"
  done
}

# Sets KAFKA_JAVA. Kafka 4.x needs Java 17 or newer; failing here beats a cryptic
# UnsupportedClassVersionError in the broker log.
kafka_require_java() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    KAFKA_JAVA="$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    KAFKA_JAVA="$(command -v java)"
  else
    kafka_die "java not found: install a JDK 17+ (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
  fi
  local version major
  version="$("$KAFKA_JAVA" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | awk 'NR == 1')"
  major="${version%%[.+-]*}"
  if [[ "$major" == 1 ]]; then
    major="$(echo "$version" | cut -d. -f2)"
  fi
  if ! kafka_is_uint "$major" || ((major < 17)); then
    kafka_die "Kafka $KAFKA_VERSION needs Java 17 or newer; $KAFKA_JAVA reports '${version:-unknown}'"
  fi
}

# Sets KAFKA_NODE. fetch.sh downloads the jars with a small Node.js program (fetch-jars.mjs):
# Node.js is on every machine that runs the relay, curl or wget may not be.
kafka_require_node() {
  KAFKA_NODE="$(command -v node 2>/dev/null)" ||
    kafka_die "node not found: fetching the Kafka jars needs Node.js 18 or newer on PATH (the relay itself needs 22.13+; https://nodejs.org)"
}

# cksum is in POSIX, unlike sha256sum/shasum; it only has to notice that the lock changed
# (each jar is checked against its SHA-256 in the lock when it is fetched).
kafka_file_checksum() {
  cksum <"$1" | awk '{print $1 "-" $2}'
}

kafka_libs_ready() {
  [[ -f "$KAFKA_LIBS_MARKER" ]] && [[ "$(cat "$KAFKA_LIBS_MARKER")" == "$(kafka_file_checksum "$KAFKA_JARS_LOCK")" ]]
}

kafka_ensure_libs() {
  kafka_libs_ready || bash "$KAFKA_SCRIPTS_DIR/fetch.sh"
}

# Runs a Kafka command-line tool (class name first) from the cached jars, in the foreground.
kafka_exec_tool() {
  kafka_require_java
  kafka_ensure_libs
  local main_class="$1"
  shift
  exec "$KAFKA_JAVA" -Xmx512m -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_TOOLS_LOG4J" \
    -cp "$KAFKA_LIBS_DIR/*" "$main_class" "$@"
}

# True when something accepts TCP connections on 127.0.0.1:<port>. Uses bash's /dev/tcp so
# that no nc/curl is needed; `timeout` guards against a connect that never completes.
kafka_port_open() {
  local port="$1"
  # shellcheck disable=SC2016 # $0/$1 are expanded by the inner bash
  if command -v timeout >/dev/null 2>&1; then
    timeout 1 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$KAFKA_LOCAL_HOST" "$port" 2>/dev/null
  else
    bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$KAFKA_LOCAL_HOST" "$port" 2>/dev/null
  fi
}

# Best effort: name the process that listens on a port, for error messages.
# First lines are taken with awk, not head, here and above: head exits after one line, and under
# pipefail the writer's SIGPIPE would fail the caller.
kafka_port_owner() {
  local port="$1"
  if command -v ss >/dev/null 2>&1; then
    ss -Hltnp "sport = :$port" 2>/dev/null |
      sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1 (pid \2)/p' | awk 'NR == 1'
  elif command -v lsof >/dev/null 2>&1; then
    lsof -nP -iTCP:"$port" -sTCP:LISTEN 2>/dev/null | awk 'NR == 2 {print $1 " pid " $2}'
  fi
}

# A zombie still answers `kill -0`, and the broker's parent (the start script) is gone by
# the time it exits, so an init that does not reap would leave one behind.
kafka_pid_alive() {
  local pid="$1" state
  kafka_is_uint "$pid" || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  state="$(ps -o stat= -p "$pid" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z* ]]
}

kafka_pid_args() {
  ps -ww -o args= -p "$1" 2>/dev/null
}

# Ours = a java process running kafka.Kafka on this directory's server.properties. Pids get
# reused, so a live pid from the pid file alone proves nothing.
kafka_args_are_ours() {
  local args="$1" cmd
  cmd="${args%% *}"
  [[ "${cmd##*/}" == java && "$args" == *" kafka.Kafka $KAFKA_PROPS_FILE" ]]
}

kafka_pid_is_ours() {
  local pid="$1"
  kafka_pid_alive "$pid" && kafka_args_are_ours "$(kafka_pid_args "$pid")"
}

# Prints the pid of the broker that belongs to KAFKA_LOCAL_DIR, if one runs. Falls back to
# scanning the process list so that a broker whose pid file was deleted is still found
# (and never doubled).
kafka_find_pid() {
  local pid args
  if [[ -f "$KAFKA_PID_FILE" ]]; then
    pid="$(tr -dc '0-9' <"$KAFKA_PID_FILE")"
    if [[ -n "$pid" ]] && kafka_pid_is_ours "$pid"; then
      echo "$pid"
      return 0
    fi
  fi
  while read -r pid args; do
    if kafka_args_are_ours "$args" && kafka_pid_alive "$pid"; then
      echo "$pid"
      return 0
    fi
  done < <(ps -ww -e -o pid= -o args= 2>/dev/null)
  return 1
}

# The address the broker of KAFKA_LOCAL_DIR was last started with (it may differ from the
# current KAFKA_LOCAL_PORT when only KAFKA_LOCAL_DIR was given).
kafka_dir_bootstrap() {
  local listeners
  listeners="$(sed -n 's/^listeners=//p' "$KAFKA_PROPS_FILE" 2>/dev/null || true)"
  if [[ "$listeners" =~ PLAINTEXT://([^,]+) ]]; then
    echo "${BASH_REMATCH[1]}"
  else
    echo "$KAFKA_BOOTSTRAP"
  fi
}

# Serialises start/stop per directory, so that two test runners starting at the same
# time cannot both launch a broker. No-op where flock is missing (e.g. stock macOS).
kafka_lock() {
  mkdir -p "$KAFKA_LOCAL_DIR"
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$KAFKA_LOCK_FILE"
  if ! flock -w "$((KAFKA_START_TIMEOUT + KAFKA_STOP_TIMEOUT + 30))" 9; then
    kafka_die "another start/stop holds $KAFKA_LOCK_FILE; gave up waiting"
  fi
}

# Waits for a pid to go away; returns 1 if it is still there after <seconds>.
kafka_wait_exit() {
  local pid="$1" deadline=$((SECONDS + $2))
  while kafka_pid_alive "$pid"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# Milliseconds since the epoch where the shell can tell (bash 5); whole seconds otherwise.
kafka_now_ms() {
  if [[ -n "${EPOCHREALTIME:-}" ]]; then
    local t="${EPOCHREALTIME/[.,]/}"
    echo "${t:0:${#t}-3}"
  else
    echo "$((SECONDS * 1000))"
  fi
}

kafka_check_settings
